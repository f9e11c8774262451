//! The session planner: entries with permanent session numbers,
//! invitations with calendar entries, host reminders, spontaneous
//! sessions that expire when nobody comes, and joining by number.

use std::sync::Arc;

use kernel::{DomainError, DomainResult, FieldError, Lang, Timestamp};
use serde::{Deserialize, Serialize};

use super::ics::{calendar, CalendarEvent, CalendarMethod};
use super::model::*;
use super::ports::{EntryUpdate, Invitee, NewSession, PlannerStore, Reserved};
use crate::conference::{ConferenceService, DialIn};
use crate::identity::User;
use crate::mail::Mail;
use crate::outbox::{Attachment, NewMessage};
use crate::rooms::protocol::EndReason;
use crate::rooms::{entry_name, user_member, Admission, MemberId, NewRoom, Role, RoomRules, RoomService};
use crate::throttle::{self, Policy, ThrottleStore};
use crate::token::{hash_token, new_token};
use crate::Env;

/// Unknown session numbers from one client: a few typos are free, then
/// guessing slows down (9 digits, but spontaneous numbers are short-lived).
pub const SESSION_GUESS_PER_CLIENT: Policy = Policy {
    free: 10,
    base_secs: 10,
    max_secs: 900,
};

/// Work the scheduler takes per query (it repeats while there is more).
const SCHEDULER_BATCH: i64 = 200;

/// Joining a session.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionJoin {
    /// The session number (`123-456-789`); not needed with `token`.
    #[serde(default)]
    pub number: String,
    /// The token of a personal invitation link (`/s/{number}?t=…`).
    #[serde(default)]
    pub token: String,
    /// Display name; required without a session.
    #[serde(default)]
    pub name: String,
}

/// A session as its host sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SessionView {
    pub id: i64,
    pub kind: SessionKind,
    /// 9 digits.
    pub number: String,
    /// `123-456-789`.
    pub number_grouped: String,
    pub title: String,
    pub description: String,
    /// RFC 3339 (planned entries).
    pub starts_at: Option<String>,
    /// Local start as entered, `YYYY-MM-DDTHH:MM`.
    pub start_local: Option<String>,
    pub time_zone: String,
    pub duration_min: i64,
    pub phone_info: bool,
    pub reminder_min: Option<i64>,
    /// RFC 3339; when the host's reminder goes out (none once sent).
    pub remind_at: Option<String>,
    /// Spontaneous sessions: the number stops working then unless someone joined.
    pub expires_at: Option<String>,
    /// The join page with the number filled in.
    pub join_link: String,
    /// The room's id for the live socket.
    pub room: String,
    pub present: usize,
    pub waiting: usize,
    pub locked: bool,
}

/// What one scheduler run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickReport {
    pub reminders: usize,
    pub expired: usize,
}

#[derive(Clone)]
pub struct PlannerService {
    store: Arc<dyn PlannerStore>,
    throttle: Arc<dyn ThrottleStore>,
    rooms: RoomService,
    conference: ConferenceService,
    env: Env,
}

fn rfc3339(t: Option<Timestamp>) -> Option<String> {
    t.map(Timestamp::to_rfc3339)
}

impl PlannerService {
    pub fn new(
        store: Arc<dyn PlannerStore>,
        throttle: Arc<dyn ThrottleStore>,
        rooms: RoomService,
        conference: ConferenceService,
        env: Env,
    ) -> Self {
        PlannerService {
            store,
            throttle,
            rooms,
            conference,
            env,
        }
    }

    /// The conference service with the installation's dial-in number.
    pub fn with_conference(mut self, conference: ConferenceService) -> Self {
        self.conference = conference;
        self
    }

    fn now(&self) -> Timestamp {
        self.env.clock.now()
    }

    /// Licensed, on trial or expired.
    pub async fn access(&self, user: &User) -> DomainResult<PlannerAccess> {
        user.require_customer()?;
        let (licensed, _) = self.store.planner_account(user.id).await?;
        Ok(PlannerAccess::of(licensed, user.created_at, self.now()))
    }

