//! Links sent by e-mail (confirm a registration, finish it, accept an
//! invitation, reset a password): random 256-bit tokens, stored only as a
//! SHA-256 hash, single-use and expiring. Using one is an atomic
//! "mark used if unused and unexpired" in the same transaction as its effect.

use kernel::{Timestamp, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    ConfirmRegistration,
    FinishRegistration,
    Invitation,
    PasswordReset,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::ConfirmRegistration => "confirm_registration",
            TokenKind::FinishRegistration => "finish_registration",
            TokenKind::Invitation => "invitation",
            TokenKind::PasswordReset => "password_reset",
        }
    }

    /// How long a link stays valid.
    pub fn lifetime_secs(self) -> i64 {
        match self {
            TokenKind::ConfirmRegistration => 48 * 3600,
            TokenKind::FinishRegistration | TokenKind::Invitation => 7 * 24 * 3600,
            TokenKind::PasswordReset => 3600,
        }
    }
}

/// A token to be stored with the change that sends it.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub hash: String,
    pub kind: TokenKind,
    pub user_id: Option<UserId>,
    pub registration_id: Option<i64>,
    pub expires_at: Timestamp,
}

/// What a link leads to, looked up without using it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenState {
    Valid {
        user_id: Option<UserId>,
        registration_id: Option<i64>,
    },
    Expired,
    Used,
    Unknown,
}

/// Issues a fresh token: the secret for the link, and the row to store.
pub fn issue(
    kind: TokenKind,
    user_id: Option<UserId>,
    registration_id: Option<i64>,
    now: Timestamp,
) -> (String, NewToken) {
    let secret = crate::token::new_token();
    let row = NewToken {
        hash: crate::token::hash_token(&secret),
        kind,
        user_id,
        registration_id,
        expires_at: now.plus_secs(kind.lifetime_secs()),
    };
    (secret, row)
}
