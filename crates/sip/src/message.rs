//! SIP messages: a strict parser and the builders a UAS needs.

use std::fmt::Write as _;

use crate::syntax::{host_port, is_token, is_token_char, is_ws, params, quoted, split_top};
use crate::uri::Uri;

/// Larger datagrams are refused (the UDP maximum).
pub const MAX_MESSAGE: usize = 65_535;

/// Why a message was refused, with what could be read for a `400`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct ParseError {
    /// Short English reason, used as the 400's reason phrase.
    pub reason: &'static str,
    /// `505` rather than `400`: the version is not SIP/2.0.
    pub bad_version: bool,
    /// The request's header lines as far as they could be read, so that
    /// a `400` can be addressed (`None`: a response, or nothing readable).
    pub salvage: Option<Vec<(String, String)>>,
}

/// The first line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine {
    Request { method: String, uri: Uri },
    Response { code: u16, reason: String },
}

/// A parsed or built SIP message. Header names are canonical (long form,
/// usual capitalisation); list headers hold one entry per value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub start: StartLine,
    headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// `CSeq: 1 INVITE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq {
    pub seq: u32,
    pub method: String,
}

/// One `Via` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    pub transport: String,
    pub host: String,
    pub port: Option<u16>,
    pub params: Vec<(String, Option<String>)>,
}

impl Via {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_deref().unwrap_or(""))
    }

    /// The transaction id of RFC 3261 (the magic-cookie branch).
    pub fn branch(&self) -> Option<&str> {
        self.param("branch")
    }
}

/// `"Display" <uri>;params` or `uri;params` (From, To, Contact, Route).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr {
    pub display: Option<String>,
    pub uri: Uri,
    pub params: Vec<(String, Option<String>)>,
}

impl NameAddr {
    pub fn parse(s: &str) -> Option<NameAddr> {
        let s = s.trim_matches(is_ws);
        if let Some(open) = s.find('<') {
            let display = s[..open].trim_matches(is_ws);
            let display = if display.is_empty() {
                None
            } else if display.starts_with('"') {
                let (text, rest) = quoted(display)?;
                if !rest.trim_matches(is_ws).is_empty() {
                    return None;
                }
                Some(text)
            } else {
                // *(token LWS)
                if !display.split(is_ws).filter(|w| !w.is_empty()).all(is_token) {
                    return None;
                }
                Some(display.to_string())
            };
            let close = s[open..].find('>')? + open;
            let uri = Uri::parse(&s[open + 1..close])?;
            let params = params(&s[close + 1..])?;
            Some(NameAddr { display, uri, params })
        } else {
            // addr-spec: header parameters start at the first ';'.
            let (uri, rest) = match s.find(';') {
                Some(i) => (&s[..i], &s[i..]),
                None => (s, ""),
            };
            if uri.contains('?') || uri.contains(',') {
                return None;
            }
            Some(NameAddr {
                display: None,
                uri: Uri::parse(uri.trim_matches(is_ws))?,
                params: params(rest)?,
            })
        }
    }

    pub fn tag(&self) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == "tag")
            .and_then(|(_, v)| v.as_deref())
    }
}

/// Headers whose value is a comma-separated list.
const LIST_HEADERS: &[&str] = &[
    "Via",
    "Contact",
    "Route",
    "Record-Route",
    "Allow",
    "Supported",
    "Require",
    "Proxy-Require",
    "Unsupported",
    "Accept",
    "Accept-Encoding",
    "Accept-Language",
    "Content-Encoding",
    "Allow-Events",
    "In-Reply-To",
    "Warning",
];

/// Headers a message may carry only once.
const SINGLE_HEADERS: &[&str] = &[
    "From",
    "To",
    "Call-ID",
    "CSeq",
    "Max-Forwards",
    "Content-Length",
    "Content-Type",
    "Expires",
    "Date",
];

