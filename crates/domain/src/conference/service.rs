//! The conference center: every customer's personal room with its
//! permanent number, PINs that decide the role, the join by number and PIN
//! with brute-force protection, and the moderator-leave rule.

use std::sync::Arc;

use kernel::{DomainError, DomainResult, FieldError, Lang, Timestamp};
use serde::{Deserialize, Serialize};

use super::model::{Pin, PinPair, PinRole, RoomNumber, PIN_ALERT_PER_ROOM, PIN_PER_CLIENT};
use super::pins;
use super::ports::{ConferenceRecord, ConferenceStore, NewConference, Provisioned};
use crate::identity::User;
use crate::mail::Mail;
use crate::outbox::OutboxStore;
use crate::rooms::{entry_name, user_member, Admission, LiveRoom, MemberId, NewRoom, Role, RoomRules, RoomService};
use crate::throttle::{self, Policy, ThrottleStore};
use crate::{blocking, Env};

/// What the owner may choose for "when the moderator leaves": the
/// conference ends this many seconds later unless they come back.
pub const HOST_LEAVE_CHOICES: [i64; 6] = [0, 60, 300, 900, 1800, 3600];
/// The default: five minutes to come back after a dropped connection.
pub const DEFAULT_HOST_LEAVE_SECS: i64 = 300;

/// Wrong PINs from one client for any room: generous (offices share an
/// address) but stops one client from trying number after number.
pub const PIN_ANY_ROOM_PER_CLIENT: Policy = Policy {
    free: 30,
    base_secs: 30,
    max_secs: 900,
};

/// Wrong PINs by phone for one room from all callers together: caller
/// numbers can be forged, so this bounds guessing however they vary
/// (the web join is not affected by it).
pub const PIN_PHONE_PER_ROOM: Policy = Policy {
    free: 50,
    base_secs: 30,
    max_secs: 900,
};

/// After the first alert, a further one every this many wrong PINs while
/// the attack goes on (so the owner hears of it without a flood).
pub const PIN_ALERT_REPEAT: i64 = 100;

/// One of the installation's dial-in numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DialInPhone {
    /// As dialled and shown, e.g. "+49 30 1234 5678".
    pub number: String,
    /// The language its voice menu starts in (`de`, `en`).
    pub language: String,
}

/// The dial-in block shown on the room page and in invitations.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DialIn {
    /// The installation's dial-in numbers as one line (with their
    /// languages when there are several); `None` until the operator set one.
    pub phone: Option<String>,
    /// Each number with the language of its voice menu.
    pub numbers: Vec<DialInPhone>,
    /// The room number, grouped for reading ("4711 0815").
    pub room_number: String,
}

/// The owner's view of their conference room.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConferenceView {
    /// The permanent room number, 8 digits.
    pub number: String,
    pub number_grouped: String,
    /// Both PINs are set (until then only the owner's access PIN works).
    pub pins_set: bool,
    /// Seconds the conference goes on after the moderator left.
    pub host_leave_secs: i64,
    /// The public join page with the number filled in.
    pub join_link: String,
    pub dial_in: DialIn,
    /// Who is in the room now.
    pub live: LiveRoom,
    /// The room's id for the live socket.
    pub room: String,
}

/// Joining by number and PIN.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinInput {
    pub number: String,
    pub pin: String,
    /// Display name; required without a session.
    #[serde(default)]
    pub name: String,
}

/// New PINs.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PinsInput {
    pub moderator_pin: String,
    pub participant_pin: String,
}

#[derive(Clone)]
pub struct ConferenceService {
    store: Arc<dyn ConferenceStore>,
    throttle: Arc<dyn ThrottleStore>,
    outbox: Arc<dyn OutboxStore>,
    rooms: RoomService,
    env: Env,
    dial_in: Arc<[DialInPhone]>,
}

impl ConferenceService {
    pub fn new(
        store: Arc<dyn ConferenceStore>,
        throttle: Arc<dyn ThrottleStore>,
        outbox: Arc<dyn OutboxStore>,
        rooms: RoomService,
        env: Env,
    ) -> Self {
        ConferenceService {
            store,
            throttle,
            outbox,
            rooms,
            env,
            dial_in: Arc::from(Vec::new()),
        }
    }

    /// The installation's dial-in numbers (none: not set up yet).
    pub fn with_dial_in(mut self, numbers: Vec<DialInPhone>) -> Self {
        self.dial_in = Arc::from(numbers);
        self
    }

