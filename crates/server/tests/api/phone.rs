//! The phone dial-in against the real server on both databases, called by
//! sipp (Debian's sip-tester) and by a small caller of our own that sends
//! and records real RTP: key presses by RFC 4733, the waiting queue, the
//! web moderator's controls on phone members, both sides hanging up,
//! CANCEL, three wrong PINs, malformed messages, and what callers hear.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use serde_json::{json, Value};
use test_support::phone::{dtmf_packets, heard_since, pcap, tone_power, Caller};
use test_support::{db_test, Backend};

use crate::helpers::TestApp;
use crate::rooms::Ws;

/// The German and the English dial-in number of the test installation.
const DIAL_DE: &str = "493055570100";
const DIAL_EN: &str = "442079460100";

async fn app_with_phone(backend: Backend) -> Option<TestApp> {
    app_with_trunks(backend, "127.0.0.1", None).await
}

async fn app_with_trunks(backend: Backend, trunks: &str, digest: Option<(&str, &str)>) -> Option<TestApp> {
    TestApp::spawn_with(backend, |s| {
        s.phone = Some(phone::PhoneConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            public_ip: "127.0.0.1".parse().unwrap(),
            trunks: phone::PhoneConfig::parse_trunks(trunks).unwrap(),
            digest: digest.map(|(u, p)| (u.to_string(), p.to_string())),
            realm: "kontor".into(),
            codecs: phone::PhoneConfig::parse_codecs("PCMU,PCMA").unwrap(),
            rtp_ports: (30000, 39999),
            numbers: phone::PhoneConfig::parse_numbers("+49 30 5557 0100, +44 20 7946 0100 (en)").unwrap(),
            ring: Duration::from_millis(600),
        });
    })
    .await
}

/// Anna with her room's PINs set (4711 moderator, 9051 participant): her
/// client and the room number.
async fn anna(app: &TestApp) -> (crate::helpers::Visitor, String) {
    app.create_user("anna@firma.test", None, None).await;
    let v = app.second_client();
    v.login("anna@firma.test").await;
    let r = v
        .put_json(
            "/api/v1/conference/pins",
            &json!({"moderator_pin": "4711", "participant_pin": "9051"}),
        )
        .await;
    assert_eq!(r.status(), 204);
    let c: Value = v.get("/api/v1/conference").await.json().await.unwrap();
    (v, c["number"].as_str().unwrap().to_string())
}

/// Polls the owner's view until `check` holds for the live state.
async fn until_live(owner: &crate::helpers::Visitor, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..300 {
        let c: Value = owner.get("/api/v1/conference").await.json().await.unwrap();
        if check(&c["live"]) {
            return c["live"].clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

/// A folder for one test's scenarios and pcaps.
fn workdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kontor-sipp-{:x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// sipp media ports, distinct within this test process.
fn media_port() -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let base = 42000 + (std::process::id() % 200) as u16 * 50;
    base + NEXT.fetch_add(4, Ordering::Relaxed) % 4000
}

/// What a sipp caller does after the answer.
enum Then {
    /// Hangs up (BYE) after this many ms.
    HangUpAfter(u64),
    /// Waits for the server's BYE and answers it.
    AwaitBye,
}

const SDP: &str = "v=0\r
o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]\r
s=-\r
c=IN IP[media_ip_type] [media_ip]\r
t=0 0\r
m=audio [media_port] RTP/AVP 0 101\r
a=rtpmap:0 PCMU/8000\r
a=rtpmap:101 telephone-event/8000\r
a=fmtp:101 0-15\r
";

fn headers(method: &str, from: &str, cseq: u32) -> String {
    format!(
        "{method} sip:[service]@[remote_ip]:[remote_port] SIP/2.0\r
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]\r
From: <sip:{from}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]\r
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]\r
Call-ID: [call_id]\r
CSeq: {cseq} {method}\r
Contact: <sip:sipp@[local_ip]:[local_port]>\r
Max-Forwards: 70\r
"
    )
}

