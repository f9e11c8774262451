use std::collections::HashMap;

use async_trait::async_trait;
use domain::identity::tokens::NewToken;
use domain::identity::{NewUser, User, UserStatus};
use domain::outbox::NewMessage;
use domain::secretary::schedule::{local_bounds, zone};
use domain::secretary::{
    Appointment, AuditEntry, AuditPage, Employee, EmployeePage, EmployeeRow, Faq, FaqInput, ImportPlan, NewAppointment,
    NewAudit, NewEmployee, NewSettings, NewVip, QueryField, SecretaryStore, Settings, Vip,
};
use kernel::{AccountId, DomainError, DomainResult, Timestamp, UserId};
use sqlx::AnyConnection;

use crate::accounts::like_pattern;
use crate::db::Db;
use crate::error::MapDb;

/// Employee columns (prefix `e.`), in [`EmployeeDbRow`] order.
const EMPLOYEE_COLUMNS: &str = "e.id, e.account_id, e.name, e.email, e.cc, e.position, e.responsibility, \
    e.sms_enabled, e.mobile, e.deputy_id, e.extension, e.wants_transfer, e.vip_transfer, e.vip_sms, \
    e.absence_info, e.login_user_id, e.created_at, e.updated_at";

/// The fourteen stored fields of an employee, bound in this order.
const EMPLOYEE_FIELDS: &str = "name, sort_key, email, cc, position, responsibility, sms_enabled, mobile, deputy_id, \
    extension, wants_transfer, vip_transfer, vip_sms, absence_info";
const EMPLOYEE_FIELD_COUNT: usize = 14;

#[derive(sqlx::FromRow)]
struct EmployeeDbRow {
    id: i64,
    account_id: i64,
    name: String,
    email: String,
    cc: String,
    position: String,
    responsibility: String,
    sms_enabled: i64,
    mobile: Option<String>,
    deputy_id: Option<i64>,
    extension: String,
    wants_transfer: i64,
    vip_transfer: i64,
    vip_sms: i64,
    absence_info: String,
    login_user_id: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl From<EmployeeDbRow> for Employee {
    fn from(r: EmployeeDbRow) -> Self {
        Employee {
            id: r.id,
            account_id: AccountId(r.account_id),
            name: r.name,
            email: r.email,
            cc: r.cc.lines().filter(|l| !l.is_empty()).map(str::to_string).collect(),
            position: r.position,
            responsibility: r.responsibility,
            sms_enabled: r.sms_enabled != 0,
            mobile: r.mobile,
            deputy_id: r.deputy_id,
            extension: r.extension,
            wants_transfer: r.wants_transfer != 0,
            vip_transfer: r.vip_transfer != 0,
            vip_sms: r.vip_sms != 0,
            absence_info: r.absence_info,
            login_user_id: r.login_user_id.map(UserId),
            created_at: Timestamp(r.created_at),
            updated_at: Timestamp(r.updated_at),
        }
    }
}

#[derive(sqlx::FromRow)]
struct ListRow {
    #[sqlx(flatten)]
    e: EmployeeDbRow,
    deputy_name: Option<String>,
    current_appointment: Option<String>,
}

type Args<'q> = sqlx::any::AnyArguments<'q>;

/// Binds the fourteen stored fields in [`EMPLOYEE_FIELDS`] order (a None
/// absence binds NULL, which import updates read as "keep the stored text").
fn bind_employee<'q, O>(
    q: sqlx::query::QueryAs<'q, sqlx::Any, O, Args<'q>>,
    e: &'q NewEmployee,
    absence: Option<&'q str>,
) -> sqlx::query::QueryAs<'q, sqlx::Any, O, Args<'q>> {
    q.bind(&e.name)
        .bind(&e.sort_key)
        .bind(&e.email)
        .bind(e.cc.join("\n"))
        .bind(&e.position)
        .bind(&e.responsibility)
        .bind(e.sms_enabled as i64)
        .bind(e.mobile.as_deref())
        .bind(e.deputy_id)
        .bind(&e.extension)
        .bind(e.wants_transfer as i64)
        .bind(e.vip_transfer as i64)
        .bind(e.vip_sms as i64)
        .bind(absence)
}

