//! The session planner on both databases: permanent numbers reserved per
//! entry (unique under concurrent creation, released on delete), input
//! rules, invitations with personal links and calendar files checked by
//! Python's `icalendar` (request, update with a higher SEQUENCE,
//! cancellation), the host's reminder exactly once across restarts and
//! nodes, spontaneous sessions ending after 30 minutes on a manual clock,
//! lock, the trial and licence, the widget's cross-site join, and
//! isolation between customers.

use std::sync::Arc;
use std::time::Duration;

use domain::identity::User;
use domain::planner::{EntryInput, NewSession, PlannerStore, Reserved, SessionKind, SessionNumber};
use domain::rooms::{NewRoom, RoomRules};
use kernel::{ManualClock, Timestamp};
use serde_json::{json, Value};
use test_support::{db_test, Backend, TestDb};

use crate::helpers::{api_error, error_fields, TestApp, Visitor};
use crate::portal::{account, mail, no_more_mail};
use crate::rooms::Ws;

/// 2026-12-01 10:00 in Berlin, the start most entries use.
const START: &str = "2026-12-01T10:00";

fn entry_json(title: &str, start: &str, reminder: Option<i64>) -> Value {
    json!({"title": title, "start": start, "duration_min": 60, "reminder_min": reminder})
}

/// A customer (member of their own account) signed in on a client of their own.
async fn customer(app: &TestApp, email: &str, number: &str) -> (Visitor, kernel::AccountId, User) {
    let a = account(app, number, "10115").await;
    let user = app
        .create_user(email, None, Some((a, domain::identity::AccountRole::SuperAdmin)))
        .await;
    let v = app.second_client();
    v.login(email).await;
    (v, a, user)
}

async fn create(v: &Visitor, body: Value) -> Value {
    let r = v.post_json("/api/v1/planner", &body).await;
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}

async fn join(app: &TestApp, body: Value) -> reqwest::Response {
    app.second_client().post_json("/api/v1/sessions/join", &body).await
}

async fn socket(app: &TestApp, e: &Value) -> Ws {
    Ws::open(app, e["room"]["id"].as_str().unwrap(), e["grant"].as_str().unwrap()).await
}

async fn numbers_are_reserved_and_released(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (anna, _, user) = customer(&app, "anna@firma.test", "K-900").await;
    let first = create(&anna, entry_json("Schulung", START, Some(15))).await;
    let number = first["number"].as_str().unwrap().to_string();
    assert_eq!(number.len(), 9);
    assert_eq!(
        first["number_grouped"].as_str().unwrap(),
        format!("{}-{}-{}", &number[..3], &number[3..6], &number[6..])
    );
    assert_eq!(first["starts_at"], "2026-12-01T09:00:00Z", "10:00 in Berlin");
    assert_eq!(first["remind_at"], "2026-12-01T08:45:00Z");
    // Any date keeps a number: one in the past too.
    let past = create(&anna, entry_json("Altes Meeting", "2020-01-01T09:00", None)).await;
    assert_ne!(past["number"], first["number"]);

    // Every problem at once, next to its field; nothing stored.
    let r = anna
        .post_json(
            "/api/v1/planner",
            &json!({"title": "", "start": "bald", "time_zone": "Mars/Base", "duration_min": 0, "reminder_min": 7}),
        )
        .await;
    let e = api_error(r, 422).await;
    assert_eq!(
        error_fields(&e),
        ["title", "time_zone", "start", "duration_min", "reminder_min"]
    );
    let r = anna
        .post_json("/api/v1/planner", &json!({"title": "x", "start": START}))
        .await;
    assert_eq!(api_error(r, 422).await["field"], "duration_min", "missing field named");
    let list: Value = anna.get("/api/v1/planner").await.json().await.unwrap();
    assert_eq!(list["entries"].as_array().unwrap().len(), 2);
    assert_eq!(list["access"]["status"], "trial");
    // Sorted by start.
    assert_eq!(list["entries"][0]["title"], "Altes Meeting");

    // Many entries created at the same time all get different numbers.
    let input = EntryInput {
        title: "Parallel".into(),
        start: START.into(),
        duration_min: 30,
        ..Default::default()
    };
    let made = futures_util::future::join_all((0..20).map(|_| app.services.planner.create(&user, &input))).await;
    let mut numbers: Vec<u32> = made.into_iter().map(|s| s.unwrap().number.value()).collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 20);

    // The store refuses a number in use; it is free again after deletion.
    let taken = SessionNumber::parse(&number, "n").unwrap();
    let new = |n: SessionNumber| NewSession {
        number: n,
        kind: SessionKind::Spontaneous,
        owner: user.id,
        room: NewRoom {
            public_id: format!("r{}", n.value()),
            kind: "session".into(),
            title: "x".into(),
            owner_id: Some(user.id),
            rules: RoomRules::default(),
            created_at: Timestamp(0),
        },
        draft: None,
        remind_at: None,
        expires_at: None,
        uid: "u".into(),
    };
    let db = &app.services.db;
    assert!(matches!(
        db.reserve(&new(taken), Timestamp(0)).await.unwrap(),
        Reserved::NumberTaken
    ));
    // Joining by the number works while the entry exists (waiting for the host).
    let r = join(&app, json!({"number": first["number_grouped"], "name": "Gast"})).await;
    assert_eq!(r.status(), 200);
    let id = first["id"].as_i64().unwrap();
    assert_eq!(anna.delete(&format!("/api/v1/planner/{id}")).await.status(), 204);
    let r = join(&app, json!({"number": number, "name": "Gast"})).await;
    assert_eq!(api_error(r, 422).await["code"], "session_not_found");
    assert!(matches!(
        db.reserve(&new(taken), Timestamp(0)).await.unwrap(),
        Reserved::Created(_)
    ));
    app.stop().await;
}

