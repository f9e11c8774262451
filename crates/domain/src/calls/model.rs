use std::collections::BTreeMap;

use kernel::{AccountId, DomainError, DomainResult, Timestamp, UserId};
use serde::{Deserialize, Serialize};

use crate::secretary::{Faq, QueryField};

/// Longest text accepted in one note field.
pub const MAX_FIELD_CHARS: usize = 4000;
/// How many characters of the concern the dashboard shows.
pub const SUMMARY_CHARS: usize = 120;

/// Where a call is in its life: waiting for an agent, being answered, done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallStatus {
    Queued,
    Claimed,
    Done,
}

impl CallStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CallStatus::Queued => "queued",
            CallStatus::Claimed => "claimed",
            CallStatus::Done => "done",
        }
    }
    pub fn parse(s: &str) -> Self {
        match s {
            "claimed" => CallStatus::Claimed,
            "done" => CallStatus::Done,
            _ => CallStatus::Queued,
        }
    }
}

/// How a call ended: put through to an employee, or a message taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Connected,
    Message,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Connected => "connected",
            Outcome::Message => "message",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "connected" => Some(Outcome::Connected),
            "message" => Some(Outcome::Message),
            _ => None,
        }
    }
}

/// A forwarded call as agents and customers see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Call {
    pub id: i64,
    pub account_id: AccountId,
    pub account_name: String,
    pub customer_number: String,
    /// The number the caller dialled (E.164), which identifies the customer.
    pub service_number: String,
    /// E.164, or empty when the caller withheld the number.
    pub caller_id: String,
    #[schema(value_type = i64)]
    pub received_at: Timestamp,
    /// "api" (from a telephone system) or "console" (opened by an agent).
    pub source: String,
    pub status: CallStatus,
    pub agent_id: Option<UserId>,
    pub agent_name: String,
    /// The employee the caller asked for (after the note is sent).
    pub employee_id: Option<i64>,
    pub employee_name: String,
    pub outcome: Option<Outcome>,
    /// The caller ID is on the account's VIP list.
    pub vip: bool,
    /// From the latest note: the caller's name and the start of the concern.
    pub caller_name: String,
    pub summary: String,
    pub note_id: Option<i64>,
}

/// One answer to an extra query field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ExtraAnswer {
    pub label: String,
    pub value: String,
}

/// A sent call note. Never changed; a correction is a new note with `corrects_id`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Note {
    pub id: i64,
    pub call_id: i64,
    pub corrects_id: Option<i64>,
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
    pub agent_name: String,
    pub employee_id: Option<i64>,
    pub employee_name: String,
    pub outcome: Outcome,
    /// Who took the call when connected (the employee or a deputy).
    pub connected_to: String,
    pub caller_name: String,
    pub company: String,
    pub phone: String,
    pub concern: String,
    pub extra: Vec<ExtraAnswer>,
}

/// What an agent types for a call note.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteInput {
    /// The employee the caller asked for.
    pub employee_id: i64,
    pub outcome: Option<Outcome>,
    /// With `connected`: who took the call (the employee or one of their deputies).
    pub connected_to: Option<i64>,
    #[serde(default)]
    pub caller_name: String,
    #[serde(default)]
    pub company: String,
    /// Callback number; the caller ID when left empty.
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub concern: String,
    /// Answers to the account's extra query fields, by label.
    #[serde(default)]
    pub extra: BTreeMap<String, String>,
}

/// A checked note, ready to be stored with its notifications.
#[derive(Debug, Clone)]
pub struct NewNote {
    pub corrects_id: Option<i64>,
    pub agent_id: UserId,
    pub agent_name: String,
    pub employee_id: i64,
    pub employee_name: String,
    pub outcome: Outcome,
    pub connected_to: String,
    pub caller_name: String,
    pub company: String,
    pub phone: String,
    pub concern: String,
    pub extra: Vec<ExtraAnswer>,
    pub vip: bool,
}

impl NewNote {
    /// The start of the concern for lists (whole words, "…" when cut).
    pub fn summary(&self) -> String {
        shorten(&self.concern, SUMMARY_CHARS)
    }
}

