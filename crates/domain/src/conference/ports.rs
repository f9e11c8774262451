//! What is stored about conference rooms, and the storage port.

use async_trait::async_trait;
use kernel::{DomainResult, Lang, Timestamp, UserId};

use super::model::RoomNumber;
use crate::outbox::NewMessage;
use crate::rooms::{NewRoom, RoomRecord};

/// A customer's personal conference room.
#[derive(Debug, Clone)]
pub struct ConferenceRecord {
    pub number: RoomNumber,
    pub owner: UserId,
    /// For the alert e-mail about wrong PINs.
    pub owner_email: String,
    pub owner_first_name: String,
    pub owner_language: Lang,
    /// The permanent room on the realtime engine.
    pub room: RoomRecord,
    pub moderator_pin_hash: String,
    /// `None` until the owner set the PINs.
    pub participant_pin_hash: Option<String>,
    pub pins_set_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

impl ConferenceRecord {
    /// The owner set both PINs (required before the room is used).
    pub fn pins_set(&self) -> bool {
        self.pins_set_at.is_some()
    }
}

/// A room to hand out: the number, its room and the access PIN's hash.
#[derive(Debug, Clone)]
pub struct NewConference {
    pub number: RoomNumber,
    pub owner: UserId,
    pub room: NewRoom,
    pub access_pin_hash: String,
}

/// What [`ConferenceStore::provision`] did.
#[derive(Debug, Clone)]
pub enum Provisioned {
    /// Number, room and welcome e-mail stored together.
    Created(Box<ConferenceRecord>),
    /// The owner had a room already; nothing was written.
    Existing(Box<ConferenceRecord>),
    /// The number was handed out before (perhaps to a deleted user): try another.
    NumberTaken,
}

#[async_trait]
pub trait ConferenceStore: Send + Sync {
    /// Gives the owner the number, the room and the welcome e-mail in one
    /// transaction, unless they have a room already.
    async fn provision(&self, new: &NewConference, mails: &[NewMessage], now: Timestamp) -> DomainResult<Provisioned>;
    async fn conference_of(&self, owner: UserId) -> DomainResult<Option<ConferenceRecord>>;
    async fn conference_by_number(&self, number: RoomNumber) -> DomainResult<Option<ConferenceRecord>>;
    /// Whose the number is: `None` never handed out, `Some(None)` a
    /// tombstone (its user was deleted), `Some(Some(user))` in use.
    async fn number_holder(&self, number: RoomNumber) -> DomainResult<Option<Option<UserId>>>;
    async fn set_pins(
        &self,
        owner: UserId,
        moderator_hash: &str,
        participant_hash: &str,
        now: Timestamp,
    ) -> DomainResult<()>;
    /// The moderator-leave rule of the owner's room.
    async fn set_host_leave(&self, owner: UserId, grace_ms: i64) -> DomainResult<()>;
}
