//! Session numbers, planner entries and the rules for their input.

use chrono_tz::Tz;
use kernel::{DomainError, DomainResult, FieldError, Lang, Timestamp, UserId};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::rooms::RoomRecord;

/// A spontaneous session ends this long after it was started unless a
/// participant joined (seed 004: 30 minutes).
pub const SPONTANEOUS_TTL_MS: i64 = 30 * 60_000;
/// Days everyone may use the planner before a licence is needed.
pub const TRIAL_DAYS: i64 = 14;
/// Lead times the host may choose for the reminder, in minutes.
pub const REMINDER_CHOICES: [i64; 7] = [5, 10, 15, 30, 60, 120, 1440];
/// Shortest and longest session, in minutes.
pub const DURATION_MIN: i64 = 5;
pub const DURATION_MAX: i64 = 12 * 60;
pub const MAX_TITLE: usize = 100;
pub const MAX_DESCRIPTION: usize = 2000;
/// Most addresses in one invitation.
pub const MAX_INVITEES: usize = 50;

/// A session number: 9 digits without a leading zero, shown as
/// `123-456-789`. Random, so numbers carry no sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionNumber(u32);

impl SessionNumber {
    /// A fresh random number (the store refuses one in use; callers retry).
    pub fn generate(rng: &mut impl Rng) -> Self {
        SessionNumber(rng.gen_range(100_000_000..1_000_000_000))
    }

    /// Parses what people type: digits with optional spaces, dashes or dots.
    pub fn parse(raw: &str, field: &str) -> DomainResult<Self> {
        let clean: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '/')).collect();
        if clean.is_empty() {
            return Err(DomainError::validation(field, "required"));
        }
        match clean.parse::<u32>() {
            Ok(n) if clean.len() == 9 && clean.bytes().all(|b| b.is_ascii_digit()) && n >= 100_000_000 => {
                Ok(SessionNumber(n))
            }
            _ => Err(DomainError::validation(field, "session_number_invalid")),
        }
    }

    /// A number read back from the database.
    pub fn from_stored(n: i64) -> DomainResult<Self> {
        u32::try_from(n)
            .ok()
            .filter(|n| (100_000_000..1_000_000_000).contains(n))
            .map(SessionNumber)
            .ok_or_else(|| DomainError::internal(format!("stored session number {n} is malformed")))
    }

    pub fn value(self) -> u32 {
        self.0
    }

    /// `123-456-789`, as people read it out.
    pub fn grouped(self) -> String {
        let s = self.0.to_string();
        format!("{}-{}-{}", &s[..3], &s[3..6], &s[6..])
    }
}

impl std::fmt::Display for SessionNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Planned in the planner, or started on the spot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SessionKind {
    Planned,
    Spontaneous,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Planned => "planned",
            SessionKind::Spontaneous => "spontaneous",
        }
    }
    pub fn parse(s: &str) -> Self {
        if s == "spontaneous" {
            SessionKind::Spontaneous
        } else {
            SessionKind::Planned
        }
    }
}

/// A planner entry or spontaneous session as stored, with its host.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: i64,
    pub number: SessionNumber,
    pub kind: SessionKind,
    pub owner: UserId,
    pub owner_email: String,
    pub owner_name: String,
    pub owner_first_name: String,
    pub owner_language: Lang,
    pub room: RoomRecord,
    pub title: String,
    pub description: String,
    pub starts_at: Option<Timestamp>,
    pub time_zone: String,
    pub duration_min: i64,
    pub phone_info: bool,
    pub reminder_min: Option<i64>,
    pub remind_at: Option<Timestamp>,
    pub reminded_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    pub uid: String,
    pub sequence: i64,
    pub created_at: Timestamp,
}

impl Session {
    pub fn zone(&self) -> Tz {
        crate::secretary::schedule::zone(&self.time_zone)
    }

    pub fn ends_at(&self) -> Option<Timestamp> {
        self.starts_at.map(|s| s.plus_millis(self.duration_min * 60_000))
    }
}