/// The canonical form of a header name (compact forms expanded).
pub fn canonical_name(name: &str) -> String {
    const KNOWN: &[&str] = &[
        "Accept",
        "Accept-Encoding",
        "Accept-Language",
        "Alert-Info",
        "Allow",
        "Allow-Events",
        "Authorization",
        "Call-ID",
        "Call-Info",
        "Contact",
        "Content-Disposition",
        "Content-Encoding",
        "Content-Language",
        "Content-Length",
        "Content-Type",
        "CSeq",
        "Date",
        "Error-Info",
        "Event",
        "Expires",
        "From",
        "In-Reply-To",
        "Max-Forwards",
        "MIME-Version",
        "Min-Expires",
        "Organization",
        "P-Asserted-Identity",
        "Priority",
        "Proxy-Authenticate",
        "Proxy-Authorization",
        "Proxy-Require",
        "Reason",
        "Record-Route",
        "Refer-To",
        "Reply-To",
        "Require",
        "Retry-After",
        "Route",
        "Server",
        "Subject",
        "Supported",
        "Timestamp",
        "To",
        "Unsupported",
        "User-Agent",
        "Via",
        "Warning",
        "WWW-Authenticate",
    ];
    let compact = match name {
        "i" | "I" => Some("Call-ID"),
        "m" | "M" => Some("Contact"),
        "e" | "E" => Some("Content-Encoding"),
        "l" | "L" => Some("Content-Length"),
        "c" | "C" => Some("Content-Type"),
        "f" | "F" => Some("From"),
        "s" | "S" => Some("Subject"),
        "k" | "K" => Some("Supported"),
        "t" | "T" => Some("To"),
        "v" | "V" => Some("Via"),
        "o" | "O" => Some("Event"),
        "r" | "R" => Some("Refer-To"),
        "u" | "U" => Some("Allow-Events"),
        _ => None,
    };
    compact
        .or_else(|| KNOWN.iter().copied().find(|k| k.eq_ignore_ascii_case(name)))
        .map(str::to_string)
        .unwrap_or_else(|| name.to_string())
}

fn err(reason: &'static str) -> ParseError {
    ParseError {
        reason,
        bad_version: false,
        salvage: None,
    }
}

/// Splits the head into unfolded header lines (`name`, `value`).
fn header_lines(head: &str) -> Result<Vec<(String, String)>, ParseError> {
    let mut lines: Vec<String> = Vec::new();
    for line in head.split("\r\n") {
        if line.contains('\r') || line.contains('\n') {
            return Err(err("Bare CR or LF"));
        }
        if line.starts_with(is_ws) {
            let last = lines.last_mut().ok_or(err("Folded first header"))?;
            last.push(' ');
            last.push_str(line.trim_start_matches(is_ws));
        } else {
            lines.push(line.to_string());
        }
    }
    let mut out = Vec::new();
    for line in lines {
        let (name, value) = line.split_once(':').ok_or(err("Header without colon"))?;
        let name = name.trim_end_matches(is_ws);
        if !is_token(name) {
            return Err(err("Bad header name"));
        }
        out.push((canonical_name(name), value.trim_matches(is_ws).to_string()));
    }
    Ok(out)
}

fn valid_call_id(s: &str) -> bool {
    let word = |w: &str| !w.is_empty() && w.chars().all(|c| is_token_char(c) || "()<>:\\\"/[]?{}".contains(c));
    match s.split_once('@') {
        Some((a, b)) => word(a) && word(b),
        None => word(s),
    }
}

fn parse_cseq(s: &str) -> Option<CSeq> {
    let mut parts = s.split(is_ws).filter(|p| !p.is_empty());
    let (num, method) = (parts.next()?, parts.next()?);
    if parts.next().is_some() || num.len() > 10 || !num.bytes().all(|b| b.is_ascii_digit()) || !is_token(method) {
        return None;
    }
    let seq: u64 = num.parse().ok()?;
    (seq < 1 << 31).then(|| CSeq {
        seq: seq as u32,
        method: method.to_string(),
    })
}

