//! The one place where errors become HTTP responses.
//!
//! Handlers return [`ApiError`] (JSON API) or [`PageError`] (HTML pages).
//! Both only set the status and attach the error to the response; the
//! context middleware, which knows the request's language, renders the
//! body: `{"error": {"code", "message", "field", "details"}}` for the API,
//! an error page for people.

use std::sync::Arc;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use kernel::{tr, tr_args, DomainError, Lang};
use serde::Serialize;

/// Errors the web layer adds to the domain's.
#[derive(Debug)]
pub enum WebError {
    Domain(DomainError),
    /// The body is not JSON at all.
    MalformedJson(String),
    /// The JSON has the wrong shape at `field`.
    InvalidJson {
        field: String,
        detail: String,
    },
    UnsupportedMediaType,
    PayloadTooLarge,
    NotFound,
    MethodNotAllowed,
    /// A form or unsafe request without a valid CSRF token or from another site.
    Csrf,
}

impl From<DomainError> for WebError {
    fn from(e: DomainError) -> Self {
        WebError::Domain(e)
    }
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::Domain(d) => match d {
                DomainError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
                DomainError::Conflict(_) => StatusCode::CONFLICT,
                DomainError::NotFound { .. } => StatusCode::NOT_FOUND,
                DomainError::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
                DomainError::Forbidden => StatusCode::FORBIDDEN,
                DomainError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
                DomainError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            WebError::MalformedJson(_) => StatusCode::BAD_REQUEST,
            WebError::InvalidJson { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            WebError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            WebError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            WebError::Csrf => StatusCode::FORBIDDEN,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            WebError::Domain(d) => d.code(),
            WebError::MalformedJson(_) => "malformed_json",
            WebError::InvalidJson { .. } => "invalid_field",
            WebError::UnsupportedMediaType => "unsupported_media_type",
            WebError::PayloadTooLarge => "payload_too_large",
            WebError::NotFound => "not_found",
            WebError::MethodNotAllowed => "method_not_allowed",
            WebError::Csrf => "csrf_failed",
        }
    }

    /// The message in `lang`, with details where they help the caller.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            WebError::Domain(DomainError::Validation(errors)) if !errors.is_empty() => field_message(lang, &errors[0]),
            WebError::Domain(DomainError::Conflict(e)) => field_message(lang, e),
            WebError::Domain(DomainError::RateLimited { retry_after_secs }) => tr_args(
                lang,
                "errors.rate_limited",
                &[("seconds", &retry_after_secs.to_string())],
            ),
            WebError::MalformedJson(detail) => {
                format!("{} ({detail})", tr(lang, "errors.malformed_json"))
            }
            WebError::InvalidJson { detail, .. } => {
                format!("{} ({detail})", tr(lang, "errors.invalid_field"))
            }
            WebError::PayloadTooLarge => tr_args(
                lang,
                "errors.payload_too_large",
                &[("kib", &(crate::MAX_BODY_BYTES / 1024).to_string())],
            ),
            other => tr(lang, &format!("errors.{}", other.code())),
        }
    }

    pub fn field(&self) -> Option<&str> {
        match self {
            WebError::Domain(d) => d.field_errors().first().map(|e| e.field.as_str()),
            WebError::InvalidJson { field, .. } => Some(field),
            _ => None,
        }
    }
}

/// The translated message for one field problem.
pub fn field_message(lang: Lang, e: &kernel::error::FieldError) -> String {
    let args: Vec<(&str, &str)> = e.params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    tr_args(lang, &format!("errors.{}", e.code), &args)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// The error object every failed API call returns.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine code, e.g. `customer_number_taken`.
    pub code: String,
    /// Human-readable, in the caller's language.
    pub message: String,
    /// The input field at fault, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every field problem when there are several.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<FieldDetail>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FieldDetail {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl ErrorBody {
    pub fn new(e: &WebError, lang: Lang) -> Self {
        let details = match e {
            WebError::Domain(DomainError::Validation(errors)) if errors.len() > 1 => errors
                .iter()
                .map(|fe| FieldDetail {
                    field: fe.field.clone(),
                    code: fe.code.to_string(),
                    message: field_message(lang, fe),
                })
                .collect(),
            _ => Vec::new(),
        };
        ErrorBody {
            error: ErrorDetail {
                code: e.code().to_string(),
                message: e.message(lang),
                field: e.field().map(str::to_string),
                details,
            },
        }
    }
}

/// Which way the middleware should render an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorStyle {
    Json,
    Page,
}

/// Attached to error responses for the context middleware to render.
#[derive(Clone)]
pub struct PendingError {
    pub error: Arc<WebError>,
    pub style: ErrorStyle,
}

fn pending(error: WebError, style: ErrorStyle) -> Response {
    if let WebError::Domain(DomainError::Internal(detail)) = &error {
        tracing::error!(%detail, "internal error");
    }
    let status = error.status();
    let mut response = status.into_response();
    if let WebError::Domain(DomainError::RateLimited { retry_after_secs }) = &error {
        if let Ok(v) = retry_after_secs.to_string().parse() {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    response.extensions_mut().insert(PendingError {
        error: Arc::new(error),
        style,
    });
    response
}

/// An error from a JSON API handler or extractor.
#[derive(Debug)]
pub struct ApiError(pub WebError);

impl From<WebError> for ApiError {
    fn from(e: WebError) -> Self {
        ApiError(e)
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        ApiError(WebError::Domain(e))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        pending(self.0, ErrorStyle::Json)
    }
}

/// An error from a page handler: shown as an error page, or, when the
/// visitor is not signed in, a redirect to the sign-in page.
#[derive(Debug)]
pub struct PageError(pub WebError);

impl From<WebError> for PageError {
    fn from(e: WebError) -> Self {
        PageError(e)
    }
}

impl From<DomainError> for PageError {
    fn from(e: DomainError) -> Self {
        PageError(WebError::Domain(e))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        pending(self.0, ErrorStyle::Page)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
pub type PageResult<T> = Result<T, PageError>;

fn style_for(path: &str) -> ErrorStyle {
    if path.starts_with("/api/") {
        ErrorStyle::Json
    } else {
        ErrorStyle::Page
    }
}

pub async fn fallback(uri: axum::http::Uri) -> Response {
    pending(WebError::NotFound, style_for(uri.path()))
}

pub async fn method_not_allowed(uri: axum::http::Uri) -> Response {
    pending(WebError::MethodNotAllowed, style_for(uri.path()))
}

/// A panic in a handler: logged, answered with a plain 500.
pub fn panic_response(_err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    let body = ErrorBody::new(&WebError::Domain(DomainError::internal("panic")), Lang::En);
    (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response()
}
