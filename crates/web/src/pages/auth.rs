use askama::Template;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use domain::identity::SESSION_IDLE_SECS;
use kernel::{DomainError, Lang};
use serde::Deserialize;

use super::render;
use crate::context::{removal, Ctx, Flash, LANG_COOKIE, SESSION_COOKIE};
use crate::error::PageResult;
use crate::forms::{CsrfForm, FormState};
use crate::state::AppState;
use axum::extract::{Query, State};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    ctx: &'a Ctx,
    form: FormState,
    next: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only local paths are followed after sign-in (no open redirects).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") && n != "/login" => {
            n.to_string()
        }
        _ => "/app".to_string(),
    }
}

pub async fn login_page(ctx: Ctx, Query(q): Query<NextQuery>) -> Response {
    if ctx.user.is_some() {
        return Redirect::to(&safe_next(q.next.as_deref())).into_response();
    }
    render(&LoginPage {
        ctx: &ctx,
        form: FormState::default(),
        next: safe_next(q.next.as_deref()),
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

pub async fn login_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    form: CsrfForm<LoginForm>,
) -> PageResult<Response> {
    let f = form.data;
    match state
        .identity
        .login(&f.email, &f.password, &ctx.user_agent, &ctx.ip)
        .await
    {
        Ok(session) => {
            state.signed_in(&session.user).await;
            let jar = jar
                .add(ctx.cookie(SESSION_COOKIE, session.token, Some(SESSION_IDLE_SECS)))
                .add(Flash::cookie("success", "signed_in"));
            Ok((jar, Redirect::to(&safe_next(f.next.as_deref()))).into_response())
        }
        Err(
            e @ (DomainError::Validation(_) | DomainError::Unauthenticated { .. } | DomainError::RateLimited { .. }),
        ) => {
            let state = FormState::failed(form.raw, &e, ctx.lang);
            let mut r = render(&LoginPage {
                ctx: &ctx,
                form: state,
                next: safe_next(f.next.as_deref()),
            });
            *r.status_mut() = crate::error::WebError::Domain(e).status();
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn logout(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    _f: CsrfForm<Empty>,
) -> PageResult<Response> {
    if let Some(token) = &ctx.session_token {
        state.identity.logout(token).await?;
    }
    let jar = jar
        .add(removal(SESSION_COOKIE))
        .add(Flash::cookie("info", "signed_out"));
    Ok((jar, Redirect::to("/login")).into_response())
}

#[derive(Deserialize)]
pub struct LanguageForm {
    language: String,
    next: Option<String>,
}

/// Switches the language: remembered in a cookie, and in the profile of a
/// signed-in user.
pub async fn set_language(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    form: CsrfForm<LanguageForm>,
) -> PageResult<Response> {
    let lang = Lang::parse(&form.data.language).ok_or(DomainError::validation("language", "language_invalid"))?;
    if let Some(user) = &ctx.user {
        state.identity.set_language(user, lang).await?;
    }
    let jar = jar.add(ctx.cookie(LANG_COOKIE, lang.code().to_string(), Some(365 * 24 * 3600)));
    let next = match form.data.next.as_deref() {
        Some(n) if n.starts_with('/') && !n.starts_with("//") => n.to_string(),
        _ => "/".to_string(),
    };
    Ok((jar, Redirect::to(&next)).into_response())
}