/// A planner entry as typed (API and form).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryInput {
    pub title: String,
    /// Local start, `YYYY-MM-DDTHH:MM` (also `DD.MM.YYYY HH:MM`).
    pub start: String,
    /// IANA zone of `start`; default: the host's account zone.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Minutes, 5–720.
    pub duration_min: i64,
    #[serde(default)]
    pub description: String,
    /// Add the dial-in block of the host's conference room to the invitation.
    #[serde(default)]
    pub phone_info: bool,
    /// Remind the host this many minutes before the start (5, 10, 15,
    /// 30, 60, 120 or 1440); none when absent.
    #[serde(default)]
    pub reminder_min: Option<i64>,
}

/// A checked entry.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryDraft {
    pub title: String,
    pub description: String,
    pub starts_at: Timestamp,
    pub time_zone: String,
    pub duration_min: i64,
    pub phone_info: bool,
    pub reminder_min: Option<i64>,
}

impl EntryDraft {
    /// Checks every field and reports all problems at once. Any date is
    /// accepted: an entry keeps its number whatever its date (seed 004).
    pub fn parse(input: &EntryInput, default_zone: &str) -> DomainResult<Self> {
        let mut errors = Vec::new();
        let title = input.title.trim().to_string();
        if title.is_empty() {
            errors.push(FieldError::new("title", "required"));
        } else if title.chars().count() > MAX_TITLE {
            errors.push(FieldError::with(
                "title",
                "too_long",
                vec![("max", MAX_TITLE.to_string())],
            ));
        } else if title.chars().any(char::is_control) {
            errors.push(FieldError::new("title", "invalid"));
        }
        let description = input.description.trim().replace("\r\n", "\n");
        if description.chars().count() > MAX_DESCRIPTION {
            errors.push(FieldError::with(
                "description",
                "too_long",
                vec![("max", MAX_DESCRIPTION.to_string())],
            ));
        }
        let time_zone = input
            .time_zone
            .as_deref()
            .map(str::trim)
            .filter(|z| !z.is_empty())
            .unwrap_or(default_zone)
            .to_string();
        let zone = time_zone.parse::<Tz>().ok();
        if zone.is_none() {
            errors.push(FieldError::new("time_zone", "time_zone_invalid"));
        }
        let local = if input.start.trim().is_empty() {
            errors.push(FieldError::new("start", "required"));
            None
        } else {
            let parsed = crate::secretary::schedule::parse_local_datetime(&input.start);
            if parsed.is_none() {
                errors.push(FieldError::with(
                    "start",
                    "datetime_invalid",
                    vec![("value", input.start.trim().to_string())],
                ));
            }
            parsed
        };
        if !(DURATION_MIN..=DURATION_MAX).contains(&input.duration_min) {
            errors.push(FieldError::with(
                "duration_min",
                "out_of_range",
                vec![("min", DURATION_MIN.to_string()), ("max", DURATION_MAX.to_string())],
            ));
        }
        if let Some(m) = input.reminder_min {
            if !REMINDER_CHOICES.contains(&m) {
                errors.push(FieldError::new("reminder_min", "invalid_choice"));
            }
        }
        match (zone, local) {
            (Some(zone), Some(local)) if errors.is_empty() => Ok(EntryDraft {
                title,
                description,
                starts_at: Timestamp::from_datetime(crate::secretary::schedule::local_to_instant(zone, local)),
                time_zone,
                duration_min: input.duration_min,
                phone_info: input.phone_info,
                reminder_min: input.reminder_min,
            }),
            _ => Err(DomainError::Validation(errors)),
        }
    }

    /// When the host's reminder is due: `None` without one, or when that
    /// moment has passed already (nobody wants a reminder after the fact).
    pub fn remind_at(&self, now: Timestamp) -> Option<Timestamp> {
        let at = self.starts_at.plus_millis(-self.reminder_min? * 60_000);
        (at > now).then_some(at)
    }
}

/// Whether the planner may be used, and until when on trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum PlannerAccess {
    /// A customer account of the user has the planner booked.
    Licensed,
    /// The trial runs until `ends_at` (ms).
    Trial { ends_at: i64 },
    /// The trial ended at `ended_at`; entries are kept.
    Expired { ended_at: i64 },
}

