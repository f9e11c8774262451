//! Self-registration: step 1 (e-mail, customer number, postal code), step 2
//! (name and consents), the "check your inbox" page, and the confirmation
//! link, which only a button press uses (mail scanners fetch links).

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use domain::identity::tokens::{TokenKind, TokenState};
use domain::portal::{RegistrationInput, RegistrationStart};
use serde::Deserialize;

use super::portal::{
    error_on, link_error_code, link_problem, link_state_problem, shown_in_form, steps, ticked, with_status, LinkFlow,
    Step,
};
use super::render;
use crate::context::Ctx;
use crate::error::PageResult;
use crate::extract::PagePath;
use crate::forms::{CsrfForm, FormState, NoFields};
use crate::state::AppState;

const STEPS: [&str; 3] = [
    "portal.register.step_details",
    "portal.register.step_name",
    "portal.register.step_confirm",
];

/// The fields of step 1; an error on one of them sends the visitor back there.
const START_FIELDS: [&str; 3] = ["email", "customer_number", "postal_code"];

#[derive(Template)]
#[template(path = "portal/register_start.html")]
struct StartPage<'a> {
    ctx: &'a Ctx,
    steps: Vec<Step>,
    form: FormState,
}

fn start(ctx: &Ctx, form: FormState) -> Response {
    render(&StartPage {
        ctx,
        steps: steps(ctx, &STEPS, 1),
        form,
    })
}

#[derive(Template)]
#[template(path = "portal/register_details.html")]
struct DetailsPage<'a> {
    ctx: &'a Ctx,
    steps: Vec<Step>,
    form: FormState,
}

fn details(ctx: &Ctx, form: FormState) -> Response {
    render(&DetailsPage {
        ctx,
        steps: steps(ctx, &STEPS, 2),
        form,
    })
}

pub async fn start_page(ctx: Ctx) -> Response {
    start(&ctx, FormState::default())
}

#[derive(Deserialize)]
pub struct StartForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    customer_number: String,
    #[serde(default)]
    postal_code: String,
}

/// Step 1: the pair must name a customer account; then step 2 is shown
/// with step 1's values carried along in hidden fields.
pub async fn start_submit(State(state): State<AppState>, ctx: Ctx, form: CsrfForm<StartForm>) -> PageResult<Response> {
    let f = &form.data;
    let input = RegistrationStart {
        email: f.email.clone(),
        customer_number: f.customer_number.clone(),
        postal_code: f.postal_code.clone(),
    };
    match state.portal.check_start(&input, &ctx.ip).await {
        Ok(_) => Ok(details(&ctx, FormState::with_values(form.raw))),
        Err(e) if shown_in_form(&e) => {
            let fs = FormState::failed(form.raw, &e, ctx.lang);
            Ok(with_status(start(&ctx, fs), &e))
        }
        Err(e) => Err(e.into()),
    }
}

/// Step 2 has no page of its own: a reload or a bookmark starts over.
pub async fn details_get() -> Redirect {
    Redirect::to("/register")
}

#[derive(Deserialize)]
pub struct DetailsForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    customer_number: String,
    #[serde(default)]
    postal_code: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    privacy_accepted: Option<String>,
    #[serde(default)]
    marketing_accepted: Option<String>,
    #[serde(default)]
    back: Option<String>,
}

pub async fn details_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    form: CsrfForm<DetailsForm>,
) -> PageResult<Response> {
    let f = form.data;
    if f.back.is_some() {
        return Ok(start(&ctx, FormState::with_values(form.raw)));
    }
    let input = RegistrationInput {
        email: f.email,
        customer_number: f.customer_number,
        postal_code: f.postal_code,
        first_name: f.first_name,
        last_name: f.last_name,
        privacy_accepted: ticked(&f.privacy_accepted),
        marketing_accepted: ticked(&f.marketing_accepted),
        language: Some(ctx.lang),
    };
    match state.portal.register(&input, &ctx.ip, ctx.lang).await {
        Ok(()) => Ok(Redirect::to("/register/sent").into_response()),
        Err(e) if shown_in_form(&e) => {
            let fs = FormState::failed(form.raw, &e, ctx.lang);
            let page = if error_on(&e, &START_FIELDS) {
                start(&ctx, fs)
            } else {
                details(&ctx, fs)
            };
            Ok(with_status(page, &e))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "portal/register_sent.html")]
struct SentPage<'a> {
    ctx: &'a Ctx,
    steps: Vec<Step>,
}

/// "Please check your inbox" (the same whether or not the address was new).
pub async fn sent(ctx: Ctx) -> Response {
    render(&SentPage {
        ctx: &ctx,
        steps: steps(&ctx, &STEPS, 3),
    })
}

#[derive(Template)]
#[template(path = "portal/register_confirm.html")]
struct ConfirmPage<'a> {
    ctx: &'a Ctx,
    steps: Vec<Step>,
    action: String,
}

/// The link from the e-mail: only shows the button; a GET never confirms.
pub async fn confirm_page(
    State(state): State<AppState>,
    ctx: Ctx,
    PagePath(token): PagePath<String>,
) -> PageResult<Response> {
    match state
        .portal
        .link_state(&token, &[TokenKind::ConfirmRegistration])
        .await?
    {
        TokenState::Valid { .. } => Ok(render(&ConfirmPage {
            ctx: &ctx,
            steps: steps(&ctx, &STEPS, 3),
            action: format!("/register/confirm/{token}"),
        })),
        other => Ok(link_state_problem(&ctx, LinkFlow::Confirm, &other)),
    }
}

#[derive(Template)]
#[template(path = "portal/register_confirmed.html")]
struct ConfirmedPage<'a> {
    ctx: &'a Ctx,
    steps: Vec<Step>,
}

pub async fn confirm_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    PagePath(token): PagePath<String>,
    _form: CsrfForm<NoFields>,
) -> PageResult<Response> {
    match state.portal.confirm(&token).await {
        Ok(_) => Ok(render(&ConfirmedPage {
            ctx: &ctx,
            steps: steps(&ctx, &STEPS, 4),
        })),
        Err(e) => match link_error_code(&e) {
            Some(code) => Ok(link_problem(&ctx, LinkFlow::Confirm, code)),
            None => Err(e.into()),
        },
    }
}
