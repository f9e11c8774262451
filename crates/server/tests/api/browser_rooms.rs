//! Real WebRTC between two headless Chromium pages with fake camera,
//! microphone and screen: a host opens a meeting, a guest joins through
//! the invitation link, both connect and receive each other's video, the
//! host shares the screen and the guest sees it, the guest hangs up and
//! the host sees them leave.

use std::time::Duration;

use serde_json::Value;
use test_support::fantoccini::key::Key;
use test_support::fantoccini::{Client, Locator};
use test_support::{db_test, Backend, Browser};

use crate::helpers::{TestApp, PASSWORD};

pub(crate) const MEDIA: &[&str] = &[
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--auto-select-desktop-capture-source=Entire screen",
];

pub(crate) async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![]).await.expect("script runs")
}

/// Polls `script` until it returns true (30 s), then fails with `what`.
pub(crate) async fn until(c: &Client, script: &str, what: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while tokio::time::Instant::now() < deadline {
        if js(c, script).await == Value::Bool(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let state = js(c, "return {stage: window.kontorRoom?.stage(), peers: window.kontorRoom?.peers(), members: window.kontorRoom?.members()}").await;
    panic!("{what}: not reached within 30 s; state {state}");
}

/// Signs in on the login page (keyboard only) and waits for `next`.
pub(crate) async fn sign_in(c: &Client, app: &TestApp, email: &str, next: &str) {
    c.goto(&app.at(&format!("/login?next={next}"))).await.unwrap();
    c.find(Locator::Id("f-email"))
        .await
        .unwrap()
        .send_keys(email)
        .await
        .unwrap();
    c.active_element()
        .await
        .unwrap()
        .send_keys(&format!("{}{PASSWORD}{}", Key::Tab, Key::Enter))
        .await
        .unwrap();
    until(c, &format!("return location.pathname === '{next}'"), "signed in").await;
}

pub(crate) async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css)).await.expect(css).click().await.expect(css);
}

async fn two_pages_talk_share_a_screen_and_hang_up(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let shot = |n: &str| format!("rooms-{}-{n}", format!("{backend:?}").to_lowercase());
    app.create_user("gastgeberin@rooms.test", None, None).await;

    // The host signs in, opens a meeting and joins it.
    let (host_browser, guest_browser) = Browser::start_pair(MEDIA).await;
    let host = &host_browser.client;
    sign_in(host, &app, "gastgeberin@rooms.test", "/meetings").await;
    host.find(Locator::Id("f-title"))
        .await
        .unwrap()
        .send_keys("Abstimmung Übergabe")
        .await
        .unwrap();
    click(host, "form[action='/meetings'] button[type=submit]").await;
    until(host, "return !!window.kontorRoom", "room page").await;
    let invite = host
        .find(Locator::Css("[data-copy-text]"))
        .await
        .unwrap()
        .attr("data-copy-text")
        .await
        .unwrap()
        .unwrap()
        .replace("http://kontor.test", &app.url);
    click(host, "[data-join-button]").await;
    until(host, "return window.kontorRoom.stage() === 'in'", "host in the room").await;

    // A guest opens the invitation link in another browser and joins by name.
    let guest = &guest_browser.client;
    guest.goto(&invite).await.unwrap();
    guest
        .find(Locator::Id("f-name"))
        .await
        .unwrap()
        .send_keys("Gast Jürgen")
        .await
        .unwrap();
    guest_browser.screenshot(&shot("1-guest-prejoin")).await;
    click(guest, "[data-join-button]").await;
    until(guest, "return window.kontorRoom.stage() === 'in'", "guest in the room").await;

    // Both peer connections reach "connected" and each side decodes the other's camera.
    let connected = "const p = window.kontorRoom.peers(); return p.length === 1 && p[0].connection === 'connected'";
    until(host, connected, "host connected").await;
    until(guest, connected, "guest connected").await;
    let host_id = js(host, "return window.kontorRoom.me()").await;
    let guest_id = js(guest, "return window.kontorRoom.me()").await;
    let receives = |who: &Value, slot: &str| format!("return window.kontorRoom.received({who}, '{slot}') > 0");
    until(host, &receives(&guest_id, "camera"), "host receives the guest's video").await;
    until(guest, &receives(&host_id, "camera"), "guest receives the host's video").await;
    host_browser.screenshot(&shot("2-host-in-call")).await;

    // The host shares the (fake) screen; the guest receives it as a separate video.
    click(host, ".room-controls [data-toggle=screen]").await;
    until(guest, &receives(&host_id, "screen"), "guest receives the screen").await;
    until(
        guest,
        "return document.querySelector('.tile-screen figcaption').textContent.includes('Test Nutzer')",
        "screen tile labelled",
    )
    .await;
    guest_browser.screenshot(&shot("3-guest-sees-screen")).await;

    // The guest hangs up; the host sees them leave at once.
    click(guest, ".room-controls [data-leave]").await;
    until(
        guest,
        "return window.kontorRoom.stage() === 'end'",
        "guest sees the end page",
    )
    .await;
    until(
        host,
        "return window.kontorRoom.members().length === 1 && window.kontorRoom.peers().length === 0 \
         && document.querySelectorAll('.tile:not(.tile-screen)').length === 1",
        "host sees the guest leave",
    )
    .await;
    host_browser.screenshot(&shot("4-host-alone")).await;
    host_browser.close().await;
    guest_browser.close().await;
    app.stop().await;
}

db_test!(two_pages_talk_share_a_screen_and_hang_up);
