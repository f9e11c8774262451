//! Server-rendered pages. Each handler gathers data through the domain
//! services and renders an askama template with the request context.

mod account_users;
mod agent;
mod auth;
mod cards;
mod conference;
mod dev;
mod home;
mod meetings;
mod network;
mod operator;
mod planner;
mod portal;
mod profile;
mod register;
mod secretary;
mod telephony;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use domain::outbox::OutboxMessage;
use kernel::{Lang, Timestamp};

use axum::response::Redirect;
use axum_extra::extract::cookie::CookieJar;
use kernel::DomainError;

use crate::context::{Ctx, Flash};
use crate::error::{field_message, PageResult, WebError};
use crate::state::AppState;

/// Back to `to` with a success message.
/// Keeps a secret in the page's URL (grant, invitation code, personal
/// link) out of Referer headers.
pub fn no_referrer(mut page: Response) -> Response {
    page.headers_mut().insert(
        axum::http::header::REFERRER_POLICY,
        axum::http::HeaderValue::from_static("no-referrer"),
    );
    page
}

pub fn done(jar: CookieJar, flash: &str, to: &str) -> PageResult<Response> {
    Ok((jar.add(Flash::cookie("success", flash)), Redirect::to(to)).into_response())
}

/// Back to `to` with a success message naming something (`%{arg}`).
pub fn done_with(jar: CookieJar, flash: &str, arg: &str, to: &str) -> PageResult<Response> {
    Ok((jar.add(Flash::cookie_with("success", flash, arg)), Redirect::to(to)).into_response())
}

/// The text of an error shown above a list or form (not tied to a field).
pub fn error_text(ctx: &Ctx, e: &DomainError) -> String {
    match e.field_errors().first() {
        Some(fe) => field_message(ctx.lang, fe),
        None => WebError::Domain(portal::clone_for_status(e)).message(ctx.lang),
    }
}

/// Logo uploads: the 2 MB image plus the form around it.
const LOGO_BODY_BYTES: usize = domain::cards::MAX_UPLOAD_BYTES + 64 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::root))
        .route("/app", get(home::home))
        .route("/login", get(auth::login_page).post(auth::login_submit))
        .route("/logout", post(auth::logout))
        .route("/language", post(auth::set_language))
        .route(
            "/operator/accounts",
            get(operator::accounts).post(operator::create_account),
        )
        .route("/operator/accounts/new", get(operator::new_account))
        .route(
            "/operator/accounts/{id}",
            get(operator::account).post(operator::update_account),
        )
        .route("/operator/accounts/{id}/edit", get(operator::edit_account))
        .route("/operator/accounts/{id}/status", post(operator::set_account_status))
        .route(
            "/operator/accounts/{id}/planner-licence",
            post(operator::set_planner_licence),
        )
        .route("/operator/outbox", get(operator::outbox))
        .route("/operator/accounts/{id}/service-numbers", post(telephony::add_number))
        .route(
            "/operator/accounts/{id}/service-numbers/remove",
            post(telephony::remove_number),
        )
        .route(
            "/operator/api-tokens",
            get(telephony::tokens).post(telephony::create_token),
        )
        .route("/operator/api-tokens/{id}/revoke", post(telephony::revoke_token))
        .route("/agent", get(agent::console))
        .route("/agent/calls", post(agent::open))
        .route("/agent/calls/{id}", get(agent::call))
        .route("/agent/calls/{id}/claim", post(agent::claim))
        .route("/agent/calls/{id}/release", post(agent::release))
        .route("/agent/calls/{id}/note", post(agent::send_note))
        .route("/agent/calls/{id}/correction", post(agent::correct))
        .route("/operator/outbox/test-email", post(operator::send_test_email))
        .route("/meetings", get(meetings::list).post(meetings::create))
        .route("/meetings/{id}", get(meetings::host))
        .route("/meetings/{id}/end", post(meetings::end))
        .route("/m/{id}", get(meetings::invited))
        .route("/conference", get(conference::center))
        .route(
            "/conference/setup",
            get(conference::setup).post(conference::setup_submit),
        )
        .route("/conference/pins", post(conference::change_pins))
        .route("/conference/settings", post(conference::settings))
        .route("/conference/room", get(conference::owner_room))
        .route("/conference/live/{id}", get(conference::live))
        .route("/join", get(conference::join_page).post(conference::join_submit))
        .route("/planner", get(planner::list).post(planner::create))
        .route("/planner/new", get(planner::new_entry))
        .route("/planner/spontaneous", post(planner::spontaneous))
        .route("/planner/{id}", get(planner::entry).post(planner::update))
        .route("/planner/{id}/invite", post(planner::invite))
        .route("/planner/{id}/delete", post(planner::delete))
        .route("/planner/{id}/calendar.ics", get(planner::calendar))
        .route("/planner/{id}/room", get(planner::host_room))
        .route("/session", get(planner::join).post(planner::join_submit))
        .route("/s/{number}", get(planner::join_link))
        .route("/session/live/{id}", get(planner::live))
        .route("/widget/example", get(planner::widget_example))
        .route("/cards", get(cards::directory))
        .route("/cards/{id}", get(cards::card))
        .route("/cards/{id}/requests", post(cards::submit_request))
        .route("/cards/{id}/logo", get(cards::logo))
        .route("/cards/{id}/counter", get(cards::counter))
        .route("/cards/{id}/office", get(cards::office))
        .route("/cards/{id}/office/requests.csv", get(cards::requests_csv))
        .route("/cards/{id}/office/requests/{request}", post(cards::set_request))
        .route("/cards/{id}/office/team", post(cards::add_member))
        .route("/cards/{id}/office/team/{user}/remove", post(cards::remove_member))
        .route("/cards/{id}/office/team/{user}/standby-off", post(cards::standby_off))
        .route("/cards/{id}/office/card", post(cards::update))
        .route(
            "/cards/{id}/office/logo",
            post(cards::set_logo).layer(axum::extract::DefaultBodyLimit::max(LOGO_BODY_BYTES)),
        )
        .route("/cards/{id}/office/link", post(cards::rotate_link))
        .route("/maintain/{token}", get(cards::maintain).post(cards::maintain_save))
        .route(
            "/maintain/{token}/logo",
            post(cards::maintain_logo).layer(axum::extract::DefaultBodyLimit::max(LOGO_BODY_BYTES)),
        )
        .route("/operator/cards", get(cards::operator).post(cards::operator_create))
        .route("/people", get(network::people))
        .route("/people/{id}", get(network::person))
        .route("/chat", get(network::chats))
        .route("/chat/{id}", get(network::chat).post(network::send))
        .route("/share", get(network::share_form).post(network::share))
        .route("/profile/networking", post(profile::networking))
        .route("/dev/mailbox", get(dev::mailbox))
        .route("/dev/mailbox/{id}", get(dev::message))
        .route("/dev/mailbox/{id}/html", get(dev::message_html))
        .merge(portal::router())
        .merge(secretary::router())
}

