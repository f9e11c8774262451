//! The customer portal in JSON: self-registration, approval, invitations,
//! the welcome step, password reset, account users and own consents.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::identity::{AccountRole, User};
use domain::portal::{AccountUser, Consent, InviteInput, Registration, RegistrationInput, RegistrationStatus};
use kernel::{AccountId, DomainError, UserId};
use serde::{Deserialize, Serialize};

use crate::context::Ctx;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, ApiUser};
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Accepted {
    /// What happens next, e.g. "check_your_inbox".
    pub next: &'static str,
}

/// Self-registration (all steps of the form in one request). The answer is
/// the same for registered and new e-mail addresses; a confirmation link is
/// mailed. Wrong customer-number/postal-code pairs are rate limited.
#[utoipa::path(post, path = "/api/v1/registrations", tag = "portal", request_body = RegistrationInput, responses(
    (status = 202, body = Accepted), (status = 422, body = ErrorBody, description = "e.g. customer_pair_mismatch, privacy_required"),
    (status = 429, body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<RegistrationInput>,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    state.portal.register(&input, &ctx.ip, ctx.lang).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            next: "check_your_inbox",
        }),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    /// The token from the e-mail link.
    pub token: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Confirmed {
    pub status: RegistrationStatus,
}

/// Confirms the e-mail address of a registration (the link's token).
#[utoipa::path(post, path = "/api/v1/registrations/confirm", tag = "portal", request_body = TokenBody, responses(
    (status = 200, body = Confirmed), (status = 401, body = ErrorBody, description = "link_invalid, link_expired, link_used")))]
pub async fn confirm(State(state): State<AppState>, ApiJson(body): ApiJson<TokenBody>) -> ApiResult<Json<Confirmed>> {
    let reg = state.portal.confirm(&body.token).await?;
    Ok(Json(Confirmed { status: reg.status }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RegistrationParams {
    /// unconfirmed, pending_approval, approved or rejected; default: all but unconfirmed.
    pub status: Option<RegistrationStatus>,
}

/// Registrations of the account (super admins of the account).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/registrations", tag = "portal", params(("id" = i64, Path), RegistrationParams),
    security(("session" = [])), responses((status = 200, body = Vec<Registration>), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody)))]
pub async fn registrations(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<RegistrationParams>,
) -> ApiResult<Json<Vec<Registration>>> {
    Ok(Json(state.portal.registrations(&user, AccountId(id), p.status).await?))
}

/// Approves a confirmed registration; the person gets the link to finish.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/registrations/{registration}/approve", tag = "portal",
    params(("id" = i64, Path), ("registration" = i64, Path)), security(("session" = [])),
    responses((status = 200, body = User), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn approve(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, rid)): ApiPath<(i64, i64)>,
) -> ApiResult<Json<User>> {
    Ok(Json(state.portal.approve(&user, AccountId(id), rid).await?))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    /// Optional; mailed to the applicant.
    #[serde(default)]
    pub reason: String,
}

/// Rejects a confirmed registration (with an optional reason, mailed).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/registrations/{registration}/reject", tag = "portal",
    params(("id" = i64, Path), ("registration" = i64, Path)), request_body = RejectBody, security(("session" = [])),
    responses((status = 200, body = Registration), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reject(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, rid)): ApiPath<(i64, i64)>,
    ApiJson(body): ApiJson<RejectBody>,
) -> ApiResult<Json<Registration>> {
    Ok(Json(
        state.portal.reject(&user, AccountId(id), rid, &body.reason).await?,
    ))
}

/// Users of the account with their roles (admins and super admins).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/users", tag = "portal", params(("id" = i64, Path)),
    security(("session" = [])), responses((status = 200, body = Vec<AccountUser>), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody)))]
pub async fn users(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<AccountUser>>> {
    Ok(Json(state.portal.users(&user, AccountId(id)).await?))
}

/// Invites an employee: they get an e-mail to set a password.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/users", tag = "portal", params(("id" = i64, Path)),
    request_body = InviteInput, security(("session" = [])), responses((status = 201, body = User),
    (status = 409, body = ErrorBody, description = "email_taken"), (status = 422, body = ErrorBody)))]
