//! One employee's absence info and appointments, and what agents are told
//! about them right now. A sub-account login sees only this page.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use domain::identity::User;
use domain::secretary::{Appointment, AppointmentInput, Employee};
use kernel::{AccountId, DomainError};
use serde::Deserialize;

use super::{done, error_text, nav, period_label, SecNav};
use crate::context::{Ctx, Flash};
use crate::error::PageResult;
use crate::extract::{PagePath, PageQuery, PageUser};
use crate::forms::{CsrfForm, FormState, NoFields};
use crate::pages::portal::{shown_in_form, ticked, with_status};
use crate::pages::{format_time, render};
use crate::state::AppState;

pub struct AppointmentRow {
    pub id: i64,
    pub period: String,
    pub text: String,
    pub all_day: bool,
    pub active: bool,
    pub past: bool,
}

#[derive(Template)]
#[template(path = "secretary/schedule.html")]
struct SchedulePage<'a> {
    ctx: &'a Ctx,
    nav: SecNav,
    employee: Option<Employee>,
    can_edit: bool,
    /// What agents are told right now, and why ("appointment", "absence", "none").
    status_text: String,
    status_kind: &'static str,
    status_until: Option<String>,
    appointments: Vec<AppointmentRow>,
    past: bool,
    absence_form: FormState,
    form: FormState,
    /// The appointment being edited (None: the form creates one).
    editing: Option<i64>,
    now: String,
}

#[derive(Deserialize, Default)]
pub struct ScheduleQuery {
    #[serde(default)]
    past: Option<String>,
}

struct Forms {
    absence: Option<FormState>,
    appointment: Option<FormState>,
    editing: Option<i64>,
}

async fn schedule_page(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    account: AccountId,
    id: i64,
    past: bool,
    forms: Forms,
) -> PageResult<Response> {
    let nav = nav(state, user, account, "employees").await?;
    let employee = state.secretary.employee(user, account, id).await?;
    let can_edit = nav.manage || nav.own == Some(id);
    let status = state.secretary.status(user, account, id, None).await?;
    let list = state.secretary.appointments(user, account, id, past).await?;
    let now = status.at;
    let appointments = list
        .iter()
        .map(|a| AppointmentRow {
            id: a.id,
            period: period_label(&a.start, &a.end, ctx.lang),
            text: a.text.clone(),
            all_day: a.all_day,
            active: a.starts_at <= now && now < a.ends_at,
            past: a.ends_at <= now,
        })
        .collect();
    let (status_kind, status_until) = match &status.appointment {
        Some(a) => ("appointment", Some(period_label(&a.end, &a.end, ctx.lang))),
        None if status.status.is_empty() => ("none", None),
        None => ("absence", None),
    };
    let absence_form = forms.absence.unwrap_or_else(|| {
        let mut f = FormState::default();
        f.set("absence_info", &employee.absence_info);
        f
    });
    let form = match (forms.appointment, forms.editing) {
        (Some(f), _) => f,
        (None, Some(a)) => {
            let a = list
                .iter()
                .find(|x| x.id == a)
                .ok_or(DomainError::not_found("appointment"))?;
            appointment_values(a)
        }
        (None, None) => {
            let mut f = FormState::default();
            f.set("all_day", "true");
            f
        }
    };
    Ok(render(&SchedulePage {
        ctx,
        nav,
        employee: Some(employee),
        can_edit,
        status_text: status.status,
        status_kind,
        status_until,
        appointments,
        past,
        absence_form,
        form,
        editing: forms.editing,
        now: format_time(now, ctx.lang),
    }))
}

fn appointment_values(a: &Appointment) -> FormState {
    let mut f = FormState::default();
    let split = |s: &str| match s.split_once('T') {
        Some((d, t)) => (d.to_string(), t.to_string()),
        None => (s.to_string(), String::new()),
    };
    let (sd, st) = split(&a.start);
    let (ed, et) = split(&a.end);
    f.set("start_date", &sd);
    f.set("start_time", &st);
    f.set("end_date", &ed);
    f.set("end_time", &et);
    f.set("text", &a.text);
    if a.all_day {
        f.set("all_day", "true");
    }
    f
}

fn schedule_url(account: AccountId, id: i64) -> String {
    format!("/portal/{account}/employees/{id}/schedule")
}

pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath((account, id)): PagePath<(i64, i64)>,
    PageQuery(q): PageQuery<ScheduleQuery>,
) -> PageResult<Response> {
    let past = q.past.is_some_and(|p| p == "1" || p == "true");
    let forms = Forms {
        absence: None,
        appointment: None,
        editing: None,
    };
    schedule_page(&state, &ctx, &user, AccountId(account), id, past, forms).await
}

