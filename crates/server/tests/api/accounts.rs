//! Customer accounts through the API and the operator pages, the welcome
//! mail over real SMTP, and that only operators get in.

use std::time::Duration;

use domain::identity::{AccountRole, PlatformRole};
use serde_json::{json, Value};
use test_support::{db_test, Backend};

use crate::helpers::{api_error, TestApp};

fn mustermann() -> Value {
    json!({
        "customer_number": "k-10001",
        "postal_code": "10115",
        "name": "Müller & Söhne Bäckerei GmbH",
        "street": "Friedrichstraße 1",
        "city": "Berlin",
        "tariff": "Sekretariat Vermittlung",
        "contact_email": "Jörg.Müller@example.de"
    })
}

async fn create_account_sends_welcome_mail_over_smtp(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.login_operator().await;
    let r = app.post_json("/api/v1/accounts", &mustermann()).await;
    assert_eq!(r.status(), 201);
    let a: Value = r.json().await.unwrap();
    assert_eq!(a["customer_number"], "K-10001");
    assert_eq!(a["country"], "DE");
    assert_eq!(a["time_zone"], "Europe/Berlin");

    let mails = app.smtp.wait_for(1, Duration::from_secs(10)).await;
    let m = &mails[0];
    assert_eq!(m.rcpt, ["Jörg.Müller@example.de"]);
    assert_eq!(m.subject(), "Willkommen bei Kontor, Müller & Söhne Bäckerei GmbH");
    assert!(m.header("From").unwrap().contains("noreply@kontor.test"));
    assert!(m.header("Message-ID").unwrap().ends_with("@kontor.test>"));
    let text = m.text();
    assert!(text.contains("Ihre Kundennummer lautet K-10001."), "{text}");
    assert_eq!(
        m.link_containing("/register").as_deref(),
        Some("http://kontor.test/register")
    );
    assert!(m.html().contains("Müller &#38; Söhne") || m.html().contains("Müller &amp; Söhne"));

    // The outbox row says how it went.
    let sent: Value = app.get("/api/v1/dev/mailbox").await.json().await.unwrap();
    assert_eq!(sent[0]["status"], "sent");
    assert_eq!(sent[0]["delivered_via"], "smtp");
    assert_eq!(sent[0]["account_id"], a["id"]);

    let e = api_error(app.post_json("/api/v1/accounts", &mustermann()).await, 409).await;
    assert_eq!(e["code"], "customer_number_taken");
    assert_eq!(e["field"], "customer_number");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.smtp.received().len(), 1, "no mail for the refused duplicate");

    let got: Value = app
        .get(&format!("/api/v1/accounts/{}", a["id"]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["name"], "Müller & Söhne Bäckerei GmbH");
    api_error(app.get("/api/v1/accounts/999999").await, 404).await;
    api_error(app.get("/api/v1/accounts/abc").await, 404).await;
    app.stop().await;
}

async fn list_search_and_paging(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.login_operator().await;
    for (n, name) in [(1, "Alpha AG"), (2, "beta GmbH"), (3, "Gamma KG"), (4, "Delta_50% OHG")] {
        let body = json!({"customer_number": format!("K-{n}"), "postal_code": "80331", "name": name});
        assert_eq!(app.post_json("/api/v1/accounts", &body).await.status(), 201);
    }
    let page: Value = app.get("/api/v1/accounts?limit=2").await.json().await.unwrap();
    assert_eq!(page["total"], 4);
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Alpha AG", "beta GmbH"], "sorted by name, case-insensitive");
    let page: Value = app.get("/api/v1/accounts?limit=2&offset=2").await.json().await.unwrap();
    assert_eq!(page["items"][0]["name"], "Delta_50% OHG");
    let page: Value = app.get("/api/v1/accounts?search=GMBH").await.json().await.unwrap();
    assert_eq!(page["total"], 1);
    let page: Value = app.get("/api/v1/accounts?search=50%25").await.json().await.unwrap();
    assert_eq!(page["total"], 1, "% is searched literally");
    let page: Value = app.get("/api/v1/accounts?search=k-3").await.json().await.unwrap();
    assert_eq!(page["items"][0]["name"], "Gamma KG");
    let e = api_error(app.get("/api/v1/accounts?limit=zehn").await, 422).await;
    assert_eq!(e["field"], "query");

    let html = app.get("/operator/accounts?q=gamma").await.text().await.unwrap();
    assert!(html.contains("Gamma KG") && !html.contains("Alpha AG"));
    let html = app.get("/operator/accounts?q=zzz").await.text().await.unwrap();
    assert!(html.contains("Kein Account passt zu Ihrer Suche"));
    app.stop().await;
}