fn parse_via(s: &str) -> Option<Via> {
    // SIP / 2.0 / UDP SP sent-by *( ; via-params )
    let mut rest = s;
    let mut proto = Vec::new();
    for i in 0..3 {
        let r = rest.trim_start_matches(is_ws);
        let end = r.find(|c: char| !is_token_char(c)).unwrap_or(r.len());
        if end == 0 {
            return None;
        }
        proto.push(&r[..end]);
        rest = r[end..].trim_start_matches(is_ws);
        if i < 2 {
            rest = rest.strip_prefix('/')?;
        }
    }
    if !proto[0].eq_ignore_ascii_case("SIP") || proto[1] != "2.0" {
        return None;
    }
    let (sent_by, param_text) = match rest.find(';') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let sent_by = sent_by.trim_matches(is_ws);
    let sent_by: String = if sent_by.starts_with('[') {
        sent_by.to_string()
    } else {
        // LWS is allowed around the colon.
        sent_by
            .split(':')
            .map(|p| p.trim_matches(is_ws))
            .collect::<Vec<_>>()
            .join(":")
    };
    let (host, port) = host_port(&sent_by)?;
    Some(Via {
        transport: proto[2].to_ascii_uppercase(),
        host,
        port,
        params: params(param_text)?,
    })
}

/// `Date: Sat, 13 Nov 2010 23:29:00 GMT` (RFC 1123, GMT only).
fn valid_date(s: &str) -> bool {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let parts: Vec<&str> = s.split(' ').collect();
    let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    let time_ok = |t: &str| {
        let f: Vec<&str> = t.split(':').collect();
        f.len() == 3 && f.iter().all(|p| digits(p, 2))
    };
    parts.len() == 6
        && parts[0].strip_suffix(',').is_some_and(|d| DAYS.contains(&d))
        && digits(parts[1], 2)
        && MONTHS.contains(&parts[2])
        && digits(parts[3], 4)
        && time_ok(parts[4])
        && parts[5] == "GMT"
}

fn check_value(name: &str, value: &str) -> Result<(), &'static str> {
    let ok = match name {
        "Via" => parse_via(value).is_some(),
        "From" | "To" | "Route" | "Record-Route" | "Reply-To" => NameAddr::parse(value).is_some(),
        "Contact" => value == "*" || NameAddr::parse(value).is_some(),
        "Call-ID" => valid_call_id(value),
        "CSeq" => parse_cseq(value).is_some(),
        "Max-Forwards" => {
            !value.is_empty()
                && value.len() <= 10
                && value.bytes().all(|b| b.is_ascii_digit())
                && value.parse::<u32>().is_ok_and(|v| v <= 255)
        }
        "Content-Length" | "Expires" | "Min-Expires" => {
            !value.is_empty() && value.len() <= 10 && value.bytes().all(|b| b.is_ascii_digit())
        }
        "Content-Type" => match value.split_once('/') {
            Some((t, rest)) => {
                let (sub, p) = rest.split_once(';').map_or((rest, ""), |(s, p)| (s, p));
                is_token(t.trim_matches(is_ws))
                    && is_token(sub.trim_matches(is_ws))
                    && (p.is_empty() || params(&format!(";{p}")).is_some())
            }
            None => false,
        },
        "Date" => valid_date(value),
        "Allow" | "Supported" | "Require" | "Proxy-Require" | "Unsupported" => is_token(value),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(match name {
            "Via" => "Bad Via",
            "From" => "Bad From",
            "To" => "Bad To",
            "Contact" => "Bad Contact",
            "Call-ID" => "Bad Call-ID",
            "CSeq" => "Bad CSeq",
            "Max-Forwards" => "Bad Max-Forwards",
            "Content-Length" => "Bad Content-Length",
            "Expires" => "Bad Expires",
            "Content-Type" => "Bad Content-Type",
            "Date" => "Bad Date",
            _ => "Bad header value",
        })
    }
}

