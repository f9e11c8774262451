//! Meetings: ad-hoc rooms a signed-in user opens and shares by link. The
//! first feature on the room engine, and the model for the others: check
//! who may enter, then hand out a grant.

use std::sync::Arc;

use kernel::{DomainError, DomainResult, UserId};
use serde::{Deserialize, Serialize};

use super::engine::RoomEngine;
use super::model::{NewRoom, RoomRecord, RoomStore};
use super::{MemberId, Role, RoomRules};
use crate::identity::User;
use crate::token::secrets_equal;
use crate::Env;

/// Longest display name in a room.
pub const MAX_NAME_CHARS: usize = 60;
/// Longest room title.
pub const MAX_TITLE_CHARS: usize = 100;

/// A new meeting.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingInput {
    /// Empty: "Besprechung von <first name>".
    #[serde(default)]
    pub title: String,
    /// Guests wait until the host is there.
    #[serde(default)]
    pub waiting_room: bool,
}

/// What a browser needs to enter a room.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Admission {
    pub room: RoomRecord,
    /// The join grant for the socket's first frame.
    pub grant: String,
    pub member: MemberId,
    pub name: String,
    pub role: Role,
}

/// The member id of a signed-in user (the same in every tab, so a second
/// tab takes the first one's place instead of appearing twice).
pub fn user_member(id: UserId) -> MemberId {
    MemberId(format!("u{}", id.0))
}

