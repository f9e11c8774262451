//! "Sekretariat / Unternehmen": greeting (with a live preview), handling
//! instructions, query fields, time zone and the tariff flag.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use domain::secretary::{render_greeting, Access, QueryField, Settings, SettingsInput, NO_TRANSFER_NOTICE};
use kernel::AccountId;

use super::{done, nav, start_url, SecNav};
use crate::context::Ctx;
use crate::error::PageResult;
use crate::extract::{PagePath, PageUser};
use crate::forms::{CsrfForm, FormState, NoFields};
use crate::pages::portal::{shown_in_form, with_status};
use crate::pages::{format_time, render};
use crate::state::AppState;

/// The name the preview fills in, as an agent would say it.
pub const SAMPLE_FIRST: &str = "Julia";
pub const SAMPLE_LAST: &str = "Schneider";

/// Time zones offered; the account's own is added when it is not among them.
const ZONES: [&str; 8] = [
    "Europe/Berlin",
    "Europe/Vienna",
    "Europe/Zurich",
    "Europe/London",
    "Europe/Paris",
    "Europe/Madrid",
    "Europe/Istanbul",
    "America/New_York",
];

/// Empty extra-field rows offered below the existing ones.
const EMPTY_ROWS: usize = 2;

pub struct QueryRow {
    pub index: usize,
    pub label: String,
    pub required: bool,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "secretary/settings.html")]
struct SettingsPage<'a> {
    ctx: &'a Ctx,
    nav: SecNav,
    settings: Settings,
    form: FormState,
    rows: Vec<QueryRow>,
    zones: Vec<(String, String)>,
    operator: bool,
    preview: String,
    fixed: Vec<String>,
    no_transfer_notice: &'static str,
    updated: Option<String>,
    sample_first: &'static str,
    sample_last: &'static str,
    onboarding: Option<domain::calls::Onboarding>,
    confirmed: Option<String>,
}

async fn settings_page(
    state: &AppState,
    ctx: &Ctx,
    user: &domain::identity::User,
    account: AccountId,
    form: Option<FormState>,
    rows: Option<Vec<QueryRow>>,
) -> PageResult<Response> {
    let access = state.secretary.access(user, account).await?;
    if let Access::Own(_) = access {
        return Ok(Redirect::to(&start_url(account, access)).into_response());
    }
    let nav = nav(state, user, account, "settings").await?;
    let settings = state.secretary.settings(user, account).await?;
    let form = form.unwrap_or_else(|| {
        let mut f = FormState::default();
        f.set("greeting", &settings.greeting);
        f.set("instructions", &settings.instructions);
        f.set("time_zone", &settings.time_zone);
        if settings.with_transfer {
            f.set("with_transfer", "true");
        }
        f
    });
    let rows = rows.unwrap_or_else(|| query_rows(&settings.query_fields, &[]));
    let mut zones: Vec<(String, String)> = ZONES.iter().map(|z| (z.to_string(), z.replace('_', " "))).collect();
    let tz = form.val("time_zone").to_string();
    if !tz.is_empty() && !ZONES.contains(&tz.as_str()) {
        zones.push((tz.clone(), tz.clone()));
    }
    let preview = render_greeting(form.val("greeting"), SAMPLE_FIRST, SAMPLE_LAST);
    let fixed = domain::secretary::FIXED_QUERY_FIELDS
        .iter()
        .map(|f| ctx.tk("secretary.settings.fixed_", f))
        .collect();
    let onboarding = state.calls.onboarding(user, account).await.ok();
    Ok(render(&SettingsPage {
        ctx,
        confirmed: settings.confirmed_at.map(|t| format_time(t, ctx.lang)),
        onboarding,
        updated: settings.updated_at.map(|t| format_time(t, ctx.lang)),
        operator: access == Access::Manage { operator: true },
        nav,
        settings,
        form,
        rows,
        zones,
        preview,
        fixed,
        no_transfer_notice: NO_TRANSFER_NOTICE,
        sample_first: SAMPLE_FIRST,
        sample_last: SAMPLE_LAST,
    }))
}

