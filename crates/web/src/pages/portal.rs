//! The customer portal's pages: the router, and what its flows share (the
//! step indicator, the page for a link that cannot be used, form helpers),
//! plus the welcome page, password reset and the legal texts.
//!
//! Self-registration is in `register.rs`, the own profile in `profile.rs`,
//! the account's users and registrations in `account_users.rs`.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::cookie::CookieJar;
use domain::identity::tokens::{TokenKind, TokenState};
use domain::portal::{PRIVACY_VERSION, TERMS_VERSION};
use kernel::DomainError;
use serde::Deserialize;

use super::{account_users, profile, register, render};
use crate::context::Ctx;
use crate::error::{PageResult, WebError};
use crate::extract::PagePath;
use crate::forms::{CsrfForm, FormState};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/register", get(register::start_page).post(register::start_submit))
        .route(
            "/register/details",
            get(register::details_get).post(register::details_submit),
        )
        .route("/register/sent", get(register::sent))
        .route(
            "/register/confirm/{token}",
            get(register::confirm_page).post(register::confirm_submit),
        )
        .route("/welcome/{token}", get(welcome_page).post(welcome_submit))
        .route("/password/forgot", get(forgot_page).post(forgot_submit))
        .route("/password/reset/{token}", get(reset_page).post(reset_submit))
        .route("/profile", get(profile::page).post(profile::save))
        .route("/profile/password", post(profile::change_password))
        .route("/profile/marketing", post(profile::marketing))
        .route(
            "/portal/{account_id}/users",
            get(account_users::users).post(account_users::invite),
        )
        .route(
            "/portal/{account_id}/users/{user_id}/role",
            post(account_users::change_role),
        )
        .route(
            "/portal/{account_id}/users/{user_id}/status",
            post(account_users::set_status),
        )
        .route(
            "/portal/{account_id}/users/{user_id}/resend",
            post(account_users::resend),
        )
        .route("/portal/{account_id}/registrations", get(account_users::registrations))
        .route(
            "/portal/{account_id}/registrations/{registration_id}/approve",
            post(account_users::approve),
        )
        .route(
            "/portal/{account_id}/registrations/{registration_id}/reject",
            post(account_users::reject),
        )
        .route("/legal/privacy", get(privacy))
        .route("/legal/terms", get(terms))
}

// ----- shared helpers ---------------------------------------------------

/// A checkbox counts as ticked when the browser sent its value.
pub fn ticked(v: &Option<String>) -> bool {
    matches!(v.as_deref(), Some("true" | "on" | "1" | "yes"))
}

/// Sets the status of a page shown again because of `e`.
pub fn with_status(mut r: Response, e: &DomainError) -> Response {
    *r.status_mut() = WebError::Domain(clone_for_status(e)).status();
    r
}

/// A copy of `e` good enough for its status and non-field message.
pub fn clone_for_status(e: &DomainError) -> DomainError {
    match e {
        DomainError::Validation(_) => DomainError::Validation(Vec::new()),
        DomainError::Conflict(c) => DomainError::Conflict(c.clone()),
        DomainError::NotFound { what } => DomainError::NotFound { what },
        DomainError::Unauthenticated { code } => DomainError::Unauthenticated { code },
        DomainError::Forbidden => DomainError::Forbidden,
        DomainError::RateLimited { retry_after_secs } => DomainError::RateLimited {
            retry_after_secs: *retry_after_secs,
        },
        DomainError::Internal(s) => DomainError::Internal(s.clone()),
    }
}

/// Whether a form can be shown again with this error next to its fields
/// (as opposed to the error page).
pub fn shown_in_form(e: &DomainError) -> bool {
    matches!(
        e,
        DomainError::Validation(_) | DomainError::Conflict(_) | DomainError::RateLimited { .. }
    )
}

/// A refused submission: a form error is shown on the page `page` renders
/// (with the values entered and the error's status); any other error
/// becomes the error page.
pub async fn form_again<F, Fut>(
    e: DomainError,
    raw: std::collections::HashMap<String, String>,
    lang: kernel::Lang,
    page: F,
) -> crate::error::PageResult<axum::response::Response>
where
    F: FnOnce(crate::forms::FormState) -> Fut,
    Fut: std::future::Future<Output = crate::error::PageResult<axum::response::Response>>,
{
    if !shown_in_form(&e) {
        return Err(e.into());
    }
    let shown = page(crate::forms::FormState::failed(raw, &e, lang)).await?;
    Ok(with_status(shown, &e))
}

/// Whether any of the error's fields is one of `fields`.
pub fn error_on(e: &DomainError, fields: &[&str]) -> bool {
    e.field_errors().iter().any(|fe| fields.contains(&fe.field.as_str()))
}

