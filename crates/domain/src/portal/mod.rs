//! The customer portal: self-registration with double opt-in and approval
//! by the account's super admins, invitations by admins, the welcome page
//! that activates a login, password reset, the account's user list and
//! roles, and the consents people gave.

mod model;
mod ports;
mod service;

pub use model::*;
pub use ports::*;
pub use service::*;
