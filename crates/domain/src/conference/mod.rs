//! Conference center (PRODUCT.md section 3, seed 002): every customer's
//! personal room with a permanent number, moderator and participant PINs,
//! joining by number and PIN with the waiting queue, brute-force
//! protection and the moderator-leave rule (docs/conference.md).

mod model;
pub mod pins;
mod ports;
mod service;

pub use model::*;
pub use ports::*;
pub use service::*;