    fn now(&self) -> Timestamp {
        self.env.clock.now()
    }

    /// The user's room, handed out now if they have none yet: at the end
    /// of registration, and for anyone who reaches the center without one
    /// (e.g. after a crash between the two). Number, room and welcome
    /// e-mail are stored together, so the e-mail goes out exactly once.
    pub async fn provision(&self, user: &User) -> DomainResult<ConferenceRecord> {
        user.require_customer()?;
        if let Some(existing) = self.store.conference_of(user.id).await? {
            return Ok(existing);
        }
        let access = Pin::random(&mut rand::thread_rng());
        let access_hash = {
            let pin = access.clone();
            blocking(move || pins::hash_access(&pin)).await?
        };
        for _ in 0..20 {
            let number = RoomNumber::generate(&mut rand::thread_rng());
            let now = self.now();
            let new = NewConference {
                number,
                owner: user.id,
                room: NewRoom {
                    public_id: crate::rooms::new_room_id(),
                    kind: "conference".into(),
                    title: kernel::tr_args(
                        user.language,
                        "conference.room_title",
                        &[("name", &user.display_name())],
                    ),
                    owner_id: Some(user.id),
                    rules: Self::rules(DEFAULT_HOST_LEAVE_SECS),
                    created_at: now,
                },
                access_pin_hash: access_hash.clone(),
            };
            let mail = self.welcome_mail(user, number, &access);
            match self.store.provision(&new, &[mail], now).await? {
                Provisioned::Created(rec) | Provisioned::Existing(rec) => return Ok(*rec),
                Provisioned::NumberTaken => continue,
            }
        }
        Err(DomainError::internal("no free conference room number after 20 tries"))
    }

    fn rules(host_leave_secs: i64) -> RoomRules {
        RoomRules {
            wait_for_host: true,
            host_leave_grace_ms: Some(host_leave_secs * 1000),
            permanent: true,
            ..RoomRules::default()
        }
    }

    fn welcome_mail(&self, user: &User, number: RoomNumber, access: &Pin) -> crate::outbox::NewMessage {
        let lang = user.language;
        Mail::new(lang, "mail.conference_welcome")
            .arg("first_name", &user.first_name)
            .arg("number", &number.grouped())
            .arg("pin", access.expose())
            .arg("dial_in", &self.dial_in_text(lang))
            .arg("join_link", &self.join_link(number))
            .button("mail.conference_welcome.button", &self.env.link("/conference"))
            .to(None, &user.email)
    }

    fn dial_in_text(&self, lang: Lang) -> String {
        self.dial_in_line()
            .unwrap_or_else(|| kernel::tr(lang, "conference.no_dial_in"))
    }

    /// The numbers on one line, each with its menu's language (named in
    /// that language) when there are several.
    fn dial_in_line(&self) -> Option<String> {
        let line = match &self.dial_in[..] {
            [] => return None,
            [one] => one.number.clone(),
            several => several
                .iter()
                .map(|p| match p.language.as_str() {
                    "en" => format!("{} (English)", p.number),
                    _ => format!("{} (Deutsch)", p.number),
                })
                .collect::<Vec<_>>()
                .join(", "),
        };
        Some(line)
    }

    /// The join page with the number filled in.
    pub fn join_link(&self, number: RoomNumber) -> String {
        self.env.link(&format!("/join?n={number}"))
    }

    /// The user's room for the center pages (handed out on first visit).
    pub async fn mine(&self, user: &User) -> DomainResult<ConferenceRecord> {
        self.provision(user).await
    }

    /// The conference whose room has this public id (the page after the
    /// join page; the id is random, so this reveals no room number).
    pub async fn by_room(&self, public_id: &str) -> DomainResult<ConferenceRecord> {
        let room = self
            .rooms
            .room_of_kind(public_id, "conference")
            .await?
            .and_then(|r| r.owner_id)
            .ok_or(DomainError::not_found("room"))?;
        self.store
            .conference_of(room)
            .await?
            .ok_or(DomainError::not_found("room"))
    }

    /// What the owner sees about their room.
    pub fn view(&self, rec: &ConferenceRecord) -> ConferenceView {
        ConferenceView {
            number: rec.number.to_string(),
            number_grouped: rec.number.grouped(),
            pins_set: rec.pins_set(),
            host_leave_secs: rec.room.host_leave_grace_ms.unwrap_or(0) / 1000,
            join_link: self.join_link(rec.number),
            dial_in: self.dial_in(rec.number),
            live: self.rooms.engine().live(&rec.room.public_id),
            room: rec.room.public_id.clone(),
        }
    }