/// Cuts `text` to at most `max` characters at a word boundary, adding "…".
pub fn shorten(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > max / 2 => cut[..i].to_string(),
        _ => cut,
    };
    format!("{}…", cut.trim_end())
}

/// Checks a note's fields against the account's query fields. A message
/// needs the caller's name, a callback number and the concern (and the
/// required extra fields); a connected call needs the caller's name.
pub fn check_fields(
    input: &NoteInput,
    extra_fields: &[QueryField],
    caller_id: &str,
) -> DomainResult<(String, String, String, String, Vec<ExtraAnswer>)> {
    let mut errors = Vec::new();
    let outcome = input.outcome.unwrap_or(Outcome::Message);
    let text = |errors: &mut Vec<kernel::error::FieldError>, field: &str, value: &str, required: bool| {
        let v = value.trim().to_string();
        if required && v.is_empty() {
            errors.push(kernel::error::FieldError::new(field, "required"));
        } else if v.chars().count() > MAX_FIELD_CHARS {
            errors.push(kernel::error::FieldError::with(
                field,
                "too_long",
                vec![("max", MAX_FIELD_CHARS.to_string())],
            ));
        }
        v
    };
    let message = outcome == Outcome::Message;
    let caller_name = text(&mut errors, "caller_name", &input.caller_name, true);
    let company = text(&mut errors, "company", &input.company, false);
    let phone_raw = if input.phone.trim().is_empty() {
        caller_id
    } else {
        &input.phone
    };
    let phone = text(&mut errors, "phone", phone_raw, message);
    let concern = text(&mut errors, "concern", &input.concern, message);
    for label in input.extra.keys() {
        if !extra_fields.iter().any(|f| &f.label == label) {
            errors.push(kernel::error::FieldError::with(
                "extra",
                "unknown_query_field",
                vec![("label", label.clone())],
            ));
        }
    }
    let mut extra = Vec::new();
    for (i, f) in extra_fields.iter().enumerate() {
        let value = input.extra.get(&f.label).map(String::as_str).unwrap_or("");
        let v = text(&mut errors, &format!("extra_{i}"), value, f.required && message);
        extra.push(ExtraAnswer {
            label: f.label.clone(),
            value: v,
        });
    }
    if errors.is_empty() {
        Ok((caller_name, company, phone, concern, extra))
    } else {
        Err(DomainError::Validation(errors))
    }
}

/// An incoming call as a telephone system reports it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncomingCall {
    /// The dialled number (the customer's service number), any common spelling.
    pub service_number: String,
    /// The caller's number; empty, "anonymous" or absent when withheld.
    #[serde(default)]
    pub caller_id: Option<String>,
}

/// A call an agent opens by hand (e.g. a call on a line without CTI).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManualCall {
    pub account_id: i64,
    #[serde(default)]
    pub caller_id: Option<String>,
}

/// A call to be stored.
#[derive(Debug, Clone)]
pub struct NewCall {
    pub account_id: AccountId,
    pub service_number: String,
    pub caller_id: String,
    pub received_at: Timestamp,
    pub source: &'static str,
    /// Set for calls an agent opens by hand: claimed by them at once.
    pub agent: Option<(UserId, String)>,
}

/// A number the operator assigned to a customer; calls to it are theirs.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServiceNumber {
    pub number: String,
    pub account_id: AccountId,
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceNumberInput {
    pub number: String,
}

/// A credential for a telephone system: it can create calls, nothing else.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<i64>)]
    pub last_used_at: Option<Timestamp>,
    #[schema(value_type = Option<i64>)]
    pub revoked_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiTokenInput {
    /// E.g. "Telefonanlage Berlin".
    pub name: String,
}

/// A new token with its secret, shown once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreatedApiToken {
    pub token: ApiToken,
    /// Send as `Authorization: Bearer <secret>`; only its hash is stored.
    pub secret: String,
}

/// An employee on the call screen (never with e-mail or mobile number).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScreenEmployee {
    pub id: i64,
    pub name: String,
    pub position: String,
    pub responsibility: String,
    /// What applies right now: the current appointment, else the absence info.
    pub status: String,
    /// `status` comes from an appointment.
    pub in_appointment: bool,
    pub extension: String,
    pub wants_transfer: bool,
    pub vip_transfer: bool,
    pub deputy_id: Option<i64>,
    pub deputy_name: Option<String>,
    /// What the agent does first when the caller asks for this employee.
    pub first_step: super::Step,
}

