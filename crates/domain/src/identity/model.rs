use kernel::{AccountId, Lang, Timestamp, UserId};
use serde::{Deserialize, Serialize};

/// Roles on the platform itself, independent of customer accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlatformRole {
    /// Runs the installation.
    Operator,
    /// Reception staff answering forwarded calls.
    Agent,
}

impl PlatformRole {
    pub fn as_str(self) -> &'static str {
        match self {
            PlatformRole::Operator => "operator",
            PlatformRole::Agent => "agent",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "operator" => Some(PlatformRole::Operator),
            "agent" => Some(PlatformRole::Agent),
            _ => None,
        }
    }
}

/// A user's role within one customer account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountRole {
    SuperAdmin,
    Admin,
    Member,
}

impl AccountRole {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountRole::SuperAdmin => "super_admin",
            AccountRole::Admin => "admin",
            AccountRole::Member => "member",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "super_admin" => Some(AccountRole::SuperAdmin),
            "admin" => Some(AccountRole::Admin),
            "member" => Some(AccountRole::Member),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    Active,
    Disabled,
    /// Created by an invitation or an approved registration; becomes
    /// active when the person sets a password on the welcome page.
    Invited,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Disabled => "disabled",
            UserStatus::Invited => "invited",
        }
    }
    pub fn parse(s: &str) -> Self {
        match s {
            "disabled" => UserStatus::Disabled,
            "invited" => UserStatus::Invited,
            _ => UserStatus::Active,
        }
    }
}

/// "First Last", or the e-mail address when both are empty: how a person
/// is named wherever only the stored columns are at hand.
pub fn full_name(first: &str, last: &str, email: &str) -> String {
    let n = format!("{first} {last}");
    let n = n.trim();
    if n.is_empty() {
        email.to_string()
    } else {
        n.to_string()
    }
}

/// A user as the rest of the system sees it (never with the password hash).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub language: Lang,
    pub status: UserStatus,
    pub platform_role: Option<PlatformRole>,
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<i64>)]
    pub last_login_at: Option<Timestamp>,
}

impl User {
    pub fn is_operator(&self) -> bool {
        self.platform_role == Some(PlatformRole::Operator)
    }
    pub fn display_name(&self) -> String {
        full_name(&self.first_name, &self.last_name, &self.email)
    }
    /// Customer features (conference room, planner) are not for the
    /// platform's staff.
    pub fn require_customer(&self) -> kernel::DomainResult<()> {
        if self.platform_role.is_some() {
            return Err(kernel::DomainError::Forbidden);
        }
        Ok(())
    }
}

/// A user's membership in a customer account.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Membership {
    pub account_id: AccountId,
    pub role: AccountRole,
}

/// A user to be created (validated by the service).
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: kernel::EmailAddress,
    pub password_hash: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub language: Lang,
    pub platform_role: Option<PlatformRole>,
    pub membership: Option<(AccountId, AccountRole)>,
}

/// What the login check needs from storage.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: User,
    pub password_hash: Option<String>,
}
