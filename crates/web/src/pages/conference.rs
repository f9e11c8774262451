//! Conference center pages: the owner's center (`/conference`: number,
//! dial-in block, invitation, PINs, moderator-leave rule, start), the
//! first-login PIN page (`/conference/setup`), the owner's room page
//! (`/conference/room`), the public join page (`/join`: number + PIN) and
//! the room page it leads to (`/conference/live/{id}`).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use domain::conference::{ConferenceRecord, ConferenceView, JoinInput, HOST_LEAVE_CHOICES};
use domain::identity::User;
use serde::Deserialize;

use super::meetings::{script_config, RoomPage};
use super::{done, render};
use crate::context::{urlencode, Ctx};
use crate::error::PageResult;
use crate::extract::{PagePath, PageUser};
use crate::forms::{CsrfForm, FormState};
use crate::pages::portal::form_again;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "conference/center.html")]
struct CenterPage<'a> {
    ctx: &'a Ctx,
    view: ConferenceView,
    invitation: String,
    /// Badges (kind, text) saying who is in the room now.
    live: Vec<(&'static str, String)>,
    /// (seconds, label) of the moderator-leave choices.
    choices: Vec<(i64, String)>,
    /// The PIN change and settings forms shown again after a refusal.
    form: FormState,
}

#[derive(Template)]
#[template(path = "conference/setup.html")]
struct SetupPage<'a> {
    ctx: &'a Ctx,
    view: ConferenceView,
    form: FormState,
}

#[derive(Template)]
#[template(path = "conference/join.html")]
struct JoinPage<'a> {
    ctx: &'a Ctx,
    form: FormState,
}

fn choice_label(ctx: &Ctx, secs: i64) -> String {
    match secs {
        0 => ctx.t("conference.leave.at_once"),
        s if s < 3600 => kernel::tr_args(ctx.lang, "conference.leave.minutes", &[("n", &(s / 60).to_string())]),
        _ => ctx.t("conference.leave.hour"),
    }
}

async fn center_page(state: &AppState, ctx: &Ctx, rec: &ConferenceRecord, form: FormState) -> PageResult<Response> {
    let view = state.conference.view(rec);
    let n = |key: &str, n: usize| kernel::tr_args(ctx.lang, key, &[("n", &n.to_string())]);
    let mut live = Vec::new();
    if view.live.present == 0 && view.live.waiting == 0 {
        live.push(("", ctx.t("conference.live.empty")));
    } else {
        live.push(("success", n("conference.live.present", view.live.present)));
        if view.live.waiting > 0 {
            live.push(("warning", n("conference.live.waiting", view.live.waiting)));
        }
        if view.live.locked {
            live.push(("", ctx.t("rooms.page.locked")));
        }
    }
    Ok(render(&CenterPage {
        ctx,
        live,
        view,
        invitation: state.conference.invitation(rec, ctx.lang, ""),
        choices: HOST_LEAVE_CHOICES.iter().map(|s| (*s, choice_label(ctx, *s))).collect(),
        form,
    }))
}

/// The owner's conference center; the PIN page first until both PINs are set.
pub async fn center(State(state): State<AppState>, ctx: Ctx, PageUser(user): PageUser) -> PageResult<Response> {
    let rec = state.conference.mine(&user).await?;
    if !rec.pins_set() {
        return Ok(Redirect::to("/conference/setup").into_response());
    }
    center_page(&state, &ctx, &rec, FormState::default()).await
}

async fn setup_page(state: &AppState, ctx: &Ctx, rec: &ConferenceRecord, form: FormState) -> PageResult<Response> {
    Ok(render(&SetupPage {
        ctx,
        view: state.conference.view(rec),
        form,
    }))
}

pub async fn setup(State(state): State<AppState>, ctx: Ctx, PageUser(user): PageUser) -> PageResult<Response> {
    let rec = state.conference.mine(&user).await?;
    if rec.pins_set() {
        return Ok(Redirect::to("/conference").into_response());
    }
    setup_page(&state, &ctx, &rec, FormState::default()).await
}

#[derive(Deserialize)]
pub struct PinsForm {
    #[serde(default)]
    moderator_pin: String,
    #[serde(default)]
    participant_pin: String,
}

/// PINs never go back into the form.
fn without_pins(mut raw: std::collections::HashMap<String, String>) -> std::collections::HashMap<String, String> {
    raw.retain(|k, _| !k.ends_with("pin"));
    raw
}

/// Saves both PINs; a refusal shows `page` again with the errors (never
/// the PINs typed).
async fn save_pins<F, Fut>(
    state: &AppState,
    ctx: &Ctx,
    jar: CookieJar,
    user: &User,
    form: CsrfForm<PinsForm>,
    flash: &str,
    page: F,
) -> PageResult<Response>
where
    F: FnOnce(ConferenceRecord, FormState) -> Fut,
    Fut: std::future::Future<Output = PageResult<Response>>,
{
    let f = &form.data;
    match state
        .conference
        .set_pins(user, &f.moderator_pin, &f.participant_pin)
        .await
    {
        Ok(()) => done(jar, flash, "/conference"),
        Err(e) => {
            let rec = state.conference.mine(user).await?;
            form_again(e, without_pins(form.raw), ctx.lang, |fs| page(rec, fs)).await
        }
    }
}