/// A call that keys in `keys` (a space: 1.5 s pause) and then `then`.
fn call_scenario(dir: &Path, from: &str, keys: &str, then: Then) -> String {
    let pcap_path = dir.join(format!("keys-{from}.pcap"));
    std::fs::write(&pcap_path, pcap(&dtmf_packets(keys, 1500, 101))).unwrap();
    let invite = headers("INVITE", from, 1);
    let ack = headers("ACK", from, 1);
    let ending = match then {
        Then::HangUpAfter(ms) => format!(
            r#"<pause milliseconds="{ms}"/>
  <send retrans="500"><![CDATA[
{}Content-Length: 0

]]></send>
  <recv response="200" crlf="true"/>"#,
            headers("BYE", from, 2)
        ),
        Then::AwaitBye => r#"<recv request="BYE" timeout="60000"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>"#
            .to_string(),
    };
    format!(
        r#"<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="dial-in">
  <send retrans="500"><![CDATA[
{invite}Content-Type: application/sdp
Content-Length: [len]

{SDP}]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rtd="true"/>
  <send><![CDATA[
{ack}Content-Length: 0

]]></send>
  <nop><action><exec play_pcap_audio="{}"/></action></nop>
  {ending}
</scenario>
"#,
        pcap_path.display()
    )
}

/// Runs sipp with a scenario against the dial-in, in the background.
fn sipp(app: &TestApp, dir: &Path, name: &str, scenario: &str, service: &str) -> tokio::process::Child {
    let file = dir.join(format!("{name}.xml"));
    std::fs::write(&file, scenario).unwrap();
    tokio::process::Command::new("sipp")
        .arg(app.phone_addr().to_string())
        .args([
            "-sf",
            file.to_str().unwrap(),
            "-s",
            service,
            "-m",
            "1",
            "-i",
            "127.0.0.1",
        ])
        .args(["-mi", "127.0.0.1", "-mp", &media_port().to_string()])
        .args(["-nostdin", "-timeout", "90", "-timeout_error", "-trace_err"])
        .args(["-error_file", dir.join(format!("{name}.err")).to_str().unwrap()])
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("sipp (Debian package sip-tester) is installed")
}

/// Waits for sipp and asserts the scenario passed.
async fn passed(child: tokio::process::Child, dir: &Path, name: &str) {
    let out = tokio::time::timeout(Duration::from_secs(100), child.wait_with_output())
        .await
        .expect("sipp finishes")
        .unwrap();
    let errors = std::fs::read_to_string(dir.join(format!("{name}.err"))).unwrap_or_default();
    assert!(
        out.status.success(),
        "sipp {name}: {:?}\n{}\n{errors}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The members of a welcome frame who are on the phone.
fn phone_members(welcome: &Value) -> Vec<Value> {
    welcome["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["id"].as_str().unwrap().starts_with('t'))
        .cloned()
        .collect()
}

db_test!(callers_wait_for_the_moderator_and_follow_the_web_controls);
async fn callers_wait_for_the_moderator_and_follow_the_web_controls(backend: Backend) {
    let Some(app) = app_with_phone(backend).await else {
        return;
    };
    let (owner, number) = anna(&app).await;
    let dir = workdir();
    // A participant calls first: room number and PIN by RFC 4733, then waits.
    let keys = |pin: &str| format!("{number}# {pin}#");
    let p1 = sipp(
        &app,
        &dir,
        "p1",
        &call_scenario(&dir, "+4917111111111", &keys("9051"), Then::AwaitBye),
        DIAL_DE,
    );
    until_live(&owner, "the caller waiting", |l| l["waiting"] == 1).await;
    // The moderator calls: both enter together.
    let m = sipp(
        &app,
        &dir,
        "m",
        &call_scenario(&dir, "+4917122222222", &keys("4711"), Then::AwaitBye),
        DIAL_DE,
    );
    until_live(&owner, "both callers in", |l| l["present"] == 2 && l["waiting"] == 0).await;
    // Anna opens the room in the browser as a second moderator: the
    // callers are listed under their masked numbers.
    let e: Value = app
        .second_client()
        .post_json(
            "/api/v1/conference/join",
            &json!({"number": number, "pin": "4711", "name": "Anna"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let mut host = Ws::open(&app, e["room"]["id"].as_str().unwrap(), e["grant"].as_str().unwrap()).await;
    let w = host.expect("welcome").await;
    let phones = phone_members(&w);
    let names: Vec<&str> = phones.iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 2, "{w}");
    assert!(
        names.contains(&"+491••••••••11") && names.contains(&"+491••••••••22"),
        "{names:?}"
    );
    assert!(
        phones.iter().all(|m| m["media"]["audio"] == true),
        "microphones on: {phones:?}"
    );
    let p1_id = phones
        .iter()
        .find(|m| m["name"].as_str().unwrap().ends_with("11"))
        .unwrap()["id"]
        .clone();
    assert!(phones.iter().any(|m| m["role"] == "host") && phones.iter().any(|m| m["role"] == "participant"));
    // Mute: the caller's line is muted on the server and the list shows it.
    host.send(json!({"type": "mute", "member": p1_id})).await;
    let media = host.expect("media").await;
    assert_eq!(
        (media["from"].clone(), media["audio"].clone()),
        (p1_id.clone(), json!(false))
    );
    // Remove: the caller gets a BYE (sipp answers it and passes).
    host.send(json!({"type": "remove", "member": p1_id})).await;
    passed(p1, &dir, "p1").await;
    until_live(&owner, "the removed caller gone", |l| l["present"] == 2).await;
    // Lock: a new participant by phone hears "locked" and is hung up on.
    host.send(json!({"type": "lock", "locked": true})).await;
    host.expect("locked").await;
    let late = sipp(
        &app,
        &dir,
        "late",
        &call_scenario(&dir, "+4917133333333", &keys("9051"), Then::AwaitBye),
        DIAL_EN,
    );
    passed(late, &dir, "late").await;
    assert_eq!(
        until_live(&owner, "still two", |l| l["present"] == 2).await["locked"],
        true
    );
    // End: the moderator's phone is hung up too.
    host.send(json!({"type": "end"})).await;
    passed(m, &dir, "m").await;
    until_live(&owner, "the room empty", |l| l["present"] == 0 && l["waiting"] == 0).await;
    // Calls answer late retransmissions for a few seconds, then are gone.
    for _ in 0..100 {
        if app.phone().calls() == 0 && app.phone().media.legs() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        (app.phone().calls(), app.phone().media.legs()),
        (0, 0),
        "no call left behind"
    );
    app.stop().await;
}

/// A scenario that sends `raw` (a broken request) and expects `code`,
/// then an OPTIONS that must still be answered.
fn broken_then_options(raw: &[(&str, u16)]) -> String {
    let mut steps = String::new();
    for (text, code) in raw {
        steps.push_str(&format!(
            "  <send><![CDATA[\n{text}]]></send>\n  <recv response=\"{code}\" timeout=\"5000\"/>\n"
        ));
    }
    format!(
        r#"<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="malformed">
{steps}  <send><![CDATA[
{}Content-Length: 0

]]></send>
  <recv response="200" timeout="5000"/>
</scenario>
"#,
        headers("OPTIONS", "probe", 9)
    )
}

db_test!(hang_ups_cancel_wrong_pins_and_malformed_messages);
async fn hang_ups_cancel_wrong_pins_and_malformed_messages(backend: Backend) {
    let Some(app) = app_with_phone(backend).await else {
        return;
    };
    let (owner, number) = anna(&app).await;
    let dir = workdir();
    // The caller hangs up: out of the room at once.
    moderator_calls_and_hangs_up(&app, &owner, &dir, "bye", &number, DIAL_EN).await;
    // Three wrong PINs: goodbye and the server hangs up.
    let wrong = format!("{number}# 1111# {number}# 2222# {number}# 3333#");
    let w = sipp(
        &app,
        &dir,
        "wrong",
        &call_scenario(&dir, "+4930222", &wrong, Then::AwaitBye),
        DIAL_EN,
    );
    passed(w, &dir, "wrong").await;
    assert_eq!(
        until_live(&owner, "nobody in", |l| l["present"] == 0).await["waiting"],
        0
    );
    // CANCEL while it rings: 200 to the CANCEL, 487 to the INVITE, ACK.
    let cancel = format!(
        r#"<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="cancel">
  <send retrans="500"><![CDATA[
{}Content-Type: application/sdp
Content-Length: [len]

{SDP}]]></send>
  <recv response="100" optional="true"/>
  <recv response="180"/>
  <send><![CDATA[
CANCEL sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-1]
From: <sip:cancel@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 CANCEL
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200"/>
  <recv response="487"/>
  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-2]
From: <sip:cancel@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
</scenario>
"#,
        headers("INVITE", "cancel", 1)
    );
    passed(sipp(&app, &dir, "cancel", &cancel, DIAL_DE), &dir, "cancel").await;
    // Malformed requests: 400 (505 for the version), and the server goes on.
    let base = headers("OPTIONS", "probe", 7);
    let broken = [
        (format!("{base}Content-Length: 9999\n\nv=0\n"), 400),
        (format!("{base}Content-Type: application\nContent-Length: 0\n\n"), 400),
        (
            base.replace("<sip:probe@", "\"Unclosed <sip:probe@") + "Content-Length: 0\n\n",
            400,
        ),
        (
            base.replace("Max-Forwards: 70", "Max-Forwards: 300") + "Content-Length: 0\n\n",
            400,
        ),
        (
            base.replace(" SIP/2.0\r\nVia", " SIP/7.0\r\nVia") + "Content-Length: 0\n\n",
            505,
        ),
    ];
    let broken: Vec<(&str, u16)> = broken.iter().map(|(t, c)| (t.as_str(), *c)).collect();
    passed(
        sipp(&app, &dir, "malformed", &broken_then_options(&broken), DIAL_DE),
        &dir,
        "malformed",
    )
    .await;
    // Garbage and the RFC 4475 torture messages straight at the socket:
    // no crash, the next call still works.
    let raw = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let torture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sip/tests/torture");
    for kind in ["valid", "invalid"] {
        for entry in std::fs::read_dir(torture.join(kind)).unwrap() {
            raw.send_to(&std::fs::read(entry.unwrap().path()).unwrap(), app.phone_addr())
                .await
                .unwrap();
        }
    }
    for junk in [
        &b"\x00\x01\x02"[..],
        b"INVITE",
        b"SIP/2.0 200 OK\r\n\r\n",
        &[0xff; 2000],
    ] {
        raw.send_to(junk, app.phone_addr()).await.unwrap();
    }
    moderator_calls_and_hangs_up(&app, &owner, &dir, "again", &number, DIAL_DE).await;
    app.stop().await;
}

/// The moderator calls by sipp, is in the room, hangs up (BYE), is out.
async fn moderator_calls_and_hangs_up(
    app: &TestApp,
    owner: &crate::helpers::Visitor,
    dir: &Path,
    name: &str,
    number: &str,
    dialed: &str,
) {
    let from = format!("+4930{:06}", rand::random::<u32>() % 1_000_000);
    let keys = format!("{number}# 4711#");
    let call = sipp(
        app,
        dir,
        name,
        &call_scenario(dir, &from, &keys, Then::HangUpAfter(9000)),
        dialed,
    );
    until_live(owner, "the moderator by phone", |l| l["present"] == 1).await;
    passed(call, dir, name).await;
    until_live(owner, "the caller gone", |l| l["present"] == 0).await;
}

db_test!(each_caller_hears_the_others_mixed_but_not_themselves);
async fn each_caller_hears_the_others_mixed_but_not_themselves(backend: Backend) {
    let Some(app) = app_with_phone(backend).await else {
        return;
    };
    let (owner, number) = anna(&app).await;
    let server = app.phone_addr();
    let mut a = Caller::call(server, DIAL_EN, "+4917100000001").await;
    let mut b = Caller::call(server, DIAL_EN, "+4917100000002").await;
    let mut c = Caller::call(server, DIAL_EN, "+4917100000003").await;
    // The participant waits with music until the moderator is there.
    c.keys(&format!("{number}# 9051#")).await;
    until_live(&owner, "C waiting", |l| l["waiting"] == 1).await;
    let music_from = std::time::Instant::now() + Duration::from_secs(5);
    tokio::time::sleep(Duration::from_secs(6)).await;
    let music = heard_since(&c.heard, music_from);
    assert!(
        music.len() >= 4000 && music.iter().any(|&s| s.abs() > 500),
        "hold music while waiting"
    );
    let (ka, kb) = (format!("{number}# 4711#"), format!("{number}# 9051#"));
    tokio::join!(a.keys(&ka), b.keys(&kb));
    until_live(&owner, "all three in", |l| l["present"] == 3).await;
    // Past the "you are in the conference" prompt, A and B talk: two tones.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let tone = |f: f32, n: usize| -> Vec<i16> {
        (n * 160..(n + 1) * 160)
            .map(|i| (7000.0 * (2.0 * std::f32::consts::PI * f * i as f32 / 8000.0).sin()) as i16)
            .collect()
    };
    let from = std::time::Instant::now() + Duration::from_millis(500);
    let start = tokio::time::Instant::now();
    for n in 0..100 {
        tokio::time::sleep_until(start + Duration::from_millis(20 * n as u64)).await;
        a.send_frame(&tone(500.0, n)).await;
        b.send_frame(&tone(1300.0, n)).await;
        c.send_frame(&[0; 160]).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (sa, sb, sc) = (
        heard_since(&a.heard, from),
        heard_since(&b.heard, from),
        heard_since(&c.heard, from),
    );
    assert!(sc.len() >= 8000 * 3 / 2, "C got {} samples", sc.len());
    let p = |s: &[i16], f| tone_power(s, f);
    let (c500, c1300, c900) = (p(&sc, 500.0), p(&sc, 1300.0), p(&sc, 900.0));
    assert!(
        c500 > 100.0 * c900 && c1300 > 100.0 * c900,
        "C hears both: {c500} {c1300} vs {c900}"
    );
    assert!(p(&sa, 1300.0) > 1000.0 * p(&sa, 500.0), "A hears B, not itself");
    assert!(p(&sb, 500.0) > 1000.0 * p(&sb, 1300.0), "B hears A, not itself");
    // C puts the conference on hold (re-INVITE sendonly): the server
    // answers recvonly and stops sending; resuming brings the audio back.
    let held = c.reinvite("sendonly").await;
    assert!(held.starts_with("SIP/2.0 200") && held.contains("a=recvonly"), "{held}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let heard = c.heard.clone();
    let count = || heard.lock().unwrap().len();
    let before = count();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(count() <= before + 1, "nothing sent while on hold");
    let resumed = c.reinvite("sendrecv").await;
    assert!(
        resumed.starts_with("SIP/2.0 200") && resumed.contains("a=sendrecv"),
        "{resumed}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(count() >= before + 15, "audio again after resuming");
    for caller in [a, b, c] {
        caller.bye().await;
    }
    // An offer without PCMU/PCMA is refused with 488.
    let g729 = format!(
        "INVITE sip:{DIAL_DE}@{server} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5998;branch=z9hG4bKg729\r\n\
         From: <sip:+4930444@127.0.0.1>;tag=g\r\nTo: <sip:{DIAL_DE}@{server}>\r\nCall-ID: g729@test\r\n\
         CSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: 88\r\n\r\n\
         v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 7000 RTP/AVP 18\r\n"
    );
    assert!(exchange(server, &g729).await.starts_with("SIP/2.0 488"));
    until_live(&owner, "everyone gone", |l| l["present"] == 0).await;
    app.stop().await;
}

/// Sends one request over UDP and returns the first final response.
async fn exchange(server: SocketAddr, request: &str) -> String {
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    socket.send_to(request.as_bytes(), server).await.unwrap();
    let mut buf = vec![0u8; 4096];
    loop {
        let (n, _) = tokio::time::timeout(Duration::from_secs(5), socket.recv_from(&mut buf))
            .await
            .expect("an answer")
            .unwrap();
        let text = String::from_utf8_lossy(&buf[..n]).to_string();
        if !text.starts_with("SIP/2.0 1") {
            return text;
        }
    }
}

fn md5_hex(s: &str) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(s.as_bytes()))
}

db_test!(trunks_from_elsewhere_need_digest_credentials);
async fn trunks_from_elsewhere_need_digest_credentials(backend: Backend) {
    let Some(app) = app_with_trunks(backend, "192.0.2.10", Some(("trunk", "a-long-secret-123"))).await else {
        return;
    };
    let server = app.phone_addr();
    let options = |auth: &str| {
        format!(
            "OPTIONS sip:{DIAL_DE}@{server} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK{:x}\r\n\
             From: <sip:pbx@127.0.0.1>;tag=1\r\nTo: <sip:{DIAL_DE}@{server}>\r\nCall-ID: {:x}@pbx\r\n\
             CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n{auth}Content-Length: 0\r\n\r\n",
            rand::random::<u64>(),
            rand::random::<u64>()
        )
    };
    // 127.0.0.1 is not a listed trunk: challenged.
    let challenge = exchange(server, &options("")).await;
    assert!(challenge.starts_with("SIP/2.0 401"), "{challenge}");
    let header = challenge
        .lines()
        .find_map(|l| l.strip_prefix("WWW-Authenticate: "))
        .expect("a challenge");
    let nonce = header.split("nonce=\"").nth(1).unwrap().split('"').next().unwrap();
    assert!(
        header.contains("realm=\"kontor\"") && header.contains("qop=\"auth\""),
        "{header}"
    );
    let uri = format!("sip:{DIAL_DE}@{server}");
    let answer = |password: &str| {
        let ha1 = md5_hex(&format!("trunk:kontor:{password}"));
        let ha2 = md5_hex(&format!("OPTIONS:{uri}"));
        let response = md5_hex(&format!("{ha1}:{nonce}:00000001:c0ffee:auth:{ha2}"));
        format!(
            "Authorization: Digest username=\"trunk\", realm=\"kontor\", nonce=\"{nonce}\", uri=\"{uri}\", \
             response=\"{response}\", qop=auth, nc=00000001, cnonce=\"c0ffee\", algorithm=MD5\r\n"
        )
    };
    let ok = exchange(server, &options(&answer("a-long-secret-123"))).await;
    assert!(ok.starts_with("SIP/2.0 200"), "{ok}");
    assert!(ok.contains("Allow: INVITE, ACK, BYE, CANCEL, OPTIONS"));
    let wrong = exchange(server, &options(&answer("a-long-secret-124"))).await;
    assert!(wrong.starts_with("SIP/2.0 401"), "{wrong}");
    let forged = exchange(server, &options(&answer("a-long-secret-123").replace(nonce, "1.abc"))).await;
    assert!(forged.starts_with("SIP/2.0 401"), "a nonce we did not make: {forged}");
    app.stop().await;
}

db_test!(phone_pin_guessing_is_throttled_per_caller_and_per_room);
async fn phone_pin_guessing_is_throttled_per_caller_and_per_room(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (_owner, number) = anna(&app).await;
    let conference = &app.services.conference;
    let join = |pin: &'static str, caller: String| {
        let number = number.clone();
        async move { conference.join_by_phone(&number, pin, &caller, "Telefon".into()).await }
    };
    let code = |r: Result<domain::rooms::Admission, kernel::DomainError>| match r {
        Ok(_) => "admitted".to_string(),
        Err(e) => e.code().to_string(),
    };
    // One number guessing one room: five tries, then it has to wait.
    for _ in 0..5 {
        assert_eq!(code(join("1111", "+4930100".into()).await), "number_or_pin_wrong");
    }
    assert_eq!(
        code(join("9051", "+4930100".into()).await),
        "rate_limited",
        "even the right PIN waits"
    );
    // Another caller is not held up by that one…
    assert_eq!(code(join("9051", "+4930101".into()).await), "admitted");
    // …but forged numbers do not help: 50 wrong tries for the room from
    // all callers together and the room waits by phone (the web join not).
    for i in 0..45 {
        assert_eq!(code(join("2222", format!("+49302{i:03}")).await), "number_or_pin_wrong");
    }
    assert_eq!(code(join("9051", "+4930399".into()).await), "rate_limited");
    let web = app
        .second_client()
        .post_json(
            "/api/v1/conference/join",
            &json!({"number": number, "pin": "9051", "name": "Web"}),
        )
        .await;
    assert_eq!(web.status(), 200);
    app.stop().await;
}
