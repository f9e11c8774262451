//! Realtime rooms (issue 6, work in progress): the shared engine of the
//! info counter, conference rooms and sessions. This part is the room's
//! rules and the wire protocol, free of sockets and storage; the WebSocket
//! transport, persistence, pub/sub and browser client build on it.

pub mod protocol;
mod room;

use serde::{Deserialize, Serialize};

pub use room::{Out, Room, RoomRules, To, CHAT_BURST, CHAT_WINDOW_MS, HISTORY};

/// A member of a room: one per person (the same id when a browser tab
/// reconnects, so presence has no duplicates).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MemberId(pub String);

/// Roles, with the marks the participant list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Host or moderator: controls the room; their arrival admits those waiting.
    Host,
    /// Staff (e.g. the company's team at its info counter): never waits.
    Staff,
    Participant,
    Guest,
}
