//! The session planner in JSON: entries with permanent numbers,
//! invitations, the calendar file, starting (planned or spontaneous), and
//! joining by number — the one endpoint other sites may call (the join
//! widget), so it answers CORS requests and ignores cookies from them.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use domain::planner::{EntryInput, PlannerAccess, SessionJoin, SessionView};
use kernel::AccountId;
use serde::{Deserialize, Serialize};

use super::rooms::Entry;
use crate::context::Ctx;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiOperator, ApiPath, ApiUser};
use crate::state::AppState;

/// The planner: access (licence or trial), entries, running spontaneous sessions.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Planner {
    pub access: PlannerAccess,
    pub entries: Vec<SessionView>,
    pub running: Vec<SessionView>,
}

/// One entry with its invitation text and who was invited.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PlannerEntry {
    #[serde(flatten)]
    pub session: SessionView,
    /// The invitation text (the e-mail says the same with a personal link).
    pub invitation: String,
    pub invitees: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/planner", tag = "planner", security(("session" = [])),
    responses((status = 200, body = Planner), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody, description = "platform staff have no planner")))]
pub async fn list(State(state): State<AppState>, ApiUser(user): ApiUser) -> ApiResult<Json<Planner>> {
    let p = &state.planner;
    let access = p.access(&user).await?;
    Ok(Json(Planner {
        access,
        entries: p.entries(&user).await?.iter().map(|s| p.view(s)).collect(),
        running: p.running(&user).await?.iter().map(|s| p.view(s)).collect(),
    }))
}

/// A new entry; it reserves a permanent session number until deleted.
#[utoipa::path(post, path = "/api/v1/planner", tag = "planner", request_body = EntryInput,
    security(("session" = [])), responses((status = 201, body = SessionView), (status = 401, body = ErrorBody),
    (status = 409, body = ErrorBody, description = "planner_trial_expired"),
    (status = 422, body = ErrorBody, description = "title required/too_long; start required/datetime_invalid; time_zone_invalid; duration_min out_of_range; reminder_min invalid_choice")))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<EntryInput>,
) -> ApiResult<impl IntoResponse> {
    let s = state.planner.create(&user, &input).await?;
    Ok((StatusCode::CREATED, Json(state.planner.view(&s))))
}

#[utoipa::path(get, path = "/api/v1/planner/{id}", tag = "planner", params(("id" = i64, Path)),
    security(("session" = [])), responses((status = 200, body = PlannerEntry), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<PlannerEntry>> {
    let p = &state.planner;
    let s = p.entry(&user, id).await?;
    let invitation = p.invitation_text(&s, ctx.lang, &p.join_link(s.number)).await?;
    let invitees = match s.kind {
        domain::planner::SessionKind::Planned => p.invitees(&user, id).await?,
        domain::planner::SessionKind::Spontaneous => Vec::new(),
    };
    Ok(Json(PlannerEntry {
        session: p.view(&s),
        invitation,
        invitees,
    }))
}

/// Changes an entry. A new time, length or title goes to everyone invited
/// as a calendar update (same UID, higher SEQUENCE); the host's reminder
/// follows the new time.
#[utoipa::path(put, path = "/api/v1/planner/{id}", tag = "planner", params(("id" = i64, Path)),
    request_body = EntryInput, security(("session" = [])),
    responses((status = 200, body = SessionView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<EntryInput>,
) -> ApiResult<Json<SessionView>> {
    let s = state.planner.update(&user, id, &input).await?;
    Ok(Json(state.planner.view(&s)))
}

/// Deletes an entry: the number is released, the room closed, everyone
/// invited gets a cancellation (METHOD:CANCEL).
#[utoipa::path(delete, path = "/api/v1/planner/{id}", tag = "planner", params(("id" = i64, Path)),
    security(("session" = [])), responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    state.planner.delete(&user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteInput {
    /// Addresses separated by commas, semicolons, spaces or lines (up to 50).
    pub emails: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Invited {
    pub invited: usize,
}

/// Sends the invitation to each address, with a personal join link and the
/// calendar entry attached (text/calendar, METHOD:REQUEST).
#[utoipa::path(post, path = "/api/v1/planner/{id}/invitations", tag = "planner", params(("id" = i64, Path)),
    request_body = InviteInput, security(("session" = [])),
    responses((status = 200, body = Invited), (status = 404, body = ErrorBody),
    (status = 422, body = ErrorBody, description = "emails required, emails_invalid (value lists them), too_many")))]
pub async fn invite(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<InviteInput>,
) -> ApiResult<Json<Invited>> {
    let invited = state.planner.invite(&user, id, &input.emails).await?;
    Ok(Json(Invited { invited }))
}

/// The calendar file (RFC 5545) to import into Outlook and others.
pub(crate) fn ics_download(ics: String) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"sitzung.ics\""),
            (header::CACHE_CONTROL, "no-store"),
        ],
        ics,
    )
}

