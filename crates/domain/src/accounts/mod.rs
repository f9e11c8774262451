//! Customer accounts (tenants): created by the operator, identified to
//! self-registering employees by customer number + postal code.

mod model;
mod ports;
mod service;

pub use model::*;
pub use ports::*;
pub use service::*;
