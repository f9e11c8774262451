//! Meetings in JSON: open, list, end, and the entry tickets (join grants)
//! for the room socket `/api/v1/rooms/{id}/live` (docs/realtime-protocol.md).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::rooms::{Admission, MeetingInput, RoomRecord};
use serde::{Deserialize, Serialize};

use crate::context::Ctx;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiUser};
use crate::state::AppState;

/// A meeting with its invitation link (only its host sees these).
#[derive(Serialize, utoipa::ToSchema)]
pub struct Meeting {
    #[serde(flatten)]
    pub room: RoomRecord,
    /// Anyone with this link can join (as a guest, or under their own name when signed in).
    pub invite_link: String,
}

/// Everything a browser needs to enter a room.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Entry {
    #[serde(flatten)]
    pub admission: Admission,
    /// The WebSocket to open; send `{"type":"join","grant":…}` first.
    pub socket: String,
    /// STUN/TURN servers for RTCPeerConnection (RTCIceServer objects).
    #[schema(value_type = Vec<Object>)]
    pub ice_servers: serde_json::Value,
}

impl Entry {
    pub fn new(state: &AppState, admission: Admission) -> Self {
        Entry {
            socket: format!("/api/v1/rooms/{}/live", admission.room.public_id),
            ice_servers: state.config.ice_servers.clone(),
            admission,
        }
    }
}

async fn with_link(state: &AppState, room: RoomRecord) -> ApiResult<Meeting> {
    let invite_link = state.rooms.invite_link(&room).await?;
    Ok(Meeting { room, invite_link })
}

/// Opens a meeting hosted by the signed-in user (up to 8 people with
/// audio, video, screen sharing and chat).
#[utoipa::path(post, path = "/api/v1/meetings", tag = "rooms", request_body = MeetingInput,
    security(("session" = [])), responses((status = 201, body = Meeting), (status = 401, body = ErrorBody),
    (status = 422, body = ErrorBody, description = "title too_long")))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<MeetingInput>,
) -> ApiResult<(StatusCode, Json<Meeting>)> {
    let room = state.rooms.create_meeting(&user, &input).await?;
    Ok((StatusCode::CREATED, Json(with_link(&state, room).await?)))
}

/// The signed-in user's meetings, newest first (50).
#[utoipa::path(get, path = "/api/v1/meetings", tag = "rooms", security(("session" = [])),
    responses((status = 200, body = Vec<RoomRecord>), (status = 401, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, ApiUser(user): ApiUser) -> ApiResult<Json<Vec<RoomRecord>>> {
    Ok(Json(state.rooms.meetings(&user).await?))
}

/// One of the user's meetings; anybody else's is 404.
#[utoipa::path(get, path = "/api/v1/meetings/{id}", tag = "rooms", security(("session" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Meeting), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Meeting>> {
    let room = state.rooms.meeting(&user, &id).await?;
    Ok(Json(with_link(&state, room).await?))
}

/// Ends a meeting for everyone; its link stops working.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/end", tag = "rooms", security(("session" = [])),
    params(("id" = String, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn end(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    state.rooms.end(&user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The host's ticket into their own meeting.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/entry", tag = "rooms", security(("session" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Entry), (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody, description = "room_ended")))]
pub async fn entry(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Entry>> {
    let admission = state.rooms.host(&user, &id).await?;
    Ok(Json(Entry::new(&state, admission)))
}

/// What the invitation link's page sends.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinInput {
    /// The `k` of the invitation link.
    pub code: String,
    /// Display name (guests; signed-in users join under their own name).
    #[serde(default)]
    pub name: String,
}

/// A ticket into a meeting by its invitation link. No session needed;
/// a signed-in user joins under their own name.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/join", tag = "rooms", request_body = JoinInput,
    params(("id" = String, Path)), responses((status = 200, body = Entry),
    (status = 404, body = ErrorBody, description = "unknown room or wrong code"),
    (status = 409, body = ErrorBody, description = "room_ended"),
    (status = 422, body = ErrorBody, description = "name required, too_long, invalid")))]
pub async fn join(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<JoinInput>,
) -> ApiResult<Json<Entry>> {
    let admission = state
        .rooms
        .invited(&id, &input.code, ctx.user.as_ref(), &input.name)
        .await?;
    Ok(Json(Entry::new(&state, admission)))
}
