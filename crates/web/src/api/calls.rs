//! Calls in JSON: the intake for telephone systems (`POST /api/v1/calls`
//! with an API token), the agent console's queue, call screen and notes,
//! the customer's call list, statistics and export, and the operator's
//! service numbers and API tokens.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use domain::calls::stats::{PeriodInput, Stats};
use domain::calls::{
    ApiToken, ApiTokenInput, Call, CallPage, CallScreen, CreatedApiToken, IncomingCall, ManualCall, Note, NoteInput,
    Onboarding, ServiceNumber, ServiceNumberInput, Step,
};
use kernel::{AccountId, DomainError};
use serde::{Deserialize, Serialize};

use crate::context::Ctx;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, ApiUser};
use crate::state::AppState;

/// The secret of `Authorization: Bearer <secret>`.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, secret) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| secret.trim())
}

/// Reports an incoming call (for telephone systems and CTI). Authenticate
/// with `Authorization: Bearer <API token>` (the operator creates tokens
/// under Operator → API tokens); the token can create calls and nothing
/// else. The call appears at once in every connected agent console.
///
/// Example: `curl -X POST https://kontor.example/api/v1/calls -H "Authorization: Bearer kt_…"
/// -H "Content-Type: application/json" -d '{"service_number":"+493012345678","caller_id":"+4917012345678"}'`
#[utoipa::path(post, path = "/api/v1/calls", tag = "calls", request_body = IncomingCall,
    security(("api_token" = [])), responses((status = 201, body = Call),
    (status = 401, body = ErrorBody, description = "api_token_invalid"),
    (status = 422, body = ErrorBody, description = "service_number_unknown, phone_invalid")))]
pub async fn ingest(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<IncomingCall>,
) -> ApiResult<(StatusCode, Json<Call>)> {
    let secret = bearer(&headers).ok_or(DomainError::Unauthenticated {
        code: "api_token_invalid",
    })?;
    Ok((StatusCode::CREATED, Json(state.calls.ingest(secret, &input).await?)))
}

/// Calls waiting for an agent or being answered, oldest first (agents).
#[utoipa::path(get, path = "/api/v1/agent/calls", tag = "calls", security(("session" = [])),
    responses((status = 200, body = Vec<Call>), (status = 403, body = ErrorBody)))]
pub async fn queue(State(state): State<AppState>, ApiUser(user): ApiUser) -> ApiResult<Json<Vec<Call>>> {
    Ok(Json(state.calls.queue(&user).await?))
}

/// Opens a call by hand for a customer; it is the agent's at once.
#[utoipa::path(post, path = "/api/v1/agent/calls", tag = "calls", request_body = ManualCall,
    security(("session" = [])), responses((status = 201, body = Call), (status = 403, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
pub async fn open(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<ManualCall>,
) -> ApiResult<(StatusCode, Json<Call>)> {
    Ok((StatusCode::CREATED, Json(state.calls.open(&user, &input).await?)))
}

/// Takes a waiting call. Of several agents claiming at once exactly one
/// gets it; the others get 409 `call_taken`.
#[utoipa::path(post, path = "/api/v1/agent/calls/{id}/claim", tag = "calls", params(("id" = i64, Path)),
    security(("session" = [])), responses((status = 200, body = Call), (status = 409, body = ErrorBody)))]
pub async fn claim(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Call>> {
    Ok(Json(state.calls.claim(&user, id).await?))
}

/// Puts a call the agent holds back into the queue.
#[utoipa::path(post, path = "/api/v1/agent/calls/{id}/release", tag = "calls", params(("id" = i64, Path)),
    security(("session" = [])), responses((status = 200, body = Call), (status = 409, body = ErrorBody)))]
pub async fn release(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Call>> {
    Ok(Json(state.calls.release(&user, id).await?))
}

/// Everything the call screen shows, in one request: greeting with the
/// agent's name, instructions or the no-transfer sentence, employees with
/// their status now and first routing step, VIP entries matching the
/// caller, FAQ, query fields (and the notes of a finished call).
#[utoipa::path(get, path = "/api/v1/agent/calls/{id}/screen", tag = "calls", params(("id" = i64, Path)),
    security(("session" = [])), responses((status = 200, body = CallScreen), (status = 404, body = ErrorBody)))]
