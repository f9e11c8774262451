//! A customer account's people, for its admins: the user list with roles
//! and status, invitations, and (super admins) the registrations waiting
//! for approval.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum_extra::extract::cookie::CookieJar;
use domain::accounts::Account;
use domain::identity::{AccountRole, User, UserStatus};
use domain::portal::{InviteInput, RegistrationStatus};
use kernel::{AccountId, DomainError, Lang, UserId};
use serde::Deserialize;

use super::portal::{shown_in_form, with_status};
use super::{done, error_text, format_time, render};
use crate::context::Ctx;
use crate::error::PageResult;
use crate::extract::{PagePath, PageUser};
use crate::forms::{CsrfForm, FormState, NoFields};
use crate::state::AppState;

fn role_class(role: AccountRole) -> &'static str {
    match role {
        AccountRole::SuperAdmin => "info",
        AccountRole::Admin => "info",
        AccountRole::Member => "",
    }
}

pub struct UserRow {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub role_class: &'static str,
    pub status: &'static str,
    pub status_class: &'static str,
    pub last_login: Option<String>,
    pub is_me: bool,
    pub invited: bool,
    pub disabled: bool,
}

/// The tabs above both pages: users, and (super admins) registrations.
pub struct Tabs {
    pub account_id: AccountId,
    pub current: &'static str,
    pub super_admin: bool,
    pub pending: usize,
}

async fn tabs(
    state: &AppState,
    actor: &User,
    account: AccountId,
    role: AccountRole,
    current: &'static str,
) -> PageResult<Tabs> {
    let super_admin = role == AccountRole::SuperAdmin;
    let pending = if super_admin {
        state
            .portal
            .registrations(actor, account, Some(RegistrationStatus::PendingApproval))
            .await?
            .len()
    } else {
        0
    };
    Ok(Tabs {
        account_id: account,
        current,
        super_admin,
        pending,
    })
}

