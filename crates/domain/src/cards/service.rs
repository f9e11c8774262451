//! Company cards: create (operator), directory, public card, team and back
//! office (members only, all with the same rights), visitor requests,
//! maintenance link, and the Info Counter on the realtime rooms.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kernel::{DomainError, DomainResult, EmailAddress, Lang, Timestamp, UserId};
use serde::Deserialize;

use super::logo;
use super::model::{
    query_words, search_terms, topic_term, BackOffice, Card, CardData, CardInput, CardRequest, DirectoryPage,
    DirectoryQuery, HistoryEntry, RequestInput, SearchWord, TeamMember,
};
use super::network::NetworkService;
use super::ports::{CardEdit, CardStore, NetworkStore, NewCard};
use crate::identity::User;
use crate::mail::Mail;
use crate::outbox::NewMessage;
use crate::rooms::{user_member, Admission, MemberId, Role, RoomRecord, RoomService};
use crate::throttle::{self, Policy, ThrottleStore};
use crate::token::{hash_token, new_token};
use crate::Env;

/// Cards per directory page.
pub const PAGE_SIZE: i64 = 24;

/// Visitor requests per client address: 10 an hour, then locked.
pub const REQUESTS_PER_CLIENT: Policy = Policy {
    free: 10,
    base_secs: 60,
    max_secs: 3600,
};

/// A card to create (operator).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCardInput {
    #[serde(flatten)]
    pub card: CardInput,
    /// The responsible contact; gets the maintenance link and becomes the
    /// first team member on signing in with this address.
    pub contact_email: String,
}

/// The Info Counter as its page needs it.
#[derive(Debug, Clone)]
pub struct CounterEntry {
    pub card: Card,
    pub room: RoomRecord,
    /// Visitors may enter now (or the actor already may).
    pub open: bool,
    /// The signed-in actor's ticket, when they may enter.
    pub admission: Option<Admission>,
}

/// A card as its public page shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PublicCard {
    #[serde(flatten)]
    pub card: Card,
    /// Team members listed as contacts.
    pub contacts: Vec<super::network::Person>,
    /// Visitors can enter the Info Counter now.
    pub counter_open: bool,
}

#[derive(Clone)]
pub struct CardService {
    store: Arc<dyn CardStore>,
    people: Arc<dyn NetworkStore>,
    network: NetworkService,
    rooms: RoomService,
    throttle: Arc<dyn ThrottleStore>,
    env: Env,
    topics: Arc<Mutex<Option<(Instant, TopicCounts)>>>,
}

/// Topics with the number of cards that have them.
type TopicCounts = Vec<(String, i64)>;

fn not_member() -> DomainError {
    DomainError::Forbidden
}

impl CardService {
    pub fn new(
        store: Arc<dyn CardStore>,
        people: Arc<dyn NetworkStore>,
        throttle: Arc<dyn ThrottleStore>,
        rooms: RoomService,
        env: Env,
    ) -> Self {
        let network = NetworkService::new(people.clone(), store.clone(), env.clone());
        CardService {
            store,
            people,
            network,
            rooms,
            throttle,
            env,
            topics: Arc::new(Mutex::new(None)),
        }
    }

    /// Networking (profiles, search, chat, shares) over the same stores.
    pub fn network(&self) -> &NetworkService {
        &self.network
    }

    fn now(&self) -> Timestamp {
        self.env.clock.now()
    }

    fn terms(data: &CardData) -> Vec<String> {
        let topics = data.topics.join(" ");
        let mut t = search_terms(&[&data.name, &topics, &data.city]);
        for topic in &data.topics {
            let tt = topic_term(topic);
            if !t.contains(&tt) {
                t.push(tt);
            }
        }
        t
    }

    fn maintenance_mail(&self, card_name: &str, token: &str, to: &str, key: &str) -> NewMessage {
        Mail::new(Lang::De, key)
            .arg("card", card_name)
            .button("mail.card_link.button", &self.env.link(&format!("/maintain/{token}")))
            .to(None, to)
    }