impl Message {
    /// Parses one message (one datagram). Strict: the whole head must
    /// follow the grammar for the headers Kontor reads, the mandatory
    /// headers must be there exactly once, and `Content-Length` must not
    /// promise more than arrived (extra bytes after it are ignored).
    pub fn parse(data: &[u8]) -> Result<Message, ParseError> {
        if data.len() > MAX_MESSAGE {
            return Err(err("Message too large"));
        }
        // Keep-alives and stray CRLFs before a message are skipped.
        let mut data = data;
        while let Some(rest) = data.strip_prefix(b"\r\n") {
            data = rest;
        }
        let split = data
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or(err("No end of headers"))?;
        let head = std::str::from_utf8(&data[..split]).map_err(|_| err("Header not UTF-8"))?;
        let rest = &data[split + 4..];
        let (first, header_text) = head.split_once("\r\n").unwrap_or((head, ""));
        let is_request = matches!(parse_start_lenient(first), Some(true));
        let mut headers = if header_text.is_empty() {
            Vec::new()
        } else {
            header_lines(header_text).map_err(|e| ParseError {
                // The lines that can be read, so the 400 can still be addressed.
                salvage: is_request.then(|| {
                    header_text
                        .split("\r\n")
                        .filter(|l| !l.contains(['\r', '\n']))
                        .filter_map(|l| l.split_once(':'))
                        .filter(|(n, _)| is_token(n.trim()))
                        .map(|(n, v)| (canonical_name(n.trim()), v.trim().to_string()))
                        .collect()
                }),
                ..e
            })?
        };
        let start = parse_start(first);
        // From here on the request's lines are known: errors carry them.
        let salvage = |e: ParseError, headers: &Vec<(String, String)>| ParseError {
            salvage: is_request.then(|| headers.clone()),
            ..e
        };
        let start = start.map_err(|e| salvage(e, &headers))?;
        let mut split_headers = Vec::with_capacity(headers.len());
        for (name, value) in headers.drain(..) {
            if LIST_HEADERS.contains(&name.as_str()) {
                let parts = split_top(&value, ',').ok_or(err("Unbalanced quotes or brackets"));
                let parts = match parts {
                    Ok(p) => p,
                    Err(e) => return Err(salvage(e, &split_headers)),
                };
                for part in parts {
                    let part = part.trim_matches(is_ws);
                    if part.is_empty() && name != "Allow" && name != "Supported" && name != "Accept" {
                        return Err(salvage(err("Empty list element"), &split_headers));
                    }
                    if !part.is_empty() {
                        split_headers.push((name.clone(), part.to_string()));
                    }
                }
            } else {
                split_headers.push((name, value));
            }
        }
        let headers = split_headers;
        let fail = |e: &'static str| Err(salvage(err(e), &headers));
        for (name, value) in &headers {
            if let Err(e) = check_value(name, value) {
                return fail(e);
            }
        }
        for name in SINGLE_HEADERS {
            if headers.iter().filter(|(n, _)| n == name).count() > 1 {
                return fail("Header repeated");
            }
        }
        for name in ["Via", "From", "To", "Call-ID", "CSeq"] {
            if !headers.iter().any(|(n, _)| n == name) {
                return fail(match name {
                    "Via" => "Missing Via",
                    "From" => "Missing From",
                    "To" => "Missing To",
                    "Call-ID" => "Missing Call-ID",
                    _ => "Missing CSeq",
                });
            }
        }
        if let StartLine::Request { method, .. } = &start {
            let cseq = headers
                .iter()
                .find(|(n, _)| n == "CSeq")
                .and_then(|(_, v)| parse_cseq(v));
            if cseq.is_none_or(|c| &c.method != method) {
                return fail("CSeq method mismatch");
            }
        }
        let message = Message {
            start,
            headers,
            body: Vec::new(),
        };
        let body = match message.header("Content-Length") {
            Some(len) => {
                let len: usize = len
                    .parse()
                    .map_err(|_| salvage(err("Bad Content-Length"), &message.headers))?;
                if len > rest.len() {
                    return Err(salvage(err("Content-Length larger than body"), &message.headers));
                }
                rest[..len].to_vec()
            }
            None => rest.to_vec(),
        };
        Ok(Message { body, ..message })
    }

