use serde_json::Value;
use test_support::{db_test, Backend};

use crate::helpers::{api_error, TestApp};

async fn health_ready_hello_and_headers(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let r = app.get("/healthz").await;
    assert_eq!(r.status(), 200);
    let r = app.get("/readyz").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "ready");
    let r = app.get("/api/v1/hello").await;
    assert_eq!(r.status(), 200);
    // Every response carries a request id and the security headers.
    let h = r.headers();
    assert!(h.get("x-request-id").is_some());
    assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
    // Framing only by our own pages (the Info Counter dock), never by others.
    assert_eq!(h.get("x-frame-options").unwrap(), "SAMEORIGIN");
    let csp = h.get("content-security-policy").unwrap().to_str().unwrap();
    assert!(csp.contains("default-src 'self'"));
    assert!(csp.contains("frame-ancestors 'self'"));
    // A request id sent by a proxy is kept.
    let r = app
        .client
        .get(app.at("/healthz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers().get("x-request-id").unwrap(), "abc-123");
    app.stop().await;
}

async fn readyz_fails_when_database_is_gone(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.services.db.close().await;
    let r = app.get("/readyz").await;
    assert_eq!(r.status(), 503);
    assert_eq!(app.get("/healthz").await.status(), 200, "process still up");
    app.stop().await;
}

async fn openapi_document_and_docs_page(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for (path, method) in [
        ("/api/v1/accounts", "post"),
        ("/api/v1/accounts/{id}", "get"),
        ("/api/v1/session", "post"),
        ("/api/v1/session", "delete"),
        ("/api/v1/me", "get"),
        ("/api/v1/dev/mailbox", "get"),
        ("/healthz", "get"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} documented");
    }
    assert!(doc["components"]["schemas"]["AccountInput"]["properties"]["customer_number"].is_object());
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    let page = app.get("/api/docs").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("/api/v1/accounts/{id}/sms-usage"));
    assert!(html.contains("customer_number"), "request schema shown");
    app.stop().await;
}

async fn unknown_routes_and_methods(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let e = api_error(app.get("/api/v1/nope").await, 404).await;
    assert_eq!(e["code"], "not_found");
    let e = api_error(app.client.put(app.at("/api/v1/hello")).send().await.unwrap(), 405).await;
    assert_eq!(e["code"], "method_not_allowed");
    let r = app.get("/does-not-exist").await;
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("Seite nicht gefunden"));
    // Pages need a session: redirect to the sign-in page, keeping the target.
    let r = app.get("/operator/accounts?q=x").await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login?next=%2Foperator%2Faccounts");
    app.stop().await;
}

db_test!(
    health_ready_hello_and_headers,
    readyz_fails_when_database_is_gone,
    openapi_document_and_docs_page,
    unknown_routes_and_methods
);
