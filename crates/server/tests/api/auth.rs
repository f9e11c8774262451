//! Signing in and out through the API and the pages; sessions, cookies, CSRF.

use serde_json::json;
use test_support::{db_test, Backend};

use crate::helpers::{api_error, client, TestApp, OPERATOR_EMAIL, PASSWORD};

async fn api_login_me_logout(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user(OPERATOR_EMAIL, Some(domain::identity::PlatformRole::Operator), None)
        .await;

    let e = api_error(app.get("/api/v1/me").await, 401).await;
    assert_eq!(e["code"], "unauthenticated");

    // Wrong password and unknown e-mail answer alike.
    let wrong = app
        .post_json(
            "/api/v1/session",
            &json!({"email": OPERATOR_EMAIL, "password": "falsch-falsch-falsch"}),
        )
        .await;
    let e1 = api_error(wrong, 401).await;
    let unknown = app
        .post_json(
            "/api/v1/session",
            &json!({"email": "niemand@kontor.test", "password": PASSWORD}),
        )
        .await;
    let e2 = api_error(unknown, 401).await;
    assert_eq!(e1, e2);
    assert_eq!(e1["code"], "invalid_credentials");
    let e = api_error(
        app.post_json("/api/v1/session", &json!({"email": "", "password": "x"}))
            .await,
        422,
    )
    .await;
    assert_eq!(e["field"], "email");

    // E-mail is case-insensitive.
    let r = app
        .post_json(
            "/api/v1/session",
            &json!({"email": "  OLIVIA@Kontor.test", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let cookie = r.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(cookie.starts_with("kontor_session="));
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"));
    assert!(!cookie.contains("Secure"), "plain http base URL");

    let me: serde_json::Value = app.get("/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["user"]["email"], OPERATOR_EMAIL);
    assert_eq!(me["user"]["platform_role"], "operator");
    assert!(me["user"]["last_login_at"].is_i64());
    assert!(me["user"].get("password_hash").is_none());

    let r = app.client.delete(app.at("/api/v1/session")).send().await.unwrap();
    assert_eq!(r.status(), 204);
    api_error(app.get("/api/v1/me").await, 401).await;

    // The token is dead on the server too, not just forgotten by the client.
    let token = cookie.split(';').next().unwrap().to_string();
    let r = client()
        .get(app.at("/api/v1/me"))
        .header("cookie", token)
        .send()
        .await
        .unwrap();
    api_error(r, 401).await;
    app.stop().await;
}

async fn page_login_with_csrf_and_safe_redirect(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user(OPERATOR_EMAIL, Some(domain::identity::PlatformRole::Operator), None)
        .await;

    // No or tampered CSRF token: refused, nobody signed in.
    let r = app
        .client
        .post(app.at("/login"))
        .form(&[("email", OPERATOR_EMAIL), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("Formular ist abgelaufen"));
    let token = app.csrf().await;
    let tampered = TestApp::tamper(&token);
    let r = app
        .client
        .post(app.at("/login"))
        .form(&[
            ("_csrf", tampered.as_str()),
            ("email", OPERATOR_EMAIL),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(app.get("/api/v1/me").await.status(), 401);

    // Wrong password: the form comes back with the message and the e-mail kept.
    let r = app
        .post_form("/login", &[("email", OPERATOR_EMAIL), ("password", "nope-nope-nope")])
        .await;
    assert_eq!(r.status(), 401);
    let html = r.text().await.unwrap();
    assert!(html.contains("E-Mail-Adresse oder Passwort ist falsch."));
    assert!(html.contains(&format!("value=\"{OPERATOR_EMAIL}\"")));

    // An external `next` is ignored; a local one is followed.
    let r = app
        .post_form(
            "/login",
            &[
                ("email", OPERATOR_EMAIL),
                ("password", PASSWORD),
                ("next", "//evil.example/x"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/app");
    let html = app.get("/app").await.text().await.unwrap();
    assert!(html.contains("Sie sind angemeldet."), "flash shown once");
    assert!(
        !app.get("/app")
            .await
            .text()
            .await
            .unwrap()
            .contains("Sie sind angemeldet."),
        "and only once"
    );

    app.post_form("/logout", &[]).await;
    let r = app
        .post_form(
            "/login",
            &[
                ("email", OPERATOR_EMAIL),
                ("password", PASSWORD),
                ("next", "/operator/accounts"),
            ],
        )
        .await;
    assert_eq!(r.headers()["location"], "/operator/accounts");
    app.stop().await;
}

async fn language_follows_header_cookie_and_profile(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let login = |lang: &'static str| app.client.get(app.at("/login")).header("accept-language", lang).send();
    assert!(login("en-GB")
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .contains("Sign in with your e-mail"));
    assert!(
        login("fr")
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains("Melden Sie sich"),
        "German by default"
    );
    // The switch sets a cookie that beats the header …
    let r = app
        .post_form("/language", &[("language", "en"), ("next", "/login")])
        .await;
    assert_eq!(r.headers()["location"], "/login");
    assert!(login("de")
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .contains("Sign in with your e-mail"));
    // … and for a signed-in user, it is stored in the profile.
    app.create_user(OPERATOR_EMAIL, Some(domain::identity::PlatformRole::Operator), None)
        .await;
    app.login(OPERATOR_EMAIL).await;
    app.post_form("/language", &[("language", "en"), ("next", "/app")])
        .await;
    let me: serde_json::Value = app.get("/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["user"]["language"], "en");
    let r = app.post_form("/language", &[("language", "xx")]).await;
    assert_eq!(r.status(), 422);
    app.stop().await;
}

db_test!(
    api_login_me_logout,
    page_login_with_csrf_and_safe_redirect,
    language_follows_header_cookie_and_profile
);

/// Repeated wrong passwords lock the e-mail address with growing waits,
/// for unknown addresses exactly as for known ones.
async fn login_is_throttled_per_email(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user(OPERATOR_EMAIL, Some(domain::identity::PlatformRole::Operator), None)
        .await;
    for email in [OPERATOR_EMAIL, "niemand@kontor.test"] {
        for _ in 0..5 {
            let r = app
                .post_json(
                    "/api/v1/session",
                    &json!({"email": email, "password": "falsch-falsch-falsch"}),
                )
                .await;
            assert_eq!(r.status(), 401);
        }
        let r = app
            .post_json("/api/v1/session", &json!({"email": email, "password": PASSWORD}))
            .await;
        assert_eq!(r.headers()["retry-after"], "30");
        let e = api_error(r, 429).await;
        assert_eq!(e["code"], "rate_limited");
        assert_eq!(e["message"], "Zu viele Versuche. Bitte warten Sie 30 Sekunden.");
    }
    // The page says so too.
    let r = app
        .post_form("/login", &[("email", OPERATOR_EMAIL), ("password", PASSWORD)])
        .await;
    assert_eq!(r.status(), 429);
    assert!(r.text().await.unwrap().contains("Zu viele Versuche"));
    app.stop().await;
}

/// The lock runs out, doubles on the next failure, and a success clears it
/// (manual clock, no sleeping).
async fn login_lock_expires_and_grows(backend: Backend) {
    use kernel::{ManualClock, Timestamp};
    use std::sync::Arc;
    let Some(t) = test_support::TestDb::create(backend).await else {
        return;
    };
    let db = store::Db::open(&t.url).await.unwrap();
    let clock = Arc::new(ManualClock::new(Timestamp(1_800_000_000_000)));
    let s = kontor::Services::new(db, "http://kontor.test", clock.clone());
    s.identity
        .create_user(domain::identity::UserInput {
            email: "a@kontor.test",
            password: Some(PASSWORD),
            first_name: "A",
            last_name: "B",
            language: kernel::Lang::De,
            platform_role: None,
            membership: None,
        })
        .await
        .unwrap();
    let login = |pw: &'static str| s.identity.login("a@kontor.test", pw, "test", "10.1.1.1");
    for _ in 0..5 {
        assert!(matches!(
            login("nein-nein-nein").await,
            Err(kernel::DomainError::Unauthenticated { .. })
        ));
    }
    assert!(matches!(
        login(PASSWORD).await,
        Err(kernel::DomainError::RateLimited { retry_after_secs: 30 })
    ));
    clock.advance_secs(31);
    assert!(matches!(
        login("nein-nein-nein").await,
        Err(kernel::DomainError::Unauthenticated { .. })
    ));
    assert!(matches!(
        login(PASSWORD).await,
        Err(kernel::DomainError::RateLimited { retry_after_secs: 60 })
    ));
    clock.advance_secs(61);
    assert!(login(PASSWORD).await.is_ok(), "success after the lock");
    assert!(matches!(
        login("nein-nein-nein").await,
        Err(kernel::DomainError::Unauthenticated { .. })
    ));
    assert!(login(PASSWORD).await.is_ok(), "counter was reset by the success");
}

db_test!(login_is_throttled_per_email, login_lock_expires_and_grows);

/// Portal forms refuse a missing or tampered CSRF token and change nothing.
async fn portal_forms_need_the_csrf_token(backend: Backend) {
    use domain::accounts::AccountInput;
    use domain::identity::AccountRole;
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let a = app
        .services
        .accounts
        .create(&AccountInput {
            customer_number: "K-1".into(),
            postal_code: "10115".into(),
            name: "Firma".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .id;
    app.create_user("chef@firma.test", None, Some((a, AccountRole::SuperAdmin)))
        .await;
    app.login("chef@firma.test").await;
    let token = app.csrf().await;
    let tampered = TestApp::tamper(&token);
    let registration = [
        ("email", "neu@firma.test"),
        ("customer_number", "K-1"),
        ("postal_code", "10115"),
        ("first_name", "Neu"),
        ("last_name", "Person"),
        ("privacy_accepted", "on"),
    ];
    let invite = [
        ("email", "gast@firma.test"),
        ("first_name", "G"),
        ("last_name", "A"),
        ("role", "member"),
    ];
    for csrf in ["", tampered.as_str()] {
        let mut fields = vec![("_csrf", csrf)];
        fields.extend_from_slice(&registration);
        let r = app
            .client
            .post(app.at("/register/details"))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let mut fields = vec![("_csrf", csrf)];
        fields.extend_from_slice(&invite);
        let r = app
            .client
            .post(app.at(&format!("/portal/{a}/users")))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(app.smtp.received().is_empty(), "no mail was sent");
    let users: serde_json::Value = app
        .get(&format!("/api/v1/accounts/{a}/users"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(users.as_array().unwrap().len(), 1, "nobody was invited");
    app.stop().await;
}

db_test!(portal_forms_need_the_csrf_token);
