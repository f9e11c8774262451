use kernel::error::FieldError;
use kernel::phone::E164;
use kernel::{AccountId, DomainError, DomainResult, EmailAddress, Timestamp, UserId};
use serde::{Deserialize, Serialize};

use crate::portal::finish;

/// The placeholders an agent's name is filled into; one must be in the greeting.
pub const GREETING_PLACEHOLDERS: [&str; 3] = ["[Vorname, Nachname]", "[Vorname]", "[Nachname]"];

/// What agents say when the tariff has no call transfer (seed 001).
pub const NO_TRANSFER_NOTICE: &str = "Momentan ist niemand persönlich erreichbar. Darf ich einen Rückruf aufnehmen?";

/// Fields agents always ask for, whatever the extra fields are.
pub const FIXED_QUERY_FIELDS: [&str; 4] = ["caller_name", "company", "phone", "concern"];

fn text(errors: &mut Vec<FieldError>, field: &str, raw: &str, max: usize, required: bool) -> String {
    let v = raw.trim().to_string();
    if required && v.is_empty() {
        errors.push(FieldError::new(field, "required"));
    } else if v.chars().count() > max {
        errors.push(FieldError::with(field, "too_long", vec![("max", max.to_string())]));
    }
    v
}

// ----- company settings ------------------------------------------------

/// An extra question agents ask callers, on top of the fixed ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryField {
    pub label: String,
    #[serde(default)]
    pub required: bool,
}

/// How agents answer the account's calls.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Settings {
    pub account_id: AccountId,
    /// Contains one of [`GREETING_PLACEHOLDERS`].
    pub greeting: String,
    pub instructions: String,
    /// Tariff with call transfer (set by the operator).
    pub with_transfer: bool,
    pub query_fields: Vec<QueryField>,
    /// IANA time zone appointments are entered in, e.g. Europe/Berlin.
    pub time_zone: String,
    #[schema(value_type = Option<i64>)]
    pub updated_at: Option<Timestamp>,
    /// When the customer confirmed the (operator's pre-filled) data is
    /// right; until then the portal shows the onboarding checklist.
    #[schema(value_type = Option<i64>)]
    pub confirmed_at: Option<Timestamp>,
}

