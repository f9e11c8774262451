//! What is stored about rooms, and the storage port.

use async_trait::async_trait;
use kernel::{DomainResult, Timestamp, UserId};
use serde::Serialize;

use super::protocol::ChatLine;
use super::RoomRules;

/// A room as stored. Its live state (who is present) is in the engine.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RoomRecord {
    #[serde(skip)]
    pub id: i64,
    /// Random id used in links and grants.
    #[serde(rename = "id")]
    pub public_id: String,
    /// The feature that owns the room (`meeting`, later `counter`, `conference`, `session`).
    pub kind: String,
    pub title: String,
    #[serde(skip)]
    pub owner_id: Option<UserId>,
    pub max_members: usize,
    pub wait_for_host: bool,
    /// Ends this long after creation when nobody but the host came.
    pub end_if_nobody_joins_ms: Option<i64>,
    pub locked: bool,
    /// Outlives its conferences (personal conference rooms, info counters).
    pub permanent: bool,
    /// The moderator-leave rule: the conference ends this long after the
    /// last host left (`None`: no such rule).
    pub host_leave_grace_ms: Option<i64>,
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
    /// First arrival of someone other than the host.
    #[schema(value_type = Option<i64>)]
    pub joined_at: Option<Timestamp>,
    #[schema(value_type = Option<i64>)]
    pub ended_at: Option<Timestamp>,
}

impl RoomRecord {
    pub fn rules(&self) -> RoomRules {
        RoomRules {
            max_members: self.max_members,
            wait_for_host: self.wait_for_host,
            end_if_nobody_joins_ms: self.end_if_nobody_joins_ms,
            host_leave_grace_ms: self.host_leave_grace_ms,
            permanent: self.permanent,
        }
    }
}

/// A room to create.
#[derive(Debug, Clone)]
pub struct NewRoom {
    pub public_id: String,
    pub kind: String,
    pub title: String,
    pub owner_id: Option<UserId>,
    pub rules: RoomRules,
    pub created_at: Timestamp,
}

/// A change to a room's stored state, written behind the live room.
#[derive(Debug, Clone, PartialEq)]
pub enum RoomWrite {
    Chat {
        room: i64,
        line: ChatLine,
    },
    Locked {
        room: i64,
        locked: bool,
    },
    Joined {
        room: i64,
        at: Timestamp,
    },
    Ended {
        room: i64,
        at: Timestamp,
    },
    /// A permanent room's conference is over: unlocked, chat cleared.
    Reset {
        room: i64,
    },
}

/// Storage of rooms and their chat.
#[async_trait]
pub trait RoomStore: Send + Sync {
    async fn create_room(&self, room: &NewRoom) -> DomainResult<RoomRecord>;
    async fn room(&self, public_id: &str) -> DomainResult<Option<RoomRecord>>;
    /// The owner's meetings (kind `meeting`), newest first.
    async fn rooms_of(&self, owner: UserId, limit: i64) -> DomainResult<Vec<RoomRecord>>;
    /// The newest `limit` chat lines, oldest first.
    async fn chat_history(&self, room: i64, limit: usize) -> DomainResult<Vec<ChatLine>>;
    /// Applies writes in order, in one transaction.
    async fn apply(&self, writes: &[RoomWrite]) -> DomainResult<()>;
    /// The secret called `name`, created from `fresh` on first use (every
    /// node gets the same one).
    async fn server_key(&self, name: &str, fresh: &str, now: Timestamp) -> DomainResult<String>;
}
