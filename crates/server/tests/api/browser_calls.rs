//! The agent console in a real browser: a call reported by the telephone
//! system is pushed into the open console, the agent takes it and writes
//! the whole note with the keyboard only, and the e-mail arrives.

use std::time::Duration;

use domain::identity::PlatformRole;
use serde_json::json;
use test_support::fantoccini::key::Key;
use test_support::fantoccini::Locator;
use test_support::{db_test, Backend, Browser};

use crate::browser_registration::wait_text;
use crate::calls::{assign_number, ok};
use crate::helpers::{client, TestApp, PASSWORD};
use crate::portal::{account, mail};

/// Types into whatever has the focus, as a person at the keyboard does.
async fn keys(c: &test_support::fantoccini::Client, text: &str) {
    c.active_element().await.unwrap().send_keys(text).await.unwrap();
}

async fn console_receives_a_call_and_the_note_is_typed(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.login_operator().await;
    let a = account(&app, "K-1", "10115").await;
    let settings = json!({"greeting": "Firma Eins, mein Name ist [Vorname].", "with_transfer": true,
        "query_fields": [{"label": "Kundennummer", "required": true}]});
    ok(
        app.client
            .put(app.at(&format!("/api/v1/accounts/{a}/secretary/settings")))
            .json(&settings)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    for e in [
        json!({"name": "Anna Berg", "email": "anna@a.test", "wants_transfer": true, "extension": "21"}),
        json!({"name": "Bernd Kurz", "email": "bernd@a.test"}),
    ] {
        ok(app.post_json(&format!("/api/v1/accounts/{a}/employees"), &e).await, 201).await;
    }
    ok(assign_number(&app, a, "+49301234567").await, 201).await;
    let secret = ok(app.post_json("/api/v1/api-tokens", &json!({"name": "PBX"})).await, 201).await["secret"]
        .as_str()
        .unwrap()
        .to_string();
    app.create_user("agent@kontor.test", Some(PlatformRole::Agent), None)
        .await;

    let b = Browser::start().await;
    let c = &b.client;
    let shot = |n: &str| format!("calls-{}-{n}", format!("{backend:?}").to_lowercase());
    c.goto(&app.at("/login?next=/agent")).await.unwrap();
    c.find(Locator::Id("f-email"))
        .await
        .unwrap()
        .send_keys("agent@kontor.test")
        .await
        .unwrap();
    keys(c, &format!("{}{PASSWORD}{}", Key::Tab, Key::Enter)).await;
    wait_text(c, "[data-live-state]", "Live").await;
    wait_text(c, "[data-queue-empty]", "Keine wartenden Anrufe").await;
    b.screenshot(&shot("1-empty-console")).await;

    // The telephone system reports a call: it appears without a reload.
    let call = client()
        .post(app.at("/api/v1/calls"))
        .bearer_auth(&secret)
        .json(&json!({"service_number": "030 1234567", "caller_id": "0171 5555555"}))
        .send()
        .await
        .unwrap();
    let id = ok(call, 201).await["id"].as_i64().unwrap();
    wait_text(c, &format!("tr[data-call='{id}']"), "+491715555555").await;
    b.screenshot(&shot("2-pushed-call")).await;

    // "A" takes the oldest waiting call; the select has the focus.
    c.find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys("a")
        .await
        .unwrap();
    wait_text(c, ".greeting-text", "Firma Eins, mein Name ist Test.").await;
    assert_eq!(
        c.active_element().await.unwrap().attr("name").await.unwrap().as_deref(),
        Some("employee_id")
    );
    keys(c, "Bernd").await;
    wait_text(c, "[data-step]", "Nachricht aufnehmen").await;
    // Tab: outcome (message is preselected), name, company, phone, concern, Kundennummer.
    for text in [
        "",
        "Herr Meier",
        "Meier GmbH",
        "",
        "Bitte um Rückruf wegen des Angebots",
    ] {
        keys(c, &format!("{}{text}", Key::Tab)).await;
    }
    keys(c, &format!("{}4711", Key::Tab)).await;
    b.screenshot(&shot("3-note-typed")).await;
    keys(c, &format!("{}{}", Key::Control, Key::Enter)).await;
    wait_text(c, ".flash", "Die Anrufnotiz wurde gesendet.").await;
    b.screenshot(&shot("4-sent")).await;

    let m = mail(&app, 1).await;
    assert_eq!(m.to(), ["bernd@a.test"]);
    assert!(
        m.subject().starts_with("Anrufnotiz für Bernd Kurz: Herr Meier"),
        "{}",
        m.subject()
    );
    for part in [
        "Firma: Meier GmbH",
        "Rückrufnummer: +491715555555",
        "Anliegen: Bitte um Rückruf wegen des Angebots",
        "Kundennummer: 4711",
        "Aufgenommen von Test Nutzer",
    ] {
        assert!(m.text().contains(part), "{part} in {}", m.text());
    }
    // The call left the queue of the console.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(c.find(Locator::Css(&format!("tr[data-call='{id}']"))).await.is_err());
    b.close().await;
    app.stop().await;
}

db_test!(console_receives_a_call_and_the_note_is_typed);
