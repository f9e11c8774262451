//! The conference join in two headless Chromium pages with fake camera and
//! microphone: a participant enters number and PIN on the join page and
//! waits for the moderator; the moderator joins with the moderator PIN;
//! both are let in and connected with audio and video both ways.

use test_support::fantoccini::{Client, Locator};
use test_support::{db_test, Backend, Browser};

use crate::browser_rooms::{click, js, until, MEDIA};
use crate::helpers::TestApp;

/// Fills the join page and submits it.
async fn join(c: &Client, app: &TestApp, number: &str, pin: &str, name: &str) {
    c.goto(&app.at(&format!("/join?n={number}"))).await.unwrap();
    for (id, value) in [("f-pin", pin), ("f-name", name)] {
        c.find(Locator::Id(id)).await.unwrap().send_keys(value).await.unwrap();
    }
    click(c, "form[action='/join'] button[type=submit]").await;
}

async fn participant_waits_until_the_moderator_joins(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let shot = |n: &str| format!("conference-{}-{n}", format!("{backend:?}").to_lowercase());
    let anna = app.create_user("anna@konferenz.test", None, None).await;
    app.services.conference.set_pins(&anna, "4711", "9051").await.unwrap();
    let number = app.services.conference.mine(&anna).await.unwrap().number.to_string();

    let (p_browser, m_browser) = Browser::start_pair(MEDIA).await;
    let p = &p_browser.client;
    // A wrong PIN first: the form says so and keeps the number.
    join(p, &app, &number, "1111", "Paul Teilnehmer").await;
    until(
        p,
        "return !!document.querySelector('#e-pin')",
        "wrong PIN shown at the field",
    )
    .await;
    let kept = js(p, "return document.querySelector('#f-number').value").await;
    assert_eq!(kept, number.as_str());
    p_browser.screenshot(&shot("1-wrong-pin")).await;

    // The participant enters and waits for the moderator.
    join(p, &app, &number, "9051", "Paul Teilnehmer").await;
    until(
        p,
        "return window.kontorRoom?.stage() === 'waiting'",
        "participant waits",
    )
    .await;
    until(
        p,
        "return document.querySelector('[data-waiting-title]').textContent.toLowerCase().includes('moderator') \
         && document.querySelector('[data-waiting-count]').textContent.includes('1')",
        "waiting for the moderator, one waiting",
    )
    .await;
    assert!(
        js(p, "return location.hash").await == "",
        "grant not left in the address bar"
    );
    p_browser.screenshot(&shot("2-participant-waits")).await;

    // The moderator joins with the moderator PIN: both are in.
    let m = &m_browser.client;
    join(m, &app, &number, "4711", "Anna Moderatorin").await;
    until(m, "return window.kontorRoom?.stage() === 'in'", "moderator in the room").await;
    until(p, "return window.kontorRoom.stage() === 'in'", "participant let in").await;
    let roles = js(m, "return window.kontorRoom.members().map(x => x.role).sort().join()").await;
    assert_eq!(roles, "host,participant");

    let connected = "const p = window.kontorRoom.peers(); return p.length === 1 && p[0].connection === 'connected'";
    until(m, connected, "moderator connected").await;
    until(p, connected, "participant connected").await;
    let m_id = js(m, "return window.kontorRoom.me()").await;
    let p_id = js(p, "return window.kontorRoom.me()").await;
    let receives = |who: &serde_json::Value| format!("return window.kontorRoom.received({who}, 'camera') > 0");
    until(m, &receives(&p_id), "moderator receives the participant's video").await;
    until(p, &receives(&m_id), "participant receives the moderator's video").await;
    // Audio flows both ways too (fake microphone: a beep).
    let audio = "return window.kontorRoom.audioIn().then((bytes) => bytes > 0)";
    until(m, audio, "moderator receives audio").await;
    until(p, audio, "participant receives audio").await;
    m_browser.screenshot(&shot("3-moderator-in-call")).await;
    p_browser.screenshot(&shot("4-participant-in-call")).await;
    p_browser.close().await;
    m_browser.close().await;
    app.stop().await;
}

db_test!(participant_waits_until_the_moderator_joins);
