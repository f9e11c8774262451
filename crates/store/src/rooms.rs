use async_trait::async_trait;
use domain::rooms::protocol::ChatLine;
use domain::rooms::{MemberId, NewRoom, Role, RoomRecord, RoomStore, RoomWrite};
use kernel::{DomainResult, Timestamp, UserId};

use crate::db::Db;
use crate::error::MapDb;

pub(crate) const ROOM_COLUMNS: &str = "id, public_id, kind, title, owner_id, max_members, wait_for_host, \
    end_if_nobody_joins_ms, locked, permanent, host_leave_grace_ms, created_at, joined_at, ended_at";

#[derive(sqlx::FromRow)]
pub(crate) struct RoomRow {
    id: i64,
    public_id: String,
    kind: String,
    title: String,
    owner_id: Option<i64>,
    max_members: i64,
    wait_for_host: i64,
    end_if_nobody_joins_ms: Option<i64>,
    locked: i64,
    permanent: i64,
    host_leave_grace_ms: Option<i64>,
    created_at: i64,
    joined_at: Option<i64>,
    ended_at: Option<i64>,
}

impl From<RoomRow> for RoomRecord {
    fn from(r: RoomRow) -> Self {
        RoomRecord {
            id: r.id,
            public_id: r.public_id,
            kind: r.kind,
            title: r.title,
            owner_id: r.owner_id.map(UserId),
            max_members: r.max_members.max(1) as usize,
            wait_for_host: r.wait_for_host != 0,
            end_if_nobody_joins_ms: r.end_if_nobody_joins_ms,
            locked: r.locked != 0,
            permanent: r.permanent != 0,
            host_leave_grace_ms: r.host_leave_grace_ms,
            created_at: Timestamp(r.created_at),
            joined_at: r.joined_at.map(Timestamp),
            ended_at: r.ended_at.map(Timestamp),
        }
    }
}

#[derive(sqlx::FromRow)]
struct LineRow {
    seq: i64,
    member_id: String,
    name: String,
    role: String,
    body: String,
    sent_at: i64,
}

#[async_trait]
impl RoomStore for Db {
    async fn create_room(&self, room: &NewRoom) -> DomainResult<RoomRecord> {
        let mut conn = self.pool().acquire().await.db()?;
        insert_room(&mut conn, room).await
    }

    async fn room(&self, public_id: &str) -> DomainResult<Option<RoomRecord>> {
        let row: Option<RoomRow> = sqlx::query_as(&format!("SELECT {ROOM_COLUMNS} FROM rooms WHERE public_id = $1"))
            .bind(public_id)
            .fetch_optional(self.pool())
            .await
            .db()?;
        Ok(row.map(Into::into))
    }

