//! Session planner pages: the planner (`/planner`: entries, running
//! spontaneous sessions, trial banner or upsell), new entry, the entry page
//! (edit, invite, invitation text, calendar file, widget snippet, delete),
//! the host's room, the public join page (`/session`, `/s/{number}`), the
//! room page it leads to and the widget's example page.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use domain::identity::User;
use domain::planner::{EntryInput, PlannerAccess, Session, SessionJoin, SessionView, REMINDER_CHOICES};
use kernel::Timestamp;
use serde::Deserialize;

use super::meetings::{script_config, RoomPage};
use super::{done, done_with, render};
use crate::context::{urlencode, Ctx};
use crate::error::PageResult;
use crate::extract::{PagePath, PageUser};
use crate::forms::{CsrfForm, FormState, NoFields};
use crate::pages::portal::form_again;
use crate::state::AppState;

/// Zones offered in the entry form (others can be typed through the API).
const ZONES: [&str; 8] = [
    "Europe/Berlin",
    "Europe/Vienna",
    "Europe/Zurich",
    "Europe/London",
    "Europe/Istanbul",
    "America/New_York",
    "Asia/Dubai",
    "UTC",
];

/// A session row on the planner page.
struct Row {
    view: SessionView,
    /// "Di. 01.12.2026, 10:00–11:00" in the entry's zone.
    when: String,
    /// "2 im Raum".
    present: String,
}

#[derive(Template)]
#[template(path = "planner/list.html")]
struct ListPage<'a> {
    ctx: &'a Ctx,
    entries: Vec<Row>,
    running: Vec<Row>,
    /// The trial banner's text, while on trial.
    trial: Option<String>,
}

#[derive(Template)]
#[template(path = "planner/upsell.html")]
struct UpsellPage<'a> {
    ctx: &'a Ctx,
    /// "Your 3 entries … are kept", when there are any.
    kept: Option<String>,
    ended: String,
}

#[derive(Template)]
#[template(path = "planner/entry_form.html")]
struct NewPage<'a> {
    ctx: &'a Ctx,
    form: FormState,
    zones: Vec<String>,
    reminders: Vec<(i64, String)>,
}

#[derive(Template)]
#[template(path = "planner/entry.html")]
struct EntryPage<'a> {
    ctx: &'a Ctx,
    view: SessionView,
    when: String,
    invitation: String,
    invitees: Vec<String>,
    /// The widget snippet with this entry's number preset.
    snippet: String,
    form: FormState,
    invite_form: FormState,
    zones: Vec<String>,
    reminders: Vec<(i64, String)>,
}

#[derive(Template)]
#[template(path = "planner/join.html")]
struct JoinPage<'a> {
    ctx: &'a Ctx,
    form: FormState,
    /// The personal link's token (kept in a hidden field).
    token: String,
}

#[derive(Template)]
#[template(path = "planner/widget_example.html")]
struct WidgetExample<'a> {
    ctx: &'a Ctx,
    snippet: String,
    number: String,
}

fn reminder_label(ctx: &Ctx, m: i64) -> String {
    match m {
        m if m < 60 => kernel::tr_args(ctx.lang, "planner.reminder.minutes", &[("n", &m.to_string())]),
        1440 => ctx.t("planner.reminder.day"),
        m => kernel::tr_args(ctx.lang, "planner.reminder.hours", &[("n", &(m / 60).to_string())]),
    }
}

fn reminders(ctx: &Ctx) -> Vec<(i64, String)> {
    REMINDER_CHOICES.iter().map(|m| (*m, reminder_label(ctx, *m))).collect()
}

fn zones(current: &str) -> Vec<String> {
    let mut z: Vec<String> = ZONES.iter().map(|z| z.to_string()).collect();
    if !current.is_empty() && !z.iter().any(|x| x == current) {
        z.insert(0, current.to_string());
    }
    z
}

