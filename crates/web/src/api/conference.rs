//! The conference center in JSON: the owner's room (number, PIN state,
//! dial-in block, who is in), PINs and the moderator-leave rule, the
//! owner's entry, and joining by number and PIN (no session needed).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use domain::conference::{ConferenceView, JoinInput, PinsInput};
use serde::{Deserialize, Serialize};

use super::rooms::Entry;
use crate::context::Ctx;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiUser};
use crate::state::AppState;

/// The owner's room and its invitation text.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Conference {
    #[serde(flatten)]
    pub view: ConferenceView,
    /// The text to send participants (the participant PIN filled in only
    /// when passed as `?pin=`: PINs are stored hashed).
    pub invitation: String,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct InvitationQuery {
    /// The participant PIN to put into the invitation text.
    #[serde(default)]
    pub pin: String,
}

/// The signed-in customer's personal conference room (handed out on first
/// call). The room number never changes.
#[utoipa::path(get, path = "/api/v1/conference", tag = "conference", security(("session" = [])),
    params(InvitationQuery),
    responses((status = 200, body = Conference), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody, description = "platform staff have no conference room")))]
pub async fn get(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiUser(user): ApiUser,
    Query(q): Query<InvitationQuery>,
) -> ApiResult<Json<Conference>> {
    let rec = state.conference.mine(&user).await?;
    Ok(Json(Conference {
        view: state.conference.view(&rec),
        invitation: state.conference.invitation(&rec, ctx.lang, q.pin.trim()),
    }))
}

/// Sets or changes both PINs (digits, 4–8, not trivial, different).
#[utoipa::path(put, path = "/api/v1/conference/pins", tag = "conference", request_body = PinsInput,
    security(("session" = [])), responses((status = 204), (status = 401, body = ErrorBody),
    (status = 422, body = ErrorBody, description = "moderator_pin / participant_pin: required, pin_digits_only, pin_length, pin_trivial, pin_same")))]
pub async fn set_pins(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<PinsInput>,
) -> ApiResult<StatusCode> {
    state
        .conference
        .set_pins(&user, &input.moderator_pin, &input.participant_pin)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The room's settings.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    /// Seconds the conference goes on after the moderator left: 0, 60,
    /// 300, 900, 1800 or 3600. Applies from the next conference.
    pub host_leave_secs: i64,
}

/// Changes the moderator-leave rule.
#[utoipa::path(put, path = "/api/v1/conference/settings", tag = "conference", request_body = SettingsInput,
    security(("session" = [])), responses((status = 204), (status = 401, body = ErrorBody),
    (status = 422, body = ErrorBody, description = "host_leave_secs invalid_choice")))]
pub async fn set_settings(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<SettingsInput>,
) -> ApiResult<StatusCode> {
    state.conference.set_host_leave(&user, input.host_leave_secs).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The owner's ticket into their own room as moderator.
#[utoipa::path(post, path = "/api/v1/conference/entry", tag = "conference", security(("session" = [])),
    responses((status = 200, body = Entry), (status = 401, body = ErrorBody),
    (status = 409, body = ErrorBody, description = "pins_not_set")))]
pub async fn entry(State(state): State<AppState>, ApiUser(user): ApiUser) -> ApiResult<Json<Entry>> {
    let admission = state.conference.enter(&user).await?;
    Ok(Json(Entry::new(&state, admission)))
}

/// A ticket into a conference room by number and PIN: the moderator PIN
/// enters as `host`, the participant PIN as `participant` (who waits until
/// a host is there). A wrong number and a wrong PIN get the same answer.
/// After 5 wrong tries for a room from one client, further tries wait
/// (5 s doubling to 15 min: 429 with Retry-After).
#[utoipa::path(post, path = "/api/v1/conference/join", tag = "conference", request_body = JoinInput,
    responses((status = 200, body = Entry),
    (status = 409, body = ErrorBody, description = "conference_locked"),
    (status = 422, body = ErrorBody, description = "number room_number_invalid (format), room_number_typo (check digit); pin required, pin_digits_only, number_or_pin_wrong; name required, too_long"),
    (status = 429, body = ErrorBody, description = "rate_limited")))]
pub async fn join(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<JoinInput>,
) -> ApiResult<Json<Entry>> {
    let admission = state.conference.join(&input, ctx.user.as_ref(), &ctx.ip).await?;
    Ok(Json(Entry::new(&state, admission)))
}