impl Settings {
    /// What a new account starts with.
    pub fn default_for(account_id: AccountId, company: &str, time_zone: &str) -> Self {
        Settings {
            account_id,
            greeting: format!("Herzlich Willkommen bei der {company}, mein Name ist [Vorname, Nachname]."),
            instructions: String::new(),
            with_transfer: false,
            query_fields: Vec::new(),
            time_zone: time_zone.to_string(),
            updated_at: None,
            confirmed_at: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    pub greeting: String,
    #[serde(default)]
    pub instructions: String,
    /// Only the operator may change it; others send the current value or leave it out.
    pub with_transfer: Option<bool>,
    #[serde(default)]
    pub query_fields: Vec<QueryField>,
    pub time_zone: Option<String>,
}

/// Checks a greeting: it must carry a placeholder for the agent's name, and
/// bracketed words that look like a misspelt placeholder are refused too.
pub fn check_greeting(errors: &mut Vec<FieldError>, raw: &str) -> String {
    let g = text(errors, "greeting", raw, 500, true);
    if g.is_empty() {
        return g;
    }
    let mut rest = g.as_str();
    while let Some(open) = rest.find('[') {
        let after = &rest[open..];
        let Some(close) = after.find(']') else { break };
        let token = &after[..=close];
        if !GREETING_PLACEHOLDERS.contains(&token) {
            errors.push(FieldError::with(
                "greeting",
                "greeting_placeholder_unknown",
                vec![("placeholder", token.into())],
            ));
            return g;
        }
        rest = &after[close + 1..];
    }
    if !GREETING_PLACEHOLDERS.iter().any(|p| g.contains(p)) {
        errors.push(FieldError::new("greeting", "greeting_placeholder_missing"));
    }
    g
}

/// The greeting as the agent says it.
pub fn render_greeting(greeting: &str, first_name: &str, last_name: &str) -> String {
    greeting
        .replace("[Vorname, Nachname]", &format!("{first_name} {last_name}"))
        .replace("[Vorname]", first_name)
        .replace("[Nachname]", last_name)
}

/// Validated settings (the time zone is checked against the tz database).
#[derive(Debug, Clone)]
pub struct NewSettings {
    pub greeting: String,
    pub instructions: String,
    pub with_transfer: bool,
    pub query_fields: Vec<QueryField>,
    pub time_zone: String,
}

impl NewSettings {
    pub fn parse(input: &SettingsInput, current: &Settings, may_set_tariff: bool) -> DomainResult<Self> {
        let mut errors = Vec::new();
        let greeting = check_greeting(&mut errors, &input.greeting);
        let instructions = text(&mut errors, "instructions", &input.instructions, 4000, false);
        let with_transfer = match input.with_transfer {
            Some(v) if v != current.with_transfer && !may_set_tariff => {
                errors.push(FieldError::new("with_transfer", "tariff_operator_only"));
                current.with_transfer
            }
            Some(v) => v,
            None => current.with_transfer,
        };
        if input.query_fields.len() > 20 {
            errors.push(FieldError::with("query_fields", "too_many", vec![("max", "20".into())]));
        }
        let mut query_fields = Vec::new();
        for (i, f) in input.query_fields.iter().enumerate() {
            let label = text(&mut errors, &format!("query_fields[{i}].label"), &f.label, 100, true);
            if query_fields
                .iter()
                .any(|q: &QueryField| q.label.eq_ignore_ascii_case(&label))
            {
                errors.push(FieldError::new(&format!("query_fields[{i}].label"), "duplicate"));
            }
            query_fields.push(QueryField {
                label,
                required: f.required,
            });
        }
        let time_zone = input
            .time_zone
            .as_deref()
            .map(str::trim)
            .unwrap_or(&current.time_zone)
            .to_string();
        if time_zone.parse::<chrono_tz::Tz>().is_err() {
            errors.push(FieldError::new("time_zone", "time_zone_invalid"));
        }
        finish(errors)?;
        Ok(NewSettings {
            greeting,
            instructions,
            with_transfer,
            query_fields,
            time_zone,
        })
    }
}

// ----- employees -------------------------------------------------------

/// An employee of a customer account, as admins see it. Agents get
/// [`Employee::for_agents`] (no e-mail addresses).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Employee {
    pub id: i64,
    pub account_id: AccountId,
    /// As entered: "Vorname Nachname" or "Nachname, Vorname".
    pub name: String,
    /// Only for call notifications; never shown to agents.
    pub email: String,
    pub cc: Vec<String>,
    pub position: String,
    pub responsibility: String,
    pub sms_enabled: bool,
    /// E.164, e.g. +49170123456789.
    pub mobile: Option<String>,
    pub deputy_id: Option<i64>,
    pub extension: String,
    pub wants_transfer: bool,
    pub vip_transfer: bool,
    pub vip_sms: bool,
    /// Permanent note, shown while no appointment is active.
    pub absence_info: String,
    /// The employee's own login (sub-account), if any.
    #[schema(value_type = Option<i64>)]
    pub login_user_id: Option<UserId>,
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
    #[schema(value_type = i64)]
    pub updated_at: Timestamp,
}

/// One row of the employee list: the employee and what applies right now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EmployeeRow {
    #[serde(flatten)]
    pub employee: Employee,
    pub deputy_name: Option<String>,
    /// The active appointment's text, if one is running now.
    pub current_appointment: Option<String>,
    /// The appointment if one runs, else the absence info (may be empty).
    pub status: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EmployeePage {
    pub items: Vec<EmployeeRow>,
    pub total: i64,
}

/// Input for creating or changing an employee.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmployeeInput {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub cc: Vec<String>,
    #[serde(default)]
    pub position: String,
    #[serde(default)]
    pub responsibility: String,
    #[serde(default)]
    pub sms_enabled: bool,
    /// Any common spelling; stored in E.164.
    #[serde(default)]
    pub mobile: String,
    pub deputy_id: Option<i64>,
    #[serde(default)]
    pub extension: String,
    #[serde(default)]
    pub wants_transfer: bool,
    #[serde(default)]
    pub vip_transfer: bool,
    #[serde(default)]
    pub vip_sms: bool,
    /// Left out: unchanged (on create: empty).
    pub absence_info: Option<String>,
}