/// The first-visit PIN page.
pub async fn setup_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    PageUser(user): PageUser,
    form: CsrfForm<PinsForm>,
) -> PageResult<Response> {
    save_pins(&state, &ctx, jar, &user, form, "conference_pins_set", |rec, fs| {
        let (state, ctx) = (&state, &ctx);
        async move { setup_page(state, ctx, &rec, fs).await }
    })
    .await
}

/// Changes the PINs from the center.
pub async fn change_pins(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    PageUser(user): PageUser,
    form: CsrfForm<PinsForm>,
) -> PageResult<Response> {
    save_pins(&state, &ctx, jar, &user, form, "conference_pins_changed", |rec, fs| {
        let (state, ctx) = (&state, &ctx);
        async move { center_page(state, ctx, &rec, fs).await }
    })
    .await
}

#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    host_leave_secs: String,
}

pub async fn settings(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    PageUser(user): PageUser,
    form: CsrfForm<SettingsForm>,
) -> PageResult<Response> {
    let secs = form.data.host_leave_secs.trim().parse::<i64>().unwrap_or(-1);
    match state.conference.set_host_leave(&user, secs).await {
        Ok(()) => done(jar, "conference_settings_saved", "/conference"),
        Err(e) => {
            let rec = state.conference.mine(&user).await?;
            form_again(e, form.raw, ctx.lang, |fs| center_page(&state, &ctx, &rec, fs)).await
        }
    }
}

/// The owner's room page: enters as moderator without a PIN.
pub async fn owner_room(State(state): State<AppState>, ctx: Ctx, PageUser(user): PageUser) -> PageResult<Response> {
    let rec = state.conference.mine(&user).await?;
    if !rec.pins_set() {
        return Ok(Redirect::to("/conference/setup").into_response());
    }
    let admission = state.conference.enter(&user).await?;
    let invite = state.conference.join_link(rec.number);
    Ok(render(&room_page(&state, &ctx, &rec, Some(admission), invite)))
}

fn room_page<'a>(
    state: &AppState,
    ctx: &'a Ctx,
    rec: &ConferenceRecord,
    admission: Option<domain::rooms::Admission>,
    invite: String,
) -> RoomPage<'a> {
    RoomPage {
        ctx,
        room: rec.room.clone(),
        admission,
        code: String::new(),
        invite,
        join: String::new(),
        join_page: format!("/join?n={}", rec.number),
        dial_in: Some(state.conference.dial_in(rec.number)),
        back: if ctx.user.is_some() { "/conference" } else { "/join" },
        config: script_config(state, ctx.lang, "conference"),
    }
}

/// The room page after the join page: the grant comes in the URL fragment.
pub async fn live(State(state): State<AppState>, ctx: Ctx, PagePath(id): PagePath<String>) -> PageResult<Response> {
    let rec = state.conference.by_room(&id).await?;
    Ok(super::no_referrer(render(&room_page(
        &state,
        &ctx,
        &rec,
        None,
        String::new(),
    ))))
}

#[derive(Deserialize)]
pub struct JoinQuery {
    #[serde(default)]
    n: String,
}

/// The public join page; `?n=` fills in the room number.
pub async fn join_page(ctx: Ctx, Query(q): Query<JoinQuery>) -> PageResult<Response> {
    let mut values = std::collections::HashMap::new();
    values.insert("number".to_string(), q.n);
    Ok(render(&JoinPage {
        ctx: &ctx,
        form: FormState::with_values(values),
    }))
}

#[derive(Deserialize)]
pub struct JoinForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    pin: String,
    #[serde(default)]
    name: String,
}

pub async fn join_submit(State(state): State<AppState>, ctx: Ctx, form: CsrfForm<JoinForm>) -> PageResult<Response> {
    let f = &form.data;
    let input = JoinInput {
        number: f.number.clone(),
        pin: f.pin.clone(),
        name: f.name.clone(),
    };
    match state.conference.join(&input, ctx.user.as_ref(), &ctx.ip).await {
        Ok(a) => Ok(Redirect::to(&format!(
            "/conference/live/{}#g={}",
            a.room.public_id,
            urlencode(&a.grant)
        ))
        .into_response()),
        // Field errors next to the fields; throttling and a locked room above the form.
        Err(e) => {
            form_again(e, without_pins(form.raw), ctx.lang, |fs| async {
                Ok(render(&JoinPage { ctx: &ctx, form: fs }))
            })
            .await
        }
    }
}