/// Renders a template into an HTML response.
pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(body) => Html(body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    ctx: &'a Ctx,
    title: String,
    message: &'a str,
}

/// The page shown for errors (404, 403, 500 …).
pub fn error_page(ctx: &Ctx, status: StatusCode, message: &str) -> Response {
    let title = match status {
        StatusCode::NOT_FOUND => ctx.t("error.not_found_title"),
        StatusCode::FORBIDDEN => ctx.t("error.forbidden_title"),
        s if s.is_client_error() => ctx.t("error.client_title"),
        _ => ctx.t("error.server_title"),
    };
    let mut r = render(&ErrorPage { ctx, title, message });
    *r.status_mut() = status;
    r
}

/// Date and time as people in the user's language write it (German time).
pub fn format_time(t: Timestamp, lang: Lang) -> String {
    format_time_in(t, chrono_tz::Europe::Berlin, lang)
}

/// Like [`format_time`], in the given time zone (e.g. the customer's).
pub fn format_time_in(t: Timestamp, tz: chrono_tz::Tz, lang: Lang) -> String {
    let local = t.to_datetime().with_timezone(&tz);
    match lang {
        Lang::De => local.format("%d.%m.%Y, %H:%M").to_string(),
        Lang::En => local.format("%Y-%m-%d %H:%M").to_string(),
    }
}

/// Euro amounts from cents: "1,20 €" / "€1.20".
pub fn euro(cents: &i64, lang: Lang) -> String {
    let (e, c) = (cents / 100, (cents % 100).abs());
    match lang {
        Lang::De => format!("{e},{c:02} €"),
        Lang::En => format!("€{e}.{c:02}"),
    }
}

/// An outbox row prepared for the message tables.
pub struct MessageRow {
    pub when: String,
    pub sms: bool,
    pub recipient: String,
    pub subject: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub error: Option<String>,
    pub href: Option<String>,
}

impl MessageRow {
    pub fn new(m: &OutboxMessage, lang: Lang, link: bool) -> Self {
        use domain::outbox::MessageStatus::*;
        let sms = m.channel == domain::outbox::Channel::Sms;
        MessageRow {
            when: format_time(m.sent_at.unwrap_or(m.created_at), lang),
            sms,
            recipient: m.recipient.clone(),
            subject: if sms {
                m.body_text.chars().take(70).collect()
            } else {
                m.subject.clone()
            },
            status: m.status.as_str(),
            status_class: match m.status {
                Sent => "success",
                Pending | Sending => "warning",
                Failed => "danger",
            },
            error: m.last_error.clone().filter(|_| m.status != Sent),
            href: link.then(|| format!("/dev/mailbox/{}", m.id)),
        }
    }
}