    /// A new request (headers to be added by the caller).
    pub fn request(method: &str, uri: Uri) -> Message {
        Message {
            start: StartLine::Request {
                method: method.to_string(),
                uri,
            },
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A response to `req`: Via, From, To (with `to_tag` added when it
    /// has none), Call-ID and CSeq copied as RFC 3261 section 8.2.6 says.
    pub fn response(req: &Message, code: u16, reason: &str, to_tag: Option<&str>) -> Message {
        let mut headers = Vec::new();
        for (name, value) in &req.headers {
            match name.as_str() {
                "Via" | "From" | "Call-ID" | "CSeq" => headers.push((name.clone(), value.clone())),
                "To" => {
                    let mut value = value.clone();
                    let has_tag = NameAddr::parse(&value).is_some_and(|n| n.tag().is_some());
                    if let (false, Some(tag), true) = (has_tag, to_tag, code > 100) {
                        let _ = write!(value, ";tag={tag}");
                    }
                    headers.push((name.clone(), value));
                }
                "Record-Route" if (200..300).contains(&code) => headers.push((name.clone(), value.clone())),
                _ => {}
            }
        }
        Message {
            start: StartLine::Response {
                code,
                reason: reason.to_string(),
            },
            headers,
            body: Vec::new(),
        }
    }

    /// A `400`/`505` for a request that did not parse, built from its
    /// salvaged lines as they came (`None` when they cannot address a
    /// response: Via, From, To, Call-ID and CSeq are all needed for the
    /// client to match it).
    pub fn response_to_broken(error: &ParseError) -> Option<Message> {
        const ECHOED: [&str; 5] = ["Via", "From", "To", "Call-ID", "CSeq"];
        let lines = error.salvage.as_ref()?;
        let headers: Vec<(String, String)> = lines
            .iter()
            .filter(|(name, _)| ECHOED.contains(&name.as_str()))
            .cloned()
            .collect();
        if !ECHOED.iter().all(|h| headers.iter().any(|(n, _)| n == h)) {
            return None;
        }
        let (code, reason) = if error.bad_version {
            (505, "Version Not Supported")
        } else {
            (400, error.reason)
        };
        Some(Message {
            start: StartLine::Response {
                code,
                reason: reason.to_string(),
            },
            headers,
            body: Vec::new(),
        })
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Message {
        self.headers.push((canonical_name(name), value.into()));
        self
    }

    /// Replaces all values of `name`.
    pub fn set_header(&mut self, name: &str, value: impl Into<String>) {
        let name = canonical_name(name);
        self.headers.retain(|(n, _)| n != &name);
        self.headers.push((name, value.into()));
    }

    pub fn with_body(mut self, content_type: &str, body: Vec<u8>) -> Message {
        self.set_header("Content-Type", content_type);
        self.body = body;
        self
    }

    /// The wire form; `Content-Length` is always written.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut s = match &self.start {
            StartLine::Request { method, uri } => format!("{method} {uri} SIP/2.0\r\n"),
            StartLine::Response { code, reason } => format!("SIP/2.0 {code} {reason}\r\n"),
        };
        for (name, value) in &self.headers {
            if name != "Content-Length" {
                let _ = write!(s, "{name}: {value}\r\n");
            }
        }
        let _ = write!(s, "Content-Length: {}\r\n\r\n", self.body.len());
        let mut out = s.into_bytes();
        out.extend_from_slice(&self.body);
        out
    }

    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// All values of a header, in order.
    pub fn headers(&self, name: &str) -> impl Iterator<Item = &str> {
        let name = name.to_string();
        self.headers
            .iter()
            .filter(move |(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every header line in order (list headers one value per entry).
    pub fn all_headers(&self) -> &[(String, String)] {
        &self.headers
    }

    pub fn method(&self) -> Option<&str> {
        match &self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    pub fn code(&self) -> Option<u16> {
        match &self.start {
            StartLine::Response { code, .. } => Some(*code),
            StartLine::Request { .. } => None,
        }
    }

    pub fn uri(&self) -> Option<&Uri> {
        match &self.start {
            StartLine::Request { uri, .. } => Some(uri),
            StartLine::Response { .. } => None,
        }
    }

    pub fn call_id(&self) -> Option<&str> {
        self.header("Call-ID")
    }

    pub fn cseq(&self) -> Option<CSeq> {
        self.header("CSeq").and_then(parse_cseq)
    }

    pub fn vias(&self) -> Vec<Via> {
        self.headers("Via").filter_map(parse_via).collect()
    }

    pub fn from(&self) -> Option<NameAddr> {
        self.header("From").and_then(NameAddr::parse)
    }

    pub fn to(&self) -> Option<NameAddr> {
        self.header("To").and_then(NameAddr::parse)
    }

    pub fn contact(&self) -> Option<NameAddr> {
        self.header("Contact").and_then(NameAddr::parse)
    }

    /// The `Content-Type` without parameters, lower-cased.
    pub fn content_type(&self) -> Option<String> {
        self.header("Content-Type")
            .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
    }
}

/// Whether the first line looks like a request (`Some(true)`), a
/// response (`Some(false)`), or neither, ignoring its finer errors.
fn parse_start_lenient(first: &str) -> Option<bool> {
    if first.starts_with("SIP/") {
        return Some(false);
    }
    let method = first.split(' ').next()?;
    is_token(method).then_some(true)
}

fn parse_start(first: &str) -> Result<StartLine, ParseError> {
    if let Some(rest) = first.strip_prefix("SIP/") {
        let mut parts = rest.splitn(3, ' ');
        let (version, code, reason) = (parts.next().unwrap_or(""), parts.next(), parts.next());
        if version != "2.0" {
            return Err(ParseError {
                bad_version: true,
                ..err("Version not supported")
            });
        }
        let code = code
            .filter(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|c| c.parse::<u16>().ok())
            .filter(|c| (100..700).contains(c))
            .ok_or(err("Bad status code"))?;
        let reason = reason.unwrap_or("");
        if reason.chars().any(|c| c.is_control() && c != '\t') {
            return Err(err("Bad reason phrase"));
        }
        return Ok(StartLine::Response {
            code,
            reason: reason.to_string(),
        });
    }
    let parts: Vec<&str> = first.split(' ').collect();
    if parts.len() != 3 {
        return Err(err("Bad request line"));
    }
    if !is_token(parts[0]) {
        return Err(err("Bad method"));
    }
    let version = parts[2];
    if !version.eq_ignore_ascii_case("SIP/2.0") {
        let looks_like_version = version.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("SIP/"));
        return Err(ParseError {
            bad_version: looks_like_version,
            ..err(if looks_like_version {
                "Version not supported"
            } else {
                "Bad request line"
            })
        });
    }
    let uri = Uri::parse(parts[1]).ok_or(err("Bad Request-URI"))?;
    if uri.has_headers() {
        // RFC 3261 section 19.1.1: not allowed in a Request-URI.
        return Err(err("Headers in Request-URI"));
    }
    Ok(StartLine::Request {
        method: parts[0].to_string(),
        uri,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &str = "INVITE sip:4930123@kontor.example SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776asdhds , SIP/2.0/UDP pbx.example;branch=z9hG4bK1\r\n\
Max-Forwards: 70\r\n\
To: <sip:4930123@kontor.example>\r\n\
From: \"Anna \\\"A\\\" M\" <sip:+491711234567@pbx.example>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.example\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:anna@10.0.0.1>\r\n\
Subject: long\r\n  folded\r\n\
Content-Type: application/sdp\r\n\
l: 4\r\n\
\r\n\
v=0\r\n";

    #[test]
    fn parses_a_request() {
        let m = Message::parse(INVITE.as_bytes()).unwrap();
        assert_eq!(m.method(), Some("INVITE"));
        assert_eq!(m.uri().unwrap().user.as_deref(), Some("4930123"));
        let vias = m.vias();
        assert_eq!(vias.len(), 2);
        assert_eq!(vias[0].branch(), Some("z9hG4bK776asdhds"));
        assert_eq!(vias[0].port, Some(5060));
        let from = m.from().unwrap();
        assert_eq!(from.display.as_deref(), Some("Anna \"A\" M"));
        assert_eq!(from.tag(), Some("1928301774"));
        assert_eq!(m.cseq().unwrap().seq, 314159);
        assert_eq!(m.header("Subject"), Some("long folded"));
        assert_eq!(m.body, b"v=0\r");
        assert_eq!(m.content_type().as_deref(), Some("application/sdp"));
    }

    #[test]
    fn responses_copy_the_transaction_headers() {
        let req = Message::parse(INVITE.as_bytes()).unwrap();
        let res = Message::response(&req, 200, "OK", Some("abc"));
        let bytes = res.to_bytes();
        let back = Message::parse(&bytes).unwrap();
        assert_eq!(back.code(), Some(200));
        assert_eq!(back.vias().len(), 2);
        assert_eq!(back.to().unwrap().tag(), Some("abc"));
        assert_eq!(back.call_id(), req.call_id());
        assert!(back.body.is_empty());
        let trying = Message::response(&req, 100, "Trying", Some("abc"));
        assert_eq!(trying.to().unwrap().tag(), None, "no tag on 100");
    }

    #[test]
    fn refuses_broken_messages_with_a_reason() {
        let cases = [
            (INVITE.replace("l: 4", "l: 40"), "Content-Length larger than body"),
            (
                INVITE.replace("CSeq: 314159 INVITE", "CSeq: 314159 BYE"),
                "CSeq method mismatch",
            ),
            (
                INVITE.replace("Call-ID: a84b4c76e66710@pc33.example\r\n", ""),
                "Missing Call-ID",
            ),
            (INVITE.replace("CSeq: 314159", "CSeq: 99999999999"), "Bad CSeq"),
            (INVITE.replace("M\" <sip", "M <sip"), "Bad From"),
            (INVITE.replace("To: <sip:", "To: <sip:x\r\nTo: <sip:"), "Bad To"),
        ];
        for (text, reason) in cases {
            let e = Message::parse(text.as_bytes()).unwrap_err();
            assert_eq!(e.reason, reason);
            match Message::response_to_broken(&e) {
                Some(res) => assert_eq!(res.code(), Some(400)),
                None => assert_eq!(reason, "Missing Call-ID", "a 400 needs all five lines to be matched"),
            }
        }
        let no_colon = Message::parse(INVITE.replace("Subject: long", "Subject long").as_bytes()).unwrap_err();
        assert_eq!(no_colon.reason, "Header without colon");
        assert_eq!(
            Message::response_to_broken(&no_colon).unwrap().call_id(),
            Some("a84b4c76e66710@pc33.example")
        );
        let v = Message::parse(INVITE.replace(" SIP/2.0\r\nVia", " SIP/3.0\r\nVia").as_bytes()).unwrap_err();
        assert!(v.bad_version);
        assert_eq!(Message::response_to_broken(&v).unwrap().code(), Some(505));
        assert!(Message::parse(b"garbage").is_err());
        assert!(Message::parse(b"\r\n\r\n").is_err());
        assert!(Message::parse(b"").is_err());
    }
}