    /// Refuses once the trial is over (entries are kept for a licence).
    async fn allowed(&self, user: &User) -> DomainResult<()> {
        if !self.access(user).await?.allowed() {
            return Err(DomainError::conflict("licence", "planner_trial_expired"));
        }
        Ok(())
    }

    /// Whole days left on trial (none when licensed or expired).
    pub fn days_left(&self, access: PlannerAccess) -> Option<i64> {
        access.days_left(self.now())
    }

    /// The address a personal link was sent to (to fill in the name).
    pub async fn invitee_name(&self, token: &str) -> DomainResult<Option<String>> {
        Ok(self
            .store
            .invitee_by_token(&hash_token(token))
            .await?
            .map(|(_, email)| email))
    }

    /// Whether a customer account has the planner booked (operators).
    pub async fn licensed(&self, actor: &User, account: kernel::AccountId) -> DomainResult<bool> {
        if !actor.is_operator() {
            return Err(DomainError::Forbidden);
        }
        self.store
            .account_licensed(account)
            .await?
            .ok_or(DomainError::not_found("account"))
    }

    /// The operator books (or cancels) the planner for a customer account.
    pub async fn set_licence(&self, actor: &User, account: kernel::AccountId, licensed: bool) -> DomainResult<()> {
        if !actor.is_operator() {
            return Err(DomainError::Forbidden);
        }
        if !self.store.set_planner_licence(account, licensed).await? {
            return Err(DomainError::not_found("account"));
        }
        Ok(())
    }

    pub fn join_link(&self, number: SessionNumber) -> String {
        self.env.link(&format!("/s/{number}"))
    }

    /// The host's view of a session.
    pub fn view(&self, s: &Session) -> SessionView {
        let live = self.rooms.engine().live(&s.room.public_id);
        SessionView {
            id: s.id,
            kind: s.kind,
            number: s.number.to_string(),
            number_grouped: s.number.grouped(),
            title: s.title.clone(),
            description: s.description.clone(),
            starts_at: rfc3339(s.starts_at),
            start_local: s.starts_at.map(|t| {
                t.to_datetime()
                    .with_timezone(&s.zone())
                    .format("%Y-%m-%dT%H:%M")
                    .to_string()
            }),
            time_zone: s.time_zone.clone(),
            duration_min: s.duration_min,
            phone_info: s.phone_info,
            reminder_min: s.reminder_min,
            remind_at: rfc3339(s.remind_at),
            expires_at: rfc3339(s.expires_at),
            join_link: self.join_link(s.number),
            room: s.room.public_id.clone(),
            present: live.present,
            waiting: live.waiting,
            locked: live.locked,
        }
    }

    /// The user's planner entries, by start.
    pub async fn entries(&self, user: &User) -> DomainResult<Vec<Session>> {
        user.require_customer()?;
        self.store.sessions_of(user.id, SessionKind::Planned).await
    }

    /// The user's spontaneous sessions that still run (or may still be joined).
    pub async fn running(&self, user: &User) -> DomainResult<Vec<Session>> {
        user.require_customer()?;
        self.rooms.engine().flush().await;
        let now = self.now();
        Ok(self
            .store
            .sessions_of(user.id, SessionKind::Spontaneous)
            .await?
            .into_iter()
            .filter(|s| Self::joinable(s, now))
            .collect())
    }

    /// One of the user's sessions; anyone else's is "not found".
    pub async fn entry(&self, user: &User, id: i64) -> DomainResult<Session> {
        user.require_customer()?;
        self.store
            .session(id)
            .await?
            .filter(|s| s.owner == user.id)
            .ok_or(DomainError::not_found("session"))
    }

    async fn planned(&self, user: &User, id: i64) -> DomainResult<Session> {
        let s = self.entry(user, id).await?;
        if s.kind != SessionKind::Planned {
            return Err(DomainError::not_found("session"));
        }
        Ok(s)
    }