async fn insert_audit(conn: &mut AnyConnection, account: AccountId, a: &NewAudit) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (account_id, at, actor_id, actor_name, action, subject, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(account.0)
    .bind(a.at.millis())
    .bind(a.actor_id.map(|u| u.0))
    .bind(&a.actor_name)
    .bind(a.action)
    .bind(&a.subject)
    .bind(&a.detail)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct SettingsRow {
    greeting: String,
    instructions: String,
    with_transfer: i64,
    query_fields: String,
    updated_at: i64,
    time_zone: String,
    confirmed_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct AppointmentRow {
    id: i64,
    employee_id: i64,
    starts_at: i64,
    ends_at: i64,
    all_day: i64,
    text: String,
    time_zone: String,
}

impl From<AppointmentRow> for Appointment {
    fn from(r: AppointmentRow) -> Self {
        let (start, end) = local_bounds(
            Timestamp(r.starts_at),
            Timestamp(r.ends_at),
            r.all_day != 0,
            zone(&r.time_zone),
        );
        Appointment {
            id: r.id,
            employee_id: r.employee_id,
            starts_at: Timestamp(r.starts_at),
            ends_at: Timestamp(r.ends_at),
            all_day: r.all_day != 0,
            text: r.text,
            start,
            end,
        }
    }
}

const APPOINTMENT_SELECT: &str = "SELECT a.id, a.employee_id, a.starts_at, a.ends_at, a.all_day, a.text, c.time_zone \
    FROM appointments a JOIN accounts c ON c.id = a.account_id";

#[derive(sqlx::FromRow)]
struct VipRow {
    id: i64,
    employee_id: Option<i64>,
    employee_name: Option<String>,
    phone: String,
    name: String,
    note: String,
}

impl From<VipRow> for Vip {
    fn from(r: VipRow) -> Self {
        Vip {
            id: r.id,
            employee_id: r.employee_id,
            employee_name: r.employee_name,
            phone: r.phone,
            name: r.name,
            note: r.note,
        }
    }
}

const VIP_SELECT: &str = "SELECT v.id, v.employee_id, e.name AS employee_name, v.phone, v.name, v.note \
    FROM vips v LEFT JOIN employees e ON e.id = v.employee_id";

#[derive(sqlx::FromRow)]
struct FaqRow {
    id: i64,
    position: i64,
    question: String,
    answer: String,
}

impl From<FaqRow> for Faq {
    fn from(r: FaqRow) -> Self {
        Faq {
            id: r.id,
            position: r.position,
            question: r.question,
            answer: r.answer,
        }
    }
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    at: i64,
    actor_id: Option<i64>,
    actor_name: String,
    action: String,
    subject: String,
    detail: String,
}

/// Inserts the settings row, or on an existing row sets `on_conflict`
/// (an `UPDATE SET` list over `excluded`); returns the stored `confirmed_at`.
async fn upsert_settings(
    conn: &mut AnyConnection,
    account: AccountId,
    (greeting, instructions, with_transfer, query_fields): (&str, &str, bool, &[QueryField]),
    now: Timestamp,
    confirmed_at: Option<Timestamp>,
    on_conflict: &str,
) -> DomainResult<Option<i64>> {
    let fields = serde_json::to_string(query_fields).map_err(DomainError::internal)?;
    let (confirmed,): (Option<i64>,) = sqlx::query_as(&format!(
        "INSERT INTO secretary_settings (account_id, greeting, instructions, with_transfer, query_fields, \
         updated_at, confirmed_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (account_id) DO UPDATE SET {on_conflict} RETURNING confirmed_at"
    ))
    .bind(account.0)
    .bind(greeting)
    .bind(instructions)
    .bind(with_transfer as i64)
    .bind(&fields)
    .bind(now.millis())
    .bind(confirmed_at.map(Timestamp::millis))
    .fetch_one(conn)
    .await
    .db()?;
    Ok(confirmed)
}

async fn employee_in(conn: &mut AnyConnection, account: AccountId, id: i64) -> DomainResult<Employee> {
    let row: Option<EmployeeDbRow> = sqlx::query_as(&format!(
        "SELECT {EMPLOYEE_COLUMNS} FROM employees e WHERE e.account_id = $1 AND e.id = $2"
    ))
    .bind(account.0)
    .bind(id)
    .fetch_optional(conn)
    .await
    .db()?;
    row.map(Into::into).ok_or(DomainError::not_found("employee"))
}

async fn faqs_in(conn: &mut AnyConnection, account: AccountId) -> DomainResult<Vec<Faq>> {
    let rows: Vec<FaqRow> =
        sqlx::query_as("SELECT id, position, question, answer FROM faqs WHERE account_id = $1 ORDER BY position, id")
            .bind(account.0)
            .fetch_all(conn)
            .await
            .db()?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Rows per multi-row INSERT in an import (14 parameters each).
const IMPORT_BATCH: usize = 200;

#[async_trait]
impl SecretaryStore for Db {
    async fn settings(&self, account: AccountId) -> DomainResult<Option<Settings>> {
        let row: Option<SettingsRow> = sqlx::query_as(
            "SELECT s.greeting, s.instructions, s.with_transfer, s.query_fields, s.updated_at, a.time_zone, s.confirmed_at \
             FROM secretary_settings s JOIN accounts a ON a.id = s.account_id WHERE s.account_id = $1",
        )
        .bind(account.0)
        .fetch_optional(&self.pool)
        .await
        .db()?;
        Ok(row.map(|r| Settings {
            account_id: account,
            greeting: r.greeting,
            instructions: r.instructions,
            with_transfer: r.with_transfer != 0,
            query_fields: serde_json::from_str::<Vec<QueryField>>(&r.query_fields).unwrap_or_default(),
            time_zone: r.time_zone,
            updated_at: Some(Timestamp(r.updated_at)),
            confirmed_at: r.confirmed_at.map(Timestamp),
        }))
    }

    async fn save_settings(
        &self,
        account: AccountId,
        s: &NewSettings,
        audit: NewAudit,
        now: Timestamp,
    ) -> DomainResult<Settings> {
        let mut tx = self.write_tx().await.db()?;
        let confirmed_at = upsert_settings(
            &mut tx.tx,
            account,
            (&s.greeting, &s.instructions, s.with_transfer, &s.query_fields),
            now,
            None,
            "greeting = excluded.greeting, instructions = excluded.instructions, \
             with_transfer = excluded.with_transfer, query_fields = excluded.query_fields, \
             updated_at = excluded.updated_at",
        )
        .await?;
        sqlx::query("UPDATE accounts SET time_zone = $1 WHERE id = $2")
            .bind(&s.time_zone)
            .bind(account.0)
            .execute(&mut *tx.tx)
            .await
            .db()?;
        insert_audit(&mut tx.tx, account, &audit).await.db()?;
        tx.commit().await.db()?;
        Ok(Settings {
            account_id: account,
            greeting: s.greeting.clone(),
            instructions: s.instructions.clone(),
            with_transfer: s.with_transfer,
            query_fields: s.query_fields.clone(),
            time_zone: s.time_zone.clone(),
            updated_at: Some(now),
            confirmed_at: confirmed_at.map(Timestamp),
        })
    }

    async fn confirm_settings(
        &self,
        account: AccountId,
        s: &Settings,
        audit: NewAudit,
        now: Timestamp,
    ) -> DomainResult<()> {
        let mut tx = self.write_tx().await.db()?;
        upsert_settings(
            &mut tx.tx,
            account,
            (&s.greeting, &s.instructions, s.with_transfer, &s.query_fields),
            now,
            Some(now),
            "confirmed_at = excluded.confirmed_at",
        )
        .await?;
        insert_audit(&mut tx.tx, account, &audit).await.db()?;
        tx.commit().await.db()
    }

    async fn employees(
        &self,
        account: AccountId,
        search: &str,
        limit: i64,
        offset: i64,
        now: Timestamp,
    ) -> DomainResult<EmployeePage> {
        let pattern = like_pattern(search);
        let folded = like_pattern(&domain::secretary::fold(search));
        // Without a search term the index on (account_id, sort_key, id) serves
        // the page directly; deputy and appointment are looked up for the
        // page's rows only (PostgreSQL would compute them for skipped rows too).
        let filter = if search.is_empty() {
            "e.account_id = $1 AND $2 = $3"
        } else {
            "e.account_id = $1 AND (LOWER(e.name) LIKE $2 ESCAPE '\\' OR e.sort_key LIKE $3 ESCAPE '\\' \
             OR LOWER(e.email) LIKE $2 ESCAPE '\\' OR LOWER(e.position) LIKE $2 ESCAPE '\\' \
             OR LOWER(e.responsibility) LIKE $2 ESCAPE '\\')"
        };
        let (pattern, folded) = if search.is_empty() {
            (String::new(), String::new())
        } else {
            (pattern, folded)
        };
        let rows: Vec<ListRow> = sqlx::query_as(&format!(
            "SELECT {EMPLOYEE_COLUMNS}, d.name AS deputy_name, \
             (SELECT a.text FROM appointments a WHERE a.employee_id = e.id AND a.starts_at <= $4 AND a.ends_at > $4 \
              ORDER BY a.starts_at DESC, a.id DESC LIMIT 1) AS current_appointment \
             FROM (SELECT * FROM employees e WHERE {filter} ORDER BY e.sort_key, e.id LIMIT $5 OFFSET $6) e \
             LEFT JOIN employees d ON d.id = e.deputy_id ORDER BY e.sort_key, e.id"
        ))
        .bind(account.0)
        .bind(&pattern)
        .bind(&folded)
        .bind(now.millis())
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .db()?;
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM employees e WHERE {filter}"))
            .bind(account.0)
            .bind(&pattern)
            .bind(&folded)
            .fetch_one(&self.pool)
            .await
            .db()?;
        let items = rows
            .into_iter()
            .map(|r| {
                let employee: Employee = r.e.into();
                let status = r
                    .current_appointment
                    .clone()
                    .unwrap_or_else(|| employee.absence_info.clone());
                EmployeeRow {
                    employee,
                    deputy_name: r.deputy_name,
                    current_appointment: r.current_appointment,
                    status,
                }
            })
            .collect();
        Ok(EmployeePage { items, total })
    }

    async fn all_employees(&self, account: AccountId) -> DomainResult<Vec<Employee>> {
        let rows: Vec<EmployeeDbRow> = sqlx::query_as(&format!(
            "SELECT {EMPLOYEE_COLUMNS} FROM employees e WHERE e.account_id = $1 ORDER BY e.sort_key, e.id"
        ))
        .bind(account.0)
        .fetch_all(&self.pool)
        .await
        .db()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn employee(&self, account: AccountId, id: i64) -> DomainResult<Employee> {
        let mut conn = self.pool.acquire().await.db()?;
        employee_in(&mut conn, account, id).await
    }

    async fn employee_of_login(&self, account: AccountId, user: UserId) -> DomainResult<Option<i64>> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM employees WHERE account_id = $1 AND login_user_id = $2")
                .bind(account.0)
                .bind(user.0)
                .fetch_optional(&self.pool)
                .await
                .db()?;
        Ok(row.map(|r| r.0))
    }

    async fn create_employee(
        &self,
        account: AccountId,
        e: &NewEmployee,
        audit: NewAudit,
        now: Timestamp,
    ) -> DomainResult<Employee> {
        let mut tx = self.write_tx().await.db()?;
        let returning = EMPLOYEE_COLUMNS.replace("e.", "");
        let sql = format!(
            "INSERT INTO employees (account_id, {EMPLOYEE_FIELDS}, created_at, updated_at) VALUES ($1, $2, $3, $4, \
             $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16) RETURNING {returning}"
        );
        let q = sqlx::query_as::<_, EmployeeDbRow>(&sql).bind(account.0);
        let row = bind_employee(q, e, Some(e.absence_info.as_deref().unwrap_or("")))
            .bind(now.millis())
            .fetch_one(&mut *tx.tx)
            .await
            .db()?;
        insert_audit(&mut tx.tx, account, &audit).await.db()?;
        tx.commit().await.db()?;
        Ok(row.into())
    }

    async fn update_employee(
        &self,
        account: AccountId,
        id: i64,
        e: &NewEmployee,
        audit: NewAudit,
        now: Timestamp,
    ) -> DomainResult<Employee> {
        let mut tx = self.write_tx().await.db()?;
        let row = update_row(&mut tx.tx, account, id, e, now).await?;
        insert_audit(&mut tx.tx, account, &audit).await.db()?;
        tx.commit().await.db()?;
        Ok(row)
    }

    async fn delete_employee(&self, account: AccountId, id: i64, audit: NewAudit) -> DomainResult<Vec<String>> {
        let mut tx = self.write_tx().await.db()?;
        let cleared: Vec<(String,)> =
            sqlx::query_as("SELECT name FROM employees WHERE account_id = $1 AND deputy_id = $2 ORDER BY sort_key")
                .bind(account.0)
                .bind(id)
                .fetch_all(&mut *tx.tx)
                .await
                .db()?;
        sqlx::query("UPDATE employees SET deputy_id = NULL WHERE account_id = $1 AND deputy_id = $2")
            .bind(account.0)
            .bind(id)
            .execute(&mut *tx.tx)
            .await
            .db()?;
        let done = sqlx::query("DELETE FROM employees WHERE account_id = $1 AND id = $2")
            .bind(account.0)
            .bind(id)
            .execute(&mut *tx.tx)
            .await
            .db()?;
        if done.rows_affected() == 0 {
            return Err(DomainError::not_found("employee"));
        }
        let mut audit = audit;
        if !cleared.is_empty() {
            audit.detail = cleared.iter().map(|c| c.0.as_str()).collect::<Vec<_>>().join(", ");
        }
        insert_audit(&mut tx.tx, account, &audit).await.db()?;
        tx.commit().await.db()?;
        Ok(cleared.into_iter().map(|c| c.0).collect())
    }

    async fn deputy_of(&self, account: AccountId, id: i64) -> DomainResult<Vec<String>> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT name FROM employees WHERE account_id = $1 AND deputy_id = $2 ORDER BY sort_key")
                .bind(account.0)
                .bind(id)
                .fetch_all(&self.pool)
                .await
                .db()?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    async fn set_absence(
        &self,
        account: AccountId,
        id: i64,
        text: &str,
        audit: NewAudit,
        now: Timestamp,
    ) -> DomainResult<Employee> {
        let mut tx = self.write_tx().await.db()?;
        sqlx::query("UPDATE employees SET absence_info = $1, updated_at = $2 WHERE account_id = $3 AND id = $4")
            .bind(text)
            .bind(now.millis())
            .bind(account.0)
            .bind(id)
            .execute(&mut *tx.tx)
            .await
            .db()?;
        let e = employee_in(&mut tx.tx, account, id).await?;
        insert_audit(&mut tx.tx, account, &audit).await.db()?;
        tx.commit().await.db()?;
        Ok(e)
    }

    async fn create_login(
        &self,
        account: AccountId,
        employee: i64,
        user: &NewUser,
        mut token: NewToken,
        messages: Vec<NewMessage>,
        audit: NewAudit,
        now: Timestamp,
    ) -> DomainResult<User> {
        let mut tx = self.write_tx().await.db()?;
        let row = crate::identity::insert_user(&mut tx.tx, user, UserStatus::Invited, now)
            .await
            .db()?;
        let created: User = row.into();
        let linked = sqlx::query(
            "UPDATE employees SET login_user_id = $1 WHERE account_id = $2 AND id = $3 AND login_user_id IS NULL",
        )
        .bind(created.id.0)
        .bind(account.0)
        .bind(employee)
        .execute(&mut *tx.tx)
        .await
        .db()?;
        if linked.rows_affected() == 0 {
            return Err(DomainError::conflict("login", "employee_login_exists"));
        }
        token.user_id = Some(created.id);
        crate::portal::insert_token(&mut tx.tx, &token, now).await.db()?;
        crate::outbox::insert(&mut tx.tx, &messages, now).await.db()?;
        insert_audit(&mut tx.tx, account, &audit).await.db()?;
        tx.commit().await.db()?;
        Ok(created)
    }

    async fn import(
        &self,
        account: AccountId,
        upload: i64,
        plan: &ImportPlan,
        audit: NewAudit,
        now: Timestamp,
    ) -> DomainResult<()> {
        let mut tx = self.write_tx().await.db()?;
        let used = sqlx::query("DELETE FROM employee_uploads WHERE account_id = $1 AND id = $2")
            .bind(account.0)
            .bind(upload)
            .execute(&mut *tx.tx)
            .await
            .db()?;
        if used.rows_affected() == 0 {
            return Err(DomainError::not_found("import"));
        }
        // Multi-row statements: one round trip per batch instead of per row.
        for chunk in plan.creates.chunks(IMPORT_BATCH) {
            let sql = format!(
                "INSERT INTO employees (account_id, created_at, updated_at, {EMPLOYEE_FIELDS}) VALUES {}",
                values_list(chunk.len(), EMPLOYEE_FIELD_COUNT, 3, "$1, $2, $2, ")
            );
            let mut q = sqlx::query_as::<_, (i64,)>(&sql).bind(account.0).bind(now.millis());
            for e in chunk {
                q = bind_employee(q, e, Some(e.absence_info.as_deref().unwrap_or("")));
            }
            // query_as keeps one binding helper for both statement kinds; nothing is returned.
            q.fetch_optional(&mut *tx.tx).await.db()?;
        }
        for chunk in plan.updates.chunks(IMPORT_BATCH) {
            // VALUES columns are named column1… on both backends; column1 is
            // the id, then the fields in EMPLOYEE_FIELDS order. A NULL absence
            // (column not in the file) keeps the stored text.
            let sql = format!(
                "UPDATE employees SET name = v.column2, sort_key = v.column3, email = v.column4, cc = v.column5, \
                 position = v.column6, responsibility = v.column7, sms_enabled = v.column8, mobile = v.column9, \
                 deputy_id = v.column10, extension = v.column11, wants_transfer = v.column12, \
                 vip_transfer = v.column13, vip_sms = v.column14, \
                 absence_info = COALESCE(v.column15, employees.absence_info), updated_at = $2 \
                 FROM (VALUES {}) AS v WHERE employees.account_id = $1 AND employees.id = v.column1",
                values_list(chunk.len(), EMPLOYEE_FIELD_COUNT + 1, 3, "")
            );
            let mut q = sqlx::query_as::<_, (i64,)>(&sql).bind(account.0).bind(now.millis());
            for (id, e) in chunk {
                q = bind_employee(q.bind(*id), e, e.absence_info.as_deref());
            }
            q.fetch_optional(&mut *tx.tx).await.db()?;
        }
        if !plan.deputies.is_empty() {
            let ids: HashMap<String, i64> =
                sqlx::query_as::<_, (String, i64)>("SELECT email, id FROM employees WHERE account_id = $1")
                    .bind(account.0)
                    .fetch_all(&mut *tx.tx)
                    .await
                    .db()?
                    .into_iter()
                    .collect();
            let mut pairs = Vec::with_capacity(plan.deputies.len());
            for (email, deputy) in &plan.deputies {
                let Some(id) = ids.get(email) else {
                    return Err(DomainError::conflict("file", "import_outdated"));
                };
                pairs.push((*id, deputy.as_ref().and_then(|d| ids.get(d)).copied()));
            }
            for chunk in pairs.chunks(IMPORT_BATCH * 4) {
                let sql = format!(
                    "UPDATE employees SET deputy_id = v.column2 FROM (VALUES {}) AS v \
                     WHERE employees.account_id = $1 AND employees.id = v.column1",
                    values_list(chunk.len(), 2, 2, "")
                );
                let mut q = sqlx::query(&sql).bind(account.0);
                for (id, deputy) in chunk {
                    q = q.bind(*id).bind(*deputy);
                }
                q.execute(&mut *tx.tx).await.db()?;
            }
        }
        insert_audit(&mut tx.tx, account, &audit).await.db()?;
        tx.commit().await.db()
    }

    async fn save_upload(&self, account: AccountId, content: &str, stamp: &str, now: Timestamp) -> DomainResult<i64> {
        let mut tx = self.write_tx().await.db()?;
        // Uploads older than a day were abandoned.
        sqlx::query("DELETE FROM employee_uploads WHERE created_at < $1")
            .bind(now.millis() - 86_400_000)
            .execute(&mut *tx.tx)
            .await
            .db()?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO employee_uploads (account_id, content, stamp, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(account.0)
        .bind(content)
        .bind(stamp)
        .bind(now.millis())
        .fetch_one(&mut *tx.tx)
        .await
        .db()?;
        tx.commit().await.db()?;
        Ok(id)
    }

    async fn upload(&self, account: AccountId, id: i64) -> DomainResult<Option<(String, String)>> {
        sqlx::query_as("SELECT content, stamp FROM employee_uploads WHERE account_id = $1 AND id = $2")
            .bind(account.0)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .db()
    }

    async fn appointments(
        &self,
        account: AccountId,
        employee: i64,
        include_past: bool,
        now: Timestamp,
    ) -> DomainResult<Vec<Appointment>> {
        let rows: Vec<AppointmentRow> = sqlx::query_as(&format!(
            "{APPOINTMENT_SELECT} WHERE a.account_id = $1 AND a.employee_id = $2 AND ($3 = 1 OR a.ends_at > $4) \
             ORDER BY a.starts_at, a.id"
        ))
        .bind(account.0)
        .bind(employee)
        .bind(include_past as i64)
        .bind(now.millis())
        .fetch_all(&self.pool)
        .await
        .db()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn open_appointments(&self, account: AccountId, now: Timestamp) -> DomainResult<Vec<Appointment>> {
        let rows: Vec<AppointmentRow> = sqlx::query_as(&format!(
            "{APPOINTMENT_SELECT} WHERE a.account_id = $1 AND a.ends_at > $2 ORDER BY a.starts_at, a.id"
        ))
        .bind(account.0)
        .bind(now.millis())
        .fetch_all(&self.pool)
        .await
        .db()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn appointment(&self, account: AccountId, employee: i64, id: i64) -> DomainResult<Appointment> {
        let mut conn = self.pool.acquire().await.db()?;
        appointment_in(&mut conn, account, employee, id).await
    }

    async fn create_appointment(
        &self,
        account: AccountId,
        employee: i64,
        a: &NewAppointment,
        audit: NewAudit,
        now: Timestamp,
    ) -> DomainResult<Appointment> {
        let mut tx = self.write_tx().await.db()?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO appointments (account_id, employee_id, starts_at, ends_at, all_day, text, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(account.0)
        .bind(employee)
        .bind(a.starts_at.millis())
        .bind(a.ends_at.millis())
        .bind(a.all_day as i64)
        .bind(&a.text)
        .bind(now.millis())
        .fetch_one(&mut *tx.tx)
        .await
        .db()?;
        let created = appointment_in(&mut tx.tx, account, employee, id).await?;
        insert_audit(&mut tx.tx, account, &audit).await.db()?;
        tx.commit().await.db()?;
        Ok(created)
    }

    async fn update_appointment(
        &self,
        account: AccountId,
        employee: i64,
        id: i64,
        a: &NewAppointment,
        audit: NewAudit,
        _now: Timestamp,
    ) -> DomainResult<Appointment> {
        let mut tx = self.write_tx().await.db()?;
        let done = sqlx::query(
            "UPDATE appointments SET starts_at = $1, ends_at = $2, all_day = $3, text = $4 \
             WHERE account_id = $5 AND employee_id = $6 AND id = $7",
        )
        .bind(a.starts_at.millis())
        .bind(a.ends_at.millis())
        .bind(a.all_day as i64)
        .bind(&a.text)
        .bind(account.0)
        .bind(employee)
        .bind(id)
        .execute(&mut *tx.tx)
        .await
        .db()?;
        if done.rows_affected() == 0 {
            return Err(DomainError::not_found("appointment"));
        }
        let updated = appointment_in(&mut tx.tx, account, employee, id).await?;
        insert_audit(&mut tx.tx, account, &audit).await.db()?;
        tx.commit().await.db()?;
        Ok(updated)
    }

    async fn delete_appointment(
        &self,
        account: AccountId,
        employee: i64,
        id: i64,
        audit: NewAudit,
    ) -> DomainResult<()> {
        delete_audited(
            self,
            "DELETE FROM appointments WHERE account_id = $1 AND employee_id = $2 AND id = $3",
            &[account.0, employee, id],
            "appointment",
            account,
            &audit,
        )
        .await
    }

    async fn vips(&self, account: AccountId, employee: Option<i64>) -> DomainResult<Vec<Vip>> {
        let rows: Vec<VipRow> = sqlx::query_as(&format!(
            "{VIP_SELECT} WHERE v.account_id = $1 AND ($2 = 0 OR v.employee_id = $3) ORDER BY LOWER(v.name), v.id"
        ))
        .bind(account.0)
        .bind(employee.is_some() as i64)
        .bind(employee.unwrap_or(0))
        .fetch_all(&self.pool)
        .await
        .db()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn vip(&self, account: AccountId, id: i64) -> DomainResult<Vip> {
        let mut conn = self.pool.acquire().await.db()?;
        vip_in(&mut conn, account, id).await
    }

    async fn vips_by_phone(&self, account: AccountId, phone: &str) -> DomainResult<Vec<Vip>> {
        let rows: Vec<VipRow> = sqlx::query_as(&format!(
            "{VIP_SELECT} WHERE v.account_id = $1 AND v.phone = $2 \
             ORDER BY CASE WHEN v.employee_id IS NULL THEN 0 ELSE 1 END, v.id"
        ))
        .bind(account.0)
        .bind(phone)
        .fetch_all(&self.pool)
        .await
        .db()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn create_vip(&self, account: AccountId, v: &NewVip, audit: NewAudit) -> DomainResult<Vip> {
        let mut tx = self.write_tx().await.db()?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO vips (account_id, employee_id, phone, name, note) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(account.0)
        .bind(v.employee_id)
        .bind(&v.phone)
        .bind(&v.name)
        .bind(&v.note)
        .fetch_one(&mut *tx.tx)
        .await
        .db()?;
        let created = vip_in(&mut tx.tx, account, id).await?;
        insert_audit(&mut tx.tx, account, &audit).await.db()?;
        tx.commit().await.db()?;
        Ok(created)
    }

    async fn update_vip(&self, account: AccountId, id: i64, v: &NewVip, audit: NewAudit) -> DomainResult<Vip> {
        let mut tx = self.write_tx().await.db()?;
        let done = sqlx::query(
            "UPDATE vips SET employee_id = $1, phone = $2, name = $3, note = $4 WHERE account_id = $5 AND id = $6",
        )
        .bind(v.employee_id)
        .bind(&v.phone)
        .bind(&v.name)
        .bind(&v.note)
        .bind(account.0)
        .bind(id)
        .execute(&mut *tx.tx)
        .await
        .db()?;
        if done.rows_affected() == 0 {
            return Err(DomainError::not_found("vip"));
        }
        let updated = vip_in(&mut tx.tx, account, id).await?;
        insert_audit(&mut tx.tx, account, &audit).await.db()?;
        tx.commit().await.db()?;
        Ok(updated)
    }

    async fn delete_vip(&self, account: AccountId, id: i64, audit: NewAudit) -> DomainResult<()> {
        delete_audited(
            self,
            "DELETE FROM vips WHERE account_id = $1 AND id = $2",
            &[account.0, id],
            "vip",
            account,
            &audit,
        )
        .await
    }

    async fn faqs(&self, account: AccountId) -> DomainResult<Vec<Faq>> {
        let mut conn = self.pool.acquire().await.db()?;
        faqs_in(&mut conn, account).await
    }

    async fn create_faq(&self, account: AccountId, f: &FaqInput, audit: NewAudit) -> DomainResult<Faq> {
        let mut tx = self.write_tx().await.db()?;
        let row: FaqRow = sqlx::query_as(
            "INSERT INTO faqs (account_id, position, question, answer) VALUES ($1, \
             (SELECT COALESCE(MAX(position), 0) + 1 FROM faqs WHERE account_id = $1), $2, $3) \
             RETURNING id, position, question, answer",
        )
        .bind(account.0)
        .bind(&f.question)
        .bind(&f.answer)
        .fetch_one(&mut *tx.tx)
        .await
        .db()?;
        insert_audit(&mut tx.tx, account, &audit).await.db()?;
        tx.commit().await.db()?;
        Ok(row.into())
    }

    async fn update_faq(&self, account: AccountId, id: i64, f: &FaqInput, audit: NewAudit) -> DomainResult<Faq> {
        let mut tx = self.write_tx().await.db()?;
        let row: Option<FaqRow> = sqlx::query_as(
            "UPDATE faqs SET question = $1, answer = $2 WHERE account_id = $3 AND id = $4 \
             RETURNING id, position, question, answer",
        )
        .bind(&f.question)
        .bind(&f.answer)
        .bind(account.0)
        .bind(id)
        .fetch_optional(&mut *tx.tx)
        .await
        .db()?;
        let row = row.ok_or(DomainError::not_found("faq"))?;
        insert_audit(&mut tx.tx, account, &audit).await.db()?;
        tx.commit().await.db()?;
        Ok(row.into())
    }

    async fn delete_faq(&self, account: AccountId, id: i64, audit: NewAudit) -> DomainResult<()> {
        delete_audited(
            self,
            "DELETE FROM faqs WHERE account_id = $1 AND id = $2",
            &[account.0, id],
            "faq",
            account,
            &audit,
        )
        .await
    }

    async fn reorder_faqs(&self, account: AccountId, ids: &[i64], audit: NewAudit) -> DomainResult<Vec<Faq>> {
        let mut tx = self.write_tx().await.db()?;
        for (pos, id) in ids.iter().enumerate() {
            sqlx::query("UPDATE faqs SET position = $1 WHERE account_id = $2 AND id = $3")
                .bind(pos as i64 + 1)
                .bind(account.0)
                .bind(*id)
                .execute(&mut *tx.tx)
                .await
                .db()?;
        }
        insert_audit(&mut tx.tx, account, &audit).await.db()?;
        let faqs = faqs_in(&mut tx.tx, account).await?;
        tx.commit().await.db()?;
        Ok(faqs)
    }

    async fn audit(&self, account: AccountId, limit: i64, offset: i64) -> DomainResult<AuditPage> {
        let rows: Vec<AuditRow> = sqlx::query_as(
            "SELECT id, at, actor_id, actor_name, action, subject, detail FROM audit_log WHERE account_id = $1 \
             ORDER BY at DESC, id DESC LIMIT $2 OFFSET $3",
        )
        .bind(account.0)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .db()?;
        let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE account_id = $1")
            .bind(account.0)
            .fetch_one(&self.pool)
            .await
            .db()?;
        Ok(AuditPage {
            items: rows
                .into_iter()
                .map(|r| AuditEntry {
                    id: r.id,
                    at: Timestamp(r.at),
                    actor_id: r.actor_id.map(UserId),
                    actor_name: r.actor_name,
                    action: r.action,
                    subject: r.subject,
                    detail: r.detail,
                })
                .collect(),
            total,
        })
    }
}

/// `(p, p+1, …), (…)`: `rows` tuples of `cols` placeholders numbered from
/// `first`, each tuple starting with `prefix` (fixed leading values).
fn values_list(rows: usize, cols: usize, first: usize, prefix: &str) -> String {
    let mut sql = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        sql.push_str(prefix);
        for c in 0..cols {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", first + r * cols + c));
        }
        sql.push(')');
    }
    sql
}

/// Runs a DELETE of one tenant row (`ids` bound as $1, $2, …) and records
/// the audit entry in the same transaction; NotFound when nothing matched.
async fn delete_audited(
    db: &Db,
    sql: &str,
    ids: &[i64],
    what: &'static str,
    account: AccountId,
    audit: &NewAudit,
) -> DomainResult<()> {
    let mut tx = db.write_tx().await.db()?;
    let mut q = sqlx::query(sql);
    for id in ids {
        q = q.bind(*id);
    }
    let done = q.execute(&mut *tx.tx).await.db()?;
    if done.rows_affected() == 0 {
        return Err(DomainError::not_found(what));
    }
    insert_audit(&mut tx.tx, account, audit).await.db()?;
    tx.commit().await.db()
}

/// Replaces an employee's fields; a None absence info keeps the stored one.
async fn update_row(
    conn: &mut AnyConnection,
    account: AccountId,
    id: i64,
    e: &NewEmployee,
    now: Timestamp,
) -> DomainResult<Employee> {
    let returning = EMPLOYEE_COLUMNS.replace("e.", "");
    let sql = format!(
        "UPDATE employees SET name = $1, sort_key = $2, email = $3, cc = $4, position = $5, responsibility = $6, \
         sms_enabled = $7, mobile = $8, deputy_id = $9, extension = $10, wants_transfer = $11, vip_transfer = $12, \
         vip_sms = $13, absence_info = COALESCE($14, absence_info), updated_at = $15 WHERE account_id = $16 AND id = $17 \
         RETURNING {returning}"
    );
    let row: Option<EmployeeDbRow> = bind_employee(sqlx::query_as(&sql), e, e.absence_info.as_deref())
        .bind(now.millis())
        .bind(account.0)
        .bind(id)
        .fetch_optional(conn)
        .await
        .db()?;
    row.map(Into::into).ok_or(DomainError::not_found("employee"))
}

async fn appointment_in(
    conn: &mut AnyConnection,
    account: AccountId,
    employee: i64,
    id: i64,
) -> DomainResult<Appointment> {
    let row: Option<AppointmentRow> = sqlx::query_as(&format!(
        "{APPOINTMENT_SELECT} WHERE a.account_id = $1 AND a.employee_id = $2 AND a.id = $3"
    ))
    .bind(account.0)
    .bind(employee)
    .bind(id)
    .fetch_optional(conn)
    .await
    .db()?;
    row.map(Into::into).ok_or(DomainError::not_found("appointment"))
}

async fn vip_in(conn: &mut AnyConnection, account: AccountId, id: i64) -> DomainResult<Vip> {
    let row: Option<VipRow> = sqlx::query_as(&format!("{VIP_SELECT} WHERE v.account_id = $1 AND v.id = $2"))
        .bind(account.0)
        .bind(id)
        .fetch_optional(conn)
        .await
        .db()?;
    row.map(Into::into).ok_or(DomainError::not_found("vip"))
}
