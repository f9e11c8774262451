use async_trait::async_trait;
use kernel::{AccountId, DomainResult, Timestamp, UserId};

use super::stats::{EmployeeCount, OffsetSegment};
use super::{ApiToken, Call, CallEvent, CallPage, NewCall, NewNote, Note, Outcome, ServiceNumber};
use crate::outbox::NewMessage;

/// Storage of calls, notes, service numbers and API tokens. Methods for
/// customers take the account id and find nothing outside it; methods for
/// agents work across accounts (agents serve every customer).
#[async_trait]
pub trait CallStore: Send + Sync {
    /// The account a service number belongs to.
    async fn account_of_number(&self, number: &str) -> DomainResult<Option<AccountId>>;
    /// Any service number of the account (for calls opened by hand).
    async fn first_number(&self, account: AccountId) -> DomainResult<Option<String>>;
    async fn create_call(&self, c: &NewCall) -> DomainResult<Call>;
    async fn call(&self, id: i64) -> DomainResult<Call>;
    /// The call and the id of the newest audit record of its account (0
    /// when none): the version of the secretary data agents see.
    async fn call_and_version(&self, id: i64) -> DomainResult<(Call, i64)>;
    /// The call if it belongs to `account` (NotFound otherwise).
    async fn account_call(&self, account: AccountId, id: i64) -> DomainResult<Call>;
    /// Calls not yet done, oldest first.
    async fn open_calls(&self) -> DomainResult<Vec<Call>>;
    /// Queued -> claimed by `agent`, atomically: Conflict(call, call_taken)
    /// when someone else was first.
    async fn claim(&self, id: i64, agent: UserId, agent_name: &str, now: Timestamp) -> DomainResult<Call>;
    /// Claimed by `agent` -> queued again.
    async fn release(&self, id: i64, agent: UserId) -> DomainResult<Call>;
    /// Stores the first note of a call claimed by `agent` (Conflict when
    /// the call is not theirs or already done), marks the call done and
    /// writes the messages, all in one transaction.
    async fn finish(
        &self,
        id: i64,
        note: &NewNote,
        summary: &str,
        messages: Vec<NewMessage>,
        now: Timestamp,
    ) -> DomainResult<Call>;
    /// Adds a correcting note to a done call, with its messages.
    async fn correct(
        &self,
        id: i64,
        note: &NewNote,
        summary: &str,
        messages: Vec<NewMessage>,
        now: Timestamp,
    ) -> DomainResult<Call>;
    /// The notes of a call, oldest first.
    async fn notes(&self, id: i64) -> DomainResult<Vec<Note>>;
    /// Newest finished calls of the account.
    async fn latest(&self, account: AccountId, limit: i64) -> DomainResult<Vec<Call>>;
    /// Finished calls received in [start, end), newest first.
    async fn calls(
        &self,
        account: AccountId,
        start: Timestamp,
        end: Timestamp,
        limit: i64,
        offset: i64,
    ) -> DomainResult<CallPage>;
    /// Counts of finished calls in [start, end): per (local day number,
    /// outcome) — see [`super::stats::local_day_number`] — and per employee
    /// (with the employee's current name; empty when deleted).
    async fn counts(
        &self,
        account: AccountId,
        start: Timestamp,
        end: Timestamp,
        segments: &[OffsetSegment],
    ) -> DomainResult<(Vec<(i64, Outcome, i64)>, Vec<EmployeeCount>)>;
    /// Finished calls in [start, end) with their latest note, oldest first.
    async fn export(
        &self,
        account: AccountId,
        start: Timestamp,
        end: Timestamp,
    ) -> DomainResult<Vec<(Call, Option<Note>)>>;

    async fn service_numbers(&self, account: AccountId) -> DomainResult<Vec<ServiceNumber>>;
    /// Conflict(number, service_number_taken) when any account has it.
    async fn add_service_number(&self, account: AccountId, number: &str, now: Timestamp)
        -> DomainResult<ServiceNumber>;
    async fn remove_service_number(&self, account: AccountId, number: &str) -> DomainResult<()>;

    async fn api_tokens(&self) -> DomainResult<Vec<ApiToken>>;
    async fn create_api_token(&self, name: &str, hash: &str, by: UserId, now: Timestamp) -> DomainResult<ApiToken>;
    async fn revoke_api_token(&self, id: i64, now: Timestamp) -> DomainResult<ApiToken>;
    /// The active token with this hash, marked as used at `now`.
    async fn use_api_token(&self, hash: &str, now: Timestamp) -> DomainResult<Option<ApiToken>>;
}

/// Where call events go: consoles and dashboards subscribe. The in-process
/// [`super::LocalHub`] serves one node; several nodes would publish through
/// PostgreSQL LISTEN/NOTIFY or NATS behind this same trait.
pub trait CallEvents: Send + Sync {
    fn publish(&self, event: CallEvent);
}
