//! The voice menu of a call, as a state machine without I/O: welcome,
//! language by key, room number and PIN by keys (each ended by `#`, or by
//! a pause after some digits), three tries, re-prompts when nothing is
//! typed, goodbye. The call feeds it keys, check results and the time,
//! and carries out the actions it returns.

use crate::media::sound::{Lang, Prompt};

/// Wrong room number or PIN this many times: goodbye.
pub const MAX_TRIES: u8 = 3;
/// Silence after a prompt before it is repeated.
pub const REPROMPT_MS: i64 = 8_000;
/// Repeats without any key before the call is ended.
pub const MAX_REPROMPTS: u8 = 3;
/// A pause this long after some digits counts as `#`.
pub const DIGIT_PAUSE_MS: i64 = 5_000;
/// More digits than any room number or PIN has: entry ends by itself.
pub const MAX_DIGITS: usize = 16;

/// What the call should do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Stop what is playing and play these.
    Play(Vec<Prompt>),
    /// Check the entered room number and PIN; answer with [`Menu::checked`].
    Check { room: String, pin: String },
    /// Hang up once the queued prompts are played.
    Hangup,
}

/// The outcome of a check that did not let the caller in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Unknown room or wrong PIN (the caller cannot tell which).
    Wrong,
    /// Too many wrong tries from this number or for this room.
    Throttled,
    Locked,
    /// The room's PINs are not set yet.
    NotAvailable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Room,
    Pin,
    Checking,
    Done,
}

pub struct Menu {
    pub lang: Lang,
    stage: Stage,
    digits: String,
    room: String,
    failures: u8,
    /// Since when nothing happened (no key, no prompt playing).
    idle_since: i64,
    /// When the last digit came (for the pause rule).
    last_digit: Option<i64>,
    reprompts: u8,
}

impl Menu {
    pub fn new(lang: Lang, now: i64) -> Menu {
        Menu {
            lang,
            stage: Stage::Room,
            digits: String::new(),
            room: String::new(),
            failures: 0,
            idle_since: now,
            last_digit: None,
            reprompts: 0,
        }
    }

    /// The greeting and the first question.
    pub fn start(&mut self) -> Vec<Action> {
        vec![Action::Play(vec![Prompt::welcome, Prompt::enter_room])]
    }

    /// Still asking (keys are for the menu, not the conference).
    pub fn active(&self) -> bool {
        matches!(self.stage, Stage::Room | Stage::Pin)
    }

    fn question(&self) -> Prompt {
        match self.stage {
            Stage::Pin => Prompt::enter_pin,
            _ => Prompt::enter_room,
        }
    }

    fn submit(&mut self) -> Vec<Action> {
        let digits = std::mem::take(&mut self.digits);
        self.last_digit = None;
        match self.stage {
            Stage::Room if digits.is_empty() => vec![Action::Play(vec![Prompt::enter_room])],
            Stage::Room => {
                self.room = digits;
                self.stage = Stage::Pin;
                vec![Action::Play(vec![Prompt::enter_pin])]
            }
            Stage::Pin if digits.is_empty() => vec![Action::Play(vec![Prompt::enter_pin])],
            Stage::Pin => {
                self.stage = Stage::Checking;
                vec![Action::Check {
                    room: std::mem::take(&mut self.room),
                    pin: digits,
                }]
            }
            Stage::Checking | Stage::Done => Vec::new(),
        }
    }

    /// A key press.
    pub fn key(&mut self, key: char, now: i64) -> Vec<Action> {
        if !self.active() {
            return Vec::new();
        }
        self.idle_since = now;
        self.reprompts = 0;
        match key {
            '#' => self.submit(),
            // Star before any digit of the room number switches language;
            // elsewhere it starts the entry over.
            '*' if self.stage == Stage::Room && self.digits.is_empty() => {
                self.lang = self.lang.other();
                vec![Action::Play(vec![Prompt::enter_room])]
            }
            '*' => {
                self.digits.clear();
                self.last_digit = None;
                vec![Action::Play(vec![self.question()])]
            }
            d if d.is_ascii_digit() => {
                self.digits.push(d);
                self.last_digit = Some(now);
                if self.digits.len() >= MAX_DIGITS {
                    return self.submit();
                }
                // Typing cuts the prompt short.
                vec![Action::Play(Vec::new())]
            }
            _ => Vec::new(),
        }
    }

