//! The kernel: vocabulary every layer shares (ids, value types, the clock,
//! the domain error and translations). It depends on nothing of ours.

// Translations are compiled in from locales/*.yml at the workspace root.
rust_i18n::i18n!("../../locales", fallback = "de");

pub mod clock;
pub mod email;
pub mod error;
pub mod i18n;
pub mod ids;
pub mod phone;

pub use clock::{Clock, ManualClock, SystemClock, Timestamp};
pub use email::EmailAddress;
pub use error::{DomainError, DomainResult, FieldError};
pub use i18n::{tr, tr_args, Lang};
pub use ids::{AccountId, MessageId, UserId};
