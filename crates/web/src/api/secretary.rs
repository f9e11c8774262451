//! The virtual secretary in JSON: company settings, employees (with CSV
//! import/export), absence info, appointments, VIP callers, FAQ and the
//! audit log of one customer account.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use domain::identity::User;
use domain::secretary::csv::ImportPlanView;
use domain::secretary::{
    Appointment, AppointmentInput, AuditPage, DeleteOutcome, Employee, EmployeeInput, EmployeePage, EmployeeStatus,
    Faq, FaqInput, Settings, SettingsInput, Vip, VipInput,
};
use kernel::{AccountId, Lang, Timestamp};
use serde::Deserialize;

use crate::context::Ctx;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, ApiUser};
use crate::state::AppState;

/// The account's settings for agents (greeting, instructions, query fields, time zone).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/secretary/settings", tag = "secretary", params(("id" = i64, Path)),
    security(("session" = [])), responses((status = 200, body = Settings), (status = 404, body = ErrorBody)))]
pub async fn settings(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Settings>> {
    Ok(Json(state.secretary.settings(&user, AccountId(id)).await?))
}

/// Saves the settings. The greeting must contain [Vorname, Nachname],
/// [Vorname] or [Nachname]; only the operator may change `with_transfer`.
#[utoipa::path(put, path = "/api/v1/accounts/{id}/secretary/settings", tag = "secretary", params(("id" = i64, Path)),
    request_body = SettingsInput, security(("session" = [])), responses((status = 200, body = Settings),
    (status = 403, body = ErrorBody), (status = 422, body = ErrorBody, description = "e.g. greeting_placeholder_missing")))]
pub async fn save_settings(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<SettingsInput>,
) -> ApiResult<Json<Settings>> {
    Ok(Json(state.secretary.save_settings(&user, AccountId(id), &input).await?))
}

/// Confirms the settings, employees and the rest are right (the last step
/// of the onboarding checklist). Admins only.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/secretary/confirm", tag = "secretary", params(("id" = i64, Path)),
    security(("session" = [])), responses((status = 200, body = Settings), (status = 403, body = ErrorBody)))]
pub async fn confirm(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Settings>> {
    Ok(Json(state.secretary.confirm(&user, AccountId(id)).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Search in name, e-mail, position and responsibility.
    #[serde(default)]
    pub q: String,
    /// 1–500, default 50.
    pub limit: Option<i64>,
    #[serde(default)]
    pub offset: i64,
}

/// Employees sorted by last name, with what applies to each right now.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/employees", tag = "secretary", params(("id" = i64, Path), ListParams),
    security(("session" = [])), responses((status = 200, body = EmployeePage), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody)))]
pub async fn employees(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<EmployeePage>> {
    Ok(Json(
        state
            .secretary
            .employees(&user, AccountId(id), &p.q, p.limit.unwrap_or(50), p.offset)
            .await?,
    ))
}

/// Adds an employee (e-mail unique within the account).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/employees", tag = "secretary", params(("id" = i64, Path)),
    request_body = EmployeeInput, security(("session" = [])), responses((status = 201, body = Employee),
    (status = 409, body = ErrorBody, description = "employee_email_taken"), (status = 422, body = ErrorBody)))]
pub async fn create_employee(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<EmployeeInput>,
) -> ApiResult<(StatusCode, Json<Employee>)> {
    let e = state.secretary.create_employee(&user, AccountId(id), &input).await?;
    Ok((StatusCode::CREATED, Json(e)))
}

#[utoipa::path(get, path = "/api/v1/accounts/{id}/employees/{employee}", tag = "secretary",
    params(("id" = i64, Path), ("employee" = i64, Path)), security(("session" = [])),
    responses((status = 200, body = Employee), (status = 404, body = ErrorBody)))]
pub async fn employee(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, eid)): ApiPath<(i64, i64)>,
) -> ApiResult<Json<Employee>> {
    Ok(Json(state.secretary.employee(&user, AccountId(id), eid).await?))
}

/// Replaces an employee's data (`absence_info` left out stays as it is).
#[utoipa::path(put, path = "/api/v1/accounts/{id}/employees/{employee}", tag = "secretary",
    params(("id" = i64, Path), ("employee" = i64, Path)), request_body = EmployeeInput, security(("session" = [])),
    responses((status = 200, body = Employee), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
    (status = 422, body = ErrorBody, description = "e.g. deputy_self, phone_invalid")))]
