//! The durable outbox: every e-mail and SMS is first a row written in the
//! same transaction as the change that caused it; the delivery worker sends
//! it later, retrying with backoff. One row is one delivery, identified by
//! its idempotency key, so a retry or restart never sends a second copy.

mod model;
mod ports;
mod service;

pub use model::*;
pub use ports::*;
pub use service::*;
