//! Test helpers shared by every crate's tests: a fresh database per test on
//! both backends and a real SMTP server that records what it receives.

pub mod browser;
pub mod db;
pub mod phone;
pub mod smtp;

pub use browser::Browser;
pub use db::{Backend, TestDb};
pub use fantoccini;
pub use smtp::{ReceivedMail, SmtpMode, SmtpSink};

/// Generates one test per backend from an `async fn name(backend: Backend)`:
/// `name::sqlite` and `name::postgres`. CI counts the `::postgres` ones.
#[macro_export]
macro_rules! db_test {
    ($($name:ident),+ $(,)?) => {
        $(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::Backend::Postgres).await
            }
        }
        )+
    };
}
