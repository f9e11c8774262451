//! The agent console (PRODUCT.md section 2, "the heart"): the live queue
//! of forwarded calls, claiming, the call screen with everything about the
//! customer, the keyboard-friendly note form with the routing step, and
//! corrections of sent notes. Only agents and the operator get in; the
//! call service refuses everyone else.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use domain::calls::{Call, CallScreen, CallStatus, ManualCall, Note, NoteInput, Outcome};
use domain::identity::User;
use kernel::{DomainError, Timestamp};

use super::{done, error_text, render};
use crate::context::{Ctx, Flash};
use crate::error::PageResult;
use crate::extract::{PagePath, PageUser};
use crate::forms::{CsrfForm, FormState, NoFields};
use crate::pages::portal::form_again;
use crate::state::AppState;

/// "14:05:09" in the customer's zone (the console shows customers of one installation).
pub fn clock_time(t: Timestamp, tz: &str) -> String {
    let tz = domain::secretary::schedule::zone(tz);
    t.to_datetime().with_timezone(&tz).format("%H:%M:%S").to_string()
}

#[derive(Template)]
#[template(path = "agent/console.html")]
struct ConsolePage<'a> {
    ctx: &'a Ctx,
    me: i64,
    /// The call, its time, whether it is the agent's own.
    calls: Vec<(Call, String, bool)>,
    accounts: Vec<(String, String)>,
    form: FormState,
}

async fn console_page(state: &AppState, ctx: &Ctx, user: &User, form: FormState) -> PageResult<Response> {
    let calls = state
        .calls
        .queue(user)
        .await?
        .into_iter()
        .map(|c| {
            let t = clock_time(c.received_at, "Europe/Berlin");
            let mine = c.agent_id == Some(user.id);
            (c, t, mine)
        })
        .collect();
    let accounts = state
        .accounts
        .list("", 200, 0)
        .await?
        .items
        .into_iter()
        .map(|a| (a.id.to_string(), format!("{} · {}", a.name, a.customer_number)))
        .collect();
    Ok(render(&ConsolePage {
        ctx,
        me: user.id.0,
        calls,
        accounts,
        form,
    }))
}

pub async fn console(State(state): State<AppState>, ctx: Ctx, PageUser(user): PageUser) -> PageResult<Response> {
    console_page(&state, &ctx, &user, FormState::default()).await
}

#[derive(serde::Deserialize)]
pub struct OpenForm {
    #[serde(default)]
    account_id: String,
    #[serde(default)]
    caller_id: String,
}

/// Opens a call by hand and goes to its screen.
pub async fn open(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    form: CsrfForm<OpenForm>,
) -> PageResult<Response> {
    let input = ManualCall {
        account_id: form.data.account_id.trim().parse().unwrap_or(-1),
        caller_id: Some(form.data.caller_id.clone()),
    };
    match state.calls.open(&user, &input).await {
        Ok(call) => Ok(Redirect::to(&format!("/agent/calls/{}", call.id)).into_response()),
        Err(e) => form_again(e, form.raw, ctx.lang, |fs| console_page(&state, &ctx, &user, fs)).await,
    }
}

