//! The virtual secretary for a customer's admins (PRODUCT.md section 2,
//! seed 001): company settings with the greeting, employees with absence
//! info and appointments, CSV import/export, VIP callers, FAQ, the audit
//! log and the help page. Permissions are the service's: pages only hide
//! what a person may not do, the service refuses it.
//!
//! `settings.rs` the company page, `employees.rs` list and form,
//! `schedule.rs` absence info and appointments, `import.rs` CSV,
//! `vips.rs`, `faq.rs`, `audit.rs`, `help.rs`.

mod audit;
mod calls;
mod employees;
mod faq;
mod help;
mod import;
mod schedule;
mod settings;
mod vips;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use domain::identity::User;
use domain::secretary::Access;
use kernel::AccountId;

use crate::error::PageResult;
use crate::state::AppState;

pub use super::{done, done_with, error_text};
pub use crate::MAX_UPLOAD_BYTES;

/// Rows per page in the employee list and the audit log.
pub const PAGE_SIZE: i64 = 50;

pub fn router() -> Router<AppState> {
    let p = "/portal/{account_id}";
    Router::new()
        .route(&format!("{p}/secretary"), get(settings::page).post(settings::save))
        .route(&format!("{p}/secretary/confirm"), post(settings::confirm))
        .route(&format!("{p}/employees"), get(employees::list).post(employees::create))
        .route(&format!("{p}/employees/new"), get(employees::new_page))
        .route(&format!("{p}/employees/export"), get(import::export))
        .route(
            &format!("{p}/employees/import"),
            get(import::page)
                .post(import::upload)
                .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES)),
        )
        .route(&format!("{p}/employees/import/commit"), post(import::commit))
        .route(
            &format!("{p}/employees/{{employee_id}}"),
            get(employees::edit_page).post(employees::update),
        )
        .route(
            &format!("{p}/employees/{{employee_id}}/delete"),
            get(employees::delete_page).post(employees::delete),
        )
        .route(
            &format!("{p}/employees/{{employee_id}}/login"),
            post(employees::create_login),
        )
        .route(&format!("{p}/employees/{{employee_id}}/schedule"), get(schedule::page))
        .route(
            &format!("{p}/employees/{{employee_id}}/absence"),
            post(schedule::save_absence),
        )
        .route(
            &format!("{p}/employees/{{employee_id}}/appointments"),
            post(schedule::create),
        )
        .route(
            &format!("{p}/employees/{{employee_id}}/appointments/{{appointment_id}}"),
            get(schedule::edit_page).post(schedule::update),
        )
        .route(
            &format!("{p}/employees/{{employee_id}}/appointments/{{appointment_id}}/delete"),
            post(schedule::delete),
        )
        .route(&format!("{p}/vips"), get(vips::list).post(vips::create))
        .route(&format!("{p}/vips/{{vip_id}}"), get(vips::edit_page).post(vips::update))
        .route(&format!("{p}/vips/{{vip_id}}/delete"), post(vips::delete))
        .route(&format!("{p}/faq"), get(faq::list).post(faq::create))
        .route(&format!("{p}/faq/order"), post(faq::reorder))
        .route(&format!("{p}/faq/{{faq_id}}"), get(faq::edit_page).post(faq::update))
        .route(&format!("{p}/faq/{{faq_id}}/move"), post(faq::move_entry))
        .route(&format!("{p}/faq/{{faq_id}}/delete"), post(faq::delete))
        .route(&format!("{p}/audit"), get(audit::page))
        .route(&format!("{p}/calls"), get(calls::dashboard))
        .route(&format!("{p}/calls/{{call_id}}"), get(calls::detail))
        .route(&format!("{p}/statistics"), get(calls::statistics))
        .route("/help/secretary", get(help::page))
        .route("/help/cards", get(help::cards))
}

/// The header and tabs every secretary page shares.
pub struct SecNav {
    pub account_id: AccountId,
    pub account_name: String,
    pub customer_number: String,
    /// "settings", "employees", "vips", "faq", "audit", "calls", "statistics"
    pub current: &'static str,
    pub manage: bool,
    /// A sub-account login: only this employee's schedule.
    pub own: Option<i64>,
}

/// Who the actor is in the account, and the navigation for `current`.
pub async fn nav(state: &AppState, actor: &User, account: AccountId, current: &'static str) -> PageResult<SecNav> {
    let access = state.secretary.access(actor, account).await?;
    let a = state.accounts.get(account).await?;
    Ok(SecNav {
        account_id: account,
        account_name: a.name,
        customer_number: a.customer_number,
        current,
        manage: access.can_manage(),
        own: match access {
            Access::Own(e) => Some(e),
            _ => None,
        },
    })
}

/// Where a member's way into the secretary starts: the own schedule for a
/// sub-account, the employee list for read-only members, else the company page.
pub fn start_url(account: AccountId, access: Access) -> String {
    match access {
        Access::Own(e) => format!("/portal/{account}/employees/{e}/schedule"),
        Access::ReadOnly => format!("/portal/{account}/employees"),
        Access::Manage { .. } => format!("/portal/{account}/secretary"),
    }
}

/// Previous/next links of a paged list.
pub struct Paging {
    pub total: i64,
    pub from: i64,
    pub to: i64,
    pub prev: Option<i64>,
    pub next: Option<i64>,
}

impl Paging {
    pub fn new(page: i64, shown: usize, total: i64) -> Self {
        let shown = shown as i64;
        let from = if shown == 0 { 0 } else { (page - 1) * PAGE_SIZE + 1 };
        Paging {
            total,
            from,
            to: from + shown - 1,
            prev: (page > 1).then_some(page - 1),
            next: (page * PAGE_SIZE < total).then_some(page + 1),
        }
    }
}

/// A `<select>` option list with an empty first entry.
pub type Options = Vec<(String, String)>;

/// "2026-10-01" or "2026-10-01T09:00" as people in `lang` write it.
pub fn local_label(s: &str, lang: kernel::Lang) -> String {
    use chrono::{NaiveDate, NaiveDateTime};
    let de = lang == kernel::Lang::De;
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.format(if de { "%d.%m.%Y" } else { "%Y-%m-%d" }).to_string();
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M") {
        return t
            .format(if de { "%d.%m.%Y, %H:%M" } else { "%Y-%m-%d %H:%M" })
            .to_string();
    }
    s.to_string()
}

/// An appointment's period for display ("01.10.2026 – 17.10.2026").
pub fn period_label(start: &str, end: &str, lang: kernel::Lang) -> String {
    let (s, e) = (local_label(start, lang), local_label(end, lang));
    if s == e {
        s
    } else {
        format!("{s} – {e}")
    }
}
