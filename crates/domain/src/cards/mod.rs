//! Company cards (public company profiles) with team, back office,
//! maintenance link and Info Counter, and the networking around them:
//! person profiles and search, one-to-one chat, shares.

mod logo;
mod model;
mod network;
mod ports;
mod service;

pub use logo::{process as process_logo, LOGO_SIZE, MAX_UPLOAD_BYTES};
pub use model::*;
pub use network::*;
pub use ports::*;
pub use service::*;