pub async fn screen(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<CallScreen>> {
    Ok(Json(state.calls.screen(&user, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NextStepInput {
    /// The employee the caller asks for.
    pub employee_id: i64,
    /// Who was tried and did not answer.
    #[serde(default)]
    pub unanswered: Vec<i64>,
}

/// The next step: put through (to the employee or a deputy) or take a message.
#[utoipa::path(post, path = "/api/v1/agent/calls/{id}/next-step", tag = "calls", params(("id" = i64, Path)),
    request_body = NextStepInput, security(("session" = [])), responses((status = 200, body = Step),
    (status = 422, body = ErrorBody)))]
pub async fn next_step(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<NextStepInput>,
) -> ApiResult<Json<Step>> {
    Ok(Json(
        state
            .calls
            .next_step(&user, id, input.employee_id, &input.unanswered)
            .await?,
    ))
}

/// Sends the call note: the call is done, the employee is notified by
/// e-mail (+CC) and SMS as configured. Notes never change afterwards.
#[utoipa::path(post, path = "/api/v1/agent/calls/{id}/note", tag = "calls", params(("id" = i64, Path)),
    request_body = NoteInput, security(("session" = [])), responses((status = 200, body = Call),
    (status = 409, body = ErrorBody, description = "call_not_yours, call_done"), (status = 422, body = ErrorBody)))]
pub async fn send_note(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<NoteInput>,
) -> ApiResult<Json<Call>> {
    Ok(Json(state.calls.send_note(&user, id, &input).await?))
}

/// Corrects the latest note of a finished call: a new note referring to
/// it is stored and e-mailed; the old one stays unchanged.
#[utoipa::path(post, path = "/api/v1/agent/calls/{id}/correction", tag = "calls", params(("id" = i64, Path)),
    request_body = NoteInput, security(("session" = [])), responses((status = 200, body = Call),
    (status = 409, body = ErrorBody, description = "call_not_done, note_outdated"), (status = 422, body = ErrorBody)))]
pub async fn correct(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<NoteInput>,
) -> ApiResult<Json<Call>> {
    Ok(Json(state.calls.correct(&user, id, &input).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CallsParams {
    /// today, week, this_month, last_month or custom (with from/to).
    pub preset: Option<String>,
    /// YYYY-MM-DD
    pub from: Option<String>,
    /// YYYY-MM-DD, included
    pub to: Option<String>,
    /// 1–500, default 50.
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

impl CallsParams {
    pub fn period(&self) -> PeriodInput {
        PeriodInput {
            preset: self.preset.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
        }
    }
}

/// Finished calls of a period, newest first (customers).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/calls", tag = "calls", params(("id" = i64, Path), CallsParams),
    security(("session" = [])), responses((status = 200, body = CallPage), (status = 404, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
pub async fn calls(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<CallsParams>,
) -> ApiResult<Json<CallPage>> {
    Ok(Json(
        state
            .calls
            .calls(
                &user,
                AccountId(id),
                &p.period(),
                p.limit.unwrap_or(50),
                p.offset.unwrap_or(0),
            )
            .await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LatestParams {
    /// 1–100, default 20.
    pub limit: Option<i64>,
}

/// The newest finished calls with shortened notes (the dashboard).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/calls/latest", tag = "calls", params(("id" = i64, Path), LatestParams),
    security(("session" = [])), responses((status = 200, body = Vec<Call>), (status = 404, body = ErrorBody)))]
pub async fn latest(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<LatestParams>,
) -> ApiResult<Json<Vec<Call>>> {
    Ok(Json(
        state.calls.latest(&user, AccountId(id), p.limit.unwrap_or(20)).await?,
    ))
}

/// Counts of a period: per day (in the account's time zone), per employee, by outcome.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/calls/stats", tag = "calls", params(("id" = i64, Path), PeriodInput),
    security(("session" = [])), responses((status = 200, body = Stats), (status = 422, body = ErrorBody)))]
pub async fn stats(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<PeriodInput>,
) -> ApiResult<Json<Stats>> {
    Ok(Json(state.calls.stats(&user, AccountId(id), &p).await?))
}

/// The period's calls with their latest notes as CSV (semicolons, UTF-8 with BOM).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/calls/export", tag = "calls", params(("id" = i64, Path), PeriodInput),
    security(("session" = [])), responses((status = 200, content_type = "text/csv", body = String),
    (status = 422, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<PeriodInput>,
) -> ApiResult<impl IntoResponse> {
    let (name, bytes) = state.calls.export(&user, AccountId(id), &p, ctx.lang).await?;
    Ok(crate::csv_download(&name, bytes))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CallDetail {
    pub call: Call,
    /// Oldest first; a correction refers to the note it replaces.
    pub notes: Vec<Note>,
}

/// One finished call with all its notes.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/calls/{call}", tag = "calls",
    params(("id" = i64, Path), ("call" = i64, Path)), security(("session" = [])),
    responses((status = 200, body = CallDetail), (status = 404, body = ErrorBody)))]
pub async fn detail(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, call)): ApiPath<(i64, i64)>,
) -> ApiResult<Json<CallDetail>> {
    let (call, notes) = state.calls.detail(&user, AccountId(id), call).await?;
    Ok(Json(CallDetail { call, notes }))
}

/// The onboarding checklist of the account (until the customer confirms
/// the pre-filled data with `POST …/secretary/confirm`).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/secretary/onboarding", tag = "calls", params(("id" = i64, Path)),
    security(("session" = [])), responses((status = 200, body = Onboarding), (status = 404, body = ErrorBody)))]
pub async fn onboarding(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Onboarding>> {
    Ok(Json(state.calls.onboarding(&user, AccountId(id)).await?))
}

/// The account's service numbers.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/service-numbers", tag = "calls", params(("id" = i64, Path)),
    security(("session" = [])), responses((status = 200, body = Vec<ServiceNumber>), (status = 404, body = ErrorBody)))]
