//! Conference rooms: numbers (with tombstones), PIN hashes, the room.

use std::sync::LazyLock;

use async_trait::async_trait;
use domain::conference::{ConferenceRecord, ConferenceStore, NewConference, Provisioned, RoomNumber};
use domain::outbox::NewMessage;
use kernel::{DomainResult, Lang, Timestamp, UserId};

use crate::db::Db;
use crate::error::MapDb;
use crate::outbox;
use crate::rooms::{insert_room, RoomRow, ROOM_COLUMNS};

#[derive(sqlx::FromRow)]
struct ConferenceRow {
    number: i64,
    user_id: i64,
    email: String,
    first_name: String,
    language: String,
    moderator_pin_hash: String,
    participant_pin_hash: Option<String>,
    pins_set_at: Option<i64>,
    conference_created_at: i64,
    #[sqlx(flatten)]
    room: RoomRow,
}

/// Conference, owner and room in one row.
static SELECT: LazyLock<String> = LazyLock::new(|| {
    let room: Vec<String> = ROOM_COLUMNS.split(", ").map(|c| format!("r.{c}")).collect();
    format!(
        "SELECT c.number, c.user_id, u.email, u.first_name, u.language, c.moderator_pin_hash, \
         c.participant_pin_hash, c.pins_set_at, c.created_at AS conference_created_at, {} \
         FROM conference_rooms c JOIN users u ON u.id = c.user_id JOIN rooms r ON r.id = c.room_id",
        room.join(", ")
    )
});

impl TryFrom<ConferenceRow> for ConferenceRecord {
    type Error = kernel::DomainError;

    fn try_from(r: ConferenceRow) -> Result<Self, Self::Error> {
        Ok(ConferenceRecord {
            number: RoomNumber::from_stored(r.number)?,
            owner: UserId(r.user_id),
            owner_email: r.email,
            owner_first_name: r.first_name,
            owner_language: Lang::parse(&r.language).unwrap_or(Lang::De),
            room: r.room.into(),
            moderator_pin_hash: r.moderator_pin_hash,
            participant_pin_hash: r.participant_pin_hash,
            pins_set_at: r.pins_set_at.map(Timestamp),
            created_at: Timestamp(r.conference_created_at),
        })
    }
}

impl Db {
    async fn conference_where(&self, column: &str, value: i64) -> DomainResult<Option<ConferenceRecord>> {
        let row: Option<ConferenceRow> = sqlx::query_as(&format!("{} WHERE {column} = $1", *SELECT))
            .bind(value)
            .fetch_optional(self.pool())
            .await
            .db()?;
        row.map(TryInto::try_into).transpose()
    }
}

#[async_trait]
impl ConferenceStore for Db {
    async fn provision(&self, new: &NewConference, mails: &[NewMessage], now: Timestamp) -> DomainResult<Provisioned> {
        let mut tx = self.write_tx().await.db()?;
        // A conflict is either the number (handed out before, tombstones
        // included) or the owner (who got a room meanwhile).
        let claimed = sqlx::query(
            "INSERT INTO conference_numbers (number, user_id, assigned_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(new.number.value() as i64)
        .bind(new.owner.0)
        .bind(now.millis())
        .execute(&mut *tx.tx)
        .await
        .db()?
        .rows_affected();
        if claimed == 0 {
            drop(tx);
            return Ok(match self.conference_of(new.owner).await? {
                Some(rec) => Provisioned::Existing(Box::new(rec)),
                None => Provisioned::NumberTaken,
            });
        }
        let room = insert_room(&mut tx.tx, &new.room).await?;
        sqlx::query(
            "INSERT INTO conference_rooms (number, user_id, room_id, moderator_pin_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(new.number.value() as i64)
        .bind(new.owner.0)
        .bind(room.id)
        .bind(&new.access_pin_hash)
        .bind(now.millis())
        .execute(&mut *tx.tx)
        .await
        .db()?;
        outbox::insert(&mut tx.tx, mails, now).await.db()?;
        tx.commit().await.db()?;
        let rec = self
            .conference_of(new.owner)
            .await?
            .ok_or(kernel::DomainError::not_found("conference"))?;
        Ok(Provisioned::Created(Box::new(rec)))
    }

    async fn conference_of(&self, owner: UserId) -> DomainResult<Option<ConferenceRecord>> {
        self.conference_where("c.user_id", owner.0).await
    }

    async fn conference_by_number(&self, number: RoomNumber) -> DomainResult<Option<ConferenceRecord>> {
        self.conference_where("c.number", number.value() as i64).await
    }

    async fn number_holder(&self, number: RoomNumber) -> DomainResult<Option<Option<UserId>>> {
        let row: Option<(Option<i64>,)> = sqlx::query_as("SELECT user_id FROM conference_numbers WHERE number = $1")
            .bind(number.value() as i64)
            .fetch_optional(self.pool())
            .await
            .db()?;
        Ok(row.map(|(user,)| user.map(UserId)))
    }

    async fn set_pins(
        &self,
        owner: UserId,
        moderator_hash: &str,
        participant_hash: &str,
        now: Timestamp,
    ) -> DomainResult<()> {
        let _guard = self.write_guard().await;
        sqlx::query(
            "UPDATE conference_rooms SET moderator_pin_hash = $1, participant_pin_hash = $2, pins_set_at = $3 \
             WHERE user_id = $4",
        )
        .bind(moderator_hash)
        .bind(participant_hash)
        .bind(now.millis())
        .bind(owner.0)
        .execute(self.pool())
        .await
        .db()?;
        Ok(())
    }

    async fn set_host_leave(&self, owner: UserId, grace_ms: i64) -> DomainResult<()> {
        let _guard = self.write_guard().await;
        sqlx::query(
            "UPDATE rooms SET host_leave_grace_ms = $1 WHERE id = (SELECT room_id FROM conference_rooms WHERE user_id = $2)",
        )
        .bind(grace_ms)
        .bind(owner.0)
        .execute(self.pool())
        .await
        .db()?;
        Ok(())
    }
}
