//! Networking (NetworkStore): person profiles and their search terms,
//! one-to-one chat with shares, notifications.

use async_trait::async_trait;
use domain::cards::{
    ChatMessage, Conversation, NetworkSettings, NetworkStore, NewChatMessage, Notification, Person, ShareKind, Shared,
};
use kernel::{DomainResult, Timestamp, UserId};

use domain::identity::full_name;

use crate::cards::{prefix_end, PersonRow, PERSON_SELECT};
use crate::db::Db;
use crate::error::MapDb;

fn pair_key(a: UserId, b: UserId) -> String {
    let (x, y) = if a.0 <= b.0 { (a.0, b.0) } else { (b.0, a.0) };
    format!("{x}:{y}")
}

#[derive(sqlx::FromRow)]
struct MessageRow {
    id: i64,
    sender_id: i64,
    recipient_id: i64,
    body: String,
    share_kind: Option<String>,
    share_ref: Option<String>,
    created_at: i64,
    read_at: Option<i64>,
}

impl From<MessageRow> for ChatMessage {
    fn from(r: MessageRow) -> Self {
        let shared = match (r.share_kind.as_deref().and_then(ShareKind::parse), r.share_ref) {
            (Some(kind), Some(reference)) => Some(Shared {
                kind,
                reference,
                title: String::new(),
                subtitle: String::new(),
                href: String::new(),
                logo: None,
            }),
            _ => None,
        };
        ChatMessage {
            id: r.id,
            sender_id: UserId(r.sender_id),
            recipient_id: UserId(r.recipient_id),
            body: r.body,
            shared,
            created_at: Timestamp(r.created_at),
            read: r.read_at.is_some(),
        }
    }
}

const MESSAGE_COLUMNS: &str = "id, sender_id, recipient_id, body, share_kind, share_ref, created_at, read_at";

#[async_trait]
impl NetworkStore for Db {
    async fn settings(&self, user: UserId) -> DomainResult<NetworkSettings> {
        Ok(self.person(user).await?.map(|p| p.settings).unwrap_or_default())
    }

