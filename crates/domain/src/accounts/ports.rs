use async_trait::async_trait;
use kernel::{AccountId, DomainResult, Timestamp};

use super::{Account, AccountPage, NewAccount};
use crate::outbox::NewMessage;

#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Stores the account and the given messages in one transaction.
    /// A taken customer number is a `Conflict` on `customer_number`.
    async fn create(&self, account: &NewAccount, now: Timestamp, messages: Vec<NewMessage>) -> DomainResult<Account>;
    /// Replaces the master data; the same conflict rule as `create`.
    async fn update(&self, id: AccountId, account: &NewAccount, now: Timestamp) -> DomainResult<Account>;
    /// "active" or "disabled"; a disabled account takes no registrations.
    async fn set_status(&self, id: AccountId, status: &str) -> DomainResult<Account>;
    async fn get(&self, id: AccountId) -> DomainResult<Account>;
    /// Accounts matching `search` (customer number or name), by name.
    async fn list(&self, search: &str, limit: i64, offset: i64) -> DomainResult<AccountPage>;
}
