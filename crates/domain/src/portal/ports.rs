use async_trait::async_trait;
use kernel::{AccountId, DomainResult, Lang, Timestamp, UserId};

use super::{AccountUser, Consent, NewConsent, NewRegistration, Registration, RegistrationStatus};
use crate::identity::tokens::{NewToken, TokenKind, TokenState};
use crate::identity::{AccountRole, NewUser, User, UserStatus};
use crate::outbox::NewMessage;

/// Storage of the customer portal. Every method on account data takes the
/// account id, and finds nothing outside it. Methods that use a token fail
/// with `Unauthenticated { code: "link_invalid" | "link_expired" | "link_used" }`
/// and change nothing.
#[async_trait]
pub trait PortalStore: Send + Sync {
    /// The active account with this customer number and postal code.
    async fn account_by_pair(&self, customer_number: &str, postal_code: &str) -> DomainResult<Option<AccountId>>;
    /// Whether a user or an open registration (unconfirmed since `since`,
    /// or waiting for approval) has this address.
    async fn email_in_use(&self, email_normalized: &str, since: Timestamp) -> DomainResult<bool>;
    async fn create_registration(
        &self,
        reg: &NewRegistration,
        consents: &[NewConsent],
        token: NewToken,
        messages: Vec<NewMessage>,
        now: Timestamp,
    ) -> DomainResult<i64>;
    async fn token_state(&self, hash: &str, kinds: &[TokenKind], now: Timestamp) -> DomainResult<TokenState>;
    /// Uses the confirmation token; the registration waits for approval.
    async fn confirm_registration(&self, token_hash: &str, now: Timestamp) -> DomainResult<Registration>;
    async fn registration(&self, account: AccountId, id: i64) -> DomainResult<Registration>;
    async fn registrations(
        &self,
        account: AccountId,
        status: Option<RegistrationStatus>,
    ) -> DomainResult<Vec<Registration>>;
    /// Creates the invited user (member of the account) for a registration
    /// waiting for approval, the finish token for them, and the messages —
    /// all in one transaction, hence the many arguments.
    #[allow(clippy::too_many_arguments)]
    async fn approve_registration(
        &self,
        account: AccountId,
        id: i64,
        actor: UserId,
        user: &NewUser,
        token: NewToken,
        messages: Vec<NewMessage>,
        now: Timestamp,
    ) -> DomainResult<User>;
    async fn reject_registration(
        &self,
        account: AccountId,
        id: i64,
        actor: UserId,
        reason: Option<&str>,
        messages: Vec<NewMessage>,
        now: Timestamp,
    ) -> DomainResult<Registration>;
    /// E-mail and language of the account's active super admins.
    async fn super_admins(&self, account: AccountId) -> DomainResult<Vec<(String, Lang)>>;

    async fn account_users(&self, account: AccountId) -> DomainResult<Vec<AccountUser>>;
    async fn account_user(&self, account: AccountId, user: UserId) -> DomainResult<AccountUser>;
    /// Creates an invited user with a membership and the invitation token.
    async fn invite(
        &self,
        user: &NewUser,
        token: NewToken,
        messages: Vec<NewMessage>,
        now: Timestamp,
    ) -> DomainResult<User>;
    async fn set_role(&self, account: AccountId, user: UserId, role: AccountRole) -> DomainResult<()>;
    /// Also ends the user's sessions when disabling.
    async fn set_status(&self, user: UserId, status: UserStatus) -> DomainResult<()>;
    /// Replaces the user's unused tokens of this kind with a new one.
    async fn replace_token(&self, token: NewToken, messages: Vec<NewMessage>, now: Timestamp) -> DomainResult<()>;

    /// Uses an invitation or finish token: sets the password, records the
    /// consents, makes the user active.
    async fn activate(
        &self,
        token_hash: &str,
        password_hash: &str,
        consents: &[NewConsent],
        now: Timestamp,
    ) -> DomainResult<User>;
    /// Uses a reset token: new password, all sessions ended.
    async fn reset_password(&self, token_hash: &str, password_hash: &str, now: Timestamp) -> DomainResult<User>;

    async fn user_by_email(&self, email_normalized: &str) -> DomainResult<Option<User>>;
    async fn password_hash(&self, user: UserId) -> DomainResult<Option<String>>;
    /// Sets a new password and ends every session of the user except the
    /// one whose token hash is `keep_session` (the one changing it).
    async fn set_password(&self, user: UserId, password_hash: &str, keep_session: Option<&str>) -> DomainResult<()>;
    async fn update_profile(
        &self,
        user: UserId,
        first_name: &str,
        last_name: &str,
        language: Lang,
    ) -> DomainResult<User>;
    async fn consents(&self, user: UserId) -> DomainResult<Vec<Consent>>;
    /// Gives (a new consent row) or withdraws (marks the current one) marketing consent.
    async fn set_marketing(&self, user: UserId, give: bool, now: Timestamp) -> DomainResult<()>;
}