/// A VIP entry matching the caller.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VipHit {
    pub name: String,
    pub note: String,
    /// None: company-wide VIP.
    pub employee_id: Option<i64>,
    pub employee_name: Option<String>,
}

/// Everything the call screen shows, in one answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CallScreen {
    pub call: Call,
    /// The greeting with the agent's name in the placeholder.
    pub greeting: String,
    pub instructions: String,
    pub with_transfer: bool,
    /// For tariffs without transfer, the sentence the agent says.
    pub no_transfer_notice: Option<String>,
    pub time_zone: String,
    pub employees: Vec<ScreenEmployee>,
    pub vips: Vec<VipHit>,
    pub faqs: Vec<Faq>,
    /// Asked after the four fixed fields.
    pub extra_fields: Vec<QueryField>,
    /// Sent notes (for a finished call), oldest first.
    pub notes: Vec<Note>,
    /// The customer has confirmed their data (onboarding done).
    pub confirmed: bool,
}

/// One item of the onboarding checklist.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OnboardingStep {
    /// greeting, employees, vips, faq, service_number, confirm
    pub key: &'static str,
    pub done: bool,
    /// Optional steps (VIPs, FAQ) do not hold up the confirmation.
    pub required: bool,
    /// How many entries exist (employees, VIPs, FAQ).
    pub count: Option<i64>,
}

/// The checklist a customer works through before the first call forwarding.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Onboarding {
    #[schema(value_type = Option<i64>)]
    pub confirmed_at: Option<Timestamp>,
    pub steps: Vec<OnboardingStep>,
}

/// One page of finished calls.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CallPage {
    pub items: Vec<Call>,
    pub total: i64,
}

/// What changed, pushed to consoles and dashboards.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CallEvent {
    /// A new call waits for an agent.
    Queued { call: Call },
    /// An agent took the call.
    Claimed { call: Call },
    /// The agent put it back into the queue.
    Released { call: Call },
    /// The note was sent (or corrected).
    Done { call: Call },
}

impl CallEvent {
    pub fn call(&self) -> &Call {
        match self {
            CallEvent::Queued { call }
            | CallEvent::Claimed { call }
            | CallEvent::Released { call }
            | CallEvent::Done { call } => call,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_cuts_at_words() {
        assert_eq!(shorten("  kurz  und\nknapp ", 50), "kurz und knapp");
        let s = shorten("Bitte um Rückruf wegen des Angebots für die neue Anlage", 30);
        assert!(s.ends_with('…'));
        assert!(s.chars().count() <= 30, "{s}");
        assert!(s.starts_with("Bitte um Rückruf wegen des"));
    }

    #[test]
    fn message_needs_name_phone_concern_and_required_extras() {
        let fields = vec![
            QueryField {
                label: "Kundennummer".into(),
                required: true,
            },
            QueryField {
                label: "Rückrufzeit".into(),
                required: false,
            },
        ];
        let input = NoteInput {
            employee_id: 1,
            outcome: Some(Outcome::Message),
            ..Default::default()
        };
        let DomainError::Validation(errors) = check_fields(&input, &fields, "").unwrap_err() else {
            panic!()
        };
        let got: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(got, ["caller_name", "phone", "concern", "extra_0"]);

        // The caller ID fills an empty phone field; a connected call needs only the name.
        let mut input = NoteInput {
            employee_id: 1,
            outcome: Some(Outcome::Connected),
            caller_name: "Herr Meier".into(),
            ..Default::default()
        };
        let (_, _, phone, _, extra) = check_fields(&input, &fields, "+4930123").unwrap();
        assert_eq!(phone, "+4930123");
        assert_eq!(extra.len(), 2);
        input.extra.insert("Unbekannt".into(), "x".into());
        let e = check_fields(&input, &fields, "").unwrap_err();
        assert_eq!(e.code(), "unknown_query_field");
    }
}