    /// The zone entries are entered in unless the input names one: the
    /// customer account's.
    pub async fn default_zone(&self, user: &User) -> DomainResult<String> {
        let (_, zone) = self.store.planner_account(user.id).await?;
        Ok(zone.unwrap_or_else(|| "Europe/Berlin".to_string()))
    }

    /// Reserves a number for a new session (retrying on the rare collision).
    async fn reserve(&self, user: &User, make: impl Fn(SessionNumber) -> NewSession) -> DomainResult<Session> {
        for _ in 0..20 {
            let number = SessionNumber::generate(&mut rand::thread_rng());
            match self.store.reserve(&make(number), self.now()).await? {
                Reserved::Created(s) => return Ok(*s),
                Reserved::NumberTaken => continue,
            }
        }
        Err(DomainError::internal(format!(
            "no free session number for user {} after 20 tries",
            user.id.0
        )))
    }

    fn room(&self, user: &User, kind: SessionKind, title: &str) -> NewRoom {
        NewRoom {
            public_id: crate::rooms::new_room_id(),
            kind: "session".into(),
            title: title.to_string(),
            owner_id: Some(user.id),
            rules: match kind {
                // The entry's room outlives each session (lock and chat
                // are reset when it empties), like the number.
                SessionKind::Planned => RoomRules {
                    wait_for_host: true,
                    permanent: true,
                    ..RoomRules::default()
                },
                SessionKind::Spontaneous => RoomRules {
                    wait_for_host: true,
                    end_if_nobody_joins_ms: Some(SPONTANEOUS_TTL_MS),
                    ..RoomRules::default()
                },
            },
            created_at: self.now(),
        }
    }

    /// Phone information names the host's conference room: hand it out
    /// now if they have none yet.
    async fn phone_ready(&self, user: &User, draft: &EntryDraft) -> DomainResult<()> {
        if draft.phone_info {
            self.conference.provision(user).await?;
        }
        Ok(())
    }

    /// A new planner entry with its permanent number.
    pub async fn create(&self, user: &User, input: &EntryInput) -> DomainResult<Session> {
        self.allowed(user).await?;
        let draft = EntryDraft::parse(input, &self.default_zone(user).await?)?;
        self.phone_ready(user, &draft).await?;
        let now = self.now();
        let uid = format!("{}@kontor", new_token()[..24].to_lowercase());
        self.reserve(user, |number| NewSession {
            number,
            kind: SessionKind::Planned,
            owner: user.id,
            room: self.room(user, SessionKind::Planned, &draft.title),
            remind_at: draft.remind_at(now),
            draft: Some(draft.clone()),
            expires_at: None,
            uid: uid.clone(),
        })
        .await
    }

    /// Changes an entry. A new time, length or title is sent to everyone
    /// invited as an update of their calendar entry (same UID, SEQUENCE + 1);
    /// the reminder follows the new time.
    pub async fn update(&self, user: &User, id: i64, input: &EntryInput) -> DomainResult<Session> {
        self.allowed(user).await?;
        let s = self.planned(user, id).await?;
        let draft = EntryDraft::parse(input, &s.time_zone)?;
        self.phone_ready(user, &draft).await?;
        let now = self.now();
        let significant = Some(draft.starts_at) != s.starts_at
            || draft.duration_min != s.duration_min
            || draft.title != s.title
            || draft.time_zone != s.time_zone;
        let sequence = s.sequence + i64::from(significant);
        let mut changed = s.clone();
        changed.title = draft.title.clone();
        changed.description = draft.description.clone();
        changed.starts_at = Some(draft.starts_at);
        changed.time_zone = draft.time_zone.clone();
        changed.duration_min = draft.duration_min;
        changed.phone_info = draft.phone_info;
        changed.reminder_min = draft.reminder_min;
        changed.sequence = sequence;
        let mails = if significant {
            let invitees = self.store.invitees(id).await?;
            self.calendar_mails(&changed, &invitees, "mail.planner_update", CalendarMethod::Request)
                .await?
        } else {
            Vec::new()
        };
        let update = EntryUpdate {
            remind_at: draft.remind_at(now),
            draft,
            sequence,
        };
        self.store.update(id, &update, &mails, now).await?;
        self.planned(user, id).await
    }

