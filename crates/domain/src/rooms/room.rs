//! One room's state and rules, without sockets or storage: who is present
//! or waiting, lock, chat with rate limit, signaling within the room and
//! the host's controls. The transport feeds it joins, leaves and parsed
//! client messages and delivers what it returns.

use std::collections::VecDeque;

use super::protocol::{
    ChatLine, ClientMessage, EndReason, ErrorCode, LeaveReason, MemberView, ServerMessage, MAX_CHAT_CHARS,
    PROTOCOL_VERSION,
};
use super::{MemberId, Role};

/// Chat messages a member may send per `CHAT_WINDOW_MS`.
pub const CHAT_BURST: usize = 5;
pub const CHAT_WINDOW_MS: i64 = 5_000;
/// Chat lines kept for the history sent on join.
pub const HISTORY: usize = 100;

/// How a room behaves; set by the feature that owns it.
#[derive(Debug, Clone)]
pub struct RoomRules {
    /// Most members present at once (mesh video: every member sends to
    /// every other, so small rooms only).
    pub max_members: usize,
    /// Participants and guests wait until a host is present (or admitted).
    pub wait_for_host: bool,
    /// The room ends when nobody joined within this many ms of its creation.
    pub end_if_nobody_joins_ms: Option<i64>,
    /// After the last host left (with others still there) the conference
    /// ends this many ms later unless a host comes back (0: at once);
    /// `None`: no such rule (meetings, the info counter).
    pub host_leave_grace_ms: Option<i64>,
    /// The room outlives its conferences (a personal conference room):
    /// ending sends everyone out, and the next arrival starts afresh.
    pub permanent: bool,
}

impl Default for RoomRules {
    fn default() -> Self {
        RoomRules {
            max_members: 8,
            wait_for_host: false,
            end_if_nobody_joins_ms: None,
            host_leave_grace_ms: None,
            permanent: false,
        }
    }
}

/// Who gets a server message.
#[derive(Debug, Clone, PartialEq)]
pub enum To {
    One(MemberId),
    /// Every present member.
    Present,
    /// Every present member but one.
    PresentExcept(MemberId),
    /// Everyone waiting.
    Waiting,
}

pub type Out = Vec<(To, ServerMessage)>;

#[derive(Debug, Clone)]
struct Member {
    view: MemberView,
    waiting: bool,
    /// Send times of recent chat messages.
    recent_chat: VecDeque<i64>,
}

/// A room's live state.
#[derive(Debug)]
pub struct Room {
    rules: RoomRules,
    created_at: i64,
    /// Someone other than a host arrived (the lifetime rule counts guests,
    /// not the host waiting alone).
    anyone_joined: bool,
    locked: bool,
    ended: bool,
    /// In arrival order.
    members: Vec<Member>,
    history: VecDeque<ChatLine>,
    next_chat_id: u64,
    /// A host was present in this conference (the leave rule applies only then).
    host_was_here: bool,
    /// Since when no host is present, while the leave rule counts down.
    host_gone_since: Option<i64>,
}

impl Room {
    pub fn new(rules: RoomRules, now: i64) -> Self {
        Room {
            rules,
            created_at: now,
            anyone_joined: false,
            locked: false,
            ended: false,
            members: Vec::new(),
            history: VecDeque::new(),
            next_chat_id: 1,
            host_was_here: false,
            host_gone_since: None,
        }
    }

    /// Restores persisted chat (oldest first) when the room is loaded.
    pub fn with_history(mut self, lines: Vec<ChatLine>) -> Self {
        self.next_chat_id = lines.iter().map(|l| l.id + 1).max().unwrap_or(1);
        self.history = lines.into_iter().rev().take(HISTORY).rev().collect();
        self
    }

    /// Restores the persisted state of a room loaded again.
    pub fn with_state(mut self, locked: bool, anyone_joined: bool) -> Self {
        self.locked = locked;
        self.anyone_joined = anyone_joined;
        self
    }

    pub fn is_ended(&self) -> bool {
        self.ended
    }

    pub fn is_locked(&self) -> bool {
        self.locked
    }

    pub fn anyone_joined(&self) -> bool {
        self.anyone_joined
    }

