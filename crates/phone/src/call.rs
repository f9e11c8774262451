//! One call from INVITE to BYE: offer/answer, ringing, the answer
//! retransmitted until ACK, CANCEL, re-INVITE (hold), the voice menu,
//! and the caller's place in the conference room, which follows the
//! room's frames like a browser does (welcome, waiting, removed, muted,
//! ended).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use domain::rooms::{Connection, MemberId};
use kernel::DomainError;
use sip::sdp::{self, Direction, LocalMedia, Negotiated, SessionDescription};
use sip::{Message, Uri};
use tokio::sync::mpsc;
use tokio::time::{sleep_until, Instant};

use crate::media::sound::{self, Lang, Prompt};
use crate::media::{Leg, LegEvent, Mode};
use crate::menu::{Action, Menu, Refusal};
use crate::server::{reply, Shared, ALLOW};

/// RFC 3261 timer T1 (round-trip estimate) and T2 (cap).
const T1: Duration = Duration::from_millis(500);
const T2: Duration = Duration::from_secs(4);
/// 64·T1: how long a transaction is retried.
const GIVE_UP: Duration = Duration::from_secs(32);
/// After the call, retransmitted requests are still answered this long.
const LINGER: Duration = Duration::from_secs(5);
/// "Waiting for the moderator" is repeated this often while on hold music.
const WAITING_REPEAT: Duration = Duration::from_secs(45);
/// A caller whose RTP stopped this long is gone (no BYE came): hang up.
const RTP_TIMEOUT: Duration = Duration::from_secs(60);
/// `*` and `6` within this time toggle mute.
const STAR_WINDOW: Duration = Duration::from_secs(2);

pub enum CallEvent {
    Sip(Message, SocketAddr),
}

/// A random tag or branch suffix.
pub fn new_tag() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// How a caller is listed in the room: the number with its middle
/// hidden (`+491•••••••67`; the web list shows a phone beside it), or
/// `Telefon`/`Phone` when the number is withheld.
pub fn masked_name(caller: Option<&str>, lang: Lang) -> String {
    let Some(number) = caller.filter(|n| n.chars().filter(char::is_ascii_digit).count() >= 3) else {
        return match lang {
            Lang::De => "Telefon",
            Lang::En => "Phone",
        }
        .to_string();
    };
    let chars: Vec<char> = number.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
    let keep_start = if chars.len() >= 8 { 4 } else { 0 };
    let keep_end = 2.min(chars.len());
    let hidden = chars.len() - keep_start - keep_end;
    chars[..keep_start]
        .iter()
        .copied()
        .chain(std::iter::repeat_n('•', hidden))
        .chain(chars[chars.len() - keep_end..].iter().copied())
        .collect()
}

/// The caller's number: the user part of P-Asserted-Identity or From
/// when it looks like a number.
fn caller_number(invite: &Message) -> Option<String> {
    let from_pai = invite
        .header("P-Asserted-Identity")
        .and_then(sip::NameAddr::parse)
        .and_then(|n| n.uri.user);
    let user = from_pai.or_else(|| invite.from().and_then(|f| f.uri.user))?;
    let number: String = user.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
    (number.chars().filter(char::is_ascii_digit).count() >= 3 && number.len() + 2 >= user.len()).then_some(number)
}

struct Call {
    shared: Arc<Shared>,
    invite: Message,
    src: SocketAddr,
    call_id: String,
    to_tag: String,
    invite_branch: String,
    local_cseq: u32,
    session_id: u64,
    sdp_version: u64,
    negotiated: Negotiated,
    leg: Arc<Leg>,
    keys: mpsc::Receiver<LegEvent>,
    /// The last response to the INVITE (resent on retransmissions).
    invite_response: Option<Message>,
    member: Option<MemberId>,
    conn: Option<Connection>,
    /// Hang up once the queued prompts are played.
    hangup_when_quiet: bool,
    menu: Menu,
    caller: Option<String>,
    star_at: Option<Instant>,
    welcomed: bool,
    waiting_said: Option<Instant>,
    started: Instant,
}

/// Runs a call from its INVITE to the end.
pub async fn run(shared: Arc<Shared>, invite: Message, src: SocketAddr, mut rx: mpsc::Receiver<CallEvent>) {
    let call_id = invite.call_id().unwrap_or_default().to_string();
    let Some(mut call) = Call::start(shared.clone(), invite, src).await else {
        linger(&shared, &call_id, &mut rx).await;
        return;
    };
    call.run(&mut rx).await;
    call.finish();
    linger(&shared, &call_id, &mut rx).await;
}

