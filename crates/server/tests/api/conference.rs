//! The conference center on both databases: numbers handed out at
//! activation with the welcome e-mail, unique and never reused (tombstones
//! outlive deleted users), the PIN rules, the role by PIN, the waiting
//! queue released by the moderator (participants who came before and
//! after), the moderator-leave rule, lock, brute-force throttling with the
//! owner's alert, and isolation between rooms.

use domain::conference::{ConferenceStore, NewConference, Provisioned, RoomNumber};
use serde_json::{json, Value};
use test_support::{db_test, Backend};

use crate::helpers::{api_error, error_fields, TestApp, Visitor, PASSWORD};
use crate::portal::{account, mail, no_more_mail, token};
use crate::rooms::Ws;

/// The value after `label` on its line of a mail's text.
fn line_value(text: &str, label: &str) -> String {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} in {text}"))
        .trim()
        .to_string()
}

/// A customer signed in on a client of their own, with their room's PINs set.
async fn owner(app: &TestApp, email: &str, pins: (&str, &str)) -> (Visitor, String) {
    app.create_user(email, None, None).await;
    let v = app.second_client();
    v.login(email).await;
    let r = v
        .put_json(
            "/api/v1/conference/pins",
            &json!({"moderator_pin": pins.0, "participant_pin": pins.1}),
        )
        .await;
    assert_eq!(r.status(), 204);
    let c: Value = v.get("/api/v1/conference").await.json().await.unwrap();
    (v, c["number"].as_str().unwrap().to_string())
}

/// Joins by number and PIN from a fresh client (no session): the entry.
async fn join(app: &TestApp, number: &str, pin: &str, name: &str) -> reqwest::Response {
    app.second_client()
        .post_json(
            "/api/v1/conference/join",
            &json!({"number": number, "pin": pin, "name": name}),
        )
        .await
}

async fn entry(app: &TestApp, number: &str, pin: &str, name: &str) -> Value {
    let r = join(app, number, pin, name).await;
    assert_eq!(r.status(), 200, "{number}/{pin}");
    r.json().await.unwrap()
}

async fn socket(app: &TestApp, e: &Value) -> Ws {
    Ws::open(app, e["room"]["id"].as_str().unwrap(), e["grant"].as_str().unwrap()).await
}

