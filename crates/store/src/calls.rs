use async_trait::async_trait;
use domain::calls::stats::{EmployeeCount, OffsetSegment};
use domain::calls::{
    ApiToken, Call, CallPage, CallStatus, CallStore, ExtraAnswer, NewCall, NewNote, Note, Outcome, ServiceNumber,
};
use domain::outbox::NewMessage;
use kernel::{AccountId, DomainError, DomainResult, Timestamp, UserId};
use sqlx::AnyConnection;

use crate::db::Db;
use crate::error::MapDb;

const CALL_SELECT: &str = "SELECT c.id, c.account_id, a.name AS account_name, a.customer_number, c.service_number, \
    c.caller_id, c.received_at, c.source, c.status, c.agent_id, c.agent_name, c.employee_id, c.employee_name, \
    c.outcome, c.vip, c.caller_name, c.summary, c.note_id FROM calls c JOIN accounts a ON a.id = c.account_id";

const NOTE_COLUMNS: &str = "n.id, n.call_id, n.corrects_id, n.created_at, n.agent_name, n.employee_id, \
    n.employee_name, n.outcome, n.connected_to, n.caller_name, n.company, n.phone, n.concern, n.extra";

#[derive(sqlx::FromRow)]
struct CallRow {
    id: i64,
    account_id: i64,
    account_name: String,
    customer_number: String,
    service_number: String,
    caller_id: String,
    received_at: i64,
    source: String,
    status: String,
    agent_id: Option<i64>,
    agent_name: String,
    employee_id: Option<i64>,
    employee_name: String,
    outcome: Option<String>,
    vip: i64,
    caller_name: String,
    summary: String,
    note_id: Option<i64>,
}

impl From<CallRow> for Call {
    fn from(r: CallRow) -> Self {
        Call {
            id: r.id,
            account_id: AccountId(r.account_id),
            account_name: r.account_name,
            customer_number: r.customer_number,
            service_number: r.service_number,
            caller_id: r.caller_id,
            received_at: Timestamp(r.received_at),
            source: r.source,
            status: CallStatus::parse(&r.status),
            agent_id: r.agent_id.map(UserId),
            agent_name: r.agent_name,
            employee_id: r.employee_id,
            employee_name: r.employee_name,
            outcome: r.outcome.as_deref().and_then(Outcome::parse),
            vip: r.vip != 0,
            caller_name: r.caller_name,
            summary: r.summary,
            note_id: r.note_id,
        }
    }
}

#[derive(sqlx::FromRow)]
struct NoteRow {
    id: i64,
    call_id: i64,
    corrects_id: Option<i64>,
    created_at: i64,
    agent_name: String,
    employee_id: Option<i64>,
    employee_name: String,
    outcome: String,
    connected_to: String,
    caller_name: String,
    company: String,
    phone: String,
    concern: String,
    extra: String,
}

