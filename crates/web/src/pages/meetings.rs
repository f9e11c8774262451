//! Meeting pages: the host's list (`/meetings`), the room page for the
//! host (`/meetings/{id}`) and for everyone with the invitation link
//! (`/m/{id}?k=…`). The room itself runs in `static/rooms/*.js`.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use domain::conference::DialIn;
use domain::identity::User;
use domain::rooms::{Admission, MeetingInput, RoomRecord};
use kernel::Lang;
use serde::Deserialize;

use super::{done, format_time, render};
use crate::context::Ctx;
use crate::error::PageResult;
use crate::extract::{PagePath, PageUser};
use crate::forms::{CsrfForm, FormState, NoFields};
use crate::pages::portal::form_again;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "rooms/list.html")]
struct ListPage<'a> {
    ctx: &'a Ctx,
    /// Each meeting with when it was opened.
    meetings: Vec<(RoomRecord, String)>,
    form: FormState,
}

async fn list_page(state: &AppState, ctx: &Ctx, user: &User, form: FormState) -> PageResult<Response> {
    let meetings = state
        .rooms
        .meetings(user)
        .await?
        .into_iter()
        .map(|r| {
            let t = format_time(r.created_at, ctx.lang);
            (r, t)
        })
        .collect();
    Ok(render(&ListPage { ctx, meetings, form }))
}

pub async fn list(State(state): State<AppState>, ctx: Ctx, PageUser(user): PageUser) -> PageResult<Response> {
    list_page(&state, &ctx, &user, FormState::default()).await
}

#[derive(Deserialize)]
pub struct NewMeetingForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    waiting_room: Option<String>,
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    form: CsrfForm<NewMeetingForm>,
) -> PageResult<Response> {
    let input = MeetingInput {
        title: form.data.title.clone(),
        waiting_room: form.data.waiting_room.is_some(),
    };
    match state.rooms.create_meeting(&user, &input).await {
        Ok(room) => Ok(Redirect::to(&format!("/meetings/{}", room.public_id)).into_response()),
        Err(e) => form_again(e, form.raw, ctx.lang, |fs| list_page(&state, &ctx, &user, fs)).await,
    }
}

pub async fn end(
    State(state): State<AppState>,
    jar: CookieJar,
    PageUser(user): PageUser,
    PagePath(id): PagePath<String>,
    _form: CsrfForm<NoFields>,
) -> PageResult<Response> {
    state.rooms.end(&user, &id).await?;
    done(jar, "meeting_ended", "/meetings")
}

/// Texts of the room script: every `rooms.js.*` key of locales/rooms.yml.
static SCRIPT_KEYS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    include_str!("../../../../locales/rooms.yml")
        .lines()
        .filter_map(|l| l.strip_prefix("rooms.js.")?.strip_suffix(':'))
        .collect()
});

/// Conference wording ("moderator", "conference") over the room texts:
/// every `conference.js.*` key of locales/conference.yml.
static CONFERENCE_KEYS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    include_str!("../../../../locales/conference.yml")
        .lines()
        .filter_map(|l| l.strip_prefix("conference.js.")?.split_once(':').map(|(k, _)| k))
        .collect()
});

/// The JSON block the room script reads (`</` escaped for the script tag),
/// with the wording of the room's kind.
pub(crate) fn script_config(state: &AppState, lang: Lang, kind: &str) -> String {
    let mut texts: BTreeMap<&str, String> = SCRIPT_KEYS
        .iter()
        .map(|k| (*k, kernel::tr(lang, &format!("rooms.js.{k}"))))
        .collect();
    if kind == "conference" {
        for k in CONFERENCE_KEYS.iter() {
            texts.insert(k, kernel::tr(lang, &format!("conference.js.{k}")));
        }
    }
    serde_json::json!({ "ice_servers": state.config.ice_servers, "texts": texts })
        .to_string()
        .replace("</", "<\\/")
}

/// The room page of every feature (meetings, conference rooms).
#[derive(Template)]
#[template(path = "rooms/room.html")]
pub(crate) struct RoomPage<'a> {
    pub ctx: &'a Ctx,
    pub room: RoomRecord,
    /// Present when the page already knows who enters (host, signed-in user).
    pub admission: Option<Admission>,
    /// The invitation code (guests send it with their name).
    pub code: String,
    /// The invitation link, for the host's copy button.
    pub invite: String,
    /// Where a guest without a grant gets one: an API endpoint (meetings)
    /// or, with `join_page`, a page to go to (conference rooms).
    pub join: String,
    pub join_page: String,
    pub dial_in: Option<DialIn>,
    pub back: &'static str,
    pub config: String,
}

impl<'a> RoomPage<'a> {
    /// A meeting's page.
    fn meeting(state: &AppState, ctx: &'a Ctx, room: RoomRecord, admission: Option<Admission>) -> Self {
        RoomPage {
            ctx,
            join: format!("/api/v1/meetings/{}/join", room.public_id),
            room,
            admission,
            code: String::new(),
            invite: String::new(),
            join_page: String::new(),
            dial_in: None,
            back: "/meetings",
            config: script_config(state, ctx.lang, "meeting"),
        }
    }
}

/// The host's room page.
pub async fn host(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath(id): PagePath<String>,
) -> PageResult<Response> {
    let admission = state.rooms.host(&user, &id).await?;
    let invite = state.rooms.invite_link(&admission.room).await?;
    Ok(render(&RoomPage {
        invite,
        ..RoomPage::meeting(&state, &ctx, admission.room.clone(), Some(admission))
    }))
}

#[derive(Deserialize)]
pub struct InviteQuery {
    #[serde(default)]
    k: String,
}

/// The invitation link: signed-in users enter under their name, anyone
/// else types a name first (the script asks for the grant).
pub async fn invited(
    State(state): State<AppState>,
    ctx: Ctx,
    PagePath(id): PagePath<String>,
    Query(q): Query<InviteQuery>,
) -> PageResult<Response> {
    let (room, admission) = match &ctx.user {
        Some(user) => {
            let a = state.rooms.invited(&id, &q.k, Some(user), "").await?;
            (a.room.clone(), Some(a))
        }
        None => (state.rooms.invitation(&id, &q.k).await?, None),
    };
    // The code is in the URL; keep it out of Referer headers.
    Ok(super::no_referrer(render(&RoomPage {
        code: q.k,
        back: if ctx.user.is_some() { "/meetings" } else { "/" },
        ..RoomPage::meeting(&state, &ctx, room, admission)
    })))
}
