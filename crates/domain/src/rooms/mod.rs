//! Realtime rooms: the shared engine of the info counter, conference rooms
//! and sessions (docs/realtime-protocol.md). `room` holds one room's rules
//! as a state machine and `protocol` the wire format, both free of I/O;
//! `engine` runs live rooms on a node, `bus` carries frames to
//! connections (in-process now, pluggable for several nodes), `grant`
//! signs the tickets features hand out, and `service` is the first
//! feature on top: ad-hoc meetings shared by link.

mod bus;
mod engine;
mod grant;
mod model;
pub mod protocol;
mod room;
mod service;

pub use bus::{Conn, ConnId, Frame, LocalBus, RoomBus, CONNECTION_QUEUE};
pub use engine::{error_frame, Closed, Connection, EngineConfig, LiveRoom, RoomEngine};
pub use grant::{Grant, GrantKey, GRANT_TTL_MS};
pub use model::{NewRoom, RoomRecord, RoomStore, RoomWrite};
pub use room::{Out, Room, RoomRules, To, CHAT_BURST, CHAT_WINDOW_MS, HISTORY};
use serde::{Deserialize, Serialize};
pub use service::{
    display_name, entry_name, user_member, Admission, MeetingInput, RoomService, MAX_NAME_CHARS, MAX_TITLE_CHARS,
};

/// A member of a room: one per person (the same id when a browser tab
/// reconnects, so presence has no duplicates).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct MemberId(pub String);

impl MemberId {
    /// A fresh member id for someone without an account (one per entry).
    pub fn guest() -> Self {
        MemberId(format!("g{}", &crate::token::new_token()[..16]))
    }
}

impl MemberId {
    /// A fresh member id for a phone caller (`t…`: the web page shows a
    /// phone mark for these).
    pub fn phone() -> Self {
        MemberId(format!("t{}", &crate::token::new_token()[..16]))
    }

    /// Whether the member is on the phone.
    pub fn is_phone(&self) -> bool {
        self.0.starts_with('t')
    }
}

/// A fresh random public id for a new room (used in links and grants).
pub fn new_room_id() -> String {
    crate::token::new_token()[..16].to_string()
}

/// Roles, with the marks the participant list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Host or moderator: controls the room; their arrival admits those waiting.
    Host,
    /// Staff (e.g. the company's team at its info counter): never waits.
    Staff,
    Participant,
    Guest,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Host => "host",
            Role::Staff => "staff",
            Role::Participant => "participant",
            Role::Guest => "guest",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        [Role::Host, Role::Staff, Role::Participant, Role::Guest]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}