/// A validated employee ready to be stored. The deputy is checked against
/// the account by the service.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEmployee {
    pub name: String,
    /// Lower-case "last first" with umlauts folded, for alphabetical order.
    pub sort_key: String,
    pub email: String,
    pub cc: Vec<String>,
    pub position: String,
    pub responsibility: String,
    pub sms_enabled: bool,
    pub mobile: Option<String>,
    pub deputy_id: Option<i64>,
    pub extension: String,
    pub wants_transfer: bool,
    pub vip_transfer: bool,
    pub vip_sms: bool,
    pub absence_info: Option<String>,
}

/// Splits a name entered as "Nachname, Vorname" or "Vorname Nachname"
/// into (first, last).
pub fn split_name(name: &str) -> (String, String) {
    let name = name.trim();
    if let Some((last, first)) = name.split_once(',') {
        return (first.trim().to_string(), last.trim().to_string());
    }
    match name.rsplit_once(char::is_whitespace) {
        Some((first, last)) => (first.trim().to_string(), last.trim().to_string()),
        None => (String::new(), name.to_string()),
    }
}

/// Lower case with German umlauts folded (Ä → a, ß → ss), so that sorting
/// and searching treat "Ärger" like "Arger", as a German phone book does.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        match c {
            'ä' | 'Ä' => out.push('a'),
            'ö' | 'Ö' => out.push('o'),
            'ü' | 'Ü' => out.push('u'),
            'ß' => out.push_str("ss"),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// The key employees are sorted by: last name, then first name, folded.
pub fn sort_key(name: &str) -> String {
    let (first, last) = split_name(name);
    fold(&format!("{last} {first}"))
}

/// Employee e-mail addresses are compared in lower case.
pub fn normalize_email(e: &str) -> String {
    e.trim().to_lowercase()
}

impl NewEmployee {
    /// Validates everything that needs no storage; errors name the input fields.
    pub fn parse(input: &EmployeeInput) -> DomainResult<Self> {
        let mut errors = Vec::new();
        let name = text(&mut errors, "name", &input.name, 200, true);
        let email = match EmailAddress::parse(&input.email, "email") {
            Ok(e) => normalize_email(e.as_str()),
            Err(DomainError::Validation(mut es)) => {
                errors.append(&mut es);
                String::new()
            }
            Err(e) => return Err(e),
        };
        let mut cc = Vec::new();
        for (i, raw) in input.cc.iter().filter(|c| !c.trim().is_empty()).enumerate() {
            match EmailAddress::parse(raw, "cc") {
                Ok(e) => {
                    let e = normalize_email(e.as_str());
                    if !cc.contains(&e) {
                        cc.push(e);
                    }
                }
                Err(_) => errors.push(FieldError::with(
                    "cc",
                    "cc_invalid",
                    vec![("value", raw.trim().into()), ("n", (i + 1).to_string())],
                )),
            }
        }
        if cc.len() > 10 {
            errors.push(FieldError::with("cc", "too_many", vec![("max", "10".into())]));
        }
        let position = text(&mut errors, "position", &input.position, 200, false);
        let responsibility = text(&mut errors, "responsibility", &input.responsibility, 500, false);
        let mobile = if input.mobile.trim().is_empty() {
            None
        } else {
            match E164::parse(&input.mobile, "mobile") {
                Ok(m) => Some(m.as_str().to_string()),
                Err(DomainError::Validation(mut es)) => {
                    errors.append(&mut es);
                    None
                }
                Err(e) => return Err(e),
            }
        };
        if (input.sms_enabled || input.vip_sms) && input.mobile.trim().is_empty() {
            errors.push(FieldError::new("mobile", "mobile_required_for_sms"));
        }
        let extension = text(&mut errors, "extension", &input.extension, 20, false);
        if !extension.chars().all(|c| c.is_ascii_digit() || " +-*#/".contains(c)) {
            errors.push(FieldError::new("extension", "extension_invalid"));
        }
        if (input.wants_transfer || input.vip_transfer) && extension.is_empty() {
            errors.push(FieldError::new("extension", "extension_required_for_transfer"));
        }
        let absence_info = input
            .absence_info
            .as_deref()
            .map(|a| text(&mut errors, "absence_info", a, 2000, false));
        finish(errors)?;
        Ok(NewEmployee {
            sort_key: sort_key(&name),
            name,
            email,
            cc,
            position,
            responsibility,
            sms_enabled: input.sms_enabled,
            mobile,
            deputy_id: input.deputy_id,
            extension,
            wants_transfer: input.wants_transfer,
            vip_transfer: input.vip_transfer,
            vip_sms: input.vip_sms,
            absence_info,
        })
    }