    /// The check's outcome when the caller was not let in.
    pub fn checked(&mut self, refusal: Refusal, now: i64) -> Vec<Action> {
        self.idle_since = now;
        match refusal {
            Refusal::Wrong => {
                self.failures += 1;
                if self.failures >= MAX_TRIES {
                    self.stage = Stage::Done;
                    vec![
                        Action::Play(vec![Prompt::wrong, Prompt::too_many, Prompt::goodbye]),
                        Action::Hangup,
                    ]
                } else {
                    self.stage = Stage::Room;
                    vec![Action::Play(vec![Prompt::wrong, Prompt::enter_room])]
                }
            }
            Refusal::Throttled => self.end(Prompt::throttled),
            Refusal::Locked => self.end(Prompt::locked),
            Refusal::NotAvailable => self.end(Prompt::not_available),
        }
    }

    /// The caller is through (in the conference or its waiting room).
    pub fn admitted(&mut self) {
        self.stage = Stage::Done;
    }

    fn end(&mut self, prompt: Prompt) -> Vec<Action> {
        self.stage = Stage::Done;
        vec![Action::Play(vec![prompt, Prompt::goodbye]), Action::Hangup]
    }

    /// Time passes; `playing` while a prompt is still being played.
    pub fn tick(&mut self, now: i64, playing: bool) -> Vec<Action> {
        if !self.active() {
            return Vec::new();
        }
        if let Some(at) = self.last_digit {
            if now - at >= DIGIT_PAUSE_MS {
                return self.submit();
            }
            return Vec::new();
        }
        if playing {
            self.idle_since = now;
            return Vec::new();
        }
        if now - self.idle_since < REPROMPT_MS {
            return Vec::new();
        }
        self.idle_since = now;
        if self.reprompts >= MAX_REPROMPTS {
            self.stage = Stage::Done;
            return vec![Action::Play(vec![Prompt::goodbye]), Action::Hangup];
        }
        self.reprompts += 1;
        vec![Action::Play(vec![self.question()])]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(menu: &mut Menu, s: &str) -> Vec<Action> {
        s.chars()
            .flat_map(|k| menu.key(k, 0))
            .filter(|a| a != &Action::Play(vec![]))
            .collect()
    }

    #[test]
    fn room_then_pin_then_check() {
        let mut m = Menu::new(Lang::De, 0);
        assert_eq!(m.start(), vec![Action::Play(vec![Prompt::welcome, Prompt::enter_room])]);
        assert_eq!(keys(&mut m, "4711#"), vec![Action::Play(vec![Prompt::enter_pin])]);
        assert_eq!(
            keys(&mut m, "12*90#"),
            vec![
                Action::Play(vec![Prompt::enter_pin]),
                Action::Check {
                    room: "4711".into(),
                    pin: "90".into()
                }
            ],
            "star starts the PIN over"
        );
        assert!(!m.active());
        assert!(keys(&mut m, "5#").is_empty(), "keys while checking are ignored");
    }

    #[test]
    fn star_first_switches_language() {
        let mut m = Menu::new(Lang::De, 0);
        keys(&mut m, "*");
        assert_eq!(m.lang, Lang::En);
        keys(&mut m, "*");
        assert_eq!(m.lang, Lang::De);
    }

    #[test]
    fn three_wrong_tries_and_goodbye() {
        let mut m = Menu::new(Lang::En, 0);
        for i in 1..=MAX_TRIES {
            keys(&mut m, "1#");
            assert!(matches!(keys(&mut m, "2#")[..], [Action::Check { .. }]));
            let out = m.checked(Refusal::Wrong, 0);
            if i < MAX_TRIES {
                assert_eq!(out, vec![Action::Play(vec![Prompt::wrong, Prompt::enter_room])]);
            } else {
                assert_eq!(out.last(), Some(&Action::Hangup));
            }
        }
        let mut locked = Menu::new(Lang::En, 0);
        keys(&mut locked, "1#2#");
        assert_eq!(
            locked.checked(Refusal::Locked, 0),
            vec![Action::Play(vec![Prompt::locked, Prompt::goodbye]), Action::Hangup]
        );
    }

    #[test]
    fn pauses_submit_and_silence_reprompts_then_ends() {
        let mut m = Menu::new(Lang::De, 0);
        m.key('4', 1_000);
        assert!(m.tick(5_000, false).is_empty());
        assert_eq!(m.tick(6_000, false), vec![Action::Play(vec![Prompt::enter_pin])]);
        let mut idle = Menu::new(Lang::De, 0);
        assert!(
            idle.tick(50_000, true).is_empty(),
            "while a prompt plays nothing counts"
        );
        let mut now = 50_000;
        for _ in 0..MAX_REPROMPTS {
            now += REPROMPT_MS;
            assert_eq!(idle.tick(now, false), vec![Action::Play(vec![Prompt::enter_room])]);
        }
        now += REPROMPT_MS;
        assert_eq!(
            idle.tick(now, false),
            vec![Action::Play(vec![Prompt::goodbye]), Action::Hangup]
        );
    }
}
