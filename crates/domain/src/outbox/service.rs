use std::sync::Arc;

use kernel::{AccountId, DomainResult, EmailAddress, Lang, MessageId};

use super::{Channel, NewMessage, OutboxMessage, OutboxStore, SmsUsage};
use crate::mail::Mail;
use crate::Env;

/// Reading the outbox (mailbox page, billing) and messages that are not
/// caused by another change (test mails from the operator).
#[derive(Clone)]
pub struct OutboxService {
    store: Arc<dyn OutboxStore>,
    env: Env,
}

impl OutboxService {
    pub fn new(store: Arc<dyn OutboxStore>, env: Env) -> Self {
        Self { store, env }
    }

    /// Queues a test e-mail so the operator can check the mail settings.
    pub async fn send_test_email(&self, to: &str, lang: Lang) -> DomainResult<()> {
        let to = EmailAddress::parse(to, "to")?;
        let mail = Mail::new(lang, "mail.test")
            .arg("base_url", &self.env.base_url)
            .button("mail.test.button", &self.env.link("/"))
            .to(None, to.as_str());
        self.store.enqueue(vec![mail], self.env.clock.now()).await
    }

    /// Queues a test SMS to an E.164 number, billed to `account` if given.
    pub async fn send_test_sms(&self, account: Option<AccountId>, to: &str, lang: Lang) -> DomainResult<()> {
        let number = kernel::phone::E164::parse(to, "to")?;
        let text = kernel::tr(lang, "sms.test");
        let msg = NewMessage::sms(account, number.as_str(), &text);
        self.store.enqueue(vec![msg], self.env.clock.now()).await
    }

    pub async fn list(&self, channel: Option<Channel>, limit: i64) -> DomainResult<Vec<OutboxMessage>> {
        self.store.list(channel, limit.clamp(1, 500)).await
    }

    pub async fn status_counts(&self) -> DomainResult<super::StatusCounts> {
        self.store.status_counts().await
    }

    pub async fn get(&self, id: MessageId) -> DomainResult<OutboxMessage> {
        self.store.get(id).await
    }

    /// SMS sent per calendar month (German time) over the last 13 months,
    /// newest first, with the amount billed.
    pub async fn sms_usage(&self, account: AccountId) -> DomainResult<Vec<SmsUsage>> {
        let now = self.env.clock.now();
        let since = now.plus_secs(-400 * 24 * 3600);
        let times = self.store.sms_sent_times(account, since).await?;
        Ok(super::group_by_month(&times, chrono_tz::Europe::Berlin))
    }
}