    /// Creates a card (operator only) with its Info Counter room; the
    /// contact gets the maintenance link by e-mail.
    pub async fn create(&self, actor: &User, input: &NewCardInput) -> DomainResult<Card> {
        if !actor.is_operator() {
            return Err(DomainError::Forbidden);
        }
        let (data, contact) = match (
            input.card.check(),
            EmailAddress::parse(&input.contact_email, "contact_email"),
        ) {
            (Ok(d), Ok(e)) => (d, e.normalized()),
            (Err(a), Err(b)) => {
                let mut all = a.field_errors().to_vec();
                all.extend(b.field_errors().iter().cloned());
                return Err(DomainError::Validation(all));
            }
            (Err(e), _) | (_, Err(e)) => return Err(e),
        };
        let room = self.rooms.create_counter(&data.name).await?;
        let token = new_token();
        let mail = self.maintenance_mail(&data.name, &token, &contact, "mail.card_created");
        let card = NewCard {
            public_id: new_token()[..12].to_lowercase().replace(['-', '_'], "x"),
            terms: Self::terms(&data),
            data,
            contact_email: contact,
            counter_room_id: room.id,
            maintenance_hash: hash_token(&token),
            created_by: Some(actor.id),
        };
        self.store.create_card(&card, &[mail], self.now()).await
    }

    /// A directory page: every word must begin a word of the card's name,
    /// topics or city; `topic` filters by one topic.
    pub async fn directory(&self, q: &str, topic: Option<&str>, page: i64) -> DomainResult<DirectoryPage> {
        let page = page.clamp(1, 10_000);
        let query = DirectoryQuery {
            words: query_words(q).into_iter().map(SearchWord::of).collect(),
            topic: topic.map(str::trim).filter(|t| !t.is_empty()).map(topic_term),
            offset: (page - 1) * PAGE_SIZE,
            limit: PAGE_SIZE,
        };
        self.store.directory(&query).await
    }

    /// The most used topics (cached for a minute: they change slowly).
    pub async fn topics(&self) -> DomainResult<Vec<(String, i64)>> {
        if let Some((at, t)) = self.topics.lock().unwrap().as_ref() {
            if at.elapsed() < Duration::from_secs(60) {
                return Ok(t.clone());
            }
        }
        let t = self.store.topics(12).await?;
        *self.topics.lock().unwrap() = Some((Instant::now(), t.clone()));
        Ok(t)
    }

    pub async fn card(&self, public_id: &str) -> DomainResult<Card> {
        self.store.card(public_id).await?.ok_or(DomainError::not_found("card"))
    }

    /// The public card with its contacts and the counter's state.
    pub async fn public(&self, public_id: &str) -> DomainResult<PublicCard> {
        let card = self.card(public_id).await?;
        let team = self.store.team(card.id).await?;
        let counter_open = self.counter_open(&card, &team);
        let contacts = team
            .into_iter()
            .filter(TeamMember::is_public_contact)
            .map(|m| super::network::Person {
                user_id: m.user_id,
                name: m.name,
                position: m.position,
                settings: Default::default(),
            })
            .collect();
        Ok(PublicCard {
            card,
            contacts,
            counter_open,
        })
    }

    /// Open while a team member with networking, show as contact and
    /// standby on is present in the counter room.
    fn counter_open(&self, card: &Card, team: &[TeamMember]) -> bool {
        let present = self.rooms.present(&card.counter_room);
        team.iter()
            .any(|m| m.counts_for_counter() && present.contains(&user_member(m.user_id)))
    }

    /// Called on every sign-in: links the person to cards whose contact
    /// e-mail is theirs, if no one was linked before.
    pub async fn link_on_sign_in(&self, user: &User) -> DomainResult<Vec<Card>> {
        let email = user.email.trim().to_lowercase();
        self.store.link_contact(&email, user.id, self.now()).await
    }

