//! Realtime rooms over real WebSockets (docs/realtime-protocol.md):
//! grants, presence, chat with history, waiting queue, lock, removal,
//! signaling only within a room, bad frames, reconnect within the grace
//! period and leaving after it; plus the meeting API's isolation.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use test_support::{db_test, Backend};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{api_error, TestApp, Visitor, WsStream};

/// One member's socket.
pub(crate) struct Ws {
    ws: WsStream,
}

impl Ws {
    /// Opens the room socket and sends `join` with `grant`.
    pub(crate) async fn open(app: &TestApp, room: &str, grant: &str) -> Ws {
        let url = app
            .at(&format!("/api/v1/rooms/{room}/live"))
            .replace("http://", "ws://");
        let (ws, _) = tokio_tungstenite::connect_async(url).await.expect("socket opens");
        let mut ws = Ws { ws };
        ws.send(json!({"type": "join", "grant": grant})).await;
        ws
    }

    pub(crate) async fn send(&mut self, v: Value) {
        self.ws.send(Message::Text(v.to_string().into())).await.unwrap();
    }

    pub(crate) async fn send_text(&mut self, t: String) {
        self.ws.send(Message::Text(t.into())).await.unwrap();
    }

    /// The next text frame, or `None` when the server closed the socket
    /// (its close code in `closed`).
    pub(crate) async fn next(&mut self) -> Result<Value, Option<u16>> {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(5), self.ws.next())
                .await
                .expect("a frame within 5 s");
            match msg {
                Some(Ok(Message::Text(t))) => return Ok(serde_json::from_str(&t).unwrap()),
                Some(Ok(Message::Close(frame))) => return Err(frame.map(|f| u16::from(f.code))),
                None | Some(Err(_)) => return Err(None),
                Some(Ok(_)) => {}
            }
        }
    }

    /// Reads until a frame of `kind` arrives (skipping others).
    pub(crate) async fn expect(&mut self, kind: &str) -> Value {
        loop {
            match self.next().await {
                Ok(v) if v["type"] == kind => return v,
                Ok(_) => {}
                Err(code) => panic!("socket closed ({code:?}) while waiting for {kind}"),
            }
        }
    }

    /// The next frame must be an error with `code`.
    pub(crate) async fn expect_error(&mut self, code: &str) {
        let v = self.next().await.expect("an error frame");
        assert_eq!(v["type"], "error", "{v}");
        assert_eq!(v["code"], code, "{v}");
        assert!(v["message"].is_string());
    }

    /// Reads until the server closes; returns the close code.
    pub(crate) async fn closed(&mut self) -> Option<u16> {
        loop {
            if let Err(code) = self.next().await {
                return code;
            }
        }
    }

    /// Asserts that no frame arrives for `ms` (other than pongs we asked for).
    pub(crate) async fn quiet(&mut self, ms: u64) {
        if let Ok(Some(Ok(Message::Text(t)))) = tokio::time::timeout(Duration::from_millis(ms), self.ws.next()).await {
            panic!("unexpected frame {t}");
        }
    }

    pub(crate) async fn alive(&mut self) {
        self.send(json!({"type": "ping"})).await;
        self.expect("pong").await;
    }
}