pub async fn update_employee(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, eid)): ApiPath<(i64, i64)>,
    ApiJson(input): ApiJson<EmployeeInput>,
) -> ApiResult<Json<Employee>> {
    Ok(Json(
        state
            .secretary
            .update_employee(&user, AccountId(id), eid, &input)
            .await?,
    ))
}

/// Deletes an employee with their appointments and VIP entries. Employees
/// who had them as deputy lose their deputy; their names are returned.
#[utoipa::path(delete, path = "/api/v1/accounts/{id}/employees/{employee}", tag = "secretary",
    params(("id" = i64, Path), ("employee" = i64, Path)), security(("session" = [])),
    responses((status = 200, body = DeleteOutcome), (status = 404, body = ErrorBody)))]
pub async fn delete_employee(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, eid)): ApiPath<(i64, i64)>,
) -> ApiResult<Json<DeleteOutcome>> {
    let deputies_cleared = state.secretary.delete_employee(&user, AccountId(id), eid).await?;
    Ok(Json(DeleteOutcome { deputies_cleared }))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    /// Language of the invitation and the login (default: the admin's).
    pub language: Option<Lang>,
}

/// Creates the employee's own login (sub-account): an invitation mail to the
/// employee's address. That login may only maintain this employee's absence
/// info and appointments.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/employees/{employee}/login", tag = "secretary",
    params(("id" = i64, Path), ("employee" = i64, Path)), request_body = LoginBody, security(("session" = [])),
    responses((status = 201, body = User), (status = 409, body = ErrorBody, description = "employee_login_exists, email_taken")))]
pub async fn create_login(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, eid)): ApiPath<(i64, i64)>,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let u = state
        .secretary
        .create_login(&user, AccountId(id), eid, body.language)
        .await?;
    Ok((StatusCode::CREATED, Json(u)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AbsenceBody {
    /// Permanent note ("nur vormittags im Haus"); empty clears it.
    pub absence_info: String,
}

/// Sets the absence info (admins, or the employee's own login).
#[utoipa::path(put, path = "/api/v1/accounts/{id}/employees/{employee}/absence", tag = "secretary",
    params(("id" = i64, Path), ("employee" = i64, Path)), request_body = AbsenceBody, security(("session" = [])),
    responses((status = 200, body = Employee), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn set_absence(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, eid)): ApiPath<(i64, i64)>,
    ApiJson(body): ApiJson<AbsenceBody>,
) -> ApiResult<Json<Employee>> {
    Ok(Json(
        state
            .secretary
            .set_absence(&user, AccountId(id), eid, &body.absence_info)
            .await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StatusParams {
    /// Instant in ms since the epoch; default now.
    pub at: Option<i64>,
}

/// What agents are told about the employee at an instant: the appointment
/// running then (the latest-started one), else the absence info.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/employees/{employee}/status", tag = "secretary",
    params(("id" = i64, Path), ("employee" = i64, Path), StatusParams), security(("session" = [])),
    responses((status = 200, body = EmployeeStatus), (status = 404, body = ErrorBody)))]
pub async fn status(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, eid)): ApiPath<(i64, i64)>,
    ApiQuery(p): ApiQuery<StatusParams>,
) -> ApiResult<Json<EmployeeStatus>> {
    Ok(Json(
        state
            .secretary
            .status(&user, AccountId(id), eid, p.at.map(Timestamp))
            .await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AppointmentParams {
    /// Also list appointments that have ended.
    #[serde(default)]
    pub past: bool,
}

/// The employee's current and future appointments (and past ones on request).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/employees/{employee}/appointments", tag = "secretary",
    params(("id" = i64, Path), ("employee" = i64, Path), AppointmentParams), security(("session" = [])),
    responses((status = 200, body = Vec<Appointment>), (status = 404, body = ErrorBody)))]
pub async fn appointments(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, eid)): ApiPath<(i64, i64)>,
    ApiQuery(p): ApiQuery<AppointmentParams>,
) -> ApiResult<Json<Vec<Appointment>>> {
    Ok(Json(
        state.secretary.appointments(&user, AccountId(id), eid, p.past).await?,
    ))
}

/// Adds an appointment; times are read in the account's time zone.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/employees/{employee}/appointments", tag = "secretary",
    params(("id" = i64, Path), ("employee" = i64, Path)), request_body = AppointmentInput, security(("session" = [])),
    responses((status = 201, body = Appointment), (status = 422, body = ErrorBody, description = "e.g. end_before_start")))]