    async fn rooms_of(&self, owner: UserId, limit: i64) -> DomainResult<Vec<RoomRecord>> {
        let rows: Vec<RoomRow> = sqlx::query_as(&format!(
            "SELECT {ROOM_COLUMNS} FROM rooms WHERE owner_id = $1 AND kind = 'meeting' \
             ORDER BY created_at DESC, id DESC LIMIT $2"
        ))
        .bind(owner.0)
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .db()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn chat_history(&self, room: i64, limit: usize) -> DomainResult<Vec<ChatLine>> {
        let rows: Vec<LineRow> = sqlx::query_as(
            "SELECT seq, member_id, name, role, body, sent_at FROM room_messages WHERE room_id = $1 \
             ORDER BY seq DESC LIMIT $2",
        )
        .bind(room)
        .bind(limit as i64)
        .fetch_all(self.pool())
        .await
        .db()?;
        Ok(rows
            .into_iter()
            .rev()
            .map(|r| ChatLine {
                id: r.seq as u64,
                from: MemberId(r.member_id),
                name: r.name,
                role: Role::parse(&r.role).unwrap_or(Role::Guest),
                text: r.body,
                at: r.sent_at,
            })
            .collect())
    }

    async fn apply(&self, writes: &[RoomWrite]) -> DomainResult<()> {
        let mut tx = self.write_tx().await.db()?;
        // Chat lines of a batch go in multi-row INSERTs (a busy node writes
        // hundreds per batch); other writes in order between them.
        let mut lines: Vec<(i64, &ChatLine)> = Vec::new();
        for w in writes {
            match w {
                RoomWrite::Chat { room, line } => {
                    lines.push((*room, line));
                    continue;
                }
                RoomWrite::Locked { room, locked } => {
                    insert_lines(&mut tx.tx, &mut lines).await?;
                    sqlx::query("UPDATE rooms SET locked = $1 WHERE id = $2")
                        .bind(*locked as i64)
                        .bind(*room)
                        .execute(&mut *tx.tx)
                        .await
                        .db()?;
                }
                RoomWrite::Joined { room, at } => {
                    sqlx::query("UPDATE rooms SET joined_at = COALESCE(joined_at, $1) WHERE id = $2")
                        .bind(at.millis())
                        .bind(*room)
                        .execute(&mut *tx.tx)
                        .await
                        .db()?;
                }
                RoomWrite::Reset { room } => {
                    // Lines of this batch belong to the conference that is over.
                    lines.retain(|(r, _)| r != room);
                    sqlx::query("UPDATE rooms SET locked = 0 WHERE id = $1")
                        .bind(*room)
                        .execute(&mut *tx.tx)
                        .await
                        .db()?;
                    sqlx::query("DELETE FROM room_messages WHERE room_id = $1")
                        .bind(*room)
                        .execute(&mut *tx.tx)
                        .await
                        .db()?;
                }
                RoomWrite::Ended { room, at } => {
                    insert_lines(&mut tx.tx, &mut lines).await?;
                    sqlx::query("UPDATE rooms SET ended_at = COALESCE(ended_at, $1) WHERE id = $2")
                        .bind(at.millis())
                        .bind(*room)
                        .execute(&mut *tx.tx)
                        .await
                        .db()?;
                }
            }
        }
        insert_lines(&mut tx.tx, &mut lines).await?;
        tx.commit().await.db()
    }

    async fn server_key(&self, name: &str, fresh: &str, now: Timestamp) -> DomainResult<String> {
        sqlx::query(
            "INSERT INTO server_keys (name, secret, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(fresh)
        .bind(now.millis())
        .execute(self.pool())
        .await
        .db()?;
        let (secret,): (String,) = sqlx::query_as("SELECT secret FROM server_keys WHERE name = $1")
            .bind(name)
            .fetch_one(self.pool())
            .await
            .db()?;
        Ok(secret)
    }
}

/// Inserts a room (also inside other features' transactions).
pub(crate) async fn insert_room(conn: &mut sqlx::AnyConnection, room: &NewRoom) -> DomainResult<RoomRecord> {
    let row: RoomRow = sqlx::query_as(&format!(
        "INSERT INTO rooms (public_id, kind, title, owner_id, max_members, wait_for_host, \
         end_if_nobody_joins_ms, permanent, host_leave_grace_ms, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {ROOM_COLUMNS}"
    ))
    .bind(&room.public_id)
    .bind(&room.kind)
    .bind(&room.title)
    .bind(room.owner_id.map(|u| u.0))
    .bind(room.rules.max_members as i64)
    .bind(room.rules.wait_for_host as i64)
    .bind(room.rules.end_if_nobody_joins_ms)
    .bind(room.rules.permanent as i64)
    .bind(room.rules.host_leave_grace_ms)
    .bind(room.created_at.millis())
    .fetch_one(&mut *conn)
    .await
    .db()?;
    Ok(row.into())
}

/// Rows per INSERT: 7 parameters each, well below SQLite's limit.
const LINES_PER_INSERT: usize = 100;

async fn insert_lines(conn: &mut sqlx::AnyConnection, lines: &mut Vec<(i64, &ChatLine)>) -> DomainResult<()> {
    for chunk in lines.chunks(LINES_PER_INSERT) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                let b = i * 7;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO room_messages (room_id, seq, member_id, name, role, body, sent_at) VALUES {} \
             ON CONFLICT (room_id, seq) DO NOTHING",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for (room, line) in chunk {
            q = q
                .bind(*room)
                .bind(line.id as i64)
                .bind(&line.from.0)
                .bind(&line.name)
                .bind(line.role.as_str())
                .bind(&line.text)
                .bind(line.at);
        }
        q.execute(&mut *conn).await.db()?;
    }
    lines.clear();
    Ok(())
}
