use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::outbox::{Channel, OutboxMessage, StatusCounts};
use kernel::AccountId;
use serde::Deserialize;

use crate::context::Ctx;
use crate::error::{ApiResult, ErrorBody, WebError};
use crate::extract::{ApiJson, ApiOperator, ApiQuery};
use crate::state::AppState;

/// Messages per delivery status.
#[utoipa::path(get, path = "/api/v1/outbox/status", tag = "outbox", security(("session" = [])),
    responses((status = 200, body = StatusCounts), (status = 403, body = ErrorBody)))]
pub async fn status(State(state): State<AppState>, _op: ApiOperator) -> ApiResult<Json<StatusCounts>> {
    Ok(Json(state.outbox.status_counts().await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestEmail {
    pub to: String,
}

/// Queues a test e-mail to check the mail settings.
#[utoipa::path(post, path = "/api/v1/outbox/test-email", tag = "outbox", request_body = TestEmail,
    security(("session" = [])), responses((status = 202), (status = 422, body = ErrorBody)))]
pub async fn test_email(
    State(state): State<AppState>,
    ctx: Ctx,
    _op: ApiOperator,
    ApiJson(req): ApiJson<TestEmail>,
) -> ApiResult<StatusCode> {
    state.outbox.send_test_email(&req.to, ctx.lang).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestSms {
    /// Mobile number; German spellings are normalised to E.164.
    pub to: String,
    /// Bill the SMS to this account.
    pub account_id: Option<i64>,
}

/// Queues a test SMS (billed to the account if one is given).
#[utoipa::path(post, path = "/api/v1/outbox/test-sms", tag = "outbox", request_body = TestSms,
    security(("session" = [])), responses((status = 202), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn test_sms(
    State(state): State<AppState>,
    ctx: Ctx,
    _op: ApiOperator,
    ApiJson(req): ApiJson<TestSms>,
) -> ApiResult<StatusCode> {
    let account = match req.account_id {
        Some(id) => Some(state.accounts.get(AccountId(id)).await?.id),
        None => None,
    };
    state.outbox.send_test_sms(account, &req.to, ctx.lang).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MailboxParams {
    /// "email" or "sms"
    pub channel: Option<String>,
    /// At most this many, newest first (default 100).
    pub limit: Option<i64>,
}

/// Development mailbox: every message, newest first (dev mode only).
#[utoipa::path(get, path = "/api/v1/dev/mailbox", tag = "outbox", params(MailboxParams),
    responses((status = 200, body = Vec<OutboxMessage>), (status = 404, body = ErrorBody, description = "not in dev mode")))]
pub async fn mailbox(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiQuery(p): ApiQuery<MailboxParams>,
) -> ApiResult<Json<Vec<OutboxMessage>>> {
    if !ctx.dev_mode {
        return Err(WebError::NotFound.into());
    }
    let channel = match p.channel.as_deref() {
        None => None,
        Some(c) => Some(Channel::parse(c).ok_or(kernel::DomainError::validation("channel", "channel_invalid"))?),
    };
    Ok(Json(state.outbox.list(channel, p.limit.unwrap_or(100)).await?))
}