/// "Di. 01.12.2026, 10:00–11:00" (weekday in the page's language).
fn when(ctx: &Ctx, s: &Session) -> String {
    let (Some(start), Some(end)) = (s.starts_at, s.ends_at()) else {
        return String::new();
    };
    let zone = s.zone();
    let a = start.to_datetime().with_timezone(&zone);
    let b = end.to_datetime().with_timezone(&zone);
    let day = ctx.t(&format!("planner.weekday.{}", a.format("%u")));
    let date = match ctx.lang {
        kernel::Lang::De => a.format("%d.%m.%Y"),
        _ => a.format("%Y-%m-%d"),
    };
    format!("{day} {date}, {}–{}", a.format("%H:%M"), b.format("%H:%M"))
}

fn row(state: &AppState, ctx: &Ctx, s: &Session) -> Row {
    let view = state.planner.view(s);
    Row {
        present: kernel::tr_args(ctx.lang, "planner.live.present", &[("n", &view.present.to_string())]),
        view,
        when: when(ctx, s),
    }
}

/// The planner; the upsell page once the trial is over (entries are kept).
pub async fn list(State(state): State<AppState>, ctx: Ctx, PageUser(user): PageUser) -> PageResult<Response> {
    let p = &state.planner;
    let access = p.access(&user).await?;
    let entries = p.entries(&user).await?;
    if let PlannerAccess::Expired { ended_at } = access {
        let n = entries.len().to_string();
        let ended = super::format_time(Timestamp(ended_at), ctx.lang);
        return Ok(render(&UpsellPage {
            kept: (!entries.is_empty()).then(|| kernel::tr_args(ctx.lang, "planner.upsell.kept", &[("n", &n)])),
            ended: kernel::tr_args(ctx.lang, "planner.upsell.ended", &[("date", &ended)]),
            ctx: &ctx,
        }));
    }
    let running = p.running(&user).await?;
    Ok(render(&ListPage {
        trial: state
            .planner
            .days_left(access)
            .map(|d| kernel::tr_args(ctx.lang, "planner.trial.days", &[("n", &d.to_string())])),
        entries: entries.iter().map(|s| row(&state, &ctx, s)).collect(),
        running: running.iter().map(|s| row(&state, &ctx, s)).collect(),
        ctx: &ctx,
    }))
}

#[derive(Deserialize)]
pub struct EntryForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    duration_min: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    phone_info: Option<String>,
    #[serde(default)]
    reminder_min: String,
}

impl EntryForm {
    fn input(&self) -> EntryInput {
        EntryInput {
            title: self.title.clone(),
            start: self.start.clone(),
            time_zone: Some(self.time_zone.clone()),
            // Not a number: the domain's range check names the field.
            duration_min: self.duration_min.trim().parse().unwrap_or(-1),
            description: self.description.clone(),
            phone_info: self.phone_info.is_some(),
            reminder_min: match self.reminder_min.trim() {
                "" => None,
                m => Some(m.parse().unwrap_or(-1)),
            },
        }
    }
}

async fn new_page(state: &AppState, ctx: &Ctx, user: &User, form: FormState) -> PageResult<Response> {
    let mut form = form;
    if !form.has_errors() {
        let zone = state.planner.default_zone(user).await?;
        // Tomorrow 10:00 in the account's zone, one hour, reminder 15 min.
        let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
            .with_timezone(&domain::secretary::schedule::zone(&zone))
            .format("%Y-%m-%dT10:00")
            .to_string();
        form.set("start", &tomorrow);
        form.set("time_zone", &zone);
        form.set("duration_min", "60");
        form.set("reminder_min", "15");
    }
    Ok(render(&NewPage {
        ctx,
        zones: zones(form.val("time_zone")),
        reminders: reminders(ctx),
        form,
    }))
}

/// The new-entry form (the upsell page once the trial is over).
pub async fn new_entry(State(state): State<AppState>, ctx: Ctx, PageUser(user): PageUser) -> PageResult<Response> {
    if !state.planner.access(&user).await?.allowed() {
        return Ok(Redirect::to("/planner").into_response());
    }
    new_page(&state, &ctx, &user, FormState::default()).await
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    PageUser(user): PageUser,
    form: CsrfForm<EntryForm>,
) -> PageResult<Response> {
    match state.planner.create(&user, &form.data.input()).await {
        Ok(s) => done_with(
            jar,
            "planner_created",
            &s.number.grouped(),
            &format!("/planner/{}", s.id),
        ),
        Err(e) => form_again(e, form.raw, ctx.lang, |fs| new_page(&state, &ctx, &user, fs)).await,
    }
}