/// A host with one meeting: (meeting id, invitation code, host grant).
async fn meeting(app: &TestApp, host: &Visitor, email: &str, waiting_room: bool) -> (String, String, String) {
    app.create_user(email, None, None).await;
    host.login(email).await;
    let r = host
        .post_json(
            "/api/v1/meetings",
            &json!({"title": "Weekly", "waiting_room": waiting_room}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let m: Value = r.json().await.unwrap();
    let id = m["id"].as_str().unwrap().to_string();
    let link = m["invite_link"].as_str().unwrap();
    assert!(link.starts_with(&format!("http://kontor.test/m/{id}?k=")), "{link}");
    let code = link.split("k=").nth(1).unwrap().to_string();
    let entry: Value = host
        .post_json(&format!("/api/v1/meetings/{id}/entry"), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(entry["role"], "host");
    assert_eq!(entry["socket"], format!("/api/v1/rooms/{id}/live"));
    (id, code, entry["grant"].as_str().unwrap().to_string())
}

/// A guest's grant via the invitation link (no session).
async fn guest(app: &TestApp, room: &str, code: &str, name: &str) -> String {
    let r = app
        .second_client()
        .post_json(
            &format!("/api/v1/meetings/{room}/join"),
            &json!({"code": code, "name": name}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["role"], "guest");
    e["grant"].as_str().unwrap().to_string()
}

async fn presence_chat_history_and_leave(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (room, code, host_grant) = meeting(&app, &app, "host@rooms.test", false).await;
    let mut host = Ws::open(&app, &room, &host_grant).await;
    let w = host.expect("welcome").await;
    assert_eq!(w["protocol"], 1);
    assert_eq!(w["you"]["role"], "host");
    assert_eq!(w["members"].as_array().unwrap().len(), 1);

    let g1 = guest(&app, &room, &code, "Jürgen Groß").await;
    let mut jurgen = Ws::open(&app, &room, &g1).await;
    let w = jurgen.expect("welcome").await;
    let jurgen_id = w["you"]["id"].as_str().unwrap().to_string();
    assert_eq!(w["members"].as_array().unwrap().len(), 2);
    let joined = host.expect("joined").await;
    assert_eq!(joined["member"]["name"], "Jürgen Groß");
    assert_eq!(joined["member"]["role"], "guest");

    // Chat reaches everyone (the sender too), typing and media the others.
    jurgen.send(json!({"type": "chat", "text": "  Grüß Gott 👋  "})).await;
    for ws in [&mut host, &mut jurgen] {
        let c = ws.expect("chat").await;
        assert_eq!(c["text"], "Grüß Gott 👋");
        assert_eq!(c["name"], "Jürgen Groß");
        assert_eq!(c["from"], jurgen_id.as_str());
    }
    jurgen.send(json!({"type": "typing", "on": true})).await;
    assert_eq!(host.expect("typing").await["from"], jurgen_id.as_str());
    jurgen
        .send(json!({"type": "media", "audio": true, "video": false, "screen": true}))
        .await;
    let m = host.expect("media").await;
    assert_eq!((m["audio"].clone(), m["screen"].clone()), (json!(true), json!(true)));
    // Chat limits: length (in characters) and rate.
    jurgen.send(json!({"type": "chat", "text": "ü".repeat(2001)})).await;
    jurgen.expect_error("chat_too_long").await;
    jurgen.send(json!({"type": "chat", "text": "   "})).await;
    jurgen.expect_error("chat_empty").await;
    for i in 0..4 {
        jurgen
            .send(json!({"type": "chat", "text": format!("Nachricht {i}")}))
            .await;
        jurgen.expect("chat").await;
    }
    jurgen.send(json!({"type": "chat", "text": "zu schnell"})).await;
    jurgen.expect_error("rate_limited").await;

    // A newcomer sees who is here and the history; the media state too.
    let g2 = guest(&app, &room, &code, "Eva").await;
    let mut eva = Ws::open(&app, &room, &g2).await;
    let w = eva.expect("welcome").await;
    let names: Vec<&str> = w["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Test Nutzer", "Jürgen Groß", "Eva"]);
    assert_eq!(w["members"][1]["media"]["screen"], true);
    let history: Vec<&str> = w["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap())
        .collect();
    assert_eq!(history.len(), 5);
    assert_eq!(history[0], "Grüß Gott 👋");

    // Leaving is seen at once by the others; the leaver's socket closes normally.
    jurgen.send(json!({"type": "leave"})).await;
    assert_eq!(jurgen.closed().await, Some(1000));
    for ws in [&mut host, &mut eva] {
        let l = ws.expect("left").await;
        assert_eq!(
            (l["member"].as_str(), l["reason"].as_str()),
            (Some(jurgen_id.as_str()), Some("left"))
        );
    }
    // Everyone leaves; the chat is stored and comes back when the room is loaded again.
    host.send(json!({"type": "leave"})).await;
    eva.send(json!({"type": "leave"})).await;
    assert_eq!(eva.closed().await, Some(1000));
    for _ in 0..50 {
        if app.services.rooms.engine().live_rooms() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(app.services.rooms.engine().live_rooms(), 0, "an empty room is unloaded");
    let mut back = Ws::open(&app, &room, &host_grant).await;
    let w = back.expect("welcome").await;
    assert_eq!(w["history"].as_array().unwrap().len(), 5, "history from the database");
    back.send(json!({"type": "chat", "text": "weiter"})).await;
    assert_eq!(back.expect("chat").await["id"], 6, "numbering continues");
    app.stop().await;
}

async fn waiting_room_lock_and_removal(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (room, code, host_grant) = meeting(&app, &app, "host@rooms.test", true).await;
    // Guests arrive first and wait; they may only ping and leave.
    let mut a = Ws::open(&app, &room, &guest(&app, &room, &code, "Anton").await).await;
    assert_eq!(a.expect("waiting").await["waiting"], 1);
    a.send(json!({"type": "chat", "text": "hallo?"})).await;
    a.expect_error("waiting").await;
    let mut b = Ws::open(&app, &room, &guest(&app, &room, &code, "Berta").await).await;
    assert_eq!(b.expect("waiting").await["waiting"], 2);
    assert_eq!(a.expect("waiting").await["waiting"], 2);

    // The host arrives: everyone waiting enters together.
    let mut host = Ws::open(&app, &room, &host_grant).await;
    assert_eq!(host.expect("welcome").await["members"].as_array().unwrap().len(), 1);
    assert_eq!(host.expect("joined").await["member"]["name"], "Anton");
    let berta = host.expect("joined").await;
    assert_eq!(berta["member"]["name"], "Berta");
    let b_id = berta["member"]["id"].as_str().unwrap().to_string();
    assert_eq!(a.expect("welcome").await["members"].as_array().unwrap().len(), 2);
    assert_eq!(a.expect("joined").await["member"]["name"], "Berta");
    assert_eq!(b.expect("welcome").await["members"].as_array().unwrap().len(), 3);

    // Only the host has controls.
    a.send(json!({"type": "lock", "locked": true})).await;
    a.expect_error("not_allowed").await;
    a.send(json!({"type": "remove", "member": b_id})).await;
    a.expect_error("not_allowed").await;

    // Lock: nobody new gets in, not even with a valid grant.
    host.send(json!({"type": "lock", "locked": true})).await;
    assert_eq!(a.expect("locked").await["locked"], true);
    let mut late = Ws::open(&app, &room, &guest(&app, &room, &code, "Carl").await).await;
    late.expect_error("room_locked").await;
    assert_eq!(late.closed().await, Some(4409));

    // Mute request and removal.
    host.send(json!({"type": "mute", "member": b_id})).await;
    assert_eq!(b.expect("mute_request").await["type"], "mute_request");
    host.send(json!({"type": "remove", "member": b_id})).await;
    let gone = b.expect("left").await;
    assert_eq!(
        (gone["member"].as_str(), gone["reason"].as_str()),
        (Some(b_id.as_str()), Some("removed"))
    );
    assert_eq!(b.closed().await, Some(1000));
    assert_eq!(a.expect("left").await["reason"], "removed");

    // Unlock lets people in again; ending the room closes every socket and the link.
    host.send(json!({"type": "lock", "locked": false})).await;
    a.expect("locked").await;
    let mut d = Ws::open(&app, &room, &guest(&app, &room, &code, "Dora").await).await;
    d.expect("welcome").await;
    host.send(json!({"type": "end"})).await;
    for ws in [&mut a, &mut d, &mut host] {
        assert_eq!(ws.expect("ended").await["reason"], "host");
        assert_eq!(ws.closed().await, Some(1000));
    }
    let e = api_error(
        app.second_client()
            .post_json(
                &format!("/api/v1/meetings/{room}/join"),
                &json!({"code": code, "name": "Emil"}),
            )
            .await,
        409,
    )
    .await;
    assert_eq!(e["code"], "room_ended");
    let mut again = Ws::open(&app, &room, &host_grant).await;
    again.expect_error("room_ended").await;
    assert_eq!(again.closed().await, Some(4409));
    app.stop().await;
}

async fn signaling_stays_in_the_room_and_bad_frames_are_answered(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (r1, c1, h1) = meeting(&app, &app, "one@rooms.test", false).await;
    let other = app.second_client();
    let (r2, _, h2) = meeting(&app, &other, "two@rooms.test", false).await;
    let mut host1 = Ws::open(&app, &r1, &h1).await;
    host1.expect("welcome").await;
    let mut guest1 = Ws::open(&app, &r1, &guest(&app, &r1, &c1, "Gast").await).await;
    let guest1_id = guest1.expect("welcome").await["you"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut host2 = Ws::open(&app, &r2, &h2).await;
    let host2_id = host2.expect("welcome").await["you"]["id"].as_str().unwrap().to_string();

    // Offer, answer and ICE go to the named member of the same room, as sent.
    let offer = json!({"kind": "offer", "sdp": "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n"});
    host1
        .send(json!({"type": "signal", "to": guest1_id, "signal": offer}))
        .await;
    let s = guest1.expect("signal").await;
    assert_eq!(s["signal"], offer);
    assert_eq!(s["from"], "u1");
    let ice = json!({"kind": "ice", "candidate": {"candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host", "sdpMid": "0"}});
    guest1.send(json!({"type": "signal", "to": "u1", "signal": ice})).await;
    assert_eq!(host1.expect("signal").await["signal"], ice);
    // Not to a member of another room, nor to oneself.
    host1
        .send(json!({"type": "signal", "to": host2_id, "signal": offer}))
        .await;
    host1.expect_error("no_such_member").await;
    host1.send(json!({"type": "signal", "to": "u1", "signal": offer})).await;
    host1.expect_error("no_such_member").await;
    host2.quiet(300).await;

    // Bad frames get error frames; the connection stays usable.
    for (frame, code) in [
        ("not json".to_string(), "malformed"),
        (r#"{"text":"no type"}"#.to_string(), "malformed"),
        (r#"{"type":"dance"}"#.to_string(), "unknown_type"),
        (r#"{"type":"chat","text":"x","extra":1}"#.to_string(), "malformed"),
        (
            r#"{"type":"signal","to":"u2","signal":{"kind":"bogus"}}"#.to_string(),
            "malformed",
        ),
        (
            format!(r#"{{"type":"chat","text":"{}"}}"#, "x".repeat(100_000)),
            "frame_too_large",
        ),
    ] {
        host1.send_text(frame).await;
        host1.expect_error(code).await;
    }
    host1.ws.send(Message::Binary(vec![1, 2, 3].into())).await.unwrap();
    host1.expect_error("malformed").await;
    host1.alive().await;
    // Beyond the hard limit (256 KiB) the connection is dropped.
    host1.send_text("x".repeat(300_000)).await;
    host1.closed().await;
    guest1.alive().await;
    app.stop().await;
}

async fn grants_are_checked(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (room, code, grant) = meeting(&app, &app, "host@rooms.test", false).await;
    let other = app.second_client();
    let (room2, _, grant2) = meeting(&app, &other, "other@rooms.test", false).await;
    // No join first, a forged grant, another room's grant, garbage.
    let url = app
        .at(&format!("/api/v1/rooms/{room}/live"))
        .replace("http://", "ws://");
    let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let mut ws = Ws { ws };
    ws.send(json!({"type": "chat", "text": "hi"})).await;
    ws.expect_error("unauthorized").await;
    assert_eq!(ws.closed().await, Some(4401));
    let forged = TestApp::tamper(&grant);
    for bad in [forged.as_str(), grant2.as_str(), "", "a.b"] {
        let mut ws = Ws::open(&app, &room, bad).await;
        ws.expect_error("unauthorized").await;
        assert_eq!(ws.closed().await, Some(4401));
    }
    // An unknown room with a valid-looking grant for it is not there.
    let mut ws = Ws::open(&app, "nope", &grant).await;
    ws.expect_error("unauthorized").await;

    // The meeting API: only the host sees and ends their meeting; a wrong
    // invitation code is the same 404 as an unknown room; names are checked.
    let stranger = app.second_client();
    app.create_user("stranger@rooms.test", None, None).await;
    stranger.login("stranger@rooms.test").await;
    for path in [format!("/api/v1/meetings/{room}"), format!("/api/v1/meetings/{room2}")] {
        let who = if path.ends_with(&room) { &other } else { &*app };
        assert_eq!(api_error(who.get(&path).await, 404).await["code"], "not_found");
        assert_eq!(api_error(stranger.get(&path).await, 404).await["code"], "not_found");
    }
    for path in ["entry", "end"] {
        let r = stranger
            .post_json(&format!("/api/v1/meetings/{room}/{path}"), &json!({}))
            .await;
        api_error(r, 404).await;
    }
    let list: Value = stranger.get("/api/v1/meetings").await.json().await.unwrap();
    assert_eq!(list, json!([]));
    let anon = app.second_client();
    let join = |code: String, name: &'static str| {
        let anon = &anon;
        let room = room.clone();
        async move {
            anon.post_json(
                &format!("/api/v1/meetings/{room}/join"),
                &json!({"code": code, "name": name}),
            )
            .await
        }
    };
    api_error(join(TestApp::tamper(&code), "Eve").await, 404).await;
    let e = api_error(join(code.clone(), "   ").await, 422).await;
    assert_eq!(
        (e["field"].as_str(), e["code"].as_str()),
        (Some("name"), Some("required"))
    );
    let long = api_error(
        anon.post_json(
            &format!("/api/v1/meetings/{room}/join"),
            &json!({"code": code, "name": "x".repeat(61)}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(long["code"], "too_long");
    let e = api_error(
        app.post_json("/api/v1/meetings", &json!({"title": "t".repeat(101)}))
            .await,
        422,
    )
    .await;
    assert_eq!(e["field"], "title");
    // The stranger's session on an invitation link joins under their own name.
    let r: Value = stranger
        .post_json(&format!("/api/v1/meetings/{room}/join"), &json!({"code": code}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (r["role"].as_str(), r["name"].as_str()),
        (Some("participant"), Some("Test Nutzer"))
    );
    // Ending through the API: the link stops working, the host's list says so.
    assert_eq!(
        app.post_json(&format!("/api/v1/meetings/{room}/end"), &json!({}))
            .await
            .status(),
        204
    );
    api_error(join(code.clone(), "Eve").await, 409).await;
    let list: Value = app.get("/api/v1/meetings").await.json().await.unwrap();
    assert!(list[0]["ended_at"].is_i64());
    app.stop().await;
}

async fn reconnect_within_grace_and_gone_after(backend: Backend) {
    // The test server's grace period is 400 ms.
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (room, code, host_grant) = meeting(&app, &app, "host@rooms.test", false).await;
    let mut host = Ws::open(&app, &room, &host_grant).await;
    host.expect("welcome").await;
    let g = guest(&app, &room, &code, "Wackel").await;
    let mut first = Ws::open(&app, &room, &g).await;
    let me = first.expect("welcome").await["you"]["id"].clone();
    host.expect("joined").await;

    // The socket drops (no leave) and comes back at once: same member, no duplicate, nobody saw a leave.
    drop(first);
    let mut second = Ws::open(&app, &room, &g).await;
    let w = second.expect("welcome").await;
    assert_eq!(w["you"]["id"], me);
    assert_eq!(w["members"].as_array().unwrap().len(), 2);
    tokio::time::sleep(Duration::from_millis(700)).await;
    host.quiet(100).await;

    // A second tab with the same grant takes over; the first is told so.
    let mut third = Ws::open(&app, &room, &g).await;
    third.expect("welcome").await;
    assert_eq!(second.closed().await, Some(4000));
    second.quiet(50).await;

    // Gone longer than the grace period: the others see it leave.
    drop(third);
    let l = host.expect("left").await;
    assert_eq!((l["member"].clone(), l["reason"].as_str()), (me, Some("gone")));
    let w = {
        let mut again = Ws::open(&app, &room, &host_grant).await;
        again.expect("welcome").await
    };
    assert_eq!(w["members"].as_array().unwrap().len(), 1);
    app.stop().await;
}

db_test!(
    presence_chat_history_and_leave,
    waiting_room_lock_and_removal,
    signaling_stays_in_the_room_and_bad_frames_are_answered,
    grants_are_checked,
    reconnect_within_grace_and_gone_after,
);

/// The meeting pages: empty state, CSRF, a refused title next to its
/// field, the host's room page, the invitation page for guests, other
/// people's meetings as 404, ending from the list.
async fn meeting_pages(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    assert_eq!(app.get("/meetings").await.status(), 303, "signed out: to the login");
    app.create_user("host@rooms.test", None, None).await;
    app.login("host@rooms.test").await;
    let html = app.get("/meetings").await.text().await.unwrap();
    assert!(html.contains("Noch keine Besprechungen"), "empty state");

    let no_token = app
        .client
        .post(app.at("/meetings"))
        .form(&[("title", "X")])
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 403);
    let long = "t".repeat(101);
    let r = app.post_form("/meetings", &[("title", long.as_str())]).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"e-title\""), "the error is next to the title field");
    let none: Value = app.get("/api/v1/meetings").await.json().await.unwrap();
    assert_eq!(none, json!([]), "nothing was created");

    let r = app
        .post_form("/meetings", &[("title", "Jour fixe"), ("waiting_room", "true")])
        .await;
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    let id = to.strip_prefix("/meetings/").unwrap().to_string();
    let html = app.get(&to).await.text().await.unwrap();
    assert!(html.contains("data-role=\"host\"") && html.contains("data-grant=\""));
    assert!(html.contains("Jour fixe") && html.contains("id=\"room-config\""));
    let m: Value = app.get(&format!("/api/v1/meetings/{id}")).await.json().await.unwrap();
    assert_eq!(m["wait_for_host"], true);
    let link = m["invite_link"].as_str().unwrap().replace("http://kontor.test", "");
    let list = app.get("/meetings").await.text().await.unwrap();
    assert!(list.contains("Jour fixe") && list.contains("Warteraum"));

    // A guest on the invitation link types a name; the page carries no grant.
    let guest = app.second_client();
    let r = guest.get(&link).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"f-name\"") && !html.contains("data-grant"));
    let wrong = format!("/m/{id}?k={}", TestApp::tamper(link.split("k=").nth(1).unwrap()));
    assert_eq!(guest.get(&wrong).await.status(), 404);
    // Someone else's meeting page and ending it: 404, nothing changes.
    let stranger = app.second_client();
    app.create_user("stranger@rooms.test", None, None).await;
    stranger.login("stranger@rooms.test").await;
    assert_eq!(stranger.get(&to).await.status(), 404);
    assert_eq!(
        stranger.post_form(&format!("/meetings/{id}/end"), &[]).await.status(),
        404
    );
    assert_eq!(guest.get(&link).await.status(), 200, "still open");
    // The host ends it from the list; the link is over.
    let r = app.post_form(&format!("/meetings/{id}/end"), &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/meetings");
    assert!(app.get("/meetings").await.text().await.unwrap().contains("Beendet"));
    assert_eq!(guest.get(&link).await.status(), 409);
    app.stop().await;
}

db_test!(meeting_pages);

/// A room with a lifetime rule (as spontaneous sessions will have) ends
/// when nobody but the host came in time: the waiting host is told and
/// disconnected, and a room nobody opened refuses late joins.
async fn lifetime_rule_ends_rooms_nobody_joined(backend: Backend) {
    use domain::rooms::{MemberId, NewRoom, Role, RoomRules, RoomStore};
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let db = &app.services.db;
    let engine = app.services.rooms.engine();
    let room = |id: &str| NewRoom {
        public_id: id.into(),
        kind: "session".into(),
        title: "Spontan".into(),
        owner_id: None,
        rules: RoomRules {
            end_if_nobody_joins_ms: Some(300),
            ..RoomRules::default()
        },
        created_at: kernel::Timestamp(chrono::Utc::now().timestamp_millis()),
    };
    let alone = db.create_room(&room("alone")).await.unwrap();
    let unused = db.create_room(&room("unused")).await.unwrap();
    let used = db.create_room(&room("used")).await.unwrap();
    let grant = |r: &domain::rooms::RoomRecord, member: &str, role: Role| {
        let r = r.clone();
        let member = member.to_string();
        async move { engine.grant(&r, MemberId(member.clone()), &member, role).await.unwrap() }
    };
    let mut host = Ws::open(&app, "alone", &grant(&alone, "h", Role::Host).await).await;
    host.expect("welcome").await;
    let mut used_host = Ws::open(&app, "used", &grant(&used, "h", Role::Host).await).await;
    used_host.expect("welcome").await;
    let mut visitor = Ws::open(&app, "used", &grant(&used, "v", Role::Guest).await).await;
    visitor.expect("welcome").await;
    // The sweep runs every second: within two, the host alone is told.
    assert_eq!(host.expect("ended").await["reason"], "expired");
    assert_eq!(host.closed().await, Some(1000));
    let mut late = Ws::open(&app, "unused", &grant(&unused, "g", Role::Guest).await).await;
    late.expect_error("room_ended").await;
    used_host.alive().await;
    visitor.alive().await;
    app.stop().await;
}

db_test!(lifetime_rule_ends_rooms_nobody_joined);
