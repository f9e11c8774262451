//! CSV export and import of employees: upload, a preview of what would
//! change (with every problem per line), then the all-or-nothing commit.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use domain::identity::User;
use domain::secretary::csv::ImportPlanView;
use kernel::{AccountId, DomainError};
use serde::Deserialize;

use super::{done_with, error_text, nav, SecNav};
use crate::context::Ctx;
use crate::error::PageResult;
use crate::extract::{PagePath, PageUser};
use crate::forms::{CsrfForm, Upload};
use crate::pages::portal::{shown_in_form, with_status};
use crate::pages::render;
use crate::state::AppState;

pub async fn export(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    PagePath(account): PagePath<i64>,
) -> PageResult<Response> {
    let bytes = state.secretary.export_csv(&user, AccountId(account)).await?;
    Ok(crate::csv_download("mitarbeiter.csv", bytes).into_response())
}

#[derive(Template)]
#[template(path = "secretary/import.html")]
struct ImportPage<'a> {
    ctx: &'a Ctx,
    nav: SecNav,
    notice: Option<String>,
    plan: Option<ImportPlanView>,
    file_name: String,
    max_mib: usize,
}

async fn import_page(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    account: AccountId,
    notice: Option<String>,
    plan: Option<ImportPlanView>,
    file_name: String,
) -> PageResult<Response> {
    let nav = nav(state, user, account, "employees").await?;
    if !nav.manage {
        return Err(DomainError::Forbidden.into());
    }
    Ok(render(&ImportPage {
        ctx,
        nav,
        notice,
        plan,
        file_name,
        max_mib: super::MAX_UPLOAD_BYTES / 1024 / 1024,
    }))
}

pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath(account): PagePath<i64>,
) -> PageResult<Response> {
    import_page(&state, &ctx, &user, AccountId(account), None, None, String::new()).await
}

/// The uploaded file (multipart, with the form's `_csrf` field checked).
pub async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath(account): PagePath<i64>,
    multipart: Multipart,
) -> PageResult<Response> {
    let account = AccountId(account);
    let Upload { bytes, file_name } = Upload::read(&ctx, multipart).await?;
    if bytes.is_empty() {
        let notice = ctx.t("secretary.import.no_file");
        let page = import_page(&state, &ctx, &user, account, Some(notice), None, String::new()).await?;
        return Ok(with_status(page, &DomainError::Validation(Vec::new())));
    }
    match state.secretary.import_preview(&user, account, &bytes, ctx.lang).await {
        Ok(plan) => import_page(&state, &ctx, &user, account, None, Some(plan), file_name).await,
        Err(e) if shown_in_form(&e) => {
            let page = import_page(
                &state,
                &ctx,
                &user,
                account,
                Some(error_text(&ctx, &e)),
                None,
                file_name,
            )
            .await?;
            Ok(with_status(page, &e))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct CommitForm {
    #[serde(default)]
    upload_id: String,
}

pub async fn commit(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath(account): PagePath<i64>,
    jar: CookieJar,
    form: CsrfForm<CommitForm>,
) -> PageResult<Response> {
    let account = AccountId(account);
    let upload = form.data.upload_id.trim().parse::<i64>().unwrap_or(-1);
    match state.secretary.import_commit(&user, account, upload, ctx.lang).await {
        Ok(v) => done_with(
            jar,
            "import_done",
            &format!("{}|{}", v.creates, v.updates),
            &format!("/portal/{account}/employees"),
        ),
        // Outdated, already used or unknown: upload the file again.
        Err(e) if shown_in_form(&e) || matches!(e, DomainError::NotFound { .. }) => {
            let notice = match &e {
                DomainError::NotFound { .. } => ctx.t("secretary.import.upload_gone"),
                _ => error_text(&ctx, &e),
            };
            let page = import_page(&state, &ctx, &user, account, Some(notice), None, String::new()).await?;
            Ok(with_status(page, &e))
        }
        Err(e) => Err(e.into()),
    }
}
