//! The outbox: delivery over SMTP and the SMS gateway, retries with
//! backoff (on a manual clock), the development mailbox, SMS billing.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use domain::outbox::{MessageStatus, NewMessage, OutboxStore, MAX_ATTEMPTS};
use jobs::{HttpSmsGateway, OutboxWorker, SmtpMailer, WorkerConfig};
use kernel::{Clock, ManualClock, Timestamp};
use serde_json::{json, Value};
use store::Db;
use test_support::{db_test, Backend, SmtpMode, SmtpSink, TestDb};

use crate::helpers::{api_error, TestApp};

/// A real HTTP SMS gateway on loopback that answers with the given
/// statuses in turn (the last one repeats) and records what it got.
/// What the gateway received: the Idempotency-Key header and the body.
type Received = Vec<(Option<String>, Value)>;

#[derive(Clone, Default)]
pub(crate) struct Gateway {
    pub(crate) got: Arc<Mutex<Received>>,
}

pub(crate) async fn gateway(statuses: Vec<u16>) -> (String, Gateway) {
    let g = Gateway::default();
    let seen = g.clone();
    let statuses = Arc::new(Mutex::new(statuses));
    let app = axum::Router::new().route(
        "/sms",
        post(move |headers: HeaderMap, body: axum::Json<Value>| {
            let seen = seen.clone();
            let statuses = statuses.clone();
            async move {
                let key = headers
                    .get("idempotency-key")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                seen.got.lock().unwrap().push((key, body.0));
                let mut s = statuses.lock().unwrap();
                let code = if s.len() > 1 { s.remove(0) } else { s[0] };
                StatusCode::from_u16(code).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, g)
}

async fn test_email_over_smtp(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.login_operator().await;
    let r = app
        .post_json("/api/v1/outbox/test-email", &json!({"to": "prüfer@example.de"}))
        .await;
    assert_eq!(r.status(), 202);
    let m = &app.smtp.wait_for(1, Duration::from_secs(10)).await[0];
    assert_eq!(
        m.subject(),
        "Test-E-Mail von Kontor – Größe, Umlaute & Sonderzeichen: äöüß"
    );
    assert!(m
        .text()
        .contains("E-Mail-Versand von Kontor (http://kontor.test) funktioniert"));
    assert!(m.html().contains("<a href=\"http://kontor.test/\""));
    let e = api_error(
        app.post_json("/api/v1/outbox/test-email", &json!({"to": "kaputt"}))
            .await,
        422,
    )
    .await;
    assert_eq!(e["field"], "to");
    // The SMTP server has the mail before the worker records it as sent.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let counts = loop {
        let counts: Value = app.get("/api/v1/outbox/status").await.json().await.unwrap();
        if counts["pending"] == 0 || tokio::time::Instant::now() > deadline {
            break counts;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(counts, json!({"pending": 0, "sent": 1, "failed": 0}));
    app.stop().await;
}

async fn dev_mailbox_keeps_mail_without_smtp(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |s| s.smtp_url = None).await else {
        return;
    };
    app.login_operator().await;
    let r = app
        .post_form("/operator/outbox/test-email", &[("to", "dev@example.de")])
        .await;
    assert_eq!(r.status(), 303);
    let mut list: Value = Value::Null;
    for _ in 0..200 {
        list = app.get("/api/v1/dev/mailbox?channel=email").await.json().await.unwrap();
        if list[0]["status"] == "sent" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(list[0]["delivered_via"], "mailbox");
    assert_eq!(list[0]["recipient"], "dev@example.de");
    let id = list[0]["id"].as_i64().unwrap();
    let html = app.get("/dev/mailbox").await.text().await.unwrap();
    assert!(html.contains("dev@example.de") && html.contains("Zugestellt"));
    let detail = app.get(&format!("/dev/mailbox/{id}")).await.text().await.unwrap();
    assert!(detail.contains("Diese Test-E-Mail bestätigt"));
    let part = app.get(&format!("/dev/mailbox/{id}/html")).await;
    assert!(part.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .starts_with("default-src 'none'"));
    assert!(app.smtp.received().is_empty());
    let e = api_error(app.get("/api/v1/dev/mailbox?channel=fax").await, 422).await;
    assert_eq!(e["field"], "channel");
    app.stop().await;

    let Some(app) = TestApp::spawn_with(backend, |s| s.dev = false).await else {
        return;
    };
    api_error(app.get("/api/v1/dev/mailbox").await, 404).await;
    assert_eq!(app.get("/dev/mailbox").await.status(), 404);
    app.stop().await;
}

async fn sms_gateway_delivery_and_billing(backend: Backend) {
    let (url, gw) = gateway(vec![200]).await;
    let Some(app) = TestApp::spawn_with(backend, |s| s.sms_gateway_url = Some(url)).await else {
        return;
    };
    app.login_operator().await;
    let a: Value = app
        .post_json(
            "/api/v1/accounts",
            &json!({"customer_number": "K-5", "postal_code": "50667", "name": "Köln AG"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let r = app
        .post_json(
            "/api/v1/outbox/test-sms",
            &json!({"to": "0170 1234567", "account_id": a["id"]}),
        )
        .await;
    assert_eq!(r.status(), 202);
    let mut usage = Value::Null;
    for _ in 0..200 {
        usage = app
            .get(&format!("/api/v1/accounts/{}/sms-usage", a["id"]))
            .await
            .json()
            .await
            .unwrap();
        if usage.as_array().is_some_and(|u| !u.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(usage[0]["count"], 1);
    assert_eq!(usage[0]["amount_cents"], 10);
    let got = gw.got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let (key, body) = &got[0];
    assert_eq!(body["to"], "+491701234567");
    assert_eq!(body["text"], "Kontor: Test-SMS. Der SMS-Versand funktioniert.");
    assert_eq!(
        key.as_deref(),
        body["idempotency_key"].as_str(),
        "idempotency key in header and body"
    );
    let page = app
        .get(&format!("/operator/accounts/{}", a["id"]))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("0,10 €"));

    let e = api_error(
        app.post_json("/api/v1/outbox/test-sms", &json!({"to": "01x"})).await,
        422,
    )
    .await;
    assert_eq!(e["code"], "phone_invalid");
    api_error(
        app.post_json(
            "/api/v1/outbox/test-sms",
            &json!({"to": "+4917012345678", "account_id": 999999}),
        )
        .await,
        404,
    )
    .await;
    app.stop().await;
}

/// The worker run by hand on a manual clock: deterministic retries.
async fn worker_retries_with_backoff_then_gives_up(backend: Backend) {
    let Some(t) = TestDb::create(backend).await else {
        return;
    };
    let db = Db::open(&t.url).await.unwrap();
    let clock = Arc::new(ManualClock::new(Timestamp(1_800_000_000_000)));
    let sink = SmtpSink::start().await;
    sink.set_mode(SmtpMode::TempFail);
    let (url, gw) = gateway(vec![400]).await;
    let worker = OutboxWorker::new(
        Arc::new(db.clone()),
        Arc::new(SmtpMailer::new(&sink.url(), "Kontor <noreply@kontor.test>").unwrap()),
        Arc::new(HttpSmsGateway::new(&url).unwrap()),
        clock.clone(),
        WorkerConfig::default(),
    );
    let mail = domain::mail::Mail::new(kernel::Lang::De, "mail.test")
        .arg("base_url", "x")
        .to(None, "a@example.de");
    let key = mail.idempotency_key.clone();
    db.enqueue(
        vec![mail, NewMessage::sms(None, "+4917012345678", "Hallo")],
        clock.now(),
    )
    .await
    .unwrap();

    assert_eq!(worker.run_once().await.unwrap(), 2);
    let all = OutboxStore::list(&db, None, 10).await.unwrap();
    let (sms, email) = (&all[0], &all[1]);
    assert_eq!(sms.status, MessageStatus::Failed, "a 400 from the gateway is final");
    assert!(sms.last_error.as_deref().unwrap().contains("400"));
    assert_eq!(gw.got.lock().unwrap().len(), 1);
    assert_eq!(email.status, MessageStatus::Pending);
    assert!(
        email.last_error.as_deref().unwrap().contains("451"),
        "{:?}",
        email.last_error
    );

    // Not due again before the backoff (5 s, up to 20 % jitter) has passed.
    clock.advance_secs(4);
    assert_eq!(worker.run_once().await.unwrap(), 0);
    clock.advance_secs(3);
    sink.set_mode(SmtpMode::Accept);
    assert_eq!(worker.run_once().await.unwrap(), 1);
    let got = sink.received();
    assert_eq!(got.len(), 1);
    assert!(got[0].header("Message-ID").unwrap().contains(&key));
    clock.advance_secs(3600);
    assert_eq!(
        worker.run_once().await.unwrap(),
        0,
        "sent messages are never sent again"
    );

    // A server that keeps refusing: failed after MAX_ATTEMPTS tries.
    sink.set_mode(SmtpMode::TempFail);
    let mail = domain::mail::Mail::new(kernel::Lang::En, "mail.test")
        .arg("base_url", "x")
        .to(None, "b@example.de");
    db.enqueue(vec![mail], clock.now()).await.unwrap();
    for _ in 0..MAX_ATTEMPTS {
        assert_eq!(worker.run_once().await.unwrap(), 1);
        clock.advance_secs(7200);
    }
    let last = &OutboxStore::list(&db, None, 1).await.unwrap()[0];
    assert_eq!(last.status, MessageStatus::Failed);
    assert_eq!(last.attempts, MAX_ATTEMPTS);
    assert_eq!(worker.run_once().await.unwrap(), 0);
}

db_test!(
    test_email_over_smtp,
    dev_mailbox_keeps_mail_without_smtp,
    sms_gateway_delivery_and_billing,
    worker_retries_with_backoff_then_gives_up
);
