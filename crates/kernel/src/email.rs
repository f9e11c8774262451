//! A syntactically valid e-mail address, normalised for comparison.

use crate::DomainError;

/// An e-mail address as users typed it, trimmed; compared case-insensitively
/// through [`EmailAddress::normalized`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses a single address (no display name). `field` names the form
    /// field the error will be shown next to.
    pub fn parse(raw: &str, field: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(DomainError::validation(field, "required"));
        }
        let valid = s.len() <= 254
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
            && match s.rsplit_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && local.len() <= 64
                        && !local.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !domain.contains("..")
                        && domain.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.')
                }
                None => false,
            };
        if !valid {
            return Err(DomainError::validation(field, "email_invalid"));
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used for uniqueness and look-ups: lower case.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_rejects() {
        assert!(EmailAddress::parse(" Max.Muster@Example.de ", "email").is_ok());
        assert!(EmailAddress::parse("jörg@müller.de", "email").is_ok());
        for bad in ["", "a", "a@b", "@b.de", "a@.de", "a b@c.de", "a@b..de", "a@b.de."] {
            assert!(EmailAddress::parse(bad, "email").is_err(), "{bad}");
        }
        let e = EmailAddress::parse("Max@Example.DE", "email").unwrap();
        assert_eq!(e.normalized(), "max@example.de");
    }
}
