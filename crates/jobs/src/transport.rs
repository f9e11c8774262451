//! Ways a message leaves the building: SMTP (lettre), an HTTP SMS gateway,
//! or the local development mailbox when neither is configured.

use std::time::Duration;

use async_trait::async_trait;
use domain::outbox::{DeliveryOutcome, OutboxMessage};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

#[async_trait]
pub trait Transport: Send + Sync {
    async fn deliver(&self, message: &OutboxMessage) -> DeliveryOutcome;
}

/// Keeps messages in the outbox table only, shown at `/dev/mailbox`.
pub struct MailboxTransport;

#[async_trait]
impl Transport for MailboxTransport {
    async fn deliver(&self, _message: &OutboxMessage) -> DeliveryOutcome {
        DeliveryOutcome::Sent { via: "mailbox" }
    }
}

/// E-mail over SMTP. The URL says how: `smtp://host:25` (plain),
/// `smtp://host:587?tls=required` (STARTTLS), `smtps://host:465` (TLS),
/// with optional `user:password@`.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// Domain for Message-IDs, so a resent copy carries the same id.
    id_domain: String,
}

#[derive(Debug)]
pub struct SmtpConfigError(pub String);

impl std::fmt::Display for SmtpConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl SmtpMailer {
    pub fn new(url: &str, from: &str) -> Result<Self, SmtpConfigError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| SmtpConfigError(format!("smtp-url: {e}")))?
            .timeout(Some(Duration::from_secs(30)))
            .build();
        let from: Mailbox = from
            .parse()
            .map_err(|e| SmtpConfigError(format!("mail-from: {from:?} is not a valid sender address: {e}")))?;
        let id_domain = from.email.domain().to_string();
        Ok(Self {
            transport,
            from,
            id_domain,
        })
    }

    /// Whether the server answers; used at start to warn early.
    pub async fn check(&self) -> Result<(), String> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err("server did not accept the connection".into()),
            Err(e) => Err(e.to_string()),
        }
    }

    fn build(&self, m: &OutboxMessage) -> Result<Message, String> {
        let to: Mailbox = m
            .recipient
            .parse()
            .map_err(|e| format!("recipient {:?}: {e}", m.recipient))?;
        let mut b = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&m.subject)
            .message_id(Some(format!("<{}@{}>", m.idempotency_key, self.id_domain)));
        for cc in &m.cc {
            b = b.cc(cc.parse().map_err(|e| format!("cc {cc:?}: {e}"))?);
        }
        let text = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(m.body_text.clone());
        let body = match &m.body_html {
            Some(html) => MultiPart::alternative()
                .singlepart(text)
                .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html.clone())),
            None => MultiPart::mixed().singlepart(text),
        };
        let message = if m.attachments.is_empty() {
            b.multipart(body)
        } else {
            let mut mixed = MultiPart::mixed().multipart(body);
            for a in &m.attachments {
                let ct = ContentType::parse(&a.content_type).map_err(|e| format!("attachment type: {e}"))?;
                mixed = mixed.singlepart(Attachment::new(a.filename.clone()).body(a.content.clone(), ct));
            }
            b.multipart(mixed)
        };
        message.map_err(|e| e.to_string())
    }
}

#[async_trait]
impl Transport for SmtpMailer {
    async fn deliver(&self, m: &OutboxMessage) -> DeliveryOutcome {
        let message = match self.build(m) {
            Ok(msg) => msg,
            Err(error) => return DeliveryOutcome::Permanent { error },
        };
        match self.transport.send(message).await {
            Ok(_) => DeliveryOutcome::Sent { via: "smtp" },
            Err(e) if e.is_permanent() => DeliveryOutcome::Permanent { error: e.to_string() },
            Err(e) => DeliveryOutcome::Retry { error: e.to_string() },
        }
    }
}

/// SMS through an HTTP gateway: `POST <url>` with JSON
/// `{"to": "+49…", "text": "…", "idempotency_key": "…", "account_id": 1}`
/// and the same key in an `Idempotency-Key` header, so a gateway that
/// honours it never sends a message twice. 2xx means accepted.
pub struct HttpSmsGateway {
    client: reqwest::Client,
    url: String,
}

impl HttpSmsGateway {
    pub fn new(url: &str) -> Result<Self, SmtpConfigError> {
        let parsed = url::Url::parse(url).map_err(|e| SmtpConfigError(format!("sms-gateway-url: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(SmtpConfigError(
                "sms-gateway-url: must start with http:// or https://".into(),
            ));
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| SmtpConfigError(e.to_string()))?;
        Ok(Self {
            client,
            url: url.to_string(),
        })
    }
}

#[async_trait]
impl Transport for HttpSmsGateway {
    async fn deliver(&self, m: &OutboxMessage) -> DeliveryOutcome {
        let body = serde_json::json!({
            "to": m.recipient,
            "text": m.body_text,
            "idempotency_key": m.idempotency_key,
            "account_id": m.account_id,
        });
        let result = self
            .client
            .post(&self.url)
            .header("Idempotency-Key", &m.idempotency_key)
            .json(&body)
            .send()
            .await;
        match result {
            Ok(r) if r.status().is_success() => DeliveryOutcome::Sent { via: "gateway" },
            Ok(r) if r.status().is_client_error() && r.status() != 408 && r.status() != 429 => {
                DeliveryOutcome::Permanent {
                    error: format!("gateway answered {}", r.status()),
                }
            }
            Ok(r) => DeliveryOutcome::Retry {
                error: format!("gateway answered {}", r.status()),
            },
            Err(e) => DeliveryOutcome::Retry { error: e.to_string() },
        }
    }
}