    /// The card, if the actor is on its team (the back office's gate).
    pub async fn office(&self, actor: &User, public_id: &str) -> DomainResult<Card> {
        let card = self.card(public_id).await?;
        if !self.store.is_member(card.id, actor.id).await? {
            return Err(not_member());
        }
        Ok(card)
    }

    /// The back office page's data, with one access check.
    pub async fn back_office(&self, actor: &User, public_id: &str) -> DomainResult<BackOffice> {
        let card = self.office(actor, public_id).await?;
        let team = self.store.team(card.id).await?;
        let requests = self.store.requests(card.id).await?;
        let counter_open = self.counter_open(&card, &team);
        Ok(BackOffice {
            card,
            team,
            requests,
            counter_open,
        })
    }

    pub async fn team(&self, actor: &User, public_id: &str) -> DomainResult<(Card, Vec<TeamMember>)> {
        let card = self.office(actor, public_id).await?;
        let team = self.store.team(card.id).await?;
        Ok((card, team))
    }

    /// Cards the actor is a member of.
    pub async fn my_cards(&self, actor: &User) -> DomainResult<Vec<Card>> {
        self.store.cards_of(actor.id).await
    }

    /// Cards listing the person as a contact.
    pub async fn contact_cards(&self, user: UserId) -> DomainResult<Vec<Card>> {
        self.store.contact_cards(user).await
    }

    pub async fn update(&self, actor: &User, public_id: &str, input: &CardInput) -> DomainResult<Card> {
        let card = self.office(actor, public_id).await?;
        self.edit(&card, input, Some(actor.id), "edited").await
    }

    async fn edit(
        &self,
        card: &Card,
        input: &CardInput,
        actor: Option<UserId>,
        event: &'static str,
    ) -> DomainResult<Card> {
        let data = input.check()?;
        let terms = Self::terms(&data);
        let edit = CardEdit {
            data: &data,
            terms: &terms,
            actor,
            event,
        };
        self.store.update_card(card.id, &edit, self.now()).await?;
        self.card(&card.public_id).await
    }

    pub async fn set_logo(&self, actor: &User, public_id: &str, bytes: &[u8]) -> DomainResult<()> {
        let card = self.office(actor, public_id).await?;
        let logo = logo::process(bytes)?;
        self.store.set_logo(card.id, &logo, Some(actor.id), self.now()).await
    }

    pub async fn logo(&self, public_id: &str) -> DomainResult<(Vec<u8>, i64)> {
        self.store.logo(public_id).await?.ok_or(DomainError::not_found("logo"))
    }

    /// Adds a person the actor can find (networking and "allow others to
    /// find me" on) to the team.
    pub async fn add_member(&self, actor: &User, public_id: &str, user: UserId) -> DomainResult<()> {
        let card = self.office(actor, public_id).await?;
        if !self.people.settings(actor.id).await?.networking {
            return Err(DomainError::validation("user_id", "networking_off"));
        }
        let person = self.people.person(user).await?;
        match person {
            Some(p) if p.settings.discoverable() => {}
            _ => return Err(DomainError::validation("user_id", "person_not_found")),
        }
        if !self.store.add_member(card.id, user, actor.id, self.now()).await? {
            return Err(DomainError::conflict("user_id", "already_member"));
        }
        Ok(())
    }

    /// Removes a member (or the actor leaves); the last one stays.
    pub async fn remove_member(&self, actor: &User, public_id: &str, user: UserId) -> DomainResult<()> {
        let (card, team) = self.team(actor, public_id).await?;
        if !team.iter().any(|m| m.user_id == user) {
            return Err(DomainError::not_found("member"));
        }
        if team.len() == 1 {
            return Err(DomainError::conflict("user_id", "last_member"));
        }
        self.store.remove_member(card.id, user, actor.id, self.now()).await
    }

