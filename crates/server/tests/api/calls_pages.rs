//! The call pages without a browser: the console and call screen for
//! agents (claim, lost race, note with field errors, correction), the
//! customer's dashboard, statistics with a bad period and call detail,
//! the operator's service-number and API-token pages, and who may see what.

use domain::identity::{AccountRole, PlatformRole};
use serde_json::{json, Value};
use test_support::{db_test, Backend};

use crate::helpers::{client, TestApp};
use crate::portal::{account, mail};

async fn status_text(r: reqwest::Response) -> (u16, String) {
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn json_ok(r: reqwest::Response) -> Value {
    assert!(r.status().is_success(), "{}", r.status());
    r.json().await.unwrap()
}

async fn pages_for_agents_customers_and_the_operator(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.login_operator().await;
    let a = account(&app, "K-1", "10115").await;
    let b = account(&app, "K-2", "20095").await;

    // Operator: a bad number is explained next to the field; a good one is listed.
    let (s, html) = status_text(
        app.post_form(&format!("/operator/accounts/{a}/service-numbers"), &[("number", "abc")])
            .await,
    )
    .await;
    assert_eq!(s, 422);
    assert!(
        html.contains("keine gültige Rufnummer") || html.contains("gültige Rufnummer"),
        "{html}"
    );
    let r = app
        .post_form(
            &format!("/operator/accounts/{a}/service-numbers"),
            &[("number", "030 1234567")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let html = app.get(&format!("/operator/accounts/{a}")).await.text().await.unwrap();
    assert!(html.contains("+49301234567"));
    let (s, html) = status_text(
        app.post_form(
            &format!("/operator/accounts/{b}/service-numbers"),
            &[("number", "+49301234567")],
        )
        .await,
    )
    .await;
    assert_eq!(s, 409);
    assert!(html.contains("bereits einem Kunden zugeordnet"));

    // API token: the secret is shown once, not cached, and works.
    let r = app.post_form("/operator/api-tokens", &[("name", "")]).await;
    assert_eq!(r.status(), 422);
    let r = app
        .post_form("/operator/api-tokens", &[("name", "Anlage Berlin")])
        .await;
    assert_eq!(r.headers()["cache-control"], "no-store");
    let html = r.text().await.unwrap();
    let start = html.find("kt_").expect("secret shown");
    let secret: String = html[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    let again = app.get("/operator/api-tokens").await.text().await.unwrap();
    assert!(!again.contains(&secret), "shown only once");
    assert!(again.contains("Anlage Berlin"));

    let anna = json_ok(
        app.post_json(
            &format!("/api/v1/accounts/{a}/employees"),
            &json!({"name": "Anna Berg", "email": "anna@a.test"}),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .unwrap();

    // Agents: the console lists the call; a customer may not open it.
    app.create_user("agent@kontor.test", Some(PlatformRole::Agent), None)
        .await;
    app.create_user("agent2@kontor.test", Some(PlatformRole::Agent), None)
        .await;
    app.create_user("chef@a.test", None, Some((a, AccountRole::Admin)))
        .await;
    app.create_user("chef@b.test", None, Some((b, AccountRole::Admin)))
        .await;
    let agent = app.second_client();
    agent.login("agent@kontor.test").await;
    let agent2 = app.second_client();
    agent2.login("agent2@kontor.test").await;
    let chef = app.second_client();
    chef.login("chef@a.test").await;
    let other = app.second_client();
    other.login("chef@b.test").await;

    let call = json_ok(
        client()
            .post(app.at("/api/v1/calls"))
            .bearer_auth(&secret)
            .json(&json!({"service_number": "+49301234567", "caller_id": "+4940123456"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let id = call["id"].as_i64().unwrap();
    let html = agent.get("/agent").await.text().await.unwrap();
    assert!(html.contains(&format!("data-call=\"{id}\"")) && html.contains("+4940123456"));
    assert_eq!(chef.get("/agent").await.status(), 403);
    assert_eq!(chef.get(&format!("/agent/calls/{id}")).await.status(), 403);

    // Claim by form; the second agent is told someone else was first.
    assert_eq!(
        agent.post_form(&format!("/agent/calls/{id}/claim"), &[]).await.status(),
        303
    );
    let r = agent2.post_form(&format!("/agent/calls/{id}/claim"), &[]).await;
    assert_eq!(r.headers()["location"], "/agent");
    let html = agent2.get("/agent").await.text().await.unwrap();
    assert!(html.contains("bereits ein anderer Agent"), "flash about the lost race");
    let html = agent2.get(&format!("/agent/calls/{id}")).await.text().await.unwrap();
    assert!(html.contains("Dieser Anruf wird bearbeitet von") && !html.contains("data-note-form"));

    // The note form: missing fields are named, nothing is sent.
    let (s, html) = status_text(
        agent
            .post_form(&format!("/agent/calls/{id}/note"), &[("employee_id", "")])
            .await,
    )
    .await;
    assert_eq!(s, 422);
    assert!(html.contains("id=\"e-employee_id\""));
    let anna_s = anna.to_string();
    let (s, html) = status_text(
        agent
            .post_form(
                &format!("/agent/calls/{id}/note"),
                &[
                    ("employee_id", &anna_s),
                    ("outcome", "message"),
                    ("caller_name", "Herr Meier"),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(s, 422);
    assert!(
        html.contains("id=\"e-concern\"") && html.contains("value=\"Herr Meier\""),
        "values kept"
    );
    let r = agent
        .post_form(
            &format!("/agent/calls/{id}/note"),
            &[
                ("employee_id", &anna_s),
                ("outcome", "message"),
                ("caller_name", "Herr Meier"),
                ("concern", "Rückruf <bitte>"),
            ],
        )
        .await;
    assert_eq!(r.headers()["location"], "/agent");
    mail(&app, 1).await;
    // A correction from the call page.
    let r = agent
        .post_form(
            &format!("/agent/calls/{id}/correction"),
            &[
                ("employee_id", &anna_s),
                ("outcome", "message"),
                ("caller_name", "Herr Meyer"),
                ("concern", "Rückruf bitte heute"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert!(mail(&app, 2).await.subject().starts_with("Korrektur:"));

    // Customers: dashboard, detail with both notes (escaped), statistics.
    let html = chef.get(&format!("/portal/{a}/calls")).await.text().await.unwrap();
    assert!(html.contains("Herr Meyer") && html.contains("Rückruf bitte heute"));
    let html = chef.get(&format!("/portal/{a}/calls/{id}")).await.text().await.unwrap();
    assert!(
        html.contains("Rückruf &") && !html.contains("<bitte>"),
        "old note kept, escaped"
    );
    assert!(html.contains("Korrektur"));
    let html = chef
        .get(&format!("/portal/{a}/statistics?preset=today"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-stat-total>1<"), "one call today");
    let (s, html) = status_text(
        chef.get(&format!(
            "/portal/{a}/statistics?preset=custom&from=2026-05-01&to=2026-04-01"
        ))
        .await,
    )
    .await;
    assert_eq!(s, 200);
    assert!(html.contains("id=\"e-to\"") && html.contains("Das Ende liegt vor dem Anfang."));
    let (s, _) = status_text(chef.get(&format!("/portal/{a}/statistics?bogus=1")).await).await;
    assert_eq!(s, 422);
    // Another account's admin sees none of it.
    for path in [
        format!("/portal/{a}/calls"),
        format!("/portal/{a}/calls/{id}"),
        format!("/portal/{a}/statistics"),
    ] {
        assert_eq!(other.get(&path).await.status(), 404, "{path}");
    }
    assert_eq!(other.get(&format!("/portal/{b}/calls/{id}")).await.status(), 404);
    app.stop().await;
}

db_test!(pages_for_agents_customers_and_the_operator);