    /// The input fields that storing `self` over `e` would change.
    pub fn changes(&self, e: &Employee) -> Vec<&'static str> {
        let mut c = Vec::new();
        let mut check = |same: bool, field: &'static str| {
            if !same {
                c.push(field);
            }
        };
        check(self.name == e.name, "name");
        check(self.email == e.email, "email");
        check(self.cc == e.cc, "cc");
        check(self.position == e.position, "position");
        check(self.responsibility == e.responsibility, "responsibility");
        check(self.sms_enabled == e.sms_enabled, "sms_enabled");
        check(self.mobile == e.mobile, "mobile");
        check(self.deputy_id == e.deputy_id, "deputy_id");
        check(self.extension == e.extension, "extension");
        check(self.wants_transfer == e.wants_transfer, "wants_transfer");
        check(self.vip_transfer == e.vip_transfer, "vip_transfer");
        check(self.vip_sms == e.vip_sms, "vip_sms");
        check(
            self.absence_info.as_ref().is_none_or(|a| *a == e.absence_info),
            "absence_info",
        );
        c
    }
}

/// What deleting an employee does to others: these lose their deputy.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeleteOutcome {
    pub deputies_cleared: Vec<String>,
}

// ----- appointments ----------------------------------------------------

/// A time-bound note that overrides the absence info while it lasts.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Appointment {
    pub id: i64,
    pub employee_id: i64,
    /// Inclusive start, ms since the epoch.
    #[schema(value_type = i64)]
    pub starts_at: Timestamp,
    /// Exclusive end, ms since the epoch.
    #[schema(value_type = i64)]
    pub ends_at: Timestamp,
    /// Entered as dates (whole days in the account's time zone).
    pub all_day: bool,
    pub text: String,
    /// Start and end as entered, in the account's time zone
    /// ("2026-10-01" or "2026-10-01T09:00"; an all-day end is inclusive).
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointmentInput {
    /// "2026-10-01" (whole day) or "2026-10-01T09:00" (local time).
    pub start: String,
    /// Like `start`; a date is inclusive (until the end of that day).
    pub end: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAppointment {
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub all_day: bool,
    pub text: String,
}

// ----- VIP callers -----------------------------------------------------

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Vip {
    pub id: i64,
    /// None: company-wide.
    pub employee_id: Option<i64>,
    pub employee_name: Option<String>,
    /// E.164.
    pub phone: String,
    pub name: String,
    pub note: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VipInput {
    /// Any common spelling; matched against caller IDs in E.164.
    pub phone: String,
    pub name: String,
    #[serde(default)]
    pub note: String,
    pub employee_id: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewVip {
    pub phone: String,
    pub name: String,
    pub note: String,
    pub employee_id: Option<i64>,
}

impl NewVip {
    pub fn parse(input: &VipInput) -> DomainResult<Self> {
        let mut errors = Vec::new();
        let phone = match E164::parse(&input.phone, "phone") {
            Ok(p) => p.as_str().to_string(),
            Err(DomainError::Validation(mut es)) => {
                errors.append(&mut es);
                String::new()
            }
            Err(e) => return Err(e),
        };
        let name = text(&mut errors, "name", &input.name, 200, true);
        let note = text(&mut errors, "note", &input.note, 2000, false);
        finish(errors)?;
        Ok(NewVip {
            phone,
            name,
            note,
            employee_id: input.employee_id,
        })
    }
}

// ----- FAQ -------------------------------------------------------------

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Faq {
    pub id: i64,
    pub position: i64,
    pub question: String,
    pub answer: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FaqInput {
    pub question: String,
    pub answer: String,
}

impl FaqInput {
    pub fn parse(&self) -> DomainResult<FaqInput> {
        let mut errors = Vec::new();
        let question = text(&mut errors, "question", &self.question, 500, true);
        let answer = text(&mut errors, "answer", &self.answer, 4000, true);
        finish(errors)?;
        Ok(FaqInput { question, answer })
    }
}

// ----- audit log -------------------------------------------------------

/// One recorded change: who did what to which thing, when.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    #[schema(value_type = i64)]
    pub at: Timestamp,
    #[schema(value_type = Option<i64>)]
    pub actor_id: Option<UserId>,
    pub actor_name: String,
    /// Stable code, e.g. "employee.created".
    pub action: String,
    /// What it concerned, e.g. the employee's name.
    pub subject: String,
    /// Changed fields or other detail.
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    pub total: i64,
}

/// An audit record to write in the same transaction as the change.
#[derive(Debug, Clone)]
pub struct NewAudit {
    pub at: Timestamp,
    pub actor_id: Option<UserId>,
    pub actor_name: String,
    pub action: &'static str,
    pub subject: String,
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn greeting(g: &str) -> Vec<&'static str> {
        let mut errors = Vec::new();
        check_greeting(&mut errors, g);
        errors.iter().map(|e| e.code).collect()
    }

    #[test]
    fn greeting_needs_a_known_placeholder() {
        assert!(greeting("Willkommen bei der Mustermann AG, mein Name ist [Vorname, Nachname].").is_empty());
        assert!(greeting("Mustermann AG, [Vorname] am Apparat").is_empty());
        assert!(greeting("Mustermann AG, [Nachname].").is_empty());
        assert_eq!(greeting("Mustermann AG, guten Tag."), ["greeting_placeholder_missing"]);
        assert_eq!(
            greeting("Hier ist [Vorname Nachname]"),
            ["greeting_placeholder_unknown"]
        );
        assert_eq!(greeting("[Firma], [Vorname]"), ["greeting_placeholder_unknown"]);
        assert_eq!(greeting("   "), ["required"]);
    }

    #[test]
    fn greeting_is_rendered_with_the_agents_name() {
        assert_eq!(
            render_greeting(
                "Mustermann AG, mein Name ist [Vorname, Nachname].",
                "Julia",
                "Schneider"
            ),
            "Mustermann AG, mein Name ist Julia Schneider."
        );
        assert_eq!(
            render_greeting("[Nachname], [Vorname]", "Julia", "Schneider"),
            "Schneider, Julia"
        );
    }

    #[test]
    fn names_sort_by_last_name_in_either_spelling() {
        assert_eq!(split_name("Weiß, Jürgen"), ("Jürgen".into(), "Weiß".into()));
        assert_eq!(split_name("Carl Otto Meyer"), ("Carl Otto".into(), "Meyer".into()));
        assert_eq!(split_name("Cher"), (String::new(), "Cher".into()));
        assert_eq!(sort_key("Ärger, Bernd"), "arger bernd");
        assert_eq!(sort_key("Jürgen Weiß"), sort_key("Weiß, Jürgen"));
        let mut names = ["Anna Zimmer", "Weiß, Jürgen", "Ärger, Bernd", "Olaf Böhm"];
        names.sort_by_key(|n| sort_key(n));
        assert_eq!(names, ["Ärger, Bernd", "Olaf Böhm", "Weiß, Jürgen", "Anna Zimmer"]);
    }

    #[test]
    fn employee_input_is_normalised() {
        let e = NewEmployee::parse(&EmployeeInput {
            name: " Max Muster ".into(),
            email: "Max@Firma.DE".into(),
            cc: vec!["team@firma.de".into(), "".into(), "TEAM@firma.de".into()],
            mobile: "0170 123456".into(),
            sms_enabled: true,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(e.name, "Max Muster");
        assert_eq!(e.email, "max@firma.de");
        assert_eq!(e.cc, ["team@firma.de"]);
        assert_eq!(e.mobile.as_deref(), Some("+49170123456"));
    }
}
