//! The customer portal through its pages, as people use it: registration
//! in two steps, the confirmation link (a GET never confirms), approval and
//! rejection by the super admin, the welcome steps, invitations, password
//! reset, links that cannot be used, and the own profile.

use std::time::Duration;

use domain::accounts::AccountInput;
use domain::identity::{AccountRole, User};
use domain::portal::RegistrationStatus;
use kernel::AccountId;
use reqwest::{Client, Response};
use test_support::{db_test, Backend};

use crate::helpers::{client, hidden_value, TestApp, PASSWORD};

const BASE: &str = "http://kontor.test";
const NEW_PASSWORD: &str = "Wolkenkratzer-Tee-1987";

/// One person with their own browser session (cookies, CSRF token).
struct Person {
    c: Client,
    url: String,
}

impl Person {
    fn new(app: &TestApp) -> Person {
        Person {
            c: client(),
            url: app.url.clone(),
        }
    }

    async fn get(&self, path: &str) -> Response {
        self.c.get(format!("{}{path}", self.url)).send().await.unwrap()
    }

    async fn html(&self, path: &str) -> String {
        let r = self.get(path).await;
        assert_eq!(r.status(), 200, "GET {path}");
        r.text().await.unwrap()
    }

    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let page = self.get("/legal/privacy").await.text().await.unwrap();
        let token = hidden_value(&page, "_csrf").expect("csrf field");
        let mut all = vec![("_csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.c
            .post(format!("{}{path}", self.url))
            .form(&all)
            .send()
            .await
            .unwrap()
    }

    /// Posts and expects the form back with `status`; returns the page.
    async fn post_page(&self, path: &str, fields: &[(&str, &str)], status: u16) -> String {
        let r = self.post(path, fields).await;
        assert_eq!(r.status().as_u16(), status, "POST {path} {fields:?}");
        r.text().await.unwrap()
    }

    /// Posts and expects a redirect to `to`.
    async fn post_redirect(&self, path: &str, fields: &[(&str, &str)], to: &str) {
        let r = self.post(path, fields).await;
        let status = r.status();
        let location = r.headers().get("location").map(|v| v.to_str().unwrap().to_string());
        assert_eq!(
            (status.as_u16(), location.as_deref()),
            (303, Some(to)),
            "POST {path} {fields:?}: {}",
            r.text().await.unwrap_or_default()
        );
    }

    async fn login(&self, email: &str, password: &str) {
        self.post_redirect("/login", &[("email", email), ("password", password)], "/app")
            .await;
    }
}

/// The message shown next to a field, if any.
fn field_error(html: &str, field: &str) -> Option<String> {
    let marker = format!("id=\"e-{field}\">");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('<')? + start;
    Some(html[start..end].to_string())
}

async fn account(app: &TestApp, number: &str, zip: &str, name: &str) -> AccountId {
    app.services
        .accounts
        .create(&AccountInput {
            customer_number: number.into(),
            postal_code: zip.into(),
            name: name.into(),
            street: "Hauptstraße 1".into(),
            city: "Berlin".into(),
            country: None,
            tariff: String::new(),
            contact_email: None,
        })
        .await
        .unwrap()
        .id
}

/// The path of the newest link containing `needle` mailed to `to`
/// (waits for it to arrive).
async fn mailed_link(app: &TestApp, to: &str, needle: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let found = app
            .smtp
            .received()
            .iter()
            .rev()
            .filter(|m| m.rcpt.iter().any(|r| r == to))
            .find_map(|m| m.link_containing(needle));
        if let Some(link) = found {
            return link.strip_prefix(BASE).expect("link to the base URL").to_string();
        }
        assert!(tokio::time::Instant::now() < deadline, "no mail to {to} with {needle}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The texts of all mails to `to` so far.
fn mails_to(app: &TestApp, to: &str) -> Vec<String> {
    app.smtp
        .received()
        .iter()
        .filter(|m| m.rcpt.iter().any(|r| r == to))
        .map(|m| format!("{}\n{}", m.subject(), m.text()))
        .collect()
}

async fn count(app: &TestApp, admin: &User, account: AccountId, status: RegistrationStatus) -> usize {
    app.services
        .portal
        .registrations(admin, account, Some(status))
        .await
        .unwrap()
        .len()
}

/// Registers through both steps' form posts (step 2 carries step 1's values).
async fn register(p: &Person, email: &str, first: &str, marketing: bool) {
    let mut fields = vec![
        ("email", email),
        ("customer_number", "K-20001"),
        ("postal_code", "10115"),
        ("first_name", first),
        ("last_name", "Neumann"),
        ("privacy_accepted", "true"),
    ];
    if marketing {
        fields.push(("marketing_accepted", "true"));
    }
    p.post_redirect("/register/details", &fields, "/register/sent").await;
}

/// Walks the four welcome steps with a good password.
async fn finish_welcome(p: &Person, path: &str) {
    let html = p.html(path).await;
    assert!(html.contains("name=\"step\" value=\"welcome\""));
    let html = p.post_page(path, &[("step", "welcome")], 200).await;
    assert!(html.contains("name=\"accept_terms\""));
    let html = p
        .post_page(path, &[("step", "terms"), ("accept_terms", "true")], 200)
        .await;
    assert!(html.contains("name=\"accept_privacy\""));
    let html = p
        .post_page(
            path,
            &[
                ("step", "privacy"),
                ("accept_terms", "true"),
                ("accept_privacy", "true"),
            ],
            200,
        )
        .await;
    assert!(html.contains("name=\"password_repeat\""));
    p.post_redirect(
        path,
        &[
            ("step", "password"),
            ("accept_terms", "true"),
            ("accept_privacy", "true"),
            ("password", NEW_PASSWORD),
            ("password_repeat", NEW_PASSWORD),
        ],
        "/login",
    )
    .await;
}

async fn registration_confirmation_approval_and_welcome(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let acc = account(&app, "K-20001", "10115", "Muster Logistik GmbH").await;
    let boss = app
        .create_user("chefin@muster.test", None, Some((acc, AccountRole::SuperAdmin)))
        .await;
    let anna = Person::new(&app);

    // The sign-in page leads here.
    let login = anna.html("/login").await;
    assert!(login.contains("href=\"/register\"") && login.contains("Noch kein Kontor-Benutzer?"));
    assert!(login.contains("href=\"/password/forgot\""));

    // Step 1, with the hint where the customer number is.
    let html = anna.html("/register").await;
    assert!(html.contains("Angeboten und Rechnungen"));
    assert!(html.contains("aria-current=\"step\""));
    let html = anna.post_page("/register", &[], 422).await;
    for f in ["email", "customer_number", "postal_code"] {
        assert!(field_error(&html, f).is_some(), "{f}: {html}");
    }
    // A wrong pair: the message sits next to the customer number.
    let html = anna
        .post_page(
            "/register",
            &[
                ("email", "anna@muster.test"),
                ("customer_number", "K-20001"),
                ("postal_code", "99999"),
            ],
            422,
        )
        .await;
    let msg = field_error(&html, "customer_number").expect("message next to customer_number");
    assert!(msg.contains("passen nicht zusammen"), "{msg}");
    assert!(html.contains("value=\"anna@muster.test\""), "entries kept");

    // The right pair leads to step 2, carrying step 1 along.
    let html = anna
        .post_page(
            "/register",
            &[
                ("email", "anna@muster.test"),
                ("customer_number", "k-20001"),
                ("postal_code", "10115"),
            ],
            200,
        )
        .await;
    assert!(html.contains("name=\"email\" value=\"anna@muster.test\""));
    assert!(html.contains("name=\"customer_number\" value=\"k-20001\""));
    assert!(html.contains("Datenschutzerklärung</a> gelesen und stimme ihr zu"));
    assert!(html.contains("href=\"/legal/privacy\""));
    assert!(html.contains("name=\"marketing_accepted\""));

    // Without the privacy checkbox: the message, and nothing is stored.
    let step2 = [
        ("email", "anna@muster.test"),
        ("customer_number", "k-20001"),
        ("postal_code", "10115"),
        ("first_name", "Anna"),
        ("last_name", "Neumann"),
    ];
    let html = anna.post_page("/register/details", &step2, 422).await;
    let msg = field_error(&html, "privacy_accepted").expect("privacy message");
    assert!(msg.contains("Datenschutzerklärung"), "{msg}");
    assert!(html.contains("type=\"text\" value=\"Anna\""), "step 2 again, filled");
    assert_eq!(count(&app, &boss, acc, RegistrationStatus::Unconfirmed).await, 0);
    // A tampered pair sends the visitor back to step 1.
    let mut tampered = step2.to_vec();
    tampered[2] = ("postal_code", "99999");
    tampered.push(("privacy_accepted", "true"));
    let html = anna.post_page("/register/details", &tampered, 422).await;
    assert!(field_error(&html, "customer_number").is_some());
    assert!(html.contains("action=\"/register\""));
    assert_eq!(count(&app, &boss, acc, RegistrationStatus::Unconfirmed).await, 0);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(app.smtp.received().is_empty(), "no mail for refused attempts");
    // "Back" shows step 1 with the values.
    let mut back = step2.to_vec();
    back.push(("back", "1"));
    let html = anna.post_page("/register/details", &back, 200).await;
    assert!(html.contains("action=\"/register\"") && html.contains("value=\"anna@muster.test\""));

    let mut ok = step2.to_vec();
    ok.push(("privacy_accepted", "true"));
    ok.push(("marketing_accepted", "true"));
    anna.post_redirect("/register/details", &ok, "/register/sent").await;
    let html = anna.html("/register/sent").await;
    assert!(html.contains("Bitte prüfen Sie Ihr Postfach"));
    assert_eq!(count(&app, &boss, acc, RegistrationStatus::Unconfirmed).await, 1);

    // The confirmation link: a GET shows a button and changes nothing.
    let confirm = mailed_link(&app, "anna@muster.test", "/register/confirm/").await;
    for _ in 0..2 {
        let html = anna.html(&confirm).await;
        assert!(html.contains(&format!("action=\"{confirm}\"")));
        assert!(html.contains(">Bestätigen</button>"));
    }
    assert_eq!(count(&app, &boss, acc, RegistrationStatus::Unconfirmed).await, 1);
    assert_eq!(count(&app, &boss, acc, RegistrationStatus::PendingApproval).await, 0);
    let html = anna.post_page(&confirm, &[], 200).await;
    assert!(html.contains("Ihre Registrierung ist bestätigt."));
    assert!(html.contains("Administrator Ihres Kunden-Accounts wurde informiert"));
    assert_eq!(count(&app, &boss, acc, RegistrationStatus::PendingApproval).await, 1);
    // Used once: both GET and POST now say so.
    let html = anna.post_page(&confirm, &[], 410).await;
    assert!(html.contains("bereits bestätigt"));
    let r = anna.get(&confirm).await;
    assert_eq!(r.status(), 410);
    assert!(!r.text().await.unwrap().contains(">Bestätigen</button>"));

    // The super admin is told, signs in and approves.
    let pending_link = mailed_link(&app, "chefin@muster.test", "/registrations").await;
    assert_eq!(pending_link, format!("/portal/{acc}/registrations"));
    let chefin = Person::new(&app);
    chefin.login("chefin@muster.test", PASSWORD).await;
    let home = chefin.html("/app").await;
    assert!(home.contains(&format!("href=\"/portal/{acc}/registrations\"")));
    assert!(home.contains(&format!("href=\"/portal/{acc}/users\"")));
    let html = chefin.html(&pending_link).await;
    assert!(html.contains("Anna Neumann") && html.contains("anna@muster.test"));
    assert!(html.contains("badge badge-success\">Ja<"), "marketing consent shown");
    assert!(html.contains("Freigeben"));
    let users = chefin.html(&format!("/portal/{acc}/users")).await;
    assert!(
        users.contains("badge badge-warning\" title="),
        "pending count on the tab"
    );
    let reg_id = app
        .services
        .portal
        .registrations(&boss, acc, Some(RegistrationStatus::PendingApproval))
        .await
        .unwrap()[0]
        .id;
    let approve = format!("/portal/{acc}/registrations/{reg_id}/approve");
    chefin.post_redirect(&approve, &[], &pending_link).await;
    let html = chefin.html(&pending_link).await;
    assert!(html.contains("Freigegeben. Die Person erhält eine E-Mail"));
    assert!(html.contains("Keine offenen Registrierungen"));
    assert!(html.contains(">freigegeben<"));
    let html = chefin.post_page(&approve, &[], 409).await;
    assert!(html.contains("bereits entschieden"));

    // The welcome steps, with every mistake once.
    let welcome = mailed_link(&app, "anna@muster.test", "/welcome/").await;
    let html = anna.html(&welcome).await;
    assert!(html.contains("Willkommen bei Kontor"));
    let html = anna.post_page(&welcome, &[("step", "welcome")], 200).await;
    assert!(html.contains("Nutzungsbedingungen"));
    let html = anna.post_page(&welcome, &[("step", "terms")], 422).await;
    assert!(field_error(&html, "accept_terms").is_some());
    let html = anna
        .post_page(&welcome, &[("step", "terms"), ("accept_terms", "true")], 200)
        .await;
    assert!(html.contains("name=\"accept_terms\" value=\"true\""), "carried along");
    let html = anna
        .post_page(&welcome, &[("step", "privacy"), ("accept_terms", "true")], 422)
        .await;
    assert!(field_error(&html, "accept_privacy").is_some());
    // Back from privacy keeps the terms box ticked.
    let html = anna
        .post_page(
            &welcome,
            &[("step", "privacy"), ("accept_terms", "true"), ("back", "1")],
            200,
        )
        .await;
    assert!(html.contains("name=\"step\" value=\"terms\""));
    assert!(html.contains("value=\"true\" checked"));
    let accepted = [("accept_terms", "true"), ("accept_privacy", "true")];
    let html = anna
        .post_page(&welcome, &[("step", "privacy"), accepted[0], accepted[1]], 200)
        .await;
    assert!(html.contains("Mindestens 12 Zeichen"));
    let pw = |a: &'static str, b: &'static str| {
        vec![
            ("step", "password"),
            accepted[0],
            accepted[1],
            ("password", a),
            ("password_repeat", b),
        ]
    };
    let html = anna.post_page(&welcome, &pw("kurz", "kurz"), 422).await;
    assert!(field_error(&html, "password").unwrap().contains("mindestens 12"));
    let html = anna
        .post_page(&welcome, &pw(NEW_PASSWORD, "Wolkenkratzer-Tee-1988"), 422)
        .await;
    assert!(field_error(&html, "password_repeat")
        .unwrap()
        .contains("stimmen nicht überein"));
    let r = anna
        .post("/login", &[("email", "anna@muster.test"), ("password", NEW_PASSWORD)])
        .await;
    assert_eq!(r.status(), 401, "no login before the last step");
    anna.post_redirect(&welcome, &pw(NEW_PASSWORD, NEW_PASSWORD), "/login")
        .await;
    let html = anna.html("/login").await;
    assert!(html.contains("Registrierung abgeschlossen. Bitte melden Sie sich an."));
    anna.login("anna@muster.test", NEW_PASSWORD).await;

    // Her consents, and the used link.
    let html = anna.html("/profile").await;
    for kind in ["Datenschutzerklärung", "Nutzungsbedingungen", "Marketing per E-Mail"] {
        assert!(html.contains(kind), "{kind}");
    }
    let r = anna.get(&welcome).await;
    assert_eq!(r.status(), 410);
    assert!(r.text().await.unwrap().contains("bereits verwendet"));
    let users = chefin.html(&format!("/portal/{acc}/users")).await;
    assert!(users.contains("Anna Neumann") && users.contains(">aktiv<"));
    app.stop().await;
}

async fn rejection_through_pages(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let acc = account(&app, "K-20001", "10115", "Muster Logistik GmbH").await;
    let other = account(&app, "K-20002", "80331", "Andere AG").await;
    let boss = app
        .create_user("chefin@muster.test", None, Some((acc, AccountRole::SuperAdmin)))
        .await;
    app.create_user("ben@muster.test", None, Some((acc, AccountRole::Member)))
        .await;
    app.create_user("fremd@andere.test", None, Some((other, AccountRole::SuperAdmin)))
        .await;

    let bernd = Person::new(&app);
    register(&bernd, "bernd@example.test", "Bernd", false).await;
    let confirm = mailed_link(&app, "bernd@example.test", "/register/confirm/").await;
    bernd.post_page(&confirm, &[], 200).await;
    let id = app
        .services
        .portal
        .registrations(&boss, acc, Some(RegistrationStatus::PendingApproval))
        .await
        .unwrap()[0]
        .id;

    // Only the account's super admins see and decide.
    let page = format!("/portal/{acc}/registrations");
    let ben = Person::new(&app);
    ben.login("ben@muster.test", PASSWORD).await;
    assert_eq!(ben.get(&page).await.status(), 403);
    assert_eq!(ben.get(&format!("/portal/{acc}/users")).await.status(), 403);
    assert_eq!(
        ben.post(&format!("{page}/{id}/reject"), &[("reason", "x")])
            .await
            .status(),
        403
    );
    let fremd = Person::new(&app);
    fremd.login("fremd@andere.test", PASSWORD).await;
    assert_eq!(fremd.get(&page).await.status(), 404);
    assert_eq!(
        fremd
            .post(&format!("/portal/{other}/registrations/{id}/approve"), &[])
            .await
            .status(),
        404,
        "another account's registration is not found"
    );
    assert!(Person::new(&app)
        .get(&page)
        .await
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("/login?next="));

    let chefin = Person::new(&app);
    chefin.login("chefin@muster.test", PASSWORD).await;
    let html = chefin.html(&page).await;
    assert!(html.contains("Bernd Neumann") && html.contains("badge\">Nein<"));
    let long = "x".repeat(501);
    let html = chefin
        .post_page(&format!("{page}/{id}/reject"), &[("reason", &long)], 422)
        .await;
    assert!(html.contains("Höchstens 500 Zeichen"));
    chefin
        .post_redirect(
            &format!("{page}/{id}/reject"),
            &[("reason", "Bitte über die Zentrale anfragen.")],
            &page,
        )
        .await;
    let html = chefin.html(&page).await;
    assert!(html.contains("Die Registrierung wurde abgelehnt"));
    assert!(html.contains(">abgelehnt<") && html.contains("Bitte über die Zentrale anfragen."));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !mails_to(&app, "bernd@example.test")
        .iter()
        .any(|m| m.contains("Bitte über die Zentrale anfragen."))
    {
        assert!(tokio::time::Instant::now() < deadline, "rejection mail with the reason");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(mails_to(&app, "bernd@example.test")
        .iter()
        .all(|m| !m.contains("/welcome/")));
    app.stop().await;
}

async fn invitation_roles_and_status_through_pages(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let acc = account(&app, "K-20001", "10115", "Muster Logistik GmbH").await;
    let boss = app
        .create_user("chefin@muster.test", None, Some((acc, AccountRole::SuperAdmin)))
        .await;
    let users = format!("/portal/{acc}/users");
    let chefin = Person::new(&app);
    chefin.login("chefin@muster.test", PASSWORD).await;
    let html = chefin.html(&users).await;
    assert!(html.contains("Bisher nur Sie"), "empty state");
    assert!(
        html.contains("<option value=\"super_admin\""),
        "super admins may invite super admins"
    );

    let html = chefin
        .post_page(
            &users,
            &[
                ("email", "kein-at"),
                ("first_name", "Carla"),
                ("last_name", ""),
                ("role", "admin"),
                ("language", "de"),
            ],
            422,
        )
        .await;
    assert!(field_error(&html, "email").is_some() && field_error(&html, "last_name").is_some());
    assert!(html.contains("value=\"Carla\""));
    let invite = [
        ("email", "carla@muster.test"),
        ("first_name", "Carla"),
        ("last_name", "Klein"),
        ("role", "admin"),
        ("language", "en"),
    ];
    chefin.post_redirect(&users, &invite, &users).await;
    let html = chefin.html(&users).await;
    assert!(html.contains("Die Einladung wurde verschickt."));
    assert!(html.contains("Carla Klein") && html.contains(">eingeladen<"));
    assert!(html.contains(">noch nie<"));
    let html = chefin.post_page(&users, &invite, 409).await;
    assert!(field_error(&html, "email").is_some(), "address taken: {html}");

    // A fresh invitation replaces the first link.
    let first = mailed_link(&app, "carla@muster.test", "/welcome/").await;
    let carla_id = app
        .services
        .portal
        .users(&boss, acc)
        .await
        .unwrap()
        .iter()
        .find(|m| m.user.email == "carla@muster.test")
        .unwrap()
        .user
        .id;
    let user_url = format!("{users}/{carla_id}");
    chefin.post_redirect(&format!("{user_url}/resend"), &[], &users).await;
    assert!(chefin.html(&users).await.contains("erneut verschickt"));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let second = loop {
        let link = mailed_link(&app, "carla@muster.test", "/welcome/").await;
        if link != first {
            break link;
        }
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let carla = Person::new(&app);
    assert_eq!(carla.get(&first).await.status(), 410);
    // She was invited in English: the pages follow her browser, the mail her setting.
    assert!(mails_to(&app, "carla@muster.test")[0].contains("invit"));
    finish_welcome(&carla, &second).await;
    carla.login("carla@muster.test", NEW_PASSWORD).await;

    // An admin manages users but not roles or registrations.
    let html = carla.html(&users).await;
    assert!(!html.contains(&format!("action=\"{users}/{}/role\"", boss.id)));
    assert!(
        !html.contains("<option value=\"super_admin\""),
        "admins cannot invite super admins"
    );
    assert_eq!(carla.get(&format!("/portal/{acc}/registrations")).await.status(), 403);
    assert_eq!(
        carla
            .post(&format!("{users}/{}/role", boss.id), &[("role", "member")])
            .await
            .status(),
        403
    );

    // Role and status, by the super admin.
    let html = chefin.html(&users).await;
    assert!(html.contains(&format!("action=\"{user_url}/role\"")));
    assert!(
        !html.contains(&format!("action=\"{users}/{}/role\"", boss.id)),
        "not on her own row"
    );
    assert!(html.contains("data-confirm="));
    chefin
        .post_redirect(&format!("{user_url}/role"), &[("role", "member")], &users)
        .await;
    assert!(chefin.html(&users).await.contains("Die Rolle wurde geändert."));
    assert_eq!(carla.get(&users).await.status(), 403, "a member now");
    chefin
        .post_redirect(&format!("{user_url}/status"), &[("enabled", "false")], &users)
        .await;
    let html = chefin.html(&users).await;
    assert!(html.contains("Der Zugang wurde deaktiviert.") && html.contains(">deaktiviert<"));
    assert!(
        carla.get("/app").await.headers().get("location").is_some(),
        "her session ended"
    );
    let r = carla
        .post("/login", &[("email", "carla@muster.test"), ("password", NEW_PASSWORD)])
        .await;
    assert_ne!(r.status(), 303);
    chefin
        .post_redirect(&format!("{user_url}/status"), &[("enabled", "true")], &users)
        .await;
    assert!(chefin.html(&users).await.contains("Der Zugang ist wieder aktiv."));
    carla.login("carla@muster.test", NEW_PASSWORD).await;

    // Oneself: refused with a message above the list.
    let own = format!("{users}/{}", boss.id);
    let html = chefin
        .post_page(&format!("{own}/role"), &[("role", "member")], 422)
        .await;
    assert!(html.contains("Sie können Ihre eigene Rolle nicht ändern."));
    let html = chefin
        .post_page(&format!("{own}/status"), &[("enabled", "false")], 422)
        .await;
    assert!(html.contains("Sie können sich nicht selbst deaktivieren."));
    let html = chefin.post_page(&format!("{user_url}/resend"), &[], 409).await;
    assert!(html.contains("bereits angenommen"));
    let html = chefin
        .post_page(&format!("{user_url}/role"), &[("role", "kaiser")], 422)
        .await;
    assert!(html.contains("Unbekannte Rolle."));
    app.stop().await;
}

async fn password_reset_through_pages(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let acc = account(&app, "K-20001", "10115", "Muster Logistik GmbH").await;
    app.create_user("dora@muster.test", None, Some((acc, AccountRole::Member)))
        .await;
    let dora = Person::new(&app);
    let html = dora.html("/password/forgot").await;
    assert!(html.contains("Passwort vergessen?"));
    let html = dora.post_page("/password/forgot", &[("email", "kein-at")], 422).await;
    assert!(field_error(&html, "email").is_some());

    // Known and unknown addresses get the very same page.
    let known = dora
        .post_page("/password/forgot", &[("email", "Dora@Muster.test")], 200)
        .await;
    let unknown = dora
        .post_page("/password/forgot", &[("email", "niemand@muster.test")], 200)
        .await;
    assert!(known.contains("Bitte prüfen Sie Ihr Postfach"));
    assert_eq!(known, unknown);

    let link = mailed_link(&app, "dora@muster.test", "/password/reset/").await;
    let html = dora.html(&link).await;
    assert!(html.contains("Neues Passwort festlegen"));
    let html = dora
        .post_page(
            &link,
            &[("password", NEW_PASSWORD), ("password_repeat", "etwas-anderes-123")],
            422,
        )
        .await;
    assert!(field_error(&html, "password_repeat").is_some());
    let html = dora
        .post_page(&link, &[("password", "passwort"), ("password_repeat", "passwort")], 422)
        .await;
    assert!(field_error(&html, "password").is_some());
    dora.post_redirect(
        &link,
        &[("password", NEW_PASSWORD), ("password_repeat", NEW_PASSWORD)],
        "/login",
    )
    .await;
    assert!(dora
        .html("/login")
        .await
        .contains("Ihr neues Passwort ist gespeichert."));
    let r = dora
        .post("/login", &[("email", "dora@muster.test"), ("password", PASSWORD)])
        .await;
    assert_eq!(r.status(), 401, "the old password is gone");
    dora.login("dora@muster.test", NEW_PASSWORD).await;

    // Used: the clear page with the way to a new link, for GET and POST.
    let r = dora.get(&link).await;
    assert_eq!(r.status(), 410);
    let html = r.text().await.unwrap();
    assert!(html.contains("bereits verwendet") && html.contains("href=\"/password/forgot\""));
    let html = dora
        .post_page(
            &link,
            &[("password", NEW_PASSWORD), ("password_repeat", NEW_PASSWORD)],
            410,
        )
        .await;
    assert!(html.contains("href=\"/password/forgot\""));

    // Many requests from one client address: told to wait.
    let mut last = 200;
    for _ in 0..12 {
        last = dora
            .post("/password/forgot", &[("email", "niemand@muster.test")])
            .await
            .status()
            .as_u16();
    }
    assert_eq!(last, 429);
    let html = dora
        .post_page("/password/forgot", &[("email", "niemand@muster.test")], 429)
        .await;
    assert!(html.contains("Zu viele Versuche"));
    app.stop().await;
}

async fn unusable_links_show_a_clear_page(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let p = Person::new(&app);
    let random = "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5";
    let cases = [
        (
            "/register/confirm/",
            "Bestätigungslink ist ungültig",
            "href=\"/register\"",
        ),
        ("/welcome/", "Dieser Link ist ungültig", "neue Einladung"),
        (
            "/password/reset/",
            "Dieser Link ist ungültig",
            "href=\"/password/forgot\"",
        ),
    ];
    for (prefix, title, forward) in cases {
        let path = format!("{prefix}{random}");
        let r = p.get(&path).await;
        assert_eq!(r.status(), 404, "{path}");
        let html = r.text().await.unwrap();
        assert!(html.contains(title) && html.contains(forward), "{path}: {html}");
        let fields: &[(&str, &str)] = match prefix {
            "/welcome/" => &[
                ("step", "password"),
                ("password", NEW_PASSWORD),
                ("password_repeat", NEW_PASSWORD),
            ],
            "/password/reset/" => &[("password", NEW_PASSWORD), ("password_repeat", NEW_PASSWORD)],
            _ => &[],
        };
        let html = p.post_page(&path, fields, 404).await;
        assert!(html.contains(title), "POST {path}");
    }
    // A link of another kind does not work here either.
    let acc = account(&app, "K-20001", "10115", "Muster Logistik GmbH").await;
    app.create_user("dora@muster.test", None, Some((acc, AccountRole::Member)))
        .await;
    p.post_page("/password/forgot", &[("email", "dora@muster.test")], 200)
        .await;
    let reset = mailed_link(&app, "dora@muster.test", "/password/reset/").await;
    let token = reset.rsplit('/').next().unwrap();
    assert_eq!(p.get(&format!("/welcome/{token}")).await.status(), 404);
    assert_eq!(p.get(&format!("/register/confirm/{token}")).await.status(), 404);
    // In English, too.
    let r =
        p.c.get(app.at(&format!("/welcome/{random}")))
            .header("accept-language", "en")
            .send()
            .await
            .unwrap();
    assert!(r.text().await.unwrap().contains("This link is not valid"));
    app.stop().await;
}

async fn profile_name_language_password_marketing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let acc = account(&app, "K-20001", "10115", "Muster Logistik GmbH").await;
    let emil = app
        .create_user("emil@muster.test", None, Some((acc, AccountRole::Admin)))
        .await;
    let p = Person::new(&app);
    assert!(p
        .get("/profile")
        .await
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("/login"));
    p.login("emil@muster.test", PASSWORD).await;
    let html = p.html("/app").await;
    assert!(html.contains("href=\"/profile\""), "in the navigation");
    let html = p.html("/profile").await;
    assert!(html.contains("emil@muster.test") && html.contains("value=\"Test\""));
    assert!(html.contains("Muster Logistik GmbH") && html.contains(&format!("href=\"/portal/{acc}/users\"")));
    assert!(
        !html.contains(&format!("href=\"/portal/{acc}/registrations\"")),
        "admin, not super admin"
    );

    let html = p
        .post_page(
            "/profile",
            &[("first_name", " "), ("last_name", "Berg"), ("language", "de")],
            422,
        )
        .await;
    assert!(field_error(&html, "first_name").is_some());
    assert!(html.contains("value=\"Berg\""));
    p.post_redirect(
        "/profile",
        &[("first_name", "Emil"), ("last_name", "Berg"), ("language", "en")],
        "/profile",
    )
    .await;
    let html = p.html("/profile").await;
    assert!(html.contains("Your profile was saved.") && html.contains("My profile"));
    assert!(html.contains("value=\"Emil\"") && html.contains("<option value=\"en\" selected>"));

    let html = p
        .post_page(
            "/profile/password",
            &[
                ("current_password", "falsch-falsch-falsch"),
                ("new_password", NEW_PASSWORD),
                ("new_password_repeat", NEW_PASSWORD),
            ],
            422,
        )
        .await;
    assert!(field_error(&html, "current_password").is_some());
    let html = p
        .post_page(
            "/profile/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
                ("new_password_repeat", "Wolkenkratzer"),
            ],
            422,
        )
        .await;
    assert!(field_error(&html, "new_password_repeat")
        .unwrap()
        .contains("do not match"));
    let html = p
        .post_page(
            "/profile/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "kurz"),
                ("new_password_repeat", "kurz"),
            ],
            422,
        )
        .await;
    assert!(field_error(&html, "new_password").is_some());
    p.post_redirect(
        "/profile/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", NEW_PASSWORD),
            ("new_password_repeat", NEW_PASSWORD),
        ],
        "/profile",
    )
    .await;
    assert!(p.html("/profile").await.contains("Your password was changed."));
    let other = Person::new(&app);
    other.login("emil@muster.test", NEW_PASSWORD).await;

