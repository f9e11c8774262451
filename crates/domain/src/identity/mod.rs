//! People who sign in: users, their roles, passwords and sessions.

mod model;
pub mod password;
mod ports;
mod service;
pub mod tokens;

pub use model::*;
pub use ports::*;
pub use service::*;
