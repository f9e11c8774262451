//! The employee list (search, paging), the form to create and change an
//! employee, deleting with the deputy warning, and the sub-account login.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use domain::identity::User;
use domain::secretary::{Employee, EmployeeInput, EmployeeRow, Vip};
use kernel::{AccountId, DomainError};
use serde::Deserialize;

use super::{done_with, error_text, nav, Options, Paging, SecNav, PAGE_SIZE};
use crate::context::{urlencode, Ctx, Flash};
use crate::error::PageResult;
use crate::extract::{PagePath, PageQuery, PageUser};
use crate::forms::{CsrfForm, FormState, NoFields};
use crate::pages::portal::{shown_in_form, ticked, with_status};
use crate::pages::render;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "secretary/employees.html")]
struct ListPage<'a> {
    ctx: &'a Ctx,
    nav: SecNav,
    q: String,
    q_enc: String,
    rows: Vec<EmployeeRow>,
    paging: Paging,
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath(account): PagePath<i64>,
    PageQuery(q): PageQuery<ListQuery>,
) -> PageResult<Response> {
    let account = AccountId(account);
    let nav = nav(&state, &user, account, "employees").await?;
    let page = q.page.unwrap_or(1).clamp(1, 1_000_000);
    let result = state
        .secretary
        .employees(&user, account, &q.q, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        .await?;
    Ok(render(&ListPage {
        ctx: &ctx,
        nav,
        q_enc: urlencode(&q.q),
        q: q.q,
        paging: Paging::new(page, result.items.len(), result.total),
        rows: result.items,
    }))
}

// ----- the form ------------------------------------------------------------

#[derive(Template)]
#[template(path = "secretary/employee_form.html")]
struct FormPage<'a> {
    ctx: &'a Ctx,
    nav: SecNav,
    /// None: a new employee.
    employee: Option<Employee>,
    form: FormState,
    deputies: Options,
    deputy_name: Option<String>,
    with_transfer: bool,
    vips: Vec<Vip>,
}

fn employee_values(e: &Employee) -> FormState {
    let mut f = FormState::default();
    for (k, v) in [
        ("name", e.name.as_str()),
        ("email", &e.email),
        ("position", &e.position),
        ("responsibility", &e.responsibility),
        ("mobile", e.mobile.as_deref().unwrap_or("")),
        ("extension", &e.extension),
    ] {
        f.set(k, v);
    }
    f.set("cc", &e.cc.join("\n"));
    f.set("deputy_id", &e.deputy_id.map(|d| d.to_string()).unwrap_or_default());
    for (k, on) in [
        ("sms_enabled", e.sms_enabled),
        ("wants_transfer", e.wants_transfer),
        ("vip_transfer", e.vip_transfer),
        ("vip_sms", e.vip_sms),
    ] {
        if on {
            f.set(k, "true");
        }
    }
    f
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    account: AccountId,
    id: Option<i64>,
    form: Option<FormState>,
) -> PageResult<Response> {
    let nav = nav(state, user, account, "employees").await?;
    if let (Some(own), Some(id)) = (nav.own, id) {
        if own == id {
            return Ok(Redirect::to(&format!("/portal/{account}/employees/{id}/schedule")).into_response());
        }
    }
    let employee = match id {
        Some(id) => Some(state.secretary.employee(user, account, id).await?),
        None => None,
    };
    if employee.is_none() && !nav.manage {
        return Err(DomainError::Forbidden.into());
    }
    let all = state.secretary.all_employees(user, account).await?;
    let deputy_name = employee
        .as_ref()
        .and_then(|e| e.deputy_id)
        .and_then(|d| all.iter().find(|o| o.id == d))
        .map(|d| d.name.clone());
    let mut deputies: Options = vec![(String::new(), ctx.t("secretary.employee.no_deputy"))];
    deputies.extend(
        all.iter()
            .filter(|o| Some(o.id) != id)
            .map(|o| (o.id.to_string(), o.name.clone())),
    );
    let vips = match id {
        Some(id) => state.secretary.vips(user, account, Some(id)).await?,
        None => Vec::new(),
    };
    let with_transfer = state.secretary.settings(user, account).await?.with_transfer;
    let form = form.unwrap_or_else(|| employee.as_ref().map(employee_values).unwrap_or_default());
    Ok(render(&FormPage {
        ctx,
        nav,
        employee,
        form,
        deputies,
        deputy_name,
        with_transfer,
        vips,
    }))
}

pub async fn new_page(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath(account): PagePath<i64>,
) -> PageResult<Response> {
    form_page(&state, &ctx, &user, AccountId(account), None, None).await
}