    /// The dial-in block of a user's conference room, if they have one
    /// (session invitations with phone information).
    pub async fn dial_in_of(&self, owner: kernel::UserId) -> DomainResult<Option<DialIn>> {
        Ok(self
            .store
            .conference_of(owner)
            .await?
            .map(|rec| self.dial_in(rec.number)))
    }

    pub fn dial_in(&self, number: RoomNumber) -> DialIn {
        DialIn {
            phone: self.dial_in_line(),
            numbers: self.dial_in.to_vec(),
            room_number: number.grouped(),
        }
    }

    /// The invitation text for participants (the page and API fill in the
    /// participant PIN only where the owner typed it: it is stored hashed).
    pub fn invitation(&self, rec: &ConferenceRecord, lang: Lang, pin: &str) -> String {
        let pin = if pin.is_empty() {
            kernel::tr(lang, "conference.invitation_pin_placeholder")
        } else {
            pin.to_string()
        };
        kernel::tr_args(
            lang,
            "conference.invitation_text",
            &[
                ("name", &rec.room.title),
                ("link", &self.join_link(rec.number)),
                ("number", &rec.number.grouped()),
                ("pin", &pin),
                ("dial_in", &self.dial_in_text(lang)),
            ],
        )
    }

    /// Sets or changes both PINs.
    pub async fn set_pins(&self, user: &User, moderator: &str, participant: &str) -> DomainResult<()> {
        let rec = self.mine(user).await?;
        let pair = PinPair::parse(moderator, participant)?;
        let (m, p) = blocking(move || pins::hash_pair(&pair)).await?;
        self.store.set_pins(rec.owner, &m, &p, self.now()).await
    }

    /// Chooses the moderator-leave rule (one of [`HOST_LEAVE_CHOICES`]);
    /// it applies from the next conference on.
    pub async fn set_host_leave(&self, user: &User, secs: i64) -> DomainResult<()> {
        let rec = self.mine(user).await?;
        if !HOST_LEAVE_CHOICES.contains(&secs) {
            return Err(DomainError::validation("host_leave_secs", "invalid_choice"));
        }
        self.store.set_host_leave(rec.owner, secs * 1000).await
    }

    /// The owner enters their own room as moderator (signed in, no PIN).
    pub async fn enter(&self, user: &User) -> DomainResult<Admission> {
        let rec = self.mine(user).await?;
        if !rec.pins_set() {
            return Err(DomainError::conflict("pins", "pins_not_set"));
        }
        self.rooms
            .admit(rec.room, user_member(user.id), user.display_name(), Role::Host)
            .await
    }

    /// Joins by room number and PIN from `client` (its address). The
    /// moderator PIN enters as host, the participant PIN as participant.
    /// A wrong number and a wrong PIN get the same answer in the same
    /// time; wrong tries are throttled per room and client, and the owner
    /// is alerted when a room gets many.
    pub async fn join(&self, input: &JoinInput, actor: Option<&User>, client: &str) -> DomainResult<Admission> {
        let mut errors: Vec<FieldError> = Vec::new();
        let number = RoomNumber::parse(&input.number, "number").map_err(|e| errors.extend(e.field_errors().to_vec()));
        let pin = input.pin.trim().to_string();
        if pin.is_empty() {
            errors.push(FieldError::new("pin", "required"));
        } else if !pin.bytes().all(|b| b.is_ascii_digit()) {
            errors.push(FieldError::new("pin", "pin_digits_only"));
        }
        let name = entry_name(actor, &input.name).map_err(|e| errors.extend(e.field_errors().to_vec()));
        let (Ok(number), Ok(name), true) = (number, name, errors.is_empty()) else {
            return Err(DomainError::Validation(errors));
        };
        let client_key = format!("pin:client:{client}");
        let (rec, role) = self
            .check_pin(
                number,
                pin,
                &format!("pin:{number}:{client}"),
                &[(&client_key, PIN_ANY_ROOM_PER_CLIENT)],
            )
            .await?;
        let (member, role) = match (actor, role) {
            (Some(user), PinRole::Moderator) => (user_member(user.id), Role::Host),
            (Some(user), PinRole::Participant) => (user_member(user.id), Role::Participant),
            (None, PinRole::Moderator) => (MemberId::guest(), Role::Host),
            (None, PinRole::Participant) => (MemberId::guest(), Role::Participant),
        };
        self.rooms.admit(rec.room, member, name, role).await
    }

