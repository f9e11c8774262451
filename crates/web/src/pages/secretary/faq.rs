//! FAQ: questions and answers agents may give callers, in the order the
//! admins choose (↑/↓ buttons without JavaScript, drag and drop with it).

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use domain::identity::User;
use domain::secretary::{Faq, FaqInput};
use kernel::{AccountId, DomainError};
use serde::Deserialize;

use super::{done, error_text, nav, SecNav};
use crate::context::{Ctx, Flash};
use crate::error::PageResult;
use crate::extract::{PagePath, PageUser};
use crate::forms::{CsrfForm, FormState, NoFields};
use crate::pages::portal::{shown_in_form, with_status};
use crate::pages::render;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "secretary/faq.html")]
struct FaqPage<'a> {
    ctx: &'a Ctx,
    nav: SecNav,
    faqs: Vec<Faq>,
    form: FormState,
    editing: Option<i64>,
}

async fn faq_page(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    account: AccountId,
    editing: Option<i64>,
    form: Option<FormState>,
) -> PageResult<Response> {
    let nav = nav(state, user, account, "faq").await?;
    let faqs = state.secretary.faqs(user, account).await?;
    let form = match (form, editing) {
        (Some(f), _) => f,
        (None, Some(id)) => {
            if !nav.manage {
                return Err(DomainError::Forbidden.into());
            }
            let f = faqs.iter().find(|f| f.id == id).ok_or(DomainError::not_found("faq"))?;
            let mut fs = FormState::default();
            fs.set("question", &f.question);
            fs.set("answer", &f.answer);
            fs
        }
        (None, None) => FormState::default(),
    };
    Ok(render(&FaqPage {
        ctx,
        nav,
        faqs,
        form,
        editing,
    }))
}

fn faq_url(account: AccountId) -> String {
    format!("/portal/{account}/faq")
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath(account): PagePath<i64>,
) -> PageResult<Response> {
    faq_page(&state, &ctx, &user, AccountId(account), None, None).await
}

pub async fn edit_page(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath((account, id)): PagePath<(i64, i64)>,
) -> PageResult<Response> {
    faq_page(&state, &ctx, &user, AccountId(account), Some(id), None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FaqForm {
    question: String,
    answer: String,
}

impl FaqForm {
    fn input(&self) -> FaqInput {
        FaqInput {
            question: self.question.clone(),
            answer: self.answer.clone(),
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
    result: Result<Faq, DomainError>,
) -> PageResult<Response> {
    match result {
        Ok(_) => done(
            jar,
            if editing.is_some() { "faq_saved" } else { "faq_created" },
            &faq_url(account),
        ),
        Err(e) if shown_in_form(&e) => {
            let fs = FormState::failed(raw, &e, ctx.lang);
            let page = faq_page(state, ctx, user, account, editing, Some(fs)).await?;
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
    form: CsrfForm<FaqForm>,
) -> PageResult<Response> {
    let account = AccountId(account);
    let result = state.secretary.create_faq(&user, account, &form.data.input()).await;
    after_save(&state, &ctx, &user, account, None, jar, form.raw, result).await
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath((account, id)): PagePath<(i64, i64)>,
    jar: CookieJar,
    form: CsrfForm<FaqForm>,
) -> PageResult<Response> {
    let account = AccountId(account);
    let result = state.secretary.update_faq(&user, account, id, &form.data.input()).await;
    after_save(&state, &ctx, &user, account, Some(id), jar, form.raw, result).await
}

/// Back to the list, with the problem as an error message when there is one.
fn back(
    ctx: &Ctx,
    jar: CookieJar,
    account: AccountId,
    result: Result<(), DomainError>,
    flash: &str,
) -> PageResult<Response> {
    match result {
        Ok(()) => done(jar, flash, &faq_url(account)),
        Err(e) if shown_in_form(&e) => Ok((
            jar.add(Flash::cookie_with("error", "secretary_failed", &error_text(ctx, &e))),
            Redirect::to(&faq_url(account)),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    dir: String,
}

pub async fn move_entry(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath((account, id)): PagePath<(i64, i64)>,
    jar: CookieJar,
    form: CsrfForm<MoveForm>,
) -> PageResult<Response> {
    let account = AccountId(account);
    let up = form.data.dir == "up";
    let result = state.secretary.move_faq(&user, account, id, up).await.map(|_| ());
    back(&ctx, jar, account, result, "faq_moved")
}

#[derive(Deserialize)]
pub struct OrderForm {
    /// The ids in the new order, comma-separated.
    #[serde(default)]
    ids: String,
}

/// The order after drag and drop (sent by app.js, which gets a bare 204;
/// works as a plain form too).
pub async fn reorder(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath(account): PagePath<i64>,
    headers: HeaderMap,
    jar: CookieJar,
    form: CsrfForm<OrderForm>,
) -> PageResult<Response> {
    let from_script = headers.get("x-requested-with").is_some_and(|v| v == "fetch");
    let account = AccountId(account);
    let ids: Result<Vec<i64>, _> = form
        .data
        .ids
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect();
    let result = match ids {
        Ok(ids) => state.secretary.reorder_faqs(&user, account, &ids).await.map(|_| ()),
        Err(_) => Err(DomainError::validation("ids", "faq_order_mismatch")),
    };
    if from_script {
        return match result {
            Ok(()) => Ok(StatusCode::NO_CONTENT.into_response()),
            Err(e) => Err(e.into()),
        };
    }
    back(&ctx, jar, account, result, "faq_moved")
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
    let result = state.secretary.delete_faq(&user, account, id).await;
    back(&ctx, jar, account, result, "faq_deleted")
}
