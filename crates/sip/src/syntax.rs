//! Building blocks of the RFC 3261 grammar shared by headers and URIs.

/// `token` characters (RFC 3261 section 25.1).
pub fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(c)
}

pub fn is_token(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_token_char)
}

/// Linear white space inside a header value (after unfolding: SP / HTAB).
pub fn is_ws(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Splits `s` at `sep` where it is outside quoted strings and `<…>`.
/// `None` when a quote or bracket is not closed.
pub fn split_top(s: &str, sep: char) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut in_quotes = false;
    let mut angle = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if in_quotes {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_quotes = false;
            }
            continue;
        }
        match c {
            '"' => in_quotes = true,
            '<' if !angle => angle = true,
            '<' => return None,
            '>' if angle => angle = false,
            '>' => return None,
            c if c == sep && !angle => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if in_quotes || angle {
        return None;
    }
    parts.push(&s[start..]);
    Some(parts)
}

/// Reads a quoted string at the start of `s` (which begins with `"`):
/// the unescaped content and the rest after the closing quote.
pub fn quoted(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    if chars.next()?.1 != '"' {
        return None;
    }
    let mut escaped = false;
    for (i, c) in chars {
        if escaped {
            // quoted-pair: any char but CR and LF.
            if c == '\r' || c == '\n' {
                return None;
            }
            out.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '"' {
            return Some((out, &s[i + 1..]));
        } else if c.is_control() && c != '\t' {
            return None;
        } else {
            out.push(c);
        }
    }
    None
}

/// `;name[=value]` parameters (value a token, a quoted string or, for
/// hosts, an IPv6 reference). Names are lower-cased.
pub fn params(s: &str) -> Option<Vec<(String, Option<String>)>> {
    let s = s.trim_matches(is_ws);
    if s.is_empty() {
        return Some(Vec::new());
    }
    let s = s.strip_prefix(';')?;
    let mut out = Vec::new();
    for part in split_top(s, ';')? {
        let part = part.trim_matches(is_ws);
        let (name, value) = match part.split_once('=') {
            Some((n, v)) => (n.trim_matches(is_ws), Some(v.trim_matches(is_ws))),
            None => (part, None),
        };
        if !is_token(name) {
            return None;
        }
        let value = match value {
            None => None,
            Some(v) if v.starts_with('"') => {
                let (text, rest) = quoted(v)?;
                if !rest.is_empty() {
                    return None;
                }
                Some(text)
            }
            Some(v) if v.starts_with('[') && v.ends_with(']') => Some(v.to_string()),
            Some(v) if is_token(v) || (v.contains(':') && v.chars().all(|c| is_token_char(c) || c == ':')) => {
                Some(v.to_string())
            }
            Some(_) => return None,
        };
        out.push((name.to_ascii_lowercase(), value));
    }
    Some(out)
}

/// A host name, IPv4 address or bracketed IPv6 reference.
pub fn is_host(h: &str) -> bool {
    if let Some(v6) = h.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return v6.parse::<std::net::Ipv6Addr>().is_ok();
    }
    if h.is_empty() || h.len() > 255 {
        return false;
    }
    if h.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return h.parse::<std::net::Ipv4Addr>().is_ok();
    }
    let h = h.strip_suffix('.').unwrap_or(h);
    h.split('.').all(|label| {
        !label.is_empty()
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    }) && h
        .rsplit('.')
        .next()
        .is_some_and(|top| top.starts_with(|c: char| c.is_ascii_alphabetic()))
}

/// `host[:port]`.
pub fn host_port(s: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if s.starts_with('[') {
        let end = s.find(']')? + 1;
        let rest = &s[end..];
        let port = match rest {
            "" => None,
            _ => Some(rest.strip_prefix(':')?),
        };
        (&s[..end], port)
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    if !is_host(host) {
        return None;
    }
    let port = match port {
        None => None,
        Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => Some(p.parse().ok()?),
        Some(_) => return None,
    };
    Some((host.to_ascii_lowercase(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_outside_quotes_and_brackets() {
        assert_eq!(
            split_top(r#""a,b" <sip:x;y,z>, c"#, ',').unwrap(),
            vec![r#""a,b" <sip:x;y,z>"#, " c"]
        );
        assert!(split_top(r#""open"#, ',').is_none());
        assert!(split_top("<sip:a", ',').is_none());
    }

    #[test]
    fn hosts_and_ports() {
        assert_eq!(host_port("Example.COM:5060"), Some(("example.com".into(), Some(5060))));
        assert_eq!(host_port("[::1]:5"), Some(("[::1]".into(), Some(5))));
        assert_eq!(host_port("10.0.0.1"), Some(("10.0.0.1".into(), None)));
        assert!(host_port("10.0.0.256").is_none());
        assert!(host_port("a b").is_none());
        assert!(host_port("host:99999").is_none());
        assert!(host_port("host:").is_none());
    }

    #[test]
    fn params_with_quotes() {
        let p = params(r#";tag=1;lr;x="a;b""#).unwrap();
        assert_eq!(p[0], ("tag".into(), Some("1".into())));
        assert_eq!(p[1], ("lr".into(), None));
        assert_eq!(p[2], ("x".into(), Some("a;b".into())));
        assert!(params(";=1").is_none());
        assert!(params("tag=1").is_none());
    }
}
