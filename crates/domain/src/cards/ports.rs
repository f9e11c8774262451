//! Storage ports of company cards and networking.

use async_trait::async_trait;
use kernel::{DomainResult, Timestamp, UserId};

use super::model::{
    Card, CardData, CardRequest, DirectoryPage, DirectoryQuery, HistoryEntry, Logo, NewRequest, TeamMember,
};
use super::network::{ChatMessage, Conversation, NetworkSettings, NewChatMessage, Notification, Person};
use crate::outbox::NewMessage;

/// A card to create.
#[derive(Debug, Clone)]
pub struct NewCard {
    pub public_id: String,
    pub data: CardData,
    pub contact_email: String,
    pub counter_room_id: i64,
    pub maintenance_hash: String,
    pub terms: Vec<String>,
    pub created_by: Option<UserId>,
}

/// A change to a card's public data, with who made it.
#[derive(Debug, Clone)]
pub struct CardEdit<'a> {
    pub data: &'a CardData,
    pub terms: &'a [String],
    pub actor: Option<UserId>,
    /// `edited` or `edited_by_link`.
    pub event: &'static str,
}

#[async_trait]
pub trait CardStore: Send + Sync {
    /// Stores the card with its `created` history line and the mails
    /// (maintenance link) in one transaction.
    async fn create_card(&self, card: &NewCard, mails: &[NewMessage], now: Timestamp) -> DomainResult<Card>;
    async fn card(&self, public_id: &str) -> DomainResult<Option<Card>>;
    async fn card_by_maintenance(&self, hash: &str) -> DomainResult<Option<Card>>;
    async fn directory(&self, query: &DirectoryQuery) -> DomainResult<DirectoryPage>;
    /// The most used topics with their card counts.
    async fn topics(&self, limit: i64) -> DomainResult<Vec<(String, i64)>>;
    async fn update_card(&self, card: i64, edit: &CardEdit<'_>, now: Timestamp) -> DomainResult<()>;
    async fn set_logo(&self, card: i64, logo: &Logo, actor: Option<UserId>, now: Timestamp) -> DomainResult<()>;
    /// The logo's PNG and version.
    async fn logo(&self, public_id: &str) -> DomainResult<Option<(Vec<u8>, i64)>>;
    /// Links the person to every card whose contact e-mail is theirs and
    /// that never had its contact linked; returns those cards.
    async fn link_contact(&self, email_normalized: &str, user: UserId, now: Timestamp) -> DomainResult<Vec<Card>>;
    async fn team(&self, card: i64) -> DomainResult<Vec<TeamMember>>;
    async fn is_member(&self, card: i64, user: UserId) -> DomainResult<bool>;
    /// Cards the user is a team member of, by name.
    async fn cards_of(&self, user: UserId) -> DomainResult<Vec<Card>>;
    /// Cards on which the user is listed as a contact (networking and
    /// show as contact on).
    async fn contact_cards(&self, user: UserId) -> DomainResult<Vec<Card>>;
    /// False when the person already is a member.
    async fn add_member(&self, card: i64, user: UserId, by: UserId, now: Timestamp) -> DomainResult<bool>;
    async fn remove_member(&self, card: i64, user: UserId, by: UserId, now: Timestamp) -> DomainResult<()>;
    async fn log(
        &self,
        card: i64,
        actor: Option<UserId>,
        event: &str,
        detail: &str,
        now: Timestamp,
    ) -> DomainResult<()>;
    async fn history(&self, card: i64, limit: i64) -> DomainResult<Vec<HistoryEntry>>;
    async fn add_request(
        &self,
        card: i64,
        request: &NewRequest,
        mails: &[NewMessage],
        now: Timestamp,
    ) -> DomainResult<CardRequest>;
    async fn requests(&self, card: i64) -> DomainResult<Vec<CardRequest>>;
    async fn request(&self, card: i64, id: i64) -> DomainResult<Option<CardRequest>>;
    async fn set_request_status(&self, card: i64, id: i64, done: bool, by: UserId, now: Timestamp) -> DomainResult<()>;
    /// Replaces the maintenance link's hash and queues the mail with the new link.
    async fn rotate_maintenance(
        &self,
        card: i64,
        hash: &str,
        by: Option<UserId>,
        mails: &[NewMessage],
        now: Timestamp,
    ) -> DomainResult<()>;
}

#[async_trait]
pub trait NetworkStore: Send + Sync {
    /// The settings (defaults when never saved).
    async fn settings(&self, user: UserId) -> DomainResult<NetworkSettings>;
    /// Saves settings and the person's search terms (`None`: not findable).
    async fn save_settings(
        &self,
        user: UserId,
        settings: &NetworkSettings,
        terms: Option<&[String]>,
        now: Timestamp,
    ) -> DomainResult<()>;
    /// Switches standby alone (a colleague turning it off); the other
    /// settings and the search terms stay as they are.
    async fn set_standby(&self, user: UserId, on: bool, now: Timestamp) -> DomainResult<()>;
    async fn person(&self, user: UserId) -> DomainResult<Option<Person>>;
    /// People with every word as a prefix of one of their terms, by the
    /// first word's matching term.
    async fn search_people(&self, words: &[String], limit: i64) -> DomainResult<Vec<Person>>;
    async fn send(&self, message: &NewChatMessage, now: Timestamp) -> DomainResult<ChatMessage>;
    /// Messages between two people with id > `after`, oldest first (the newest `limit`).
    async fn messages(&self, a: UserId, b: UserId, after: i64, limit: i64) -> DomainResult<Vec<ChatMessage>>;
    async fn conversations(&self, user: UserId) -> DomainResult<Vec<Conversation>>;
    /// Marks what `user` received from `other` (and its notifications) read.
    async fn mark_read(&self, user: UserId, other: UserId, now: Timestamp) -> DomainResult<()>;
    async fn unread_notifications(&self, user: UserId) -> DomainResult<i64>;
    async fn notifications(&self, user: UserId, limit: i64) -> DomainResult<Vec<Notification>>;
    /// Whether the two ever wrote to each other.
    async fn talked(&self, a: UserId, b: UserId) -> DomainResult<bool>;
    /// People who share a card team with the user.
    async fn colleagues(&self, user: UserId) -> DomainResult<Vec<Person>>;
}
