//! The Info Counter in two headless Chromium pages with fake media: a
//! staff member on standby opens the counter, a visitor walks up from the
//! public card, they talk (WebRTC connected, video both ways), the visitor
//! browses to another page of the platform and is still in the call (the
//! same page, the same connection), then hangs up and stays on the page
//! they were browsing.

use serde_json::{json, Value};
use test_support::fantoccini::key::Key;
use test_support::fantoccini::Locator;
use test_support::{db_test, Backend, Browser};

use crate::browser_rooms::{click, js, until, MEDIA};
use crate::helpers::{TestApp, PASSWORD};

async fn visitor_talks_browses_and_hangs_up(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let shot = |n: &str| format!("counter-{}-{n}", format!("{backend:?}").to_lowercase());
    app.login_operator().await;
    let r = app
        .post_json(
            "/api/v1/cards",
            &json!({"name": "Messestand Nord", "contact_email": "stand@nord.test", "topics": "Messe"}),
        )
        .await;
    let card: Value = r.json().await.unwrap();
    let card = card["id"].as_str().unwrap().to_string();
    app.create_user("stand@nord.test", None, None).await;
    let staff_api = app.second_client();
    staff_api.login("stand@nord.test").await;
    let r = staff_api
        .put_json(
            "/api/v1/profile/networking",
            &json!({"networking": true, "findable": true, "show_as_contact": true, "standby": true}),
        )
        .await;
    assert_eq!(r.status(), 200);

    // The staff member signs in and staffs the counter.
    let (staff_browser, visitor_browser) = Browser::start_pair(MEDIA).await;
    let staff = &staff_browser.client;
    staff
        .goto(&app.at(&format!("/login?next=/cards/{card}/counter")))
        .await
        .unwrap();
    staff
        .find(Locator::Id("f-email"))
        .await
        .unwrap()
        .send_keys("stand@nord.test")
        .await
        .unwrap();
    staff
        .active_element()
        .await
        .unwrap()
        .send_keys(&format!("{}{PASSWORD}{}", Key::Tab, Key::Enter))
        .await
        .unwrap();
    until(staff, "return !!window.kontorRoom", "counter page").await;
    click(staff, "[data-join-button]").await;
    until(
        staff,
        "return window.kontorRoom.stage() === 'in'",
        "staff at the counter",
    )
    .await;

    // The visitor finds the card open and walks up.
    let visitor = &visitor_browser.client;
    visitor.goto(&app.at(&format!("/cards/{card}"))).await.unwrap();
    click(visitor, "[data-counter-link]").await;
    until(visitor, "return !!window.kontorRoom", "visitor at the counter page").await;
    visitor
        .find(Locator::Id("f-name"))
        .await
        .unwrap()
        .send_keys("Besucherin Jana")
        .await
        .unwrap();
    click(visitor, "[data-join-button]").await;
    until(
        visitor,
        "return window.kontorRoom.stage() === 'in'",
        "visitor in the counter",
    )
    .await;
    let connected = "const p = window.kontorRoom.peers(); return p.length === 1 && p[0].connection === 'connected'";
    until(visitor, connected, "visitor connected").await;
    until(staff, connected, "staff connected").await;
    let staff_id = js(staff, "return window.kontorRoom.me()").await;
    let visitor_id = js(visitor, "return window.kontorRoom.me()").await;
    let receives = |who: &Value| format!("return window.kontorRoom.received({who}, 'camera') > 0");
    until(visitor, &receives(&staff_id), "visitor sees the staff member").await;
    until(staff, &receives(&visitor_id), "staff sees the visitor").await;
    // Staff are marked in the participant list.
    until(
        visitor,
        "return [...document.querySelectorAll('[data-people] .role-staff')].length === 1",
        "staff marked",
    )
    .await;
    visitor_browser.screenshot(&shot("1-visitor-talks")).await;

    // The visitor browses to the directory inside the platform frame.
    js(visitor, "window.__samePage = true; return true").await;
    visitor.enter_frame(Some(0)).await.unwrap();
    click(visitor, "nav a[href='/cards']").await;
    visitor.enter_parent_frame().await.unwrap();
    until(
        visitor,
        "const f = document.querySelector('[data-dock-frame]'); return f.contentWindow.location.pathname === '/cards' \
         && f.contentDocument.readyState === 'complete' && location.search.includes('at=%2Fcards')",
        "directory shown beside the call",
    )
    .await;
    // Still the same page (no reload), still connected, video still flowing.
    assert_eq!(
        js(visitor, "return window.__samePage === true").await,
        Value::Bool(true)
    );
    until(visitor, connected, "still connected after browsing").await;
    let frames = js(
        visitor,
        "const v = document.querySelector('.tile:not(.tile-screen) video:not([data-own-video])'); \
         return v ? v.getVideoPlaybackQuality().totalVideoFrames : 0",
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let later = js(
        visitor,
        "const v = document.querySelector('.tile:not(.tile-screen) video:not([data-own-video])'); \
         return v ? v.getVideoPlaybackQuality().totalVideoFrames : 0",
    )
    .await;
    assert!(
        later.as_i64() > frames.as_i64(),
        "video keeps playing: {frames} → {later}"
    );
    assert_eq!(js(staff, "return window.kontorRoom.members().length").await, json!(2));
    visitor_browser.screenshot(&shot("2-visitor-browses")).await;

    // The visitor hangs up: the staff member sees them go, and the visitor
    // stays on the page they were browsing.
    click(visitor, ".room-controls [data-leave]").await;
    until(
        visitor,
        "return location.pathname === '/cards' && !window.kontorRoom",
        "visitor back on the directory",
    )
    .await;
    until(
        staff,
        "return window.kontorRoom.members().length === 1 && window.kontorRoom.peers().length === 0",
        "staff sees the visitor leave",
    )
    .await;
    staff_browser.screenshot(&shot("3-staff-alone")).await;
    staff_browser.close().await;
    visitor_browser.close().await;
    app.stop().await;
}

db_test!(visitor_talks_browses_and_hangs_up);