/// A customer's entries are invisible and untouchable for another.
async fn customers_are_isolated(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (anna, _, _) = customer(&app, "anna@firma.test", "K-901").await;
    let (ben, _, _) = customer(&app, "ben@andere.test", "K-902").await;
    let e = create(&anna, entry_json("Vertraulich", START, Some(15))).await;
    let id = e["id"].as_i64().unwrap();
    let paths = [
        format!("/api/v1/planner/{id}"),
        format!("/api/v1/planner/{id}/calendar.ics"),
        format!("/planner/{id}"),
        format!("/planner/{id}/calendar.ics"),
        format!("/planner/{id}/room"),
    ];
    for p in &paths {
        assert_eq!(ben.get(p).await.status(), 404, "{p}");
    }
    assert_eq!(
        ben.put_json(&format!("/api/v1/planner/{id}"), &entry_json("Meins", START, None))
            .await
            .status(),
        404
    );
    assert_eq!(
        ben.post_json(
            &format!("/api/v1/planner/{id}/invitations"),
            &json!({"emails": "x@y.test"})
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        ben.post_json(&format!("/api/v1/planner/{id}/start"), &json!({}))
            .await
            .status(),
        404
    );
    assert_eq!(ben.delete(&format!("/api/v1/planner/{id}")).await.status(), 404);
    let theirs: Value = ben.get("/api/v1/planner").await.json().await.unwrap();
    assert!(theirs["entries"].as_array().unwrap().is_empty());
    let page = ben.get("/planner").await.text().await.unwrap();
    assert!(!page.contains("Vertraulich") && !page.contains(e["number_grouped"].as_str().unwrap()));
    // Joining by number makes Ben a participant, never the host.
    let r = ben
        .post_json("/api/v1/sessions/join", &json!({"number": e["number"]}))
        .await;
    let entry: Value = r.json().await.unwrap();
    assert_eq!(entry["role"], "participant");
    // Still Anna's, unchanged.
    let mine: Value = anna.get(&format!("/api/v1/planner/{id}")).await.json().await.unwrap();
    assert_eq!(mine["title"], "Vertraulich");
    // Signed out: nothing.
    assert_eq!(app.second_client().get("/api/v1/planner").await.status(), 401);
    app.stop().await;
}

/// Writes the calendar files and reads them with Python's icalendar.
fn parse_ics(files: &[Vec<u8>]) -> Vec<Value> {
    let dir = std::env::temp_dir().join(format!("kontor-ics-{}", domain::token::new_token()));
    std::fs::create_dir_all(&dir).unwrap();
    let paths: Vec<String> = files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let p = dir.join(format!("{i}.ics"));
            std::fs::write(&p, f).unwrap();
            p.to_string_lossy().into_owned()
        })
        .collect();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/ics_check.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .args(&paths)
        .output()
        .expect("python3 runs (CI installs the icalendar package)");
    assert!(
        out.status.success(),
        "icalendar refused a file: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Waits for `total` mails and returns the two whose subject starts with `prefix`.
async fn subjects(app: &TestApp, total: usize, prefix: &str) -> Vec<test_support::ReceivedMail> {
    mail(app, total).await;
    let found: Vec<_> = app
        .smtp
        .received()
        .into_iter()
        .filter(|m| m.subject().starts_with(prefix))
        .collect();
    assert_eq!(found.len(), 2, "two mails starting with {prefix:?}");
    found
}

fn ics_of(m: &test_support::ReceivedMail) -> Vec<u8> {
    let a = m.attachments();
    assert_eq!(a.len(), 1, "one calendar attachment");
    assert_eq!(a[0].1, "text/calendar");
    a[0].2.clone()
}

async fn invitations_updates_and_cancellation(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (anna, _, _) = customer(&app, "anna@firma.test", "K-903").await;
    let e = create(
        &anna,
        json!({"title": "Produktschulung", "start": START, "duration_min": 90, "description": "Bitte Headset bereithalten.", "phone_info": true, "reminder_min": 30}),
    )
    .await;
    let id = e["id"].as_i64().unwrap();
    let grouped = e["number_grouped"].as_str().unwrap().to_string();
    // Bad addresses are named, nothing is sent.
    let r = anna
        .post_json(
            &format!("/api/v1/planner/{id}/invitations"),
            &json!({"emails": "kunde@x.test, kein-at, auch@"}),
        )
        .await;
    let err = api_error(r, 422).await;
    assert_eq!(err["code"], "emails_invalid");
    assert!(err["message"].as_str().unwrap().contains("kein-at, auch@"));
    let r = anna
        .post_json(
            &format!("/api/v1/planner/{id}/invitations"),
            &json!({"emails": "kunde@x.test;\nkollegin@y.test, KUNDE@x.test"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["invited"], 2);
    // Phone information hands Anna her conference room first (its welcome mail).
    let invited = subjects(&app, 3, "Einladung:").await;
    let mut to: Vec<String> = invited.iter().flat_map(|m| m.to()).collect();
    to.sort();
    assert_eq!(to, ["kollegin@y.test", "kunde@x.test"]);
    for m in &invited {
        assert!(m.subject().starts_with("Einladung: Produktschulung"), "{}", m.subject());
        let text = m.text();
        assert!(text.contains(&format!("Sitzungsnummer: {grouped}")), "{text}");
        assert!(text.contains("Bitte Headset bereithalten."));
        assert!(text.contains("+49 30 5557 0100"), "phone information: {text}");
        assert!(m.header("Content-Type").unwrap().contains("multipart/mixed"));
    }
    // The copy text is the same text, with the general link.
    let detail: Value = anna.get(&format!("/api/v1/planner/{id}")).await.json().await.unwrap();
    let general = detail["invitation"].as_str().unwrap();
    let personal = invited[0].text().replace('\r', "");
    let link = invited[0].link_containing("?t=").expect("personal link");
    assert!(personal.contains(&general.replace(detail["join_link"].as_str().unwrap(), &link)));
    // The personal link joins without the number; the name is filled in.
    let token = link.split("?t=").nth(1).unwrap();
    let page = app
        .second_client()
        .get(&link.replace("http://kontor.test", ""))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&grouped) && page.contains("@"));
    let r = join(&app, json!({"token": token, "name": "Kundin"})).await;
    assert_eq!(r.status(), 200);

    // The download, then a new time: an update; then the cancellation.
    let r = anna.get(&format!("/api/v1/planner/{id}/calendar.ics")).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let download = r.bytes().await.unwrap().to_vec();
    let moved = json!({"title": "Produktschulung", "start": "2026-12-02T14:30", "duration_min": 90, "description": "Bitte Headset bereithalten.", "phone_info": true, "reminder_min": 30});
    assert_eq!(
        anna.put_json(&format!("/api/v1/planner/{id}"), &moved).await.status(),
        200
    );
    let updates = subjects(&app, 5, "Geändert:").await;
    assert!(updates[0].subject().starts_with("Geändert: Produktschulung"));
    // Only the reminder changed: no mail.
    let quiet = json!({"title": "Produktschulung", "start": "2026-12-02T14:30", "duration_min": 90, "description": "Bitte Headset bereithalten.", "phone_info": true, "reminder_min": 60});
    assert_eq!(
        anna.put_json(&format!("/api/v1/planner/{id}"), &quiet).await.status(),
        200
    );
    assert_eq!(anna.delete(&format!("/api/v1/planner/{id}")).await.status(), 204);
    let cancels = subjects(&app, 7, "Abgesagt: Produktschulung").await;
    no_more_mail(&app, 7).await;

    let files = [
        ics_of(&invited[0]),
        download,
        ics_of(&updates[0]),
        ics_of(&updates[1]),
        ics_of(&cancels[0]),
    ];
    let cal = parse_ics(&files);
    let uid = cal[0]["uid"].as_str().unwrap();
    assert!(
        cal.iter().all(|c| c["uid"] == uid && c["version"] == "2.0"),
        "one UID: {cal:?}"
    );
    assert_eq!(
        cal.iter().map(|c| c["method"].as_str().unwrap()).collect::<Vec<_>>(),
        ["REQUEST", "", "REQUEST", "REQUEST", "CANCEL"]
    );
    assert_eq!(
        cal.iter().map(|c| c["sequence"].as_i64().unwrap()).collect::<Vec<_>>(),
        [0, 0, 1, 1, 2]
    );
    for c in &cal[..2] {
        assert_eq!(c["tzid"], "Europe/Berlin");
        assert_eq!(c["start_local"], "2026-12-01T10:00");
        assert_eq!(c["start_utc"], "2026-12-01T09:00:00Z");
        assert_eq!(c["vtimezone_offset_at_start"], "1:00:00");
        assert_eq!(c["minutes"], 90);
        assert_eq!(c["alarms"], json!(["-PT30M"]));
        assert_eq!(c["status"], "CONFIRMED");
        assert_eq!(c["summary"], "Produktschulung");
        assert_eq!(c["organizer"], "mailto:anna@firma.test");
        assert_eq!(c["attendees"], json!(["mailto:kollegin@y.test", "mailto:kunde@x.test"]));
        assert!(c["description"]
            .as_str()
            .unwrap()
            .contains("Bitte Headset bereithalten."));
        assert!(c["location"].as_str().unwrap().contains("/s/"));
    }
    assert_eq!(cal[2]["start_utc"], "2026-12-02T13:30:00Z", "the new time");
    assert_eq!(cal[4]["status"], "CANCELLED");
    assert_eq!(cal[4]["alarms"], json!([]));
    app.stop().await;
}

/// Services on their own (no HTTP) for one database and a manual clock:
/// one "node" of the installation.
async fn node(url: &str, clock: Arc<ManualClock>) -> kontor::Services {
    let db = store::Db::open(url).await.unwrap();
    kontor::Services::new(db, "http://kontor.test", clock)
}

async fn reminder_mails(db: &store::Db) -> Vec<String> {
    use domain::outbox::OutboxStore;
    db.list(None, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.idempotency_key.starts_with("planner-reminder:"))
        .map(|m| m.subject)
        .collect()
}

async fn reminders_exactly_once(backend: Backend) {
    let Some(t) = TestDb::create(backend).await else {
        return;
    };
    let clock = Arc::new(ManualClock::new(Timestamp(1_796_000_000_000))); // 2026-11-29
    let a = node(&t.url, clock.clone()).await;
    let user = a
        .identity
        .create_user(domain::identity::UserInput {
            email: "anna@firma.test",
            password: Some(crate::helpers::PASSWORD),
            first_name: "Anna",
            last_name: "Muster",
            language: kernel::Lang::De,
            platform_role: None,
            membership: None,
        })
        .await
        .unwrap();
    let input = |title: &str, start: &str, reminder: i64| EntryInput {
        title: title.into(),
        start: start.into(),
        duration_min: 60,
        reminder_min: Some(reminder),
        ..Default::default()
    };
    let kept = a.planner.create(&user, &input("Bleibt", START, 15)).await.unwrap();
    let moved = a.planner.create(&user, &input("Verschoben", START, 15)).await.unwrap();
    let deleted = a.planner.create(&user, &input("Gelöscht", START, 15)).await.unwrap();
    let due = kept.remind_at.unwrap();
    assert_eq!(due.to_rfc3339(), "2026-12-01T08:45:00Z");

    // Before the due time nothing goes out.
    clock.set(due.plus_secs(-1));
    assert_eq!(a.planner.tick().await.unwrap().reminders, 0);
    // One entry moves to the afternoon, one is deleted.
    a.planner
        .update(&user, moved.id, &input("Verschoben", "2026-12-01T15:00", 15))
        .await
        .unwrap();
    a.planner.delete(&user, deleted.id).await.unwrap();

    // Two nodes reach the due time at once: one reminder.
    let b = node(&t.url, clock.clone()).await;
    clock.set(due);
    let (x, y) = tokio::join!(a.planner.tick(), b.planner.tick());
    assert_eq!(x.unwrap().reminders + y.unwrap().reminders, 1);
    assert_eq!(a.planner.tick().await.unwrap().reminders, 0, "not twice");
    // A restart (a fresh node on the same database) sends nothing again.
    a.db.close().await;
    let c = node(&t.url, clock.clone()).await;
    clock.advance_secs(60);
    assert_eq!(c.planner.tick().await.unwrap().reminders, 0);
    assert_eq!(
        reminder_mails(&c.db).await,
        ["Erinnerung: Bleibt beginnt 01.12.2026 10:00 (Europe/Berlin)"]
    );
    // The moved entry at its new time (14:45 local = 13:45 UTC), once.
    clock.set(Timestamp::from_datetime(
        chrono::DateTime::parse_from_rfc3339("2026-12-01T13:45:00Z")
            .unwrap()
            .into(),
    ));
    assert_eq!(c.planner.tick().await.unwrap().reminders, 1);
    assert_eq!(b.planner.tick().await.unwrap().reminders, 0);
    let mails = reminder_mails(&c.db).await;
    assert_eq!(mails.len(), 2);
    assert!(
        mails.iter().any(|m| m.contains("Verschoben") && m.contains("15:00")),
        "{mails:?}"
    );
    assert!(!mails.iter().any(|m| m.contains("Gelöscht")));
    b.db.close().await;
    c.db.close().await;
}

/// A spontaneous session nobody joins ends after 30 minutes (on a manual
/// clock) and its number stops working; one with a participant goes on.
/// The trial ends after 14 days; a licence opens the planner again.
async fn spontaneous_sessions_expire_and_trial_ends(backend: Backend) {
    let clock = Arc::new(ManualClock::new(Timestamp(chrono::Utc::now().timestamp_millis())));
    let Some(app) = TestApp::spawn_clocked(backend, clock.clone(), |_| {}).await else {
        return;
    };
    let (anna, account_id, _) = customer(&app, "anna@firma.test", "K-904").await;
    let start = |v: &Visitor| {
        let v = v.client.clone();
        let url = format!("{}/api/v1/planner/spontaneous", app.url);
        async move {
            let r = v.post(url).json(&json!({})).send().await.unwrap();
            assert_eq!(r.status(), 201);
            r.json::<Value>().await.unwrap()
        }
    };
    let lonely = start(&anna).await;
    let busy = start(&anna).await;
    assert_ne!(lonely["session"]["number"], busy["session"]["number"]);
    assert_eq!(lonely["session"]["kind"], "spontaneous");
    let mut host = socket(&app, &lonely["entry"]).await;
    host.expect("welcome").await;
    let mut busy_host = socket(&app, &busy["entry"]).await;
    busy_host.expect("welcome").await;
    let guest: Value = join(&app, json!({"number": busy["session"]["number"], "name": "Kundin"}))
        .await
        .json()
        .await
        .unwrap();
    let mut guest_ws = socket(&app, &guest).await;
    guest_ws.expect("welcome").await;
    let list: Value = anna.get("/api/v1/planner").await.json().await.unwrap();
    assert_eq!(list["running"].as_array().unwrap().len(), 2);

    // 29 minutes: still there. 30: the lonely one ends, its number is dead.
    clock.advance_secs(29 * 60);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = join(&app, json!({"number": lonely["session"]["number"], "name": "Spät"})).await;
    assert_eq!(r.status(), 200, "still joinable before 30 minutes");
    clock.advance_secs(60);
    assert_eq!(host.expect("ended").await["reason"], "expired");
    let r = join(&app, json!({"number": lonely["session"]["number"], "name": "Spät"})).await;
    assert_eq!(api_error(r, 422).await["code"], "session_not_found");
    let id = lonely["session"]["id"].as_i64().unwrap();
    // The engine's sweep told the host; the scheduler (every 50 ms here)
    // then releases the number: wait for that, within 5 s.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while anna.get(&format!("/api/v1/planner/{id}")).await.status() != 404 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "number released by the scheduler"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        anna.post_json(&format!("/api/v1/planner/{id}/start"), &json!({}))
            .await
            .status(),
        404
    );
    // The one with a participant goes on, and its number still works.
    busy_host.alive().await;
    guest_ws.alive().await;
    let r = join(&app, json!({"number": busy["session"]["number"], "name": "Zweite"})).await;
    assert_eq!(r.status(), 200);
    let list: Value = anna.get("/api/v1/planner").await.json().await.unwrap();
    assert_eq!(list["running"].as_array().unwrap().len(), 1);

    // Day 15: the trial is over — an upsell, entries kept, spontaneous still fine.
    create(&anna, entry_json("Vor Ablauf", START, None)).await;
    clock.advance_secs(15 * 86_400);
    anna.login("anna@firma.test").await; // the old session expired meanwhile
    let list: Value = anna.get("/api/v1/planner").await.json().await.unwrap();
    assert_eq!(list["access"]["status"], "expired");
    assert_eq!(list["entries"].as_array().unwrap().len(), 1, "entries are kept");
    let r = anna.post_json("/api/v1/planner", &entry_json("Neu", START, None)).await;
    assert_eq!(api_error(r, 409).await["code"], "planner_trial_expired");
    let page = anna.get("/planner").await.text().await.unwrap();
    assert!(page.contains("data-upsell") && page.contains("Sitzungsplaner freischalten"));
    start(&anna).await;
    // The operator books the planner for Anna's company.
    app.login_operator().await;
    let r = app
        .put_json(
            &format!("/api/v1/accounts/{}/planner-licence", account_id.0),
            &json!({"licensed": true}),
        )
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(
        anna.put_json(
            &format!("/api/v1/accounts/{}/planner-licence", account_id.0),
            &json!({"licensed": true})
        )
        .await
        .status(),
        403,
        "customers cannot book it themselves"
    );
    let list: Value = anna.get("/api/v1/planner").await.json().await.unwrap();
    assert_eq!(list["access"]["status"], "licensed");
    create(&anna, entry_json("Mit Lizenz", START, None)).await;
    // The operator's account page shows the booking and ends it.
    let account_page = format!("/operator/accounts/{}", account_id.0);
    let page = app.get(&account_page).await.text().await.unwrap();
    assert!(page.contains("data-planner-licence") && page.contains("Gebucht"));
    let r = app
        .post_form(&format!("{account_page}/planner-licence"), &[("licensed", "false")])
        .await;
    assert_eq!(r.status(), 303);
    let list: Value = anna.get("/api/v1/planner").await.json().await.unwrap();
    assert_eq!(list["access"]["status"], "expired");
    assert_eq!(list["entries"].as_array().unwrap().len(), 2, "entries are kept");
    app.stop().await;
}