impl From<NoteRow> for Note {
    fn from(r: NoteRow) -> Self {
        Note {
            id: r.id,
            call_id: r.call_id,
            corrects_id: r.corrects_id,
            created_at: Timestamp(r.created_at),
            agent_name: r.agent_name,
            employee_id: r.employee_id,
            employee_name: r.employee_name,
            outcome: Outcome::parse(&r.outcome).unwrap_or(Outcome::Message),
            connected_to: r.connected_to,
            caller_name: r.caller_name,
            company: r.company,
            phone: r.phone,
            concern: r.concern,
            extra: serde_json::from_str::<Vec<ExtraAnswer>>(&r.extra).unwrap_or_default(),
        }
    }
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: i64,
    name: String,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl From<TokenRow> for ApiToken {
    fn from(r: TokenRow) -> Self {
        ApiToken {
            id: r.id,
            name: r.name,
            created_at: Timestamp(r.created_at),
            last_used_at: r.last_used_at.map(Timestamp),
            revoked_at: r.revoked_at.map(Timestamp),
        }
    }
}

const TOKEN_COLUMNS: &str = "id, name, created_at, last_used_at, revoked_at";

async fn call_in(conn: &mut AnyConnection, id: i64) -> DomainResult<Call> {
    let row: Option<CallRow> = sqlx::query_as(&format!("{CALL_SELECT} WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
        .db()?;
    row.map(Into::into).ok_or(DomainError::not_found("call"))
}

/// Inserts a note and makes it the call's latest; returns the note id.
async fn insert_note(conn: &mut AnyConnection, call: i64, n: &NewNote, now: Timestamp) -> DomainResult<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO call_notes (call_id, account_id, corrects_id, created_at, agent_id, agent_name, employee_id, \
         employee_name, outcome, connected_to, caller_name, company, phone, concern, extra) \
         SELECT id, account_id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 FROM calls WHERE id = $1 \
         RETURNING id",
    )
    .bind(call)
    .bind(n.corrects_id)
    .bind(now.millis())
    .bind(n.agent_id.0)
    .bind(&n.agent_name)
    .bind(n.employee_id)
    .bind(&n.employee_name)
    .bind(n.outcome.as_str())
    .bind(&n.connected_to)
    .bind(&n.caller_name)
    .bind(&n.company)
    .bind(&n.phone)
    .bind(&n.concern)
    .bind(serde_json::to_string(&n.extra).unwrap_or_else(|_| "[]".into()))
    .fetch_one(&mut *conn)
    .await
    .db()?;
    Ok(id)
}

impl Db {
    #[allow(clippy::too_many_arguments)]
    /// Writes a note and its messages and makes the call done, provided
    /// the call matches `condition` (with `condition_value` as `$10`);
    /// otherwise nothing is written and `refused` is returned.
    async fn store_note(
        &self,
        id: i64,
        note: &NewNote,
        summary: &str,
        messages: Vec<NewMessage>,
        now: Timestamp,
        condition: &str,
        condition_value: i64,
        refused: DomainError,
    ) -> DomainResult<Call> {
        let mut tx = self.write_tx().await.db()?;
        let note_id = insert_note(&mut tx.tx, id, note, now).await?;
        let done = sqlx::query(&format!(
            "UPDATE calls SET status = 'done', closed_at = COALESCE(closed_at, $1), employee_id = $2, \
             employee_name = $3, outcome = $4, vip = $5, caller_name = $6, summary = $7, note_id = $8 \
             WHERE id = $9 AND {condition}"
        ))
        .bind(now.millis())
        .bind(note.employee_id)
        .bind(&note.employee_name)
        .bind(note.outcome.as_str())
        .bind(note.vip as i64)
        .bind(&note.caller_name)
        .bind(summary)
        .bind(note_id)
        .bind(id)
        .bind(condition_value)
        .execute(&mut *tx.tx)
        .await
        .db()?;
        if done.rows_affected() != 1 {
            return Err(refused);
        }
        crate::outbox::insert(&mut tx.tx, &messages, now).await.db()?;
        let call = call_in(&mut tx.tx, id).await?;
        tx.commit().await.db()?;
        Ok(call)
    }
}

#[async_trait]
impl CallStore for Db {
    async fn account_of_number(&self, number: &str) -> DomainResult<Option<AccountId>> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT account_id FROM service_numbers WHERE number = $1")
            .bind(number)
            .fetch_optional(&self.pool)
            .await
            .db()?;
        Ok(row.map(|r| AccountId(r.0)))
    }

