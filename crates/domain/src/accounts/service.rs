use std::sync::Arc;

use kernel::{AccountId, DomainResult, Lang};

use super::{Account, AccountInput, AccountPage, AccountStore, NewAccount};
use crate::mail::Mail;
use crate::Env;

/// Use cases around customer accounts.
#[derive(Clone)]
pub struct AccountService {
    store: Arc<dyn AccountStore>,
    env: Env,
}

impl AccountService {
    pub fn new(store: Arc<dyn AccountStore>, env: Env) -> Self {
        Self { store, env }
    }

    /// Creates an account; when it has a contact e-mail, a welcome mail
    /// is written to the outbox in the same transaction.
    pub async fn create(&self, input: &AccountInput) -> DomainResult<Account> {
        let new = NewAccount::parse(input)?;
        let mut messages = Vec::new();
        if let Some(to) = &new.contact_email {
            let lang = Lang::De;
            let mail = Mail::new(lang, "mail.account_welcome")
                .arg("company", &new.name)
                .arg("customer_number", &new.customer_number)
                .button("mail.account_welcome.button", &self.env.link("/register"));
            messages.push(mail.to(None, to.as_str()));
        }
        self.store.create(&new, self.env.clock.now(), messages).await
    }

    /// Changes an account's master data (customer number included, which
    /// must stay unique). No mail is sent.
    pub async fn update(&self, id: AccountId, input: &AccountInput) -> DomainResult<Account> {
        let new = NewAccount::parse(input)?;
        self.store.update(id, &new, self.env.clock.now()).await
    }

    /// Disables or re-enables an account.
    pub async fn set_status(&self, id: AccountId, status: &str) -> DomainResult<Account> {
        if !matches!(status, "active" | "disabled") {
            return Err(kernel::DomainError::validation("status", "account_status_invalid"));
        }
        self.store.set_status(id, status).await
    }

    pub async fn get(&self, id: AccountId) -> DomainResult<Account> {
        self.store.get(id).await
    }

    pub async fn list(&self, search: &str, limit: i64, offset: i64) -> DomainResult<AccountPage> {
        self.store.list(search.trim(), limit.clamp(1, 200), offset.max(0)).await
    }
}