pub async fn edit_page(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath((account, id, appointment)): PagePath<(i64, i64, i64)>,
) -> PageResult<Response> {
    let forms = Forms {
        absence: None,
        appointment: None,
        editing: Some(appointment),
    };
    schedule_page(&state, &ctx, &user, AccountId(account), id, true, forms).await
}

#[derive(Deserialize)]
pub struct AbsenceForm {
    #[serde(default)]
    absence_info: String,
}

pub async fn save_absence(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath((account, id)): PagePath<(i64, i64)>,
    jar: CookieJar,
    form: CsrfForm<AbsenceForm>,
) -> PageResult<Response> {
    let account = AccountId(account);
    match state
        .secretary
        .set_absence(&user, account, id, &form.data.absence_info)
        .await
    {
        Ok(_) => done(jar, "absence_saved", &schedule_url(account, id)),
        Err(e) if shown_in_form(&e) => {
            let fs = FormState::failed(form.raw, &e, ctx.lang);
            let forms = Forms {
                absence: Some(fs),
                appointment: None,
                editing: None,
            };
            let page = schedule_page(&state, &ctx, &user, account, id, false, forms).await?;
            Ok(with_status(page, &e))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AppointmentForm {
    start_date: String,
    start_time: String,
    end_date: String,
    end_time: String,
    all_day: Option<String>,
    text: String,
}

impl AppointmentForm {
    /// Whole days when "ganztägig" is ticked or no time is given; an empty
    /// end date means the start day.
    fn input(&self) -> AppointmentInput {
        let all_day = ticked(&self.all_day);
        let end_date = if self.end_date.trim().is_empty() {
            self.start_date.trim()
        } else {
            self.end_date.trim()
        };
        let at = |date: &str, time: &str| {
            let time = time.trim();
            if all_day || time.is_empty() || date.is_empty() {
                date.to_string()
            } else {
                format!("{date}T{time}")
            }
        };
        AppointmentInput {
            start: at(self.start_date.trim(), &self.start_time),
            end: at(end_date, &self.end_time),
            text: self.text.clone(),
        }
    }
}

/// The service names the fields `start`/`end`; the form has dates and times.
fn form_error(e: &DomainError) -> DomainError {
    match e {
        DomainError::Validation(errors) => DomainError::Validation(
            errors
                .iter()
                .cloned()
                .map(|mut fe| {
                    fe.field = match fe.field.as_str() {
                        "start" => "start_date".into(),
                        "end" => "end_date".into(),
                        _ => fe.field,
                    };
                    fe
                })
                .collect(),
        ),
        other => crate::pages::portal::clone_for_status(other),
    }
}

#[allow(clippy::too_many_arguments)]
async fn after_appointment(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    account: AccountId,
    id: i64,
    editing: Option<i64>,
    jar: CookieJar,
    form: CsrfForm<AppointmentForm>,
    result: Result<Appointment, DomainError>,
) -> PageResult<Response> {
    match result {
        Ok(_) => {
            let key = if editing.is_some() {
                "appointment_saved"
            } else {
                "appointment_created"
            };
            done(jar, key, &schedule_url(account, id))
        }
        Err(e) if shown_in_form(&e) => {
            let fs = FormState::failed(form.raw, &form_error(&e), ctx.lang);
            let forms = Forms {
                absence: None,
                appointment: Some(fs),
                editing,
            };
            let page = schedule_page(state, ctx, user, account, id, editing.is_some(), forms).await?;
            Ok(with_status(page, &e))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath((account, id)): PagePath<(i64, i64)>,
    jar: CookieJar,
    form: CsrfForm<AppointmentForm>,
) -> PageResult<Response> {
    let account = AccountId(account);
    let result = state
        .secretary
        .create_appointment(&user, account, id, &form.data.input())
        .await;
    after_appointment(&state, &ctx, &user, account, id, None, jar, form, result).await
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath((account, id, appointment)): PagePath<(i64, i64, i64)>,
    jar: CookieJar,
    form: CsrfForm<AppointmentForm>,
) -> PageResult<Response> {
    let account = AccountId(account);
    let result = state
        .secretary
        .update_appointment(&user, account, id, appointment, &form.data.input())
        .await;
    after_appointment(&state, &ctx, &user, account, id, Some(appointment), jar, form, result).await
}

pub async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath((account, id, appointment)): PagePath<(i64, i64, i64)>,
    jar: CookieJar,
    _form: CsrfForm<NoFields>,
) -> PageResult<Response> {
    let account = AccountId(account);
    match state
        .secretary
        .delete_appointment(&user, account, id, appointment)
        .await
    {
        Ok(()) => done(jar, "appointment_deleted", &schedule_url(account, id)),
        Err(e) if shown_in_form(&e) => Ok((
            jar.add(Flash::cookie_with("error", "secretary_failed", &error_text(&ctx, &e))),
            Redirect::to(&schedule_url(account, id)),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}
