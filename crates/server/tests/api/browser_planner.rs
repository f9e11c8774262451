//! A planned session in real browsers: the host starts it from the planner
//! and shares the (fake) screen; a participant joins through the widget
//! snippet on another website (another origin) by typing the session number
//! and a name, and sees the screen; the host locks the session and a third
//! page (the widget with the number preset) is refused with the reason
//! shown in the widget.

use test_support::fantoccini::Client;
use test_support::{db_test, Backend, Browser};

use crate::browser_rooms::{click, js, sign_in, until, MEDIA};
use crate::helpers::TestApp;

/// A customer's website on its own origin with the widget pasted in.
async fn website(snippet: String) -> (String, tokio::task::JoinHandle<()>) {
    let html = format!(
        "<!doctype html><html lang=\"de\"><head><meta charset=\"utf-8\"><title>Muster GmbH – Fernwartung</title></head>\
         <body><h1>Fernwartung</h1><p>Bitte geben Sie Ihren Namen ein.</p>{snippet}</body></html>"
    );
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let html = html.clone();
            async move { axum::response::Html(html) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://localhost:{}/", listener.local_addr().unwrap().port());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, task)
}

/// Fills the widget (in its shadow root): the number if it asks for one,
/// then the name, and submits it.
async fn widget_join(c: &Client, number: Option<&str>, name: &str) {
    until(
        c,
        "return !!document.querySelector('[data-kontor-session]')?.shadowRoot?.querySelector('input[name=name]')",
        "widget rendered",
    )
    .await;
    let number = number
        .map(|n| format!("r.querySelector('input[name=number]').value = {n:?};"))
        .unwrap_or_default();
    let script = format!(
        "const r = document.querySelector('[data-kontor-session]').shadowRoot; {number} \
         r.querySelector('input[name=name]').value = {name:?}; r.querySelector('form').requestSubmit(); return true"
    );
    js(c, &script).await;
}

async fn host_shares_participant_joins_by_widget_lock_refuses_third(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let shot = |n: &str| format!("planner-{}-{n}", format!("{backend:?}").to_lowercase());
    let anna = app.create_user("anna@planer.test", None, None).await;
    let entry = app
        .services
        .planner
        .create(
            &anna,
            &domain::planner::EntryInput {
                title: "Fernwartung Kasse".into(),
                start: "2026-12-01T10:00".into(),
                duration_min: 30,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let grouped = entry.number.grouped();

    // The host signs in and starts the entry from the planner.
    let mut browsers = Browser::start_several(MEDIA, 3).await;
    let third_browser = browsers.pop().unwrap();
    let guest_browser = browsers.pop().unwrap();
    let host_browser = browsers.pop().unwrap();
    let host = &host_browser.client;
    sign_in(host, &app, "anna@planer.test", "/planner").await;
    let listed = js(
        host,
        "return document.querySelector('[data-entry] .session-number').textContent",
    )
    .await;
    assert_eq!(listed, grouped.as_str());
    host_browser.screenshot(&shot("1-planner")).await;
    click(host, "[data-entry] [data-start]").await;
    until(host, "return !!window.kontorRoom", "room page").await;
    click(host, "[data-join-button]").await;
    until(host, "return window.kontorRoom.stage() === 'in'", "host in the session").await;
    click(host, ".room-controls [data-toggle=screen]").await;
    let host_id = js(host, "return window.kontorRoom.me()").await;

    // The participant opens the customer's website and types number and name
    // into the widget (a first try with a wrong number is answered at the field).
    let base = app.url.clone();
    let script = format!("<script src=\"{base}/widget/session.js\" async></script>");
    let (site, server) = website(format!("<div data-kontor-session></div>\n{script}")).await;
    let guest = &guest_browser.client;
    guest.goto(&site).await.unwrap();
    widget_join(guest, Some("999-999-99"), "Kundin Kasse").await;
    until(
        guest,
        "const e = document.querySelector('[data-kontor-session]').shadowRoot.querySelector('input[name=number]'); \
         return e.getAttribute('aria-invalid') === 'true'",
        "wrong number marked at the field",
    )
    .await;
    guest_browser.screenshot(&shot("2a-widget-wrong-number")).await;
    widget_join(guest, Some(&grouped), "Kundin Kasse").await;
    until(guest, "return !!window.kontorRoom", "session page on Kontor").await;
    assert!(js(guest, "return location.origin").await == base.as_str());
    until(
        guest,
        "return window.kontorRoom.stage() === 'in'",
        "participant in the session",
    )
    .await;
    let seen = format!("return window.kontorRoom.received({host_id}, 'screen') > 0");
    until(guest, &seen, "participant sees the host's screen").await;
    guest_browser.screenshot(&shot("2-participant-sees-screen")).await;

    // The host locks: a third page with the widget is refused, with the reason.
    click(host, ".room-controls [data-lock]").await;
    until(
        host,
        "return !document.querySelector('[data-lock-badge]').hidden",
        "locked badge",
    )
    .await;
    host_browser.screenshot(&shot("3-host-locked")).await;
    let third = &third_browser.client;
    // The remote-support variant: the number preset in the snippet.
    let (preset_site, preset_server) = website(format!(
        "<div data-kontor-session data-number=\"{grouped}\"></div>\n{script}"
    ))
    .await;
    third.goto(&preset_site).await.unwrap();
    widget_join(third, None, "Dritter").await;
    until(
        third,
        "const a = document.querySelector('[data-kontor-session]').shadowRoot.querySelector('[role=alert]'); \
         return !!a && !a.hidden && a.textContent.includes('abgeschlossen')",
        "third page refused: the session is locked",
    )
    .await;
    assert!(
        js(third, "return location.href").await == preset_site.as_str(),
        "stays on the website"
    );
    third_browser.screenshot(&shot("4-third-refused")).await;
    // The participant is still there.
    until(guest, "return window.kontorRoom.stage() === 'in'", "participant stays").await;

    server.abort();
    preset_server.abort();
    third_browser.close().await;
    host_browser.close().await;
    guest_browser.close().await;
    app.stop().await;
}

db_test!(host_shares_participant_joins_by_widget_lock_refuses_third);
