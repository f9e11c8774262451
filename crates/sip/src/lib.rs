//! SIP and SDP for Kontor's phone dial-in: a strict parser (RFC 3261
//! section 25 grammar for everything the dial-in reads, checked against
//! the RFC 4475 torture messages and fuzzed), builders for the responses
//! and requests a user agent server sends, and digest authentication.
//! No I/O: the transport lives in the `phone` crate.

mod digest;
mod message;
pub mod sdp;
mod syntax;
mod uri;

pub use digest::{Challenge, Credentials, DigestError};
pub use message::{canonical_name, CSeq, Message, NameAddr, ParseError, StartLine, Via, MAX_MESSAGE};
pub use uri::Uri;
