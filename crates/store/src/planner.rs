//! Planner sessions: number reservations, invitees, the scheduler's due
//! reminders and expiries.

use std::sync::LazyLock;

use async_trait::async_trait;
use domain::identity::full_name;
use domain::outbox::NewMessage;
use domain::planner::{EntryUpdate, Invitee, NewSession, PlannerStore, Reserved, Session, SessionKind, SessionNumber};
use kernel::{AccountId, DomainResult, Lang, Timestamp, UserId};

use crate::db::Db;
use crate::error::MapDb;
use crate::outbox;
use crate::rooms::{insert_room, RoomRow, ROOM_COLUMNS};

#[derive(sqlx::FromRow)]
struct SessionRow {
    session_id: i64,
    number: i64,
    session_kind: String,
    owner_id: i64,
    email: String,
    first_name: String,
    last_name: String,
    language: String,
    session_title: String,
    description: String,
    starts_at: Option<i64>,
    time_zone: String,
    duration_min: i64,
    phone_info: i64,
    reminder_min: Option<i64>,
    remind_at: Option<i64>,
    reminded_at: Option<i64>,
    expires_at: Option<i64>,
    uid: String,
    sequence: i64,
    session_created_at: i64,
    #[sqlx(flatten)]
    room: RoomRow,
}

/// Session, host and room in one row.
static SELECT: LazyLock<String> = LazyLock::new(|| {
    let room: Vec<String> = ROOM_COLUMNS.split(", ").map(|c| format!("r.{c}")).collect();
    format!(
        "SELECT s.id AS session_id, s.number, s.kind AS session_kind, s.owner_id, u.email, u.first_name, \
         u.last_name, u.language, s.title AS session_title, s.description, s.starts_at, s.time_zone, \
         s.duration_min, s.phone_info, s.reminder_min, s.remind_at, s.reminded_at, s.expires_at, s.uid, \
         s.sequence, s.created_at AS session_created_at, {} \
         FROM planner_sessions s JOIN users u ON u.id = s.owner_id JOIN rooms r ON r.id = s.room_id",
        room.join(", ")
    )
});

impl TryFrom<SessionRow> for Session {
    type Error = kernel::DomainError;

    fn try_from(r: SessionRow) -> Result<Self, Self::Error> {
        Ok(Session {
            id: r.session_id,
            number: SessionNumber::from_stored(r.number)?,
            kind: SessionKind::parse(&r.session_kind),
            owner: UserId(r.owner_id),
            owner_name: full_name(&r.first_name, &r.last_name, &r.email),
            owner_email: r.email,
            owner_first_name: r.first_name,
            owner_language: Lang::parse(&r.language).unwrap_or(Lang::De),
            room: r.room.into(),
            title: r.session_title,
            description: r.description,
            starts_at: r.starts_at.map(Timestamp),
            time_zone: r.time_zone,
            duration_min: r.duration_min,
            phone_info: r.phone_info != 0,
            reminder_min: r.reminder_min,
            remind_at: r.remind_at.map(Timestamp),
            reminded_at: r.reminded_at.map(Timestamp),
            expires_at: r.expires_at.map(Timestamp),
            uid: r.uid,
            sequence: r.sequence,
            created_at: Timestamp(r.session_created_at),
        })
    }
}

