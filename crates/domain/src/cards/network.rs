//! Networking between people: profile settings (networking, findable,
//! show as contact, standby), person search, one-to-one chat and sharing
//! a person or a card with a note.

use std::sync::Arc;

use kernel::{DomainError, DomainResult, FieldError, Timestamp, UserId};
use serde::{Deserialize, Serialize};

use super::model::{char_count, query_words, search_terms, Note150};
use super::ports::{CardStore, NetworkStore};
use crate::identity::User;
use crate::Env;

/// Longest chat message.
pub const MAX_CHAT: usize = 2000;
/// Shortest search people may run (one letter would list half the platform).
pub const MIN_QUERY: usize = 2;

/// A person's networking switches, in their own profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NetworkSettings {
    /// Takes part in networking: can search people and be listed on cards.
    pub networking: bool,
    /// "Allow others to find me" (only with networking on).
    pub findable: bool,
    /// Listed as a contact on the cards of their team.
    pub show_as_contact: bool,
    /// Available for the Info Counter of their cards.
    pub standby: bool,
    /// Job title shown with the name.
    #[serde(default)]
    pub position: String,
}

impl Default for NetworkSettings {
    fn default() -> Self {
        NetworkSettings {
            networking: false,
            findable: true,
            show_as_contact: false,
            standby: false,
            position: String::new(),
        }
    }
}

impl NetworkSettings {
    /// Shows up in person search.
    pub fn discoverable(&self) -> bool {
        self.networking && self.findable
    }
}

/// A person as others see them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Person {
    pub user_id: UserId,
    pub name: String,
    pub position: String,
    #[serde(skip)]
    pub settings: NetworkSettings,
}

/// What a chat message shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShareKind {
    Person,
    Card,
}

impl ShareKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ShareKind::Person => "person",
            ShareKind::Card => "card",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "person" => Some(ShareKind::Person),
            "card" => Some(ShareKind::Card),
            _ => None,
        }
    }
}

/// A shared person or card, as the chat shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Shared {
    pub kind: ShareKind,
    /// User id or card id.
    pub reference: String,
    /// Filled when read: name of the person or card, and where it leads.
    pub title: String,
    pub subtitle: String,
    pub href: String,
    pub logo: Option<String>,
}

/// A message to store, with the notifications it causes.
#[derive(Debug, Clone)]
pub struct NewChatMessage {
    pub sender: UserId,
    pub recipient: UserId,
    pub body: String,
    pub share: Option<(ShareKind, String)>,
    /// (who, kind): `message`, `share_received`, `share_sent`.
    pub notify: Vec<(UserId, &'static str)>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChatMessage {
    pub id: i64,
    pub sender_id: UserId,
    pub recipient_id: UserId,
    pub body: String,
    pub shared: Option<Shared>,
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
    pub read: bool,
}

/// One conversation in the chat list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Conversation {
    pub other_id: UserId,
    pub other_name: String,
    pub last_body: String,
    pub last_shared: bool,
    #[schema(value_type = i64)]
    pub last_at: Timestamp,
    pub unread: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Notification {
    pub id: i64,
    /// `message`, `share_received`, `share_sent`.
    pub kind: String,
    pub other_id: UserId,
    pub other_name: String,
    pub message_id: i64,
    pub body: String,
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
    pub read: bool,
}

/// A share as typed.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareInput {
    /// The colleague who gets it.
    pub to: i64,
    pub kind: ShareKind,
    /// User id (person) or card id.
    pub reference: String,
    /// At most 150 characters.
    #[serde(default)]
    pub note: String,
}

#[derive(Clone)]
pub struct NetworkService {
    store: Arc<dyn NetworkStore>,
    cards: Arc<dyn CardStore>,
    env: Env,
}

impl NetworkService {
    pub fn new(store: Arc<dyn NetworkStore>, cards: Arc<dyn CardStore>, env: Env) -> Self {
        NetworkService { store, cards, env }
    }

    fn now(&self) -> Timestamp {
        self.env.clock.now()
    }

    pub async fn settings(&self, actor: &User) -> DomainResult<NetworkSettings> {
        self.store.settings(actor.id).await
    }

    /// Saves the actor's own switches. "Findable" and "show as contact"
    /// need networking; standby needs networking and show as contact (as
    /// the Info Counter lists only contacts).
    pub async fn save_settings(&self, actor: &User, input: &NetworkSettings) -> DomainResult<NetworkSettings> {
        let position = input.position.trim().to_string();
        if char_count(&position) > 80 {
            return Err(DomainError::validation_with(
                "position",
                "too_long",
                vec![("max", "80".into())],
            ));
        }
        let s = NetworkSettings {
            position,
            ..input.clone()
        };
        let terms = s
            .discoverable()
            .then(|| search_terms(&[&actor.first_name, &actor.last_name]));
        self.store
            .save_settings(actor.id, &s, terms.as_deref(), self.now())
            .await?;
        Ok(s)
    }

    /// People the actor can find: only with the actor's networking on,
    /// only people with networking and "allow others to find me" on.
    pub async fn search(&self, actor: &User, q: &str, limit: i64) -> DomainResult<Vec<Person>> {
        if !self.store.settings(actor.id).await?.networking {
            return Err(DomainError::validation("q", "networking_off"));
        }
        let words = query_words(q);
        if words.iter().map(|w| w.chars().count()).sum::<usize>() < MIN_QUERY {
            return Err(DomainError::validation_with(
                "q",
                "query_too_short",
                vec![("min", MIN_QUERY.to_string())],
            ));
        }
        let mut found = self.store.search_people(&words, limit + 1).await?;
        found.retain(|p| p.user_id != actor.id);
        found.truncate(limit as usize);
        Ok(found)
    }

