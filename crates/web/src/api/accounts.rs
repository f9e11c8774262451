use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::accounts::{Account, AccountInput, AccountPage};
use domain::outbox::SmsUsage;
use kernel::AccountId;
use serde::Deserialize;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiOperator, ApiPath, ApiQuery, ApiUser};
use crate::state::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Part of the name or customer number.
    #[serde(default)]
    pub search: String,
    /// 1–200, default 50.
    pub limit: Option<i64>,
    #[serde(default)]
    pub offset: i64,
}

/// Customer accounts, by name.
#[utoipa::path(get, path = "/api/v1/accounts", tag = "accounts", params(ListParams), security(("session" = [])),
    responses((status = 200, body = AccountPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    _op: ApiOperator,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<AccountPage>> {
    Ok(Json(
        state.accounts.list(&p.search, p.limit.unwrap_or(50), p.offset).await?,
    ))
}

/// Creates a customer account. With a contact e-mail, a welcome mail is sent.
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts", request_body = AccountInput, security(("session" = [])),
    responses((status = 201, body = Account), (status = 409, body = ErrorBody, description = "customer_number_taken"),
    (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    _op: ApiOperator,
    ApiJson(input): ApiJson<AccountInput>,
) -> ApiResult<(StatusCode, Json<Account>)> {
    Ok((StatusCode::CREATED, Json(state.accounts.create(&input).await?)))
}

/// One customer account.
#[utoipa::path(get, path = "/api/v1/accounts/{id}", tag = "accounts", params(("id" = i64, Path)), security(("session" = [])),
    responses((status = 200, body = Account), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    _op: ApiOperator,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Account>> {
    Ok(Json(state.accounts.get(AccountId(id)).await?))
}

/// Replaces an account's master data.
#[utoipa::path(put, path = "/api/v1/accounts/{id}", tag = "accounts", params(("id" = i64, Path)), request_body = AccountInput,
    security(("session" = [])), responses((status = 200, body = Account), (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    _op: ApiOperator,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<AccountInput>,
) -> ApiResult<Json<Account>> {
    Ok(Json(state.accounts.update(AccountId(id), &input).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// "active" or "disabled"
    pub status: String,
}

/// Disables or re-enables an account (a disabled account takes no registrations).
#[utoipa::path(put, path = "/api/v1/accounts/{id}/status", tag = "accounts", params(("id" = i64, Path)), request_body = StatusBody,
    security(("session" = [])), responses((status = 200, body = Account), (status = 404, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
pub async fn set_status(
    State(state): State<AppState>,
    _op: ApiOperator,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<StatusBody>,
) -> ApiResult<Json<Account>> {
    Ok(Json(state.accounts.set_status(AccountId(id), &body.status).await?))
}

/// SMS sent for the account per month (German time), with the amount billed
/// at 0.10 EUR each. For the operator and the account's admins and members.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/sms-usage", tag = "accounts", params(("id" = i64, Path)),
    security(("session" = [])), responses((status = 200, body = Vec<SmsUsage>), (status = 404, body = ErrorBody)))]
pub async fn sms_usage(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<SmsUsage>>> {
    state.calls.reader(&user, AccountId(id)).await?;
    Ok(Json(state.outbox.sms_usage(AccountId(id)).await?))
}