/// Claims a waiting call; a lost race comes back to the queue with a message.
pub async fn claim(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    PageUser(user): PageUser,
    PagePath(id): PagePath<i64>,
    _form: CsrfForm<NoFields>,
) -> PageResult<Response> {
    match state.calls.claim(&user, id).await {
        Ok(_) => Ok(Redirect::to(&format!("/agent/calls/{id}")).into_response()),
        Err(e @ DomainError::Conflict(_)) => {
            let jar = jar.add(Flash::cookie_with("error", "plain", &error_text(&ctx, &e)));
            Ok((jar, Redirect::to("/agent")).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn release(
    State(state): State<AppState>,
    jar: CookieJar,
    PageUser(user): PageUser,
    PagePath(id): PagePath<i64>,
    _form: CsrfForm<NoFields>,
) -> PageResult<Response> {
    state.calls.release(&user, id).await?;
    done(jar, "call_released", "/agent")
}

/// One employee row of the call screen, ready to show.
struct EmployeeView {
    e: domain::calls::ScreenEmployee,
    /// "Durchstellen (Durchwahl 21)" or "Nachricht aufnehmen".
    step: String,
}

#[derive(Template)]
#[template(path = "agent/call.html")]
struct CallPage<'a> {
    ctx: &'a Ctx,
    s: CallScreen,
    employees: Vec<EmployeeView>,
    received: String,
    /// The agent holds the call and may send the note.
    mine: bool,
    /// The correction form (for a finished call).
    correcting: bool,
    notes: Vec<(Note, String)>,
    /// Form field names of the extra query fields with their definitions.
    extras: Vec<(String, domain::secretary::QueryField)>,
    form: FormState,
}

fn step_text(ctx: &Ctx, step: &domain::calls::Step) -> String {
    match step {
        domain::calls::Step::Transfer { extension, .. } if !extension.is_empty() => {
            kernel::tr_args(ctx.lang, "calls.step.transfer_ext", &[("extension", extension)])
        }
        domain::calls::Step::Transfer { .. } => ctx.t("calls.step.transfer"),
        domain::calls::Step::Message { .. } => ctx.t("calls.step.message"),
    }
}

/// The form's values from a note (for a correction).
fn note_form(screen: &CallScreen, n: &Note) -> FormState {
    let mut f = FormState::default();
    f.set("employee_id", &n.employee_id.map(|i| i.to_string()).unwrap_or_default());
    f.set("outcome", n.outcome.as_str());
    f.set("caller_name", &n.caller_name);
    f.set("company", &n.company);
    f.set("phone", &n.phone);
    f.set("concern", &n.concern);
    for (i, q) in screen.extra_fields.iter().enumerate() {
        if let Some(a) = n.extra.iter().find(|a| a.label == q.label) {
            f.set(&format!("extra_{i}"), &a.value);
        }
    }
    f
}

async fn call_page(state: &AppState, ctx: &Ctx, user: &User, id: i64, form: Option<FormState>) -> PageResult<Response> {
    let s = state.calls.screen(user, id).await?;
    let mine = s.call.status == CallStatus::Claimed && s.call.agent_id == Some(user.id);
    let correcting = s.call.status == CallStatus::Done;
    let form = match form {
        Some(f) => f,
        None => match s.notes.last() {
            Some(n) if correcting => note_form(&s, n),
            _ => FormState::default(),
        },
    };
    let employees = s
        .employees
        .iter()
        .map(|e| EmployeeView {
            step: step_text(ctx, &e.first_step),
            e: e.clone(),
        })
        .collect();
    let notes = s
        .notes
        .iter()
        .map(|n| (n.clone(), super::format_time(n.created_at, ctx.lang)))
        .collect();
    let extras = s
        .extra_fields
        .iter()
        .enumerate()
        .map(|(i, q)| (format!("extra_{i}"), q.clone()))
        .collect();
    Ok(render(&CallPage {
        ctx,
        extras,
        received: super::format_time(s.call.received_at, ctx.lang),
        employees,
        mine,
        correcting,
        notes,
        form,
        s,
    }))
}

pub async fn call(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath(id): PagePath<i64>,
) -> PageResult<Response> {
    call_page(&state, &ctx, &user, id, None).await
}

/// The note form's fields: extra query fields come as `extra_0`, `extra_1`, … in order.
fn note_input(raw: &HashMap<String, String>, labels: &[String]) -> Result<NoteInput, DomainError> {
    let get = |k: &str| raw.get(k).cloned().unwrap_or_default();
    let employee_id = get("employee_id")
        .trim()
        .parse()
        .map_err(|_| DomainError::validation("employee_id", "required"))?;
    let mut extra = BTreeMap::new();
    for (i, label) in labels.iter().enumerate() {
        extra.insert(label.clone(), get(&format!("extra_{i}")));
    }
    Ok(NoteInput {
        employee_id,
        outcome: Outcome::parse(&get("outcome")),
        connected_to: get("connected_to").trim().parse().ok(),
        caller_name: get("caller_name"),
        company: get("company"),
        phone: get("phone"),
        concern: get("concern"),
        extra,
    })
}

async fn submit(
    state: AppState,
    ctx: Ctx,
    jar: CookieJar,
    user: User,
    id: i64,
    raw: HashMap<String, String>,
    correction: bool,
) -> PageResult<Response> {
    let screen = state.calls.screen(&user, id).await?;
    let labels: Vec<String> = screen.extra_fields.iter().map(|q| q.label.clone()).collect();
    let result = match note_input(&raw, &labels) {
        Ok(input) if correction => state.calls.correct(&user, id, &input).await,
        Ok(input) => state.calls.send_note(&user, id, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) if correction => done(jar, "note_corrected", &format!("/agent/calls/{id}")),
        Ok(_) => done(jar, "note_sent", "/agent"),
        Err(e) => form_again(e, raw, ctx.lang, |fs| call_page(&state, &ctx, &user, id, Some(fs))).await,
    }
}

pub async fn send_note(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    PageUser(user): PageUser,
    PagePath(id): PagePath<i64>,
    form: CsrfForm<NoFields>,
) -> PageResult<Response> {
    submit(state, ctx, jar, user, id, form.raw, false).await
}

pub async fn correct(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    PageUser(user): PageUser,
    PagePath(id): PagePath<i64>,
    form: CsrfForm<NoFields>,
) -> PageResult<Response> {
    submit(state, ctx, jar, user, id, form.raw, true).await
}
