//! Delivers outbox messages: claims due rows with a lease, hands each to
//! its transport, and records the result. A message is claimed by one
//! worker at a time; if that worker dies, the lease runs out and another
//! takes over. Failed tries back off exponentially up to `MAX_ATTEMPTS`.

use std::sync::Arc;
use std::time::Duration;

use domain::outbox::{backoff_millis, Channel, DeliveryOutcome, OutboxMessage, OutboxStore, MAX_ATTEMPTS};
use kernel::Clock;
use rand::Rng;
use tokio_util::sync::CancellationToken;

use crate::transport::Transport;

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// How often to look for due messages when idle.
    pub poll_interval: Duration,
    /// How long a claimed message is reserved for this worker. Longer than
    /// the slowest delivery (SMTP timeout), shorter than users' patience.
    pub lease: Duration,
    pub batch_size: i64,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            poll_interval: Duration::from_millis(500),
            lease: Duration::from_secs(300),
            batch_size: 20,
        }
    }
}

pub struct OutboxWorker {
    store: Arc<dyn OutboxStore>,
    email: Arc<dyn Transport>,
    sms: Arc<dyn Transport>,
    clock: Arc<dyn Clock>,
    config: WorkerConfig,
}

impl OutboxWorker {
    pub fn new(
        store: Arc<dyn OutboxStore>,
        email: Arc<dyn Transport>,
        sms: Arc<dyn Transport>,
        clock: Arc<dyn Clock>,
        config: WorkerConfig,
    ) -> Self {
        Self {
            store,
            email,
            sms,
            clock,
            config,
        }
    }

    /// Runs until `shutdown` is cancelled; the message in hand is finished first.
    pub async fn run(self, shutdown: CancellationToken) {
        tracing::info!("outbox worker started");
        loop {
            let handled = match self.run_once().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "outbox: cannot claim messages");
                    0
                }
            };
            if shutdown.is_cancelled() {
                break;
            }
            if handled == 0 {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(self.config.poll_interval) => {}
                }
            }
        }
        tracing::info!("outbox worker stopped");
    }

    /// Delivers one batch of due messages; returns how many were handled.
    pub async fn run_once(&self) -> Result<usize, kernel::DomainError> {
        let now = self.clock.now();
        let lease_until = now.plus_millis(self.config.lease.as_millis() as i64);
        let batch = self.store.claim_due(now, lease_until, self.config.batch_size).await?;
        for message in &batch {
            self.deliver(message).await?;
        }
        Ok(batch.len())
    }

    async fn deliver(&self, m: &OutboxMessage) -> Result<(), kernel::DomainError> {
        let transport = match m.channel {
            Channel::Email => &self.email,
            Channel::Sms => &self.sms,
        };
        let outcome = transport.deliver(m).await;
        let now = self.clock.now();
        match outcome {
            DeliveryOutcome::Sent { via } => {
                tracing::info!(id = %m.id, channel = m.channel.as_str(), via, "outbox: delivered");
                self.store.mark_sent(m.id, via, now).await
            }
            DeliveryOutcome::Retry { error } if m.attempts < MAX_ATTEMPTS => {
                let jitter: f64 = rand::thread_rng().gen();
                let next = now.plus_millis(backoff_millis(m.attempts - 1, jitter));
                tracing::warn!(id = %m.id, attempts = m.attempts, %error, "outbox: delivery failed, will retry");
                self.store.mark_retry(m.id, &error, next).await
            }
            DeliveryOutcome::Retry { error } | DeliveryOutcome::Permanent { error } => {
                tracing::error!(id = %m.id, attempts = m.attempts, %error, "outbox: delivery failed for good");
                self.store.mark_failed(m.id, &error).await
            }
        }
    }
}
