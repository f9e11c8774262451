//! Company cards and networking in JSON: directory, card, visitor
//! requests, back office (team, standby, requests, maintenance link),
//! maintenance-link edits, Info Counter entry; profile settings, person
//! search, chat and shares.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::cards::{
    Card, CardInput, CardRequest, ChatMessage, Conversation, DirectoryPage, HistoryEntry, NetworkSettings,
    NewCardInput, Notification, Person, PublicCard, RequestInput, ShareInput, TeamMember,
};
use kernel::UserId;
use serde::{Deserialize, Serialize};

use super::rooms::Entry;
use crate::context::Ctx;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, ApiUser};
use crate::state::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
pub struct DirectoryParams {
    /// Words that begin a word of the name, topics or city.
    #[serde(default)]
    q: String,
    #[serde(default)]
    topic: Option<String>,
    /// From 1; 24 cards per page.
    #[serde(default)]
    page: Option<i64>,
}

/// The public directory of company cards (no sign-in needed).
#[utoipa::path(get, path = "/api/v1/cards", tag = "cards", params(DirectoryParams),
    responses((status = 200, body = DirectoryPage)))]
pub async fn directory(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<DirectoryParams>,
) -> ApiResult<Json<DirectoryPage>> {
    Ok(Json(
        state
            .cards
            .directory(&p.q, p.topic.as_deref(), p.page.unwrap_or(1))
            .await?,
    ))
}

/// Creates a card (operator); the contact gets the maintenance link by e-mail.
#[utoipa::path(post, path = "/api/v1/cards", tag = "cards", request_body = NewCardInput, security(("session" = [])),
    responses((status = 201, body = Card), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<NewCardInput>,
) -> ApiResult<(StatusCode, Json<Card>)> {
    Ok((StatusCode::CREATED, Json(state.cards.create(&user, &input).await?)))
}

/// A public card with its contacts and whether the Info Counter is open.
#[utoipa::path(get, path = "/api/v1/cards/{id}", tag = "cards", params(("id" = String, Path)),
    responses((status = 200, body = PublicCard), (status = 404, body = ErrorBody)))]
pub async fn get(State(state): State<AppState>, ApiPath(id): ApiPath<String>) -> ApiResult<Json<PublicCard>> {
    Ok(Json(state.cards.public(&id).await?))
}

/// Edits a card's public data (team members).
#[utoipa::path(put, path = "/api/v1/cards/{id}", tag = "cards", request_body = CardInput, security(("session" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Card), (status = 403, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<CardInput>,
) -> ApiResult<Json<Card>> {
    Ok(Json(state.cards.update(&user, &id, &input).await?))
}

