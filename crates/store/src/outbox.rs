use async_trait::async_trait;
use domain::outbox::{Attachment, Channel, MessageStatus, NewMessage, OutboxMessage, OutboxStore, StatusCounts};
use kernel::{AccountId, DomainResult, MessageId, Timestamp};
use sqlx::AnyConnection;

use crate::db::{Backend, Db};
use crate::error::MapDb;

const COLUMNS: &str = "id, idempotency_key, channel, account_id, recipient, cc, subject, body_text, body_html, \
                       attachments, status, attempts, last_error, delivered_via, created_at, sent_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    idempotency_key: String,
    channel: String,
    account_id: Option<i64>,
    recipient: String,
    cc: String,
    subject: String,
    body_text: String,
    body_html: Option<String>,
    attachments: String,
    status: String,
    attempts: i64,
    last_error: Option<String>,
    delivered_via: Option<String>,
    created_at: i64,
    sent_at: Option<i64>,
}

impl From<Row> for OutboxMessage {
    fn from(r: Row) -> Self {
        OutboxMessage {
            id: MessageId(r.id),
            idempotency_key: r.idempotency_key,
            channel: Channel::parse(&r.channel).unwrap_or(Channel::Email),
            account_id: r.account_id.map(AccountId),
            recipient: r.recipient,
            cc: serde_json::from_str(&r.cc).unwrap_or_default(),
            subject: r.subject,
            body_text: r.body_text,
            body_html: r.body_html,
            attachments: serde_json::from_str::<Vec<Attachment>>(&r.attachments).unwrap_or_default(),
            status: MessageStatus::parse(&r.status),
            attempts: r.attempts,
            last_error: r.last_error,
            delivered_via: r.delivered_via,
            created_at: Timestamp(r.created_at),
            sent_at: r.sent_at.map(Timestamp),
        }
    }
}

/// Writes messages inside the caller's transaction: this is what makes the
/// outbox atomic with the change that caused the messages.
pub(crate) async fn insert(
    conn: &mut AnyConnection,
    messages: &[NewMessage],
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    for m in messages {
        sqlx::query(
            "INSERT INTO outbox (idempotency_key, channel, account_id, recipient, cc, subject, body_text, body_html, \
             attachments, status, attempts, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', 0, $10, $10) \
             ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(&m.idempotency_key)
        .bind(m.channel.as_str())
        .bind(m.account_id.map(|a| a.0))
        .bind(&m.recipient)
        .bind(serde_json::to_string(&m.cc).unwrap_or_else(|_| "[]".into()))
        .bind(&m.subject)
        .bind(&m.body_text)
        .bind(m.body_html.as_deref())
        .bind(serde_json::to_string(&m.attachments).unwrap_or_else(|_| "[]".into()))
        .bind(now.millis())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

#[async_trait]
impl OutboxStore for Db {
    async fn enqueue(&self, messages: Vec<NewMessage>, now: Timestamp) -> DomainResult<()> {
        let mut tx = self.write_tx().await.db()?;
        insert(&mut tx.tx, &messages, now).await.db()?;
        tx.commit().await.db()
    }

    async fn claim_due(&self, now: Timestamp, lease_until: Timestamp, limit: i64) -> DomainResult<Vec<OutboxMessage>> {
        // PostgreSQL: several nodes may claim at once; SKIP LOCKED lets each
        // take different rows. SQLite has one writer, serialised by write_tx.
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1, locked_until = $1 \
             WHERE id IN (SELECT id FROM outbox \
                          WHERE (status = 'pending' AND next_attempt_at <= $2) \
                             OR (status = 'sending' AND locked_until < $2) \
                          ORDER BY id LIMIT $3{lock}) \
             RETURNING {COLUMNS}"
        );
        let mut tx = self.write_tx().await.db()?;
        let rows: Vec<Row> = sqlx::query_as(&sql)
            .bind(lease_until.millis())
            .bind(now.millis())
            .bind(limit)
            .fetch_all(&mut *tx.tx)
            .await
            .db()?;
        tx.commit().await.db()?;
        let mut messages: Vec<OutboxMessage> = rows.into_iter().map(Into::into).collect();
        messages.sort_by_key(|m| m.id);
        Ok(messages)
    }

    async fn mark_sent(&self, id: MessageId, via: &str, now: Timestamp) -> DomainResult<()> {
        let _w = self.write_guard().await;
        sqlx::query(
            "UPDATE outbox SET status = 'sent', delivered_via = $1, sent_at = $2, locked_until = NULL, last_error = NULL \
             WHERE id = $3",
        )
        .bind(via)
        .bind(now.millis())
        .bind(id.0)
        .execute(&self.pool)
        .await
        .db()?;
        Ok(())
    }

    async fn mark_retry(&self, id: MessageId, error: &str, next_attempt_at: Timestamp) -> DomainResult<()> {
        let _w = self.write_guard().await;
        sqlx::query(
            "UPDATE outbox SET status = 'pending', last_error = $1, next_attempt_at = $2, locked_until = NULL WHERE id = $3",
        )
        .bind(error)
        .bind(next_attempt_at.millis())
        .bind(id.0)
        .execute(&self.pool)
        .await
        .db()?;
        Ok(())
    }

    async fn mark_failed(&self, id: MessageId, error: &str) -> DomainResult<()> {
        let _w = self.write_guard().await;
        sqlx::query("UPDATE outbox SET status = 'failed', last_error = $1, locked_until = NULL WHERE id = $2")
            .bind(error)
            .bind(id.0)
            .execute(&self.pool)
            .await
            .db()?;
        Ok(())
    }

    async fn list(&self, channel: Option<Channel>, limit: i64) -> DomainResult<Vec<OutboxMessage>> {
        let rows: Vec<Row> = match channel {
            Some(c) => sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM outbox WHERE channel = $1 ORDER BY id DESC LIMIT $2"
            ))
            .bind(c.as_str())
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .db()?,
            None => sqlx::query_as(&format!("SELECT {COLUMNS} FROM outbox ORDER BY id DESC LIMIT $1"))
                .bind(limit)
                .fetch_all(&self.pool)
                .await
                .db()?,
        };
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn status_counts(&self) -> DomainResult<StatusCounts> {
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT status, COUNT(*) FROM outbox GROUP BY status")
            .fetch_all(&self.pool)
            .await
            .db()?;
        let mut counts = StatusCounts::default();
        for (status, n) in rows {
            match MessageStatus::parse(&status) {
                MessageStatus::Pending | MessageStatus::Sending => counts.pending += n,
                MessageStatus::Sent => counts.sent += n,
                MessageStatus::Failed => counts.failed += n,
            }
        }
        Ok(counts)
    }

    async fn get(&self, id: MessageId) -> DomainResult<OutboxMessage> {
        let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM outbox WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .db()?;
        row.map(Into::into).ok_or(kernel::DomainError::not_found("message"))
    }

    async fn sms_sent_times(&self, account: AccountId, since: Timestamp) -> DomainResult<Vec<Timestamp>> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT sent_at FROM outbox WHERE account_id = $1 AND channel = 'sms' AND status = 'sent' AND sent_at >= $2",
        )
        .bind(account.0)
        .bind(since.millis())
        .fetch_all(&self.pool)
        .await
        .db()?;
        Ok(rows.into_iter().map(|(t,)| Timestamp(t)).collect())
    }
}