    /// Deletes an entry: its number is free again, everyone in its room is
    /// sent out, and everyone invited gets a cancellation.
    pub async fn delete(&self, user: &User, id: i64) -> DomainResult<()> {
        let s = self.entry(user, id).await?;
        let mails = if s.kind == SessionKind::Planned {
            let invitees = self.store.invitees(id).await?;
            let mut cancelled = s.clone();
            cancelled.sequence += 1;
            self.calendar_mails(&cancelled, &invitees, "mail.planner_cancel", CalendarMethod::Cancel)
                .await?
        } else {
            Vec::new()
        };
        self.store.delete(id, &mails, self.now()).await?;
        self.rooms.engine().end_room(&s.room).await;
        Ok(())
    }

    /// Invites addresses (separated by commas, semicolons, spaces or
    /// lines): each gets the invitation with a personal join link and the
    /// calendar entry. Returns how many were invited.
    pub async fn invite(&self, user: &User, id: i64, addresses: &str) -> DomainResult<usize> {
        self.allowed(user).await?;
        let s = self.planned(user, id).await?;
        let mut list: Vec<kernel::EmailAddress> = Vec::new();
        let mut bad = Vec::new();
        for raw in addresses.split(|c: char| c == ',' || c == ';' || c.is_whitespace()) {
            let raw = raw.trim();
            if raw.is_empty() {
                continue;
            }
            match kernel::EmailAddress::parse(raw, "emails") {
                Ok(e) if !list.iter().any(|x| x.normalized() == e.normalized()) => list.push(e),
                Ok(_) => {}
                Err(_) => bad.push(raw.to_string()),
            }
        }
        if !bad.is_empty() {
            return Err(DomainError::validation_with(
                "emails",
                "emails_invalid",
                vec![("value", bad.join(", "))],
            ));
        }
        if list.is_empty() {
            return Err(DomainError::validation("emails", "required"));
        }
        if list.len() > MAX_INVITEES {
            return Err(DomainError::validation_with(
                "emails",
                "too_many",
                vec![("max", MAX_INVITEES.to_string())],
            ));
        }
        let mut all = self.store.invitees(id).await?;
        let mut fresh = Vec::new();
        let mut links = Vec::new();
        for e in &list {
            let token = new_token();
            let invitee = Invitee {
                email: e.as_str().to_string(),
                email_normalized: e.normalized(),
                token_hash: hash_token(&token),
            };
            all.retain(|i| i.email_normalized != invitee.email_normalized);
            all.push(invitee.clone());
            links.push((invitee.email.clone(), self.personal_link(s.number, &token)));
            fresh.push(invitee);
        }
        let mut mails = Vec::new();
        let attendees: Vec<String> = all.iter().map(|i| i.email.clone()).collect();
        for (email, link) in &links {
            mails.push(
                self.calendar_mail(
                    &s,
                    &attendees,
                    email,
                    link,
                    "mail.planner_invitation",
                    CalendarMethod::Request,
                )
                .await?,
            );
        }
        self.store.invite(id, &fresh, mails, self.now()).await?;
        Ok(fresh.len())
    }

    fn personal_link(&self, number: SessionNumber, token: &str) -> String {
        self.env.link(&format!("/s/{number}?t={token}"))
    }