#[derive(Template)]
#[template(path = "portal/users.html")]
struct UsersPage<'a> {
    ctx: &'a Ctx,
    account: Account,
    tabs: Tabs,
    super_admin: bool,
    rows: Vec<UserRow>,
    form: FormState,
    notice: Option<String>,
    /// Roles the viewer may give in an invitation.
    invite_roles: Vec<(&'static str, String)>,
    /// Every role, for the per-user select.
    all_roles: Vec<(&'static str, String)>,
    languages: [(&'static str, &'static str); 2],
}

/// The user list; `form` and `notice` show an invitation or an action again
/// with what went wrong.
async fn users_page(
    state: &AppState,
    ctx: &Ctx,
    actor: &User,
    account_id: AccountId,
    form: Option<FormState>,
    notice: Option<String>,
) -> PageResult<Response> {
    let members = state.portal.users(actor, account_id).await?;
    let role = state
        .portal
        .role_in(actor, account_id)
        .await?
        .ok_or(DomainError::not_found("account"))?;
    let account = state.accounts.get(account_id).await?;
    let super_admin = role == AccountRole::SuperAdmin;
    let rows = members
        .into_iter()
        .map(|m| {
            let (status_class, status) = match m.user.status {
                UserStatus::Active => ("success", "active"),
                UserStatus::Invited => ("warning", "invited"),
                UserStatus::Disabled => ("danger", "disabled"),
            };
            UserRow {
                id: m.user.id,
                name: m.user.display_name(),
                email: m.user.email.clone(),
                role: m.role.as_str(),
                role_class: role_class(m.role),
                status,
                status_class,
                last_login: m.user.last_login_at.map(|t| format_time(t, ctx.lang)),
                is_me: m.user.id == actor.id,
                invited: m.user.status == UserStatus::Invited,
                disabled: m.user.status == UserStatus::Disabled,
            }
        })
        .collect();
    let role_option = |r: AccountRole| (r.as_str(), ctx.tk("roles.", r.as_str()));
    let all_roles: Vec<_> = [AccountRole::Member, AccountRole::Admin, AccountRole::SuperAdmin]
        .into_iter()
        .map(role_option)
        .collect();
    let invite_roles = if super_admin {
        all_roles.clone()
    } else {
        all_roles[..2].to_vec()
    };
    let form = form.unwrap_or_else(|| {
        let mut f = FormState::default();
        f.set("role", "member");
        f.set("language", actor.language.code());
        f
    });
    Ok(render(&UsersPage {
        ctx,
        tabs: tabs(state, actor, account_id, role, "users").await?,
        account,
        super_admin,
        rows,
        form,
        notice,
        invite_roles,
        all_roles,
        languages: [("de", "Deutsch"), ("en", "English")],
    }))
}

pub async fn users(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath(account): PagePath<i64>,
) -> PageResult<Response> {
    users_page(&state, &ctx, &user, AccountId(account), None, None).await
}

fn users_url(account: AccountId) -> String {
    format!("/portal/{account}/users")
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    language: String,
}

pub async fn invite(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath(account): PagePath<i64>,
    jar: CookieJar,
    form: CsrfForm<InviteForm>,
) -> PageResult<Response> {
    let account = AccountId(account);
    let f = &form.data;
    let result = match AccountRole::parse(&f.role) {
        Some(role) => {
            let input = InviteInput {
                email: f.email.clone(),
                first_name: f.first_name.clone(),
                last_name: f.last_name.clone(),
                role,
                language: Some(Lang::parse(&f.language).unwrap_or(user.language)),
            };
            state.portal.invite(&user, account, &input).await.map(|_| ())
        }
        None => Err(DomainError::validation("role", "role_invalid")),
    };
    match result {
        Ok(()) => done(jar, "invitation_sent", &users_url(account)),
        Err(e) if shown_in_form(&e) => {
            let fs = FormState::failed(form.raw, &e, ctx.lang);
            let page = users_page(&state, &ctx, &user, account, Some(fs), None).await?;
            Ok(with_status(page, &e))
        }
        Err(e) => Err(e.into()),
    }
}

/// The outcome of an action on one user: back to the list with a message,
/// or the list again with the problem above it.
async fn after_action(
    state: &AppState,
    ctx: &Ctx,
    actor: &User,
    account: AccountId,
    jar: CookieJar,
    result: Result<(), DomainError>,
    flash: &str,
) -> PageResult<Response> {
    match result {
        Ok(()) => done(jar, flash, &users_url(account)),
        Err(e) if shown_in_form(&e) => {
            let page = users_page(state, ctx, actor, account, None, Some(error_text(ctx, &e))).await?;
            Ok(with_status(page, &e))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

pub async fn change_role(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath((account, target)): PagePath<(i64, i64)>,
    jar: CookieJar,
    form: CsrfForm<RoleForm>,
) -> PageResult<Response> {
    let account = AccountId(account);
    let result = match AccountRole::parse(&form.data.role) {
        Some(role) => state.portal.change_role(&user, account, UserId(target), role).await,
        None => Err(DomainError::validation("role", "role_invalid")),
    };
    after_action(&state, &ctx, &user, account, jar, result, "role_changed").await
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    enabled: String,
}

pub async fn set_status(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath((account, target)): PagePath<(i64, i64)>,
    jar: CookieJar,
    form: CsrfForm<StatusForm>,
) -> PageResult<Response> {
    let account = AccountId(account);
    let enabled = form.data.enabled == "true";
    let result = state.portal.set_enabled(&user, account, UserId(target), enabled).await;
    let flash = if enabled { "user_enabled" } else { "user_disabled" };
    after_action(&state, &ctx, &user, account, jar, result, flash).await
}

pub async fn resend(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath((account, target)): PagePath<(i64, i64)>,
    jar: CookieJar,
    _form: CsrfForm<NoFields>,
) -> PageResult<Response> {
    let account = AccountId(account);
    let result = state.portal.resend_invitation(&user, account, UserId(target)).await;
    after_action(&state, &ctx, &user, account, jar, result, "invitation_resent").await
}

// ----- registrations ---------------------------------------------------------

pub struct RegistrationRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub confirmed: String,
    pub marketing: bool,
    pub status: &'static str,
    pub status_class: &'static str,
    pub decided: String,
    pub reason: Option<String>,
}

#[derive(Template)]
#[template(path = "portal/registrations.html")]
struct RegistrationsPage<'a> {
    ctx: &'a Ctx,
    account: Account,
    tabs: Tabs,
    pending: Vec<RegistrationRow>,
    decided: Vec<RegistrationRow>,
    notice: Option<String>,
}

async fn registrations_page(
    state: &AppState,
    ctx: &Ctx,
    actor: &User,
    account_id: AccountId,
    notice: Option<String>,
) -> PageResult<Response> {
    let all = state.portal.registrations(actor, account_id, None).await?;
    let account = state.accounts.get(account_id).await?;
    let time = |t: Option<kernel::Timestamp>| t.map(|t| format_time(t, ctx.lang)).unwrap_or_default();
    let (mut pending, mut decided) = (Vec::new(), Vec::new());
    for r in all {
        let row = RegistrationRow {
            id: r.id,
            name: format!("{} {}", r.first_name, r.last_name),
            email: r.email,
            confirmed: time(r.confirmed_at),
            marketing: r.marketing_consent,
            status: r.status.as_str(),
            status_class: match r.status {
                RegistrationStatus::Approved => "success",
                RegistrationStatus::Rejected => "danger",
                _ => "warning",
            },
            decided: time(r.decided_at),
            reason: r.reject_reason,
        };
        match r.status {
            RegistrationStatus::PendingApproval => pending.push(row),
            RegistrationStatus::Approved | RegistrationStatus::Rejected => decided.push(row),
            // Not confirmed yet: nothing to decide, and the address is unverified.
            RegistrationStatus::Unconfirmed => {}
        }
    }
    // Oldest request first: it has waited longest.
    pending.reverse();
    Ok(render(&RegistrationsPage {
        ctx,
        account,
        tabs: Tabs {
            account_id,
            current: "registrations",
            super_admin: true,
            pending: pending.len(),
        },
        pending,
        decided,
        notice,
    }))
}

pub async fn registrations(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath(account): PagePath<i64>,
) -> PageResult<Response> {
    registrations_page(&state, &ctx, &user, AccountId(account), None).await
}

async fn after_decision(
    state: &AppState,
    ctx: &Ctx,
    actor: &User,
    account: AccountId,
    jar: CookieJar,
    result: Result<(), DomainError>,
    flash: &str,
) -> PageResult<Response> {
    match result {
        Ok(()) => done(jar, flash, &format!("/portal/{account}/registrations")),
        Err(e) if shown_in_form(&e) => {
            let page = registrations_page(state, ctx, actor, account, Some(error_text(ctx, &e))).await?;
            Ok(with_status(page, &e))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn approve(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath((account, id)): PagePath<(i64, i64)>,
    jar: CookieJar,
    _form: CsrfForm<NoFields>,
) -> PageResult<Response> {
    let account = AccountId(account);
    let result = state.portal.approve(&user, account, id).await.map(|_| ());
    after_decision(&state, &ctx, &user, account, jar, result, "registration_approved").await
}

#[derive(Deserialize)]
pub struct RejectForm {
    #[serde(default)]
    reason: String,
}

pub async fn reject(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    PagePath((account, id)): PagePath<(i64, i64)>,
    jar: CookieJar,
    form: CsrfForm<RejectForm>,
) -> PageResult<Response> {
    let account = AccountId(account);
    let result = state
        .portal
        .reject(&user, account, id, &form.data.reason)
        .await
        .map(|_| ());
    after_decision(&state, &ctx, &user, account, jar, result, "registration_rejected").await
}
