//! Fuzz target for the SIP/SDP parser: nothing may panic, and what the
//! parser accepts must survive `to_bytes()` and a second parse unchanged.
//! See ../README.md.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sip::sdp::{negotiate, Codec, LocalMedia, SessionDescription};
use sip::{canonical_name, Credentials, Message, NameAddr, ParseError, StartLine, Uri, MAX_MESSAGE};

const ALLOWED: &[Codec] = &[Codec::Pcmu, Codec::Pcma];

fuzz_target!(|data: &[u8]| {
    match Message::parse(data) {
        Ok(m) => parsed(&m),
        Err(e) => broken(&e),
    }
    sdp(data);
    if let Ok(s) = std::str::from_utf8(data) {
        text(s);
    }
});

/// A message the parser accepted.
fn parsed(m: &Message) {
    accessors(m);
    let bytes = m.to_bytes();
    // Compact header names expand ("v:" → "Via: ") and list values get a
    // line each, so the wire form may outgrow the datagram limit the
    // parser enforces. Unreachable with libFuzzer's default -max_len.
    if bytes.len() > MAX_MESSAGE {
        return;
    }
    let back = Message::parse(&bytes)
        .unwrap_or_else(|e| panic!("to_bytes() of a parsed message does not parse: {e:?}\n{}", show(&bytes)));
    assert_eq!(back.method(), m.method(), "method changed in the round trip");
    assert_eq!(back.code(), m.code(), "status code changed in the round trip");
    assert_eq!(back.call_id(), m.call_id(), "Call-ID changed in the round trip");
    assert_eq!(
        back.vias().len(),
        m.vias().len(),
        "number of Via values changed in the round trip"
    );
    // Stronger: the same message, apart from where Content-Length sits.
    assert_eq!(back.start, m.start, "start line changed in the round trip");
    assert_eq!(
        without_length(&back),
        without_length(m),
        "headers changed in the round trip"
    );
    assert_eq!(back.body, m.body, "body changed in the round trip");
    assert_eq!(back.to_bytes(), bytes, "to_bytes() is not stable");
    accessors(&back);
    // What the dial-in does with a body and credentials.
    sdp(&m.body);
    for name in ["Authorization", "Proxy-Authorization"] {
        for value in m.headers(name) {
            credentials(value);
        }
    }
}

fn without_length(m: &Message) -> Vec<&(String, String)> {
    m.all_headers().iter().filter(|(n, _)| n != "Content-Length").collect()
}

/// Every accessor, and what a successful parse promises about them.
fn accessors(m: &Message) {
    for (name, value) in m.all_headers() {
        assert_eq!(&canonical_name(name), name, "header name not canonical");
        let _ = (m.header(name), value.len());
    }
    let vias = m.vias();
    assert!(!vias.is_empty(), "parsed message without Via");
    assert_eq!(
        vias.len(),
        m.headers("Via").count(),
        "a Via value the parser accepted does not parse"
    );
    for via in &vias {
        let _ = (via.branch(), via.param("received"), via.param("rport"));
    }
    let from = m.from().expect("parsed message: From does not parse");
    let to = m.to().expect("parsed message: To does not parse");
    for na in [&from, &to] {
        let _ = na.tag();
        uri(&na.uri);
    }
    if let Some(contact) = m.contact() {
        let _ = contact.tag();
        uri(&contact.uri);
    }
    for name in ["Contact", "Route", "Record-Route"] {
        for value in m.headers(name) {
            if let Some(na) = NameAddr::parse(value) {
                uri(&na.uri);
            }
        }
    }
    let cseq = m.cseq().expect("parsed message: CSeq does not parse");
    assert!(m.call_id().is_some(), "parsed message without Call-ID");
    let _ = m.content_type();
    match &m.start {
        StartLine::Request { method, uri: u } => {
            assert_eq!(m.method(), Some(method.as_str()));
            assert_eq!(&cseq.method, method, "CSeq method differs from the request's");
            assert!(!u.has_headers(), "Request-URI with headers accepted");
            uri(m.uri().expect("request without URI"));
            assert_eq!(m.code(), None);
        }
        StartLine::Response { code, .. } => {
            assert!((100..700).contains(code), "status code {code} accepted");
            assert_eq!(m.code(), Some(*code));
            assert!(m.method().is_none() && m.uri().is_none());
        }
    }
}