    /// Mails with the calendar entry to everyone invited (updates and
    /// cancellations use the general join link: personal tokens are
    /// stored hashed).
    async fn calendar_mails(
        &self,
        s: &Session,
        invitees: &[Invitee],
        key: &str,
        method: CalendarMethod,
    ) -> DomainResult<Vec<NewMessage>> {
        let attendees: Vec<String> = invitees.iter().map(|i| i.email.clone()).collect();
        let general = self.join_link(s.number);
        let mut mails = Vec::new();
        for i in invitees {
            mails.push(
                self.calendar_mail(s, &attendees, &i.email, &general, key, method)
                    .await?,
            );
        }
        Ok(mails)
    }

    async fn calendar_mail(
        &self,
        s: &Session,
        attendees: &[String],
        to: &str,
        link: &str,
        key: &str,
        method: CalendarMethod,
    ) -> DomainResult<NewMessage> {
        let lang = s.owner_language;
        let text = self.invitation_text(s, lang, link).await?;
        let ics = self.calendar_text(s, attendees, &text, link, method);
        let method_name = if method == CalendarMethod::Cancel {
            "CANCEL"
        } else {
            "REQUEST"
        };
        Ok(Mail::new(lang, key)
            .arg("title", &s.title)
            .arg("when", &when(s, lang))
            .arg("host", &s.owner_name)
            .arg("invitation", &text)
            .attach(Attachment {
                filename: "sitzung.ics".into(),
                content_type: format!("text/calendar; charset=utf-8; method={method_name}"),
                content: ics,
            })
            .to(None, to))
    }

    fn calendar_text(
        &self,
        s: &Session,
        attendees: &[String],
        description: &str,
        link: &str,
        method: CalendarMethod,
    ) -> String {
        let starts = s.starts_at.unwrap_or(s.created_at);
        calendar(
            &CalendarEvent {
                uid: &s.uid,
                sequence: s.sequence,
                title: &s.title,
                description,
                location: link,
                starts_at: starts,
                ends_at: starts.plus_millis(s.duration_min * 60_000),
                zone: s.zone(),
                organizer_name: &s.owner_name,
                organizer_email: &s.owner_email,
                attendees,
                alarm_min: s.reminder_min.unwrap_or(15),
                stamp: self.now(),
            },
            method,
        )
    }

    /// The calendar file to download (everyone invited so far as attendees).
    pub async fn calendar_file(&self, user: &User, id: i64) -> DomainResult<String> {
        self.allowed(user).await?;
        let s = self.planned(user, id).await?;
        let attendees: Vec<String> = self.store.invitees(id).await?.into_iter().map(|i| i.email).collect();
        let link = self.join_link(s.number);
        let text = self.invitation_text(&s, s.owner_language, &link).await?;
        Ok(self.calendar_text(&s, &attendees, &text, &link, CalendarMethod::Publish))
    }

    /// Who was invited to an entry.
    pub async fn invitees(&self, user: &User, id: i64) -> DomainResult<Vec<String>> {
        let s = self.planned(user, id).await?;
        Ok(self.store.invitees(s.id).await?.into_iter().map(|i| i.email).collect())
    }

    /// The invitation text (the copy button's text; the e-mail says the
    /// same with the invitee's personal link).
    pub async fn invitation_text(&self, s: &Session, lang: Lang, link: &str) -> DomainResult<String> {
        let t = |key: &str, args: &[(&str, &str)]| kernel::tr_args(lang, &format!("planner.invitation.{key}"), args);
        let mut parts = vec![t("intro", &[("host", &s.owner_name), ("title", &s.title)])];
        let mut facts = vec![t("title", &[("title", &s.title)])];
        if s.starts_at.is_some() {
            facts.push(t("when", &[("when", &when(s, lang))]));
            facts.push(t("duration", &[("n", &s.duration_min.to_string())]));
        }
        facts.push(t("number", &[("number", &s.number.grouped())]));
        parts.push(facts.join("\n"));
        if !s.description.is_empty() {
            parts.push(s.description.clone());
        }
        parts.push(t("join", &[("link", link)]));
        parts.push(t(
            "by_number",
            &[("page", &self.env.link("/session")), ("number", &s.number.grouped())],
        ));
        if s.phone_info {
            if let Some(DialIn {
                phone: Some(phone),
                room_number,
                ..
            }) = self.conference.dial_in_of(s.owner).await?
            {
                parts.push(t("phone", &[("phone", &phone), ("room", &room_number)]));
            }
        }
        Ok(parts.join("\n\n"))
    }

