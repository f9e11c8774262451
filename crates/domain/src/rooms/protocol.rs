//! The realtime protocol, version 1 (docs/realtime-protocol.md): JSON text
//! frames, one object each with a `type`. Everything a client sends is
//! checked here before it touches a room; bad frames become an error
//! frame with a stable code, never a panic.

use serde::{Deserialize, Serialize};

use super::{MemberId, Role};

/// The protocol version servers speak; sent in `welcome`.
pub const PROTOCOL_VERSION: u32 = 1;
/// Largest frame accepted (SDP offers with many candidates fit easily).
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Longest chat message, in characters.
pub const MAX_CHAT_CHARS: usize = 2000;

/// What a client may send.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    Chat {
        text: String,
    },
    Typing {
        on: bool,
    },
    /// What the member sends now (shown in the participant list; tells
    /// the others which tile to show).
    Media(Media),
    /// WebRTC signaling, relayed as is to one member of the same room.
    Signal {
        to: MemberId,
        signal: Signal,
    },
    /// Host controls.
    Lock {
        locked: bool,
    },
    Admit {
        member: MemberId,
    },
    Remove {
        member: MemberId,
    },
    Mute {
        member: MemberId,
    },
    End,
    Leave,
    Ping,
}

/// The WebRTC payloads that can be relayed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Signal {
    Offer { sdp: String },
    Answer { sdp: String },
    Ice { candidate: serde_json::Value },
}

/// Which media a member sends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Media {
    pub audio: bool,
    pub video: bool,
    pub screen: bool,
}

/// A member as others see them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberView {
    pub id: MemberId,
    pub name: String,
    pub role: Role,
    pub media: Media,
}

/// A chat line (also in the history sent on join).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatLine {
    pub id: u64,
    pub from: MemberId,
    pub name: String,
    pub role: Role,
    pub text: String,
    /// Milliseconds since the epoch.
    pub at: i64,
}

/// What the server sends.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    Welcome {
        protocol: u32,
        you: MemberView,
        members: Vec<MemberView>,
        history: Vec<ChatLine>,
        locked: bool,
    },
    Waiting {
        /// How many are waiting (including this member).
        waiting: usize,
    },
    Joined {
        member: MemberView,
    },
    Left {
        member: MemberId,
        reason: LeaveReason,
    },
    Chat(ChatLine),
    Typing {
        from: MemberId,
        on: bool,
    },
    Media {
        from: MemberId,
        #[serde(flatten)]
        media: Media,
    },
    Signal {
        from: MemberId,
        signal: Signal,
    },
    Locked {
        locked: bool,
    },
    MuteRequest {
        by: MemberId,
    },
    Ended {
        reason: EndReason,
    },
    /// The last host left; the conference ends at `ends_at` (ms since
    /// epoch) unless a host comes back.
    HostLeft {
        ends_at: i64,
    },
    /// A host is back: the countdown is off.
    HostBack,
    Pong,
    Error {
        code: ErrorCode,
        message: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaveReason {
    Left,
    Removed,
    /// The connection was gone longer than the grace period.
    Gone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// The host ended it for everyone.
    Host,
    /// Its lifetime rule ran out (e.g. nobody came).
    Expired,
    /// The moderator left and did not come back within the room's grace period.
    HostLeft,
}

/// Stable error codes of error frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    FrameTooLarge,
    Malformed,
    UnknownType,
    ChatEmpty,
    ChatTooLong,
    RateLimited,
    NotAllowed,
    NoSuchMember,
    NotInRoom,
    Waiting,
    RoomLocked,
    RoomFull,
    RoomEnded,
    /// The first frame was not a `join` with a valid grant for this room.
    Unauthorized,
}

impl ErrorCode {
    fn text(self) -> &'static str {
        match self {
            ErrorCode::FrameTooLarge => "frame larger than 64 KiB",
            ErrorCode::Malformed => "not a valid message",
            ErrorCode::UnknownType => "unknown message type",
            ErrorCode::ChatEmpty => "chat message is empty",
            ErrorCode::ChatTooLong => "chat message longer than 2000 characters",
            ErrorCode::RateLimited => "too many messages, slow down",
            ErrorCode::NotAllowed => "only the host may do that",
            ErrorCode::NoSuchMember => "no such member in this room",
            ErrorCode::NotInRoom => "not a member of this room",
            ErrorCode::Waiting => "still waiting to be admitted",
            ErrorCode::RoomLocked => "the room is locked",
            ErrorCode::RoomFull => "the room is full",
            ErrorCode::RoomEnded => "the room has ended",
            ErrorCode::Unauthorized => "join with a valid grant for this room first",
        }
    }

    /// The error frame for this code.
    pub fn frame(self) -> ServerMessage {
        ServerMessage::Error {
            code: self,
            message: self.text().to_string(),
        }
    }
}

