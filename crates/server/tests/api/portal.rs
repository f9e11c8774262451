//! The customer portal over the JSON API, reading links from delivered
//! e-mails: registration → confirmation → approval → welcome → sign-in;
//! rejection, invitation, password reset; bad input at every step; roles;
//! and that an admin of one account can neither see nor touch another.

use std::time::Duration;

use domain::accounts::AccountInput;
use domain::identity::AccountRole;
use serde_json::{json, Value};
use test_support::{db_test, Backend, ReceivedMail};

use crate::helpers::{api_error, client, error_fields, TestApp, PASSWORD};

const NEW_PASSWORD: &str = "Neues-Passwort-2026!";

pub(crate) async fn account(app: &TestApp, number: &str, zip: &str) -> kernel::AccountId {
    app.services
        .accounts
        .create(&AccountInput {
            customer_number: number.into(),
            postal_code: zip.into(),
            name: format!("Firma {number}"),
            ..Default::default()
        })
        .await
        .unwrap()
        .id
}

fn registration(email: &str, number: &str, zip: &str) -> Value {
    json!({
        "email": email, "customer_number": number, "postal_code": zip,
        "first_name": "Jörg", "last_name": "Müller", "privacy_accepted": true, "marketing_accepted": true
    })
}

/// The token at the end of the first link containing `path`.
pub(crate) fn token(mail: &ReceivedMail, path: &str) -> String {
    let link = mail
        .link_containing(path)
        .unwrap_or_else(|| panic!("no {path} link in {}", mail.text()));
    link.rsplit('/').next().unwrap().to_string()
}

/// Waits for the `n`-th mail (1-based) and returns it.
pub(crate) async fn mail(app: &TestApp, n: usize) -> ReceivedMail {
    app.smtp.wait_for(n, Duration::from_secs(10)).await[n - 1].clone()
}

pub(crate) async fn no_more_mail(app: &TestApp, n: usize) {
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(app.smtp.received().len(), n, "no further mail");
}