/// One step of a multi-step flow, for the indicator above the form.
pub struct Step {
    pub num: usize,
    pub label: String,
    pub done: bool,
    pub current: bool,
}

/// The step indicator: labels (translation keys) and the current step (1-based).
pub fn steps(ctx: &Ctx, keys: &[&str], current: usize) -> Vec<Step> {
    keys.iter()
        .enumerate()
        .map(|(i, k)| Step {
            num: i + 1,
            label: ctx.t(k),
            done: i + 1 < current,
            current: i + 1 == current,
        })
        .collect()
}

/// Which flow a link belongs to: decides what the visitor can do next.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum LinkFlow {
    Confirm,
    Welcome,
    Reset,
}

impl LinkFlow {
    fn key(self) -> &'static str {
        match self {
            LinkFlow::Confirm => "confirm",
            LinkFlow::Welcome => "welcome",
            LinkFlow::Reset => "reset",
        }
    }
}

#[derive(Template)]
#[template(path = "portal/link_problem.html")]
struct LinkProblemPage<'a> {
    ctx: &'a Ctx,
    title: String,
    message: String,
    /// (href, label, primary)
    actions: Vec<(&'static str, String, bool)>,
}

/// The page for a link that cannot be used: why, and the way forward.
/// `why` is `link_invalid`, `link_expired` or `link_used`.
pub fn link_problem(ctx: &Ctx, flow: LinkFlow, why: &str) -> Response {
    let why = match why {
        "link_expired" => "expired",
        "link_used" => "used",
        _ => "invalid",
    };
    let prefix = format!("portal.link.{}.{why}", flow.key());
    let actions = match (flow, why) {
        (LinkFlow::Confirm, "used") => vec![("/login", ctx.t("portal.link.to_login"), true)],
        (LinkFlow::Confirm, _) => vec![
            ("/register", ctx.t("portal.link.register_again"), true),
            ("/login", ctx.t("portal.link.to_login"), false),
        ],
        (LinkFlow::Welcome, "used") => vec![
            ("/login", ctx.t("portal.link.to_login"), true),
            ("/password/forgot", ctx.t("portal.link.reset_password"), false),
        ],
        (LinkFlow::Welcome, _) => vec![
            ("/login", ctx.t("portal.link.to_login"), true),
            ("/password/forgot", ctx.t("portal.link.reset_password"), false),
        ],
        (LinkFlow::Reset, _) => vec![
            ("/password/forgot", ctx.t("portal.link.new_reset_link"), true),
            ("/login", ctx.t("portal.link.to_login"), false),
        ],
    };
    let mut r = render(&LinkProblemPage {
        ctx,
        title: ctx.t(&format!("{prefix}_title")),
        message: ctx.t(&format!("{prefix}_text")),
        actions,
    });
    *r.status_mut() = if why == "invalid" {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::GONE
    };
    r
}

/// The link page for a token state that is not `Valid`.
pub fn link_state_problem(ctx: &Ctx, flow: LinkFlow, state: &TokenState) -> Response {
    let code = match state {
        TokenState::Expired => "link_expired",
        TokenState::Used => "link_used",
        _ => "link_invalid",
    };
    link_problem(ctx, flow, code)
}

/// The code of a link error (`link_invalid`, …), if `e` is one.
pub fn link_error_code(e: &DomainError) -> Option<&'static str> {
    match e {
        DomainError::Unauthenticated { code } if code.starts_with("link_") => Some(code),
        _ => None,
    }
}

// ----- welcome page (invitation or approved registration) ---------------

const WELCOME_KINDS: [TokenKind; 2] = [TokenKind::Invitation, TokenKind::FinishRegistration];
const WELCOME_STEPS: [&str; 4] = [
    "portal.welcome.step_welcome",
    "portal.welcome.step_terms",
    "portal.welcome.step_privacy",
    "portal.welcome.step_password",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum WelcomeStep {
    Welcome,
    Terms,
    Privacy,
    Password,
}

impl WelcomeStep {
    fn parse(s: &str) -> Self {
        match s {
            "terms" => WelcomeStep::Terms,
            "privacy" => WelcomeStep::Privacy,
            "password" => WelcomeStep::Password,
            _ => WelcomeStep::Welcome,
        }
    }
    fn name(self) -> &'static str {
        match self {
            WelcomeStep::Welcome => "welcome",
            WelcomeStep::Terms => "terms",
            WelcomeStep::Privacy => "privacy",
            WelcomeStep::Password => "password",
        }
    }
    fn num(self) -> usize {
        match self {
            WelcomeStep::Welcome => 1,
            WelcomeStep::Terms => 2,
            WelcomeStep::Privacy => 3,
            WelcomeStep::Password => 4,
        }
    }
    fn prev(self) -> Self {
        match self {
            WelcomeStep::Welcome | WelcomeStep::Terms => WelcomeStep::Welcome,
            WelcomeStep::Privacy => WelcomeStep::Terms,
            WelcomeStep::Password => WelcomeStep::Privacy,
        }
    }
}

