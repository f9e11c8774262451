//! Self-registration in a real browser (headless chromium): step 1 with a
//! mistake, step 2, the inbox page, the confirmation button, approval by
//! the super admin on her page, the four welcome steps, and signing in.
//! Every step is saved as `test-output/registration-<backend>-NN-<step>.png`,
//! at desktop width and (the forms) at phone width.

use std::time::Duration;

use domain::accounts::AccountInput;
use domain::identity::AccountRole;
use test_support::fantoccini::{Client, Locator};
use test_support::{db_test, Backend, Browser};

use crate::helpers::{TestApp, PASSWORD};

const NEW_PASSWORD: &str = "Wolkenkratzer-Tee-1987";

async fn type_into(c: &Client, id: &str, text: &str) {
    let el = c.find(Locator::Id(id)).await.unwrap();
    el.clear().await.unwrap();
    el.send_keys(text).await.unwrap();
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css)).await.unwrap().click().await.unwrap();
}

async fn submit(c: &Client) {
    click(c, "main form.form button.btn-primary[type=submit]").await;
}

/// The text of the element matching `css` once it contains `needle`.
/// Polls, so an element of the page being replaced (stale, or still the
/// old page right after a submit) is simply looked up again.
pub(crate) async fn wait_text(c: &Client, css: &str, needle: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut last = String::new();
    while tokio::time::Instant::now() < deadline {
        if let Ok(el) = c.find(Locator::Css(css)).await {
            if let Ok(text) = el.text().await {
                if text.contains(needle) {
                    return text;
                }
                last = text;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let url = c.current_url().await.map(|u| u.to_string()).unwrap_or_default();
    if let Ok(png) = c.screenshot().await {
        let _ = std::fs::write(
            test_support::browser::output_dir().join("registration-failure.png"),
            png,
        );
    }
    panic!("{css} never contained {needle:?}; last text: {last:?}; page: {url}");
}

/// The newest link to `to` containing `needle`, as a path.
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
            return link.trim_start_matches("http://kontor.test").to_string();
        }
        assert!(tokio::time::Instant::now() < deadline, "no mail to {to} with {needle}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn registration_in_a_browser(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let acc = app
        .services
        .accounts
        .create(&AccountInput {
            customer_number: "K-10001".into(),
            postal_code: "10115".into(),
            name: "Mustermann AG".into(),
            street: "Friedrichstraße 120".into(),
            city: "Berlin".into(),
            country: None,
            tariff: "Sekretariat Vermittlung".into(),
            contact_email: None,
        })
        .await
        .unwrap()
        .id;
    app.create_user(
        "anna.chefin@mustermann.test",
        None,
        Some((acc, AccountRole::SuperAdmin)),
    )
    .await;
    let b = Browser::start().await;
    let c = &b.client;
    let tag = format!("{backend:?}").to_lowercase();
    let shot = |n: &str| format!("registration-{tag}-{n}");

    // From the sign-in page (switched to German) to step 1.
    c.goto(&app.at("/login")).await.unwrap();
    click(c, "button[name=language][value=de]").await;
    c.wait()
        .for_element(Locator::Css("button[value=de][aria-pressed=true]"))
        .await
        .unwrap();
    click(c, "a[href='/register']").await;
    c.wait().for_element(Locator::Id("f-customer_number")).await.unwrap();
    b.screenshot(&shot("01-step1")).await;

    // A wrong postal code: the message next to the customer number.
    type_into(c, "f-email", "lena.neumann@mustermann.test").await;
    type_into(c, "f-customer_number", "K-10001").await;
    type_into(c, "f-postal_code", "10117").await;
    submit(c).await;
    let err = wait_text(c, "#e-customer_number", "passen nicht zusammen").await;
    assert!(err.contains("passen nicht zusammen"), "{err}");
    b.screenshot(&shot("02-step1-error")).await;
    type_into(c, "f-postal_code", "10115").await;
    submit(c).await;

    // Step 2: name and consent; the privacy box is required.
    c.wait().for_element(Locator::Id("f-first_name")).await.unwrap();
    type_into(c, "f-first_name", "Lena").await;
    type_into(c, "f-last_name", "Neumann").await;
    submit(c).await;
    let err = wait_text(c, "#e-privacy_accepted", "Datenschutzerklärung").await;
    assert!(err.contains("Datenschutzerklärung"), "{err}");
    b.screenshot(&shot("03-step2-error")).await;
    click(c, "#f-privacy_accepted").await;
    click(c, "#f-marketing_accepted").await;
    b.screenshot(&shot("04-step2")).await;
    submit(c).await;
    let h1 = wait_text(c, "main h1", "Postfach").await;
    assert_eq!(h1, "Bitte prüfen Sie Ihr Postfach");
    assert!(c.current_url().await.unwrap().as_str().ends_with("/register/sent"));
    b.screenshot(&shot("05-sent")).await;

    // The link from the e-mail shows a button; pressing it confirms.
    let confirm = mailed_link(&app, "lena.neumann@mustermann.test", "/register/confirm/").await;
    c.goto(&app.at(&confirm)).await.unwrap();
    assert_eq!(wait_text(c, "main h1", "bestätigen").await, "Registrierung bestätigen");
    b.screenshot(&shot("06-confirm")).await;
    submit(c).await;
    let h1 = wait_text(c, "main h1", "bestätigt").await;
    assert_eq!(h1, "Registrierung bestätigt");
    b.screenshot(&shot("07-confirmed")).await;

    // The super admin approves on her page.
    let pending = mailed_link(&app, "anna.chefin@mustermann.test", "/registrations").await;
    c.goto(&app.at(&pending)).await.unwrap();
    type_into(c, "f-email", "anna.chefin@mustermann.test").await;
    type_into(c, "f-password", &format!("{PASSWORD}\u{E007}")).await;
    let row = wait_text(c, "table.table tbody tr", "Lena Neumann").await;
    assert!(row.contains("Lena Neumann"), "{row}");
    b.screenshot(&shot("08-admin-pending")).await;
    click(c, "form[action$='/approve'] button").await;
    let flash = wait_text(c, ".flash-success", "Freigegeben").await;
    assert!(flash.contains("Freigegeben"), "{flash}");
    b.screenshot(&shot("09-admin-approved")).await;
    c.goto(&app.at(&format!("/portal/{acc}/users"))).await.unwrap();
    assert!(wait_text(c, "table.table", "eingeladen").await.contains("eingeladen"));
    b.screenshot(&shot("10-admin-users")).await;
    c.set_window_size(390, 844).await.unwrap();
    b.screenshot(&shot("10b-admin-users-phone")).await;
    c.set_window_size(1280, 900).await.unwrap();
    click(c, ".sidebar-foot form button").await;
    // Signed out once the login page is there (the page before may have an
    // e-mail field too, so waiting for one would race the sign-out).
    wait_text(c, "main h1", "Anmelden").await;

    // The four welcome steps.
    let welcome = mailed_link(&app, "lena.neumann@mustermann.test", "/welcome/").await;
    c.goto(&app.at(&welcome)).await.unwrap();
    assert_eq!(wait_text(c, "main h1", "Willkommen").await, "Willkommen bei Kontor");
    b.screenshot(&shot("11-welcome")).await;
    submit(c).await;
    c.wait().for_element(Locator::Id("f-accept_terms")).await.unwrap();
    b.screenshot(&shot("12-terms")).await;
    click(c, "#f-accept_terms").await;
    submit(c).await;
    c.wait().for_element(Locator::Id("f-accept_privacy")).await.unwrap();
    b.screenshot(&shot("13-privacy")).await;
    click(c, "#f-accept_privacy").await;
    submit(c).await;
    c.wait().for_element(Locator::Id("f-password_repeat")).await.unwrap();
    type_into(c, "f-password", NEW_PASSWORD).await;
    type_into(c, "f-password_repeat", "Wolkenkratzer-Tee").await;
    submit(c).await;
    let err = wait_text(c, "#e-password_repeat", "stimmen nicht überein").await;
    assert!(err.contains("stimmen nicht überein"), "{err}");
    b.screenshot(&shot("14-password-error")).await;
    type_into(c, "f-password", NEW_PASSWORD).await;
    type_into(c, "f-password_repeat", NEW_PASSWORD).await;
    submit(c).await;
    let flash = wait_text(c, ".flash-success", "abgeschlossen").await;
    assert_eq!(flash, "Registrierung abgeschlossen. Bitte melden Sie sich an.");
    b.screenshot(&shot("15-login")).await;

    // And she is in.
    type_into(c, "f-email", "lena.neumann@mustermann.test").await;
    type_into(c, "f-password", &format!("{NEW_PASSWORD}\u{E007}")).await;
    c.wait().for_element(Locator::Css("a[href='/profile']")).await.unwrap();
    assert!(c.current_url().await.unwrap().as_str().ends_with("/app"));
    click(c, "a[href='/profile']").await;
    assert!(wait_text(c, "main", "Marketing per E-Mail").await.contains("Marketing"));
    b.screenshot(&shot("16-profile")).await;
    c.execute("window.scrollTo(0, document.body.scrollHeight)", vec![])
        .await
        .unwrap();
    b.screenshot(&shot("16b-profile-consents")).await;
    click(c, ".sidebar-foot form button").await;
    // Signed out once the login page is there (the page before may have an
    // e-mail field too, so waiting for one would race the sign-out).
    wait_text(c, "main h1", "Anmelden").await;

    // The forms at phone width.
    c.set_window_size(390, 844).await.unwrap();
    c.goto(&app.at("/register")).await.unwrap();
    b.screenshot(&shot("17-step1-phone")).await;
    type_into(c, "f-email", "max.weber@mustermann.test").await;
    type_into(c, "f-customer_number", "K-10001").await;
    type_into(c, "f-postal_code", "10115").await;
    submit(c).await;
    c.wait().for_element(Locator::Id("f-first_name")).await.unwrap();
    b.screenshot(&shot("18-step2-phone")).await;
    c.goto(&app.at("/legal/privacy")).await.unwrap();
    b.screenshot(&shot("19-privacy-phone")).await;
    b.close().await;
    app.stop().await;
}

db_test!(registration_in_a_browser);