    // Marketing consent: given, then withdrawn; both recorded.
    let html = p.html("/profile").await;
    assert!(html.contains("No consents are stored"));
    assert!(html.contains("name=\"give\" value=\"true\""));
    p.post_redirect("/profile/marketing", &[("give", "true")], "/profile")
        .await;
    let html = p.html("/profile").await;
    assert!(html.contains("Marketing by e-mail") && html.contains("name=\"give\" value=\"false\""));
    p.post_redirect("/profile/marketing", &[("give", "false")], "/profile")
        .await;
    let consents = app.services.portal.consents(&emil).await.unwrap();
    assert_eq!(consents.len(), 1);
    assert_eq!(consents[0].kind, "marketing");
    assert!(consents[0].withdrawn_at.is_some());
    assert!(p
        .html("/profile")
        .await
        .contains("Your marketing consent was withdrawn."));
    app.stop().await;
}

async fn legal_pages(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let p = Person::new(&app);
    let html = p.html("/legal/privacy").await;
    assert!(html.contains("<h1>Datenschutzerklärung</h1>"));
    assert!(html.contains(domain::portal::PRIVACY_VERSION));
    assert!(html.contains("DSGVO"));
    let html = p.html("/legal/terms").await;
    assert!(html.contains("<h1>Nutzungsbedingungen</h1>") && html.contains(domain::portal::TERMS_VERSION));
    let r =
        p.c.get(app.at("/legal/terms"))
            .header("accept-language", "en")
            .send()
            .await
            .unwrap();
    assert!(r.text().await.unwrap().contains("<h1>Terms of use</h1>"));
    assert_eq!(p.get("/register/details").await.headers()["location"], "/register");
    app.stop().await;
}

db_test!(
    registration_confirmation_approval_and_welcome,
    rejection_through_pages,
    invitation_roles_and_status_through_pages,
    password_reset_through_pages,
    unusable_links_show_a_clear_page,
    profile_name_language_password_marketing,
    legal_pages,
);