#[utoipa::path(get, path = "/api/v1/planner/{id}/calendar.ics", tag = "planner", params(("id" = i64, Path)),
    security(("session" = [])),
    responses((status = 200, content_type = "text/calendar", description = "VCALENDAR with VTIMEZONE, VEVENT and VALARM"),
    (status = 404, body = ErrorBody)))]
pub async fn calendar(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<impl IntoResponse> {
    Ok(ics_download(state.planner.calendar_file(&user, id).await?))
}

/// The host's ticket into one of their sessions (any time, whatever its date).
#[utoipa::path(post, path = "/api/v1/planner/{id}/start", tag = "planner", params(("id" = i64, Path)),
    security(("session" = [])), responses((status = 200, body = Entry), (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody, description = "session_over (spontaneous), planner_trial_expired")))]
pub async fn start(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Entry>> {
    let admission = state.planner.start(&user, id).await?;
    Ok(Json(Entry::new(&state, admission)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Spontaneous {
    pub session: SessionView,
    pub entry: Entry,
}

/// Starts a session now with a fresh number, valid for this session; it
/// ends by itself if no participant joined within 30 minutes.
#[utoipa::path(post, path = "/api/v1/planner/spontaneous", tag = "planner", security(("session" = [])),
    responses((status = 201, body = Spontaneous), (status = 401, body = ErrorBody)))]
pub async fn spontaneous(State(state): State<AppState>, ApiUser(user): ApiUser) -> ApiResult<impl IntoResponse> {
    let (s, admission) = state.planner.start_spontaneous(&user).await?;
    Ok((
        StatusCode::CREATED,
        Json(Spontaneous {
            session: state.planner.view(&s),
            entry: Entry::new(&state, admission),
        }),
    ))
}

/// Joins a session by number or personal link token; no account needed.
/// Everyone but the host waits until the host is there. Other websites may
/// call this (the join widget): it answers CORS and then ignores cookies.
#[utoipa::path(post, path = "/api/v1/sessions/join", tag = "planner", request_body = SessionJoin,
    responses((status = 200, body = Entry),
    (status = 409, body = ErrorBody, description = "session_locked"),
    (status = 422, body = ErrorBody, description = "number required, session_number_invalid, session_not_found; name required, too_long"),
    (status = 429, body = ErrorBody, description = "rate_limited (too many unknown numbers)")))]
pub async fn join(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    ApiJson(input): ApiJson<SessionJoin>,
) -> ApiResult<Json<Entry>> {
    let actor = if crate::context::cross_site(&headers) {
        None
    } else {
        ctx.user.as_ref()
    };
    let admission = state.planner.join(&input, actor, &ctx.ip).await?;
    Ok(Json(Entry::new(&state, admission)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LicenceInput {
    pub licensed: bool,
}

/// Books (or cancels) the session planner for a customer account (operators).
#[utoipa::path(put, path = "/api/v1/accounts/{id}/planner-licence", tag = "planner", params(("id" = i64, Path)),
    request_body = LicenceInput, security(("session" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn set_licence(
    State(state): State<AppState>,
    ApiOperator(user): ApiOperator,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<LicenceInput>,
) -> ApiResult<StatusCode> {
    state.planner.set_licence(&user, AccountId(id), input.licensed).await?;
    Ok(StatusCode::NO_CONTENT)
}