async fn entry_page(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    id: i64,
    form: Option<FormState>,
    invite_form: FormState,
) -> PageResult<Response> {
    let p = &state.planner;
    let s = p.entry(user, id).await?;
    if s.kind != domain::planner::SessionKind::Planned {
        return Err(kernel::DomainError::not_found("session").into());
    }
    let view = p.view(&s);
    let form = form.unwrap_or_else(|| {
        let mut v = HashMap::new();
        v.insert("title".into(), s.title.clone());
        v.insert("start".into(), view.start_local.clone().unwrap_or_default());
        v.insert("time_zone".into(), s.time_zone.clone());
        v.insert("duration_min".into(), s.duration_min.to_string());
        v.insert("description".into(), s.description.clone());
        if s.phone_info {
            v.insert("phone_info".into(), "true".into());
        }
        v.insert(
            "reminder_min".into(),
            s.reminder_min.map(|m| m.to_string()).unwrap_or_default(),
        );
        FormState::with_values(v)
    });
    Ok(render(&EntryPage {
        ctx,
        when: when(ctx, &s),
        invitation: p.invitation_text(&s, ctx.lang, &view.join_link).await?,
        invitees: p.invitees(user, id).await?,
        snippet: widget_snippet(state, Some(&view.number_grouped)),
        zones: zones(form.val("time_zone")),
        reminders: reminders(ctx),
        form,
        invite_form,
        view,
    }))
}

/// The snippet customers paste into their website.
pub(crate) fn widget_snippet(state: &AppState, number: Option<&str>) -> String {
    let base = state.config.base_url.trim_end_matches('/');
    let preset = number.map(|n| format!(" data-number=\"{n}\"")).unwrap_or_default();
    format!("<div data-kontor-session{preset}></div>\n<script src=\"{base}/widget/session.js\" async></script>")
}

pub async fn entry(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath(id): PagePath<i64>,
) -> PageResult<Response> {
    if !state.planner.access(&user).await?.allowed() {
        return Ok(Redirect::to("/planner").into_response());
    }
    entry_page(&state, &ctx, &user, id, None, FormState::default()).await
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    PageUser(user): PageUser,
    PagePath(id): PagePath<i64>,
    form: CsrfForm<EntryForm>,
) -> PageResult<Response> {
    match state.planner.update(&user, id, &form.data.input()).await {
        Ok(_) => done(jar, "planner_saved", &format!("/planner/{id}")),
        Err(e) => {
            form_again(e, form.raw, ctx.lang, |fs| {
                entry_page(&state, &ctx, &user, id, Some(fs), FormState::default())
            })
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    emails: String,
}

pub async fn invite(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    PageUser(user): PageUser,
    PagePath(id): PagePath<i64>,
    form: CsrfForm<InviteForm>,
) -> PageResult<Response> {
    match state.planner.invite(&user, id, &form.data.emails).await {
        Ok(n) => done_with(jar, "planner_invited", &n.to_string(), &format!("/planner/{id}#invite")),
        Err(e) => {
            form_again(e, form.raw, ctx.lang, |fs| {
                entry_page(&state, &ctx, &user, id, None, fs)
            })
            .await
        }
    }
}

pub async fn delete(
    State(state): State<AppState>,
    jar: CookieJar,
    PageUser(user): PageUser,
    PagePath(id): PagePath<i64>,
    _form: CsrfForm<NoFields>,
) -> PageResult<Response> {
    state.planner.delete(&user, id).await?;
    done(jar, "planner_deleted", "/planner")
}

/// The calendar file of an entry.
pub async fn calendar(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    PagePath(id): PagePath<i64>,
) -> PageResult<Response> {
    let ics = state.planner.calendar_file(&user, id).await?;
    Ok(crate::api::planner_ics_download(ics).into_response())
}

fn room_page<'a>(
    state: &AppState,
    ctx: &'a Ctx,
    s: &Session,
    admission: Option<domain::rooms::Admission>,
) -> RoomPage<'a> {
    RoomPage {
        ctx,
        room: s.room.clone(),
        admission,
        code: String::new(),
        invite: state.planner.join_link(s.number),
        join: String::new(),
        join_page: format!("/s/{}", s.number),
        dial_in: None,
        back: if ctx.user.is_some() { "/planner" } else { "/session" },
        config: script_config(state, ctx.lang, "session"),
    }
}