/// Lock: nobody else joins, by number or personal link; unlock opens again.
/// The widget's cross-site call works (CORS) and never uses cookies.
async fn lock_and_widget_join(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (anna, _, _) = customer(&app, "anna@firma.test", "K-905").await;
    let e = create(&anna, entry_json("Fernwartung", START, None)).await;
    let id = e["id"].as_i64().unwrap();
    let number = e["number"].as_str().unwrap();
    let r = anna
        .post_json(
            &format!("/api/v1/planner/{id}/invitations"),
            &json!({"emails": "kunde@x.test"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let link = mail(&app, 1).await.link_containing("?t=").unwrap();
    let token = link.split("?t=").nth(1).unwrap().to_string();
    let entry: Value = anna
        .post_json(&format!("/api/v1/planner/{id}/start"), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(entry["role"], "host");
    let mut host = socket(&app, &entry).await;
    host.expect("welcome").await;

    // The widget posts from another site: CORS, and a guest even with cookies.
    let widget = |body: Value| {
        let c = anna.client.clone();
        let url = format!("{}/api/v1/sessions/join", app.url);
        async move {
            c.post(url)
                .header("origin", "https://kunde.example")
                .header("sec-fetch-site", "cross-site")
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let pre = app
        .client
        .request(reqwest::Method::OPTIONS, app.at("/api/v1/sessions/join"))
        .header("origin", "https://kunde.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(pre.status().is_success(), "preflight: {}", pre.status());
    assert_eq!(pre.headers()["access-control-allow-origin"], "*");
    let r = widget(json!({"number": number, "name": "Kunde"})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    let customer_entry: Value = r.json().await.unwrap();
    assert_eq!(customer_entry["role"], "guest", "cookies are not used cross-site");
    let mut customer_ws = socket(&app, &customer_entry).await;
    customer_ws.expect("welcome").await;
    // Other cross-site writes stay refused.
    let r = anna
        .client
        .post(app.at("/api/v1/planner"))
        .header("sec-fetch-site", "cross-site")
        .json(&entry_json("x", START, None))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // A ticket handed out before the lock is refused at the door after it.
    let early: Value = join(&app, json!({"number": number, "name": "Früh"}))
        .await
        .json()
        .await
        .unwrap();
    host.send(json!({"type": "lock", "locked": true})).await;
    host.expect("locked").await;
    for body in [
        json!({"number": number, "name": "Dritter"}),
        json!({"token": token, "name": "Kundin"}),
    ] {
        let r = join(&app, body).await;
        assert_eq!(api_error(r, 409).await["code"], "session_locked");
    }
    let r = widget(json!({"number": number, "name": "Dritter"})).await;
    assert_eq!(api_error(r, 409).await["code"], "session_locked");
    let mut late = socket(&app, &early).await;
    late.expect_error("room_locked").await;
    // The host still gets in; unlocking lets people in again.
    let again = anna.post_json(&format!("/api/v1/planner/{id}/start"), &json!({})).await;
    assert_eq!(again.status(), 200);
    host.send(json!({"type": "lock", "locked": false})).await;
    host.expect("locked").await;
    let r = join(&app, json!({"token": token, "name": "Kundin"})).await;
    assert_eq!(r.status(), 200);
    // Unknown numbers are throttled per client.
    let guesser = app.second_client();
    let mut last = 0;
    for n in 0..11 {
        let r = guesser
            .post_json(
                "/api/v1/sessions/join",
                &json!({"number": format!("9{:08}", n), "name": "x"}),
            )
            .await;
        last = r.status().as_u16();
    }
    assert_eq!(last, 429);
    app.stop().await;
}

db_test!(numbers_are_reserved_and_released);
db_test!(customers_are_isolated);
db_test!(invitations_updates_and_cancellation);
db_test!(reminders_exactly_once);
db_test!(spontaneous_sessions_expire_and_trial_ends);
db_test!(lock_and_widget_join);
