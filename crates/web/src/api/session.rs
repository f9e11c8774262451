use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use axum_extra::extract::cookie::CookieJar;
use domain::identity::{Membership, User, SESSION_IDLE_SECS};
use kernel::{DomainError, Lang};
use serde::{Deserialize, Serialize};

use crate::context::{removal, Ctx, SESSION_COOKIE};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiUser};
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    pub user: User,
    pub memberships: Vec<Membership>,
}

/// Signs in; the session cookie (HttpOnly, SameSite=Lax) is set on success.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = LoginRequest, responses(
    (status = 200, body = Me), (status = 401, body = ErrorBody, description = "invalid_credentials"),
    (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    let session = state
        .identity
        .login(&req.email, &req.password, &ctx.user_agent, &ctx.ip)
        .await?;
    state.signed_in(&session.user).await;
    let memberships = state.identity.memberships(&session.user).await?;
    let jar = jar.add(ctx.cookie(SESSION_COOKIE, session.token, Some(SESSION_IDLE_SECS)));
    Ok((
        jar,
        Json(Me {
            user: session.user,
            memberships,
        }),
    )
        .into_response())
}

/// Signs out and ends the session on the server.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", responses((status = 204)))]
pub async fn delete(State(state): State<AppState>, ctx: Ctx, jar: CookieJar) -> ApiResult<Response> {
    if let Some(token) = &ctx.session_token {
        state.identity.logout(token).await?;
    }
    Ok((jar.add(removal(SESSION_COOKIE)), StatusCode::NO_CONTENT).into_response())
}

/// The signed-in user and their account memberships.
#[utoipa::path(get, path = "/api/v1/me", tag = "session", security(("session" = [])), responses(
    (status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(ctx: Ctx, ApiUser(user): ApiUser) -> ApiResult<Json<Me>> {
    Ok(Json(Me {
        user,
        memberships: ctx.memberships,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMe {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// "de" or "en"
    pub language: Option<String>,
    /// Give (true) or withdraw (false) marketing consent.
    pub marketing_consent: Option<bool>,
}

/// Changes the signed-in user's profile (fields left out stay as they are).
#[utoipa::path(patch, path = "/api/v1/me", tag = "session", security(("session" = [])), request_body = UpdateMe,
    responses((status = 200, body = Me), (status = 422, body = ErrorBody)))]
pub async fn update_me(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiUser(user): ApiUser,
    ApiJson(req): ApiJson<UpdateMe>,
) -> ApiResult<Json<Me>> {
    let lang = match req.language.as_deref() {
        Some(l) => Lang::parse(l).ok_or(DomainError::validation("language", "language_invalid"))?,
        None => user.language,
    };
    let updated = if req.first_name.is_some() || req.last_name.is_some() {
        let first = req.first_name.as_deref().unwrap_or(&user.first_name);
        let last = req.last_name.as_deref().unwrap_or(&user.last_name);
        state.portal.update_profile(&user, first, last, lang).await?
    } else {
        state.identity.set_language(&user, lang).await?;
        User { language: lang, ..user }
    };
    if let Some(give) = req.marketing_consent {
        state.portal.set_marketing(&updated, give).await?;
    }
    Ok(Json(Me {
        user: updated,
        memberships: ctx.memberships,
    }))
}