async fn operator_form_shows_errors_next_to_fields(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.login_operator().await;
    let r = app
        .post_form(
            "/operator/accounts",
            &[
                ("customer_number", "K-7"),
                ("postal_code", "1"),
                ("name", ""),
                ("country", "DE"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("Bitte korrigieren Sie die markierten Felder."));
    let postal = html.find("id=\"f-postal_code\"").unwrap();
    let postal_err = html.find("id=\"e-postal_code\"").unwrap();
    assert!(
        postal_err > postal && html[postal_err..].starts_with("id=\"e-postal_code\">Bitte eine gültige Postleitzahl")
    );
    assert!(html.contains("id=\"e-name\">Bitte ausfüllen."));
    assert!(html.contains("value=\"K-7\""), "entered values are kept");
    assert_eq!(app.services.accounts.list("", 10, 0).await.unwrap().total, 0);

    let r = app
        .post_form(
            "/operator/accounts",
            &[
                ("customer_number", "K-7"),
                ("postal_code", "10115"),
                ("name", "Sieben GmbH"),
                ("country", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let html = app.get(&location).await.text().await.unwrap();
    assert!(html.contains("Der Kunden-Account wurde angelegt."));
    assert!(html.contains("Sieben GmbH") && html.contains("Noch keine SMS versendet"));

    let r = app
        .post_form(
            "/operator/accounts",
            &[
                ("customer_number", "k-7"),
                ("postal_code", "10115"),
                ("name", "Doppelt"),
            ],
        )
        .await;
    assert_eq!(r.status(), 409);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("id=\"e-customer_number\">Diese Kundennummer ist bereits vergeben."));
    app.stop().await;
}

async fn only_operators_reach_operator_endpoints(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.login_operator().await;
    let a: Value = app
        .post_json("/api/v1/accounts", &mustermann())
        .await
        .json()
        .await
        .unwrap();
    let id = a["id"].as_i64().unwrap();
    app.client.delete(app.at("/api/v1/session")).send().await.unwrap();

    // A customer's super admin and an agent: signed in, but not operators.
    let account = kernel::AccountId(id);
    app.create_user("chefin@mueller.test", None, Some((account, AccountRole::SuperAdmin)))
        .await;
    app.create_user("agent@kontor.test", Some(PlatformRole::Agent), None)
        .await;
    for who in ["chefin@mueller.test", "agent@kontor.test"] {
        app.login(who).await;
        let body = json!({"customer_number": "K-2", "postal_code": "10115", "name": "Fremd"});
        let checks = [
            app.get("/api/v1/accounts").await,
            app.get(&format!("/api/v1/accounts/{id}")).await,
            app.get("/api/v1/outbox/status").await,
            app.post_json("/api/v1/accounts", &body).await,
            app.client
                .put(app.at(&format!("/api/v1/accounts/{id}")))
                .json(&body)
                .send()
                .await
                .unwrap(),
            app.post_json("/api/v1/outbox/test-email", &json!({"to": "x@y.de"}))
                .await,
            app.post_json("/api/v1/outbox/test-sms", &json!({"to": "+4917012345678"}))
                .await,
        ];
        for r in checks {
            let e = api_error(r, 403).await;
            assert_eq!(e["code"], "forbidden");
        }
        // SMS billing: the customer sees their own; the agent is no member.
        let usage = app.get(&format!("/api/v1/accounts/{id}/sms-usage")).await;
        let expected = if who.starts_with("chefin") { 200 } else { 404 };
        assert_eq!(usage.status(), expected, "{who}");
        for page in ["/operator/api-tokens"] {
            assert_eq!(app.get(page).await.status(), 403, "{page}");
        }
        for page in [
            "/operator/accounts",
            &format!("/operator/accounts/{id}"),
            "/operator/accounts/new",
            "/operator/outbox",
        ] {
            assert_eq!(app.get(page).await.status(), 403, "{page}");
        }
        assert_eq!(
            app.post_form(
                "/operator/accounts",
                &[("customer_number", "K-3"), ("postal_code", "10115"), ("name", "X")]
            )
            .await
            .status(),
            403
        );
        // Their own overview works and shows only their own account.
        let html = app.get("/app").await.text().await.unwrap();
        assert_eq!(
            html.contains("Müller &#38; Söhne") || html.contains("Müller &amp; Söhne"),
            who.starts_with("chefin")
        );
        app.client.delete(app.at("/api/v1/session")).send().await.unwrap();
    }
    assert_eq!(app.services.accounts.list("", 10, 0).await.unwrap().total, 1);
    app.stop().await;
}

db_test!(
    create_account_sends_welcome_mail_over_smtp,
    list_search_and_paging,
    operator_form_shows_errors_next_to_fields,
    only_operators_reach_operator_endpoints
);

async fn operator_edits_an_account(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.login_operator().await;
    let a: Value = app
        .post_json("/api/v1/accounts", &mustermann())
        .await
        .json()
        .await
        .unwrap();
    let other = json!({"customer_number": "K-2", "postal_code": "10115", "name": "Zweite GmbH"});
    assert_eq!(app.post_json("/api/v1/accounts", &other).await.status(), 201);
    let id = a["id"].as_i64().unwrap();

    let mut changed = mustermann();
    changed["name"] = json!("Müller & Töchter GmbH");
    changed["contact_email"] = json!(null);
    let r = app
        .client
        .put(app.at(&format!("/api/v1/accounts/{id}")))
        .json(&changed)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let got: Value = r.json().await.unwrap();
    assert_eq!(got["name"], "Müller & Töchter GmbH");
    assert_eq!(got["contact_email"], Value::Null);
    assert_eq!(got["created_at"], a["created_at"]);

    // Taking another account's number is a conflict and changes nothing.
    changed["customer_number"] = json!("k-2");
    let r = app
        .client
        .put(app.at(&format!("/api/v1/accounts/{id}")))
        .json(&changed)
        .send()
        .await
        .unwrap();
    assert_eq!(api_error(r, 409).await["field"], "customer_number");
    let r = app
        .client
        .put(app.at("/api/v1/accounts/999999"))
        .json(&mustermann())
        .send()
        .await
        .unwrap();
    api_error(r, 404).await;

    // The same through the pages.
    let html = app
        .get(&format!("/operator/accounts/{id}/edit"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("value=\"Müller &#38; Töchter GmbH\"") || html.contains("value=\"Müller &amp; Töchter GmbH\""),
        "pre-filled"
    );
    let r = app
        .post_form(
            &format!("/operator/accounts/{id}"),
            &[("customer_number", "K-10001"), ("postal_code", "10117"), ("name", "")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("id=\"e-name\">Bitte ausfüllen."));
    let r = app
        .post_form(
            &format!("/operator/accounts/{id}"),
            &[
                ("customer_number", "K-10001"),
                ("postal_code", "10117"),
                ("name", "Neu AG"),
                ("city", "Berlin"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let html = app.get(&format!("/operator/accounts/{id}")).await.text().await.unwrap();
    assert!(html.contains("Die Änderungen wurden gespeichert.") && html.contains("10117 Berlin"));
    let got: Value = app.get(&format!("/api/v1/accounts/{id}")).await.json().await.unwrap();
    assert_eq!(got["name"], "Neu AG");
    app.stop().await;
}

db_test!(operator_edits_an_account);

async fn operator_disables_and_enables_an_account(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.login_operator().await;
    let a: Value = app
        .post_json("/api/v1/accounts", &mustermann())
        .await
        .json()
        .await
        .unwrap();
    let id = a["id"].as_i64().unwrap();
    let r = app
        .post_form(&format!("/operator/accounts/{id}/status"), &[("status", "disabled")])
        .await;
    assert_eq!(r.status(), 303);
    let html = app.get(&format!("/operator/accounts/{id}")).await.text().await.unwrap();
    assert!(html.contains("Der Account wurde deaktiviert.") && html.contains("badge-danger"));
    let got: Value = app.get(&format!("/api/v1/accounts/{id}")).await.json().await.unwrap();
    assert_eq!(got["status"], "disabled");
    let r = app
        .post_form(&format!("/operator/accounts/{id}/status"), &[("status", "gone")])
        .await;
    assert_eq!(r.status(), 422);
    let r = app
        .client
        .put(app.at(&format!("/api/v1/accounts/{id}/status")))
        .json(&json!({"status": "active"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "active");
    app.stop().await;
}

db_test!(operator_disables_and_enables_an_account);
