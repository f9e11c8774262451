//! Kontor's business rules, one module per area. Each area has a model
//! (validated types), ports (the storage traits it needs) and a service
//! (the use cases). Nothing here knows about HTTP, SQL or sockets.

pub mod accounts;
pub mod calls;
pub mod cards;
pub mod conference;
pub mod identity;
pub mod mail;
pub mod outbox;
pub mod planner;
pub mod portal;
pub mod rooms;
pub mod secretary;
pub mod throttle;
pub mod token;

use std::sync::Arc;

use kernel::Clock;

/// What services need to know about the installation.
#[derive(Clone)]
pub struct Env {
    pub clock: Arc<dyn Clock>,
    /// Public base URL without trailing slash, used in links in e-mails.
    pub base_url: String,
}

impl Env {
    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.base_url.trim_end_matches('/'), path)
    }
}

/// Runs CPU-heavy work (password and PIN hashing) on the blocking pool,
/// off the async workers, at most one job per core at a time: a burst of
/// logins or PIN checks queues here instead of crowding out the audio
/// mixer's clock and the async workers.
pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> kernel::DomainResult<T> {
    static HEAVY: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let permit = HEAVY
        .get_or_init(|| tokio::sync::Semaphore::new(cores))
        .acquire()
        .await
        .map_err(kernel::DomainError::internal)?;
    let result = tokio::task::spawn_blocking(f)
        .await
        .map_err(kernel::DomainError::internal);
    drop(permit);
    result
}
