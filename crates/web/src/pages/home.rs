use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use domain::accounts::Account;
use domain::identity::User;
use domain::secretary::Access;

use super::render;
use crate::context::Ctx;
use crate::error::PageResult;
use crate::extract::PageUser;
use crate::state::AppState;

pub async fn root(ctx: Ctx) -> Response {
    Redirect::to(if ctx.user.is_some() { "/app" } else { "/login" }).into_response()
}

pub struct OperatorStats {
    accounts: i64,
    pending: i64,
    sent: i64,
    failed: i64,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    ctx: &'a Ctx,
    user: &'a User,
    stats: Option<OperatorStats>,
    memberships: Vec<MembershipRow>,
}

pub struct MembershipRow {
    account: Account,
    role: &'static str,
    /// Where the secretary starts for this person (own schedule for a sub-account).
    secretary: String,
    /// A sub-account login: may only keep their own absences current.
    own: bool,
}

pub async fn home(State(state): State<AppState>, ctx: Ctx, PageUser(user): PageUser) -> PageResult<Response> {
    let stats = if user.is_operator() {
        let accounts = state.accounts.list("", 1, 0).await?.total;
        let c = state.outbox.status_counts().await?;
        Some(OperatorStats {
            accounts,
            pending: c.pending,
            sent: c.sent,
            failed: c.failed,
        })
    } else {
        None
    };
    // The memberships came with the session; only the account names are read.
    let mut memberships = Vec::new();
    for m in &ctx.memberships {
        let access = state.secretary.access(&user, m.account_id).await?;
        memberships.push(MembershipRow {
            account: state.accounts.get(m.account_id).await?,
            role: m.role.as_str(),
            secretary: super::secretary::start_url(m.account_id, access),
            own: matches!(access, Access::Own(_)),
        });
    }
    Ok(render(&HomePage {
        ctx: &ctx,
        user: &user,
        stats,
        memberships,
    }))
}
