//! Conference center (PRODUCT.md section 3, seed 002): personal room
//! numbers, moderator and participant PINs, joining with the waiting queue.
//! So far the validated types and rules; storage and pages follow.

mod model;

pub use model::*;
