//! The HTTP face of Kontor: server-rendered pages for people, a JSON API
//! under `/api/v1` for programs (described by a generated OpenAPI
//! document), and the one place where domain errors become responses.

mod api;
mod assets;
mod context;
mod error;
mod extract;
mod forms;
mod live;
mod pages;
mod rooms;
mod state;

pub use state::{AppState, Readiness, WebConfig};

use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderName, HeaderValue};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Largest request body accepted anywhere (uploads get their own limit).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Largest upload (CSV import files: 100,000 employees fit easily).
pub const MAX_UPLOAD_BYTES: usize = 32 * 1024 * 1024;

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application as one router.
pub fn router(state: AppState) -> Router {
    let (api_router, openapi) = api::router().split_for_parts();
    let openapi = std::sync::Arc::new(openapi);
    Router::new()
        .merge(api_router)
        .merge(api::docs_router(openapi))
        .merge(live::router())
        .merge(rooms::router())
        .merge(pages::router())
        .merge(assets::router())
        .fallback(error::fallback)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(state.clone(), context::middleware))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("SAMEORIGIN"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                 connect-src 'self'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'",
            ),
        ))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                let id = req
                    .headers()
                    .get(&REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
            }),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
        .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), MakeRequestUuid))
        .with_state(state)
}

/// A CSV file as a download (exports hold personal data: not cached).
pub(crate) fn csv_download(name: &str, bytes: Vec<u8>) -> impl axum::response::IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
}
