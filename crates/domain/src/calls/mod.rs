//! The virtual secretary, agent side (PRODUCT.md section 2, seed 001):
//! calls arriving from a telephone system or opened by hand, the live
//! queue agents claim calls from, the call screen, transfer routing with
//! deputies, immutable call notes with their e-mail/SMS notifications,
//! the customer's dashboard and statistics.

pub mod csv;
mod hub;
mod model;
pub mod notify;
mod ports;
mod routing;
mod service;
pub mod sms;
mod snapshot;
pub mod stats;

pub use hub::LocalHub;
pub use model::*;
pub use ports::{CallEvents, CallStore};
pub use routing::{in_chain, next_step, Reachability, Step};
pub use service::CallService;
