use kernel::{AccountId, MessageId, Timestamp};
use serde::{Deserialize, Serialize};

/// Price of one SMS for billing, in euro cents (PRODUCT.md: 0.10 EUR).
pub const SMS_PRICE_CENTS: i64 = 10;

/// After this many failed tries a message is marked failed and left alone.
pub const MAX_ATTEMPTS: i64 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "email" => Some(Channel::Email),
            "sms" => Some(Channel::Sms),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    Pending,
    Sending,
    Sent,
    Failed,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Pending => "pending",
            MessageStatus::Sending => "sending",
            MessageStatus::Sent => "sent",
            MessageStatus::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Self {
        match s {
            "sending" => MessageStatus::Sending,
            "sent" => MessageStatus::Sent,
            "failed" => MessageStatus::Failed,
            _ => MessageStatus::Pending,
        }
    }
}

/// A text attachment (calendar entries, CSV exports).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content: String,
}

/// A message to be written to the outbox together with a change.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub idempotency_key: String,
    pub channel: Channel,
    /// The customer account it is billed to / belongs to, if any.
    pub account_id: Option<AccountId>,
    pub recipient: String,
    pub cc: Vec<String>,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub attachments: Vec<Attachment>,
}

impl NewMessage {
    /// An SMS; the text is trimmed to one GSM-7 message by the caller.
    pub fn sms(account_id: Option<AccountId>, to: &str, text: &str) -> Self {
        NewMessage {
            idempotency_key: crate::token::new_token(),
            channel: Channel::Sms,
            account_id,
            recipient: to.to_string(),
            cc: Vec::new(),
            subject: String::new(),
            body_text: text.to_string(),
            body_html: None,
            attachments: Vec::new(),
        }
    }
}

/// A message as stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OutboxMessage {
    pub id: MessageId,
    pub idempotency_key: String,
    pub channel: Channel,
    pub account_id: Option<AccountId>,
    pub recipient: String,
    pub cc: Vec<String>,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub attachments: Vec<Attachment>,
    pub status: MessageStatus,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// "smtp", "gateway" or "mailbox" (kept locally in development).
    pub delivered_via: Option<String>,
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<i64>)]
    pub sent_at: Option<Timestamp>,
}

/// How a delivery attempt ended, as the worker reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Sent {
        via: &'static str,
    },
    /// Worth another try later (network, 4xx from SMTP, 5xx from gateway).
    Retry {
        error: String,
    },
    /// Will never succeed (bad recipient, 5xx permanent SMTP reply).
    Permanent {
        error: String,
    },
}

/// Backoff before try number `attempts + 1`: 5 s doubling to at most one
/// hour, with up to 20 % jitter so many failed messages do not retry in step.
pub fn backoff_millis(attempts: i64, jitter: f64) -> i64 {
    let exp = attempts.clamp(0, 20) as u32;
    let base = 5_000i64.saturating_mul(1i64 << exp.min(10)).min(3_600_000);
    base + (base as f64 * 0.2 * jitter.clamp(0.0, 1.0)) as i64
}

/// Number of messages per status, for the operator's overview.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct StatusCounts {
    /// Waiting for delivery or being delivered right now.
    pub pending: i64,
    pub sent: i64,
    pub failed: i64,
}

/// SMS usage of one account in one calendar month, for billing.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SmsUsage {
    /// "YYYY-MM"
    pub month: String,
    pub count: i64,
    pub amount_cents: i64,
}

/// Counts timestamps per calendar month in `tz`, newest month first.
pub fn group_by_month(times: &[Timestamp], tz: chrono_tz::Tz) -> Vec<SmsUsage> {
    let mut months: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
    for t in times {
        let month = t.to_datetime().with_timezone(&tz).format("%Y-%m").to_string();
        *months.entry(month).or_default() += 1;
    }
    months
        .into_iter()
        .rev()
        .map(|(month, count)| SmsUsage {
            month,
            count,
            amount_cents: count * SMS_PRICE_CENTS,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_follow_german_time() {
        // 2026-01-31 23:30 UTC is already February in Berlin.
        let jan = Timestamp(1_769_815_800_000 - 3_600_000 * 24);
        let feb_in_berlin = Timestamp(1_769_902_200_000);
        let usage = group_by_month(&[jan, feb_in_berlin, feb_in_berlin], chrono_tz::Europe::Berlin);
        assert_eq!(usage.len(), 2);
        assert_eq!(usage[0].month, "2026-02");
        assert_eq!(usage[0].count, 2);
        assert_eq!(usage[0].amount_cents, 20);
        assert_eq!(usage[1].month, "2026-01");
    }

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff_millis(0, 0.0), 5_000);
        assert_eq!(backoff_millis(1, 0.0), 10_000);
        assert_eq!(backoff_millis(3, 0.0), 40_000);
        assert_eq!(backoff_millis(30, 0.0), 3_600_000);
        assert_eq!(backoff_millis(0, 1.0), 6_000);
    }
}