    /// Whether `actor` may see `other`'s profile and write to them:
    /// themselves, findable people (with the actor's networking on),
    /// colleagues on a card, and whoever they talked with.
    async fn reachable(&self, actor: &User, other: &Person) -> DomainResult<bool> {
        if other.user_id == actor.id {
            return Ok(true);
        }
        if other.settings.discoverable() && self.store.settings(actor.id).await?.networking {
            return Ok(true);
        }
        if self.store.talked(actor.id, other.user_id).await? {
            return Ok(true);
        }
        let colleagues = self.store.colleagues(actor.id).await?;
        Ok(colleagues.iter().any(|c| c.user_id == other.user_id))
    }

    /// A person's profile, if the actor may see it (otherwise "not found").
    pub async fn person(&self, actor: &User, id: UserId) -> DomainResult<Person> {
        let p = self.store.person(id).await?.ok_or(DomainError::not_found("person"))?;
        if !self.reachable(actor, &p).await? {
            return Err(DomainError::not_found("person"));
        }
        Ok(p)
    }

    /// People the actor works with on cards (the usual share targets).
    pub async fn colleagues(&self, actor: &User) -> DomainResult<Vec<Person>> {
        self.store.colleagues(actor.id).await
    }

    /// Sends a chat message; the recipient gets a notification.
    pub async fn send(&self, actor: &User, to: UserId, text: &str) -> DomainResult<ChatMessage> {
        let other = self.partner(actor, to).await?;
        let body = text.trim();
        if body.is_empty() {
            return Err(DomainError::validation("text", "required"));
        }
        if char_count(body) > MAX_CHAT {
            return Err(DomainError::validation_with(
                "text",
                "too_long",
                vec![("max", MAX_CHAT.to_string())],
            ));
        }
        let msg = NewChatMessage {
            sender: actor.id,
            recipient: other.user_id,
            body: body.to_string(),
            share: None,
            notify: vec![(other.user_id, "message")],
        };
        let m = self.store.send(&msg, self.now()).await?;
        self.resolve(m).await
    }

    async fn partner(&self, actor: &User, to: UserId) -> DomainResult<Person> {
        if to == actor.id {
            return Err(DomainError::validation("to", "not_yourself"));
        }
        self.person(actor, to).await
    }

    /// Shares a person or a card with a colleague, with a note of at most
    /// 150 characters; both get a chat notification.
    pub async fn share(&self, actor: &User, input: &ShareInput) -> DomainResult<ChatMessage> {
        let mut errors: Vec<FieldError> = Vec::new();
        let note = match Note150::parse(&input.note, "note") {
            Ok(n) => Some(n),
            Err(e) => {
                errors.extend(e.field_errors().iter().cloned());
                None
            }
        };
        let reference = input.reference.trim().to_string();
        let item_ok = match input.kind {
            ShareKind::Person => match reference.parse::<i64>() {
                Ok(id) => self.person(actor, UserId(id)).await.is_ok(),
                Err(_) => false,
            },
            ShareKind::Card => self.cards.card(&reference).await?.is_some(),
        };
        if !item_ok {
            errors.push(FieldError::new("reference", "share_unknown"));
        }
        if !errors.is_empty() {
            return Err(DomainError::Validation(errors));
        }
        let other = self.partner(actor, UserId(input.to)).await?;
        let msg = NewChatMessage {
            sender: actor.id,
            recipient: other.user_id,
            body: note.map(|n| n.as_str().to_string()).unwrap_or_default(),
            share: Some((input.kind, reference)),
            notify: vec![(other.user_id, "share_received"), (actor.id, "share_sent")],
        };
        let m = self.store.send(&msg, self.now()).await?;
        self.resolve(m).await
    }

    /// Fills in what a shared item shows (name, link, logo).
    async fn resolve(&self, mut m: ChatMessage) -> DomainResult<ChatMessage> {
        if let Some(s) = m.shared.as_mut() {
            match s.kind {
                ShareKind::Person => {
                    if let Some(p) = self.store.person(UserId(s.reference.parse().unwrap_or(0))).await? {
                        s.title = p.name;
                        s.subtitle = p.position;
                        s.href = format!("/people/{}", p.user_id.0);
                    }
                }
                ShareKind::Card => {
                    if let Some(c) = self.cards.card(&s.reference).await? {
                        s.subtitle = c.topics.join(", ");
                        s.href = format!("/cards/{}", c.public_id);
                        s.title = c.name;
                        s.logo = c.logo;
                    }
                }
            }
        }
        Ok(m)
    }

    /// A conversation with `other` (messages after `after`), marking what
    /// the actor received as read.
    pub async fn conversation(
        &self,
        actor: &User,
        other: UserId,
        after: i64,
    ) -> DomainResult<(Person, Vec<ChatMessage>)> {
        let other = self.partner(actor, other).await?;
        let msgs = self.store.messages(actor.id, other.user_id, after, 200).await?;
        let mut out = Vec::with_capacity(msgs.len());
        for m in msgs {
            out.push(self.resolve(m).await?);
        }
        self.store.mark_read(actor.id, other.user_id, self.now()).await?;
        Ok((other, out))
    }

    pub async fn conversations(&self, actor: &User) -> DomainResult<Vec<Conversation>> {
        self.store.conversations(actor.id).await
    }

    pub async fn unread(&self, actor: &User) -> DomainResult<i64> {
        self.store.unread_notifications(actor.id).await
    }

    pub async fn notifications(&self, actor: &User) -> DomainResult<Vec<Notification>> {
        self.store.notifications(actor.id, 50).await
    }
}
