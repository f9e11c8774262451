//! VIP callers: company-wide or for one employee, recognised by caller ID;
//! agents see the note when such a caller rings.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use domain::identity::User;
use domain::secretary::{Vip, VipInput};
use kernel::{AccountId, DomainError};
use serde::Deserialize;

use super::{done_with, error_text, nav, Options, SecNav};
use crate::context::{Ctx, Flash};
use crate::error::PageResult;
use crate::extract::{PagePath, PageQuery, PageUser};
use crate::forms::{CsrfForm, FormState, NoFields};
use crate::pages::portal::{shown_in_form, with_status};
use crate::pages::render;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "secretary/vips.html")]
struct VipsPage<'a> {
    ctx: &'a Ctx,
    nav: SecNav,
    vips: Vec<Vip>,
    form: FormState,
    employees: Options,
    /// The entry being edited (None: the list with the form for a new one).
    editing: Option<i64>,
}

async fn vips_page(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    account: AccountId,
    editing: Option<i64>,
    form: Option<FormState>,
) -> PageResult<Response> {
    let nav = nav(state, user, account, "vips").await?;
    let vips = state.secretary.vips(user, account, None).await?;
    let mut employees: Options = vec![(String::new(), ctx.t("secretary.vips.company_wide_option"))];
    if nav.manage {
        employees.extend(
            state
                .secretary
                .all_employees(user, account)
                .await?
                .into_iter()
                .map(|e| (e.id.to_string(), e.name)),
        );
    }
    let form = match (form, editing) {
        (Some(f), _) => f,
        (None, Some(id)) => {
            if !nav.manage {
                return Err(DomainError::Forbidden.into());
            }
            let v = vips.iter().find(|v| v.id == id).ok_or(DomainError::not_found("vip"))?;
            let mut f = FormState::default();
            f.set("phone", &v.phone);
            f.set("name", &v.name);
            f.set("note", &v.note);
            f.set("employee_id", &v.employee_id.map(|e| e.to_string()).unwrap_or_default());
            f
        }
        (None, None) => FormState::default(),
    };
    Ok(render(&VipsPage {
        ctx,
        nav,
        vips,
        form,
        employees,
        editing,
    }))
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    employee: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath(account): PagePath<i64>,
    PageQuery(q): PageQuery<ListQuery>,
) -> PageResult<Response> {
    let mut form = FormState::default();
    if let Some(e) = q.employee.filter(|e| e.parse::<i64>().is_ok()) {
        form.set("employee_id", &e);
    }
    vips_page(&state, &ctx, &user, AccountId(account), None, Some(form)).await
}

pub async fn edit_page(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath((account, id)): PagePath<(i64, i64)>,
) -> PageResult<Response> {
    vips_page(&state, &ctx, &user, AccountId(account), Some(id), None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct VipForm {
    phone: String,
    name: String,
    note: String,
    employee_id: String,
}

impl VipForm {
    fn input(&self) -> VipInput {
        VipInput {
            phone: self.phone.clone(),
            name: self.name.clone(),
            note: self.note.clone(),
            employee_id: match self.employee_id.trim() {
                "" => None,
                e => Some(e.parse().unwrap_or(-1)),
            },
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn after_save(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    account: AccountId,
    editing: Option<i64>,
    jar: CookieJar,
    raw: std::collections::HashMap<String, String>,
    result: Result<Vip, DomainError>,
) -> PageResult<Response> {
    match result {
        Ok(v) => {
            let key = if editing.is_some() { "vip_saved" } else { "vip_created" };
            done_with(jar, key, &v.name, &format!("/portal/{account}/vips"))
        }
        Err(e) if shown_in_form(&e) => {
            let fs = FormState::failed(raw, &e, ctx.lang);
            let page = vips_page(state, ctx, user, account, editing, Some(fs)).await?;
            Ok(with_status(page, &e))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath(account): PagePath<i64>,
    jar: CookieJar,
    form: CsrfForm<VipForm>,
) -> PageResult<Response> {
    let account = AccountId(account);
    let result = state.secretary.create_vip(&user, account, &form.data.input()).await;
    after_save(&state, &ctx, &user, account, None, jar, form.raw, result).await
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath((account, id)): PagePath<(i64, i64)>,
    jar: CookieJar,
    form: CsrfForm<VipForm>,
) -> PageResult<Response> {
    let account = AccountId(account);
    let result = state.secretary.update_vip(&user, account, id, &form.data.input()).await;
    after_save(&state, &ctx, &user, account, Some(id), jar, form.raw, result).await
}

pub async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath((account, id)): PagePath<(i64, i64)>,
    jar: CookieJar,
    _form: CsrfForm<NoFields>,
) -> PageResult<Response> {
    let account = AccountId(account);
    let to = format!("/portal/{account}/vips");
    match state.secretary.delete_vip(&user, account, id).await {
        Ok(()) => super::done(jar, "vip_deleted", &to),
        Err(e) if shown_in_form(&e) => Ok((
            jar.add(Flash::cookie_with("error", "secretary_failed", &error_text(&ctx, &e))),
            Redirect::to(&to),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}