#[derive(Template)]
#[template(path = "portal/welcome.html")]
struct WelcomePage<'a> {
    ctx: &'a Ctx,
    action: String,
    step: &'static str,
    steps: Vec<Step>,
    form: FormState,
    accepted_terms: bool,
    accepted_privacy: bool,
    terms_version: &'static str,
    privacy_version: &'static str,
}

fn welcome(ctx: &Ctx, token: &str, step: WelcomeStep, mut form: FormState, terms: bool, privacy: bool) -> Response {
    // Ticked boxes stay ticked when the visitor goes back.
    if terms {
        form.set("accept_terms", "true");
    }
    if privacy {
        form.set("accept_privacy", "true");
    }
    render(&WelcomePage {
        ctx,
        action: format!("/welcome/{token}"),
        step: step.name(),
        steps: steps(ctx, &WELCOME_STEPS, step.num()),
        form,
        accepted_terms: terms,
        accepted_privacy: privacy,
        terms_version: TERMS_VERSION,
        privacy_version: PRIVACY_VERSION,
    })
}

pub async fn welcome_page(
    State(state): State<AppState>,
    ctx: Ctx,
    PagePath(token): PagePath<String>,
) -> PageResult<Response> {
    match state.portal.link_state(&token, &WELCOME_KINDS).await? {
        TokenState::Valid { .. } => Ok(welcome(
            &ctx,
            &token,
            WelcomeStep::Welcome,
            FormState::default(),
            false,
            false,
        )),
        other => Ok(link_state_problem(&ctx, LinkFlow::Welcome, &other)),
    }
}

#[derive(Deserialize)]
pub struct WelcomeForm {
    #[serde(default)]
    step: String,
    #[serde(default)]
    back: Option<String>,
    #[serde(default)]
    accept_terms: Option<String>,
    #[serde(default)]
    accept_privacy: Option<String>,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_repeat: String,
}

/// One step forward (or back) on the welcome page. Accepted steps travel
/// in hidden fields; only the last step changes anything.
pub async fn welcome_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    PagePath(token): PagePath<String>,
    jar: CookieJar,
    form: CsrfForm<WelcomeForm>,
) -> PageResult<Response> {
    let f = form.data;
    match state.portal.link_state(&token, &WELCOME_KINDS).await? {
        TokenState::Valid { .. } => {}
        other => return Ok(link_state_problem(&ctx, LinkFlow::Welcome, &other)),
    }
    let step = WelcomeStep::parse(&f.step);
    let terms = ticked(&f.accept_terms);
    let privacy = ticked(&f.accept_privacy);
    let blank = FormState::default;
    if f.back.is_some() {
        return Ok(welcome(&ctx, &token, step.prev(), blank(), terms, privacy));
    }
    let refused = |step: WelcomeStep, field: &str, code: &'static str| {
        let mut fs = FormState::default();
        let e = DomainError::validation(field, code);
        fs.add_error(&e, ctx.lang);
        with_status(welcome(&ctx, &token, step, fs, terms, privacy), &e)
    };
    match step {
        WelcomeStep::Welcome => Ok(welcome(&ctx, &token, WelcomeStep::Terms, blank(), terms, privacy)),
        WelcomeStep::Terms if !terms => Ok(refused(WelcomeStep::Terms, "accept_terms", "terms_required")),
        WelcomeStep::Terms => Ok(welcome(&ctx, &token, WelcomeStep::Privacy, blank(), terms, privacy)),
        WelcomeStep::Privacy if !privacy => Ok(refused(WelcomeStep::Privacy, "accept_privacy", "privacy_required")),
        WelcomeStep::Privacy if !terms => Ok(refused(WelcomeStep::Terms, "accept_terms", "terms_required")),
        WelcomeStep::Privacy => Ok(welcome(&ctx, &token, WelcomeStep::Password, blank(), terms, privacy)),
        WelcomeStep::Password => {
            if f.password != f.password_repeat {
                return Ok(refused(WelcomeStep::Password, "password_repeat", "passwords_differ"));
            }
            match state.portal.activate(&token, terms, privacy, &f.password).await {
                Ok(user) => {
                    state.activated(&user).await;
                    super::done(jar, "registration_finished", "/login")
                }
                Err(e) => {
                    if let Some(code) = link_error_code(&e) {
                        return Ok(link_problem(&ctx, LinkFlow::Welcome, code));
                    }
                    if !shown_in_form(&e) {
                        return Err(e.into());
                    }
                    let back_to = if error_on(&e, &["accept_terms"]) {
                        WelcomeStep::Terms
                    } else if error_on(&e, &["accept_privacy"]) {
                        WelcomeStep::Privacy
                    } else {
                        WelcomeStep::Password
                    };
                    let mut fs = FormState::default();
                    fs.add_error(&e, ctx.lang);
                    Ok(with_status(welcome(&ctx, &token, back_to, fs, terms, privacy), &e))
                }
            }
        }
    }
}

