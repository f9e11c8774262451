//! Phone dial-in for conference rooms (docs/phone.md): a SIP user agent
//! server on UDP, RTP audio with G.711, DTMF by RFC 4733 and in-band,
//! a German/English voice menu for room number and PIN, and the mixer
//! that lets callers hear each other. Callers enter conference rooms
//! through the same rules as the web join and appear in the web
//! participant list.

mod call;
pub mod config;
pub mod media;
pub mod menu;
mod server;

pub use call::masked_name;
pub use config::{DialInNumber, Net, PhoneConfig};
pub use server::Phone;
