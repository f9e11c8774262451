//! Bad input: a clear 4xx with the error JSON, and nothing changed.

use serde_json::json;
use test_support::{db_test, Backend};

use crate::helpers::{api_error, error_fields, TestApp};

async fn account_count(app: &TestApp) -> i64 {
    app.services.accounts.list("", 1, 0).await.unwrap().total
}

async fn malformed_wrong_types_oversized(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.login_operator().await;
    let post_raw = |body: Vec<u8>, ct: &'static str| {
        app.client
            .post(app.at("/api/v1/accounts"))
            .header("content-type", ct)
            .header("accept-language", "en")
            .body(body)
            .send()
    };

    let e = api_error(
        post_raw(b"{\"customer_number\": ".to_vec(), "application/json")
            .await
            .unwrap(),
        400,
    )
    .await;
    assert_eq!(e["code"], "malformed_json");

    let body = json!({"customer_number": 12, "postal_code": "10115", "name": "X"}).to_string();
    let e = api_error(post_raw(body.into_bytes(), "application/json").await.unwrap(), 422).await;
    assert_eq!(e["code"], "invalid_field");
    assert_eq!(e["field"], "customer_number");

    let body = json!({"customer_number": "K-1", "postal_code": "10115", "name": "X", "colour": "blue"}).to_string();
    let e = api_error(post_raw(body.into_bytes(), "application/json").await.unwrap(), 422).await;
    assert_eq!(e["field"], "colour", "unknown fields are named: {e}");

    let body = json!({"customer_number": "K-1", "name": "X"}).to_string();
    let e = api_error(post_raw(body.into_bytes(), "application/json").await.unwrap(), 422).await;
    assert_eq!(e["field"], "postal_code");

    let e = api_error(
        post_raw(b"customer_number=1".to_vec(), "application/x-www-form-urlencoded")
            .await
            .unwrap(),
        415,
    )
    .await;
    assert_eq!(e["code"], "unsupported_media_type");

    let huge = json!({"customer_number": "K-1", "postal_code": "10115", "name": "x".repeat(400_000)}).to_string();
    let e = api_error(post_raw(huge.into_bytes(), "application/json").await.unwrap(), 413).await;
    assert_eq!(e["code"], "payload_too_large");
    assert!(e["message"].as_str().unwrap().contains("256 KiB"));

    assert_eq!(account_count(&app).await, 0, "nothing was written");
    app.stop().await;
}

async fn validation_lists_every_field_in_the_callers_language(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.login_operator().await;
    let bad = json!({"customer_number": "K 1", "postal_code": "", "name": "", "contact_email": "kein-at"});
    let r = app
        .client
        .post(app.at("/api/v1/accounts"))
        .header("accept-language", "de-DE,de;q=0.9")
        .json(&bad)
        .send()
        .await
        .unwrap();
    let e = api_error(r, 422).await;
    assert_eq!(e["code"], "customer_number_invalid");
    assert_eq!(e["field"], "customer_number");
    let fields = error_fields(&e);
    assert_eq!(fields, ["customer_number", "postal_code", "name", "contact_email"]);
    assert_eq!(e["details"][1]["message"], "Bitte ausfüllen.");

    // The signed-in user's language wins over the header.
    app.client
        .patch(app.at("/api/v1/me"))
        .json(&json!({"language": "en"}))
        .send()
        .await
        .unwrap();
    let r = app
        .client
        .post(app.at("/api/v1/accounts"))
        .header("accept-language", "de")
        .json(&bad)
        .send()
        .await
        .unwrap();
    let e = api_error(r, 422).await;
    assert_eq!(e["details"][1]["message"], "Please fill in this field.");
    let e = api_error(
        app.client
            .patch(app.at("/api/v1/me"))
            .json(&json!({"language": "fr"}))
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(e["field"], "language");
    assert_eq!(account_count(&app).await, 0);
    app.stop().await;
}

async fn cross_site_requests_are_refused(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.login_operator().await;
    let body = json!({"customer_number": "K-1", "postal_code": "10115", "name": "Evil GmbH"});
    let r = app
        .client
        .post(app.at("/api/v1/accounts"))
        .header("origin", "https://evil.example")
        .json(&body)
        .send()
        .await
        .unwrap();
    let e = api_error(r, 403).await;
    assert_eq!(e["code"], "csrf_failed");
    let r = app
        .client
        .post(app.at("/api/v1/accounts"))
        .header("sec-fetch-site", "cross-site")
        .json(&body)
        .send()
        .await
        .unwrap();
    api_error(r, 403).await;
    // Same origin is fine.
    let origin = app.url.clone();
    let r = app
        .client
        .post(app.at("/api/v1/accounts"))
        .header("origin", origin)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(account_count(&app).await, 1);
    app.stop().await;
}

db_test!(
    malformed_wrong_types_oversized,
    validation_lists_every_field_in_the_callers_language,
    cross_site_requests_are_refused
);