/// The rows of the extra query fields, plus empty ones to add more;
/// `errors` are (index, message).
fn query_rows(fields: &[QueryField], errors: &[(usize, String)]) -> Vec<QueryRow> {
    let mut rows: Vec<QueryRow> = fields
        .iter()
        .enumerate()
        .map(|(index, f)| QueryRow {
            index,
            label: f.label.clone(),
            required: f.required,
            error: errors.iter().find(|(i, _)| *i == index).map(|(_, m)| m.clone()),
        })
        .collect();
    for _ in 0..EMPTY_ROWS {
        rows.push(QueryRow {
            index: rows.len(),
            label: String::new(),
            required: false,
            error: None,
        });
    }
    rows
}

pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath(account): PagePath<i64>,
) -> PageResult<Response> {
    settings_page(&state, &ctx, &user, AccountId(account), None, None).await
}

/// The extra query fields of the form, in row order, empty labels left out.
fn submitted_fields(raw: &HashMap<String, String>) -> Vec<QueryField> {
    let mut indexed: Vec<(usize, QueryField)> = raw
        .iter()
        .filter_map(|(k, v)| {
            let i = k.strip_prefix("qf_label_")?.parse::<usize>().ok()?;
            let label = v.trim();
            (!label.is_empty()).then(|| {
                let required = raw.get(&format!("qf_required_{i}")).is_some_and(|r| r == "true");
                (
                    i,
                    QueryField {
                        label: label.to_string(),
                        required,
                    },
                )
            })
        })
        .collect();
    indexed.sort_by_key(|(i, _)| *i);
    indexed.into_iter().map(|(_, f)| f).collect()
}

pub async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath(account): PagePath<i64>,
    jar: CookieJar,
    form: CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    let account = AccountId(account);
    let raw = form.raw;
    let operator = state.secretary.access(&user, account).await? == Access::Manage { operator: true };
    let query_fields = submitted_fields(&raw);
    let input = SettingsInput {
        greeting: raw.get("greeting").cloned().unwrap_or_default(),
        instructions: raw.get("instructions").cloned().unwrap_or_default(),
        // Only the operator's form has the checkbox; others keep the tariff.
        with_transfer: operator.then(|| raw.get("with_transfer").is_some_and(|v| v == "true")),
        query_fields: query_fields.clone(),
        time_zone: raw.get("time_zone").cloned(),
    };
    match state.secretary.save_settings(&user, account, &input).await {
        Ok(_) => done(jar, "secretary_settings_saved", &format!("/portal/{account}/secretary")),
        Err(e) if shown_in_form(&e) => {
            let fs = FormState::failed(raw, &e, ctx.lang);
            let row_errors: Vec<(usize, String)> = e
                .field_errors()
                .iter()
                .filter_map(|fe| {
                    let i = fe
                        .field
                        .strip_prefix("query_fields[")?
                        .split(']')
                        .next()?
                        .parse()
                        .ok()?;
                    Some((i, crate::error::field_message(ctx.lang, fe)))
                })
                .collect();
            let rows = query_rows(&query_fields, &row_errors);
            let page = settings_page(&state, &ctx, &user, account, Some(fs), Some(rows)).await?;
            Ok(with_status(page, &e))
        }
        Err(e) => Err(e.into()),
    }
}

/// The last step of the onboarding checklist.
pub async fn confirm(
    State(state): State<AppState>,
    jar: CookieJar,
    PageUser(user): PageUser,
    PagePath(account): PagePath<i64>,
    _form: CsrfForm<NoFields>,
) -> PageResult<Response> {
    let account = AccountId(account);
    state.secretary.confirm(&user, account).await?;
    done(jar, "settings_confirmed", &format!("/portal/{account}/secretary"))
}