    /// Joins by phone: room number and PIN keyed in by `caller` (the
    /// calling number, or a stand-in for anonymous calls), under `name`
    /// (the masked number). The same rules as [`Self::join`]; wrong tries
    /// are throttled per caller number and room, per caller number, and
    /// per room for all phone callers together (numbers can be forged).
    pub async fn join_by_phone(&self, number: &str, pin: &str, caller: &str, name: String) -> DomainResult<Admission> {
        let number = RoomNumber::parse(number, "number")?;
        if pin.is_empty() || !pin.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DomainError::validation("pin", "number_or_pin_wrong"));
        }
        let caller_key = format!("pin:tel:{caller}");
        let room_key = format!("pin:{number}:phone");
        let (rec, role) = self
            .check_pin(
                number,
                pin.to_string(),
                &format!("pin:{number}:tel:{caller}"),
                &[(&caller_key, PIN_ANY_ROOM_PER_CLIENT), (&room_key, PIN_PHONE_PER_ROOM)],
            )
            .await?;
        let role = match role {
            PinRole::Moderator => Role::Host,
            PinRole::Participant => Role::Participant,
        };
        self.rooms.admit(rec.room, MemberId::phone(), name, role).await
    }

    /// Checks a PIN for a room, throttled under `room_key` (this client
    /// and room) and the wider `keys`; a wrong number and a wrong PIN get
    /// the same answer in the same time. A locked room lets only the
    /// moderator in.
    async fn check_pin(
        &self,
        number: RoomNumber,
        pin: String,
        room_key: &str,
        keys: &[(&str, Policy)],
    ) -> DomainResult<(ConferenceRecord, PinRole)> {
        let now = self.now();
        let mut all: Vec<&str> = vec![room_key];
        all.extend(keys.iter().map(|(k, _)| *k));
        throttle::check(&*self.throttle, &all, now).await?;
        let rec = self.store.conference_by_number(number).await?;
        let entered = pin;
        let role = match &rec {
            Some(rec) => {
                let (m, p) = (rec.moderator_pin_hash.clone(), rec.participant_pin_hash.clone());
                blocking(move || pins::matches(&entered, &m, p.as_deref())).await?
            }
            None => blocking(move || pins::burn(&entered)).await.map(|()| None)?,
        };
        let (rec, role) = match (rec, role) {
            (Some(rec), Some(role)) => (rec, role),
            (rec, _) => {
                self.wrong_pin(room_key, keys, rec.as_ref(), now).await?;
                return Err(DomainError::validation("pin", "number_or_pin_wrong"));
            }
        };
        self.throttle.reset(room_key).await?;
        if self.rooms.engine().live(&rec.room.public_id).locked && role != PinRole::Moderator {
            return Err(DomainError::conflict("number", "conference_locked"));
        }
        Ok((rec, role))
    }

    /// Counts a wrong try; the room's owner hears of the 20th within an
    /// hour (and of every 100th after while it goes on).
    async fn wrong_pin(
        &self,
        room_key: &str,
        keys: &[(&str, Policy)],
        rec: Option<&ConferenceRecord>,
        now: Timestamp,
    ) -> DomainResult<()> {
        let mut all = vec![(room_key, PIN_PER_CLIENT)];
        all.extend_from_slice(keys);
        throttle::fail(&*self.throttle, &all, now).await?;
        let Some(rec) = rec else {
            return Ok(());
        };
        let number = rec.number;
        let count = self.throttle.record_failure(&format!("pinroom:{number}"), now).await?;
        let alert = count == PIN_ALERT_PER_ROOM
            || count > PIN_ALERT_PER_ROOM && (count - PIN_ALERT_PER_ROOM) % PIN_ALERT_REPEAT == 0;
        if alert {
            let mail = Mail::new(rec.owner_language, "mail.conference_pin_alert")
                .arg("first_name", &rec.owner_first_name)
                .arg("number", &number.grouped())
                .arg("count", &count.to_string())
                .button("mail.conference_pin_alert.button", &self.env.link("/conference"))
                .to(None, &rec.owner_email);
            self.outbox.enqueue(vec![mail], now).await?;
        }
        Ok(())
    }
}