    async fn first_number(&self, account: AccountId) -> DomainResult<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT number FROM service_numbers WHERE account_id = $1 ORDER BY created_at, number LIMIT 1",
        )
        .bind(account.0)
        .fetch_optional(&self.pool)
        .await
        .db()?;
        Ok(row.map(|r| r.0))
    }

    async fn create_call(&self, c: &NewCall) -> DomainResult<Call> {
        let mut tx = self.write_tx().await.db()?;
        let (status, agent, name, claimed) = match &c.agent {
            Some((id, name)) => ("claimed", Some(id.0), name.as_str(), Some(c.received_at.millis())),
            None => ("queued", None, "", None),
        };
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO calls (account_id, service_number, caller_id, received_at, source, status, agent_id, \
             agent_name, claimed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(c.account_id.0)
        .bind(&c.service_number)
        .bind(&c.caller_id)
        .bind(c.received_at.millis())
        .bind(c.source)
        .bind(status)
        .bind(agent)
        .bind(name)
        .bind(claimed)
        .fetch_one(&mut *tx.tx)
        .await
        .db()?;
        let call = call_in(&mut tx.tx, id).await?;
        tx.commit().await.db()?;
        Ok(call)
    }

    async fn call(&self, id: i64) -> DomainResult<Call> {
        let mut conn = self.pool.acquire().await.db()?;
        call_in(&mut conn, id).await
    }

    async fn call_and_version(&self, id: i64) -> DomainResult<(Call, i64)> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            call: CallRow,
            version: i64,
        }
        let select = CALL_SELECT.replace(
            " FROM calls c",
            ", (SELECT COALESCE(MAX(l.id), 0) FROM audit_log l WHERE l.account_id = c.account_id) AS version FROM calls c",
        );
        let row: Option<Row> = sqlx::query_as(&format!("{select} WHERE c.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .db()?;
        row.map(|r| (r.call.into(), r.version))
            .ok_or(DomainError::not_found("call"))
    }

    async fn account_call(&self, account: AccountId, id: i64) -> DomainResult<Call> {
        let row: Option<CallRow> = sqlx::query_as(&format!("{CALL_SELECT} WHERE c.id = $1 AND c.account_id = $2"))
            .bind(id)
            .bind(account.0)
            .fetch_optional(&self.pool)
            .await
            .db()?;
        row.map(Into::into).ok_or(DomainError::not_found("call"))
    }

    async fn open_calls(&self) -> DomainResult<Vec<Call>> {
        let rows: Vec<CallRow> = sqlx::query_as(&format!(
            "{CALL_SELECT} WHERE c.status IN ('queued', 'claimed') ORDER BY c.received_at, c.id LIMIT 500"
        ))
        .fetch_all(&self.pool)
        .await
        .db()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn claim(&self, id: i64, agent: UserId, agent_name: &str, now: Timestamp) -> DomainResult<Call> {
        let mut tx = self.write_tx().await.db()?;
        // The status condition makes the claim atomic: of two agents, the
        // second finds the row no longer queued (PostgreSQL re-checks the
        // condition after the first commits; SQLite has one writer).
        let done = sqlx::query(
            "UPDATE calls SET status = 'claimed', agent_id = $1, agent_name = $2, claimed_at = $3 \
             WHERE id = $4 AND status = 'queued'",
        )
        .bind(agent.0)
        .bind(agent_name)
        .bind(now.millis())
        .bind(id)
        .execute(&mut *tx.tx)
        .await
        .db()?;
        let call = call_in(&mut tx.tx, id).await?;
        if done.rows_affected() != 1 {
            return Err(DomainError::conflict("call", "call_taken"));
        }
        tx.commit().await.db()?;
        Ok(call)
    }

    async fn release(&self, id: i64, agent: UserId) -> DomainResult<Call> {
        let mut tx = self.write_tx().await.db()?;
        let done = sqlx::query(
            "UPDATE calls SET status = 'queued', agent_id = NULL, agent_name = '', claimed_at = NULL \
             WHERE id = $1 AND status = 'claimed' AND agent_id = $2",
        )
        .bind(id)
        .bind(agent.0)
        .execute(&mut *tx.tx)
        .await
        .db()?;
        let call = call_in(&mut tx.tx, id).await?;
        if done.rows_affected() != 1 {
            return Err(DomainError::conflict("call", "call_not_yours"));
        }
        tx.commit().await.db()?;
        Ok(call)
    }

    async fn finish(
        &self,
        id: i64,
        note: &NewNote,
        summary: &str,
        messages: Vec<NewMessage>,
        now: Timestamp,
    ) -> DomainResult<Call> {
        self.store_note(
            id,
            note,
            summary,
            messages,
            now,
            "status = 'claimed' AND agent_id = $10",
            note.agent_id.0,
            DomainError::conflict("call", "call_not_yours"),
        )
        .await
    }

    async fn correct(
        &self,
        id: i64,
        note: &NewNote,
        summary: &str,
        messages: Vec<NewMessage>,
        now: Timestamp,
    ) -> DomainResult<Call> {
        // Only the latest note can be corrected: two corrections of the same
        // note at once leave one of them refused.
        self.store_note(
            id,
            note,
            summary,
            messages,
            now,
            "status = 'done' AND note_id = $10",
            note.corrects_id.unwrap_or(-1),
            DomainError::conflict("call", "note_outdated"),
        )
        .await
    }

    async fn notes(&self, id: i64) -> DomainResult<Vec<Note>> {
        let rows: Vec<NoteRow> = sqlx::query_as(&format!(
            "SELECT {NOTE_COLUMNS} FROM call_notes n WHERE n.call_id = $1 ORDER BY n.id"
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .db()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn latest(&self, account: AccountId, limit: i64) -> DomainResult<Vec<Call>> {
        let rows: Vec<CallRow> = sqlx::query_as(&format!(
            "{CALL_SELECT} WHERE c.account_id = $1 AND c.status = 'done' ORDER BY c.received_at DESC, c.id DESC LIMIT $2"
        ))
        .bind(account.0)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .db()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn calls(
        &self,
        account: AccountId,
        start: Timestamp,
        end: Timestamp,
        limit: i64,
        offset: i64,
    ) -> DomainResult<CallPage> {
        // The page's ids come from the index alone (skipped rows cost no
        // table reads); only the 50 rows shown are read in full.
        let select = CALL_SELECT.replace(
            " FROM calls c",
            " FROM (SELECT p.id FROM calls p WHERE p.account_id = $1 AND p.status = 'done' AND p.received_at >= $2 \
             AND p.received_at < $3 ORDER BY p.received_at DESC, p.id DESC LIMIT $4 OFFSET $5) page \
             JOIN calls c ON c.id = page.id",
        );
        let rows: Vec<CallRow> = sqlx::query_as(&format!("{select} ORDER BY c.received_at DESC, c.id DESC"))
            .bind(account.0)
            .bind(start.millis())
            .bind(end.millis())
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await
            .db()?;
        let (total,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM calls c WHERE c.account_id = $1 AND c.status = 'done' \
             AND c.received_at >= $2 AND c.received_at < $3",
        )
        .bind(account.0)
        .bind(start.millis())
        .bind(end.millis())
        .fetch_one(&self.pool)
        .await
        .db()?;
        Ok(CallPage {
            items: rows.into_iter().map(Into::into).collect(),
            total,
        })
    }

    async fn counts(
        &self,
        account: AccountId,
        start: Timestamp,
        end: Timestamp,
        segments: &[OffsetSegment],
    ) -> DomainResult<(Vec<(i64, Outcome, i64)>, Vec<EmployeeCount>)> {
        // The local day: instant plus the offset of its segment, in whole days.
        let last = 4 + 2 * segments.len().saturating_sub(1);
        let offset = if segments.len() <= 1 {
            format!("${last}")
        } else {
            let mut case = String::from("CASE");
            for i in 0..segments.len() - 1 {
                case.push_str(&format!(" WHEN c.received_at < ${} THEN ${}", 4 + 2 * i, 5 + 2 * i));
            }
            format!("{case} ELSE ${last} END")
        };
        let sql = format!(
            "SELECT (c.received_at + {offset}) / 86400000 AS d, c.outcome, COUNT(*) FROM calls c \
             WHERE c.account_id = $1 AND c.status = 'done' AND c.received_at >= $2 AND c.received_at < $3 \
             GROUP BY d, c.outcome"
        );
        let mut q = sqlx::query_as(&sql)
            .bind(account.0)
            .bind(start.millis())
            .bind(end.millis());
        for (i, seg) in segments.iter().enumerate() {
            if i + 1 < segments.len() {
                q = q.bind(seg.until);
            }
            q = q.bind(seg.offset_ms);
        }
        let days: Vec<(i64, String, i64)> = q.fetch_all(&self.pool).await.db()?;
        let people: Vec<(Option<i64>, i64)> = sqlx::query_as(
            "SELECT c.employee_id, COUNT(*) FROM calls c \
             WHERE c.account_id = $1 AND c.status = 'done' AND c.received_at >= $2 AND c.received_at < $3 \
             GROUP BY c.employee_id",
        )
        .bind(account.0)
        .bind(start.millis())
        .bind(end.millis())
        .fetch_all(&self.pool)
        .await
        .db()?;
        let names: std::collections::HashMap<i64, String> =
            sqlx::query_as::<_, (i64, String)>("SELECT id, name FROM employees WHERE account_id = $1")
                .bind(account.0)
                .fetch_all(&self.pool)
                .await
                .db()?
                .into_iter()
                .collect();
        Ok((
            days.into_iter()
                .filter_map(|(d, o, n)| Outcome::parse(&o).map(|o| (d, o, n)))
                .collect(),
            people
                .into_iter()
                .map(|(employee_id, count)| EmployeeCount {
                    name: employee_id.and_then(|e| names.get(&e).cloned()).unwrap_or_default(),
                    employee_id,
                    count,
                })
                .collect(),
        ))
    }

    async fn export(
        &self,
        account: AccountId,
        start: Timestamp,
        end: Timestamp,
    ) -> DomainResult<Vec<(Call, Option<Note>)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            call: CallRow,
            n_id: Option<i64>,
            n_corrects_id: Option<i64>,
            n_created_at: Option<i64>,
            n_agent_name: Option<String>,
            n_employee_id: Option<i64>,
            n_employee_name: Option<String>,
            n_outcome: Option<String>,
            n_connected_to: Option<String>,
            n_caller_name: Option<String>,
            n_company: Option<String>,
            n_phone: Option<String>,
            n_concern: Option<String>,
            n_extra: Option<String>,
        }
        let select = CALL_SELECT.replace(
            " FROM calls c",
            ", n.id AS n_id, n.corrects_id AS n_corrects_id, n.created_at AS n_created_at, \
             n.agent_name AS n_agent_name, n.employee_id AS n_employee_id, n.employee_name AS n_employee_name, \
             n.outcome AS n_outcome, n.connected_to AS n_connected_to, n.caller_name AS n_caller_name, \
             n.company AS n_company, n.phone AS n_phone, n.concern AS n_concern, n.extra AS n_extra FROM calls c",
        );
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "{select} LEFT JOIN call_notes n ON n.id = c.note_id WHERE c.account_id = $1 AND c.status = 'done' \
             AND c.received_at >= $2 AND c.received_at < $3 ORDER BY c.received_at, c.id"
        ))
        .bind(account.0)
        .bind(start.millis())
        .bind(end.millis())
        .fetch_all(&self.pool)
        .await
        .db()?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let note = r.n_id.map(|id| {
                    Note::from(NoteRow {
                        id,
                        call_id: r.call.id,
                        corrects_id: r.n_corrects_id,
                        created_at: r.n_created_at.unwrap_or_default(),
                        agent_name: r.n_agent_name.unwrap_or_default(),
                        employee_id: r.n_employee_id,
                        employee_name: r.n_employee_name.unwrap_or_default(),
                        outcome: r.n_outcome.unwrap_or_default(),
                        connected_to: r.n_connected_to.unwrap_or_default(),
                        caller_name: r.n_caller_name.unwrap_or_default(),
                        company: r.n_company.unwrap_or_default(),
                        phone: r.n_phone.unwrap_or_default(),
                        concern: r.n_concern.unwrap_or_default(),
                        extra: r.n_extra.unwrap_or_default(),
                    })
                });
                (Call::from(r.call), note)
            })
            .collect())
    }

    async fn service_numbers(&self, account: AccountId) -> DomainResult<Vec<ServiceNumber>> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT number, created_at FROM service_numbers WHERE account_id = $1 ORDER BY number")
                .bind(account.0)
                .fetch_all(&self.pool)
                .await
                .db()?;
        Ok(rows
            .into_iter()
            .map(|(number, at)| ServiceNumber {
                number,
                account_id: account,
                created_at: Timestamp(at),
            })
            .collect())
    }

    async fn add_service_number(
        &self,
        account: AccountId,
        number: &str,
        now: Timestamp,
    ) -> DomainResult<ServiceNumber> {
        let _guard = self.write_guard().await;
        sqlx::query("INSERT INTO service_numbers (number, account_id, created_at) VALUES ($1, $2, $3)")
            .bind(number)
            .bind(account.0)
            .bind(now.millis())
            .execute(&self.pool)
            .await
            .db()?;
        Ok(ServiceNumber {
            number: number.to_string(),
            account_id: account,
            created_at: now,
        })
    }

    async fn remove_service_number(&self, account: AccountId, number: &str) -> DomainResult<()> {
        let _guard = self.write_guard().await;
        let done = sqlx::query("DELETE FROM service_numbers WHERE number = $1 AND account_id = $2")
            .bind(number)
            .bind(account.0)
            .execute(&self.pool)
            .await
            .db()?;
        if done.rows_affected() == 0 {
            return Err(DomainError::not_found("service_number"));
        }
        Ok(())
    }

    async fn api_tokens(&self) -> DomainResult<Vec<ApiToken>> {
        let rows: Vec<TokenRow> = sqlx::query_as(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY revoked_at IS NOT NULL, id DESC"
        ))
        .fetch_all(&self.pool)
        .await
        .db()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn create_api_token(&self, name: &str, hash: &str, by: UserId, now: Timestamp) -> DomainResult<ApiToken> {
        let _guard = self.write_guard().await;
        let row: TokenRow = sqlx::query_as(&format!(
            "INSERT INTO api_tokens (name, token_hash, created_by, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING {TOKEN_COLUMNS}"
        ))
        .bind(name)
        .bind(hash)
        .bind(by.0)
        .bind(now.millis())
        .fetch_one(&self.pool)
        .await
        .db()?;
        Ok(row.into())
    }

    async fn revoke_api_token(&self, id: i64, now: Timestamp) -> DomainResult<ApiToken> {
        let _guard = self.write_guard().await;
        let row: Option<TokenRow> = sqlx::query_as(&format!(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 RETURNING {TOKEN_COLUMNS}"
        ))
        .bind(now.millis())
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .db()?;
        row.map(Into::into).ok_or(DomainError::not_found("api_token"))
    }

    async fn use_api_token(&self, hash: &str, now: Timestamp) -> DomainResult<Option<ApiToken>> {
        let row: Option<TokenRow> = sqlx::query_as(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL"
        ))
        .bind(hash)
        .fetch_optional(&self.pool)
        .await
        .db()?;
        if let Some(t) = &row {
            // "Last used" to the minute is enough and spares a write per call.
            if t.last_used_at.is_none_or(|at| now.millis() - at > 60_000) {
                let _guard = self.write_guard().await;
                sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                    .bind(now.millis())
                    .bind(t.id)
                    .execute(&self.pool)
                    .await
                    .db()?;
            }
        }
        Ok(row.map(Into::into))
    }
}
