//! The agent side over HTTP and WebSockets: calls from a telephone system
//! (API token) to delivered e-mail and SMS for transfer, VIP transfer, the
//! deputy chain, tariffs without transfer and VIP notes; claiming races;
//! corrections; statistics across a month boundary in the account's time
//! zone; live pushes; tenant isolation and what an API token may do.

use std::time::Duration;

use domain::calls::{CallStore, NewCall, NewNote, Outcome};
use domain::identity::{AccountRole, PlatformRole};
use futures_util::StreamExt;
use kernel::{AccountId, Timestamp, UserId};
use reqwest::Response;
use serde_json::{json, Value};
use test_support::{db_test, Backend};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{api_error, client, TestApp, Visitor, WsStream};
use crate::outbox::{gateway, Gateway};
use crate::portal::{account, mail, no_more_mail};

const AGENT: &str = "agent@kontor.test";

/// Asserts the status and returns the JSON body (Null when there is none).
pub(crate) async fn ok(r: Response, status: u16) -> Value {
    let s = r.status().as_u16();
    let text = r.text().await.unwrap();
    assert_eq!(s, status, "{text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

async fn put(v: &Visitor, path: &str, body: Value) -> Response {
    v.client.put(v.at(path)).json(&body).send().await.unwrap()
}

/// The operator (signed in on `v`) assigns a service number to account `a`.
pub(crate) async fn assign_number(v: &Visitor, a: AccountId, number: &str) -> Response {
    v.post_json(
        &format!("/api/v1/accounts/{a}/service-numbers"),
        &json!({"number": number}),
    )
    .await
}

/// A call from the telephone system.
async fn ring(app: &TestApp, secret: &str, number: &str, caller: &str) -> Response {
    client()
        .post(app.at("/api/v1/calls"))
        .bearer_auth(secret)
        .json(&json!({"service_number": number, "caller_id": caller}))
        .send()
        .await
        .unwrap()
}

/// The operator (signed in on `app`) sets up an account with a service
/// number and creates an API token; an agent signs in on the returned visitor.
struct Setup {
    app: TestApp,
    sms: Gateway,
    account: AccountId,
    secret: String,
    agent: Visitor,
}

async fn setup(backend: Backend, with_transfer: bool) -> Option<Setup> {
    let (url, sms) = gateway(vec![200]).await;
    let app = TestApp::spawn_with(backend, |s| s.sms_gateway_url = Some(url)).await?;
    app.login_operator().await;
    let a = account(&app, "K-1", "10115").await;
    ok(
        put(
            &app,
            &format!("/api/v1/accounts/{a}/secretary/settings"),
            json!({"greeting": "Mustermann AG, mein Name ist [Vorname, Nachname].", "instructions": "Bitte freundlich sein.",
                   "with_transfer": with_transfer, "query_fields": [{"label": "Kundennummer", "required": true}]}),
        )
        .await,
        200,
    )
    .await;
    let n = ok(assign_number(&app, a, "030 1234567").await, 201).await;
    assert_eq!(n["number"], "+49301234567");
    let t = ok(
        app.post_json("/api/v1/api-tokens", &json!({"name": "Telefonanlage"}))
            .await,
        201,
    )
    .await;
    let secret = t["secret"].as_str().unwrap().to_string();
    app.create_user(AGENT, Some(PlatformRole::Agent), None).await;
    let agent = app.second_client();
    agent.login(AGENT).await;
    Some(Setup {
        app,
        sms,
        account: a,
        secret,
        agent,
    })
}

impl Setup {
    /// The agent takes call `id`.
    async fn claim(&self, id: i64) {
        ok(
            self.agent
                .post_json(&format!("/api/v1/agent/calls/{id}/claim"), &json!({}))
                .await,
            200,
        )
        .await;
    }

    /// A call from `caller` to the account's number, taken by the agent; its id.
    async fn claimed_call(&self, caller: &str) -> i64 {
        let call = ok(ring(&self.app, &self.secret, "+49301234567", caller).await, 201).await;
        let id = call["id"].as_i64().unwrap();
        self.claim(id).await;
        id
    }
}

async fn add_employee(app: &Visitor, a: AccountId, body: Value) -> i64 {
    ok(
        app.post_json(&format!("/api/v1/accounts/{a}/employees"), &body).await,
        201,
    )
    .await["id"]
        .as_i64()
        .unwrap()
}

/// Waits until the gateway got `n` SMS.
async fn sms_count(g: &Gateway, n: usize) -> Vec<Value> {
    for _ in 0..200 {
        let got: Vec<Value> = g.got.lock().unwrap().iter().map(|(_, b)| b.clone()).collect();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{n} SMS expected, got {:?}", g.got.lock().unwrap());
}

async fn transfer_vip_deputy_and_notifications(backend: Backend) {
    let Some(s) = setup(backend, true).await else {
        return;
    };
    let (app, a) = (&s.app, s.account);
    let bernd = add_employee(
        app,
        a,
        json!({"name": "Kurz, Bernd", "email": "bernd@a.test", "wants_transfer": true, "extension": "22"}),
    )
    .await;
    let anna = add_employee(
        app,
        a,
        json!({"name": "Anna Berg", "email": "anna@a.test", "wants_transfer": true,
        "extension": "21", "sms_enabled": true, "mobile": "0170 1111111", "deputy_id": bernd}),
    )
    .await;
    let carla = add_employee(
        app,
        a,
        json!({"name": "Carla Dorn", "email": "carla@a.test", "cc": ["team@a.test"],
        "vip_transfer": true, "vip_sms": true, "mobile": "0170 2222222", "extension": "23"}),
    )
    .await;
    ok(
        app.post_json(
            &format!("/api/v1/accounts/{a}/vips"),
            &json!({"phone": "0171 9999999", "name": "Herr Wichtig", "note": "Bitte nicht nach Kontaktdaten fragen."}),
        )
        .await,
        201,
    )
    .await;

    // The telephone system reports a call; the agent claims it.
    let call = ok(ring(app, &s.secret, "+49 30 1234567", "0171 9999999").await, 201).await;
    assert_eq!(
        (call["status"].as_str(), call["caller_id"].as_str()),
        (Some("queued"), Some("+491719999999"))
    );
    let id = call["id"].as_i64().unwrap();
    let queue = ok(s.agent.get("/api/v1/agent/calls").await, 200).await;
    assert!(queue.as_array().unwrap().iter().any(|c| c["id"] == id));
    s.claim(id).await;

    // The call screen: greeting with the agent's name, VIP note, employees with steps, no e-mail addresses.
    let r = s.agent.get(&format!("/api/v1/agent/calls/{id}/screen")).await;
    let raw = r.text().await.unwrap();
    assert!(
        !raw.contains("anna@a.test") && !raw.contains("+491701111111"),
        "no e-mail or mobile for agents"
    );
    let screen: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(screen["greeting"], "Mustermann AG, mein Name ist Test Nutzer.");
    assert_eq!(screen["instructions"], "Bitte freundlich sein.");
    assert!(screen["no_transfer_notice"].is_null());
    assert_eq!(screen["vips"][0]["note"], "Bitte nicht nach Kontaktdaten fragen.");
    assert_eq!(screen["extra_fields"][0]["label"], "Kundennummer");
    let names: Vec<&str> = screen["employees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Anna Berg", "Carla Dorn", "Kurz, Bernd"], "sorted by last name");
    let step = |i: usize| screen["employees"][i]["first_step"].clone();
    assert_eq!(step(0)["action"], "transfer");
    assert_eq!(step(1)["action"], "transfer", "VIP transfer for a VIP caller");

    // Anna does not answer: her deputy Bernd; he does not either: message for Anna.
    let next = |unanswered: Value| {
        let agent = &s.agent;
        async move {
            ok(
                agent
                    .post_json(
                        &format!("/api/v1/agent/calls/{id}/next-step"),
                        &json!({"employee_id": anna, "unanswered": unanswered}),
                    )
                    .await,
                200,
            )
            .await
        }
    };
    let deputy = next(json!([anna])).await;
    assert_eq!(
        (deputy["action"].as_str(), deputy["employee_id"].as_i64()),
        (Some("transfer"), Some(bernd))
    );
    assert_eq!(
        (deputy["extension"].as_str(), deputy["deputy"].as_bool()),
        (Some("22"), Some(true))
    );
    let message = next(json!([anna, bernd])).await;
    assert_eq!(
        (message["action"].as_str(), message["employee_id"].as_i64()),
        (Some("message"), Some(anna))
    );

    // Bernd took it: transfer confirmation to Anna, SMS summary to Anna.
    let note = json!({"employee_id": anna, "outcome": "connected", "connected_to": bernd,
        "caller_name": "Herr Wichtig", "company": "Wichtig GmbH", "concern": "Rückfrage Angebot"});
    let done = ok(
        s.agent
            .post_json(&format!("/api/v1/agent/calls/{id}/note"), &note)
            .await,
        200,
    )
    .await;
    assert_eq!(
        (done["status"].as_str(), done["outcome"].as_str()),
        (Some("done"), Some("connected"))
    );
    assert_eq!(done["vip"], true);
    let m = mail(app, 1).await;
    assert_eq!(m.to(), ["anna@a.test"]);
    assert!(
        m.subject()
            .starts_with("Anruf durchgestellt: Herr Wichtig (+491719999999)"),
        "{}",
        m.subject()
    );
    assert!(m.text().contains("an Kurz, Bernd durchgestellt"), "{}", m.text());
    assert!(m.text().contains("VIP-Anrufer: Herr Wichtig"));
    let sms = sms_count(&s.sms, 1).await;
    assert_eq!(sms[0]["to"], "+491701111111");
    let text = sms[0]["text"].as_str().unwrap();
    assert!(
        text.starts_with("Durchgestellt an Kurz, Bernd: Herr Wichtig") && text.chars().count() <= 160,
        "{text}"
    );

    // The same note again is refused; nothing more goes out.
    let e = api_error(
        s.agent
            .post_json(&format!("/api/v1/agent/calls/{id}/note"), &note)
            .await,
        409,
    )
    .await;
    assert_eq!(e["code"], "call_done");

    // A second VIP call for Carla (VIP transfer, not reached): full note to
    // her and CC, plus the VIP SMS (she has no SMS summary).
    let id2 = s.claimed_call("+491719999999").await;
    let e = api_error(
        s.agent
            .post_json(
                &format!("/api/v1/agent/calls/{id2}/note"),
                &json!({"employee_id": carla, "outcome": "message"}),
            )
            .await,
        422,
    )
    .await;
    assert_eq!(e["code"], "required");
    let note2 = json!({"employee_id": carla, "outcome": "message", "caller_name": "Herr Wichtig",
        "concern": "Bitte um Rückruf wegen Vertrag", "extra": {"Kundennummer": "4711"}});
    ok(
        s.agent
            .post_json(&format!("/api/v1/agent/calls/{id2}/note"), &note2)
            .await,
        200,
    )
    .await;
    let m = mail(app, 2).await;
    assert_eq!(m.to(), ["carla@a.test"]);
    assert!(m.header("Cc").unwrap_or_default().contains("team@a.test"));
    assert!(m.subject().starts_with("Anrufnotiz für Carla Dorn: Herr Wichtig"));
    for part in [
        "Rückrufnummer: +491719999999",
        "Anliegen: Bitte um Rückruf wegen Vertrag",
        "Kundennummer: 4711",
    ] {
        assert!(m.text().contains(part), "{part} in {}", m.text());
    }
    let sms = sms_count(&s.sms, 2).await;
    assert_eq!(sms[1]["to"], "+491702222222");
    assert!(sms[1]["text"]
        .as_str()
        .unwrap()
        .starts_with("VIP-Anruf: Herr Wichtig (+491719999999)"));

    // SMS are billed per account and month; the customer sees it too.
    // (The gateway has both; the worker records "sent" right after.)
    let mut usage = Value::Null;
    for _ in 0..200 {
        usage = ok(app.get(&format!("/api/v1/accounts/{a}/sms-usage")).await, 200).await;
        if usage[0]["count"] == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(
        (usage[0]["count"].as_i64(), usage[0]["amount_cents"].as_i64()),
        (Some(2), Some(20))
    );
    app.create_user("chef@a.test", None, Some((a, AccountRole::SuperAdmin)))
        .await;
    let chef = app.second_client();
    chef.login("chef@a.test").await;
    let usage = ok(chef.get(&format!("/api/v1/accounts/{a}/sms-usage")).await, 200).await;
    assert_eq!(usage[0]["count"], 2);

    // A correction is a new note; the first stays as it was.
    let fixed = json!({"employee_id": carla, "outcome": "message", "caller_name": "Herr Wichtig",
        "concern": "Rückruf wegen Vertrag bis 17 Uhr", "extra": {"Kundennummer": "4712"}});
    ok(
        s.agent
            .post_json(&format!("/api/v1/agent/calls/{id2}/correction"), &fixed)
            .await,
        200,
    )
    .await;
    let m = mail(app, 3).await;
    assert!(m.subject().starts_with("Korrektur: Anrufnotiz"), "{}", m.subject());
    assert!(m.text().contains("ersetzt die zuvor gesendete"));
    let detail = ok(chef.get(&format!("/api/v1/accounts/{a}/calls/{id2}")).await, 200).await;
    let notes = detail["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[0]["concern"], "Bitte um Rückruf wegen Vertrag");
    assert_eq!(notes[1]["corrects_id"], notes[0]["id"]);
    assert_eq!(detail["call"]["summary"], "Rückruf wegen Vertrag bis 17 Uhr");
    // Correcting an outdated note is refused.
    let e = api_error(
        s.agent
            .post_json(
                &format!("/api/v1/agent/calls/{id}/correction"),
                &json!({"employee_id": 0}),
            )
            .await,
        422,
    )
    .await;
    assert_eq!(e["code"], "employee_unknown");
    no_more_mail(app, 3).await;
    assert_eq!(s.sms.got.lock().unwrap().len(), 2, "a correction sends no SMS");

    // The dashboard lists both with shortened notes, newest first.
    let latest = ok(chef.get(&format!("/api/v1/accounts/{a}/calls/latest")).await, 200).await;
    assert_eq!(latest[0]["id"], id2);
    assert_eq!(latest[1]["caller_name"], "Herr Wichtig");
    s.app.stop().await;
}

async fn tariff_without_transfer(backend: Backend) {
    let Some(s) = setup(backend, false).await else {
        return;
    };
    let (app, a) = (&s.app, s.account);
    let e1 = add_employee(
        app,
        a,
        json!({"name": "Eva Ernst", "email": "eva@a.test", "wants_transfer": true, "extension": "7"}),
    )
    .await;
    let call = ok(ring(app, &s.secret, "+49301234567", "").await, 201).await;
    assert_eq!(call["caller_id"], "", "withheld number");
    let id = call["id"].as_i64().unwrap();
    s.claim(id).await;
    let screen = ok(s.agent.get(&format!("/api/v1/agent/calls/{id}/screen")).await, 200).await;
    assert_eq!(
        screen["no_transfer_notice"],
        "Momentan ist niemand persönlich erreichbar. Darf ich einen Rückruf aufnehmen?"
    );
    assert_eq!(screen["employees"][0]["first_step"]["action"], "message");
    assert!(screen["vips"].as_array().unwrap().is_empty());
    assert!(screen["faqs"].as_array().unwrap().is_empty());
    // Changes show on the next screen at once (the screen data is cached per account).
    ok(
        put(
            app,
            &format!("/api/v1/accounts/{a}/employees/{e1}/absence"),
            json!({"absence_info": "Nur vormittags"}),
        )
        .await,
        200,
    )
    .await;
    ok(
        app.post_json(
            &format!("/api/v1/accounts/{a}/faq"),
            &json!({"question": "Öffnungszeiten?", "answer": "8–17 Uhr"}),
        )
        .await,
        201,
    )
    .await;
    let screen = ok(s.agent.get(&format!("/api/v1/agent/calls/{id}/screen")).await, 200).await;
    assert_eq!(screen["employees"][0]["status"], "Nur vormittags");
    assert_eq!(screen["faqs"][0]["answer"], "8–17 Uhr");
    let e = api_error(
        s.agent
            .post_json(
                &format!("/api/v1/agent/calls/{id}/note"),
                &json!({"employee_id": e1, "outcome": "connected", "caller_name": "X"}),
            )
            .await,
        422,
    )
    .await;
    assert_eq!(e["code"], "transfer_not_in_tariff");
    // Without caller ID the callback number must be typed.
    let r = s
        .agent
        .post_json(
            &format!("/api/v1/agent/calls/{id}/note"),
            &json!({"employee_id": e1, "caller_name": "Frau Lang", "concern": "Termin", "extra": {"Kundennummer": "1"}}),
        )
        .await;
    let e = api_error(r, 422).await;
    assert_eq!(e["field"], "phone");
    let r = s
        .agent
        .post_json(
            &format!("/api/v1/agent/calls/{id}/note"),
            &json!({"employee_id": e1, "caller_name": "Frau Lang", "phone": "0221 123456", "concern": "Termin",
                    "extra": {"Kundennummer": "1"}}),
        )
        .await;
    ok(r, 200).await;
    let m = mail(app, 1).await;
    assert!(m.text().contains("Rückrufnummer: 0221 123456"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(s.sms.got.lock().unwrap().is_empty(), "no SMS wanted");
    s.app.stop().await;
}

async fn claiming_race_has_one_winner(backend: Backend) {
    let Some(s) = setup(backend, true).await else {
        return;
    };
    s.app
        .create_user("agent2@kontor.test", Some(PlatformRole::Agent), None)
        .await;
    let other = s.app.second_client();
    other.login("agent2@kontor.test").await;
    for _ in 0..8 {
        let call = ok(ring(&s.app, &s.secret, "+49301234567", "+4940123456").await, 201).await;
        let path = format!("/api/v1/agent/calls/{}/claim", call["id"]);
        let empty = json!({});
        let (a, b) = tokio::join!(s.agent.post_json(&path, &empty), other.post_json(&path, &empty));
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 409]);
        let loser = if a.status() == 409 { a } else { b };
        assert_eq!(api_error(loser, 409).await["code"], "call_taken");
    }
    // The loser cannot send a note or release it either.
    let id = s.claimed_call("+4940123456").await;
    let e = api_error(
        other
            .post_json(&format!("/api/v1/agent/calls/{id}/release"), &json!({}))
            .await,
        409,
    )
    .await;
    assert_eq!(e["code"], "call_not_yours");
    let r = other
        .post_json(&format!("/api/v1/agent/calls/{id}/note"), &json!({"employee_id": 1}))
        .await;
    assert_eq!(api_error(r, 409).await["code"], "call_not_yours");
    // Released, it is back in the queue for anyone.
    let back = ok(
        s.agent
            .post_json(&format!("/api/v1/agent/calls/{id}/release"), &json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(back["status"], "queued");
    ok(
        other
            .post_json(&format!("/api/v1/agent/calls/{id}/claim"), &json!({}))
            .await,
        200,
    )
    .await;
    s.app.stop().await;
}

async fn api_token_only_creates_calls(backend: Backend) {
    let Some(s) = setup(backend, true).await else {
        return;
    };
    let app = &s.app;
    let with_token = |path: &str| client().get(app.at(path)).bearer_auth(&s.secret).send();
    for path in [
        "/api/v1/agent/calls",
        "/api/v1/me",
        "/api/v1/accounts",
        "/api/v1/api-tokens",
    ] {
        let r = with_token(path).await.unwrap();
        assert_eq!(r.status(), 401, "{path}");
    }
    let r = client()
        .post(app.at("/api/v1/api-tokens"))
        .bearer_auth(&s.secret)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        api_error(ring(app, "kt_wrong", "+49301234567", "").await, 401).await["code"],
        "api_token_invalid"
    );
    let r = client()
        .post(app.at("/api/v1/calls"))
        .json(&json!({"service_number": "+49301234567"}))
        .send()
        .await
        .unwrap();
    assert_eq!(api_error(r, 401).await["code"], "api_token_invalid");
    // A signed-in agent without token cannot report calls either.
    let e = api_error(
        s.agent
            .post_json("/api/v1/calls", &json!({"service_number": "+49301234567"}))
            .await,
        401,
    )
    .await;
    assert_eq!(e["code"], "api_token_invalid");
    let e = api_error(ring(app, &s.secret, "+49309999999", "").await, 422).await;
    assert_eq!(
        (e["code"].as_str(), e["field"].as_str()),
        (Some("service_number_unknown"), Some("service_number"))
    );
    let e = api_error(ring(app, &s.secret, "+49301234567", "abc").await, 422).await;
    assert_eq!(e["code"], "phone_invalid");
    // Taken numbers are refused; a revoked token stops at once.
    let b = account(app, "K-2", "20095").await;
    let e = api_error(assign_number(app, b, "+49301234567").await, 409).await;
    assert_eq!(e["code"], "service_number_taken");
    let tokens = ok(app.get("/api/v1/api-tokens").await, 200).await;
    assert!(tokens[0]["last_used_at"].is_i64());
    assert!(tokens[0].get("secret").is_none() && !tokens.to_string().contains(&s.secret));
    ok(
        app.client
            .delete(app.at(&format!("/api/v1/api-tokens/{}", tokens[0]["id"])))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(
        api_error(ring(app, &s.secret, "+49301234567", "").await, 401).await["code"],
        "api_token_invalid"
    );
    // Customers are no agents.
    app.create_user("chef@a.test", None, Some((s.account, AccountRole::SuperAdmin)))
        .await;
    let chef = app.second_client();
    chef.login("chef@a.test").await;
    assert_eq!(chef.get("/api/v1/agent/calls").await.status(), 403);
    assert_eq!(
        chef.post_json("/api/v1/api-tokens", &json!({"name": "x"}))
            .await
            .status(),
        403
    );
    let r = assign_number(&chef, s.account, "+4930555").await;
    assert_eq!(r.status(), 403);
    s.app.stop().await;
}

/// A finished call stored directly at a given instant (the HTTP path uses the real clock).
async fn past_call(app: &TestApp, a: AccountId, at: &str, employee: (i64, &str), outcome: Outcome) {
    let db = &app.services.db;
    let at = Timestamp::from_datetime(at.parse().unwrap());
    let call = db
        .create_call(&NewCall {
            account_id: a,
            service_number: "+49301234567".into(),
            caller_id: "+4940123456".into(),
            received_at: at,
            source: "api",
            agent: Some((UserId(1), "Agent".into())),
        })
        .await
        .unwrap();
    let note = NewNote {
        corrects_id: None,
        agent_id: UserId(1),
        agent_name: "Agent".into(),
        employee_id: employee.0,
        employee_name: employee.1.into(),
        outcome,
        connected_to: String::new(),
        caller_name: format!("Anrufer {at:?}"),
        company: String::new(),
        phone: "+4940123456".into(),
        concern: "Rückruf".into(),
        extra: vec![],
        vip: false,
    };
    db.finish(call.id, &note, "Rückruf", vec![], at).await.unwrap();
}

async fn statistics_follow_the_zone_across_a_month_boundary(backend: Backend) {
    let Some(s) = setup(backend, true).await else {
        return;
    };
    let (app, a) = (&s.app, s.account);
    let anna = add_employee(app, a, json!({"name": "Anna Berg", "email": "anna@a.test"})).await;
    let bernd = add_employee(app, a, json!({"name": "Bernd Kurz", "email": "bernd@a.test"})).await;
    let (an, bn) = ((anna, "Anna Berg"), (bernd, "Bernd Kurz"));
    // Berlin is UTC+1 in winter: 23:30 UTC on 31 January is already February.
    past_call(app, a, "2026-01-31T22:59:00Z", an, Outcome::Message).await;
    past_call(app, a, "2026-01-31T23:30:00Z", an, Outcome::Connected).await;
    past_call(app, a, "2026-02-01T10:00:00Z", bn, Outcome::Message).await;
    past_call(app, a, "2026-02-28T22:59:00Z", an, Outcome::Message).await; // 23:59 on 28 Feb
    past_call(app, a, "2026-02-28T23:00:00Z", bn, Outcome::Message).await; // 1 March
    let b = account(app, "K-2", "20095").await;
    let other = add_employee(app, b, json!({"name": "Zoe Zander", "email": "z@b.test"})).await;
    past_call(app, b, "2026-02-10T10:00:00Z", (other, "Zoe Zander"), Outcome::Message).await;

    let stats = ok(
        app.get(&format!(
            "/api/v1/accounts/{a}/calls/stats?from=2026-02-01&to=2026-02-28"
        ))
        .await,
        200,
    )
    .await;
    assert_eq!(
        (
            stats["total"].as_i64(),
            stats["connected"].as_i64(),
            stats["message"].as_i64()
        ),
        (Some(3), Some(1), Some(2))
    );
    let days = stats["per_day"].as_array().unwrap();
    assert_eq!(days.len(), 28);
    assert_eq!(
        (days[0]["day"].as_str(), days[0]["count"].as_i64()),
        (Some("2026-02-01"), Some(2))
    );
    assert_eq!(
        (days[27]["day"].as_str(), days[27]["count"].as_i64()),
        (Some("2026-02-28"), Some(1))
    );
    assert_eq!(days.iter().map(|d| d["count"].as_i64().unwrap()).sum::<i64>(), 3);
    assert_eq!(stats["per_employee"][0]["name"], "Anna Berg");
    assert_eq!(stats["per_employee"][0]["count"], 2);
    let jan = ok(
        app.get(&format!(
            "/api/v1/accounts/{a}/calls/stats?from=31.01.2026&to=31.01.2026"
        ))
        .await,
        200,
    )
    .await;
    assert_eq!(jan["total"], 1);

    // The same instants in New York fall on other days.
    ok(
        put(
            app,
            &format!("/api/v1/accounts/{a}/secretary/settings"),
            json!({"greeting": "Hallo [Vorname]", "time_zone": "America/New_York", "with_transfer": true}),
        )
        .await,
        200,
    )
    .await;
    let ny = ok(
        app.get(&format!(
            "/api/v1/accounts/{a}/calls/stats?from=2026-01-31&to=2026-01-31"
        ))
        .await,
        200,
    )
    .await;
    assert_eq!(ny["total"], 2, "both January calls are on 31 January in New York");

    // The list pages, newest first; the export has one row per call.
    let page = ok(
        app.get(&format!(
            "/api/v1/accounts/{a}/calls?from=2026-01-01&to=2026-03-31&limit=2&offset=2"
        ))
        .await,
        200,
    )
    .await;
    assert_eq!(page["total"], 5);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let r = app
        .get(&format!(
            "/api/v1/accounts/{a}/calls/export?from=2026-01-01&to=2026-03-31"
        ))
        .await;
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = r.text().await.unwrap();
    assert_eq!(csv.lines().count(), 6, "{csv}");
    assert!(csv.starts_with("\u{feff}Datum;Uhrzeit;Servicenummer"));
    assert!(!csv.contains("Zoe Zander"), "only this account");
    // Across the change to summer time (29 March, 01:00 UTC) in Berlin.
    let c = account(app, "K-3", "10115").await;
    let carl = add_employee(app, c, json!({"name": "Carl Cramer", "email": "carl@c.test"})).await;
    let cn = (carl, "Carl Cramer");
    past_call(app, c, "2026-03-28T22:59:00Z", cn, Outcome::Message).await; // 23:59 on 28 March
    past_call(app, c, "2026-03-28T23:30:00Z", cn, Outcome::Message).await; // 00:30 on 29 March (UTC+1)
    past_call(app, c, "2026-03-29T21:59:00Z", cn, Outcome::Message).await; // 23:59 on 29 March (UTC+2)
    past_call(app, c, "2026-03-29T22:30:00Z", cn, Outcome::Message).await; // 00:30 on 30 March
    let dst = ok(
        app.get(&format!(
            "/api/v1/accounts/{c}/calls/stats?from=2026-03-28&to=2026-03-30"
        ))
        .await,
        200,
    )
    .await;
    let counts: Vec<i64> = dst["per_day"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["count"].as_i64().unwrap())
        .collect();
    assert_eq!(counts, [1, 2, 1]);
    for (q, code) in [
        ("from=2026-02-30&to=2026-03-01", "date_invalid"),
        ("from=2026-03-01&to=2026-02-01", "period_reversed"),
        ("preset=gestern", "period_preset_invalid"),
        ("from=2024-01-01&to=2026-01-01", "period_too_long"),
    ] {
        let e = api_error(app.get(&format!("/api/v1/accounts/{a}/calls/stats?{q}")).await, 422).await;
        assert_eq!(e["code"], code, "{q}");
    }
    let e = api_error(app.get(&format!("/api/v1/accounts/{a}/calls?limit=x")).await, 422).await;
    assert!(e["message"].is_string());
    s.app.stop().await;
}

/// A fresh session cookie ("kontor_session=…") for `email`.
async fn session_cookie(app: &TestApp, email: &str) -> String {
    let r = client()
        .post(app.at("/api/v1/session"))
        .json(&json!({"email": email, "password": crate::helpers::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let c = r.headers()["set-cookie"].to_str().unwrap();
    c.split(';').next().unwrap().to_string()
}

/// Opens a WebSocket with `cookie`; the HTTP status when refused.
async fn socket(app: &TestApp, path: &str, cookie: &str, origin: Option<&str>) -> Result<WsStream, u16> {
    let mut req = app.at(path).replace("http://", "ws://").into_client_request().unwrap();
    req.headers_mut().insert("cookie", cookie.parse().unwrap());
    if let Some(o) = origin {
        req.headers_mut().insert("origin", o.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => Err(r.status().as_u16()),
        Err(e) => panic!("{e}"),
    }
}

async fn next_json(ws: &mut WsStream) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a frame within 5 s")
            .unwrap()
            .unwrap();
        if let Message::Text(t) = msg {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

async fn live_pushes_reach_consoles_and_dashboards(backend: Backend) {
    let Some(s) = setup(backend, true).await else {
        return;
    };
    let (app, a) = (&s.app, s.account);
    let anna = add_employee(app, a, json!({"name": "Anna Berg", "email": "anna@a.test"})).await;
    let b = account(app, "K-2", "20095").await;
    app.create_user("chef@a.test", None, Some((a, AccountRole::Admin)))
        .await;
    app.create_user("chef@b.test", None, Some((b, AccountRole::Admin)))
        .await;
    let agent = session_cookie(app, AGENT).await;
    let chef_a = session_cookie(app, "chef@a.test").await;
    let chef_b = session_cookie(app, "chef@b.test").await;

    // Refused: no session, a customer on the console, another account's dashboard, another site.
    assert_eq!(socket(app, "/api/v1/agent/live", "x=y", None).await.err(), Some(401));
    assert_eq!(socket(app, "/api/v1/agent/live", &chef_a, None).await.err(), Some(403));
    let path_a = format!("/api/v1/accounts/{a}/calls/live");
    assert_eq!(socket(app, &path_a, &chef_b, None).await.err(), Some(404));
    assert_eq!(
        socket(app, "/api/v1/agent/live", &agent, Some("https://evil.example"))
            .await
            .err(),
        Some(403)
    );

    let mut console = socket(app, "/api/v1/agent/live", &agent, None).await.unwrap();
    let first = next_json(&mut console).await;
    assert_eq!(first["type"], "queue");
    assert!(first["calls"].as_array().unwrap().is_empty());
    let mut dash_a = socket(app, &path_a, &chef_a, None).await.unwrap();
    let mut dash_b = socket(app, &format!("/api/v1/accounts/{b}/calls/live"), &chef_b, None)
        .await
        .unwrap();
    assert_eq!(next_json(&mut dash_a).await["type"], "hello");
    assert_eq!(next_json(&mut dash_b).await["type"], "hello");

    let call = ok(ring(app, &s.secret, "+49301234567", "+4940123456").await, 201).await;
    let pushed = next_json(&mut console).await;
    assert_eq!(
        (pushed["type"].as_str(), &pushed["call"]["id"]),
        (Some("queued"), &call["id"])
    );
    let id = call["id"].as_i64().unwrap();
    s.claim(id).await;
    let claimed = next_json(&mut console).await;
    assert_eq!(
        (claimed["type"].as_str(), claimed["call"]["agent_name"].as_str()),
        (Some("claimed"), Some("Test Nutzer"))
    );
    let note =
        json!({"employee_id": anna, "caller_name": "Herr Meier", "concern": "Angebot", "extra": {"Kundennummer": "1"}});
    ok(
        s.agent
            .post_json(&format!("/api/v1/agent/calls/{id}/note"), &note)
            .await,
        200,
    )
    .await;
    let done = next_json(&mut dash_a).await;
    assert_eq!(
        (done["type"].as_str(), done["call"]["summary"].as_str()),
        (Some("done"), Some("Angebot"))
    );
    assert_eq!(next_json(&mut console).await["type"], "done");
    // Account B's dashboard hears nothing of it.
    let quiet = tokio::time::timeout(Duration::from_millis(300), dash_b.next()).await;
    assert!(quiet.is_err(), "no event for another account: {quiet:?}");
    s.app.stop().await;
}

async fn customers_never_reach_other_accounts_calls(backend: Backend) {
    let Some(s) = setup(backend, true).await else {
        return;
    };
    let (app, a) = (&s.app, s.account);
    let anna = add_employee(app, a, json!({"name": "Anna Berg", "email": "anna@a.test"})).await;
    let id = s.claimed_call("+4940123456").await;
    let note =
        json!({"employee_id": anna, "caller_name": "Herr Meier", "concern": "Angebot", "extra": {"Kundennummer": "1"}});
    ok(
        s.agent
            .post_json(&format!("/api/v1/agent/calls/{id}/note"), &note)
            .await,
        200,
    )
    .await;

    let b = account(app, "K-2", "20095").await;
    app.create_user("chef@b.test", None, Some((b, AccountRole::SuperAdmin)))
        .await;
    let other = app.second_client();
    other.login("chef@b.test").await;
    for path in [
        format!("/api/v1/accounts/{a}/calls?preset=this_month"),
        format!("/api/v1/accounts/{a}/calls/latest"),
        format!("/api/v1/accounts/{a}/calls/stats"),
        format!("/api/v1/accounts/{a}/calls/export"),
        format!("/api/v1/accounts/{a}/calls/{id}"),
        format!("/api/v1/accounts/{b}/calls/{id}"),
        format!("/api/v1/accounts/{a}/service-numbers"),
        format!("/api/v1/accounts/{a}/sms-usage"),
    ] {
        let r = other.get(&path).await;
        assert_eq!(r.status(), 404, "{path}");
    }
    // Their own account shows none of A's calls.
    let own = ok(other.get(&format!("/api/v1/accounts/{b}/calls/latest")).await, 200).await;
    assert!(own.as_array().unwrap().is_empty());
    let r = other
        .client
        .delete(other.at(&format!("/api/v1/accounts/{a}/service-numbers/+49301234567")))
        .send()
        .await
        .unwrap();
    assert!(matches!(r.status().as_u16(), 403 | 404));
    // Nor may they act as agents on A's call.
    for path in ["screen"] {
        assert_eq!(
            other.get(&format!("/api/v1/agent/calls/{id}/{path}")).await.status(),
            403
        );
    }
    for path in ["claim", "release", "note", "correction", "next-step"] {
        let body = if path == "next-step" {
            json!({"employee_id": anna})
        } else {
            note.clone()
        };
        let r = other
            .post_json(&format!("/api/v1/agent/calls/{id}/{path}"), &body)
            .await;
        assert_eq!(r.status(), 403, "{path}");
    }
    // Plain members of A (no sub-account login) may read the calls.
    app.create_user("member@a.test", None, Some((a, AccountRole::Member)))
        .await;
    let member = app.second_client();
    member.login("member@a.test").await;
    assert_eq!(
        member.get(&format!("/api/v1/accounts/{a}/calls/latest")).await.status(),
        200,
        "members read"
    );
    s.app.stop().await;
}

async fn onboarding_checklist_until_confirmed(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.login_operator().await;
    let a = account(&app, "K-1", "10115").await;
    app.create_user("chef@a.test", None, Some((a, AccountRole::Admin)))
        .await;
    app.create_user("member@a.test", None, Some((a, AccountRole::Member)))
        .await;
    let chef = app.second_client();
    chef.login("chef@a.test").await;
    let member = app.second_client();
    member.login("member@a.test").await;
    let path = format!("/api/v1/accounts/{a}/secretary/onboarding");
    let o = ok(chef.get(&path).await, 200).await;
    assert!(o["confirmed_at"].is_null());
    let done: Vec<(String, bool)> = o["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["key"].as_str().unwrap().to_string(), s["done"].as_bool().unwrap()))
        .collect();
    assert_eq!(done.len(), 6);
    assert!(done.iter().all(|(_, d)| !d), "nothing done yet: {done:?}");
    let html = chef.get(&format!("/portal/{a}/secretary")).await.text().await.unwrap();
    assert!(html.contains("Vor der ersten Rufumleitung"));

    // The operator assigns a number; the admin saves the greeting and adds an employee.
    ok(assign_number(&app, a, "+49301234567").await, 201).await;
    ok(
        put(
            &chef,
            &format!("/api/v1/accounts/{a}/secretary/settings"),
            json!({"greeting": "Hallo, [Vorname] hier."}),
        )
        .await,
        200,
    )
    .await;
    add_employee(&chef, a, json!({"name": "Anna Berg", "email": "anna@a.test"})).await;
    let o = ok(chef.get(&path).await, 200).await;
    let required_open: Vec<&str> = o["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["required"] == true && s["done"] == false)
        .map(|s| s["key"].as_str().unwrap())
        .collect();
    assert_eq!(required_open, ["confirm"]);

    // Only admins confirm; then the checklist is gone and the log has it.
    let confirm = format!("/api/v1/accounts/{a}/secretary/confirm");
    assert_eq!(member.post_json(&confirm, &json!({})).await.status(), 403);
    let s = ok(chef.post_json(&confirm, &json!({})).await, 200).await;
    assert!(s["confirmed_at"].is_i64());
    assert_eq!(s["greeting"], "Hallo, [Vorname] hier.", "confirming keeps the settings");
    let o = ok(chef.get(&path).await, 200).await;
    assert!(o["confirmed_at"].is_i64());
    let html = chef.get(&format!("/portal/{a}/secretary")).await.text().await.unwrap();
    assert!(!html.contains("Vor der ersten Rufumleitung") && html.contains("Bestätigt:"));
    let log = ok(chef.get(&format!("/api/v1/accounts/{a}/audit")).await, 200).await;
    assert!(log.to_string().contains("settings.confirmed"));
    // Saving the settings later keeps the confirmation.
    let s = ok(
        put(
            &chef,
            &format!("/api/v1/accounts/{a}/secretary/settings"),
            json!({"greeting": "Hallo, [Vorname]."}),
        )
        .await,
        200,
    )
    .await;
    assert!(s["confirmed_at"].is_i64());
    app.stop().await;
}

db_test!(
    onboarding_checklist_until_confirmed,
    live_pushes_reach_consoles_and_dashboards,
    customers_never_reach_other_accounts_calls,
    transfer_vip_deputy_and_notifications,
    tariff_without_transfer,
    claiming_race_has_one_winner,
    api_token_only_creates_calls,
    statistics_follow_the_zone_across_a_month_boundary,
);