/// A visitor's contact request ("register interest") or meeting request;
/// no sign-in needed, 10 per hour per client address.
#[utoipa::path(post, path = "/api/v1/cards/{id}/requests", tag = "cards", request_body = RequestInput,
    params(("id" = String, Path)), responses((status = 201, description = "stored; the team is told by e-mail"),
    (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn submit_request(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<RequestInput>,
) -> ApiResult<StatusCode> {
    state.cards.submit_request(&id, &input, &ctx.ip).await?;
    Ok(StatusCode::CREATED)
}

/// The back office's requests, newest first (team members).
#[utoipa::path(get, path = "/api/v1/cards/{id}/requests", tag = "cards", security(("session" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Vec<CardRequest>), (status = 403, body = ErrorBody)))]
pub async fn requests(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Vec<CardRequest>>> {
    Ok(Json(state.cards.requests(&user, &id).await?.1))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Open,
    Done,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusInput {
    status: RequestStatus,
}

/// Marks a request done or open again (team members).
#[utoipa::path(put, path = "/api/v1/cards/{id}/requests/{request}", tag = "cards", request_body = StatusInput,
    security(("session" = [])), params(("id" = String, Path), ("request" = i64, Path)),
    responses((status = 200, body = CardRequest), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn set_request(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, request)): ApiPath<(String, i64)>,
    ApiJson(input): ApiJson<StatusInput>,
) -> ApiResult<Json<CardRequest>> {
    let done = matches!(input.status, RequestStatus::Done);
    Ok(Json(state.cards.set_request_done(&user, &id, request, done).await?))
}

/// The team with each member's standby state (team members).
#[utoipa::path(get, path = "/api/v1/cards/{id}/team", tag = "cards", security(("session" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Vec<TeamMember>), (status = 403, body = ErrorBody)))]
pub async fn team(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Vec<TeamMember>>> {
    Ok(Json(state.cards.team(&user, &id).await?.1))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    user_id: i64,
}

/// Adds a person the member can find to the team.
#[utoipa::path(post, path = "/api/v1/cards/{id}/team", tag = "cards", request_body = MemberInput,
    security(("session" = [])), params(("id" = String, Path)), responses((status = 204),
    (status = 403, body = ErrorBody), (status = 409, body = ErrorBody, description = "already_member"),
    (status = 422, body = ErrorBody, description = "networking_off, person_not_found")))]
pub async fn add_member(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<MemberInput>,
) -> ApiResult<StatusCode> {
    state.cards.add_member(&user, &id, UserId(input.user_id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a member (the last one stays).
#[utoipa::path(delete, path = "/api/v1/cards/{id}/team/{user}", tag = "cards", security(("session" = [])),
    params(("id" = String, Path), ("user" = i64, Path)), responses((status = 204), (status = 403, body = ErrorBody),
    (status = 409, body = ErrorBody, description = "last_member")))]
pub async fn remove_member(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, member)): ApiPath<(String, i64)>,
) -> ApiResult<StatusCode> {
    state.cards.remove_member(&user, &id, UserId(member)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Turns a colleague's standby for the Info Counter off (not one's own:
/// that is switched in one's own profile).
#[utoipa::path(post, path = "/api/v1/cards/{id}/team/{user}/standby-off", tag = "cards", security(("session" = [])),
    params(("id" = String, Path), ("user" = i64, Path)), responses((status = 204), (status = 403, body = ErrorBody),
    (status = 422, body = ErrorBody, description = "own_standby")))]
pub async fn standby_off(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, member)): ApiPath<(String, i64)>,
) -> ApiResult<StatusCode> {
    state.cards.standby_off(&user, &id, UserId(member)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The card's history (team members).
#[utoipa::path(get, path = "/api/v1/cards/{id}/history", tag = "cards", security(("session" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Vec<HistoryEntry>), (status = 403, body = ErrorBody)))]
pub async fn history(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Vec<HistoryEntry>>> {
    Ok(Json(state.cards.history(&user, &id).await?))
}

/// Replaces the maintenance link and e-mails the new one to the card's
/// contact; the old link stops working at once.
#[utoipa::path(post, path = "/api/v1/cards/{id}/maintenance-link", tag = "cards", security(("session" = [])),
    params(("id" = String, Path)), responses((status = 204), (status = 403, body = ErrorBody)))]
pub async fn rotate_link(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    state.cards.rotate_link(&user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The card a maintenance link edits (the link is the only credential).
#[utoipa::path(get, path = "/api/v1/maintenance/{token}", tag = "cards", params(("token" = String, Path)),
    responses((status = 200, body = Card), (status = 404, body = ErrorBody)))]
pub async fn maintenance_get(State(state): State<AppState>, ApiPath(token): ApiPath<String>) -> ApiResult<Json<Card>> {
    Ok(Json(state.cards.by_link(&token).await?))
}

/// Edits the public data through the maintenance link.
#[utoipa::path(put, path = "/api/v1/maintenance/{token}", tag = "cards", request_body = CardInput,
    params(("token" = String, Path)), responses((status = 200, body = Card), (status = 404, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
pub async fn maintenance_put(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
    ApiJson(input): ApiJson<CardInput>,
) -> ApiResult<Json<Card>> {
    Ok(Json(state.cards.update_by_link(&token, &input).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CounterInput {
    /// Display name (guests).
    #[serde(default)]
    name: String,
}

/// A ticket into the card's Info Counter: team members as staff at any
/// time, visitors while it is open.
#[utoipa::path(post, path = "/api/v1/cards/{id}/counter", tag = "cards", request_body = CounterInput,
    params(("id" = String, Path)), responses((status = 200, body = Entry),
    (status = 409, body = ErrorBody, description = "counter_closed"), (status = 422, body = ErrorBody)))]
pub async fn counter(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<CounterInput>,
) -> ApiResult<Json<Entry>> {
    let admission = state.cards.enter_counter(ctx.user.as_ref(), &id, &input.name).await?;
    Ok(Json(Entry::new(&state, admission)))
}

/// The signed-in person's networking settings.
#[utoipa::path(get, path = "/api/v1/profile/networking", tag = "cards", security(("session" = [])),
    responses((status = 200, body = NetworkSettings)))]
pub async fn settings(State(state): State<AppState>, ApiUser(user): ApiUser) -> ApiResult<Json<NetworkSettings>> {
    Ok(Json(state.cards.network().settings(&user).await?))
}

/// Saves the signed-in person's networking settings.
#[utoipa::path(put, path = "/api/v1/profile/networking", tag = "cards", request_body = NetworkSettings,
    security(("session" = [])), responses((status = 200, body = NetworkSettings), (status = 422, body = ErrorBody)))]
