use kernel::{AccountId, DomainError, DomainResult, EmailAddress, Lang, Timestamp};
use serde::{Deserialize, Serialize};

use crate::identity::{AccountRole, User};

/// Versions of the texts people agree to; stored with each consent.
pub const PRIVACY_VERSION: &str = "2026-11";
pub const TERMS_VERSION: &str = "2026-11";
pub const MARKETING_VERSION: &str = "2026-11";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationStatus {
    /// Waiting for the applicant to click the link in the e-mail.
    Unconfirmed,
    /// Confirmed; waiting for a super admin.
    PendingApproval,
    Approved,
    Rejected,
}

impl RegistrationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationStatus::Unconfirmed => "unconfirmed",
            RegistrationStatus::PendingApproval => "pending_approval",
            RegistrationStatus::Approved => "approved",
            RegistrationStatus::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Self {
        match s {
            "pending_approval" => RegistrationStatus::PendingApproval,
            "approved" => RegistrationStatus::Approved,
            "rejected" => RegistrationStatus::Rejected,
            _ => RegistrationStatus::Unconfirmed,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Registration {
    pub id: i64,
    pub account_id: AccountId,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub language: Lang,
    pub status: RegistrationStatus,
    pub marketing_consent: bool,
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<i64>)]
    pub confirmed_at: Option<Timestamp>,
    #[schema(value_type = Option<i64>)]
    pub decided_at: Option<Timestamp>,
    pub reject_reason: Option<String>,
}

/// The first registration step: who, and which customer account.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct RegistrationStart {
    pub email: String,
    pub customer_number: String,
    pub postal_code: String,
}

/// The whole registration (API: one request; pages: two steps).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationInput {
    pub email: String,
    pub customer_number: String,
    pub postal_code: String,
    pub first_name: String,
    pub last_name: String,
    /// Must be true: the privacy policy was read and accepted.
    pub privacy_accepted: bool,
    /// Optional marketing consent, recorded separately.
    #[serde(default)]
    pub marketing_accepted: bool,
    pub language: Option<Lang>,
}

/// A validated registration ready to be stored.
#[derive(Debug, Clone)]
pub struct NewRegistration {
    pub account_id: AccountId,
    pub email: EmailAddress,
    pub first_name: String,
    pub last_name: String,
    pub language: Lang,
    pub marketing: bool,
}

/// A member of an account as its admins see them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccountUser {
    pub user: User,
    pub role: AccountRole,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Consent {
    /// privacy, terms or marketing
    pub kind: String,
    pub version: String,
    #[schema(value_type = i64)]
    pub given_at: Timestamp,
    #[schema(value_type = Option<i64>)]
    pub withdrawn_at: Option<Timestamp>,
}

/// A consent to store.
#[derive(Debug, Clone)]
pub struct NewConsent {
    pub kind: &'static str,
    pub version: &'static str,
}

/// Person names: required, at most 100 characters.
pub fn person_name(errors: &mut Vec<kernel::error::FieldError>, field: &str, raw: &str) -> String {
    let v = raw.trim().to_string();
    if v.is_empty() {
        errors.push(kernel::error::FieldError::new(field, "required"));
    } else if v.chars().count() > 100 {
        errors.push(kernel::error::FieldError::with(
            field,
            "too_long",
            vec![("max", "100".into())],
        ));
    }
    v
}

/// Collects the email's problem into `errors`.
pub fn email_field(errors: &mut Vec<kernel::error::FieldError>, field: &str, raw: &str) -> Option<EmailAddress> {
    match EmailAddress::parse(raw, field) {
        Ok(e) => Some(e),
        Err(DomainError::Validation(mut es)) => {
            errors.append(&mut es);
            None
        }
        Err(_) => None,
    }
}

/// Turns collected problems into an error.
pub fn finish(errors: Vec<kernel::error::FieldError>) -> DomainResult<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Validation(errors))
    }
}
