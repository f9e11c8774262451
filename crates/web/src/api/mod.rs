//! The JSON API under `/api/v1`. Routes are registered through
//! utoipa-axum so the OpenAPI document is generated from the handlers.

mod accounts;
mod calls;
mod cards;
mod conference;
mod docs;
mod outbox;
mod planner;
mod portal;
mod rooms;
mod secretary;
mod session;
mod system;

pub(crate) use planner::ics_download as planner_ics_download;

use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use docs::docs_router;

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Kontor API",
        description = "JSON API of Kontor. Errors always have the form \
            `{\"error\": {\"code\": \"…\", \"message\": \"…\", \"field\": \"…\"}}`; messages follow `Accept-Language` (de, en). \
            Browser sessions authenticate with the `kontor_session` cookie from `POST /api/v1/session`; \
            unsafe requests must send `Content-Type: application/json` and are refused when they come from another site.",
    ),
    modifiers(&SessionCookie),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail, crate::error::FieldDetail)),
    tags(
        (name = "system", description = "Health and diagnostics"),
        (name = "session", description = "Signing in and out, the current user"),
        (name = "accounts", description = "Customer accounts (operator)"),
        (name = "outbox", description = "Outgoing e-mail and SMS"),
        (name = "portal", description = "Customer portal: registration, approval, invitations, users"),
        (name = "calls", description = "Virtual secretary, agent side: call intake for telephone systems (API token), agent queue and call screen, call notes, statistics, service numbers, API tokens. Live updates: WebSockets at /api/v1/agent/live and /api/v1/accounts/{id}/calls/live (see docs/calls.md)"),
        (name = "rooms", description = "Realtime rooms and meetings: open a meeting, get a join grant, then talk the room protocol over the WebSocket /api/v1/rooms/{id}/live (docs/realtime-protocol.md)"),
        (name = "cards", description = "Company cards: directory, public card, visitor requests, back office (team, standby, requests, history, maintenance link), maintenance-link edits, Info Counter entry; networking: profile settings, person search, chat, shares, notifications"),
        (name = "planner", description = "Session planner: entries with permanent 9-digit session numbers, invitations with calendar entries (RFC 5545), the host's reminder, spontaneous sessions (30 minutes to get a participant), joining by number (also from other sites: the join widget); then the room protocol over /api/v1/rooms/{id}/live (docs/planner.md)"),
        (name = "conference", description = "Conference center: the customer's personal room (permanent number, moderator and participant PINs, moderator-leave rule, dial-in block) and joining by number and PIN; then the room protocol over /api/v1/rooms/{id}/live (docs/conference.md)"),
        (name = "secretary", description = "Virtual secretary: company settings, employees, CSV import/export, absences, appointments, VIP callers, FAQ, audit log"),
    )
)]
struct ApiDoc;

struct SessionCookie;

