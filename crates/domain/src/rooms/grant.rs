//! Join grants: the ticket a feature hands a browser after it checked who
//! may enter a room (a session, a PIN, an invitation link). Signed with an
//! installation key (HMAC-SHA256) so any node can check one without a
//! database read; valid for one room and one member until it expires, and
//! reused by that member's reconnects.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::{MemberId, Role};

/// How long a grant stays valid: long enough for a working day of
/// reconnects, short enough that a leaked one soon stops working.
pub const GRANT_TTL_MS: i64 = 12 * 3600 * 1000;

/// Who may enter which room as whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    #[serde(rename = "r")]
    pub room: String,
    #[serde(rename = "m")]
    pub member: MemberId,
    #[serde(rename = "n")]
    pub name: String,
    #[serde(rename = "o")]
    pub role: Role,
    /// Expiry, ms since the epoch.
    #[serde(rename = "e")]
    pub expires: i64,
}

/// The installation's signing key.
#[derive(Clone)]
pub struct GrantKey(Vec<u8>);

impl std::fmt::Debug for GrantKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GrantKey(..)")
    }
}

impl GrantKey {
    pub fn new(secret: &[u8]) -> Self {
        GrantKey(secret.to_vec())
    }

    fn mac(&self, payload: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(payload.as_bytes());
        mac
    }

    /// `payload.signature`, both base64url.
    pub fn sign(&self, grant: &Grant) -> String {
        let json = serde_json::to_vec(grant).expect("a grant serializes");
        let payload = URL_SAFE_NO_PAD.encode(json);
        let sig = URL_SAFE_NO_PAD.encode(self.mac(&payload).finalize().into_bytes());
        format!("{payload}.{sig}")
    }

    /// A secret derived from `label` (e.g. a room's invitation code): the
    /// same on every node and restart, so it need not be stored, and
    /// unguessable without the key.
    pub fn derive(&self, label: &str) -> String {
        let bytes = self.mac(label).finalize().into_bytes();
        URL_SAFE_NO_PAD.encode(&bytes[..18])
    }

    /// The grant, if the signature is ours and it has not expired at `now`.
    pub fn verify(&self, token: &str, now: i64) -> Option<Grant> {
        let (payload, sig) = token.split_once('.')?;
        let sig = URL_SAFE_NO_PAD.decode(sig).ok()?;
        self.mac(payload).verify_slice(&sig).ok()?;
        let grant: Grant = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
        (grant.expires > now).then_some(grant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant() -> Grant {
        Grant {
            room: "r1".into(),
            member: MemberId("g1".into()),
            name: "Jürgen".into(),
            role: Role::Guest,
            expires: 1_000,
        }
    }

    #[test]
    fn signed_grants_verify_until_they_expire() {
        let key = GrantKey::new(b"secret");
        let token = key.sign(&grant());
        assert_eq!(key.verify(&token, 999), Some(grant()));
        assert_eq!(key.verify(&token, 1_000), None, "expired");
        assert_eq!(
            GrantKey::new(b"other").verify(&token, 0),
            None,
            "another installation's key"
        );
    }

    #[test]
    fn tampered_grants_are_refused() {
        let key = GrantKey::new(b"secret");
        let token = key.sign(&grant());
        let (_, sig) = token.split_once('.').unwrap();
        let mut host = grant();
        host.role = Role::Host;
        let forged = format!("{}.{sig}", URL_SAFE_NO_PAD.encode(serde_json::to_vec(&host).unwrap()));
        assert_eq!(key.verify(&forged, 0), None);
        for junk in ["", ".", "abc", "a.b", &token.replace('.', "")] {
            assert_eq!(key.verify(junk, 0), None, "{junk:?}");
        }
    }
}