/// The host's room: starts the session (any time, whatever its date).
pub async fn host_room(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath(id): PagePath<i64>,
) -> PageResult<Response> {
    let admission = state.planner.start(&user, id).await?;
    let s = state.planner.entry(&user, id).await?;
    Ok(render(&room_page(&state, &ctx, &s, Some(admission))))
}

/// "Start now": a fresh number for this session only.
pub async fn spontaneous(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    _form: CsrfForm<NoFields>,
) -> PageResult<Response> {
    let (s, _) = state.planner.start_spontaneous(&user).await?;
    Ok(Redirect::to(&format!("/planner/{}/room", s.id)).into_response())
}

/// The room page after the join page: the grant comes in the URL fragment.
pub async fn live(State(state): State<AppState>, ctx: Ctx, PagePath(id): PagePath<String>) -> PageResult<Response> {
    let s = state.planner.by_room(&id).await?;
    Ok(super::no_referrer(render(&room_page(&state, &ctx, &s, None))))
}

#[derive(Deserialize)]
pub struct JoinQuery {
    #[serde(default)]
    n: String,
    #[serde(default)]
    t: String,
}

fn join_page(ctx: &Ctx, number: String, token: String, name: String) -> Response {
    let mut values = HashMap::new();
    values.insert("number".to_string(), number);
    values.insert("name".to_string(), name);
    render(&JoinPage {
        ctx,
        form: FormState::with_values(values),
        token,
    })
}

/// The public join page; `?n=` fills in the number.
pub async fn join(ctx: Ctx, Query(q): Query<JoinQuery>) -> PageResult<Response> {
    Ok(join_page(&ctx, q.n, String::new(), String::new()))
}

/// A personal invitation link (`/s/{number}?t=…`) or a shared number link.
pub async fn join_link(
    State(state): State<AppState>,
    ctx: Ctx,
    PagePath(number): PagePath<String>,
    Query(q): Query<JoinQuery>,
) -> PageResult<Response> {
    let name = if q.t.is_empty() {
        String::new()
    } else {
        // The invitee's address names them until they type a name.
        state.planner.invitee_name(&q.t).await?.unwrap_or_default()
    };
    let grouped = domain::planner::SessionNumber::parse(&number, "number")
        .map(|n| n.grouped())
        .unwrap_or(number);
    Ok(super::no_referrer(join_page(&ctx, grouped, q.t, name)))
}

#[derive(Deserialize)]
pub struct JoinForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    token: String,
}

pub async fn join_submit(State(state): State<AppState>, ctx: Ctx, form: CsrfForm<JoinForm>) -> PageResult<Response> {
    let f = &form.data;
    let input = SessionJoin {
        number: f.number.clone(),
        token: f.token.clone(),
        name: f.name.clone(),
    };
    match state.planner.join(&input, ctx.user.as_ref(), &ctx.ip).await {
        Ok(a) => {
            Ok(Redirect::to(&format!("/session/live/{}#g={}", a.room.public_id, urlencode(&a.grant))).into_response())
        }
        Err(e) => {
            let token = f.token.clone();
            form_again(e, form.raw, ctx.lang, |fs| async {
                Ok(render(&JoinPage {
                    ctx: &ctx,
                    form: fs,
                    token,
                }))
            })
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct ExampleQuery {
    #[serde(default)]
    n: String,
}

/// The widget as a customer's website would show it (`?n=` presets a number).
pub async fn widget_example(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ExampleQuery>,
) -> PageResult<Response> {
    let number = domain::planner::SessionNumber::parse(&q.n, "n")
        .map(|n| n.grouped())
        .ok();
    Ok(render(&WidgetExample {
        ctx: &ctx,
        snippet: widget_snippet(&state, number.as_deref()),
        number: number.unwrap_or_default(),
    }))
}