pub async fn save_settings(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<NetworkSettings>,
) -> ApiResult<Json<NetworkSettings>> {
    Ok(Json(state.cards.network().save_settings(&user, &input).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct PeopleParams {
    q: String,
}

/// People search: needs the searcher's networking on; finds only people
/// with networking and "allow others to find me" on.
#[utoipa::path(get, path = "/api/v1/people", tag = "cards", params(PeopleParams), security(("session" = [])),
    responses((status = 200, body = Vec<Person>), (status = 422, body = ErrorBody, description = "networking_off, query_too_short")))]
pub async fn people(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(p): ApiQuery<PeopleParams>,
) -> ApiResult<Json<Vec<Person>>> {
    Ok(Json(state.cards.network().search(&user, &p.q, 20).await?))
}

/// Conversations, newest first.
#[utoipa::path(get, path = "/api/v1/chats", tag = "cards", security(("session" = [])),
    responses((status = 200, body = Vec<Conversation>)))]
pub async fn chats(State(state): State<AppState>, ApiUser(user): ApiUser) -> ApiResult<Json<Vec<Conversation>>> {
    Ok(Json(state.cards.network().conversations(&user).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct AfterParams {
    /// Only messages with a larger id.
    #[serde(default)]
    after: i64,
}

/// Messages with one person (marks received ones read).
#[utoipa::path(get, path = "/api/v1/chats/{user}", tag = "cards", security(("session" = [])),
    params(("user" = i64, Path), AfterParams), responses((status = 200, body = Vec<ChatMessage>), (status = 404, body = ErrorBody)))]
pub async fn messages(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(other): ApiPath<i64>,
    ApiQuery(p): ApiQuery<AfterParams>,
) -> ApiResult<Json<Vec<ChatMessage>>> {
    Ok(Json(
        state
            .cards
            .network()
            .conversation(&user, UserId(other), p.after)
            .await?
            .1,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendInput {
    text: String,
}

/// Writes to a person.
#[utoipa::path(post, path = "/api/v1/chats/{user}", tag = "cards", request_body = SendInput, security(("session" = [])),
    params(("user" = i64, Path)), responses((status = 201, body = ChatMessage), (status = 404, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
pub async fn send(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(other): ApiPath<i64>,
    ApiJson(input): ApiJson<SendInput>,
) -> ApiResult<(StatusCode, Json<ChatMessage>)> {
    let m = state.cards.network().send(&user, UserId(other), &input.text).await?;
    Ok((StatusCode::CREATED, Json(m)))
}

/// Shares a person or card with a colleague, with a note of at most 150
/// characters (umlauts and emoji count as one); both get a notification.
#[utoipa::path(post, path = "/api/v1/shares", tag = "cards", request_body = ShareInput, security(("session" = [])),
    responses((status = 201, body = ChatMessage), (status = 404, body = ErrorBody),
    (status = 422, body = ErrorBody, description = "note too_long, reference share_unknown")))]
pub async fn share(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<ShareInput>,
) -> ApiResult<(StatusCode, Json<ChatMessage>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.cards.network().share(&user, &input).await?),
    ))
}

/// Chat notifications with the number unread.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Notifications {
    unread: i64,
    items: Vec<Notification>,
}

#[utoipa::path(get, path = "/api/v1/notifications", tag = "cards", security(("session" = [])),
    responses((status = 200, body = Notifications)))]
pub async fn notifications(State(state): State<AppState>, ApiUser(user): ApiUser) -> ApiResult<Json<Notifications>> {
    let n = state.cards.network();
    Ok(Json(Notifications {
        unread: n.unread(&user).await?,
        items: n.notifications(&user).await?,
    }))
}
