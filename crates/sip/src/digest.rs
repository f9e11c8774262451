//! HTTP digest authentication for SIP (RFC 3261 section 22, RFC 2617 with
//! MD5 and `qop=auth`), server side: the challenge and the check of the
//! answer. Nonces are made and checked by the caller (they are signed
//! there, so no state is kept per challenge).

use md5::{Digest as _, Md5};
use subtle_free::eq;

use crate::syntax::{is_token, quoted, split_top};

/// Why credentials were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    #[error("malformed Authorization header")]
    Malformed,
    #[error("unsupported digest algorithm or qop")]
    Unsupported,
}

/// The `WWW-Authenticate` value to send with a `401`.
pub struct Challenge<'a> {
    pub realm: &'a str,
    pub nonce: &'a str,
    /// The nonce was valid but too old: the client may retry at once.
    pub stale: bool,
}

impl Challenge<'_> {
    pub fn header(&self) -> String {
        format!(
            "Digest realm=\"{}\", nonce=\"{}\", algorithm=MD5, qop=\"auth\"{}",
            self.realm,
            self.nonce,
            if self.stale { ", stale=true" } else { "" }
        )
    }
}

/// The parameters of an `Authorization: Digest …` header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    pub uri: String,
    pub response: String,
    pub qop: Option<String>,
    pub nc: Option<String>,
    pub cnonce: Option<String>,
}

fn md5_hex(s: &str) -> String {
    hex::encode(Md5::digest(s.as_bytes()))
}

mod subtle_free {
    /// Compares two strings in time independent of where they differ.
    pub fn eq(a: &str, b: &str) -> bool {
        a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl Credentials {
    pub fn parse(header: &str) -> Result<Credentials, DigestError> {
        let rest = header
            .trim()
            .strip_prefix("Digest")
            .filter(|r| r.starts_with([' ', '\t']))
            .ok_or(DigestError::Malformed)?;
        let mut c = Credentials::default();
        for part in split_top(rest, ',').ok_or(DigestError::Malformed)? {
            let (name, value) = part.trim().split_once('=').ok_or(DigestError::Malformed)?;
            let name = name.trim().to_ascii_lowercase();
            let value = value.trim();
            let value = if value.starts_with('"') {
                let (v, tail) = quoted(value).ok_or(DigestError::Malformed)?;
                if !tail.trim().is_empty() {
                    return Err(DigestError::Malformed);
                }
                v
            } else if is_token(value) {
                value.to_string()
            } else {
                return Err(DigestError::Malformed);
            };
            match name.as_str() {
                "username" => c.username = value,
                "realm" => c.realm = value,
                "nonce" => c.nonce = value,
                "uri" => c.uri = value,
                "response" => c.response = value.to_ascii_lowercase(),
                "qop" => c.qop = Some(value),
                "nc" => c.nc = Some(value),
                "cnonce" => c.cnonce = Some(value),
                "algorithm" if !value.eq_ignore_ascii_case("MD5") => return Err(DigestError::Unsupported),
                _ => {}
            }
        }
        if c.username.is_empty() || c.nonce.is_empty() || c.response.len() != 32 {
            return Err(DigestError::Malformed);
        }
        Ok(c)
    }

    /// Whether the response proves knowledge of `password` for `method`.
    pub fn verify(&self, method: &str, password: &str) -> Result<bool, DigestError> {
        let ha1 = md5_hex(&format!("{}:{}:{}", self.username, self.realm, password));
        let ha2 = md5_hex(&format!("{method}:{}", self.uri));
        let expected = match self.qop.as_deref() {
            None => md5_hex(&format!("{ha1}:{}:{ha2}", self.nonce)),
            Some("auth") => {
                let (Some(nc), Some(cnonce)) = (&self.nc, &self.cnonce) else {
                    return Err(DigestError::Malformed);
                };
                md5_hex(&format!("{ha1}:{}:{nc}:{cnonce}:auth:{ha2}", self.nonce))
            }
            Some(_) => return Err(DigestError::Unsupported),
        };
        Ok(eq(&expected, &self.response))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2617_example_with_qop() {
        // The worked example of RFC 2617 section 3.5, with method GET.
        let header = r#"Digest username="Mufasa", realm="testrealm@host.com",
            nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth,
            nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1",
            opaque="5ccc069c403ebaf9f0171e9517f40e41""#
            .replace('\n', " ");
        let c = Credentials::parse(&header).unwrap();
        assert!(c.verify("GET", "Circle Of Life").unwrap());
        assert!(!c.verify("GET", "circle of life").unwrap());
        assert!(!c.verify("POST", "Circle Of Life").unwrap());
        assert_eq!(Credentials::parse("Basic abc"), Err(DigestError::Malformed));
        assert_eq!(
            Credentials::parse(&header.replace("qop=auth,", "algorithm=SHA-256, qop=auth,")),
            Err(DigestError::Unsupported)
        );
        let ch = Challenge {
            realm: "kontor",
            nonce: "n1",
            stale: false,
        };
        assert!(ch.header().starts_with("Digest realm=\"kontor\", nonce=\"n1\""));
    }
}