impl PlannerAccess {
    pub fn of(licensed: bool, user_created: Timestamp, now: Timestamp) -> Self {
        let ends = user_created.plus_secs(TRIAL_DAYS * 86_400);
        if licensed {
            PlannerAccess::Licensed
        } else if now < ends {
            PlannerAccess::Trial { ends_at: ends.millis() }
        } else {
            PlannerAccess::Expired {
                ended_at: ends.millis(),
            }
        }
    }

    pub fn allowed(self) -> bool {
        !matches!(self, PlannerAccess::Expired { .. })
    }

    /// Whole days left on trial (rounded up), for the banner.
    pub fn days_left(self, now: Timestamp) -> Option<i64> {
        match self {
            PlannerAccess::Trial { ends_at } => Some(((ends_at - now.millis()) + 86_399_999) / 86_400_000),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_nine_digits_grouped() {
        let mut rng = rand::thread_rng();
        for _ in 0..1000 {
            let n = SessionNumber::generate(&mut rng);
            assert_eq!(n.to_string().len(), 9);
            assert_eq!(SessionNumber::parse(&n.grouped(), "n").unwrap(), n);
        }
        let n = SessionNumber::parse(" 123 456 789 ", "n").unwrap();
        assert_eq!(n.grouped(), "123-456-789");
        for bad in ["12345678", "1234567890", "012345678", "12345678a", "1-2"] {
            let e = SessionNumber::parse(bad, "number").unwrap_err();
            assert_eq!(e.code(), "session_number_invalid", "{bad}");
        }
        assert_eq!(SessionNumber::parse(" ", "number").unwrap_err().code(), "required");
        assert!(SessionNumber::from_stored(99_999_999).is_err());
    }

    fn input() -> EntryInput {
        EntryInput {
            title: "Schulung".into(),
            start: "2026-12-01T10:00".into(),
            time_zone: None,
            duration_min: 60,
            description: String::new(),
            phone_info: false,
            reminder_min: Some(15),
        }
    }

    #[test]
    fn entries_are_read_in_their_zone() {
        let d = EntryDraft::parse(&input(), "Europe/Berlin").unwrap();
        // 10:00 CET = 09:00 UTC.
        assert_eq!(d.starts_at.to_rfc3339(), "2026-12-01T09:00:00Z");
        let ny = EntryDraft::parse(
            &EntryInput {
                time_zone: Some("America/New_York".into()),
                ..input()
            },
            "Europe/Berlin",
        )
        .unwrap();
        assert_eq!(ny.starts_at.to_rfc3339(), "2026-12-01T15:00:00Z");
        assert_eq!(d.remind_at(Timestamp(0)).unwrap().to_rfc3339(), "2026-12-01T08:45:00Z");
        assert_eq!(d.remind_at(d.starts_at), None, "no reminder after the fact");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let bad = EntryInput {
            title: " ".into(),
            start: "morgen".into(),
            time_zone: Some("Mars/Olympus".into()),
            duration_min: 0,
            description: "x".repeat(MAX_DESCRIPTION + 1),
            phone_info: false,
            reminder_min: Some(7),
        };
        let e = EntryDraft::parse(&bad, "Europe/Berlin").unwrap_err();
        let fields: Vec<&str> = e.field_errors().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "title",
                "description",
                "time_zone",
                "start",
                "duration_min",
                "reminder_min"
            ]
        );
    }

    #[test]
    fn trial_runs_fourteen_days() {
        let created = Timestamp(1_800_000_000_000);
        let day = 86_400;
        assert_eq!(
            PlannerAccess::of(false, created, created.plus_secs(13 * day)).days_left(created.plus_secs(13 * day)),
            Some(1)
        );
        assert!(PlannerAccess::of(false, created, created.plus_secs(14 * day - 1)).allowed());
        assert!(!PlannerAccess::of(false, created, created.plus_secs(14 * day)).allowed());
        assert!(PlannerAccess::of(true, created, created.plus_secs(400 * day)).allowed());
    }
}