pub async fn create_appointment(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, eid)): ApiPath<(i64, i64)>,
    ApiJson(input): ApiJson<AppointmentInput>,
) -> ApiResult<(StatusCode, Json<Appointment>)> {
    let a = state
        .secretary
        .create_appointment(&user, AccountId(id), eid, &input)
        .await?;
    Ok((StatusCode::CREATED, Json(a)))
}

#[utoipa::path(put, path = "/api/v1/accounts/{id}/employees/{employee}/appointments/{appointment}", tag = "secretary",
    params(("id" = i64, Path), ("employee" = i64, Path), ("appointment" = i64, Path)), request_body = AppointmentInput,
    security(("session" = [])), responses((status = 200, body = Appointment), (status = 404, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
pub async fn update_appointment(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, eid, aid)): ApiPath<(i64, i64, i64)>,
    ApiJson(input): ApiJson<AppointmentInput>,
) -> ApiResult<Json<Appointment>> {
    Ok(Json(
        state
            .secretary
            .update_appointment(&user, AccountId(id), eid, aid, &input)
            .await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/accounts/{id}/employees/{employee}/appointments/{appointment}", tag = "secretary",
    params(("id" = i64, Path), ("employee" = i64, Path), ("appointment" = i64, Path)), security(("session" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_appointment(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, eid, aid)): ApiPath<(i64, i64, i64)>,
) -> ApiResult<StatusCode> {
    state
        .secretary
        .delete_appointment(&user, AccountId(id), eid, aid)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// All employees as CSV (UTF-8 with BOM, semicolons, German headers), the
/// format the import reads back.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/employees/export", tag = "secretary", params(("id" = i64, Path)),
    security(("session" = [])), responses((status = 200, content_type = "text/csv", body = String),
    (status = 403, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<impl IntoResponse> {
    let bytes = state.secretary.export_csv(&user, AccountId(id)).await?;
    Ok(crate::csv_download("mitarbeiter.csv", bytes))
}

/// Checks a CSV file (the raw file as body: UTF-8 or Windows-1252, comma or
/// semicolon, German or English headers) and answers what it would do.
/// Nothing is written; a file without errors gets an `upload_id` to commit.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/employees/import", tag = "secretary", params(("id" = i64, Path)),
    request_body(content = String, content_type = "text/csv"), security(("session" = [])),
    responses((status = 200, body = ImportPlanView), (status = 422, body = ErrorBody, description = "the file itself is unusable")))]
pub async fn import_preview(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ctx: Ctx,
    ApiPath(id): ApiPath<i64>,
    body: Bytes,
) -> ApiResult<Json<ImportPlanView>> {
    Ok(Json(
        state
            .secretary
            .import_preview(&user, AccountId(id), &body, ctx.lang)
            .await?,
    ))
}

/// Writes a previewed import: all rows in one transaction, or none. An
/// upload can be committed once.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/employees/import/{upload}/commit", tag = "secretary",
    params(("id" = i64, Path), ("upload" = i64, Path)), security(("session" = [])),
    responses((status = 200, body = ImportPlanView), (status = 404, body = ErrorBody, description = "unknown or already used"),
    (status = 409, body = ErrorBody, description = "import_outdated")))]
pub async fn import_commit(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ctx: Ctx,
    ApiPath((id, upload)): ApiPath<(i64, i64)>,
) -> ApiResult<Json<ImportPlanView>> {
    Ok(Json(
        state
            .secretary
            .import_commit(&user, AccountId(id), upload, ctx.lang)
            .await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct VipParams {
    /// Only the VIPs attached to this employee.
    pub employee_id: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/accounts/{id}/vips", tag = "secretary", params(("id" = i64, Path), VipParams),
    security(("session" = [])), responses((status = 200, body = Vec<Vip>)))]
pub async fn vips(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<VipParams>,
) -> ApiResult<Json<Vec<Vip>>> {
    Ok(Json(state.secretary.vips(&user, AccountId(id), p.employee_id).await?))
}

/// Adds a VIP caller, company-wide or for one employee.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/vips", tag = "secretary", params(("id" = i64, Path)),
    request_body = VipInput, security(("session" = [])), responses((status = 201, body = Vip), (status = 422, body = ErrorBody)))]
pub async fn create_vip(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<VipInput>,
) -> ApiResult<(StatusCode, Json<Vip>)> {
    let v = state.secretary.create_vip(&user, AccountId(id), &input).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[utoipa::path(put, path = "/api/v1/accounts/{id}/vips/{vip}", tag = "secretary", params(("id" = i64, Path), ("vip" = i64, Path)),
    request_body = VipInput, security(("session" = [])), responses((status = 200, body = Vip), (status = 404, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
pub async fn update_vip(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, vid)): ApiPath<(i64, i64)>,
    ApiJson(input): ApiJson<VipInput>,
) -> ApiResult<Json<Vip>> {
    Ok(Json(
        state.secretary.update_vip(&user, AccountId(id), vid, &input).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/accounts/{id}/vips/{vip}", tag = "secretary", params(("id" = i64, Path), ("vip" = i64, Path)),
    security(("session" = [])), responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_vip(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, vid)): ApiPath<(i64, i64)>,
) -> ApiResult<StatusCode> {
    state.secretary.delete_vip(&user, AccountId(id), vid).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LookupParams {
    /// The caller ID in any spelling (+49 170 …, 0170 …, 0049 170 …).
    pub phone: String,
}

/// The VIP entries matching a caller ID, whatever spelling either side used.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/vips/lookup", tag = "secretary", params(("id" = i64, Path), LookupParams),
    security(("session" = [])), responses((status = 200, body = Vec<Vip>), (status = 422, body = ErrorBody)))]
pub async fn lookup_vip(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<LookupParams>,
) -> ApiResult<Json<Vec<Vip>>> {
    Ok(Json(
        state.secretary.vips_for_caller(&user, AccountId(id), &p.phone).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/accounts/{id}/faq", tag = "secretary", params(("id" = i64, Path)),
    security(("session" = [])), responses((status = 200, body = Vec<Faq>)))]
pub async fn faqs(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<Faq>>> {
    Ok(Json(state.secretary.faqs(&user, AccountId(id)).await?))
}

/// Adds a question and answer at the end of the list.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/faq", tag = "secretary", params(("id" = i64, Path)),
    request_body = FaqInput, security(("session" = [])), responses((status = 201, body = Faq), (status = 422, body = ErrorBody)))]
pub async fn create_faq(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<FaqInput>,
) -> ApiResult<(StatusCode, Json<Faq>)> {
    let f = state.secretary.create_faq(&user, AccountId(id), &input).await?;
    Ok((StatusCode::CREATED, Json(f)))
}

#[utoipa::path(put, path = "/api/v1/accounts/{id}/faq/{faq}", tag = "secretary", params(("id" = i64, Path), ("faq" = i64, Path)),
    request_body = FaqInput, security(("session" = [])), responses((status = 200, body = Faq), (status = 404, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
pub async fn update_faq(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, fid)): ApiPath<(i64, i64)>,
    ApiJson(input): ApiJson<FaqInput>,
) -> ApiResult<Json<Faq>> {
    Ok(Json(
        state.secretary.update_faq(&user, AccountId(id), fid, &input).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/accounts/{id}/faq/{faq}", tag = "secretary", params(("id" = i64, Path), ("faq" = i64, Path)),
    security(("session" = [])), responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_faq(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, fid)): ApiPath<(i64, i64)>,
) -> ApiResult<StatusCode> {
    state.secretary.delete_faq(&user, AccountId(id), fid).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FaqOrder {
    /// Every FAQ id of the account, each once, in the new order.
    pub ids: Vec<i64>,
}

/// Puts the FAQ in a new order.
#[utoipa::path(put, path = "/api/v1/accounts/{id}/faq/order", tag = "secretary", params(("id" = i64, Path)),
    request_body = FaqOrder, security(("session" = [])), responses((status = 200, body = Vec<Faq>),
    (status = 422, body = ErrorBody, description = "faq_order_mismatch")))]
pub async fn reorder_faqs(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(order): ApiJson<FaqOrder>,
) -> ApiResult<Json<Vec<Faq>>> {
    Ok(Json(
        state.secretary.reorder_faqs(&user, AccountId(id), &order.ids).await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// 1–200, default 50.
    pub limit: Option<i64>,
    #[serde(default)]
    pub offset: i64,
}

/// Who changed what and when, newest first (admins).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/audit", tag = "secretary", params(("id" = i64, Path), AuditParams),
    security(("session" = [])), responses((status = 200, body = AuditPage), (status = 403, body = ErrorBody)))]
pub async fn audit(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> ApiResult<Json<AuditPage>> {
    Ok(Json(
        state
            .secretary
            .audit_log(&user, AccountId(id), p.limit.unwrap_or(50), p.offset)
            .await?,
    ))
}