pub async fn service_numbers(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<ServiceNumber>>> {
    Ok(Json(state.calls.service_numbers(&user, AccountId(id)).await?))
}

/// Assigns a service number (operator). A number belongs to one account.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/service-numbers", tag = "calls", params(("id" = i64, Path)),
    request_body = ServiceNumberInput, security(("session" = [])), responses((status = 201, body = ServiceNumber),
    (status = 409, body = ErrorBody, description = "service_number_taken"), (status = 422, body = ErrorBody)))]
pub async fn add_service_number(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ServiceNumberInput>,
) -> ApiResult<(StatusCode, Json<ServiceNumber>)> {
    let n = state
        .calls
        .add_service_number(&user, AccountId(id), &input.number)
        .await?;
    Ok((StatusCode::CREATED, Json(n)))
}

/// Removes a service number (operator); calls to it are refused from then on.
#[utoipa::path(delete, path = "/api/v1/accounts/{id}/service-numbers/{number}", tag = "calls",
    params(("id" = i64, Path), ("number" = String, Path)), security(("session" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn remove_service_number(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, number)): ApiPath<(i64, String)>,
) -> ApiResult<StatusCode> {
    state.calls.remove_service_number(&user, AccountId(id), &number).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// API tokens for telephone systems (operator).
#[utoipa::path(get, path = "/api/v1/api-tokens", tag = "calls", security(("session" = [])),
    responses((status = 200, body = Vec<ApiToken>), (status = 403, body = ErrorBody)))]
pub async fn api_tokens(State(state): State<AppState>, ApiUser(user): ApiUser) -> ApiResult<Json<Vec<ApiToken>>> {
    Ok(Json(state.calls.api_tokens(&user).await?))
}

/// Creates an API token; its secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/api-tokens", tag = "calls", request_body = ApiTokenInput,
    security(("session" = [])), responses((status = 201, body = CreatedApiToken), (status = 403, body = ErrorBody)))]
pub async fn create_api_token(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<ApiTokenInput>,
) -> ApiResult<(StatusCode, Json<CreatedApiToken>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.calls.create_api_token(&user, &input).await?),
    ))
}

/// Revokes an API token; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/api-tokens/{id}", tag = "calls", params(("id" = i64, Path)),
    security(("session" = [])), responses((status = 200, body = ApiToken), (status = 404, body = ErrorBody)))]
pub async fn revoke_api_token(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ApiToken>> {
    Ok(Json(state.calls.revoke_api_token(&user, id).await?))
}
