//! The operator's pages: customer accounts and the outbox.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum_extra::extract::cookie::CookieJar;
use domain::accounts::{Account, AccountInput};
use domain::outbox::{MessageStatus, SmsUsage};
use kernel::{AccountId, DomainError};
use serde::Deserialize;

use super::{euro, format_time, render, MessageRow};
use crate::context::{urlencode, Ctx};
use crate::error::PageResult;
use crate::extract::{PageOperator, PagePath, PageQuery};
use crate::forms::{CsrfForm, FormState};
use crate::state::AppState;

const PAGE_SIZE: i64 = 25;

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "operator/accounts.html")]
struct AccountsPage<'a> {
    ctx: &'a Ctx,
    q: String,
    q_enc: String,
    items: Vec<Account>,
    total: i64,
    from: i64,
    to: i64,
    prev: Option<i64>,
    next: Option<i64>,
}

pub async fn accounts(
    State(state): State<AppState>,
    ctx: Ctx,
    _op: PageOperator,
    PageQuery(q): PageQuery<ListQuery>,
) -> PageResult<Response> {
    let page = q.page.unwrap_or(1).max(1);
    let result = state.accounts.list(&q.q, PAGE_SIZE, (page - 1) * PAGE_SIZE).await?;
    let shown = result.items.len() as i64;
    let from = if shown == 0 { 0 } else { (page - 1) * PAGE_SIZE + 1 };
    Ok(render(&AccountsPage {
        ctx: &ctx,
        q_enc: urlencode(&q.q),
        q: q.q,
        total: result.total,
        from,
        to: from + shown - 1,
        prev: (page > 1).then_some(page - 1),
        next: (page * PAGE_SIZE < result.total).then_some(page + 1),
        items: result.items,
    }))
}

#[derive(Template)]
#[template(path = "operator/account_form.html")]
struct AccountFormPage<'a> {
    ctx: &'a Ctx,
    form: FormState,
    title: String,
    action: String,
    submit: String,
    cancel: String,
}

/// The account form, for a new account (`id` none) or an existing one.
fn account_form(ctx: &Ctx, id: Option<AccountId>, form: FormState) -> Response {
    let (title, action, submit, cancel) = match id {
        None => (
            ctx.t("accounts.new"),
            "/operator/accounts".to_string(),
            ctx.t("accounts.create"),
            "/operator/accounts".to_string(),
        ),
        Some(id) => (
            ctx.t("accounts.edit_title"),
            format!("/operator/accounts/{id}"),
            ctx.t("accounts.save"),
            format!("/operator/accounts/{id}"),
        ),
    };
    render(&AccountFormPage {
        ctx,
        form,
        title,
        action,
        submit,
        cancel,
    })
}

pub async fn new_account(ctx: Ctx, _op: PageOperator) -> Response {
    let mut form = FormState::default();
    form.set("country", "DE");
    account_form(&ctx, None, form)
}

pub async fn edit_account(
    State(state): State<AppState>,
    ctx: Ctx,
    _op: PageOperator,
    PagePath(id): PagePath<i64>,
) -> PageResult<Response> {
    let a = state.accounts.get(AccountId(id)).await?;
    let mut form = FormState::default();
    for (k, v) in [
        ("customer_number", a.customer_number.as_str()),
        ("postal_code", &a.postal_code),
        ("name", &a.name),
        ("street", &a.street),
        ("city", &a.city),
        ("country", &a.country),
        ("tariff", &a.tariff),
        ("contact_email", a.contact_email.as_deref().unwrap_or("")),
    ] {
        form.set(k, v);
    }
    Ok(account_form(&ctx, Some(a.id), form))
}

#[derive(Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    customer_number: String,
    #[serde(default)]
    postal_code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    street: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    tariff: String,
    #[serde(default)]
    contact_email: String,
}

impl From<AccountForm> for AccountInput {
    fn from(f: AccountForm) -> Self {
        AccountInput {
            customer_number: f.customer_number,
            postal_code: f.postal_code,
            name: f.name,
            street: f.street,
            city: f.city,
            country: Some(f.country).filter(|c| !c.trim().is_empty()),
            tariff: f.tariff,
            contact_email: Some(f.contact_email),
        }
    }
}

