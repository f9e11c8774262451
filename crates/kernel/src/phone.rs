//! Phone numbers in E.164 form (+49170123456789), the form SMS gateways
//! and caller-ID matching need. German spellings are accepted and
//! normalised: "0170 1234567", "+49 (0)170-1234567", "0049 170 1234567".

use crate::DomainError;

#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct E164(String);

impl E164 {
    /// Parses with Germany (+49) as the default country.
    pub fn parse(raw: &str, field: &str) -> Result<Self, DomainError> {
        Self::parse_with_country(raw, "49", field)
    }

    /// Parses a number; national numbers (leading single 0) get
    /// `country_code` (digits, without +).
    pub fn parse_with_country(raw: &str, country_code: &str, field: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(DomainError::validation(field, "required"));
        }
        if !s.chars().all(|c| c.is_ascii_digit() || " +-/().".contains(c)) {
            return Err(DomainError::validation(field, "phone_invalid"));
        }
        // "+49 (0)170" : the "(0)" is a national trunk prefix to be dropped.
        let s = s.replace("(0)", "");
        let plus = s.starts_with('+');
        if s.chars().skip(1).any(|c| c == '+') {
            return Err(DomainError::validation(field, "phone_invalid"));
        }
        let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
        let international = if plus {
            digits
        } else if let Some(rest) = digits.strip_prefix("00") {
            rest.to_string()
        } else if let Some(rest) = digits.strip_prefix('0') {
            format!("{country_code}{rest}")
        } else {
            return Err(DomainError::validation(field, "phone_invalid"));
        };
        // E.164: at most 15 digits, country code never starts with 0.
        if international.len() < 7 || international.len() > 15 || international.starts_with('0') {
            return Err(DomainError::validation(field, "phone_invalid"));
        }
        Ok(E164(format!("+{international}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for E164 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        for (raw, want) in [
            ("+49170123456789", "+49170123456789"),
            ("0170 123456789", "+49170123456789"),
            ("0170/123456789", "+49170123456789"),
            ("+49 (0)170-123456789", "+49170123456789"),
            ("0049 170 123456789", "+49170123456789"),
            ("(0170) 12345-6789", "+49170123456789"),
            ("+43 664 1234567", "+436641234567"),
        ] {
            assert_eq!(E164::parse(raw, "m").unwrap().as_str(), want, "{raw}");
        }
        for bad in [
            "",
            "abc",
            "170123",
            "+0049170",
            "0170 12a",
            "+49+170123456",
            "1234567890123456789",
        ] {
            assert!(E164::parse(bad, "m").is_err(), "{bad}");
        }
    }
}
