//! Per-request context, worked out once by a middleware: who is signed in,
//! which language to answer in, the CSRF token, a pending flash message.
//! The same middleware turns pending errors into localized bodies and
//! refuses unsafe requests coming from other sites.

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use domain::identity::{Membership, User};
use kernel::{DomainError, Lang};

use crate::error::{ErrorBody, ErrorStyle, PendingError, WebError};
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "kontor_session";
pub const CSRF_COOKIE: &str = "kontor_csrf";
pub const LANG_COOKIE: &str = "kontor_lang";
pub const FLASH_COOKIE: &str = "kontor_flash";

/// A one-time message shown on the next page ("Konto angelegt").
#[derive(Debug, Clone)]
pub struct Flash {
    /// "success", "info" or "error"
    pub kind: String,
    /// Translation key under `flash.`
    pub key: String,
    /// Fills `%{arg}` (and after a `|`, `%{arg2}`) in the text, e.g. the
    /// names concerned; shown escaped.
    pub arg: String,
}

impl Flash {
    fn parse(raw: &str) -> Option<Flash> {
        let (kind, rest) = raw.split_once(':')?;
        let (key, arg) = rest.split_once(':').unwrap_or((rest, ""));
        let ok = matches!(kind, "success" | "info" | "error")
            && !key.is_empty()
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        let arg = serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("a={arg}"))
            .ok()
            .and_then(|v| v.into_iter().next())
            .map(|(_, v)| v)
            .unwrap_or_default();
        ok.then(|| Flash {
            kind: kind.to_string(),
            key: key.to_string(),
            arg,
        })
    }

    /// The message in `lang` (`arg` "a|b" fills `%{arg}` and `%{arg2}`).
    pub fn text(&self, lang: &Lang) -> String {
        let (a, b) = self.arg.split_once('|').unwrap_or((&self.arg, ""));
        kernel::tr_args(*lang, &format!("flash.{}", self.key), &[("arg", a), ("arg2", b)])
    }

    /// Like [`Flash::cookie`], with `arg` for the text's `%{arg}` (kept short).
    pub fn cookie_with(kind: &str, key: &str, arg: &str) -> Cookie<'static> {
        let short: String = arg.chars().take(600).collect();
        let mut c = Flash::cookie(kind, key);
        c.set_value(format!("{kind}:{key}:{}", urlencode(&short)));
        c
    }

    /// The cookie that carries a flash to the next page.
    pub fn cookie(kind: &str, key: &str) -> Cookie<'static> {
        let mut c = Cookie::new(FLASH_COOKIE, format!("{kind}:{key}"));
        c.set_path("/");
        c.set_http_only(true);
        c.set_same_site(SameSite::Lax);
        c
    }
}

/// What every handler may want to know about the request.
#[derive(Clone)]
pub struct Ctx {
    pub lang: Lang,
    pub user: Option<User>,
    /// The signed-in user's account memberships (read with the session).
    pub memberships: Vec<Membership>,
    pub session_token: Option<String>,
    pub csrf: String,
    pub flash: Option<Flash>,
    pub dev_mode: bool,
    pub secure_cookies: bool,
    pub path: String,
    pub ip: String,
    pub user_agent: String,
}

impl Ctx {
    pub fn t(&self, key: &str) -> String {
        kernel::tr(self.lang, key)
    }

    /// The text under `prefix` + `suffix`, for keys built from values
    /// ("roles." + "admin").
    pub fn tk(&self, prefix: &str, suffix: impl std::fmt::Display) -> String {
        kernel::tr(self.lang, &format!("{prefix}{suffix}"))
    }

    /// Whether the page is one of the account's secretary pages (sidebar).
    pub fn in_secretary(&self, account: &kernel::AccountId) -> bool {
        let Some(rest) = self.path.strip_prefix(&format!("/portal/{account}/")) else {
            return false;
        };
        ["secretary", "employees", "vips", "faq", "audit", "calls", "statistics"]
            .iter()
            .any(|p| rest == *p || rest.starts_with(&format!("{p}/")))
    }

    /// A cookie with the site's attributes: HttpOnly, SameSite=Lax, Secure on https.
    pub fn cookie(&self, name: &'static str, value: String, max_age_secs: Option<i64>) -> Cookie<'static> {
        let mut c = Cookie::new(name, value);
        c.set_path("/");
        c.set_http_only(true);
        c.set_same_site(SameSite::Lax);
        c.set_secure(self.secure_cookies);
        if let Some(secs) = max_age_secs {
            c.set_max_age(cookie::time::Duration::seconds(secs));
        }
        c
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .expect("context middleware installed"))
    }
}

fn client_ip(req: &Request) -> String {
    req.extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default()
}

/// The one endpoint other sites may call: joining a session (the widget).
const WIDGET_JOIN: &str = "/api/v1/sessions/join";

/// Lets any site's scripts call the widget endpoint and read its answer.
fn cors(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("POST"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("content-type, accept-language"),
    );
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    r
}

