use async_trait::async_trait;
use kernel::{DomainResult, Lang, Timestamp, UserId};

use super::{Credentials, Membership, NewUser, User};

#[async_trait]
pub trait UserStore: Send + Sync {
    /// A taken e-mail (case-insensitive) is a `Conflict` on `email`.
    async fn create(&self, user: &NewUser, now: Timestamp) -> DomainResult<User>;
    async fn get(&self, id: UserId) -> DomainResult<User>;
    async fn credentials_by_email(&self, email_normalized: &str) -> DomainResult<Option<Credentials>>;
    async fn memberships(&self, id: UserId) -> DomainResult<Vec<Membership>>;
    async fn record_login(&self, id: UserId, now: Timestamp) -> DomainResult<()>;
    async fn set_language(&self, id: UserId, lang: Lang) -> DomainResult<()>;
    async fn count_operators(&self) -> DomainResult<i64>;
}

/// Server-side sessions; only the token's hash is stored.
#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn create(
        &self,
        token_hash: &str,
        user: UserId,
        now: Timestamp,
        expires_at: Timestamp,
        user_agent: &str,
        ip: &str,
    ) -> DomainResult<()>;
    /// The active user of an unexpired session (disabled users have none).
    async fn find(&self, token_hash: &str, now: Timestamp) -> DomainResult<Option<SessionInfo>>;
    async fn touch(&self, token_hash: &str, now: Timestamp, expires_at: Timestamp) -> DomainResult<()>;
    async fn delete(&self, token_hash: &str) -> DomainResult<()>;
}

/// A live session, its user and the user's memberships — everything a
/// request needs about its caller, read in one query.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub user: User,
    pub memberships: Vec<super::Membership>,
    pub last_seen_at: Timestamp,
}