fn uri(u: &Uri) {
    let _ = (u.param("transport"), u.param("lr"), u.has_headers(), u.user.as_deref());
    assert_eq!(u.to_string(), u.as_str());
}

/// Why a 400/505 may itself fail to parse: it echoes the request's Via,
/// From, To, Call-ID and CSeq lines as received (RFC 3261 section
/// 8.2.6), and those may be the very lines that were wrong or missing
/// (RFC 4475 insuf, multi01, badvers, quotbal …). Any other reason
/// (framing, start line, Content-Length, header syntax) is a bug.
const ECHOED: &[&str] = &[
    "Bad Via",
    "Bad From",
    "Bad To",
    "Bad Call-ID",
    "Bad CSeq",
    "Missing From",
    "Missing To",
    "Missing Call-ID",
    "Missing CSeq",
    "Header repeated",
    "Unbalanced quotes or brackets",
    "Empty list element",
];

/// A message the parser refused: the 400/505 built for it.
fn broken(e: &ParseError) {
    let _ = e.to_string();
    let Some(res) = Message::response_to_broken(e) else {
        return;
    };
    let salvage = e.salvage.as_ref().expect("a response without salvaged lines");
    let expected = if e.bad_version { 505 } else { 400 };
    assert_eq!(res.code(), Some(expected));
    // Exactly the transaction lines, in order, as received.
    let copied: Vec<&(String, String)> = salvage
        .iter()
        .filter(|(n, _)| ["Via", "From", "To", "Call-ID", "CSeq"].contains(&n.as_str()))
        .collect();
    assert_eq!(res.all_headers().iter().collect::<Vec<_>>(), copied);
    assert!(res.body.is_empty());
    let bytes = res.to_bytes();
    match Message::parse(&bytes) {
        Ok(back) => {
            assert_eq!(back.code(), Some(expected));
            assert_eq!(back.start, res.start, "400/505 start line changed in the round trip");
            accessors(&back);
        }
        Err(again) if ECHOED.contains(&again.reason) => {}
        Err(again) => panic!(
            "response_to_broken({:?}).to_bytes() does not parse: {again:?}\n{}",
            e.reason,
            show(&bytes)
        ),
    }
}

/// An SDP body, the codec choice, and our answer to it.
fn sdp(data: &[u8]) {
    let Ok(sd) = SessionDescription::parse(data) else {
        return;
    };
    for m in &sd.media {
        for &pt in &m.formats {
            let _ = m.encoding(pt);
        }
        let _ = m.direction.answer();
    }
    let _ = (
        negotiate(&sd, &[Codec::Pcmu]),
        negotiate(&sd, &[Codec::Pcma]),
        negotiate(&sd, &[]),
    );
    let Some(n) = negotiate(&sd, ALLOWED) else {
        return;
    };
    let audio = sd.audio().expect("negotiated without an audio section");
    assert!(ALLOWED.contains(&n.codec));
    assert!(
        audio.formats.contains(&n.payload),
        "negotiated payload type not offered"
    );
    if let Some(remote) = n.remote {
        assert_eq!(remote.port(), audio.port);
    }
    // Our answer must be readable by our own parser.
    let answer = LocalMedia {
        session_id: 1,
        version: 2,
        address: audio.connection.unwrap_or([127, 0, 0, 1].into()),
        port: audio.port,
        codecs: &[n.codec],
        dtmf_payload: n.dtmf_payload,
        direction: n.direction.answer(),
    }
    .to_sdp();
    let back = SessionDescription::parse(answer.as_bytes())
        .unwrap_or_else(|e| panic!("our SDP answer does not parse: {e}\n{answer}"));
    let again = negotiate(&back, &[n.codec]).unwrap_or_else(|| panic!("our SDP answer does not negotiate\n{answer}"));
    assert_eq!(again.codec, n.codec);
}

fn credentials(s: &str) {
    if let Ok(c) = Credentials::parse(s) {
        let _ = c.verify("INVITE", "pw");
    }
}

/// The other parsers that take text.
fn text(s: &str) {
    credentials(s);
    if let Some(na) = NameAddr::parse(s) {
        let _ = na.tag();
        uri(&na.uri);
    }
    if let Some(u) = Uri::parse(s) {
        uri(&u);
        assert_eq!(u.as_str(), s, "Uri::as_str() is not the text received");
    }
}

/// Bytes for a panic message: printable ASCII as is, the rest escaped.
fn show(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}