// ----- password reset ----------------------------------------------------

#[derive(Template)]
#[template(path = "portal/forgot.html")]
struct ForgotPage<'a> {
    ctx: &'a Ctx,
    form: FormState,
}

#[derive(Template)]
#[template(path = "portal/forgot_sent.html")]
struct ForgotSentPage<'a> {
    ctx: &'a Ctx,
}

pub async fn forgot_page(ctx: Ctx) -> Response {
    render(&ForgotPage {
        ctx: &ctx,
        form: FormState::default(),
    })
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// Always the same answer for known and unknown addresses.
pub async fn forgot_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    form: CsrfForm<ForgotForm>,
) -> PageResult<Response> {
    match state.portal.request_reset(&form.data.email, &ctx.ip).await {
        Ok(()) => Ok(render(&ForgotSentPage { ctx: &ctx })),
        Err(e) if shown_in_form(&e) => {
            let fs = FormState::failed(form.raw, &e, ctx.lang);
            Ok(with_status(render(&ForgotPage { ctx: &ctx, form: fs }), &e))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "portal/reset.html")]
struct ResetPage<'a> {
    ctx: &'a Ctx,
    action: String,
    form: FormState,
}

pub async fn reset_page(
    State(state): State<AppState>,
    ctx: Ctx,
    PagePath(token): PagePath<String>,
) -> PageResult<Response> {
    match state.portal.link_state(&token, &[TokenKind::PasswordReset]).await? {
        TokenState::Valid { .. } => Ok(render(&ResetPage {
            ctx: &ctx,
            action: format!("/password/reset/{token}"),
            form: FormState::default(),
        })),
        other => Ok(link_state_problem(&ctx, LinkFlow::Reset, &other)),
    }
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_repeat: String,
}

pub async fn reset_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    PagePath(token): PagePath<String>,
    jar: CookieJar,
    form: CsrfForm<ResetForm>,
) -> PageResult<Response> {
    let f = form.data;
    let result = if f.password != f.password_repeat {
        // A dead link is said before a typo.
        match state.portal.link_state(&token, &[TokenKind::PasswordReset]).await? {
            TokenState::Valid { .. } => Err(DomainError::validation("password_repeat", "passwords_differ")),
            other => return Ok(link_state_problem(&ctx, LinkFlow::Reset, &other)),
        }
    } else {
        state.portal.reset_password(&token, &f.password).await.map(|_| ())
    };
    match result {
        Ok(()) => super::done(jar, "password_reset_done", "/login"),
        Err(e) => {
            if let Some(code) = link_error_code(&e) {
                return Ok(link_problem(&ctx, LinkFlow::Reset, code));
            }
            if !shown_in_form(&e) {
                return Err(e.into());
            }
            let mut fs = FormState::default();
            fs.add_error(&e, ctx.lang);
            Ok(with_status(
                render(&ResetPage {
                    ctx: &ctx,
                    action: format!("/password/reset/{token}"),
                    form: fs,
                }),
                &e,
            ))
        }
    }
}

// ----- legal texts -------------------------------------------------------

#[derive(Template)]
#[template(path = "portal/legal.html")]
struct LegalPage<'a> {
    ctx: &'a Ctx,
    title: String,
    intro: String,
    version: &'static str,
    /// (heading, text)
    sections: Vec<(String, String)>,
    other_href: &'static str,
    other_label: String,
}

fn legal(ctx: &Ctx, kind: &str, sections: usize, version: &'static str) -> Response {
    let (other_href, other_key) = if kind == "privacy" {
        ("/legal/terms", "portal.legal.terms.title")
    } else {
        ("/legal/privacy", "portal.legal.privacy.title")
    };
    render(&LegalPage {
        ctx,
        title: ctx.t(&format!("portal.legal.{kind}.title")),
        intro: ctx.t(&format!("portal.legal.{kind}.intro")),
        version,
        sections: (1..=sections)
            .map(|i| {
                (
                    ctx.t(&format!("portal.legal.{kind}.s{i}_title")),
                    ctx.t(&format!("portal.legal.{kind}.s{i}_text")),
                )
            })
            .collect(),
        other_href,
        other_label: ctx.t(other_key),
    })
}

pub async fn privacy(ctx: Ctx) -> Response {
    legal(&ctx, "privacy", 7, PRIVACY_VERSION)
}

pub async fn terms(ctx: Ctx) -> Response {
    legal(&ctx, "terms", 6, TERMS_VERSION)
}