    /// The host enters one of their sessions (any time, whatever its date).
    pub async fn start(&self, user: &User, id: i64) -> DomainResult<Admission> {
        let s = self.entry(user, id).await?;
        if s.kind == SessionKind::Planned {
            self.allowed(user).await?;
        } else {
            self.rooms.engine().flush().await;
            let s = self.store.session(id).await?.ok_or(DomainError::not_found("session"))?;
            if !Self::joinable(&s, self.now()) {
                return Err(DomainError::conflict("number", "session_over"));
            }
        }
        self.rooms
            .admit(s.room, user_member(user.id), user.display_name(), Role::Host)
            .await
    }

    /// Starts a session now with a fresh number for this session only; it
    /// ends after 30 minutes if no participant joined.
    pub async fn start_spontaneous(&self, user: &User) -> DomainResult<(Session, Admission)> {
        user.require_customer()?;
        let title = kernel::tr_args(
            user.language,
            "planner.spontaneous_title",
            &[("name", &user.display_name())],
        );
        let now = self.now();
        let s = self
            .reserve(user, |number| NewSession {
                number,
                kind: SessionKind::Spontaneous,
                owner: user.id,
                room: self.room(user, SessionKind::Spontaneous, &title),
                draft: None,
                remind_at: None,
                expires_at: Some(now.plus_millis(SPONTANEOUS_TTL_MS)),
                uid: format!("{}@kontor", new_token()[..24].to_lowercase()),
            })
            .await?;
        let admission = self
            .rooms
            .admit(s.room.clone(), user_member(user.id), user.display_name(), Role::Host)
            .await?;
        Ok((s, admission))
    }

    /// Whether a session's number works now: an entry always; a
    /// spontaneous session until it ended, and past its 30 minutes only
    /// if a participant came.
    fn joinable(s: &Session, now: Timestamp) -> bool {
        match s.kind {
            SessionKind::Planned => s.room.ended_at.is_none(),
            SessionKind::Spontaneous => {
                s.room.ended_at.is_none() && (s.room.joined_at.is_some() || s.expires_at.is_none_or(|e| now < e))
            }
        }
    }

    /// The session of a room (the page after joining).
    pub async fn by_room(&self, public_id: &str) -> DomainResult<Session> {
        self.store
            .session_by_room(public_id)
            .await?
            .ok_or(DomainError::not_found("session"))
    }

    /// The joinable session a personal link (if given) or number names.
    async fn lookup(&self, number: Option<SessionNumber>, token: &str) -> DomainResult<Option<Session>> {
        self.rooms.engine().flush().await;
        let s = match (number, token) {
            (_, token) if !token.is_empty() => match self.store.invitee_by_token(&hash_token(token)).await? {
                Some((id, _)) => self.store.session(id).await?,
                None => None,
            },
            (Some(n), _) => self.store.session_by_number(n).await?,
            (None, _) => None,
        };
        let now = self.now();
        Ok(s.filter(|s| Self::joinable(s, now)))
    }