/// After the end: answer retransmissions (BYE again → 200), then forget.
async fn linger(shared: &Arc<Shared>, call_id: &str, rx: &mut mpsc::Receiver<CallEvent>) {
    let until = Instant::now() + LINGER;
    loop {
        tokio::select! {
            _ = sleep_until(until) => break,
            ev = rx.recv() => match ev {
                Some(CallEvent::Sip(msg, src)) => match msg.method() {
                    Some("BYE") => shared.send(&reply(&msg, 200, "OK", None), src).await,
                    Some("ACK") | None => {}
                    Some(_) => shared.send(&reply(&msg, 481, "Call/Transaction Does Not Exist", None), src).await,
                },
                None => break,
            }
        }
    }
    shared.forget(call_id);
}

enum Outcome {
    Answered,
    Cancelled,
    CallerGone,
}

impl Call {
    /// Checks the offer and opens the media; refusals are answered here.
    async fn start(shared: Arc<Shared>, invite: Message, src: SocketAddr) -> Option<Call> {
        let refuse = |code, reason: &str| {
            let res = reply(&invite, code, reason, Some(&new_tag()));
            (res, src)
        };
        let body_type = invite.content_type();
        if !invite.body.is_empty() && body_type.as_deref() != Some("application/sdp") {
            let (res, to) = refuse(415, "Unsupported Media Type");
            shared.send(&res.with_header("Accept", "application/sdp"), to).await;
            return None;
        }
        let offer = if invite.body.is_empty() {
            None
        } else {
            match SessionDescription::parse(&invite.body) {
                Ok(sd) => Some(sd),
                Err(e) => {
                    let (res, to) = refuse(400, &format!("Bad SDP ({})", e.0));
                    shared.send(&res, to).await;
                    return None;
                }
            }
        };
        let negotiated = match &offer {
            Some(sd) => match sdp::negotiate(sd, &shared.config.codecs) {
                Some(n) => n,
                None => {
                    let (res, to) = refuse(488, "Not Acceptable Here");
                    shared
                        .send(
                            &res.with_header("Warning", "305 kontor \"Incompatible media format\""),
                            to,
                        )
                        .await;
                    return None;
                }
            },
            // No offer: we offer in the 200 and take the answer from the ACK.
            None => Negotiated {
                codec: shared.config.codecs[0],
                payload: shared.config.codecs[0].payload(),
                dtmf_payload: Some(101),
                remote: None,
                on_hold: false,
                direction: Direction::SendRecv,
            },
        };
        let (leg, keys) = match shared
            .media
            .open(negotiated.codec, negotiated.payload, negotiated.dtmf_payload)
        {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "no RTP port for a call");
                let (res, to) = refuse(503, "Service Unavailable");
                shared.send(&res.with_header("Retry-After", "30"), to).await;
                return None;
            }
        };
        leg.set_remote(negotiated.remote, negotiated.on_hold);
        let dialed = invite.uri().and_then(|u| u.user.clone()).unwrap_or_default();
        let lang = shared.config.lang_for(&dialed);
        let caller = caller_number(&invite);
        Some(Call {
            call_id: invite.call_id().unwrap_or_default().to_string(),
            to_tag: new_tag(),
            invite_branch: invite
                .vias()
                .first()
                .and_then(|v| v.branch().map(str::to_string))
                .unwrap_or_default(),
            local_cseq: 1,
            session_id: rand::random::<u32>() as u64,
            sdp_version: 1,
            negotiated,
            leg,
            keys,
            invite_response: None,
            member: None,
            conn: None,
            hangup_when_quiet: false,
            menu: Menu::new(lang, 0),
            caller,
            star_at: None,
            welcomed: false,
            waiting_said: None,
            started: Instant::now(),
            shared,
            invite,
            src,
        })
    }

    /// Milliseconds since the call started (the menu's clock).
    fn now_ms(&self) -> i64 {
        self.started.elapsed().as_millis() as i64
    }

    /// Our SDP (answer, or offer when the INVITE had none).
    fn local_sdp(&mut self) -> Vec<u8> {
        self.sdp_version += 1;
        let codecs = [self.negotiated.codec];
        LocalMedia {
            session_id: self.session_id,
            version: self.sdp_version,
            address: self.shared.contact_addr.ip(),
            port: self.leg.port,
            codecs: &codecs,
            dtmf_payload: self.negotiated.dtmf_payload,
            direction: self.negotiated.direction.answer(),
        }
        .to_sdp()
        .into_bytes()
    }

    fn contact(&self) -> String {
        format!("<sip:kontor@{}>", self.shared.contact_addr)
    }

    async fn respond_invite(&mut self, code: u16, reason: &str, sdp: Option<Vec<u8>>) {
        let mut res = reply(&self.invite, code, reason, Some(&self.to_tag));
        if (101..300).contains(&code) {
            res = res.with_header("Contact", self.contact());
        }
        if code == 200 {
            res = res.with_header("Allow", ALLOW).with_header("Accept", "application/sdp");
        }
        if let Some(body) = sdp {
            res = res.with_body("application/sdp", body);
        }
        self.shared.send(&res, self.src).await;
        self.invite_response = Some(res);
    }

    /// Is this the initial INVITE again (a retransmission)?
    fn is_invite_again(&self, msg: &Message) -> bool {
        msg.method() == Some("INVITE")
            && msg
                .vias()
                .first()
                .and_then(|v| v.branch().map(str::to_string))
                .as_deref()
                == Some(&self.invite_branch)
    }

    async fn resend_invite_response(&self) {
        if let Some(res) = &self.invite_response {
            self.shared.send(res, self.src).await;
        }
    }

    /// Ringing, then the answer retransmitted until the ACK.
    async fn answer(&mut self, rx: &mut mpsc::Receiver<CallEvent>) -> Outcome {
        self.shared
            .send(&reply(&self.invite, 100, "Trying", None), self.src)
            .await;
        self.respond_invite(180, "Ringing", None).await;
        let answer_at = Instant::now() + self.shared.config.ring;
        loop {
            tokio::select! {
                _ = sleep_until(answer_at) => break,
                ev = rx.recv() => {
                    let Some(CallEvent::Sip(msg, src)) = ev else { return Outcome::CallerGone };
                    match msg.method() {
                        Some("CANCEL") => {
                            self.shared.send(&reply(&msg, 200, "OK", Some(&self.to_tag)), src).await;
                            self.respond_invite(487, "Request Terminated", None).await;
                            self.await_ack(rx).await;
                            return Outcome::Cancelled;
                        }
                        _ if self.is_invite_again(&msg) => self.resend_invite_response().await,
                        Some("ACK") | None => {}
                        Some(_) => self.shared.send(&reply(&msg, 481, "Call/Transaction Does Not Exist", None), src).await,
                    }
                }
            }
        }
        let sdp = self.local_sdp();
        self.respond_invite(200, "OK", Some(sdp)).await;
        let mut interval = T1;
        let mut next = Instant::now() + interval;
        let give_up = Instant::now() + GIVE_UP;
        loop {
            tokio::select! {
                _ = sleep_until(next) => {
                    if Instant::now() >= give_up {
                        // No ACK: the caller is unreachable; end the dialog.
                        self.send_bye(rx).await;
                        return Outcome::CallerGone;
                    }
                    self.resend_invite_response().await;
                    interval = (interval * 2).min(T2);
                    next = Instant::now() + interval;
                }
                ev = rx.recv() => {
                    let Some(CallEvent::Sip(msg, src)) = ev else { return Outcome::CallerGone };
                    match msg.method() {
                        Some("ACK") => {
                            if self.invite.body.is_empty() {
                                self.take_answer(&msg);
                            }
                            return Outcome::Answered;
                        }
                        Some("BYE") => {
                            self.shared.send(&reply(&msg, 200, "OK", None), src).await;
                            return Outcome::CallerGone;
                        }
                        Some("CANCEL") => self.shared.send(&reply(&msg, 200, "OK", Some(&self.to_tag)), src).await,
                        _ if self.is_invite_again(&msg) => self.resend_invite_response().await,
                        _ => {}
                    }
                }
            }
        }
    }

    /// The SDP answer in the ACK of an offer-less INVITE.
    fn take_answer(&mut self, ack: &Message) {
        if let Ok(sd) = SessionDescription::parse(&ack.body) {
            if let Some(n) = sdp::negotiate(&sd, &[self.negotiated.codec]) {
                self.leg.set_remote(n.remote, n.on_hold);
            }
        }
    }

    /// Waits for the ACK of a final error response, retransmitting it.
    async fn await_ack(&mut self, rx: &mut mpsc::Receiver<CallEvent>) {
        let mut interval = T1;
        let give_up = Instant::now() + GIVE_UP;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(interval) => {
                    if Instant::now() >= give_up {
                        return;
                    }
                    self.resend_invite_response().await;
                    interval = (interval * 2).min(T2);
                }
                ev = rx.recv() => match ev {
                    Some(CallEvent::Sip(msg, _)) if msg.method() == Some("ACK") => return,
                    Some(CallEvent::Sip(msg, src)) if msg.method() == Some("CANCEL") => {
                        self.shared.send(&reply(&msg, 200, "OK", Some(&self.to_tag)), src).await;
                    }
                    Some(CallEvent::Sip(msg, _)) if self.is_invite_again(&msg) => self.resend_invite_response().await,
                    Some(_) => {}
                    None => return,
                }
            }
        }
    }

    /// Sends BYE and waits (retransmitting) for its response.
    async fn send_bye(&mut self, rx: &mut mpsc::Receiver<CallEvent>) {
        self.local_cseq += 1;
        let target = self
            .invite
            .contact()
            .map(|c| c.uri)
            .or_else(|| self.invite.from().map(|f| f.uri))
            .unwrap_or_else(|| Uri::parse("sip:invalid").expect("valid"));
        let from = format!("{};tag={}", self.invite.header("To").unwrap_or_default(), self.to_tag);
        let mut bye = Message::request("BYE", target)
            .with_header(
                "Via",
                format!(
                    "SIP/2.0/UDP {};branch=z9hG4bK{};rport",
                    self.shared.contact_addr,
                    new_tag()
                ),
            )
            .with_header("Max-Forwards", "70")
            .with_header("From", from)
            .with_header("To", self.invite.header("From").unwrap_or_default())
            .with_header("Call-ID", self.call_id.clone())
            .with_header("CSeq", format!("{} BYE", self.local_cseq));
        for route in self
            .invite
            .headers("Record-Route")
            .map(str::to_string)
            .collect::<Vec<_>>()
        {
            bye = bye.with_header("Route", route);
        }
        bye = bye.with_header("Server", "Kontor");
        let mut interval = T1;
        let give_up = Instant::now() + GIVE_UP;
        self.shared.send(&bye, self.src).await;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(interval) => {
                    if Instant::now() >= give_up {
                        return;
                    }
                    self.shared.send(&bye, self.src).await;
                    interval = (interval * 2).min(T2);
                }
                ev = rx.recv() => match ev {
                    Some(CallEvent::Sip(msg, _)) if msg.code().is_some_and(|c| c >= 200) => return,
                    // The caller hung up at the same time.
                    Some(CallEvent::Sip(msg, src)) if msg.method() == Some("BYE") => {
                        self.shared.send(&reply(&msg, 200, "OK", None), src).await;
                        return;
                    }
                    Some(_) => {}
                    None => return,
                }
            }
        }
    }

    /// From the answer to the end of the call.
    async fn run(&mut self, rx: &mut mpsc::Receiver<CallEvent>) {
        match self.answer(rx).await {
            Outcome::Answered => {}
            Outcome::Cancelled | Outcome::CallerGone => return,
        }
        let actions = self.menu.start();
        self.act(actions).await;
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        loop {
            tokio::select! {
                ev = rx.recv() => {
                    let Some(CallEvent::Sip(msg, src)) = ev else { return };
                    if self.in_dialog(msg, src).await {
                        return;
                    }
                }
                Some(LegEvent::Key(key)) = self.keys.recv() => self.key(key).await,
                frame = next_frame(&mut self.conn) => match frame {
                    Some(frame) => self.room_frame(&frame).await,
                    None => self.room_closed(),
                },
                _ = tick.tick() => {
                    if (self.hangup_when_quiet && !self.leg.playing()) || self.leg.silent_for() > RTP_TIMEOUT {
                        self.send_bye(rx).await;
                        return;
                    }
                    let actions = self.menu.tick(self.now_ms(), self.leg.playing());
                    self.act(actions).await;
                    self.waiting_reminder();
                }
            }
        }
    }

    /// A request within the dialog; `true` when the call is over.
    async fn in_dialog(&mut self, msg: Message, src: SocketAddr) -> bool {
        match msg.method() {
            Some("BYE") => {
                self.shared.send(&reply(&msg, 200, "OK", None), src).await;
                return true;
            }
            _ if self.is_invite_again(&msg) => self.resend_invite_response().await,
            Some("INVITE") => self.reinvite(&msg, src).await,
            Some("OPTIONS") => {
                let res = reply(&msg, 200, "OK", None)
                    .with_header("Allow", ALLOW)
                    .with_header("Accept", "application/sdp");
                self.shared.send(&res, src).await;
            }
            Some("INFO") => {
                // SIP INFO key presses (application/dtmf-relay), as some PBXs send them.
                let body = String::from_utf8_lossy(&msg.body).to_string();
                self.shared.send(&reply(&msg, 200, "OK", None), src).await;
                let signal = body.lines().find_map(|l| {
                    let (k, v) = l.split_once('=')?;
                    (k.trim().eq_ignore_ascii_case("signal")).then(|| v.trim().chars().next())?
                });
                if let Some(key) = signal {
                    self.key(key).await;
                }
            }
            Some("CANCEL") => self.shared.send(&reply(&msg, 200, "OK", None), src).await,
            Some("ACK") | None => {}
            Some(_) => {
                let res = reply(&msg, 405, "Method Not Allowed", None).with_header("Allow", ALLOW);
                self.shared.send(&res, src).await;
            }
        }
        false
    }

    /// A re-INVITE: new media address or hold/resume.
    async fn reinvite(&mut self, msg: &Message, src: SocketAddr) {
        if !msg.body.is_empty() {
            let n = SessionDescription::parse(&msg.body)
                .ok()
                .and_then(|sd| sdp::negotiate(&sd, &[self.negotiated.codec]));
            let Some(n) = n else {
                self.shared
                    .send(&reply(msg, 488, "Not Acceptable Here", None), src)
                    .await;
                return;
            };
            self.leg.set_remote(n.remote, n.on_hold);
            self.negotiated.direction = n.direction;
            self.negotiated.on_hold = n.on_hold;
        }
        let sdp = self.local_sdp();
        let res = reply(msg, 200, "OK", None)
            .with_header("Contact", self.contact())
            .with_body("application/sdp", sdp);
        self.shared.send(&res, src).await;
    }

    fn lang(&self) -> Lang {
        self.menu.lang
    }

    fn sounds(&self, prompts: &[Prompt]) -> Vec<Arc<[i16]>> {
        prompts.iter().map(|&p| sound::prompt(p, self.lang())).collect()
    }

    async fn act(&mut self, actions: Vec<Action>) {
        let mut queue: std::collections::VecDeque<Action> = actions.into();
        while let Some(action) = queue.pop_front() {
            match action {
                Action::Play(prompts) => self.leg.play(self.sounds(&prompts)),
                Action::Hangup => self.hangup_when_quiet = true,
                Action::Check { room, pin } => queue.extend(self.check(&room, &pin).await),
            }
        }
    }

    async fn key(&mut self, key: char) {
        if self.menu.active() {
            let actions = self.menu.key(key, self.now_ms());
            self.act(actions).await;
            return;
        }
        if self.conn.is_none() || self.hangup_when_quiet {
            return;
        }
        // *6 toggles mute.
        match key {
            '*' => self.star_at = Some(Instant::now()),
            '6' if self.star_at.take().is_some_and(|t| t.elapsed() < STAR_WINDOW) => {
                let muted = !self.leg.muted();
                self.set_muted(muted);
            }
            _ => self.star_at = None,
        }
    }

    fn set_muted(&mut self, muted: bool) {
        self.leg.set_muted(muted);
        self.leg
            .play(self.sounds(&[if muted { Prompt::muted } else { Prompt::unmuted }]));
        self.send_media();
    }

    /// Tells the room whether this caller's microphone is on.
    fn send_media(&self) {
        if let Some(conn) = &self.conn {
            let audio = !self.leg.muted();
            let frame = format!(r#"{{"type":"media","audio":{audio},"video":false,"screen":false}}"#);
            let _ = self.shared.engine.receive(conn, &frame);
        }
    }

    /// Room number and PIN: into the conference, or why not.
    async fn check(&mut self, room: &str, pin: &str) -> Vec<Action> {
        let caller_key = self
            .caller
            .clone()
            .unwrap_or_else(|| format!("anonymous@{}", self.src.ip()));
        let name = masked_name(self.caller.as_deref(), self.lang());
        let joined = self.shared.conference.join_by_phone(room, pin, &caller_key, name).await;
        let refusal = match joined {
            Ok(admission) => {
                match self
                    .shared
                    .engine
                    .connect(&admission.room.public_id, &admission.grant)
                    .await
                {
                    Ok(conn) => {
                        self.member = Some(admission.member);
                        self.conn = Some(conn);
                        self.menu.admitted();
                        self.leg.play(Vec::new());
                        return Vec::new();
                    }
                    Err(domain::rooms::protocol::ErrorCode::RoomLocked) => Refusal::Locked,
                    Err(code) => {
                        tracing::info!(?code, "phone caller refused by the room");
                        Refusal::Locked
                    }
                }
            }
            Err(DomainError::RateLimited { .. }) => Refusal::Throttled,
            Err(DomainError::Conflict(e)) if e.code == "conference_locked" => Refusal::Locked,
            Err(DomainError::Validation(_)) | Err(DomainError::NotFound { .. }) => Refusal::Wrong,
            Err(e) => {
                tracing::error!(error = %e, "phone join");
                Refusal::NotAvailable
            }
        };
        self.menu.checked(refusal, self.now_ms())
    }

    /// A frame from the room, as a browser would get it.
    async fn room_frame(&mut self, frame: &str) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(frame) else {
            return;
        };
        let me = self.member.as_ref().map(|m| m.0.as_str());
        match v["type"].as_str() {
            Some("welcome") => {
                let room = self.conn.as_ref().map(|c| c.room.as_str()).unwrap_or_default();
                self.leg.set_mode(Mode::Conference(Arc::from(room)));
                self.waiting_said = None;
                if !self.welcomed {
                    self.welcomed = true;
                    self.leg.play(self.sounds(&[Prompt::joined]));
                }
                self.send_media();
            }
            Some("waiting") if self.leg.mode() != Mode::Waiting => {
                self.leg.set_mode(Mode::Waiting);
                self.leg.play(self.sounds(&[Prompt::waiting]));
                self.waiting_said = Some(Instant::now());
            }
            Some("left") if v["member"].as_str() == me => {
                self.leave_room(Prompt::removed);
            }
            Some("ended") => self.leave_room(Prompt::ended),
            Some("mute_request") if !self.leg.muted() => self.set_muted(true),
            Some("host_left") => self.leg.queue(sound::prompt(Prompt::host_left, self.lang())),
            _ => {}
        }
    }

    /// Out of the room (removed or ended): say why, goodbye, hang up.
    fn leave_room(&mut self, why: Prompt) {
        if self.hangup_when_quiet {
            return;
        }
        self.conn = None;
        self.leg.set_mode(Mode::Menu);
        self.leg.play(self.sounds(&[why, Prompt::goodbye]));
        self.hangup_when_quiet = true;
    }

    /// The room connection closed without a frame saying why (the
    /// member cannot be replaced: each call has its own id): it is over.
    fn room_closed(&mut self) {
        self.leave_room(Prompt::ended);
    }

    /// Repeats "waiting for the moderator" now and then over the music.
    fn waiting_reminder(&mut self) {
        if let Some(said) = self.waiting_said {
            if said.elapsed() >= WAITING_REPEAT && !self.leg.playing() && self.leg.mode() == Mode::Waiting {
                self.leg.play(self.sounds(&[Prompt::waiting]));
                self.waiting_said = Some(Instant::now());
            }
        }
    }

    /// Leaves the room and frees the media.
    fn finish(&mut self) {
        if let Some(conn) = self.conn.take() {
            let _ = self.shared.engine.receive(&conn, r#"{"type":"leave"}"#);
        }
        self.shared.media.close(&self.leg);
    }
}

/// The next frame of the room connection, or never when there is none.
async fn next_frame(conn: &mut Option<Connection>) -> Option<domain::rooms::Frame> {
    match conn {
        Some(c) => c.frames.recv().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_masked() {
        assert_eq!(masked_name(Some("+491711234567"), Lang::De), "+491•••••••67");
        assert_eq!(masked_name(Some("2001"), Lang::En), "••01");
        assert_eq!(masked_name(None, Lang::De), "Telefon");
        assert_eq!(masked_name(None, Lang::En), "Phone");
        assert_eq!(masked_name(Some("12"), Lang::De), "Telefon");
    }
}