/// A display name as typed: trimmed, 1–60 characters, no control characters.
pub fn display_name(input: &str, field: &str) -> DomainResult<String> {
    let name = input.trim();
    if name.is_empty() {
        return Err(DomainError::validation(field, "required"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(DomainError::validation_with(
            field,
            "too_long",
            vec![("max", MAX_NAME_CHARS.to_string())],
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(DomainError::validation(field, "invalid"));
    }
    Ok(name.to_string())
}

/// The name someone enters under: what they typed, or a signed-in user's
/// own name when they typed none.
pub fn entry_name(actor: Option<&User>, typed: &str) -> DomainResult<String> {
    match actor {
        Some(user) if typed.trim().is_empty() => Ok(user.display_name()),
        _ => display_name(typed, "name"),
    }
}

#[derive(Clone)]
pub struct RoomService {
    store: Arc<dyn RoomStore>,
    engine: RoomEngine,
    env: Env,
}

impl RoomService {
    pub fn new(store: Arc<dyn RoomStore>, engine: RoomEngine, env: Env) -> Self {
        RoomService { store, engine, env }
    }

    pub fn engine(&self) -> &RoomEngine {
        &self.engine
    }

    /// Opens a meeting hosted by `actor`.
    pub async fn create_meeting(&self, actor: &User, input: &MeetingInput) -> DomainResult<RoomRecord> {
        let title = input.title.trim();
        let title = if title.is_empty() {
            let first = actor.first_name.trim();
            let who = if first.is_empty() {
                actor.display_name()
            } else {
                first.to_string()
            };
            format!("Besprechung von {who}")
        } else if title.chars().count() > MAX_TITLE_CHARS {
            return Err(DomainError::validation_with(
                "title",
                "too_long",
                vec![("max", MAX_TITLE_CHARS.to_string())],
            ));
        } else {
            title.to_string()
        };
        let room = NewRoom {
            public_id: super::new_room_id(),
            kind: "meeting".into(),
            title,
            owner_id: Some(actor.id),
            rules: RoomRules {
                wait_for_host: input.waiting_room,
                ..RoomRules::default()
            },
            created_at: self.env.clock.now(),
        };
        self.store.create_room(&room).await
    }

    /// Opens the permanent room of a card's Info Counter.
    pub async fn create_counter(&self, title: &str) -> DomainResult<RoomRecord> {
        let room = NewRoom {
            public_id: super::new_room_id(),
            kind: "counter".into(),
            title: title.to_string(),
            owner_id: None,
            rules: RoomRules {
                permanent: true,
                ..RoomRules::default()
            },
            created_at: self.env.clock.now(),
        };
        self.store.create_room(&room).await
    }

    /// A counter room by its public id.
    pub async fn counter_room(&self, public_id: &str) -> DomainResult<RoomRecord> {
        self.store
            .room(public_id)
            .await?
            .filter(|r| r.kind == "counter" && r.ended_at.is_none())
            .ok_or(DomainError::not_found("room"))
    }

    /// A room of the given kind by its public id.
    pub async fn room_of_kind(&self, public_id: &str, kind: &str) -> DomainResult<Option<RoomRecord>> {
        Ok(self.store.room(public_id).await?.filter(|r| r.kind == kind))
    }

    /// Who is present in a room on this node now.
    pub fn present(&self, public_id: &str) -> Vec<MemberId> {
        self.engine.present(public_id)
    }

    /// The actor's meetings, newest first.
    pub async fn meetings(&self, actor: &User) -> DomainResult<Vec<RoomRecord>> {
        self.store.rooms_of(actor.id, 50).await
    }

    /// A meeting of the actor's; anybody else's is "not found".
    pub async fn meeting(&self, actor: &User, public_id: &str) -> DomainResult<RoomRecord> {
        self.store
            .room(public_id)
            .await?
            .filter(|r| r.kind == "meeting" && r.owner_id == Some(actor.id))
            .ok_or(DomainError::not_found("room"))
    }

    /// The invitation link of a meeting the caller got through an
    /// access-checked call ([`Self::meeting`], [`Self::host`]).
    pub async fn invite_link(&self, room: &RoomRecord) -> DomainResult<String> {
        let code = self.engine.invite_code(&room.public_id).await?;
        Ok(self.env.link(&format!("/m/{}?k={code}", room.public_id)))
    }

    /// Refuses ended rooms. Callers flush the engine's writes first, so a
    /// room its host just ended in the live room counts as ended.
    fn open(room: RoomRecord) -> DomainResult<RoomRecord> {
        if room.ended_at.is_some() {
            return Err(DomainError::conflict("room", "room_ended"));
        }
        Ok(room)
    }

    /// Hands out a grant for a room the caller checked access to.
    pub async fn admit(&self, room: RoomRecord, member: MemberId, name: String, role: Role) -> DomainResult<Admission> {
        let grant = self.engine.grant(&room, member.clone(), &name, role).await?;
        Ok(Admission {
            room,
            grant,
            member,
            name,
            role,
        })
    }

    /// The host enters their own meeting.
    pub async fn host(&self, actor: &User, public_id: &str) -> DomainResult<Admission> {
        self.engine.flush().await;
        let room = Self::open(self.meeting(actor, public_id).await?)?;
        self.admit(room, user_member(actor.id), actor.display_name(), Role::Host)
            .await
    }

    /// Someone with the invitation link enters: a signed-in user under
    /// their own name (the owner as host), anyone else as a guest under
    /// the name they typed. A wrong code is "not found", like a wrong id.
    pub async fn invited(
        &self,
        public_id: &str,
        code: &str,
        actor: Option<&User>,
        name: &str,
    ) -> DomainResult<Admission> {
        let room = self.invitation(public_id, code).await?;
        match actor {
            Some(user) if room.owner_id == Some(user.id) => {
                self.admit(room, user_member(user.id), user.display_name(), Role::Host)
                    .await
            }
            Some(user) => {
                self.admit(room, user_member(user.id), user.display_name(), Role::Participant)
                    .await
            }
            None => {
                let name = display_name(name, "name")?;
                let member = MemberId::guest();
                self.admit(room, member, name, Role::Guest).await
            }
        }
    }

    /// The meeting an invitation link leads to, if the code is right and
    /// it has not ended.
    pub async fn invitation(&self, public_id: &str, code: &str) -> DomainResult<RoomRecord> {
        self.engine.flush().await;
        let room = self
            .store
            .room(public_id)
            .await?
            .filter(|r| r.kind == "meeting")
            .ok_or(DomainError::not_found("room"))?;
        let expected = self.engine.invite_code(&room.public_id).await?;
        if !secrets_equal(code, &expected) {
            return Err(DomainError::not_found("room"));
        }
        Self::open(room)
    }

    /// Ends one of the actor's meetings for everyone; the link stops working.
    pub async fn end(&self, actor: &User, public_id: &str) -> DomainResult<()> {
        let room = self.meeting(actor, public_id).await?;
        if room.ended_at.is_none() {
            self.engine.end_room(&room).await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_are_checked() {
        assert_eq!(display_name("  Jürgen Groß ", "name").unwrap(), "Jürgen Groß");
        assert_eq!(display_name(&"ö".repeat(60), "name").unwrap().chars().count(), 60);
        for bad in ["", "   ", "a\u{7}b"] {
            assert!(display_name(bad, "name").is_err(), "{bad:?}");
        }
        let err = display_name(&"ö".repeat(61), "name").unwrap_err();
        assert_eq!(err.code(), "too_long");
    }
}