/// True when an unsafe request was sent by a page of another site.
pub(crate) fn cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if site == "cross-site" {
            return true;
        }
    }
    if let (Some(origin), Some(host)) = (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        if origin == "null" {
            return true;
        }
        let origin_host = origin.split("://").nth(1).unwrap_or(origin);
        return !origin_host.eq_ignore_ascii_case(host);
    }
    false
}

pub async fn middleware(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let jar = CookieJar::from_headers(req.headers());
    let path = req.uri().path().to_string();
    let session_token = jar.get(SESSION_COOKIE).map(|c| c.value().to_string());
    let session = match &session_token {
        Some(token) => match state.identity.session_user(token).await {
            Ok(info) => info,
            Err(e) => {
                tracing::error!(error = %e, "session lookup failed");
                None
            }
        },
        None => None,
    };
    let (user, memberships) = match session {
        Some(info) => (Some(info.user), info.memberships),
        None => (None, Vec::new()),
    };
    let lang = user
        .as_ref()
        .map(|u| u.language)
        .or_else(|| jar.get(LANG_COOKIE).and_then(|c| Lang::parse(c.value())))
        .or_else(|| {
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .map(Lang::from_accept_language)
        })
        .unwrap_or_default();
    let (csrf, new_csrf) = match jar.get(CSRF_COOKIE) {
        Some(c) if c.value().len() >= 32 => (c.value().to_string(), false),
        _ => (domain::token::new_token(), true),
    };
    let flash = jar.get(FLASH_COOKIE).and_then(|c| Flash::parse(c.value()));
    let ctx = Ctx {
        lang,
        user,
        memberships,
        session_token: session_token.clone(),
        csrf,
        flash: flash.clone(),
        dev_mode: state.config.dev_mode,
        secure_cookies: state.config.secure_cookies(),
        path: path.clone(),
        ip: client_ip(&req),
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
    };

    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    // The join widget posts from customers' websites (CORS, any origin);
    // that endpoint uses no cookie from such requests (api::planner::join).
    let widget = path == WIDGET_JOIN;
    if widget && req.method() == Method::OPTIONS {
        return cors(StatusCode::NO_CONTENT.into_response());
    }
    let mut response = if unsafe_method && !widget && cross_site(req.headers()) {
        let style = if path.starts_with("/api/") {
            ErrorStyle::Json
        } else {
            ErrorStyle::Page
        };
        let mut r = StatusCode::FORBIDDEN.into_response();
        r.extensions_mut().insert(PendingError {
            error: std::sync::Arc::new(WebError::Csrf),
            style,
        });
        r
    } else {
        req.extensions_mut().insert(ctx.clone());
        next.run(req).await
    };

    if let Some(p) = response.extensions_mut().remove::<PendingError>() {
        response = render_error(response, &p, &ctx);
    }
    let headers = response.headers_mut();
    // The API needs no form token; only pages hand one out.
    if new_csrf && !path.starts_with("/api/v1/") {
        append_cookie(headers, ctx.cookie(CSRF_COOKIE, ctx.csrf.clone(), None));
    }
    let sets_flash = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.to_str().is_ok_and(|s| s.starts_with(FLASH_COOKIE)));
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if flash.is_some() && is_html && !sets_flash {
        append_cookie(headers, removal(FLASH_COOKIE));
    }
    if session_token.is_some() && ctx.user.is_none() {
        let sets_session = headers
            .get_all(header::SET_COOKIE)
            .iter()
            .any(|v| v.to_str().is_ok_and(|s| s.starts_with(SESSION_COOKIE)));
        if !sets_session {
            append_cookie(headers, removal(SESSION_COOKIE));
        }
    }
    if widget {
        return cors(response);
    }
    response
}

pub fn removal(name: &'static str) -> Cookie<'static> {
    let mut c = Cookie::new(name, "");
    c.set_path("/");
    c.make_removal();
    c
}

fn append_cookie(headers: &mut HeaderMap, cookie: Cookie<'static>) {
    if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
        headers.append(header::SET_COOKIE, v);
    }
}

fn render_error(response: Response, p: &PendingError, ctx: &Ctx) -> Response {
    let status = response.status();
    let (mut parts, _) = response.into_parts();
    match p.style {
        ErrorStyle::Json => {
            let body = serde_json::to_vec(&ErrorBody::new(&p.error, ctx.lang)).unwrap_or_default();
            parts
                .headers
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            Response::from_parts(parts, Body::from(body))
        }
        ErrorStyle::Page => {
            if let WebError::Domain(DomainError::Unauthenticated { .. }) = *p.error {
                let next = urlencode(&ctx.path);
                return Redirect::to(&format!("/login?next={next}")).into_response();
            }
            let mut page = crate::pages::error_page(ctx, status, &p.error.message(ctx.lang));
            for (name, value) in parts.headers.iter() {
                if name == header::RETRY_AFTER {
                    page.headers_mut().insert(name, value.clone());
                }
            }
            page
        }
    }
}

pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|e| e.trim_start_matches('=').to_string())
        .unwrap_or_default()
}