impl Db {
    async fn sessions_where(&self, clause: &str, a: i64, b: Option<i64>) -> DomainResult<Vec<Session>> {
        let sql = format!("{} WHERE {clause}", *SELECT);
        let mut q = sqlx::query_as::<_, SessionRow>(&sql).bind(a);
        if let Some(b) = b {
            q = q.bind(b);
        }
        let rows = q.fetch_all(self.pool()).await.db()?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn one_session(&self, clause: &str, value: i64) -> DomainResult<Option<Session>> {
        Ok(self.sessions_where(clause, value, None).await?.into_iter().next())
    }
}

#[async_trait]
impl PlannerStore for Db {
    async fn planner_account(&self, user: UserId) -> DomainResult<(bool, Option<String>)> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT a.planner_licensed, a.time_zone FROM memberships m JOIN accounts a ON a.id = m.account_id \
             WHERE m.user_id = $1 AND a.status = 'active' ORDER BY a.id",
        )
        .bind(user.0)
        .fetch_all(self.pool())
        .await
        .db()?;
        let licensed = rows.iter().any(|(l, _)| *l != 0);
        Ok((licensed, rows.into_iter().next().map(|(_, z)| z)))
    }

    async fn account_licensed(&self, account: AccountId) -> DomainResult<Option<bool>> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT planner_licensed FROM accounts WHERE id = $1")
            .bind(account.0)
            .fetch_optional(self.pool())
            .await
            .db()?;
        Ok(row.map(|(l,)| l != 0))
    }

    async fn set_planner_licence(&self, account: AccountId, licensed: bool) -> DomainResult<bool> {
        let _guard = self.write_guard().await;
        let n = sqlx::query("UPDATE accounts SET planner_licensed = $1 WHERE id = $2")
            .bind(i64::from(licensed))
            .bind(account.0)
            .execute(self.pool())
            .await
            .db()?
            .rows_affected();
        Ok(n == 1)
    }

    async fn reserve(&self, new: &NewSession, now: Timestamp) -> DomainResult<Reserved> {
        let mut tx = self.write_tx().await.db()?;
        // The UNIQUE number is the reservation: a number in use (by an
        // entry or a running spontaneous session) is refused here.
        let taken: Option<(i64,)> = sqlx::query_as("SELECT id FROM planner_sessions WHERE number = $1")
            .bind(new.number.value() as i64)
            .fetch_optional(&mut *tx.tx)
            .await
            .db()?;
        if taken.is_some() {
            return Ok(Reserved::NumberTaken);
        }
        let room = insert_room(&mut tx.tx, &new.room).await?;
        let d = new.draft.as_ref();
        let inserted: Result<(i64,), sqlx::Error> = sqlx::query_as(
            "INSERT INTO planner_sessions (number, owner_id, kind, room_id, title, description, starts_at, \
             time_zone, duration_min, phone_info, reminder_min, remind_at, expires_at, uid, sequence, \
             created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 0, $15, $15) RETURNING id",
        )
        .bind(new.number.value() as i64)
        .bind(new.owner.0)
        .bind(new.kind.as_str())
        .bind(room.id)
        .bind(d.map_or(new.room.title.as_str(), |d| d.title.as_str()))
        .bind(d.map_or("", |d| d.description.as_str()))
        .bind(d.map(|d| d.starts_at.millis()))
        .bind(d.map_or("Europe/Berlin", |d| d.time_zone.as_str()))
        .bind(d.map_or(60, |d| d.duration_min))
        .bind(i64::from(d.is_some_and(|d| d.phone_info)))
        .bind(d.and_then(|d| d.reminder_min))
        .bind(new.remind_at.map(Timestamp::millis))
        .bind(new.expires_at.map(Timestamp::millis))
        .bind(&new.uid)
        .bind(now.millis())
        .fetch_one(&mut *tx.tx)
        .await;
        let id = match inserted {
            Ok((id,)) => id,
            // Two creations raced for the same number (PostgreSQL: the
            // second waits for the first and then fails the constraint).
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Ok(Reserved::NumberTaken),
            Err(e) => return Err(e).db(),
        };
        tx.commit().await.db()?;
        let s = self
            .session(id)
            .await?
            .ok_or(kernel::DomainError::not_found("session"))?;
        Ok(Reserved::Created(Box::new(s)))
    }

    async fn sessions_of(&self, owner: UserId, kind: SessionKind) -> DomainResult<Vec<Session>> {
        let order = match kind {
            SessionKind::Planned => "s.starts_at, s.id",
            SessionKind::Spontaneous => "s.id DESC",
        };
        let sql = format!(
            "s.owner_id = $1 AND s.kind = '{}' ORDER BY {order} LIMIT 500",
            kind.as_str()
        );
        self.sessions_where(&sql, owner.0, None).await
    }

    async fn session(&self, id: i64) -> DomainResult<Option<Session>> {
        self.one_session("s.id = $1", id).await
    }

    async fn session_by_number(&self, number: SessionNumber) -> DomainResult<Option<Session>> {
        self.one_session("s.number = $1", number.value() as i64).await
    }

    async fn session_by_room(&self, room_public_id: &str) -> DomainResult<Option<Session>> {
        let sql = format!("{} WHERE r.public_id = $1", *SELECT);
        let row: Option<SessionRow> = sqlx::query_as(&sql)
            .bind(room_public_id)
            .fetch_optional(self.pool())
            .await
            .db()?;
        row.map(TryInto::try_into).transpose()
    }

    async fn update(&self, id: i64, u: &EntryUpdate, mails: &[NewMessage], now: Timestamp) -> DomainResult<()> {
        let mut tx = self.write_tx().await.db()?;
        let d = &u.draft;
        sqlx::query(
            "UPDATE planner_sessions SET title = $1, description = $2, starts_at = $3, time_zone = $4, \
             duration_min = $5, phone_info = $6, reminder_min = $7, remind_at = $8, sequence = $9, updated_at = $10 \
             WHERE id = $11",
        )
        .bind(&d.title)
        .bind(&d.description)
        .bind(d.starts_at.millis())
        .bind(&d.time_zone)
        .bind(d.duration_min)
        .bind(i64::from(d.phone_info))
        .bind(d.reminder_min)
        .bind(u.remind_at.map(Timestamp::millis))
        .bind(u.sequence)
        .bind(now.millis())
        .bind(id)
        .execute(&mut *tx.tx)
        .await
        .db()?;
        sqlx::query("UPDATE rooms SET title = $1 WHERE id = (SELECT room_id FROM planner_sessions WHERE id = $2)")
            .bind(&d.title)
            .bind(id)
            .execute(&mut *tx.tx)
            .await
            .db()?;
        outbox::insert(&mut tx.tx, mails, now).await.db()?;
        tx.commit().await.db()
    }

    async fn delete(&self, id: i64, mails: &[NewMessage], now: Timestamp) -> DomainResult<()> {
        let mut tx = self.write_tx().await.db()?;
        // The room is closed for good: grants handed out before cannot
        // enter it any more.
        sqlx::query(
            "UPDATE rooms SET ended_at = $1 WHERE ended_at IS NULL \
             AND id = (SELECT room_id FROM planner_sessions WHERE id = $2)",
        )
        .bind(now.millis())
        .bind(id)
        .execute(&mut *tx.tx)
        .await
        .db()?;
        sqlx::query("DELETE FROM planner_invitees WHERE session_id = $1")
            .bind(id)
            .execute(&mut *tx.tx)
            .await
            .db()?;
        sqlx::query("DELETE FROM planner_sessions WHERE id = $1")
            .bind(id)
            .execute(&mut *tx.tx)
            .await
            .db()?;
        outbox::insert(&mut tx.tx, mails, now).await.db()?;
        tx.commit().await.db()
    }

    async fn invitees(&self, id: i64) -> DomainResult<Vec<Invitee>> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT email, email_normalized, token_hash FROM planner_invitees WHERE session_id = $1 \
             ORDER BY invited_at, email_normalized",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await
        .db()?;
        Ok(rows
            .into_iter()
            .map(|(email, email_normalized, token_hash)| Invitee {
                email,
                email_normalized,
                token_hash,
            })
            .collect())
    }

    async fn invite(&self, id: i64, invitees: &[Invitee], mails: Vec<NewMessage>, now: Timestamp) -> DomainResult<()> {
        let mut tx = self.write_tx().await.db()?;
        for i in invitees {
            sqlx::query(
                "INSERT INTO planner_invitees (session_id, email, email_normalized, token_hash, invited_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (session_id, email_normalized) \
                 DO UPDATE SET token_hash = excluded.token_hash, email = excluded.email",
            )
            .bind(id)
            .bind(&i.email)
            .bind(&i.email_normalized)
            .bind(&i.token_hash)
            .bind(now.millis())
            .execute(&mut *tx.tx)
            .await
            .db()?;
        }
        outbox::insert(&mut tx.tx, &mails, now).await.db()?;
        tx.commit().await.db()
    }

    async fn invitee_by_token(&self, token_hash: &str) -> DomainResult<Option<(i64, String)>> {
        sqlx::query_as("SELECT session_id, email FROM planner_invitees WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(self.pool())
            .await
            .db()
    }

    async fn due_reminders(&self, now: Timestamp, limit: i64) -> DomainResult<Vec<Session>> {
        self.sessions_where(
            "s.remind_at <= $1 ORDER BY s.remind_at, s.id LIMIT $2",
            now.millis(),
            Some(limit),
        )
        .await
    }

    async fn send_reminder(&self, id: i64, due: Timestamp, mail: &NewMessage, now: Timestamp) -> DomainResult<bool> {
        let mut tx = self.write_tx().await.db()?;
        // Only the run that clears this very due time sends: a second node,
        // a rerun after a crash, or an entry moved meanwhile changes nothing.
        let claimed = sqlx::query(
            "UPDATE planner_sessions SET remind_at = NULL, reminded_at = $1 WHERE id = $2 AND remind_at = $3",
        )
        .bind(now.millis())
        .bind(id)
        .bind(due.millis())
        .execute(&mut *tx.tx)
        .await
        .db()?
        .rows_affected();
        if claimed == 0 {
            return Ok(false);
        }
        outbox::insert(&mut tx.tx, std::slice::from_ref(mail), now).await.db()?;
        tx.commit().await.db()?;
        Ok(true)
    }

    async fn due_expiries(&self, now: Timestamp, limit: i64) -> DomainResult<Vec<Session>> {
        self.sessions_where(
            "s.expires_at <= $1 ORDER BY s.expires_at, s.id LIMIT $2",
            now.millis(),
            Some(limit),
        )
        .await
    }

    async fn keep(&self, id: i64) -> DomainResult<()> {
        let _guard = self.write_guard().await;
        sqlx::query("UPDATE planner_sessions SET expires_at = NULL WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await
            .db()?;
        Ok(())
    }

    async fn release(&self, id: i64) -> DomainResult<()> {
        let _guard = self.write_guard().await;
        sqlx::query("DELETE FROM planner_sessions WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await
            .db()?;
        Ok(())
    }
}
