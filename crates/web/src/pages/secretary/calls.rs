//! The customer's view of answered calls: the dashboard with the newest
//! calls (live), statistics for a period with charts and CSV export, and
//! one call with all its notes.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use domain::calls::stats::{PeriodInput, Stats};
use domain::calls::{Call, Note};
use domain::outbox::SmsUsage;
use kernel::{AccountId, Lang, Timestamp};
use serde::Deserialize;

use super::{nav, Paging, SecNav, PAGE_SIZE};
use crate::context::Ctx;
use crate::error::PageResult;
use crate::extract::{PagePath, PageQuery, PageUser};
use crate::forms::FormState;
use crate::pages::portal::shown_in_form;
use crate::pages::{euro, format_time_in, render};
use crate::state::AppState;

/// A call as the lists show it.
pub struct CallRow {
    pub call: Call,
    pub when: String,
}

fn local(t: Timestamp, tz: &str, lang: Lang) -> String {
    format_time_in(t, domain::secretary::schedule::zone(tz), lang)
}

fn rows(calls: Vec<Call>, tz: &str, lang: Lang) -> Vec<CallRow> {
    calls
        .into_iter()
        .map(|call| CallRow {
            when: local(call.received_at, tz, lang),
            call,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "secretary/calls.html")]
struct DashboardPage<'a> {
    ctx: &'a Ctx,
    nav: SecNav,
    tz: String,
    latest: Vec<CallRow>,
    today: i64,
    week: i64,
    sms: Option<SmsUsage>,
    onboarding: Option<domain::calls::Onboarding>,
}

/// How many calls the dashboard lists.
const LATEST: i64 = 20;

pub async fn dashboard(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath(account): PagePath<i64>,
) -> PageResult<Response> {
    let account = AccountId(account);
    let nav = nav(&state, &user, account, "calls").await?;
    let tz = state.accounts.get(account).await?.time_zone;
    let latest = state.calls.latest(&user, account, LATEST).await?;
    let preset = |p: &str| PeriodInput {
        preset: Some(p.to_string()),
        ..Default::default()
    };
    let today = state.calls.stats(&user, account, &preset("today")).await?.total;
    let week = state.calls.stats(&user, account, &preset("week")).await?.total;
    // SMS are billed per calendar month in German time (see SmsUsage).
    let this_month = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .format("%Y-%m")
        .to_string();
    let sms = state
        .outbox
        .sms_usage(account)
        .await?
        .into_iter()
        .find(|u| u.month == this_month);
    let onboarding = Some(state.calls.onboarding(&user, account).await?);
    Ok(render(&DashboardPage {
        ctx: &ctx,
        onboarding,
        nav,
        latest: rows(latest, &tz, ctx.lang),
        tz,
        today,
        week,
        sms,
    }))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    preset: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<i64>,
}

/// One bar of a chart.
pub struct Bar {
    pub label: String,
    pub title: String,
    pub count: i64,
    /// Height or width in percent of the largest bar.
    pub pct: i64,
}

fn bars(items: impl Iterator<Item = (String, String, i64)>) -> Vec<Bar> {
    let items: Vec<_> = items.collect();
    let max = items.iter().map(|i| i.2).max().unwrap_or(0).max(1);
    items
        .into_iter()
        .map(|(label, title, count)| Bar {
            label,
            title,
            count,
            pct: count * 100 / max,
        })
        .collect()
}

/// Days as bars; periods longer than two months as months.
fn day_bars(stats: &Stats, lang: Lang) -> Vec<Bar> {
    if stats.per_day.len() <= 62 {
        return bars(stats.per_day.iter().map(|d| {
            let label = d
                .day
                .format(if lang == Lang::De { "%d.%m." } else { "%m-%d" })
                .to_string();
            (label.clone(), label, d.count)
        }));
    }
    let mut months: Vec<(String, i64)> = Vec::new();
    for d in &stats.per_day {
        let m = d.day.format("%Y-%m").to_string();
        match months.last_mut() {
            Some((last, n)) if *last == m => *n += d.count,
            _ => months.push((m, d.count)),
        }
    }
    bars(months.into_iter().map(|(m, n)| (m.clone(), m, n)))
}

