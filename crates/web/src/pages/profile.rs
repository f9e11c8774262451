//! The signed-in person's own profile: name and language, password, the
//! consents they gave (marketing can be given and withdrawn), and the
//! customer accounts they belong to.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use domain::identity::{AccountRole, User};
use kernel::{AccountId, DomainError, Lang};
use serde::Deserialize;

use super::portal::{shown_in_form, ticked, with_status};
use super::{format_time, render};
use crate::context::{Ctx, Flash, LANG_COOKIE};
use crate::error::PageResult;
use crate::extract::PageUser;
use crate::forms::{CsrfForm, FormState};
use crate::state::AppState;

pub struct ConsentRow {
    pub kind: String,
    pub version: String,
    pub given: String,
    pub withdrawn: Option<String>,
}

pub struct MembershipRow {
    pub account_id: AccountId,
    pub name: String,
    pub customer_number: String,
    pub role: &'static str,
    pub can_manage: bool,
    pub super_admin: bool,
}

#[derive(Template)]
#[template(path = "portal/profile.html")]
struct ProfilePage<'a> {
    ctx: &'a Ctx,
    user: &'a User,
    profile_form: FormState,
    password_form: FormState,
    languages: [(&'static str, &'static str); 2],
    consents: Vec<ConsentRow>,
    marketing_active: bool,
    memberships: Vec<MembershipRow>,
    networking: FormState,
}

/// The profile page; the forms are given to show one again with errors.
async fn profile_page(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    profile_form: Option<FormState>,
    password_form: FormState,
    networking: Option<FormState>,
) -> PageResult<Response> {
    let networking = match networking {
        Some(f) => f,
        None => {
            let s = state.cards.network().settings(user).await?;
            let mut f = FormState::default();
            for (name, on) in [
                ("networking", s.networking),
                ("findable", s.findable),
                ("show_as_contact", s.show_as_contact),
                ("standby", s.standby),
            ] {
                f.set(name, if on { "true" } else { "" });
            }
            f.set("position", &s.position);
            f
        }
    };
    let profile_form = profile_form.unwrap_or_else(|| {
        let mut f = FormState::default();
        f.set("first_name", &user.first_name);
        f.set("last_name", &user.last_name);
        f.set("language", user.language.code());
        f
    });
    let consents = state.portal.consents(user).await?;
    let marketing_active = consents
        .iter()
        .any(|c| c.kind == "marketing" && c.withdrawn_at.is_none());
    let consents = consents
        .into_iter()
        .rev()
        .map(|c| ConsentRow {
            kind: ctx.tk("portal.consent.", &c.kind),
            version: c.version,
            given: format_time(c.given_at, ctx.lang),
            withdrawn: c.withdrawn_at.map(|t| format_time(t, ctx.lang)),
        })
        .collect();
    let mut memberships = Vec::new();
    for m in &ctx.memberships {
        let a = state.accounts.get(m.account_id).await?;
        memberships.push(MembershipRow {
            account_id: a.id,
            name: a.name,
            customer_number: a.customer_number,
            role: m.role.as_str(),
            can_manage: m.role <= AccountRole::Admin,
            super_admin: m.role == AccountRole::SuperAdmin,
        });
    }
    Ok(render(&ProfilePage {
        ctx,
        user,
        profile_form,
        password_form,
        languages: [("de", "Deutsch"), ("en", "English")],
        consents,
        marketing_active,
        memberships,
        networking,
    }))
}

pub async fn page(State(state): State<AppState>, ctx: Ctx, PageUser(user): PageUser) -> PageResult<Response> {
    profile_page(&state, &ctx, &user, None, FormState::default(), None).await
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    language: String,
}

pub async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    jar: CookieJar,
    form: CsrfForm<ProfileForm>,
) -> PageResult<Response> {
    let f = &form.data;
    let result = match Lang::parse(&f.language) {
        Some(lang) => state
            .portal
            .update_profile(&user, &f.first_name, &f.last_name, lang)
            .await
            .map(|u| u.language),
        None => Err(DomainError::validation("language", "language_invalid")),
    };
    match result {
        Ok(lang) => {
            // The new language also for after signing out.
            let jar = jar
                .add(ctx.cookie(LANG_COOKIE, lang.code().to_string(), Some(365 * 24 * 3600)))
                .add(Flash::cookie("success", "profile_saved"));
            Ok((jar, Redirect::to("/profile")).into_response())
        }
        Err(e) if shown_in_form(&e) => {
            let fs = FormState::failed(form.raw, &e, ctx.lang);
            let page = profile_page(&state, &ctx, &user, Some(fs), FormState::default(), None).await?;
            Ok(with_status(page, &e))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_repeat: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    jar: CookieJar,
    form: CsrfForm<PasswordForm>,
) -> PageResult<Response> {
    let f = &form.data;
    let result = if f.new_password != f.new_password_repeat {
        Err(DomainError::validation("new_password_repeat", "passwords_differ"))
    } else {
        state
            .portal
            .change_password(
                &user,
                &f.current_password,
                &f.new_password,
                ctx.session_token.as_deref(),
            )
            .await
    };
    match result {
        Ok(()) => super::done(jar, "password_changed", "/profile"),
        Err(e) if shown_in_form(&e) => {
            let mut fs = FormState::default();
            fs.add_error(&e, ctx.lang);
            let page = profile_page(&state, &ctx, &user, None, fs, None).await?;
            Ok(with_status(page, &e))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct MarketingForm {
    #[serde(default)]
    give: Option<String>,
}

pub async fn marketing(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    jar: CookieJar,
    form: CsrfForm<MarketingForm>,
) -> PageResult<Response> {
    let give = ticked(&form.data.give);
    state.portal.set_marketing(&user, give).await?;
    let flash = if give { "marketing_given" } else { "marketing_withdrawn" };
    Ok((jar.add(Flash::cookie("success", flash)), Redirect::to("/profile")).into_response())
}

#[derive(Deserialize)]
pub struct NetworkingForm {
    #[serde(default)]
    networking: Option<String>,
    #[serde(default)]
    findable: Option<String>,
    #[serde(default)]
    show_as_contact: Option<String>,
    #[serde(default)]
    standby: Option<String>,
    #[serde(default)]
    position: String,
}

/// The networking switches (company cards, person search, Info Counter).
pub async fn networking(
    State(state): State<AppState>,
    ctx: Ctx,
    PageUser(user): PageUser,
    jar: CookieJar,
    form: CsrfForm<NetworkingForm>,
) -> PageResult<Response> {
    let f = &form.data;
    let s = domain::cards::NetworkSettings {
        networking: ticked(&f.networking),
        findable: ticked(&f.findable),
        show_as_contact: ticked(&f.show_as_contact),
        standby: ticked(&f.standby),
        position: f.position.clone(),
    };
    match state.cards.network().save_settings(&user, &s).await {
        Ok(_) => super::done(jar, "networking_saved", "/profile#networking"),
        Err(e) if shown_in_form(&e) => {
            let fs = FormState::failed(form.raw, &e, ctx.lang);
            let page = profile_page(&state, &ctx, &user, None, FormState::default(), Some(fs)).await?;
            Ok(with_status(page, &e))
        }
        Err(e) => Err(e.into()),
    }
}