async fn registration_approval_welcome_login(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let a = account(&app, "K-100", "10115").await;
    app.create_user("chefin@firma.test", None, Some((a, AccountRole::SuperAdmin)))
        .await;

    let r = app
        .post_json(
            "/api/v1/registrations",
            &registration("Joerg@Firma.test", "k-100", "10115"),
        )
        .await;
    assert_eq!(r.status(), 202);
    let m = mail(&app, 1).await;
    assert_eq!(m.rcpt, ["Joerg@Firma.test"]);
    assert_eq!(m.subject(), "Bitte bestätigen Sie Ihre Registrierung bei Kontor");
    let confirm = token(&m, "/register/confirm/");
    assert!(confirm.len() >= 43, "256-bit token");

    let bad = app
        .post_json("/api/v1/registrations/confirm", &json!({"token": "falsch"}))
        .await;
    assert_eq!(api_error(bad, 401).await["code"], "link_invalid");
    let r = app
        .post_json("/api/v1/registrations/confirm", &json!({"token": confirm}))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "pending_approval");
    let again = app
        .post_json("/api/v1/registrations/confirm", &json!({"token": confirm}))
        .await;
    assert_eq!(api_error(again, 401).await["code"], "link_used");

    let m = mail(&app, 2).await;
    assert_eq!(m.rcpt, ["chefin@firma.test"]);
    assert!(m.subject().contains("Jörg Müller"));
    assert!(m.link_containing(&format!("/portal/{a}/registrations")).is_some());

    app.login("chefin@firma.test").await;
    let list: Value = app
        .get(&format!("/api/v1/accounts/{a}/registrations?status=pending_approval"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["email"], "Joerg@Firma.test");
    assert_eq!(list[0]["marketing_consent"], true);
    let rid = list[0]["id"].as_i64().unwrap();
    let r = app
        .post_json(&format!("/api/v1/accounts/{a}/registrations/{rid}/approve"), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let user: Value = r.json().await.unwrap();
    assert_eq!(user["status"], "invited");
    let twice = app
        .post_json(&format!("/api/v1/accounts/{a}/registrations/{rid}/approve"), &json!({}))
        .await;
    assert_eq!(api_error(twice, 409).await["code"], "registration_not_pending");

    let m = mail(&app, 3).await;
    let welcome = token(&m, "/welcome/");
    // An invited user cannot sign in yet.
    let c = client();
    let r = c
        .post(app.at("/api/v1/session"))
        .json(&json!({"email": "joerg@firma.test", "password": NEW_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    let activate = |terms: bool, privacy: bool, pw: &str| {
        app.post_owned(
            "/api/v1/activation",
            json!({"token": welcome, "accept_terms": terms, "accept_privacy": privacy, "password": pw}),
        )
    };
    let e = api_error(activate(false, false, "kurz").await, 422).await;
    let fields = error_fields(&e);
    assert_eq!(fields, ["accept_terms", "accept_privacy", "password"]);
    let e = api_error(activate(true, true, "123456789012").await, 422).await;
    assert_eq!(e["code"], "password_too_common");
    let r = activate(true, true, NEW_PASSWORD).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "active");
    assert_eq!(
        api_error(activate(true, true, NEW_PASSWORD).await, 401).await["code"],
        "link_used"
    );

    let r = c
        .post(app.at("/api/v1/session"))
        .json(&json!({"email": "joerg@firma.test", "password": NEW_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let me: Value = r.json().await.unwrap();
    assert_eq!(me["memberships"][0]["role"], "member");
    assert_eq!(me["memberships"][0]["account_id"], a.0);
    let consents: Value = c
        .get(app.at("/api/v1/me/consents"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = consents
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["privacy", "marketing", "terms", "privacy"]);
    assert!(consents
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["version"] == "2026-11" && c["given_at"].is_i64()));

    // Marketing consent can be withdrawn and given again.
    let r = c
        .patch(app.at("/api/v1/me"))
        .json(&json!({"marketing_consent": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let consents: Value = c
        .get(app.at("/api/v1/me/consents"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(consents[1]["withdrawn_at"].is_i64());
    // Finishing the registration handed out the personal conference room.
    let room = mail(&app, 4).await;
    assert!(
        room.subject().starts_with("Ihr persönlicher Konferenzraum"),
        "{}",
        room.subject()
    );
    assert!(room.text().contains("Zugangs-PIN:"));
    no_more_mail(&app, 4).await;
    app.stop().await;
}

async fn registration_bad_input_changes_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let a = account(&app, "K-200", "80331").await;
    let mut no_privacy = registration("neu@firma.test", "K-200", "80331");
    no_privacy["privacy_accepted"] = json!(false);
    no_privacy["first_name"] = json!(" ");
    let e = api_error(app.post_json("/api/v1/registrations", &no_privacy).await, 422).await;
    let fields = error_fields(&e);
    assert_eq!(fields, ["first_name", "privacy_accepted"]);
    let mut missing = registration("neu@firma.test", "K-200", "80331");
    missing.as_object_mut().unwrap().remove("privacy_accepted");
    assert_eq!(
        api_error(app.post_json("/api/v1/registrations", &missing).await, 422).await["field"],
        "privacy_accepted"
    );
    let e = api_error(
        app.post_json("/api/v1/registrations", &registration("kaputt", "K-200", "80331"))
            .await,
        422,
    )
    .await;
    assert_eq!(e["field"], "email");

    // A wrong pair is named; after five, the client is locked out for a while.
    for _ in 0..5 {
        let e = api_error(
            app.post_json(
                "/api/v1/registrations",
                &registration("neu@firma.test", "K-200", "10115"),
            )
            .await,
            422,
        )
        .await;
        assert_eq!(e["code"], "customer_pair_mismatch");
        assert_eq!(e["field"], "customer_number");
    }
    let r = app
        .post_json(
            "/api/v1/registrations",
            &registration("neu@firma.test", "K-200", "80331"),
        )
        .await;
    assert_eq!(api_error(r, 429).await["code"], "rate_limited");
    no_more_mail(&app, 0).await;

    // Nothing was stored: the super admin sees no registration.
    app.create_user("chef@firma.test", None, Some((a, AccountRole::SuperAdmin)))
        .await;
    app.login("chef@firma.test").await;
    let list: Value = app
        .get(&format!("/api/v1/accounts/{a}/registrations?status=unconfirmed"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!([]));
    app.stop().await;
}

async fn disabled_account_and_known_email(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let a = account(&app, "K-300", "50667").await;
    app.create_user("bekannt@firma.test", None, Some((a, AccountRole::Member)))
        .await;
    // A registered address gets the same answer, and a different mail.
    let r = app
        .post_json(
            "/api/v1/registrations",
            &registration("BEKANNT@firma.test", "K-300", "50667"),
        )
        .await;
    assert_eq!(r.status(), 202);
    let m = mail(&app, 1).await;
    assert_eq!(m.subject(), "Sie haben bereits ein Kontor-Konto");
    assert!(m.link_containing("/password/forgot").is_some());
    assert!(m.link_containing("/register/confirm/").is_none());
    // So does an address with a registration in progress.
    assert_eq!(
        app.post_json(
            "/api/v1/registrations",
            &registration("neu@firma.test", "K-300", "50667")
        )
        .await
        .status(),
        202
    );
    assert!(mail(&app, 2).await.subject().contains("bestätigen"));
    assert_eq!(
        app.post_json(
            "/api/v1/registrations",
            &registration("neu@firma.test", "K-300", "50667")
        )
        .await
        .status(),
        202
    );
    assert_eq!(mail(&app, 3).await.subject(), "Sie haben bereits ein Kontor-Konto");

    // A disabled customer account takes no registrations.
    app.login_operator().await;
    let r = app
        .client
        .put(app.at(&format!("/api/v1/accounts/{a}/status")))
        .json(&json!({"status": "disabled"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let e = api_error(
        app.post_json("/api/v1/registrations", &registration("x@firma.test", "K-300", "50667"))
            .await,
        422,
    )
    .await;
    assert_eq!(e["code"], "customer_pair_mismatch");
    no_more_mail(&app, 3).await;
    app.stop().await;
}

async fn rejection_with_reason(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let a = account(&app, "K-400", "20095").await;
    app.create_user("chef@firma.test", None, Some((a, AccountRole::SuperAdmin)))
        .await;
    app.post_json(
        "/api/v1/registrations",
        &registration("bewerber@firma.test", "K-400", "20095"),
    )
    .await;
    let confirm = token(&mail(&app, 1).await, "/register/confirm/");
    app.post_json("/api/v1/registrations/confirm", &json!({"token": confirm}))
        .await;
    mail(&app, 2).await;
    app.login("chef@firma.test").await;
    let list: Value = app
        .get(&format!("/api/v1/accounts/{a}/registrations"))
        .await
        .json()
        .await
        .unwrap();
    let rid = list[0]["id"].as_i64().unwrap();
    let long = "x".repeat(501);
    let e = api_error(
        app.post_json(
            &format!("/api/v1/accounts/{a}/registrations/{rid}/reject"),
            &json!({"reason": long}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(e["field"], "reason");
    let r = app
        .post_json(
            &format!("/api/v1/accounts/{a}/registrations/{rid}/reject"),
            &json!({"reason": "Kein Mitarbeiter bei uns."}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let m = mail(&app, 3).await;
    assert_eq!(m.rcpt, ["bewerber@firma.test"]);
    assert!(m.text().contains("Begründung: Kein Mitarbeiter bei uns."));
    let e = api_error(
        app.post_json(&format!("/api/v1/accounts/{a}/registrations/{rid}/approve"), &json!({}))
            .await,
        409,
    )
    .await;
    assert_eq!(e["code"], "registration_not_pending");
    // After a rejection the address may register again.
    assert_eq!(
        app.post_json(
            "/api/v1/registrations",
            &registration("bewerber@firma.test", "K-400", "20095")
        )
        .await
        .status(),
        202
    );
    assert!(mail(&app, 4).await.subject().contains("bestätigen"));
    app.stop().await;
}

async fn invitation_roles_and_disable(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let a = account(&app, "K-500", "01067").await;
    let chef = app
        .create_user("chef@firma.test", None, Some((a, AccountRole::SuperAdmin)))
        .await;
    let admin = app
        .create_user("admin@firma.test", None, Some((a, AccountRole::Admin)))
        .await;
    let member = app
        .create_user("mitglied@firma.test", None, Some((a, AccountRole::Member)))
        .await;

    // A member may not manage users; an admin may invite, but no super admin.
    app.login("mitglied@firma.test").await;
    assert_eq!(
        api_error(app.get(&format!("/api/v1/accounts/{a}/users")).await, 403).await["code"],
        "forbidden"
    );
    app.login("admin@firma.test").await;
    let invite = json!({"email": "neu@firma.test", "first_name": "Nina", "last_name": "Neu", "role": "member"});
    let mut as_super = invite.clone();
    as_super["role"] = json!("super_admin");
    api_error(
        app.post_json(&format!("/api/v1/accounts/{a}/users"), &as_super).await,
        403,
    )
    .await;
    let r = app.post_json(&format!("/api/v1/accounts/{a}/users"), &invite).await;
    assert_eq!(r.status(), 201);
    let nina: Value = r.json().await.unwrap();
    assert_eq!(nina["status"], "invited");
    let e = api_error(
        app.post_json(&format!("/api/v1/accounts/{a}/users"), &invite).await,
        409,
    )
    .await;
    assert_eq!(e["code"], "email_taken");
    let mut bad = invite.clone();
    bad["role"] = json!("king");
    api_error(app.post_json(&format!("/api/v1/accounts/{a}/users"), &bad).await, 422).await;
    let first = token(&mail(&app, 1).await, "/welcome/");
    let nid = nina["id"].as_i64().unwrap();
    assert_eq!(
        app.post_json(
            &format!("/api/v1/accounts/{a}/users/{nid}/resend-invitation"),
            &json!({})
        )
        .await
        .status(),
        202
    );
    let second = mail(&app, 2).await;
    assert!(second.subject().contains("lädt Sie zu Kontor ein"));
    let second = token(&second, "/welcome/");
    let activate = |t: &str| {
        app.post_owned(
            "/api/v1/activation",
            json!({"token": t, "accept_terms": true, "accept_privacy": true, "password": NEW_PASSWORD}),
        )
    };
    assert_eq!(
        api_error(activate(&first).await, 401).await["code"],
        "link_used",
        "resending kills the old link"
    );
    assert_eq!(activate(&second).await.status(), 200);
    let e = api_error(
        app.post_json(
            &format!("/api/v1/accounts/{a}/users/{nid}/resend-invitation"),
            &json!({}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(e["code"], "user_not_invited");
    // Only super admins change roles or disable.
    let r = app
        .client
        .patch(app.at(&format!("/api/v1/accounts/{a}/users/{}", member.id)))
        .json(&json!({"role": "admin"}))
        .send()
        .await
        .unwrap();
    api_error(r, 403).await;

    app.login("chef@firma.test").await;
    let users: Value = app
        .get(&format!("/api/v1/accounts/{a}/users"))
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user"]["email"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 4);
    let patch = |uid: i64, body: Value| {
        app.client
            .patch(app.at(&format!("/api/v1/accounts/{a}/users/{uid}")))
            .json(&body)
            .send()
    };
    let r = patch(member.id.0, json!({"role": "admin"})).await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["role"], "admin");
    assert_eq!(
        api_error(patch(chef.id.0, json!({"role": "member"})).await.unwrap(), 422).await["code"],
        "cannot_change_own_role"
    );
    assert_eq!(
        api_error(patch(chef.id.0, json!({"enabled": false})).await.unwrap(), 422).await["code"],
        "cannot_disable_self"
    );
    // Disabling ends the admin's sessions and blocks sign-in.
    let admin_client = client();
    admin_client
        .post(app.at("/api/v1/session"))
        .json(&json!({"email": "admin@firma.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        admin_client.get(app.at("/api/v1/me")).send().await.unwrap().status(),
        200
    );
    let r = patch(admin.id.0, json!({"enabled": false})).await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["user"]["status"], "disabled");
    assert_eq!(
        admin_client.get(app.at("/api/v1/me")).send().await.unwrap().status(),
        401
    );
    let r = admin_client
        .post(app.at("/api/v1/session"))
        .json(&json!({"email": "admin@firma.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    patch(admin.id.0, json!({"enabled": true})).await.unwrap();
    let r = admin_client
        .post(app.at("/api/v1/session"))
        .json(&json!({"email": "admin@firma.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // A super admin can hand over the role and step down.
    patch(admin.id.0, json!({"role": "super_admin"})).await.unwrap();
    app.login("admin@firma.test").await;
    let r = app
        .client
        .patch(app.at(&format!("/api/v1/accounts/{a}/users/{}", chef.id)))
        .json(&json!({"role": "member"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.login("chef@firma.test").await;
    api_error(app.get(&format!("/api/v1/accounts/{a}/users")).await, 403).await;
    app.stop().await;
}

async fn password_reset_and_change(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let a = account(&app, "K-600", "04109").await;
    app.create_user("vergesslich@firma.test", None, Some((a, AccountRole::Member)))
        .await;
    let old = client();
    old.post(app.at("/api/v1/session"))
        .json(&json!({"email": "vergesslich@firma.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();

    assert_eq!(
        app.post_json("/api/v1/password-reset", &json!({"email": "niemand@firma.test"}))
            .await
            .status(),
        202
    );
    no_more_mail(&app, 0).await;
    assert_eq!(
        app.post_json("/api/v1/password-reset", &json!({"email": "Vergesslich@Firma.test"}))
            .await
            .status(),
        202
    );
    let m = mail(&app, 1).await;
    assert_eq!(m.subject(), "Passwort für Kontor zurücksetzen");
    let t = token(&m, "/password/reset/");
    let reset = |pw: &str| app.post_owned("/api/v1/password-reset/confirm", json!({"token": t, "password": pw}));
    assert_eq!(
        api_error(reset("zu-kurz").await, 422).await["code"],
        "password_too_short"
    );
    assert_eq!(reset(NEW_PASSWORD).await.status(), 204);
    assert_eq!(api_error(reset(NEW_PASSWORD).await, 401).await["code"], "link_used");
    assert_eq!(
        old.get(app.at("/api/v1/me")).send().await.unwrap().status(),
        401,
        "old sessions ended"
    );
    let c = client();
    let r = c
        .post(app.at("/api/v1/session"))
        .json(&json!({"email": "vergesslich@firma.test", "password": NEW_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // Changing the password needs the current one.
    let e = api_error(
        c.post(app.at("/api/v1/me/password"))
            .json(&json!({"current_password": "falsch", "new_password": "Noch-ein-Passwort-1"}))
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(e["field"], "current_password");
    let other_device = client();
    other_device
        .post(app.at("/api/v1/session"))
        .json(&json!({"email": "vergesslich@firma.test", "password": NEW_PASSWORD}))
        .send()
        .await
        .unwrap();
    let r = c
        .post(app.at("/api/v1/me/password"))
        .json(&json!({"current_password": NEW_PASSWORD, "new_password": "Noch-ein-Passwort-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        c.get(app.at("/api/v1/me")).send().await.unwrap().status(),
        200,
        "this session stays"
    );
    let r = other_device.get(app.at("/api/v1/me")).send().await.unwrap();
    assert_eq!(r.status(), 401, "other sessions end");
    let r = c
        .patch(app.at("/api/v1/me"))
        .json(&json!({"first_name": "Vera", "last_name": "Vergesslich", "language": "en"}))
        .send()
        .await
        .unwrap();
    let me: Value = r.json().await.unwrap();
    assert_eq!(
        (me["user"]["first_name"].as_str(), me["user"]["language"].as_str()),
        (Some("Vera"), Some("en"))
    );
    let e = api_error(
        c.patch(app.at("/api/v1/me"))
            .json(&json!({"first_name": ""}))
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(e["field"], "first_name");
    app.stop().await;
}

/// Links expire: confirmation after 48 h, reset after 1 h (manual clock).
async fn links_expire(backend: Backend) {
    use kernel::{ManualClock, Timestamp};
    use std::sync::Arc;
    let Some(t) = test_support::TestDb::create(backend).await else {
        return;
    };
    let db = store::Db::open(&t.url).await.unwrap();
    let clock = Arc::new(ManualClock::new(Timestamp(1_800_000_000_000)));
    let s = kontor::Services::new(db.clone(), "http://kontor.test", clock.clone());
    let a = s
        .accounts
        .create(&AccountInput {
            customer_number: "K-700".into(),
            postal_code: "99084".into(),
            name: "Erfurt GmbH".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let input: domain::portal::RegistrationInput =
        serde_json::from_value(registration("spaet@firma.test", "K-700", "99084")).unwrap();
    s.portal.register(&input, "10.0.0.1", kernel::Lang::De).await.unwrap();
    let msgs = domain::outbox::OutboxStore::list(&db, None, 10).await.unwrap();
    let link = msgs[0]
        .body_text
        .split_whitespace()
        .find(|w| w.contains("/register/confirm/"))
        .unwrap();
    let token = link.rsplit('/').next().unwrap();
    clock.advance_secs(48 * 3600 + 1);
    let err = s.portal.confirm(token).await.unwrap_err();
    assert!(
        matches!(err, kernel::DomainError::Unauthenticated { code: "link_expired" }),
        "{err:?}"
    );
    // An expired, unconfirmed registration no longer blocks the address.
    s.portal.register(&input, "10.0.0.1", kernel::Lang::De).await.unwrap();
    let msgs = domain::outbox::OutboxStore::list(&db, None, 10).await.unwrap();
    assert!(msgs[0].subject.contains("bestätigen"), "{}", msgs[0].subject);
    let _ = a;
}

/// An admin of account A can neither read nor change nor even detect
/// anything of account B, through any endpoint.
async fn tenant_isolation(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let a = account(&app, "K-A", "10115").await;
    let b = account(&app, "K-B", "80331").await;
    app.create_user("chef@a.test", None, Some((a, AccountRole::SuperAdmin)))
        .await;
    app.create_user("chef@b.test", None, Some((b, AccountRole::SuperAdmin)))
        .await;
    let b_member = app
        .create_user("leute@b.test", None, Some((b, AccountRole::Member)))
        .await;
    // B has a confirmed registration waiting.
    app.post_json(
        "/api/v1/registrations",
        &registration("kandidat@b.test", "K-B", "80331"),
    )
    .await;
    let confirm = token(&mail(&app, 1).await, "/register/confirm/");
    app.post_json("/api/v1/registrations/confirm", &json!({"token": confirm}))
        .await;
    mail(&app, 2).await;
    app.login("chef@b.test").await;
    let regs: Value = app
        .get(&format!("/api/v1/accounts/{b}/registrations"))
        .await
        .json()
        .await
        .unwrap();
    let rid = regs[0]["id"].as_i64().unwrap();

    app.login("chef@a.test").await;
    let uid = b_member.id.0;
    let invite = json!({"email": "eindringling@a.test", "first_name": "E", "last_name": "I", "role": "member"});
    let attempts = [
        app.get(&format!("/api/v1/accounts/{b}/registrations")).await,
        app.post_json(&format!("/api/v1/accounts/{b}/registrations/{rid}/approve"), &json!({}))
            .await,
        app.post_json(&format!("/api/v1/accounts/{b}/registrations/{rid}/reject"), &json!({}))
            .await,
        app.get(&format!("/api/v1/accounts/{b}/users")).await,
        app.post_json(&format!("/api/v1/accounts/{b}/users"), &invite).await,
        app.client
            .patch(app.at(&format!("/api/v1/accounts/{b}/users/{uid}")))
            .json(&json!({"enabled": false}))
            .send()
            .await
            .unwrap(),
        app.post_json(
            &format!("/api/v1/accounts/{b}/users/{uid}/resend-invitation"),
            &json!({}),
        )
        .await,
        // B's ids under A's own account path.
        app.post_json(&format!("/api/v1/accounts/{a}/registrations/{rid}/approve"), &json!({}))
            .await,
        app.post_json(&format!("/api/v1/accounts/{a}/registrations/{rid}/reject"), &json!({}))
            .await,
        app.client
            .patch(app.at(&format!("/api/v1/accounts/{a}/users/{uid}")))
            .json(&json!({"role": "admin"}))
            .send()
            .await
            .unwrap(),
        app.post_json(
            &format!("/api/v1/accounts/{a}/users/{uid}/resend-invitation"),
            &json!({}),
        )
        .await,
        // A non-existent account looks exactly like B.
        app.get("/api/v1/accounts/999999/users").await,
    ];
    let mut bodies = Vec::new();
    for r in attempts {
        bodies.push(api_error(r, 404).await);
    }
    assert!(bodies.windows(2).all(|w| w[0]["code"] == w[1]["code"]), "{bodies:?}");
    api_error(app.get(&format!("/api/v1/accounts/{b}")).await, 403).await;
    // SMS billing is readable by the account's own people only.
    api_error(app.get(&format!("/api/v1/accounts/{b}/sms-usage")).await, 404).await;
    // Nothing changed in B.
    app.login("chef@b.test").await;
    let regs: Value = app
        .get(&format!("/api/v1/accounts/{b}/registrations"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(regs[0]["status"], "pending_approval");
    let users: Value = app
        .get(&format!("/api/v1/accounts/{b}/users"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(users.as_array().unwrap().len(), 2);
    assert!(users
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["user"]["status"] == "active" && u["role"] != "admin"));
    no_more_mail(&app, 2).await;
    app.stop().await;
}

db_test!(
    registration_approval_welcome_login,
    registration_bad_input_changes_nothing,
    disabled_account_and_known_email,
    rejection_with_reason,
    invitation_roles_and_disable,
    password_reset_and_change,
    links_expire,
    tenant_isolation
);
