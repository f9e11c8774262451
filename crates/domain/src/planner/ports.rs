//! What the planner needs from storage.

use async_trait::async_trait;
use kernel::{DomainResult, Timestamp, UserId};

use super::model::{EntryDraft, Session, SessionKind, SessionNumber};
use crate::outbox::NewMessage;
use crate::rooms::NewRoom;

/// A session to store with its room.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub number: SessionNumber,
    pub kind: SessionKind,
    pub owner: UserId,
    pub room: NewRoom,
    /// Planned entries only.
    pub draft: Option<EntryDraft>,
    pub remind_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    pub uid: String,
}

/// The outcome of reserving a number.
#[derive(Debug)]
pub enum Reserved {
    Created(Box<Session>),
    /// The number is in use; try another.
    NumberTaken,
}

/// Someone invited to an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitee {
    pub email: String,
    pub email_normalized: String,
    pub token_hash: String,
}

/// A change of an entry.
#[derive(Debug, Clone)]
pub struct EntryUpdate {
    pub draft: EntryDraft,
    pub remind_at: Option<Timestamp>,
    pub sequence: i64,
}

#[async_trait]
pub trait PlannerStore: Send + Sync {
    /// Whether one of the user's customer accounts has the planner booked,
    /// and the time zone of their (first) account.
    async fn planner_account(&self, user: UserId) -> DomainResult<(bool, Option<String>)>;
    /// Whether an account has the planner booked (`None`: no such account).
    async fn account_licensed(&self, account: kernel::AccountId) -> DomainResult<Option<bool>>;
    /// Books or cancels the planner for an account.
    async fn set_planner_licence(&self, account: kernel::AccountId, licensed: bool) -> DomainResult<bool>;
    /// Reserves the number and creates the session's room, in one transaction.
    async fn reserve(&self, new: &NewSession, now: Timestamp) -> DomainResult<Reserved>;
    /// The user's sessions of a kind: planned by start, spontaneous newest first.
    async fn sessions_of(&self, owner: UserId, kind: SessionKind) -> DomainResult<Vec<Session>>;
    async fn session(&self, id: i64) -> DomainResult<Option<Session>>;
    async fn session_by_number(&self, number: SessionNumber) -> DomainResult<Option<Session>>;
    async fn session_by_room(&self, room_public_id: &str) -> DomainResult<Option<Session>>;
    /// Stores a change and the update mails together.
    async fn update(&self, id: i64, update: &EntryUpdate, mails: &[NewMessage], now: Timestamp) -> DomainResult<()>;
    /// Deletes the entry (releasing its number), closes its room for good
    /// and queues the cancellations, in one transaction.
    async fn delete(&self, id: i64, mails: &[NewMessage], now: Timestamp) -> DomainResult<()>;
    async fn invitees(&self, id: i64) -> DomainResult<Vec<Invitee>>;
    /// Adds invitees with their invitation mails, in one transaction; an
    /// address invited before gets a new personal link (the old one stops).
    async fn invite(&self, id: i64, invitees: &[Invitee], mails: Vec<NewMessage>, now: Timestamp) -> DomainResult<()>;
    /// The invitee a personal link belongs to: (session id, e-mail).
    async fn invitee_by_token(&self, token_hash: &str) -> DomainResult<Option<(i64, String)>>;
    /// Sessions whose reminder is due, soonest first.
    async fn due_reminders(&self, now: Timestamp, limit: i64) -> DomainResult<Vec<Session>>;
    /// Marks the reminder due at `due` as sent and queues `mail`, in one
    /// transaction; false when another node (or an earlier run) did, or
    /// the entry was moved or deleted meanwhile.
    async fn send_reminder(&self, id: i64, due: Timestamp, mail: &NewMessage, now: Timestamp) -> DomainResult<bool>;
    /// Spontaneous sessions whose 30 minutes ran out.
    async fn due_expiries(&self, now: Timestamp, limit: i64) -> DomainResult<Vec<Session>>;
    /// A participant came: the session runs until it ends.
    async fn keep(&self, id: i64) -> DomainResult<()>;
    /// Deletes a spontaneous session (its number is free again).
    async fn release(&self, id: i64) -> DomainResult<()>;
}
