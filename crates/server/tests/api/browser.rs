//! End to end in a real browser (headless Debian chromium): sign in, make
//! a mistake in a form, correct it, find the result; screenshots of each
//! step at desktop and phone width land in `test-output/`.

use test_support::fantoccini::Locator;
use test_support::{db_test, Backend, Browser};

use crate::helpers::{TestApp, OPERATOR_EMAIL, PASSWORD};

async fn operator_signs_in_and_creates_an_account(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user(OPERATOR_EMAIL, Some(domain::identity::PlatformRole::Operator), None)
        .await;
    let b = Browser::start().await;
    let c = &b.client;
    let tag = format!("{backend:?}").to_lowercase();

    c.goto(&app.at("/operator/accounts")).await.unwrap();
    assert!(c
        .current_url()
        .await
        .unwrap()
        .as_str()
        .contains("/login?next=%2Foperator%2Faccounts"));
    b.screenshot(&format!("foundation-{tag}-1-login")).await;
    c.find(Locator::Id("f-email"))
        .await
        .unwrap()
        .send_keys(OPERATOR_EMAIL)
        .await
        .unwrap();
    // Keyboard only: Enter in the password field submits.
    c.find(Locator::Id("f-password"))
        .await
        .unwrap()
        .send_keys(&format!("{PASSWORD}\u{E007}"))
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("a[href='/operator/accounts/new']"))
        .await
        .unwrap();
    assert!(c.current_url().await.unwrap().as_str().ends_with("/operator/accounts"));
    b.screenshot(&format!("foundation-{tag}-2-empty-list")).await;

    c.find(Locator::Css("a[href='/operator/accounts/new']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Id("f-customer_number"))
        .await
        .unwrap()
        .send_keys("K-77")
        .await
        .unwrap();
    c.find(Locator::Id("f-postal_code"))
        .await
        .unwrap()
        .send_keys("1")
        .await
        .unwrap();
    c.find(Locator::Id("f-name"))
        .await
        .unwrap()
        .send_keys("Weinhandlung Größe & Söhne")
        .await
        .unwrap();
    c.find(Locator::Css("form.form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let err = c.wait().for_element(Locator::Id("e-postal_code")).await.unwrap();
    assert!(err.text().await.unwrap().contains("Postleitzahl"));
    b.screenshot(&format!("foundation-{tag}-3-form-error")).await;

    let zip = c.find(Locator::Id("f-postal_code")).await.unwrap();
    zip.clear().await.unwrap();
    zip.send_keys("55116").await.unwrap();
    c.find(Locator::Css("form.form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let flash = c.wait().for_element(Locator::Css(".flash-success")).await.unwrap();
    assert!(flash.text().await.unwrap().contains("angelegt"));
    b.screenshot(&format!("foundation-{tag}-4-account")).await;

    c.goto(&app.at("/operator/accounts")).await.unwrap();
    let row = c.find(Locator::Css("table.table tbody tr")).await.unwrap();
    assert!(row.text().await.unwrap().contains("Weinhandlung Größe & Söhne"));
    c.set_window_size(390, 844).await.unwrap();
    b.screenshot(&format!("foundation-{tag}-5-list-phone")).await;
    // On a phone the navigation hides behind the menu button.
    let nav = c.find(Locator::Css("#sidebar")).await.unwrap();
    assert!(!nav.is_displayed().await.unwrap());
    c.find(Locator::Css("[data-nav-toggle]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(nav.is_displayed().await.unwrap());
    b.screenshot(&format!("foundation-{tag}-6-menu-phone")).await;
    b.close().await;
    app.stop().await;
}

db_test!(operator_signs_in_and_creates_an_account);
