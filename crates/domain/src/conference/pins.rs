//! PIN hashes. Both PINs of a room are argon2id hashes with one shared
//! salt, so an entered PIN costs one hash computation whichever PIN it
//! matches (and an unknown room number costs the same, against a dummy).

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use subtle::ConstantTimeEq;

use super::model::{Pin, PinPair, PinRole};
use crate::identity::password;

fn hash_with(pin: &str, salt: &SaltString) -> String {
    password::hasher()
        .hash_password(pin.as_bytes(), salt)
        .expect("argon2 hashing cannot fail with valid params")
        .to_string()
}

/// The two hashes (moderator, participant) of a new PIN pair. CPU-heavy:
/// call from a blocking thread.
pub fn hash_pair(pins: &PinPair) -> (String, String) {
    let salt = SaltString::generate(&mut OsRng);
    (
        hash_with(pins.moderator.expose(), &salt),
        hash_with(pins.participant.expose(), &salt),
    )
}

/// The hash of the access PIN from the welcome e-mail (it works as the
/// moderator PIN until the owner sets both PINs).
pub fn hash_access(pin: &Pin) -> String {
    hash_with(pin.expose(), &SaltString::generate(&mut OsRng))
}

/// Which PIN `entered` is, if any: hashed once with the room's salt and
/// compared in constant time with both stored hashes. CPU-heavy.
pub fn matches(entered: &str, moderator: &str, participant: Option<&str>) -> Option<PinRole> {
    let stored = PasswordHash::new(moderator).ok()?;
    let salt = stored.salt?;
    let computed = password::hasher().hash_password(entered.as_bytes(), salt).ok()?.hash?;
    let same = |phc: &str| {
        PasswordHash::new(phc)
            .ok()
            .and_then(|h| h.hash)
            .is_some_and(|h| bool::from(h.as_bytes().ct_eq(computed.as_bytes())))
    };
    let is_moderator = same(moderator);
    let is_participant = participant.is_some_and(same);
    if is_moderator {
        Some(PinRole::Moderator)
    } else if is_participant {
        Some(PinRole::Participant)
    } else {
        None
    }
}

/// Costs what [`matches`] costs, for room numbers that do not exist.
pub fn burn(entered: &str) {
    let _ = matches(entered, password::dummy_hash(), None);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_computation_tells_the_role() {
        let pair = PinPair::parse("4711", "9051").unwrap();
        let (m, p) = hash_pair(&pair);
        assert!(m.starts_with("$argon2id$") && !m.contains("4711"));
        assert_eq!(matches("4711", &m, Some(&p)), Some(PinRole::Moderator));
        assert_eq!(matches("9051", &m, Some(&p)), Some(PinRole::Participant));
        assert_eq!(matches("9052", &m, Some(&p)), None);
        assert_eq!(matches("9051", &m, None), None, "no participant PIN yet");
        let access = hash_access(&Pin::parse("80935", "pin").unwrap());
        assert_eq!(matches("80935", &access, None), Some(PinRole::Moderator));
        assert_eq!(matches("", "not a hash", None), None);
    }
}