const KNOWN_TYPES: [&str; 11] = [
    "chat", "typing", "media", "signal", "lock", "admit", "remove", "mute", "end", "leave", "ping",
];

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum First {
    Join { grant: String },
}

/// Reads the first frame of a connection, which must be
/// `{"type":"join","grant":"…"}`; returns the grant.
pub fn parse_join(frame: &str) -> Result<String, ErrorCode> {
    if frame.len() > MAX_FRAME_BYTES {
        return Err(ErrorCode::FrameTooLarge);
    }
    serde_json::from_str::<First>(frame)
        .map(|First::Join { grant }| grant)
        .map_err(|_| ErrorCode::Unauthorized)
}

/// Reads one text frame. Distinguishes "not JSON / wrong fields" from "a
/// type this server does not know" so clients can tell a bug from a
/// version mismatch.
pub fn parse(frame: &str) -> Result<ClientMessage, ErrorCode> {
    if frame.len() > MAX_FRAME_BYTES {
        return Err(ErrorCode::FrameTooLarge);
    }
    let value: serde_json::Value = serde_json::from_str(frame).map_err(|_| ErrorCode::Malformed)?;
    let known = value
        .get("type")
        .and_then(|t| t.as_str())
        .map(|t| KNOWN_TYPES.contains(&t));
    match known {
        None => Err(ErrorCode::Malformed),
        Some(false) => Err(ErrorCode::UnknownType),
        Some(true) => serde_json::from_value(value).map_err(|_| ErrorCode::Malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses_precisely() {
        assert_eq!(
            parse(r#"{"type":"chat","text":"Hallo"}"#),
            Ok(ClientMessage::Chat { text: "Hallo".into() })
        );
        assert_eq!(
            parse(r#"{"type":"signal","to":"m2","signal":{"kind":"offer","sdp":"v=0"}}"#),
            Ok(ClientMessage::Signal {
                to: MemberId("m2".into()),
                signal: Signal::Offer { sdp: "v=0".into() }
            })
        );
        assert_eq!(parse("{nope"), Err(ErrorCode::Malformed));
        assert_eq!(parse(r#"{"text":"x"}"#), Err(ErrorCode::Malformed));
        assert_eq!(parse(r#"{"type":"dance"}"#), Err(ErrorCode::UnknownType));
        assert_eq!(parse(r#"{"type":"chat"}"#), Err(ErrorCode::Malformed));
        assert_eq!(
            parse(r#"{"type":"chat","text":"x","extra":1}"#),
            Err(ErrorCode::Malformed)
        );
        let big = format!(r#"{{"type":"chat","text":"{}"}}"#, "x".repeat(MAX_FRAME_BYTES));
        assert_eq!(parse(&big), Err(ErrorCode::FrameTooLarge));
    }

    #[test]
    fn the_first_frame_is_a_join() {
        assert_eq!(parse_join(r#"{"type":"join","grant":"g"}"#), Ok("g".into()));
        assert_eq!(
            parse_join(r#"{"type":"chat","text":"x"}"#),
            Err(ErrorCode::Unauthorized)
        );
        assert_eq!(parse_join("nope"), Err(ErrorCode::Unauthorized));
    }

    #[test]
    fn server_frames_are_tagged() {
        let f = serde_json::to_value(ErrorCode::RoomLocked.frame()).unwrap();
        assert_eq!(f["type"], "error");
        assert_eq!(f["code"], "room_locked");
        let f = serde_json::to_value(ServerMessage::Left {
            member: MemberId("m1".into()),
            reason: LeaveReason::Gone,
        })
        .unwrap();
        assert_eq!(f, serde_json::json!({"type": "left", "member": "m1", "reason": "gone"}));
    }
}