async fn numbers_are_permanent_and_never_reused(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    // Activation hands out the room with the welcome e-mail (number + access PIN).
    let a = account(&app, "K-800", "10115").await;
    app.create_user(
        "chefin@firma.test",
        None,
        Some((a, domain::identity::AccountRole::SuperAdmin)),
    )
    .await;
    app.login("chefin@firma.test").await;
    let invite = json!({"email": "nina@firma.test", "first_name": "Nina", "last_name": "Neu", "role": "member"});
    assert_eq!(
        app.post_json(&format!("/api/v1/accounts/{a}/users"), &invite)
            .await
            .status(),
        201
    );
    let welcome = token(&mail(&app, 1).await, "/welcome/");
    let r = app
        .post_json(
            "/api/v1/activation",
            &json!({"token": welcome, "accept_terms": true, "accept_privacy": true, "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let m = mail(&app, 2).await;
    assert!(m.subject().contains("Konferenzraum"), "{}", m.subject());
    assert_eq!(m.to(), ["nina@firma.test"]);
    let text = m.text();
    let number = line_value(&text, "Konferenzraum-Nummer:").replace(' ', "");
    let access = line_value(&text, "Zugangs-PIN:");
    assert_eq!(number.len(), 8);
    assert!(!number.starts_with('0'));
    RoomNumber::parse(&number, "n").expect("a valid number with check digit");

    // Nina signs in: the same number, PINs not set yet; her access PIN
    // works as moderator PIN until then, participants cannot enter.
    let nina = app.second_client();
    nina.login("nina@firma.test").await;
    let c: Value = nina.get("/api/v1/conference").await.json().await.unwrap();
    assert_eq!(c["number"], number.as_str());
    assert_eq!(c["pins_set"], false);
    assert!(c["dial_in"]["room_number"].is_string());
    assert_eq!(entry(&app, &number, &access, "Nina").await["role"], "host");
    assert_eq!(
        api_error(nina.post_json("/api/v1/conference/entry", &json!({})).await, 409).await["code"],
        "pins_not_set"
    );
    no_more_mail(&app, 2).await;

    // Many customers: all numbers distinct, one each (a second visit changes nothing).
    let mut seen = std::collections::HashSet::from([number.clone()]);
    for i in 0..12 {
        let (v, n) = owner(&app, &format!("kunde{i}@firma.test"), ("4711", "9051")).await;
        let again: Value = v.get("/api/v1/conference").await.json().await.unwrap();
        assert_eq!(again["number"], n.as_str(), "never changes");
        assert!(seen.insert(n), "unique");
    }

    // Deleting a user leaves a tombstone: the number is never handed out again.
    let db = &app.services.db;
    let n = RoomNumber::parse(&number, "n").unwrap();
    let holder = ConferenceStore::number_holder(db, n).await.unwrap();
    let nina_id = holder.flatten().expect("in use");
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(nina_id.0)
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(
        ConferenceStore::number_holder(db, n).await.unwrap(),
        Some(None),
        "tombstone"
    );
    assert!(ConferenceStore::conference_by_number(db, n).await.unwrap().is_none());
    api_error(join(&app, &number, &access, "X").await, 422).await;
    let newcomer = app.create_user("neu@firma.test", None, None).await;
    let room = |id: &str| domain::rooms::NewRoom {
        public_id: id.into(),
        kind: "conference".into(),
        title: "Test".into(),
        owner_id: Some(newcomer.id),
        rules: Default::default(),
        created_at: kernel::Timestamp(0),
    };
    let reuse = NewConference {
        number: n,
        owner: newcomer.id,
        room: room("reuse-attempt-01"),
        access_pin_hash: "x".into(),
    };
    assert!(matches!(
        ConferenceStore::provision(db, &reuse, &[], kernel::Timestamp(0))
            .await
            .unwrap(),
        Provisioned::NumberTaken
    ));
    // Nor a number in use by someone else.
    let theirs = RoomNumber::parse(seen.iter().find(|s| **s != number).unwrap(), "n").unwrap();
    let taken = NewConference {
        number: theirs,
        ..reuse.clone()
    };
    assert!(matches!(
        ConferenceStore::provision(db, &taken, &[], kernel::Timestamp(0))
            .await
            .unwrap(),
        Provisioned::NumberTaken
    ));
    // The service finds the newcomer a fresh number.
    let v = app.second_client();
    v.login("neu@firma.test").await;
    let c: Value = v.get("/api/v1/conference").await.json().await.unwrap();
    assert!(!seen.contains(c["number"].as_str().unwrap()));
    // Platform staff have no conference room.
    app.login_operator().await;
    assert_eq!(
        api_error(app.get("/api/v1/conference").await, 403).await["code"],
        "forbidden"
    );
    app.stop().await;
}

async fn pin_rules_and_role_by_pin(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (v, number) = owner(&app, "anna@firma.test", ("4711", "9051")).await;
    let set = |m: &str, p: &str| {
        v.put_json_owned(
            "/api/v1/conference/pins",
            json!({"moderator_pin": m, "participant_pin": p}),
        )
    };
    for (m, p, field, code) in [
        ("1234", "9051", "moderator_pin", "pin_trivial"),
        ("0000", "9051", "moderator_pin", "pin_trivial"),
        ("4711", "4711", "participant_pin", "pin_same"),
        ("47a1", "9051", "moderator_pin", "pin_digits_only"),
        ("471", "9051", "moderator_pin", "pin_length"),
        ("4711", "123456789", "participant_pin", "pin_length"),
        ("", "9051", "moderator_pin", "required"),
    ] {
        let e = api_error(set(m, p).await, 422).await;
        assert_eq!(
            (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()),
            (field, code),
            "{m}/{p}"
        );
    }
    // Both wrong at once: both named.
    let e = api_error(set("1111", "12").await, 422).await;
    let fields = error_fields(&e);
    assert_eq!(fields, ["moderator_pin", "participant_pin"]);
    // Nothing changed: the old PINs still decide the role.
    assert_eq!(entry(&app, &number, "4711", "Anna").await["role"], "host");
    assert_eq!(entry(&app, &number, "9051", "Gast").await["role"], "participant");
    // Stored hashed: no PIN in the database.
    let (m, p): (String, String) =
        sqlx::query_as("SELECT moderator_pin_hash, participant_pin_hash FROM conference_rooms")
            .fetch_one(app.services.db.pool())
            .await
            .unwrap();
    assert!(m.starts_with("$argon2id$") && p.starts_with("$argon2id$") && !m.contains("4711") && !p.contains("9051"));

    // Changed PINs: the old ones stop working at once.
    assert_eq!(set("80935", "27182818").await.status(), 204);
    assert_eq!(entry(&app, &number, "80935", "Anna").await["role"], "host");
    assert_eq!(
        entry(&app, &number, "2718 2818".replace(' ', "").as_str(), "Gast").await["role"],
        "participant"
    );
    for old in ["4711", "9051"] {
        assert_eq!(
            api_error(join(&app, &number, old, "X").await, 422).await["code"],
            "number_or_pin_wrong"
        );
    }
    // Typed with spaces, the number still works; a signed-in joiner keeps their name.
    let grouped = format!("{} {}", &number[..4], &number[4..]);
    let signed_in = app.second_client();
    app.create_user("gast@firma.test", None, None).await;
    signed_in.login("gast@firma.test").await;
    let r = signed_in
        .post_json(
            "/api/v1/conference/join",
            &json!({"number": grouped, "pin": "27182818"}),
        )
        .await;
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["role"], "participant");
    assert_eq!(e["name"], "Test Nutzer");
    // Bad input: every problem named, nothing counted as a wrong PIN.
    let e = api_error(join(&app, "1234", "", "").await, 422).await;
    let fields = error_fields(&e);
    assert_eq!(fields, ["number", "pin", "name"]);
    // A mistyped digit is caught by the check digit.
    let last = number.chars().last().unwrap().to_digit(10).unwrap();
    let typo = format!("{}{}", &number[..7], (last + 1) % 10);
    assert_eq!(
        api_error(join(&app, &typo, "80935", "X").await, 422).await["code"],
        "room_number_typo"
    );
    // The moderator-leave choices.
    let r = v
        .put_json("/api/v1/conference/settings", &json!({"host_leave_secs": 42}))
        .await;
    assert_eq!(api_error(r, 422).await["code"], "invalid_choice");
    app.stop().await;
}

async fn queue_is_released_by_the_moderator(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (_v, number) = owner(&app, "anna@firma.test", ("4711", "9051")).await;
    // Two participants arrive before the moderator: they wait and see how many wait.
    let mut p1 = socket(&app, &entry(&app, &number, "9051", "Paul").await).await;
    assert_eq!(p1.expect("waiting").await["waiting"], 1);
    let mut p2 = socket(&app, &entry(&app, &number, "9051", "Petra").await).await;
    assert_eq!(p2.expect("waiting").await["waiting"], 2);
    assert_eq!(p1.expect("waiting").await["waiting"], 2);
    p1.send(json!({"type": "chat", "text": "hallo?"})).await;
    p1.expect_error("waiting").await;
    // The moderator enters by PIN: everyone enters together.
    let mut host = socket(&app, &entry(&app, &number, "4711", "Anna").await).await;
    let w = host.expect("welcome").await;
    assert_eq!(w["you"]["role"], "host");
    let w1 = p1.expect("welcome").await;
    let w2 = p2.expect("welcome").await;
    assert_eq!(w2["members"].as_array().unwrap().len(), 3, "{w2}");
    assert!(w1["members"].as_array().unwrap().iter().any(|m| m["role"] == "host"));
    // Who comes after the moderator enters at once.
    let mut p3 = socket(&app, &entry(&app, &number, "9051", "Paula").await).await;
    let w3 = p3.expect("welcome").await;
    assert_eq!(w3["members"].as_array().unwrap().len(), 4);
    // Controls: mute and remove reach the participant.
    let p3_id = w3["you"]["id"].clone();
    host.send(json!({"type": "mute", "member": p3_id})).await;
    p3.expect("mute_request").await;
    host.send(json!({"type": "remove", "member": p3_id})).await;
    assert_eq!(p3.closed().await, Some(1000));
    // Lock: nobody new, not even with the right PIN; the join says so.
    host.send(json!({"type": "lock", "locked": true})).await;
    p1.expect("locked").await;
    assert_eq!(
        api_error(join(&app, &number, "9051", "Zu spät").await, 409).await["code"],
        "conference_locked"
    );
    assert_eq!(
        entry(&app, &number, "4711", "Anna 2").await["role"],
        "host",
        "the moderator may"
    );
    // The owner's center sees who is in.
    let c: Value = _v.get("/api/v1/conference").await.json().await.unwrap();
    assert_eq!(c["live"], json!({"present": 3, "waiting": 0, "locked": true}));
    // End for everyone; the room stays the owner's and starts afresh, unlocked.
    host.send(json!({"type": "end"})).await;
    assert_eq!(p1.expect("ended").await["reason"], "host");
    assert_eq!(p2.closed().await, Some(1000));
    let mut again = socket(&app, &entry(&app, &number, "9051", "Paul").await).await;
    assert_eq!(
        again.expect("waiting").await["waiting"],
        1,
        "next conference: unlocked, waiting again"
    );
    app.stop().await;
}

async fn moderator_leave_rule(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (v, number) = owner(&app, "anna@firma.test", ("4711", "9051")).await;
    let c: Value = v.get("/api/v1/conference").await.json().await.unwrap();
    assert_eq!(c["host_leave_secs"], 300, "default: five minutes");
    // The moderator leaves and comes back within the grace period: the
    // countdown is shown and called off; the conference goes on.
    let mut host = socket(&app, &entry(&app, &number, "4711", "Anna").await).await;
    host.expect("welcome").await;
    let mut p = socket(&app, &entry(&app, &number, "9051", "Paul").await).await;
    p.expect("welcome").await;
    host.send(json!({"type": "leave"})).await;
    let left = p.expect("host_left").await;
    let ends_in = left["ends_at"].as_i64().unwrap() - kernel::Clock::now(&kernel::SystemClock).millis();
    assert!((290_000..=300_000).contains(&ends_in), "{ends_in}");
    // Meanwhile newcomers wait.
    let mut late = socket(&app, &entry(&app, &number, "9051", "Lena").await).await;
    late.expect("waiting").await;
    let mut host = socket(&app, &entry(&app, &number, "4711", "Anna").await).await;
    host.expect("welcome").await;
    p.expect("host_back").await;
    late.expect("welcome").await;
    p.alive().await;
    host.send(json!({"type": "end"})).await;
    p.expect("ended").await;

    // Rule "at once": when the moderator leaves, the conference ends for all.
    let r = v
        .put_json("/api/v1/conference/settings", &json!({"host_leave_secs": 0}))
        .await;
    assert_eq!(r.status(), 204);
    let mut host = socket(&app, &entry(&app, &number, "4711", "Anna").await).await;
    host.expect("welcome").await;
    let mut p = socket(&app, &entry(&app, &number, "9051", "Paul").await).await;
    p.expect("welcome").await;
    let mut q = socket(&app, &entry(&app, &number, "9051", "Quirin").await).await;
    q.expect("welcome").await;
    host.send(json!({"type": "leave"})).await;
    assert_eq!(p.expect("ended").await["reason"], "host_left");
    assert_eq!(q.expect("ended").await["reason"], "host_left");
    assert_eq!(p.closed().await, Some(1000));
    // The room itself is not gone: the next conference starts as before.
    let mut next = socket(&app, &entry(&app, &number, "9051", "Paul").await).await;
    next.expect("waiting").await;
    app.stop().await;
}

async fn wrong_pins_are_throttled_and_reported(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (_v, number) = owner(&app, "anna@firma.test", ("4711", "9051")).await;
    // An unknown number and a wrong PIN look the same.
    // A valid number (check digit right) that nobody has.
    let unknown = (1_000_000u32..)
        .flat_map(|p| (0..10).map(move |d| format!("{p}{d}")))
        .find(|s| RoomNumber::parse(s, "n").is_ok() && *s != number)
        .unwrap();
    let a = api_error(join(&app, &unknown, "4711", "X").await, 422).await;
    let b = api_error(join(&app, &number, "1111", "X").await, 422).await;
    assert_eq!(a, b, "same answer for an unknown room and a wrong PIN");
    // Five wrong tries from one client (one above), then a delay that grows.
    for _ in 0..4 {
        api_error(join(&app, &number, "1111", "X").await, 422).await;
    }
    let r = join(&app, &number, "9051", "X").await;
    assert_eq!(r.status(), 429, "even the right PIN waits");
    let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=5).contains(&retry), "{retry}");
    assert_eq!(api_error(r, 429).await["code"], "rate_limited");
    // The owner is alerted once at 20 wrong tries for the room (the
    // counter ignores where they came from).
    let db = &app.services.db;
    let key = format!("pinroom:{number}");
    let now = kernel::Clock::now(&kernel::SystemClock);
    for _ in 0..14 {
        domain::throttle::ThrottleStore::record_failure(db, &key, now)
            .await
            .unwrap();
    }
    no_more_mail(&app, 1).await; // only the welcome e-mail so far
    sqlx::query("DELETE FROM throttle WHERE key LIKE 'pin:%'")
        .execute(db.pool())
        .await
        .unwrap();
    api_error(join(&app, &number, "1111", "X").await, 422).await; // 20th
    let alert = mail(&app, 2).await;
    assert_eq!(alert.to(), ["anna@firma.test"]);
    assert!(alert.subject().contains("falsche PIN"), "{}", alert.subject());
    assert!(alert.text().contains("20"));
    api_error(join(&app, &number, "1111", "X").await, 422).await; // 21st: no second alert
    no_more_mail(&app, 2).await;
    app.stop().await;
}

