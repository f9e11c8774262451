//! Session planner (PRODUCT.md section 4, seed 004): planned sessions that
//! keep a permanent 9-digit number while the entry exists, invitations
//! with calendar entries (RFC 5545), host reminders, spontaneous sessions
//! that end when nobody joins within 30 minutes, lock, and joining by
//! number on the join page or the embeddable widget (docs/planner.md).

pub mod ics;
mod model;
mod ports;
mod service;

pub use model::*;
pub use ports::*;
pub use service::*;