    /// Nobody present or waiting.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    pub fn contains(&self, id: &MemberId) -> bool {
        self.member(id).is_some()
    }

    /// Present (not waiting) members.
    pub fn present_ids(&self) -> Vec<MemberId> {
        self.present().map(|m| m.view.id.clone()).collect()
    }

    /// Members present and waiting, for monitoring.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// The member ids a message addressed `to` goes to now.
    pub fn recipients(&self, to: &To) -> Vec<MemberId> {
        let pick = |f: &dyn Fn(&Member) -> bool| {
            self.members
                .iter()
                .filter(|m| f(m))
                .map(|m| m.view.id.clone())
                .collect()
        };
        match to {
            To::One(id) => vec![id.clone()],
            To::Present => pick(&|m| !m.waiting),
            To::PresentExcept(except) => pick(&|m| !m.waiting && &m.view.id != except),
            To::Waiting => pick(&|m| m.waiting),
        }
    }

    fn member(&self, id: &MemberId) -> Option<&Member> {
        self.members.iter().find(|m| &m.view.id == id)
    }

    fn present(&self) -> impl Iterator<Item = &Member> {
        self.members.iter().filter(|m| !m.waiting)
    }

    fn host_present(&self) -> bool {
        self.present().any(|m| m.view.role == Role::Host)
    }

    /// Members waiting for the host.
    pub fn waiting(&self) -> usize {
        self.members.iter().filter(|m| m.waiting).count()
    }

    fn welcome(&self, id: &MemberId) -> Option<ServerMessage> {
        let me = self.member(id)?;
        Some(ServerMessage::Welcome {
            protocol: PROTOCOL_VERSION,
            you: me.view.clone(),
            members: self.present().map(|m| m.view.clone()).collect(),
            history: self.history.iter().cloned().collect(),
            locked: self.locked,
        })
    }

    /// Lets the member in: welcome to them, `joined` to the others.
    fn enter(&mut self, id: &MemberId, out: &mut Out) {
        let Some(m) = self.members.iter_mut().find(|m| &m.view.id == id) else {
            return;
        };
        m.waiting = false;
        let view = m.view.clone();
        if let Some(w) = self.welcome(id) {
            out.push((To::One(id.clone()), w));
        }
        out.push((To::PresentExcept(id.clone()), ServerMessage::Joined { member: view }));
    }

    fn waiting_update(&self, out: &mut Out) {
        let waiting = self.waiting();
        if waiting > 0 {
            out.push((To::Waiting, ServerMessage::Waiting { waiting }));
        }
    }

    /// A member arrives (authorized by the caller). A member id already in
    /// the room is a reconnect: the old entry is replaced, nobody sees a
    /// duplicate. Refusals come back as the error frame to send.
    pub fn join(&mut self, view: MemberView) -> Result<Out, ErrorCode> {
        if self.ended {
            return Err(ErrorCode::RoomEnded);
        }
        let mut out = Vec::new();
        if let Some(existing) = self.members.iter().position(|m| m.view.id == view.id) {
            // Reconnect: same place, same state.
            let waiting = self.members[existing].waiting;
            self.members[existing].view = view.clone();
            if waiting {
                out.push((
                    To::One(view.id.clone()),
                    ServerMessage::Waiting {
                        waiting: self.waiting(),
                    },
                ));
            } else if let Some(w) = self.welcome(&view.id) {
                out.push((To::One(view.id.clone()), w));
            }
            return Ok(out);
        }
        let host = view.role == Role::Host;
        if self.locked && !host {
            return Err(ErrorCode::RoomLocked);
        }
        // The limit is for the browsers' video mesh: phone callers are
        // mixed on the server and do not count.
        let in_mesh = self.present().filter(|m| !m.view.id.is_phone()).count();
        if in_mesh >= self.rules.max_members && !host && !view.id.is_phone() {
            return Err(ErrorCode::RoomFull);
        }
        if !host {
            self.anyone_joined = true;
        }
        let must_wait = self.rules.wait_for_host && !host && !self.host_present() && view.role != Role::Staff;
        self.members.push(Member {
            view: view.clone(),
            waiting: true,
            recent_chat: VecDeque::new(),
        });
        if must_wait {
            self.waiting_update(&mut out);
            return Ok(out);
        }
        self.enter(&view.id, &mut out);
        if host {
            // The host's arrival lets everyone waiting in, together.
            let waiting: Vec<MemberId> = self
                .members
                .iter()
                .filter(|m| m.waiting)
                .map(|m| m.view.id.clone())
                .collect();
            for id in waiting {
                self.enter(&id, &mut out);
            }
        }
        Ok(out)
    }

    /// A member leaves (or is gone past the grace period).
    pub fn leave(&mut self, id: &MemberId, reason: LeaveReason) -> Out {
        let mut out = Vec::new();
        let Some(pos) = self.members.iter().position(|m| &m.view.id == id) else {
            return out;
        };
        let m = self.members.remove(pos);
        if m.waiting {
            self.waiting_update(&mut out);
        } else {
            out.push((
                To::Present,
                ServerMessage::Left {
                    member: id.clone(),
                    reason,
                },
            ));
        }
        out
    }

    /// Whether the lifetime rule ended the room at `now`.
    pub fn expire(&mut self, now: i64) -> Option<Out> {
        let limit = self.rules.end_if_nobody_joins_ms?;
        if self.ended || self.anyone_joined || now - self.created_at < limit {
            return None;
        }
        self.ended = true;
        Some(Self::ended_frames(EndReason::Expired))
    }

    /// Applies the moderator-leave rule after a change at `now`: starts the
    /// countdown when the last host left (others still here), cancels it
    /// when a host is back, and ends the conference when it ran out.
    pub fn host_rule(&mut self, now: i64) -> Out {
        let mut out = Vec::new();
        let Some(grace) = self.rules.host_leave_grace_ms else {
            return out;
        };
        if self.ended {
            return out;
        }
        if self.host_present() {
            self.host_was_here = true;
            if self.host_gone_since.take().is_some() {
                out.push((To::Present, ServerMessage::HostBack));
            }
            return out;
        }
        if !self.host_was_here || self.members.is_empty() {
            self.host_gone_since = None;
            return out;
        }
        let since = *self.host_gone_since.get_or_insert_with(|| {
            let ends_at = now + grace;
            out.push((To::Present, ServerMessage::HostLeft { ends_at }));
            out.push((To::Waiting, ServerMessage::HostLeft { ends_at }));
            now
        });
        if now - since >= grace {
            self.ended = true;
            out.extend(Self::ended_frames(EndReason::HostLeft));
        }
        out
    }

    /// A host-leave countdown is running.
    pub fn host_countdown(&self) -> bool {
        self.host_gone_since.is_some()
    }

    /// Ends the room from outside (the owning feature), like a host's `end`.
    pub fn end(&mut self, reason: EndReason) -> Out {
        self.ended = true;
        Self::ended_frames(reason)
    }

    fn ended_frames(reason: EndReason) -> Out {
        vec![
            (To::Present, ServerMessage::Ended { reason }),
            (To::Waiting, ServerMessage::Ended { reason }),
        ]
    }

    fn require_host(&self, from: &Member) -> Result<(), ErrorCode> {
        if from.view.role == Role::Host {
            Ok(())
        } else {
            Err(ErrorCode::NotAllowed)
        }
    }

    /// Handles a parsed client message from member `from` at `now`.
    pub fn handle(&mut self, from: &MemberId, msg: ClientMessage, now: i64) -> Result<Out, ErrorCode> {
        if self.ended {
            return Err(ErrorCode::RoomEnded);
        }
        let sender = self.member(from).ok_or(ErrorCode::NotInRoom)?.clone();
        if matches!(msg, ClientMessage::Ping) {
            return Ok(vec![(To::One(from.clone()), ServerMessage::Pong)]);
        }
        if matches!(msg, ClientMessage::Leave) {
            return Ok(self.leave(from, LeaveReason::Left));
        }
        if sender.waiting {
            return Err(ErrorCode::Waiting);
        }
        let mut out = Vec::new();
        match msg {
            ClientMessage::Chat { text } => {
                let text = text.trim().to_string();
                if text.is_empty() {
                    return Err(ErrorCode::ChatEmpty);
                }
                if text.chars().count() > MAX_CHAT_CHARS {
                    return Err(ErrorCode::ChatTooLong);
                }
                let m = self
                    .members
                    .iter_mut()
                    .find(|m| &m.view.id == from)
                    .ok_or(ErrorCode::NotInRoom)?;
                while m.recent_chat.front().is_some_and(|t| now - t >= CHAT_WINDOW_MS) {
                    m.recent_chat.pop_front();
                }
                if m.recent_chat.len() >= CHAT_BURST {
                    return Err(ErrorCode::RateLimited);
                }
                m.recent_chat.push_back(now);
                let line = ChatLine {
                    id: self.next_chat_id,
                    from: from.clone(),
                    name: sender.view.name.clone(),
                    role: sender.view.role,
                    text,
                    at: now,
                };
                self.next_chat_id += 1;
                self.history.push_back(line.clone());
                if self.history.len() > HISTORY {
                    self.history.pop_front();
                }
                out.push((To::Present, ServerMessage::Chat(line)));
            }
            ClientMessage::Typing { on } => {
                out.push((
                    To::PresentExcept(from.clone()),
                    ServerMessage::Typing { from: from.clone(), on },
                ));
            }
            ClientMessage::Media(media) => {
                if let Some(m) = self.members.iter_mut().find(|m| &m.view.id == from) {
                    m.view.media = media;
                }
                out.push((
                    To::PresentExcept(from.clone()),
                    ServerMessage::Media {
                        from: from.clone(),
                        media,
                    },
                ));
            }
            ClientMessage::Signal { to, signal } => {
                // Only to someone present in this same room.
                match self.member(&to) {
                    Some(m) if !m.waiting && &to != from => {
                        out.push((
                            To::One(to),
                            ServerMessage::Signal {
                                from: from.clone(),
                                signal,
                            },
                        ));
                    }
                    _ => return Err(ErrorCode::NoSuchMember),
                }
            }
            ClientMessage::Lock { locked } => {
                self.require_host(&sender)?;
                self.locked = locked;
                out.push((To::Present, ServerMessage::Locked { locked }));
            }
            ClientMessage::Admit { member } => {
                self.require_host(&sender)?;
                if !self.member(&member).is_some_and(|m| m.waiting) {
                    return Err(ErrorCode::NoSuchMember);
                }
                self.enter(&member, &mut out);
                self.waiting_update(&mut out);
            }
            ClientMessage::Remove { member } => {
                self.require_host(&sender)?;
                if self.member(&member).is_none() || &member == from {
                    return Err(ErrorCode::NoSuchMember);
                }
                out.push((
                    To::One(member.clone()),
                    ServerMessage::Left {
                        member: member.clone(),
                        reason: LeaveReason::Removed,
                    },
                ));
                out.extend(self.leave(&member, LeaveReason::Removed));
            }
            ClientMessage::Mute { member } => {
                self.require_host(&sender)?;
                if self.member(&member).is_none_or(|m| m.waiting) {
                    return Err(ErrorCode::NoSuchMember);
                }
                out.push((To::One(member), ServerMessage::MuteRequest { by: from.clone() }));
            }
            ClientMessage::End => {
                self.require_host(&sender)?;
                self.ended = true;
                out.extend(Self::ended_frames(EndReason::Host));
            }
            ClientMessage::Ping | ClientMessage::Leave => {}
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rooms::protocol::Signal;

    fn m(id: &str, role: Role) -> MemberView {
        MemberView {
            id: MemberId(id.into()),
            name: id.to_uppercase(),
            role,
            media: Default::default(),
        }
    }

    fn id(s: &str) -> MemberId {
        MemberId(s.into())
    }

    fn types(out: &Out) -> Vec<(String, String)> {
        out.iter()
            .map(|(to, msg)| {
                let t = serde_json::to_value(msg).unwrap()["type"].as_str().unwrap().to_string();
                (format!("{to:?}"), t)
            })
            .collect()
    }

    #[test]
    fn participants_wait_for_the_host_and_enter_together() {
        let rules = RoomRules {
            wait_for_host: true,
            ..Default::default()
        };
        let mut room = Room::new(rules, 0);
        let out = room.join(m("p1", Role::Participant)).unwrap();
        assert_eq!(out, vec![(To::Waiting, ServerMessage::Waiting { waiting: 1 })]);
        room.join(m("p2", Role::Participant)).unwrap();
        assert_eq!(
            room.handle(&id("p1"), ClientMessage::Chat { text: "hi".into() }, 0),
            Err(ErrorCode::Waiting)
        );
        let out = room.join(m("h", Role::Host)).unwrap();
        let welcomes = out
            .iter()
            .filter(|(_, msg)| matches!(msg, ServerMessage::Welcome { .. }))
            .count();
        assert_eq!(welcomes, 3, "host and both waiting participants: {:?}", types(&out));
        // After the host, newcomers enter at once.
        let out = room.join(m("p3", Role::Participant)).unwrap();
        assert!(matches!(out[0].1, ServerMessage::Welcome { .. }));
    }

    #[test]
    fn reconnect_does_not_duplicate() {
        let mut room = Room::new(RoomRules::default(), 0);
        room.join(m("a", Role::Participant)).unwrap();
        room.join(m("b", Role::Participant)).unwrap();
        let out = room.join(m("a", Role::Participant)).unwrap();
        assert_eq!(out.len(), 1, "only a fresh welcome to the returning member");
        let ServerMessage::Welcome { members, .. } = &out[0].1 else {
            panic!()
        };
        assert_eq!(members.len(), 2);
    }

    #[test]
    fn lock_full_remove_end_and_host_only_controls() {
        let mut room = Room::new(
            RoomRules {
                max_members: 2,
                ..Default::default()
            },
            0,
        );
        room.join(m("h", Role::Host)).unwrap();
        room.join(m("a", Role::Participant)).unwrap();
        assert_eq!(room.join(m("b", Role::Guest)).unwrap_err(), ErrorCode::RoomFull);
        assert_eq!(
            room.handle(&id("a"), ClientMessage::Lock { locked: true }, 0),
            Err(ErrorCode::NotAllowed)
        );
        room.handle(&id("h"), ClientMessage::Lock { locked: true }, 0).unwrap();
        room.leave(&id("a"), LeaveReason::Left);
        assert_eq!(room.join(m("c", Role::Participant)).unwrap_err(), ErrorCode::RoomLocked);
        room.handle(&id("h"), ClientMessage::Lock { locked: false }, 0).unwrap();
        room.join(m("c", Role::Participant)).unwrap();
        let out = room
            .handle(&id("h"), ClientMessage::Remove { member: id("c") }, 0)
            .unwrap();
        assert_eq!(out[0].0, To::One(id("c")));
        assert_eq!(room.handle(&id("c"), ClientMessage::Ping, 0), Err(ErrorCode::NotInRoom));
        room.handle(&id("h"), ClientMessage::End, 0).unwrap();
        assert!(room.is_ended());
        assert_eq!(room.join(m("d", Role::Guest)).unwrap_err(), ErrorCode::RoomEnded);
    }

    #[test]
    fn chat_is_checked_rate_limited_and_kept() {
        let mut room = Room::new(RoomRules::default(), 0);
        room.join(m("a", Role::Participant)).unwrap();
        assert_eq!(
            room.handle(&id("a"), ClientMessage::Chat { text: "  ".into() }, 0),
            Err(ErrorCode::ChatEmpty)
        );
        let long = "ü".repeat(MAX_CHAT_CHARS + 1);
        assert_eq!(
            room.handle(&id("a"), ClientMessage::Chat { text: long }, 0),
            Err(ErrorCode::ChatTooLong)
        );
        let ok = "ü".repeat(MAX_CHAT_CHARS);
        room.handle(&id("a"), ClientMessage::Chat { text: ok }, 0).unwrap();
        for i in 1..CHAT_BURST {
            room.handle(&id("a"), ClientMessage::Chat { text: format!("{i}") }, i as i64)
                .unwrap();
        }
        assert_eq!(
            room.handle(&id("a"), ClientMessage::Chat { text: "x".into() }, 100),
            Err(ErrorCode::RateLimited)
        );
        room.handle(
            &id("a"),
            ClientMessage::Chat { text: "later".into() },
            CHAT_WINDOW_MS + 1,
        )
        .unwrap();
        let out = room.join(m("b", Role::Participant)).unwrap();
        let ServerMessage::Welcome { history, .. } = &out[0].1 else {
            panic!()
        };
        assert_eq!(history.len(), CHAT_BURST + 1);
        assert_eq!(history.last().unwrap().text, "later");
    }

    #[test]
    fn signals_go_only_to_present_members_of_this_room() {
        let rules = RoomRules {
            wait_for_host: true,
            ..Default::default()
        };
        let mut room = Room::new(rules, 0);
        room.join(m("h", Role::Host)).unwrap();
        room.join(m("s", Role::Staff)).unwrap();
        let offer = Signal::Offer { sdp: "v=0".into() };
        let out = room
            .handle(
                &id("h"),
                ClientMessage::Signal {
                    to: id("s"),
                    signal: offer.clone(),
                },
                0,
            )
            .unwrap();
        assert_eq!(
            out,
            vec![(
                To::One(id("s")),
                ServerMessage::Signal {
                    from: id("h"),
                    signal: offer.clone()
                }
            )]
        );
        for to in ["nobody", "h"] {
            assert_eq!(
                room.handle(
                    &id("h"),
                    ClientMessage::Signal {
                        to: id(to),
                        signal: offer.clone()
                    },
                    0
                ),
                Err(ErrorCode::NoSuchMember)
            );
        }
    }

    #[test]
    fn moderator_leave_rule_counts_down_and_is_called_off() {
        let rules = RoomRules {
            wait_for_host: true,
            host_leave_grace_ms: Some(60_000),
            ..Default::default()
        };
        let mut room = Room::new(rules, 0);
        room.join(m("p", Role::Participant)).unwrap();
        assert!(room.host_rule(0).is_empty(), "no moderator yet: no countdown");
        room.join(m("h", Role::Host)).unwrap();
        assert!(room.host_rule(1_000).is_empty());
        room.leave(&id("h"), LeaveReason::Left);
        let out = room.host_rule(2_000);
        assert_eq!(out[0], (To::Present, ServerMessage::HostLeft { ends_at: 62_000 }));
        assert!(room.host_rule(30_000).is_empty(), "announced once");
        room.join(m("h", Role::Host)).unwrap();
        assert_eq!(room.host_rule(40_000), vec![(To::Present, ServerMessage::HostBack)]);
        room.leave(&id("h"), LeaveReason::Left);
        room.host_rule(50_000);
        assert!(!room.is_ended());
        let out = room.host_rule(110_000);
        assert!(room.is_ended());
        assert!(out.contains(&(
            To::Present,
            ServerMessage::Ended {
                reason: EndReason::HostLeft
            }
        )));
        // Without the rule (meetings) nothing happens.
        let mut meeting = Room::new(RoomRules::default(), 0);
        meeting.join(m("h", Role::Host)).unwrap();
        meeting.join(m("p", Role::Participant)).unwrap();
        meeting.leave(&id("h"), LeaveReason::Left);
        assert!(meeting.host_rule(0).is_empty() && meeting.host_rule(10_000_000).is_empty());
    }

    #[test]
    fn ends_when_nobody_joins_in_time() {
        let rules = RoomRules {
            end_if_nobody_joins_ms: Some(30 * 60_000),
            ..Default::default()
        };
        let mut room = Room::new(rules.clone(), 0);
        assert!(room.expire(29 * 60_000).is_none());
        assert!(room.expire(30 * 60_000).is_some());
        assert!(room.is_ended());
        let mut alone = Room::new(rules.clone(), 0);
        alone.join(m("h", Role::Host)).unwrap();
        let out = alone.expire(30 * 60_000).expect("a host alone does not keep it open");
        assert_eq!(alone.recipients(&out[0].0), vec![id("h")]);
        let mut used = Room::new(rules, 0);
        used.join(m("a", Role::Guest)).unwrap();
        assert!(used.expire(31 * 60_000).is_none(), "someone came");
    }
}
