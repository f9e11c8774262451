//! The RFC 4475 torture messages (tests/torture/, see its README): the
//! valid ones parse to what the RFC says they mean, the invalid ones and
//! the semantically broken valid ones are refused.

use std::path::PathBuf;

use sip::{Message, StartLine};

fn read(kind: &str, name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/torture")
        .join(kind)
        .join(format!("{name}.dat"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn names(kind: &str) -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/torture")
        .join(kind);
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .trim_end_matches(".dat")
                .to_string()
        })
        .collect();
    names.sort();
    names
}

/// Grammatically valid, but missing or repeating mandatory headers or
/// with two framings: a UAS must answer 400.
const REFUSED_VALID: [&str; 3] = ["insuf", "multi01", "mcl01"];

#[test]
fn valid_messages_parse() {
    let all = names("valid");
    assert_eq!(all.len(), 30);
    let mut wrong = Vec::new();
    for name in &all {
        let result = Message::parse(&read("valid", name));
        match (REFUSED_VALID.contains(&name.as_str()), result) {
            (true, Err(e)) if e.salvage.is_some() => {}
            (false, Ok(_)) => {}
            (_, result) => wrong.push(format!("{name}: {result:?}")),
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn valid_messages_mean_what_the_rfc_says() {
    let m = |name| Message::parse(&read("valid", name)).unwrap();
    let esc01 = m("esc01");
    assert_eq!(esc01.uri().unwrap().user.as_deref(), Some("sips:user@example.com"));
    assert_eq!(esc01.uri().unwrap().host, "example.net");
    assert_eq!(esc01.to().unwrap().uri.user.as_deref(), Some("user"));
    assert_eq!(esc01.from().unwrap().uri.user.as_deref(), Some("I have spaces"));
    let contact = esc01.contact().unwrap();
    assert_eq!(contact.uri.user.as_deref(), Some("caller"));

    let intmeth = m("intmeth");
    assert_eq!(intmeth.method(), Some("!interesting-Method0123456789_*+`.%indeed'~"));
    assert_eq!(intmeth.cseq().unwrap().method, intmeth.method().unwrap());

    let escnull = m("escnull");
    assert_eq!(escnull.to().unwrap().uri.user.as_deref(), Some("null-\0-null"));
    assert_eq!(escnull.headers("Contact").count(), 2);

    let esc02 = m("esc02");
    assert_eq!(esc02.method(), Some("RE%47IST%45R"), "no unescaping in a method");
    assert_eq!(esc02.headers("Contact").count(), 2, "C%6Fntact is another header");

    let lwsdisp = m("lwsdisp");
    assert_eq!(lwsdisp.from().unwrap().display.as_deref(), Some("caller"));
    assert_eq!(lwsdisp.from().unwrap().tag(), Some("323"));

    let longreq = m("longreq");
    assert_eq!(longreq.vias().len(), 34);
    assert_eq!(longreq.body.len(), 150);

    let dblreq = m("dblreq");
    assert_eq!(dblreq.method(), Some("REGISTER"));
    assert!(dblreq.body.is_empty(), "the trailing INVITE is ignored");

    let semiuri = m("semiuri");
    assert_eq!(semiuri.uri().unwrap().user.as_deref(), Some("user;par=u@example.net"));
    assert_eq!(semiuri.uri().unwrap().host, "example.com");
    assert_eq!(semiuri.headers("Accept").count(), 6);

    let transports: Vec<String> = m("transports").vias().into_iter().map(|v| v.transport).collect();
    assert_eq!(transports, ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]);

    assert_eq!(m("mpart01").body.len(), 553);
    assert!(matches!(m("unreason").start, StartLine::Response { code: 200, .. }));
    assert_eq!(
        m("noreason").start,
        StartLine::Response {
            code: 100,
            reason: String::new()
        }
    );
    assert_eq!(m("unkscm").uri().unwrap().scheme, "nobodyknowsthisscheme");
    assert_eq!(m("novelsc").uri().unwrap().scheme, "soap.beep");
    assert_eq!(m("bext01").headers("Require").count(), 2);
    assert_eq!(m("invut").content_type().as_deref(), Some("application/unknownformat"));
    assert_eq!(m("zeromf").header("Max-Forwards"), Some("0"));
    let cparam01 = m("cparam01").contact().unwrap();
    assert_eq!(cparam01.params[0].0, "unknownparam", "a header parameter");
    assert!(cparam01.uri.params.is_empty());
    let cparam02 = m("cparam02").contact().unwrap();
    assert!(cparam02.params.is_empty());
    assert_eq!(cparam02.uri.params[0].0, "unknownparam", "a URI parameter");
    assert_eq!(
        m("inv2543").body.len(),
        105,
        "no Content-Length: the rest of the datagram"
    );
    let wsinv = m("wsinv");
    assert_eq!(wsinv.method(), Some("INVITE"));
    let vias = wsinv.vias();
    assert_eq!(vias.len(), 3);
    assert_eq!(
        (vias[0].host.as_str(), vias[0].branch()),
        ("192.0.2.2", Some("390skdjuw"))
    );
    assert_eq!(vias[2].branch(), Some("z9hG4bK30239"));
    assert_eq!(wsinv.cseq().unwrap().seq, 9);
    assert_eq!(wsinv.header("Max-Forwards"), Some("0068"));
    assert_eq!(wsinv.to().unwrap().tag(), Some("1918181833n"));
    assert_eq!(wsinv.from().unwrap().display.as_deref(), Some("J Rosenberg \\\""));
    assert_eq!(wsinv.from().unwrap().tag(), Some("98asjd8"));
    assert_eq!(wsinv.header("UnknownHeaderWithUnusualValue"), Some(";;,,;;,;"));
    assert_eq!(
        wsinv.header("NewFangledHeader"),
        Some("newfangled value continued newfangled value")
    );
    assert_eq!(wsinv.body.len(), 150);
}

#[test]
fn invalid_messages_are_refused() {
    let all = names("invalid");
    assert_eq!(all.len(), 19);
    let mut wrong = Vec::new();
    for name in &all {
        let mut bytes = read("invalid", name);
        if name == "baddn" {
            // The file ends without the empty line; add it so the test
            // reaches the unquoted display names it is about.
            bytes.extend_from_slice(b"\r\n");
        }
        let is_response = bytes.starts_with(b"SIP/");
        match Message::parse(&bytes) {
            // Requests get a 400 (505 for the version), responses are dropped.
            Err(e) if e.bad_version == (name == "badvers") && e.salvage.is_some() != is_response => {}
            other => wrong.push(format!("{name}: {other:?}")),
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
