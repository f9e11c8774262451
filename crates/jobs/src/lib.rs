//! Background jobs that run beside the HTTP server.

pub mod outbox;
pub mod scheduler;
pub mod transport;

pub use outbox::{OutboxWorker, WorkerConfig};
pub use transport::{HttpSmsGateway, MailboxTransport, SmtpMailer, Transport};
