//! The change log: who changed what in the secretary data, and when.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use kernel::AccountId;
use serde::Deserialize;

use super::{nav, Paging, SecNav, PAGE_SIZE};
use crate::context::Ctx;
use crate::error::PageResult;
use crate::extract::{PagePath, PageQuery, PageUser};
use crate::pages::{format_time, render};
use crate::state::AppState;

pub struct AuditRow {
    pub when: String,
    pub who: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "secretary/audit.html")]
struct AuditPage<'a> {
    ctx: &'a Ctx,
    nav: SecNav,
    rows: Vec<AuditRow>,
    paging: Paging,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    page: Option<i64>,
}

pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath(account): PagePath<i64>,
    PageQuery(q): PageQuery<AuditQuery>,
) -> PageResult<Response> {
    let account = AccountId(account);
    let nav = nav(&state, &user, account, "audit").await?;
    let page = q.page.unwrap_or(1).clamp(1, 1_000_000);
    let log = state
        .secretary
        .audit_log(&user, account, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        .await?;
    let paging = Paging::new(page, log.items.len(), log.total);
    let rows = log
        .items
        .into_iter()
        .map(|a| AuditRow {
            when: format_time(a.at, ctx.lang),
            who: a.actor_name,
            action: ctx.tk("audit.", &a.action),
            subject: a.subject,
            detail: detail(&ctx, &a.action, a.detail),
        })
        .collect();
    Ok(render(&AuditPage {
        ctx: &ctx,
        nav,
        rows,
        paging,
    }))
}

/// Changed-field lists ("name, mobile") are shown with the fields' names.
fn detail(ctx: &Ctx, action: &str, detail: String) -> String {
    if !matches!(action, "employee.updated" | "settings.updated") || detail.is_empty() {
        return detail;
    }
    detail
        .split(", ")
        .map(|f| ctx.tk("secretary.fields.", f))
        .collect::<Vec<_>>()
        .join(", ")
}
