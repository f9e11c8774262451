//! SIP, SIPS and other absolute URIs (RFC 3261 section 19.1).

use std::fmt;

use crate::syntax::{host_port, params};

/// A parsed URI. `sip:`/`sips:` are taken apart; other schemes (`tel:`,
/// `mailto:` …) keep only their text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uri {
    /// Lower-case scheme.
    pub scheme: String,
    /// The user part, unescaped (`sip:4711@host` → `4711`).
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    pub params: Vec<(String, Option<String>)>,
    headers: bool,
    /// The text as received.
    raw: String,
}

/// Unescapes `%HH`; `None` for a broken escape or a character outside `allowed`.
fn unescape(s: &str, allowed: impl Fn(char) -> bool) -> Option<String> {
    let mut bytes = Vec::with_capacity(s.len());
    let mut iter = s.char_indices();
    while let Some((i, c)) = iter.next() {
        if c == '%' {
            let hex = s.get(i + 1..i + 3)?;
            bytes.push(
                u8::from_str_radix(hex, 16)
                    .ok()
                    .filter(|_| hex.bytes().all(|b| b.is_ascii_hexdigit()))?,
            );
            iter.next();
            iter.next();
        } else if allowed(c) {
            let mut buf = [0; 4];
            bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        } else {
            return None;
        }
    }
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

fn unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.!~*'()".contains(c)
}

fn user_char(c: char) -> bool {
    unreserved(c) || "&=+$,;?/".contains(c)
}

fn password_char(c: char) -> bool {
    unreserved(c) || "&=+$,".contains(c)
}

fn param_char(c: char) -> bool {
    unreserved(c) || "[]/:&+$".contains(c)
}

fn header_char(c: char) -> bool {
    unreserved(c) || "[]/?:+$".contains(c)
}

impl Uri {
    /// Parses a URI as it appears in a Request-URI or inside `<…>`.
    pub fn parse(s: &str) -> Option<Uri> {
        let (scheme, rest) = s.split_once(':')?;
        let valid_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if !valid_scheme || rest.is_empty() {
            return None;
        }
        if s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>\"".contains(c))
        {
            return None;
        }
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "sip" && scheme != "sips" {
            return Some(Uri {
                scheme,
                user: None,
                host: String::new(),
                port: None,
                params: Vec::new(),
                headers: false,
                raw: s.to_string(),
            });
        }
        // Userinfo never holds an unescaped '@' but may hold '?', ';', ':'.
        let (userinfo, rest) = match rest.split_once('@') {
            Some((u, r)) if u.chars().all(|c| user_char(c) || c == ':' || c == '%') => (Some(u), r),
            _ => (None, rest),
        };
        let (hostpart, headers) = match rest.split_once('?') {
            Some((r, h)) => (r, Some(h)),
            None => (rest, None),
        };
        if let Some(h) = headers {
            for pair in h.split('&') {
                let (name, value) = pair.split_once('=')?;
                unescape(name, header_char)?;
                unescape(value, header_char)?;
            }
        }
        let user = match userinfo {
            Some(info) => {
                let (user, password) = match info.split_once(':') {
                    Some((u, p)) => (u, Some(p)),
                    None => (info, None),
                };
                if let Some(p) = password {
                    unescape(p, password_char)?;
                }
                let user = unescape(user, user_char)?;
                if user.is_empty() {
                    return None;
                }
                Some(user)
            }
            None => None,
        };
        let (hp, param_text) = match hostpart.find(';') {
            Some(i) => (&hostpart[..i], &hostpart[i..]),
            None => (hostpart, ""),
        };
        let (host, port) = host_port(hp)?;
        for part in param_text.split(';').skip(1) {
            let (n, v) = part.split_once('=').unwrap_or((part, ""));
            if n.is_empty() || unescape(n, param_char).is_none() || unescape(v, param_char).is_none() {
                return None;
            }
        }
        let params = params(param_text)?;
        Some(Uri {
            scheme,
            user,
            host,
            port,
            params,
            headers: headers.is_some(),
            raw: s.to_string(),
        })
    }

    /// The URI carries `?header=value` parts.
    pub fn has_headers(&self) -> bool {
        self.headers
    }

    /// The text as received.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_deref().unwrap_or(""))
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sip_uris() {
        let u = Uri::parse("sip:%2B4930123@Example.com:5070;transport=udp;lr").unwrap();
        assert_eq!(u.user.as_deref(), Some("+4930123"));
        assert_eq!(u.host, "example.com");
        assert_eq!(u.port, Some(5070));
        assert_eq!(u.param("transport"), Some("udp"));
        assert_eq!(u.param("lr"), Some(""));
        let e = Uri::parse("sip:sips%3Auser%40example.com@example.net").unwrap();
        assert_eq!(e.user.as_deref(), Some("sips:user@example.com"));
        assert!(Uri::parse("tel:+49-30-123").is_some());
        for bad in [
            "sip:",
            "sip:user@",
            "sip:a b@host",
            "sip:user@host:port",
            "sip:%zz@host",
            "1sip:host",
            "sip:@host",
            "sip:host;=x",
            "<sip:host>",
        ] {
            assert!(Uri::parse(bad).is_none(), "{bad}");
        }
    }
}