async fn rooms_are_isolated(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (anna, a_number) = owner(&app, "anna@firma.test", ("4711", "9051")).await;
    let (ben, b_number) = owner(&app, "ben@firma.test", ("80935", "27182818")).await;
    // Anna's PINs open nothing of Ben's, and the reverse.
    for pin in ["4711", "9051"] {
        assert_eq!(
            api_error(join(&app, &b_number, pin, "X").await, 422).await["code"],
            "number_or_pin_wrong"
        );
    }
    assert_eq!(
        api_error(join(&app, &a_number, "80935", "X").await, 422).await["code"],
        "number_or_pin_wrong"
    );
    // A grant for Anna's room does not open Ben's socket.
    let e = entry(&app, &a_number, "9051", "Paul").await;
    let b: Value = ben.get("/api/v1/conference").await.json().await.unwrap();
    let mut ws = Ws::open(&app, b["room"].as_str().unwrap(), e["grant"].as_str().unwrap()).await;
    ws.expect_error("unauthorized").await;
    assert_eq!(ws.closed().await, Some(4401));
    // Each sees and changes only their own room.
    let a: Value = anna.get("/api/v1/conference").await.json().await.unwrap();
    assert_ne!(a["number"], b["number"]);
    assert_eq!(
        anna.put_json(
            "/api/v1/conference/pins",
            &json!({"moderator_pin": "5802", "participant_pin": "6913"})
        )
        .await
        .status(),
        204
    );
    assert_eq!(
        entry(&app, &b_number, "80935", "Ben").await["role"],
        "host",
        "Ben's PINs unchanged"
    );
    assert_eq!(entry(&app, &a_number, "5802", "Anna").await["role"], "host");
    let owner_entry: Value = ben
        .post_json("/api/v1/conference/entry", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(owner_entry["room"]["id"], b["room"]);
    // Signed out: nothing of the center.
    assert_eq!(app.second_client().get("/api/v1/conference").await.status(), 401);
    // The pages: a signed-in owner sees only their own number.
    let html = anna.get("/conference").await.text().await.unwrap();
    assert!(html.contains(&a["number_grouped"].as_str().unwrap().to_string()));
    assert!(!html.contains(b["number_grouped"].as_str().unwrap()));
    app.stop().await;
}

db_test!(numbers_are_permanent_and_never_reused);
db_test!(pin_rules_and_role_by_pin);
db_test!(queue_is_released_by_the_moderator);
db_test!(moderator_leave_rule);
db_test!(wrong_pins_are_throttled_and_reported);
db_test!(rooms_are_isolated);