pub async fn edit_page(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath((account, id)): PagePath<(i64, i64)>,
) -> PageResult<Response> {
    form_page(&state, &ctx, &user, AccountId(account), Some(id), None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EmployeeForm {
    name: String,
    email: String,
    cc: String,
    position: String,
    responsibility: String,
    sms_enabled: Option<String>,
    mobile: String,
    deputy_id: String,
    extension: String,
    wants_transfer: Option<String>,
    vip_transfer: Option<String>,
    vip_sms: Option<String>,
}

impl EmployeeForm {
    fn input(&self) -> EmployeeInput {
        EmployeeInput {
            name: self.name.clone(),
            email: self.email.clone(),
            // One per line or separated by commas/semicolons.
            cc: self
                .cc
                .split(['\n', ',', ';'])
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(String::from)
                .collect(),
            position: self.position.clone(),
            responsibility: self.responsibility.clone(),
            sms_enabled: ticked(&self.sms_enabled),
            mobile: self.mobile.clone(),
            // An id that is no number names nobody: the service says so.
            deputy_id: match self.deputy_id.trim() {
                "" => None,
                d => Some(d.parse().unwrap_or(-1)),
            },
            extension: self.extension.clone(),
            wants_transfer: ticked(&self.wants_transfer),
            vip_transfer: ticked(&self.vip_transfer),
            vip_sms: ticked(&self.vip_sms),
            absence_info: None,
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn after_save(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    account: AccountId,
    id: Option<i64>,
    jar: CookieJar,
    form: CsrfForm<EmployeeForm>,
    result: Result<Employee, DomainError>,
) -> PageResult<Response> {
    match result {
        Ok(e) => {
            let key = if id.is_some() {
                "employee_saved"
            } else {
                "employee_created"
            };
            done_with(jar, key, &e.name, &format!("/portal/{account}/employees/{}", e.id))
        }
        Err(e) if shown_in_form(&e) => {
            let fs = FormState::failed(form.raw, &e, ctx.lang);
            let page = form_page(state, ctx, user, account, id, Some(fs)).await?;
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
    form: CsrfForm<EmployeeForm>,
) -> PageResult<Response> {
    let account = AccountId(account);
    let result = state
        .secretary
        .create_employee(&user, account, &form.data.input())
        .await;
    after_save(&state, &ctx, &user, account, None, jar, form, result).await
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath((account, id)): PagePath<(i64, i64)>,
    jar: CookieJar,
    form: CsrfForm<EmployeeForm>,
) -> PageResult<Response> {
    let account = AccountId(account);
    let result = state
        .secretary
        .update_employee(&user, account, id, &form.data.input())
        .await;
    after_save(&state, &ctx, &user, account, Some(id), jar, form, result).await
}

// ----- delete and login ------------------------------------------------------

#[derive(Template)]
#[template(path = "secretary/employee_delete.html")]
struct DeletePage<'a> {
    ctx: &'a Ctx,
    nav: SecNav,
    employee: Employee,
    deputy_of: Vec<String>,
}

pub async fn delete_page(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath((account, id)): PagePath<(i64, i64)>,
) -> PageResult<Response> {
    let account = AccountId(account);
    let nav = nav(&state, &user, account, "employees").await?;
    let deputy_of = state.secretary.deputy_of(&user, account, id).await?;
    let employee = state.secretary.employee(&user, account, id).await?;
    Ok(render(&DeletePage {
        ctx: &ctx,
        nav,
        employee,
        deputy_of,
    }))
}

pub async fn delete(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    PagePath((account, id)): PagePath<(i64, i64)>,
    jar: CookieJar,
    _form: CsrfForm<NoFields>,
) -> PageResult<Response> {
    let account = AccountId(account);
    let name = state.secretary.employee(&user, account, id).await?.name;
    let cleared = state.secretary.delete_employee(&user, account, id).await?;
    let to = format!("/portal/{account}/employees");
    if cleared.is_empty() {
        done_with(jar, "employee_deleted", &name, &to)
    } else {
        let arg = format!("{name}|{}", cleared.join(", "));
        done_with(jar, "employee_deleted_deputies", &arg, &to)
    }
}

pub async fn create_login(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath((account, id)): PagePath<(i64, i64)>,
    jar: CookieJar,
    _form: CsrfForm<NoFields>,
) -> PageResult<Response> {
    let account = AccountId(account);
    let to = format!("/portal/{account}/employees/{id}");
    match state.secretary.create_login(&user, account, id, None).await {
        Ok(u) => done_with(jar, "employee_login_created", &u.email, &to),
        Err(e) if shown_in_form(&e) => Ok((
            jar.add(Flash::cookie_with("error", "secretary_failed", &error_text(&ctx, &e))),
            Redirect::to(&to),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}