#[derive(Template)]
#[template(path = "secretary/statistics.html")]
struct StatsPage<'a> {
    ctx: &'a Ctx,
    nav: SecNav,
    form: FormState,
    preset: String,
    stats: Option<Stats>,
    days: Vec<Bar>,
    people: Vec<Bar>,
    calls: Vec<CallRow>,
    paging: Paging,
    /// The query for links (export, pages), without the page.
    query: String,
    connected_pct: i64,
}

pub async fn statistics(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath(account): PagePath<i64>,
    PageQuery(q): PageQuery<StatsQuery>,
) -> PageResult<Response> {
    let account = AccountId(account);
    let nav = nav(&state, &user, account, "statistics").await?;
    let tz = state.accounts.get(account).await?.time_zone;
    let input = PeriodInput {
        preset: q.preset.clone().filter(|p| !p.is_empty()),
        from: q.from.clone().filter(|s| !s.is_empty()),
        to: q.to.clone().filter(|s| !s.is_empty()),
    };
    let preset = input.preset.clone().unwrap_or_else(|| {
        if input.from.is_some() {
            "custom".into()
        } else {
            "today".into()
        }
    });
    let mut form = FormState::default();
    let page = q.page.unwrap_or(1).clamp(1, 1_000_000);
    let (stats, calls, total) = match state.calls.stats(&user, account, &input).await {
        Ok(stats) => {
            let list = state
                .calls
                .calls(&user, account, &input, PAGE_SIZE, (page - 1) * PAGE_SIZE)
                .await?;
            form.set("from", &stats.period.from.to_string());
            form.set("to", &stats.period.to.to_string());
            (Some(stats), list.items, list.total)
        }
        Err(e) if shown_in_form(&e) => {
            form.set("from", input.from.as_deref().unwrap_or(""));
            form.set("to", input.to.as_deref().unwrap_or(""));
            form.add_error(&e, ctx.lang);
            (None, Vec::new(), 0)
        }
        Err(e) => return Err(e.into()),
    };
    let query = match &stats {
        Some(s) => format!("from={}&to={}", s.period.from, s.period.to),
        None => String::new(),
    };
    let days = stats.as_ref().map(|s| day_bars(s, ctx.lang)).unwrap_or_default();
    let people = stats
        .as_ref()
        .map(|s| {
            bars(s.per_employee.iter().map(|e| {
                let name = if e.name.is_empty() {
                    ctx.t("calls.stats.unknown_employee")
                } else {
                    e.name.clone()
                };
                (name.clone(), name, e.count)
            }))
        })
        .unwrap_or_default();
    let connected_pct = stats
        .as_ref()
        .map(|s| if s.total == 0 { 0 } else { s.connected * 100 / s.total })
        .unwrap_or(0);
    Ok(render(&StatsPage {
        ctx: &ctx,
        nav,
        form,
        preset,
        days,
        people,
        paging: Paging::new(page, calls.len(), total),
        calls: rows(calls, &tz, ctx.lang),
        stats,
        query,
        connected_pct,
    }))
}

#[derive(Template)]
#[template(path = "secretary/call.html")]
struct DetailPage<'a> {
    ctx: &'a Ctx,
    nav: SecNav,
    call: CallRow,
    notes: Vec<(Note, String)>,
}

pub async fn detail(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath((account, id)): PagePath<(i64, i64)>,
) -> PageResult<Response> {
    let account = AccountId(account);
    let nav = nav(&state, &user, account, "calls").await?;
    let tz = state.accounts.get(account).await?.time_zone;
    let (call, notes) = state.calls.detail(&user, account, id).await?;
    let notes = notes
        .into_iter()
        .rev()
        .map(|n| {
            let at = local(n.created_at, &tz, ctx.lang);
            (n, at)
        })
        .collect();
    Ok(render(&DetailPage {
        ctx: &ctx,
        nav,
        call: CallRow {
            when: local(call.received_at, &tz, ctx.lang),
            call,
        },
        notes,
    })
    .into_response())
}

impl DashboardPage<'_> {
    fn sms_amount(&self, u: &SmsUsage) -> String {
        euro(&u.amount_cents, self.ctx.lang)
    }
}
