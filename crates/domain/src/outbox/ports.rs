use async_trait::async_trait;
use kernel::{AccountId, DomainResult, MessageId, Timestamp};

use super::{Channel, NewMessage, OutboxMessage, StatusCounts};

/// Storage the delivery worker and the mailbox pages need.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Writes messages that are not tied to another change.
    async fn enqueue(&self, messages: Vec<NewMessage>, now: Timestamp) -> DomainResult<()>;

    /// Takes up to `limit` due messages and leases them until `lease_until`
    /// so that no other worker (or node) sends them meanwhile. A message
    /// whose lease ran out (its worker died) is due again.
    async fn claim_due(&self, now: Timestamp, lease_until: Timestamp, limit: i64) -> DomainResult<Vec<OutboxMessage>>;

    async fn mark_sent(&self, id: MessageId, via: &str, now: Timestamp) -> DomainResult<()>;
    async fn mark_retry(&self, id: MessageId, error: &str, next_attempt_at: Timestamp) -> DomainResult<()>;
    async fn mark_failed(&self, id: MessageId, error: &str) -> DomainResult<()>;

    /// Messages newest first, optionally only one channel.
    async fn list(&self, channel: Option<Channel>, limit: i64) -> DomainResult<Vec<OutboxMessage>>;
    /// How many messages there are in each status.
    async fn status_counts(&self) -> DomainResult<StatusCounts>;
    async fn get(&self, id: MessageId) -> DomainResult<OutboxMessage>;

    /// When each SMS billed to `account` was sent, since `since`.
    async fn sms_sent_times(&self, account: AccountId, since: Timestamp) -> DomainResult<Vec<Timestamp>>;
}