    async fn save_settings(
        &self,
        user: UserId,
        s: &NetworkSettings,
        terms: Option<&[String]>,
        now: Timestamp,
    ) -> DomainResult<()> {
        let mut tx = self.write_tx().await.db()?;
        sqlx::query(
            "INSERT INTO person_profiles (user_id, networking, findable, show_as_contact, standby, position, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id) DO UPDATE SET networking = $2, findable = $3, \
             show_as_contact = $4, standby = $5, position = $6, updated_at = $7",
        )
        .bind(user.0)
        .bind(s.networking as i64)
        .bind(s.findable as i64)
        .bind(s.show_as_contact as i64)
        .bind(s.standby as i64)
        .bind(&s.position)
        .bind(now.millis())
        .execute(&mut *tx.tx)
        .await
        .db()?;
        sqlx::query("DELETE FROM person_terms WHERE user_id = $1")
            .bind(user.0)
            .execute(&mut *tx.tx)
            .await
            .db()?;
        for t in terms.unwrap_or_default() {
            sqlx::query("INSERT INTO person_terms (term, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(t)
                .bind(user.0)
                .execute(&mut *tx.tx)
                .await
                .db()?;
        }
        tx.commit().await.db()
    }

    async fn set_standby(&self, user: UserId, on: bool, now: Timestamp) -> DomainResult<()> {
        let _w = self.write_guard().await;
        sqlx::query("UPDATE person_profiles SET standby = $1, updated_at = $2 WHERE user_id = $3")
            .bind(on as i64)
            .bind(now.millis())
            .bind(user.0)
            .execute(self.pool())
            .await
            .db()?;
        Ok(())
    }

    async fn person(&self, user: UserId) -> DomainResult<Option<Person>> {
        let row: Option<PersonRow> =
            sqlx::query_as(&format!("{PERSON_SELECT} WHERE u.id = $1 AND u.status <> 'disabled'"))
                .bind(user.0)
                .fetch_optional(self.pool())
                .await
                .db()?;
        Ok(row.map(Into::into))
    }

    async fn search_people(&self, words: &[String], limit: i64) -> DomainResult<Vec<Person>> {
        // The longest word drives the index range (usually the fewest
        // rows); the others are checked per person.
        let Some(first) = words.iter().max_by_key(|w| w.chars().count()) else {
            return Ok(Vec::new());
        };
        let mut sql = String::from("SELECT t1.user_id FROM person_terms t1 WHERE t1.term >= $1 AND t1.term < $2");
        let mut params = vec![first.clone(), prefix_end(first)];
        for w in words.iter().filter(|w| *w != first) {
            let n = params.len();
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM person_terms t2 WHERE t2.user_id = t1.user_id AND t2.term >= ${} AND t2.term < ${})",
                n + 1,
                n + 2
            ));
            params.push(w.clone());
            params.push(prefix_end(w));
        }
        sql.push_str(&format!(" ORDER BY t1.term, t1.user_id LIMIT ${}", params.len() + 1));
        let mut q = sqlx::query_as::<_, (i64,)>(&sql);
        for p in &params {
            q = q.bind(p);
        }
        let hits = q.bind(limit * 3).fetch_all(self.pool()).await.db()?;
        let mut ids: Vec<i64> = Vec::new();
        for (id,) in hits {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids.truncate(limit as usize);
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = (1..=ids.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "{PERSON_SELECT} WHERE u.id IN ({list}) AND u.status = 'active' AND p.networking = 1 AND p.findable = 1"
        );
        let mut q = sqlx::query_as::<_, PersonRow>(&sql);
        for id in &ids {
            q = q.bind(id);
        }
        let rows = q.fetch_all(self.pool()).await.db()?;
        let mut people: Vec<Person> = rows.into_iter().map(Into::into).collect();
        people.sort_by_key(|p| ids.iter().position(|i| *i == p.user_id.0));
        Ok(people)
    }

    async fn send(&self, m: &NewChatMessage, now: Timestamp) -> DomainResult<ChatMessage> {
        let mut tx = self.write_tx().await.db()?;
        let row: MessageRow = sqlx::query_as(&format!(
            "INSERT INTO chat_messages (pair_key, sender_id, recipient_id, body, share_kind, share_ref, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {MESSAGE_COLUMNS}"
        ))
        .bind(pair_key(m.sender, m.recipient))
        .bind(m.sender.0)
        .bind(m.recipient.0)
        .bind(&m.body)
        .bind(m.share.as_ref().map(|(k, _)| k.as_str()))
        .bind(m.share.as_ref().map(|(_, r)| r.as_str()))
        .bind(now.millis())
        .fetch_one(&mut *tx.tx)
        .await
        .db()?;
        for (who, kind) in &m.notify {
            let other = if *who == m.sender { m.recipient } else { m.sender };
            sqlx::query(
                "INSERT INTO notifications (user_id, kind, message_id, other_id, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(who.0)
            .bind(*kind)
            .bind(row.id)
            .bind(other.0)
            .bind(now.millis())
            .execute(&mut *tx.tx)
            .await
            .db()?;
        }
        tx.commit().await.db()?;
        Ok(row.into())
    }

    async fn messages(&self, a: UserId, b: UserId, after: i64, limit: i64) -> DomainResult<Vec<ChatMessage>> {
        let rows: Vec<MessageRow> = sqlx::query_as(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM chat_messages WHERE pair_key = $1 AND id > $2 ORDER BY id DESC LIMIT $3"
        ))
        .bind(pair_key(a, b))
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .db()?;
        Ok(rows.into_iter().rev().map(Into::into).collect())
    }

    async fn conversations(&self, user: UserId) -> DomainResult<Vec<Conversation>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            other_id: i64,
            first_name: String,
            last_name: String,
            email: String,
            body: String,
            share_kind: Option<String>,
            created_at: i64,
            unread: i64,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT u.id AS other_id, u.first_name, u.last_name, u.email, m.body, m.share_kind, m.created_at, \
             (SELECT COUNT(*) FROM chat_messages x WHERE x.pair_key = m.pair_key AND x.recipient_id = $1 \
              AND x.read_at IS NULL) AS unread \
             FROM chat_messages m \
             JOIN users u ON u.id = (CASE WHEN m.sender_id = $1 THEN m.recipient_id ELSE m.sender_id END) \
             WHERE m.id IN (SELECT MAX(id) FROM chat_messages WHERE sender_id = $1 OR recipient_id = $1 GROUP BY pair_key) \
             ORDER BY m.id DESC LIMIT 100",
        )
        .bind(user.0)
        .fetch_all(self.pool())
        .await
        .db()?;
        Ok(rows
            .into_iter()
            .map(|r| Conversation {
                other_id: UserId(r.other_id),
                other_name: full_name(&r.first_name, &r.last_name, &r.email),
                last_body: r.body,
                last_shared: r.share_kind.is_some(),
                last_at: Timestamp(r.created_at),
                unread: r.unread,
            })
            .collect())
    }

    async fn mark_read(&self, user: UserId, other: UserId, now: Timestamp) -> DomainResult<()> {
        let mut tx = self.write_tx().await.db()?;
        sqlx::query(
            "UPDATE chat_messages SET read_at = $1 WHERE pair_key = $2 AND recipient_id = $3 AND read_at IS NULL",
        )
        .bind(now.millis())
        .bind(pair_key(user, other))
        .bind(user.0)
        .execute(&mut *tx.tx)
        .await
        .db()?;
        sqlx::query("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND other_id = $3 AND read_at IS NULL")
            .bind(now.millis())
            .bind(user.0)
            .bind(other.0)
            .execute(&mut *tx.tx)
            .await
            .db()?;
        tx.commit().await.db()
    }

    async fn unread_notifications(&self, user: UserId) -> DomainResult<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
            .bind(user.0)
            .fetch_one(self.pool())
            .await
            .db()?;
        Ok(n)
    }

    async fn notifications(&self, user: UserId, limit: i64) -> DomainResult<Vec<Notification>> {
        #[allow(clippy::type_complexity)]
        let rows: Vec<(i64, String, i64, String, String, String, i64, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT n.id, n.kind, n.other_id, u.first_name, u.last_name, u.email, n.message_id, m.body, n.created_at, \
             n.read_at FROM notifications n JOIN users u ON u.id = n.other_id \
             JOIN chat_messages m ON m.id = n.message_id WHERE n.user_id = $1 ORDER BY n.id DESC LIMIT $2",
        )
        .bind(user.0)
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .db()?;
        Ok(rows
            .into_iter()
            .map(|(id, kind, other, f, l, e, message_id, body, at, read)| Notification {
                id,
                kind,
                other_id: UserId(other),
                other_name: full_name(&f, &l, &e),
                message_id,
                body,
                created_at: Timestamp(at),
                read: read.is_some(),
            })
            .collect())
    }

    async fn talked(&self, a: UserId, b: UserId) -> DomainResult<bool> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM chat_messages WHERE pair_key = $1 LIMIT 1")
            .bind(pair_key(a, b))
            .fetch_optional(self.pool())
            .await
            .db()?;
        Ok(row.is_some())
    }

    async fn colleagues(&self, user: UserId) -> DomainResult<Vec<Person>> {
        let rows: Vec<PersonRow> = sqlx::query_as(&format!(
            "{PERSON_SELECT} WHERE u.status = 'active' AND u.id <> $1 AND u.id IN (SELECT m2.user_id FROM card_members m1 \
             JOIN card_members m2 ON m2.card_id = m1.card_id WHERE m1.user_id = $1) ORDER BY u.last_name, u.first_name"
        ))
        .bind(user.0)
        .fetch_all(self.pool())
        .await
        .db()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}