    /// Turns a colleague's standby off (the eye in the back office). One's
    /// own standby is switched in one's own profile only.
    pub async fn standby_off(&self, actor: &User, public_id: &str, user: UserId) -> DomainResult<()> {
        let (card, team) = self.team(actor, public_id).await?;
        if user == actor.id {
            return Err(DomainError::validation("user_id", "own_standby"));
        }
        let member = team
            .iter()
            .find(|m| m.user_id == user)
            .ok_or(DomainError::not_found("member"))?;
        if !member.standby {
            return Ok(());
        }
        self.people.set_standby(user, false, self.now()).await?;
        self.store
            .log(card.id, Some(actor.id), "standby_off", &member.name, self.now())
            .await
    }

    pub async fn history(&self, actor: &User, public_id: &str) -> DomainResult<Vec<HistoryEntry>> {
        let card = self.office(actor, public_id).await?;
        self.store.history(card.id, 200).await
    }

    /// A visitor's contact or meeting request; the team is told by e-mail.
    pub async fn submit_request(&self, public_id: &str, input: &RequestInput, ip: &str) -> DomainResult<CardRequest> {
        let card = self.card(public_id).await?;
        let key = format!("card_request:{ip}");
        let now = self.now();
        throttle::check(&*self.throttle, &[&key], now).await?;
        let request = input.check(now)?;
        throttle::fail(&*self.throttle, &[(&key, REQUESTS_PER_CLIENT)], now).await?;
        let team = self.store.team(card.id).await?;
        let office = self.env.link(&format!("/cards/{}/office", card.public_id));
        let mail_key = format!("mail.card_request_{}", request.kind.as_str());
        let recipients: Vec<String> = if team.is_empty() {
            vec![card.contact_email.clone()]
        } else {
            team.iter().map(|m| m.email.clone()).collect()
        };
        let mails: Vec<NewMessage> = recipients
            .iter()
            .map(|to| {
                Mail::new(Lang::De, &mail_key)
                    .arg("card", &card.name)
                    .arg("name", &request.name)
                    .button("mail.card_request.button", &office)
                    .to(None, to)
            })
            .collect();
        self.store.add_request(card.id, &request, &mails, now).await
    }

    pub async fn requests(&self, actor: &User, public_id: &str) -> DomainResult<(Card, Vec<CardRequest>)> {
        let card = self.office(actor, public_id).await?;
        let r = self.store.requests(card.id).await?;
        Ok((card, r))
    }

    pub async fn set_request_done(
        &self,
        actor: &User,
        public_id: &str,
        id: i64,
        done: bool,
    ) -> DomainResult<CardRequest> {
        let card = self.office(actor, public_id).await?;
        if self.store.request(card.id, id).await?.is_none() {
            return Err(DomainError::not_found("request"));
        }
        self.store
            .set_request_status(card.id, id, done, actor.id, self.now())
            .await?;
        self.store
            .request(card.id, id)
            .await?
            .ok_or(DomainError::not_found("request"))
    }

    /// The requests as CSV (UTF-8 with BOM, `;`, for spreadsheet programs).
    pub async fn requests_csv(&self, actor: &User, public_id: &str, lang: Lang) -> DomainResult<Vec<u8>> {
        let (_, requests) = self.requests(actor, public_id).await?;
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(vec![0xEF, 0xBB, 0xBF]);
        let h = |k: &str| kernel::tr(lang, &format!("cards.csv.{k}"));
        w.write_record(
            [
                "kind",
                "status",
                "created",
                "name",
                "email",
                "company",
                "message",
                "preferred",
            ]
            .map(h),
        )
        .map_err(DomainError::internal)?;
        let time = |t: i64| {
            Timestamp(t)
                .to_datetime()
                .with_timezone(&chrono_tz::Europe::Berlin)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        };
        for r in requests {
            w.write_record([
                kernel::tr(lang, &format!("cards.request_kind.{}", r.kind.as_str())),
                kernel::tr(lang, &format!("cards.request_status.{}", r.status)),
                time(r.created_at.millis()),
                r.name,
                r.email,
                r.company,
                r.message,
                r.preferred_at.map(time).unwrap_or_default(),
            ])
            .map_err(DomainError::internal)?;
        }
        w.into_inner().map_err(DomainError::internal)
    }