    /// Joins a session by number (or personal link) from `client`. The
    /// host (signed in) enters as host; everyone else waits until the host
    /// is there. A locked session lets nobody else in.
    pub async fn join(&self, input: &SessionJoin, actor: Option<&User>, client: &str) -> DomainResult<Admission> {
        let mut errors: Vec<FieldError> = Vec::new();
        let token = input.token.trim();
        let number = if token.is_empty() {
            SessionNumber::parse(&input.number, "number")
                .map(Some)
                .map_err(|e| errors.extend(e.field_errors().to_vec()))
        } else {
            Ok(None)
        };
        let name = entry_name(actor, &input.name).map_err(|e| errors.extend(e.field_errors().to_vec()));
        let (Ok(number), Ok(name), true) = (number, name, errors.is_empty()) else {
            return Err(DomainError::Validation(errors));
        };
        let now = self.now();
        let key = format!("session:client:{client}");
        throttle::check(&*self.throttle, &[&key], now).await?;
        let Some(s) = self.lookup(number, token).await? else {
            throttle::fail(&*self.throttle, &[(&key, SESSION_GUESS_PER_CLIENT)], now).await?;
            return Err(DomainError::validation("number", "session_not_found"));
        };
        let host = actor.is_some_and(|u| u.id == s.owner);
        if !host && self.rooms.engine().live(&s.room.public_id).locked {
            return Err(DomainError::conflict("number", "session_locked"));
        }
        let (member, role) = match actor {
            Some(user) if host => (user_member(user.id), Role::Host),
            Some(user) => (user_member(user.id), Role::Participant),
            None => (MemberId::guest(), Role::Guest),
        };
        self.rooms.admit(s.room, member, name, role).await
    }

    /// One scheduler run: sends due host reminders (each exactly once,
    /// also across restarts and nodes) and ends spontaneous sessions
    /// nobody joined within 30 minutes.
    pub async fn tick(&self) -> DomainResult<TickReport> {
        let mut report = TickReport::default();
        loop {
            let now = self.now();
            let due = self.store.due_reminders(now, SCHEDULER_BATCH).await?;
            let n = due.len() as i64;
            for s in due {
                let Some(at) = s.remind_at else { continue };
                if self
                    .store
                    .send_reminder(s.id, at, &self.reminder_mail(&s, at), now)
                    .await?
                {
                    report.reminders += 1;
                }
            }
            if n < SCHEDULER_BATCH {
                break;
            }
        }
        loop {
            let now = self.now();
            let due = self.store.due_expiries(now, SCHEDULER_BATCH).await?;
            if due.is_empty() {
                break;
            }
            // The engine writes `joined_at` behind the live room.
            self.rooms.engine().flush().await;
            let n = due.len() as i64;
            for s in due {
                let room = self.rooms.room_of_kind(&s.room.public_id, "session").await?;
                match room {
                    Some(room) if room.joined_at.is_some() => self.store.keep(s.id).await?,
                    Some(room) => {
                        if room.ended_at.is_none() {
                            self.rooms.engine().end_room_because(&room, EndReason::Expired).await;
                        }
                        self.store.release(s.id).await?;
                        report.expired += 1;
                    }
                    None => self.store.release(s.id).await?,
                }
            }
            if n < SCHEDULER_BATCH {
                break;
            }
        }
        Ok(report)
    }

    fn reminder_mail(&self, s: &Session, due: Timestamp) -> NewMessage {
        let lang = s.owner_language;
        let mut mail = Mail::new(lang, "mail.planner_reminder")
            .arg("first_name", &s.owner_first_name)
            .arg("title", &s.title)
            .arg("when", &when(s, lang))
            .arg("number", &s.number.grouped())
            .button(
                "mail.planner_reminder.button",
                &self.env.link(&format!("/planner/{}/room", s.id)),
            )
            .to(None, &s.owner_email);
        // The same reminder can never be queued twice.
        mail.idempotency_key = format!("planner-reminder:{}:{}", s.id, due.millis());
        mail
    }
}

/// "01.12.2026 10:00 (Europe/Berlin)" in the entry's zone.
pub fn when(s: &Session, lang: Lang) -> String {
    let Some(t) = s.starts_at else {
        return String::new();
    };
    let local = t.to_datetime().with_timezone(&s.zone());
    let fmt = match lang {
        Lang::De => "%d.%m.%Y %H:%M",
        _ => "%Y-%m-%d %H:%M",
    };
    format!("{} ({})", local.format(fmt), s.time_zone.replace('_', " "))
}
