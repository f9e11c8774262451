//! The operator's telephony settings: service numbers per customer (calls
//! to them belong to that customer) and API tokens for telephone systems.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use domain::calls::{ApiToken, ApiTokenInput, CreatedApiToken};
use kernel::AccountId;
use serde::Deserialize;

use super::operator::account_page;
use super::{done, done_with, format_time, render};
use crate::context::Ctx;
use crate::error::PageResult;
use crate::extract::{PageOperator, PagePath};
use crate::forms::{CsrfForm, FormState};
use crate::pages::portal::form_again;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct NumberForm {
    #[serde(default)]
    number: String,
}

pub async fn add_number(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    PageOperator(op): PageOperator,
    PagePath(id): PagePath<i64>,
    form: CsrfForm<NumberForm>,
) -> PageResult<Response> {
    match state
        .calls
        .add_service_number(&op, AccountId(id), &form.data.number)
        .await
    {
        Ok(n) => done_with(
            jar,
            "service_number_added",
            &n.number,
            &format!("/operator/accounts/{id}"),
        ),
        Err(e) => {
            form_again(e, form.raw, ctx.lang, |fs| {
                account_page(&state, &ctx, &op, AccountId(id), fs)
            })
            .await
        }
    }
}

pub async fn remove_number(
    State(state): State<AppState>,
    jar: CookieJar,
    PageOperator(op): PageOperator,
    PagePath(id): PagePath<i64>,
    form: CsrfForm<NumberForm>,
) -> PageResult<Response> {
    state
        .calls
        .remove_service_number(&op, AccountId(id), &form.data.number)
        .await?;
    done_with(
        jar,
        "service_number_removed",
        &form.data.number,
        &format!("/operator/accounts/{id}"),
    )
}

#[derive(Template)]
#[template(path = "operator/api_tokens.html")]
struct TokensPage<'a> {
    ctx: &'a Ctx,
    tokens: Vec<(ApiToken, String, String)>,
    created: Option<CreatedApiToken>,
    form: FormState,
    base_url: String,
}

async fn tokens_page(
    state: &AppState,
    ctx: &Ctx,
    op: &domain::identity::User,
    created: Option<CreatedApiToken>,
    form: FormState,
) -> PageResult<Response> {
    let tokens = state
        .calls
        .api_tokens(op)
        .await?
        .into_iter()
        .map(|t| {
            let made = format_time(t.created_at, ctx.lang);
            let used = t.last_used_at.map(|u| format_time(u, ctx.lang)).unwrap_or_default();
            (t, made, used)
        })
        .collect();
    Ok(render(&TokensPage {
        ctx,
        tokens,
        created,
        form,
        base_url: state.config.base_url.trim_end_matches('/').to_string(),
    }))
}

pub async fn tokens(State(state): State<AppState>, ctx: Ctx, PageOperator(op): PageOperator) -> PageResult<Response> {
    tokens_page(&state, &ctx, &op, None, FormState::default()).await
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
}

/// Creates a token and shows its secret once, on this response only.
pub async fn create_token(
    State(state): State<AppState>,
    ctx: Ctx,
    PageOperator(op): PageOperator,
    form: CsrfForm<TokenForm>,
) -> PageResult<Response> {
    let input = ApiTokenInput {
        name: form.data.name.clone(),
    };
    match state.calls.create_api_token(&op, &input).await {
        Ok(created) => {
            let mut page = tokens_page(&state, &ctx, &op, Some(created), FormState::default()).await?;
            // The secret must not be kept by caches or the back button.
            page.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                "no-store".parse().expect("static header"),
            );
            Ok(page.into_response())
        }
        Err(e) => form_again(e, form.raw, ctx.lang, |fs| tokens_page(&state, &ctx, &op, None, fs)).await,
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    jar: CookieJar,
    PageOperator(op): PageOperator,
    PagePath(id): PagePath<i64>,
    _form: CsrfForm<crate::forms::NoFields>,
) -> PageResult<Response> {
    state.calls.revoke_api_token(&op, id).await?;
    done(jar, "api_token_revoked", "/operator/api-tokens")
}