/// Saves the form (create or update) or shows it again with the problems.
async fn save_account(
    state: &AppState,
    ctx: &Ctx,
    jar: CookieJar,
    id: Option<AccountId>,
    form: CsrfForm<AccountForm>,
) -> PageResult<Response> {
    let input: AccountInput = form.data.into();
    let result = match id {
        None => state.accounts.create(&input).await,
        Some(id) => state.accounts.update(id, &input).await,
    };
    match result {
        Ok(account) => {
            let flash = if id.is_some() {
                "account_saved"
            } else {
                "account_created"
            };
            super::done(jar, flash, &format!("/operator/accounts/{}", account.id))
        }
        Err(e @ (DomainError::Validation(_) | DomainError::Conflict(_))) => {
            let fs = FormState::failed(form.raw, &e, ctx.lang);
            let mut r = account_form(ctx, id, fs);
            *r.status_mut() = crate::error::WebError::Domain(e).status();
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn create_account(
    State(state): State<AppState>,
    ctx: Ctx,
    _op: PageOperator,
    jar: CookieJar,
    form: CsrfForm<AccountForm>,
) -> PageResult<Response> {
    save_account(&state, &ctx, jar, None, form).await
}

pub async fn update_account(
    State(state): State<AppState>,
    ctx: Ctx,
    _op: PageOperator,
    PagePath(id): PagePath<i64>,
    jar: CookieJar,
    form: CsrfForm<AccountForm>,
) -> PageResult<Response> {
    save_account(&state, &ctx, jar, Some(AccountId(id)), form).await
}

#[derive(Template)]
#[template(path = "operator/account.html")]
struct AccountPage<'a> {
    ctx: &'a Ctx,
    account: Account,
    created: String,
    /// Months with their bar height in percent of the busiest month.
    usage: Vec<(SmsUsage, i64)>,
    numbers: Vec<domain::calls::ServiceNumber>,
    /// The session planner is booked for the account.
    planner: bool,
    form: FormState,
}

impl AccountPage<'_> {
    fn euro(&self, cents: &i64) -> String {
        euro(cents, self.ctx.lang)
    }
}

pub async fn account(
    State(state): State<AppState>,
    ctx: Ctx,
    op: PageOperator,
    PagePath(id): PagePath<i64>,
) -> PageResult<Response> {
    account_page(&state, &ctx, &op.0, AccountId(id), FormState::default()).await
}

/// The account page, with the service-number form in `form`.
pub async fn account_page(
    state: &AppState,
    ctx: &Ctx,
    op: &domain::identity::User,
    id: AccountId,
    form: FormState,
) -> PageResult<Response> {
    let account = state.accounts.get(id).await?;
    let numbers = state.calls.service_numbers(op, id).await?;
    let usage = state.outbox.sms_usage(account.id).await?;
    let max = usage.iter().map(|u| u.count).max().unwrap_or(1).max(1);
    // Oldest month first reads naturally in a chart.
    let usage = usage.into_iter().rev().map(|u| {
        let pct = u.count * 100 / max;
        (u, pct)
    });
    Ok(render(&AccountPage {
        ctx,
        created: format_time(account.created_at, ctx.lang),
        account,
        usage: usage.collect(),
        numbers,
        planner: state.planner.licensed(op, id).await?,
        form,
    }))
}

#[derive(Deserialize)]
pub struct StatusForm {
    status: String,
}

/// Disables or re-enables a customer account.
pub async fn set_account_status(
    State(state): State<AppState>,
    _op: PageOperator,
    PagePath(id): PagePath<i64>,
    jar: CookieJar,
    form: CsrfForm<StatusForm>,
) -> PageResult<Response> {
    let account = state.accounts.set_status(AccountId(id), &form.data.status).await?;
    let flash = if account.status == "active" {
        "account_enabled"
    } else {
        "account_disabled"
    };
    super::done(jar, flash, &format!("/operator/accounts/{id}"))
}

#[derive(Template)]
#[template(path = "operator/outbox.html")]
struct OutboxPage<'a> {
    ctx: &'a Ctx,
    form: FormState,
    messages: Vec<MessageRow>,
    status: String,
    filters: [(&'static str, &'static str); 4],
}

#[derive(Deserialize)]
pub struct OutboxQuery {
    #[serde(default)]
    status: String,
}

async fn outbox_page(state: &AppState, ctx: &Ctx, status: &str, form: FormState) -> PageResult<Response> {
    let wanted = match status {
        "pending" => Some(vec![MessageStatus::Pending, MessageStatus::Sending]),
        "sent" => Some(vec![MessageStatus::Sent]),
        "failed" => Some(vec![MessageStatus::Failed]),
        _ => None,
    };
    let messages = state
        .outbox
        .list(None, 200)
        .await?
        .iter()
        .filter(|m| wanted.as_ref().is_none_or(|w| w.contains(&m.status)))
        .map(|m| MessageRow::new(m, ctx.lang, ctx.dev_mode))
        .collect();
    Ok(render(&OutboxPage {
        ctx,
        form,
        messages,
        status: if wanted.is_some() {
            status.to_string()
        } else {
            String::new()
        },
        filters: [
            ("", "outbox.filter_all"),
            ("pending", "outbox.status_pending"),
            ("sent", "outbox.status_sent"),
            ("failed", "outbox.status_failed"),
        ],
    }))
}

pub async fn outbox(
    State(state): State<AppState>,
    ctx: Ctx,
    PageOperator(user): PageOperator,
    PageQuery(q): PageQuery<OutboxQuery>,
) -> PageResult<Response> {
    let mut form = FormState::default();
    form.set("to", &user.email);
    outbox_page(&state, &ctx, &q.status, form).await
}

#[derive(Deserialize)]
pub struct TestMailForm {
    #[serde(default)]
    to: String,
}

pub async fn send_test_email(
    State(state): State<AppState>,
    ctx: Ctx,
    _op: PageOperator,
    jar: CookieJar,
    form: CsrfForm<TestMailForm>,
) -> PageResult<Response> {
    match state.outbox.send_test_email(&form.data.to, ctx.lang).await {
        Ok(()) => super::done(jar, "test_mail_queued", "/operator/outbox"),
        Err(e @ DomainError::Validation(_)) => {
            let fs = FormState::failed(form.raw, &e, ctx.lang);
            let mut r = outbox_page(&state, &ctx, "", fs).await?;
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct LicenceForm {
    #[serde(default)]
    licensed: String,
}

/// Books or cancels the session planner for a customer account.
pub async fn set_planner_licence(
    State(state): State<AppState>,
    op: PageOperator,
    PagePath(id): PagePath<i64>,
    jar: CookieJar,
    form: CsrfForm<LicenceForm>,
) -> PageResult<Response> {
    let licensed = form.data.licensed == "true";
    state.planner.set_licence(&op.0, AccountId(id), licensed).await?;
    let flash = if licensed {
        "planner_licensed"
    } else {
        "planner_unlicensed"
    };
    super::done(jar, flash, &format!("/operator/accounts/{id}"))
}