pub async fn invite(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<InviteInput>,
) -> ApiResult<(StatusCode, Json<User>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.portal.invite(&user, AccountId(id), &input).await?),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    pub role: Option<AccountRole>,
    /// false disables the login (and ends its sessions).
    pub enabled: Option<bool>,
}

/// Changes a member's role or disables/enables them (super admins).
#[utoipa::path(patch, path = "/api/v1/accounts/{id}/users/{user}", tag = "portal",
    params(("id" = i64, Path), ("user" = i64, Path)), request_body = UserChange, security(("session" = [])),
    responses((status = 200, body = AccountUser), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
pub async fn change_user(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, uid)): ApiPath<(i64, i64)>,
    ApiJson(change): ApiJson<UserChange>,
) -> ApiResult<Json<AccountUser>> {
    let (account, target) = (AccountId(id), UserId(uid));
    if let Some(role) = change.role {
        state.portal.change_role(&user, account, target, role).await?;
    }
    if let Some(enabled) = change.enabled {
        state.portal.set_enabled(&user, account, target, enabled).await?;
    }
    let all = state.portal.users(&user, account).await?;
    let changed = all
        .into_iter()
        .find(|m| m.user.id == target)
        .ok_or(DomainError::not_found("user"))?;
    Ok(Json(changed))
}

/// Sends a new invitation link to a member who has not accepted yet.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/users/{user}/resend-invitation", tag = "portal",
    params(("id" = i64, Path), ("user" = i64, Path)), security(("session" = [])),
    responses((status = 202), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn resend_invitation(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, uid)): ApiPath<(i64, i64)>,
) -> ApiResult<StatusCode> {
    state
        .portal
        .resend_invitation(&user, AccountId(id), UserId(uid))
        .await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Activation {
    pub token: String,
    pub accept_terms: bool,
    pub accept_privacy: bool,
    pub password: String,
}

/// Finishes an invitation or approved registration (the welcome page):
/// terms accepted, privacy policy confirmed, password set.
#[utoipa::path(post, path = "/api/v1/activation", tag = "portal", request_body = Activation, responses(
    (status = 200, body = User), (status = 401, body = ErrorBody, description = "link_invalid, link_expired, link_used"),
    (status = 422, body = ErrorBody)))]
pub async fn activate(State(state): State<AppState>, ApiJson(a): ApiJson<Activation>) -> ApiResult<Json<User>> {
    let user = state
        .portal
        .activate(&a.token, a.accept_terms, a.accept_privacy, &a.password)
        .await?;
    state.activated(&user).await;
    Ok(Json(user))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    pub email: String,
}

/// Mails a password-reset link (valid 1 h) if the address belongs to an
/// active user; the answer is the same either way.
#[utoipa::path(post, path = "/api/v1/password-reset", tag = "portal", request_body = ResetRequest,
    responses((status = 202, body = Accepted), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn request_reset(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(r): ApiJson<ResetRequest>,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    state.portal.request_reset(&r.email, &ctx.ip).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            next: "check_your_inbox",
        }),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirm {
    pub token: String,
    pub password: String,
}

/// Sets a new password with the link's token; every session of the user ends.
#[utoipa::path(post, path = "/api/v1/password-reset/confirm", tag = "portal", request_body = ResetConfirm,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reset(State(state): State<AppState>, ApiJson(r): ApiJson<ResetConfirm>) -> ApiResult<StatusCode> {
    state.portal.reset_password(&r.token, &r.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What the signed-in user agreed to, with versions and dates.
#[utoipa::path(get, path = "/api/v1/me/consents", tag = "session", security(("session" = [])),
    responses((status = 200, body = Vec<Consent>)))]
pub async fn consents(State(state): State<AppState>, ApiUser(user): ApiUser) -> ApiResult<Json<Vec<Consent>>> {
    Ok(Json(state.portal.consents(&user).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Changes the signed-in user's password; the user's other sessions end.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "session", request_body = PasswordChange,
    security(("session" = [])), responses((status = 204), (status = 422, body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiUser(user): ApiUser,
    ApiJson(p): ApiJson<PasswordChange>,
) -> ApiResult<StatusCode> {
    state
        .portal
        .change_password(
            &user,
            &p.current_password,
            &p.new_password,
            ctx.session_token.as_deref(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