    /// A new maintenance link, e-mailed to the contact; the old one stops
    /// working at once.
    pub async fn rotate_link(&self, actor: &User, public_id: &str) -> DomainResult<()> {
        let card = self.office(actor, public_id).await?;
        let token = new_token();
        let mail = self.maintenance_mail(&card.name, &token, &card.contact_email, "mail.card_link_rotated");
        self.store
            .rotate_maintenance(card.id, &hash_token(&token), Some(actor.id), &[mail], self.now())
            .await
    }

    /// The card a maintenance link edits. A wrong or old link is "not found".
    pub async fn by_link(&self, token: &str) -> DomainResult<Card> {
        if token.len() < 20 {
            return Err(DomainError::not_found("card"));
        }
        self.store
            .card_by_maintenance(&hash_token(token))
            .await?
            .ok_or(DomainError::not_found("card"))
    }

    pub async fn update_by_link(&self, token: &str, input: &CardInput) -> DomainResult<Card> {
        let card = self.by_link(token).await?;
        self.edit(&card, input, None, "edited_by_link").await
    }

    pub async fn logo_by_link(&self, token: &str, bytes: &[u8]) -> DomainResult<()> {
        let card = self.by_link(token).await?;
        let logo = logo::process(bytes)?;
        self.store.set_logo(card.id, &logo, None, self.now()).await
    }

    /// A card with its team and counter room: what entering the counter needs.
    async fn counter_parts(&self, public_id: &str) -> DomainResult<(Card, Vec<TeamMember>, RoomRecord)> {
        let card = self.card(public_id).await?;
        let team = self.store.team(card.id).await?;
        let room = self.rooms.counter_room(&card.counter_room).await?;
        Ok((card, team, room))
    }

    /// Team members enter as staff at any time (their presence with standby
    /// on opens the counter); visitors only while it is open: signed-in
    /// people under their name, guests with the name they typed.
    async fn admit_to_counter(
        &self,
        card: &Card,
        team: &[TeamMember],
        room: RoomRecord,
        actor: Option<&User>,
        name: &str,
    ) -> DomainResult<Admission> {
        if let Some(user) = actor {
            if team.iter().any(|m| m.user_id == user.id) {
                return self
                    .rooms
                    .admit(room, user_member(user.id), user.display_name(), Role::Staff)
                    .await;
            }
        }
        if !self.counter_open(card, team) {
            return Err(DomainError::conflict("counter", "counter_closed"));
        }
        match actor {
            Some(user) => {
                self.rooms
                    .admit(room, user_member(user.id), user.display_name(), Role::Participant)
                    .await
            }
            None => {
                let name = crate::rooms::display_name(name, "name")?;
                let member = MemberId::guest();
                self.rooms.admit(room, member, name, Role::Guest).await
            }
        }
    }

    /// Enters the Info Counter (the API's ticket).
    pub async fn enter_counter(&self, actor: Option<&User>, public_id: &str, name: &str) -> DomainResult<Admission> {
        let (card, team, room) = self.counter_parts(public_id).await?;
        self.admit_to_counter(&card, &team, room, actor, name).await
    }

    /// What the counter page needs: whether it is open, and for a
    /// signed-in person who may enter, their ticket already.
    pub async fn counter_entry(&self, actor: Option<&User>, public_id: &str) -> DomainResult<CounterEntry> {
        let (card, team, room) = self.counter_parts(public_id).await?;
        let admission = match actor {
            Some(_) => match self.admit_to_counter(&card, &team, room.clone(), actor, "").await {
                Ok(a) => Some(a),
                Err(DomainError::Conflict(_)) => None,
                Err(e) => return Err(e),
            },
            None => None,
        };
        let open = admission.is_some() || self.counter_open(&card, &team);
        Ok(CounterEntry {
            card,
            room,
            open,
            admission,
        })
    }
}