impl Modify for SessionCookie {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::context::SESSION_COOKIE))),
        );
        components.add_security_scheme(
            "api_token",
            SecurityScheme::Http(
                utoipa::openapi::security::HttpBuilder::new()
                    .scheme(utoipa::openapi::security::HttpAuthScheme::Bearer)
                    .description(Some("An API token of a telephone system; it can only create calls."))
                    .build(),
            ),
        );
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(system::hello))
        .routes(routes!(system::healthz))
        .routes(routes!(system::readyz))
        .routes(routes!(session::create, session::delete))
        .routes(routes!(session::me, session::update_me))
        .routes(routes!(accounts::list, accounts::create))
        .routes(routes!(accounts::get, accounts::update))
        .routes(routes!(accounts::sms_usage))
        .routes(routes!(accounts::set_status))
        .routes(routes!(outbox::status))
        .routes(routes!(outbox::test_email))
        .routes(routes!(outbox::test_sms))
        .routes(routes!(outbox::mailbox))
        .routes(routes!(portal::register))
        .routes(routes!(portal::confirm))
        .routes(routes!(portal::registrations))
        .routes(routes!(portal::approve))
        .routes(routes!(portal::reject))
        .routes(routes!(portal::users, portal::invite))
        .routes(routes!(portal::change_user))
        .routes(routes!(portal::resend_invitation))
        .routes(routes!(portal::activate))
        .routes(routes!(portal::request_reset))
        .routes(routes!(portal::reset))
        .routes(routes!(portal::consents))
        .routes(routes!(portal::change_password))
        .routes(routes!(secretary::settings, secretary::save_settings))
        .routes(routes!(secretary::confirm))
        .routes(routes!(calls::onboarding))
        .routes(routes!(secretary::employees, secretary::create_employee))
        .routes(routes!(secretary::export))
        .merge(
            // CSV files can be large; this route alone accepts big bodies.
            OpenApiRouter::new()
                .routes(routes!(secretary::import_preview))
                .layer(axum::extract::DefaultBodyLimit::max(crate::MAX_UPLOAD_BYTES)),
        )
        .routes(routes!(secretary::import_commit))
        .routes(routes!(
            secretary::employee,
            secretary::update_employee,
            secretary::delete_employee
        ))
        .routes(routes!(secretary::create_login))
        .routes(routes!(secretary::set_absence))
        .routes(routes!(secretary::status))
        .routes(routes!(secretary::appointments, secretary::create_appointment))
        .routes(routes!(secretary::update_appointment, secretary::delete_appointment))
        .routes(routes!(secretary::vips, secretary::create_vip))
        .routes(routes!(secretary::lookup_vip))
        .routes(routes!(secretary::update_vip, secretary::delete_vip))
        .routes(routes!(secretary::faqs, secretary::create_faq))
        .routes(routes!(secretary::reorder_faqs))
        .routes(routes!(secretary::update_faq, secretary::delete_faq))
        .routes(routes!(secretary::audit))
        .routes(routes!(calls::ingest))
        .routes(routes!(calls::queue, calls::open))
        .routes(routes!(calls::claim))
        .routes(routes!(calls::release))
        .routes(routes!(calls::screen))
        .routes(routes!(calls::next_step))
        .routes(routes!(calls::send_note))
        .routes(routes!(calls::correct))
        .routes(routes!(calls::calls))
        .routes(routes!(calls::latest))
        .routes(routes!(calls::stats))
        .routes(routes!(calls::export))
        .routes(routes!(calls::detail))
        .routes(routes!(calls::service_numbers, calls::add_service_number))
        .routes(routes!(calls::remove_service_number))
        .routes(routes!(calls::api_tokens, calls::create_api_token))
        .routes(routes!(calls::revoke_api_token))
        .routes(routes!(rooms::list, rooms::create))
        .routes(routes!(rooms::get))
        .routes(routes!(rooms::end))
        .routes(routes!(rooms::entry))
        .routes(routes!(rooms::join))
        .routes(routes!(conference::get))
        .routes(routes!(conference::set_pins))
        .routes(routes!(conference::set_settings))
        .routes(routes!(conference::entry))
        .routes(routes!(conference::join))
        .routes(routes!(planner::list, planner::create))
        .routes(routes!(planner::spontaneous))
        .routes(routes!(planner::get, planner::update, planner::delete))
        .routes(routes!(planner::invite))
        .routes(routes!(planner::calendar))
        .routes(routes!(planner::start))
        .routes(routes!(planner::set_licence))
        .routes(routes!(planner::join))
        .routes(routes!(cards::directory, cards::create))
        .routes(routes!(cards::get, cards::update))
        .routes(routes!(cards::submit_request, cards::requests))
        .routes(routes!(cards::set_request))
        .routes(routes!(cards::team, cards::add_member))
        .routes(routes!(cards::remove_member))
        .routes(routes!(cards::standby_off))
        .routes(routes!(cards::history))
        .routes(routes!(cards::rotate_link))
        .routes(routes!(cards::maintenance_get, cards::maintenance_put))
        .routes(routes!(cards::counter))
        .routes(routes!(cards::settings, cards::save_settings))
        .routes(routes!(cards::people))
        .routes(routes!(cards::chats))
        .routes(routes!(cards::messages, cards::send))
        .routes(routes!(cards::share))
        .routes(routes!(cards::notifications))
}
