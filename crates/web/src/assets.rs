//! Static files, embedded in the binary so one file is the whole server.

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::state::AppState;

const CACHE: &str = "public, max-age=3600";

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse + Clone {
    (
        [(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, CACHE)],
        body,
    )
}

pub fn router() -> Router<AppState> {
    let css = asset("text/css; charset=utf-8", include_str!("../static/app.css"));
    let js = asset("text/javascript; charset=utf-8", include_str!("../static/app.js"));
    let calls_js = asset("text/javascript; charset=utf-8", include_str!("../static/calls.js"));
    let chat_js = asset("text/javascript; charset=utf-8", include_str!("../static/chat.js"));
    let room_js = asset(
        "text/javascript; charset=utf-8",
        include_str!("../static/rooms/room.js"),
    );
    let room_socket_js = asset(
        "text/javascript; charset=utf-8",
        include_str!("../static/rooms/socket.js"),
    );
    let room_media_js = asset(
        "text/javascript; charset=utf-8",
        include_str!("../static/rooms/media.js"),
    );
    let widget_js = asset(
        "text/javascript; charset=utf-8",
        include_str!("../static/widget/session.js"),
    );
    let widget_css = asset("text/css; charset=utf-8", include_str!("../static/widget/session.css"));
    let icon = asset("image/svg+xml", include_str!("../static/favicon.svg"));
    Router::new()
        .route("/static/app.css", get(move || async move { css }))
        .route("/static/app.js", get(move || async move { js }))
        .route("/static/calls.js", get(move || async move { calls_js }))
        .route("/static/chat.js", get(move || async move { chat_js }))
        .route("/static/rooms/room.js", get(move || async move { room_js }))
        .route("/static/rooms/socket.js", get(move || async move { room_socket_js }))
        .route("/static/rooms/media.js", get(move || async move { room_media_js }))
        .route("/static/favicon.svg", get(move || async move { icon }))
        .route("/widget/session.js", get(move || async move { widget_js }))
        .route("/widget/session.css", get(move || async move { widget_css }))
}
