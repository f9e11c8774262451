//! Password hashing (argon2id at OWASP's recommended minimum: 19 MiB,
//! 2 iterations, 1 lane) and the password policy.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use kernel::{DomainError, DomainResult};

/// Argon2id parameters; documented in docs/benchmarks.md with their cost.
pub const MEMORY_KIB: u32 = 19 * 1024;
pub const ITERATIONS: u32 = 2;
pub const LANES: u32 = 1;
pub const MIN_LENGTH: usize = 12;

pub(crate) fn hasher() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None).expect("valid argon2 params");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a self-describing PHC string. CPU-heavy: call
/// from a blocking thread.
pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing cannot fail with valid params")
        .to_string()
}

/// Checks a password against a stored hash. CPU-heavy: call from a
/// blocking thread.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => hasher().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A hash of a random password, verified against when the user does not
/// exist so that a wrong e-mail costs as much time as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash(&crate::token::new_token()))
}

/// Passwords too common to allow, whatever their length (lower case).
const COMMON: &[&str] = &[
    "passwort1234",
    "password1234",
    "passwort12345",
    "password12345",
    "123456789012",
    "1234567890123",
    "qwertzuiopü",
    "qwertzuiop12",
    "qwertyuiop12",
    "hallo1234567",
    "hallohallo12",
    "sommer2024!!",
    "willkommen12",
    "willkommen123",
    "iloveyou1234",
    "letmein12345",
    "administrator",
    "administrator1",
    "passwortpasswort",
    "passwordpassword",
    "qwerasdfyxcv",
    "qwertyqwerty",
    "abcdefghijkl",
    "abc123abc123",
    "000000000000",
    "111111111111",
    "123123123123",
    "121212121212",
    "asdfghjklöä",
    "asdfasdfasdf",
    "geheimgeheim",
    "geheim123456",
    "sicherheit12",
    "changeme1234",
    "welcome12345",
    "kontor123456",
    "football1234",
    "baseball1234",
    "superman1234",
    "dragon123456",
    "monkey123456",
    "sunshine1234",
    "princess1234",
    "trustno11234",
    "starwars1234",
    "passw0rd1234",
    "p@ssw0rd1234",
    "master123456",
];

/// The password policy: at least 12 characters, not a well-known password,
/// not one character or simple sequence repeated, not the e-mail address.
pub fn check_policy(password: &str, email: &str, field: &str) -> DomainResult<()> {
    let chars: Vec<char> = password.chars().collect();
    if chars.len() < MIN_LENGTH {
        return Err(DomainError::validation_with(
            field,
            "password_too_short",
            vec![("min", MIN_LENGTH.to_string())],
        ));
    }
    if chars.len() > 1024 {
        return Err(DomainError::validation_with(
            field,
            "too_long",
            vec![("max", "1024".into())],
        ));
    }
    let lower = password.to_lowercase();
    let local = email.split('@').next().unwrap_or("").to_lowercase();
    let repeated = chars.iter().all(|c| *c == chars[0]);
    let sequential = chars.windows(2).all(|w| (w[1] as i64 - w[0] as i64) == 1);
    let contains_email = local.len() >= 4 && lower.contains(&local);
    if repeated || sequential || contains_email || COMMON.contains(&lower.as_str()) {
        return Err(DomainError::validation(field, "password_too_common"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash("korrekt Pferd Batterie");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("korrekt Pferd Batterie", &h));
        assert!(!verify("korrekt Pferd Batteri", &h));
        assert!(!verify("x", "not a hash"));
    }

    #[test]
    fn policy() {
        assert!(check_policy("Sonnenblume-42", "max@example.de", "password").is_ok());
        for bad in [
            "kurz",
            "aaaaaaaaaaaaaaa",
            "123456789012",
            "Passwort1234",
            "maxmustermann1!",
        ] {
            assert!(
                check_policy(bad, "maxmustermann@example.de", "password").is_err(),
                "{bad}"
            );
        }
    }
}
