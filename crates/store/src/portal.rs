use async_trait::async_trait;
use domain::identity::tokens::{NewToken, TokenKind, TokenState};
use domain::identity::{AccountRole, NewUser, User, UserStatus};
use domain::outbox::NewMessage;
use domain::portal::{
    AccountUser, Consent, NewConsent, NewRegistration, PortalStore, Registration, RegistrationStatus, MARKETING_VERSION,
};
use kernel::{AccountId, DomainError, DomainResult, Lang, Timestamp, UserId};
use sqlx::AnyConnection;

use crate::db::Db;
use crate::error::MapDb;
use crate::identity::{insert_user, Row as UserRow, COLUMNS as USER_COLUMNS};

const REG_COLUMNS: &str = "id, account_id, email, first_name, last_name, language, status, marketing_version, \
                           created_at, confirmed_at, decided_at, reject_reason";

#[derive(sqlx::FromRow)]
struct RegRow {
    id: i64,
    account_id: i64,
    email: String,
    first_name: String,
    last_name: String,
    language: String,
    status: String,
    marketing_version: Option<String>,
    created_at: i64,
    confirmed_at: Option<i64>,
    decided_at: Option<i64>,
    reject_reason: Option<String>,
}

impl From<RegRow> for Registration {
    fn from(r: RegRow) -> Self {
        Registration {
            id: r.id,
            account_id: AccountId(r.account_id),
            email: r.email,
            first_name: r.first_name,
            last_name: r.last_name,
            language: Lang::parse(&r.language).unwrap_or_default(),
            status: RegistrationStatus::parse(&r.status),
            marketing_consent: r.marketing_version.is_some(),
            created_at: Timestamp(r.created_at),
            confirmed_at: r.confirmed_at.map(Timestamp),
            decided_at: r.decided_at.map(Timestamp),
            reject_reason: r.reject_reason,
        }
    }
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    #[sqlx(flatten)]
    user: UserRow,
    role: String,
}

impl From<MemberRow> for AccountUser {
    fn from(r: MemberRow) -> Self {
        AccountUser {
            user: r.user.into(),
            role: AccountRole::parse(&r.role).unwrap_or(AccountRole::Member),
        }
    }
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    kind: String,
    user_id: Option<i64>,
    registration_id: Option<i64>,
    expires_at: i64,
    used_at: Option<i64>,
}

fn state_of(row: Option<TokenRow>, kinds: &[TokenKind], now: Timestamp) -> TokenState {
    match row {
        Some(t) if kinds.iter().any(|k| k.as_str() == t.kind) => {
            if t.used_at.is_some() {
                TokenState::Used
            } else if t.expires_at <= now.millis() {
                TokenState::Expired
            } else {
                TokenState::Valid {
                    user_id: t.user_id.map(UserId),
                    registration_id: t.registration_id,
                }
            }
        }
        _ => TokenState::Unknown,
    }
}

async fn token_row(conn: &mut AnyConnection, hash: &str) -> Result<Option<TokenRow>, sqlx::Error> {
    sqlx::query_as("SELECT kind, user_id, registration_id, expires_at, used_at FROM tokens WHERE token_hash = $1")
        .bind(hash)
        .fetch_optional(&mut *conn)
        .await
}

/// Marks a token used, inside the caller's transaction: succeeds once.
async fn use_token(
    conn: &mut AnyConnection,
    hash: &str,
    kinds: &[TokenKind],
    now: Timestamp,
) -> DomainResult<(Option<UserId>, Option<i64>)> {
    let row = token_row(conn, hash).await.db()?;
    let (user_id, registration_id) = match state_of(row, kinds, now) {
        TokenState::Valid {
            user_id,
            registration_id,
        } => (user_id, registration_id),
        other => return Err(domain::portal::link_error(&other)),
    };
    let done = sqlx::query("UPDATE tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL")
        .bind(now.millis())
        .bind(hash)
        .execute(&mut *conn)
        .await
        .db()?;
    if done.rows_affected() != 1 {
        return Err(DomainError::Unauthenticated { code: "link_used" });
    }
    Ok((user_id, registration_id))
}

pub(crate) async fn insert_token(conn: &mut AnyConnection, t: &NewToken, now: Timestamp) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO tokens (token_hash, kind, user_id, registration_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&t.hash)
    .bind(t.kind.as_str())
    .bind(t.user_id.map(|u| u.0))
    .bind(t.registration_id)
    .bind(now.millis())
    .bind(t.expires_at.millis())
    .execute(&mut *conn)
    .await
    .map(|_| ())
}

async fn insert_consents(
    conn: &mut AnyConnection,
    user: Option<UserId>,
    registration: Option<i64>,
    consents: &[NewConsent],
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    for c in consents {
        sqlx::query(
            "INSERT INTO consents (user_id, registration_id, kind, version, given_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(user.map(|u| u.0))
        .bind(registration)
        .bind(c.kind)
        .bind(c.version)
        .bind(now.millis())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

impl Db {
    async fn registration_in(
        &self,
        conn: &mut AnyConnection,
        account: AccountId,
        id: i64,
    ) -> DomainResult<Registration> {
        let row: Option<RegRow> = sqlx::query_as(&format!(
            "SELECT {REG_COLUMNS} FROM registrations WHERE id = $1 AND account_id = $2"
        ))
        .bind(id)
        .bind(account.0)
        .fetch_optional(&mut *conn)
        .await
        .db()?;
        row.map(Into::into).ok_or(DomainError::not_found("registration"))
    }
}

#[async_trait]
impl PortalStore for Db {
    async fn account_by_pair(&self, customer_number: &str, postal_code: &str) -> DomainResult<Option<AccountId>> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM accounts WHERE customer_number = $1 AND UPPER(postal_code) = $2 AND status = 'active'",
        )
        .bind(customer_number)
        .bind(postal_code)
        .fetch_optional(&self.pool)
        .await
        .db()?;
        Ok(row.map(|(id,)| AccountId(id)))
    }

    async fn email_in_use(&self, email_normalized: &str, since: Timestamp) -> DomainResult<bool> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM users WHERE email_normalized = $1) + \
                    (SELECT COUNT(*) FROM registrations WHERE email_normalized = $1 AND \
                       (status = 'pending_approval' OR (status = 'unconfirmed' AND created_at > $2)))",
        )
        .bind(email_normalized)
        .bind(since.millis())
        .fetch_one(&self.pool)
        .await
        .db()?;
        Ok(n > 0)
    }

    async fn create_registration(
        &self,
        reg: &NewRegistration,
        consents: &[NewConsent],
        mut token: NewToken,
        messages: Vec<NewMessage>,
        now: Timestamp,
    ) -> DomainResult<i64> {
        let mut tx = self.write_tx().await.db()?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO registrations (account_id, email, email_normalized, first_name, last_name, language, status, \
             privacy_version, marketing_version, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'unconfirmed', $7, $8, $9) \
             RETURNING id",
        )
        .bind(reg.account_id.0)
        .bind(reg.email.as_str())
        .bind(reg.email.normalized())
        .bind(&reg.first_name)
        .bind(&reg.last_name)
        .bind(reg.language.code())
        .bind(domain::portal::PRIVACY_VERSION)
        .bind(reg.marketing.then_some(MARKETING_VERSION))
        .bind(now.millis())
        .fetch_one(&mut *tx.tx)
        .await
        .db()?;
        insert_consents(&mut tx.tx, None, Some(id), consents, now).await.db()?;
        token.registration_id = Some(id);
        insert_token(&mut tx.tx, &token, now).await.db()?;
        crate::outbox::insert(&mut tx.tx, &messages, now).await.db()?;
        tx.commit().await.db()?;
        Ok(id)
    }

    async fn token_state(&self, hash: &str, kinds: &[TokenKind], now: Timestamp) -> DomainResult<TokenState> {
        let mut conn = self.pool.acquire().await.db()?;
        let row = token_row(&mut conn, hash).await.db()?;
        Ok(state_of(row, kinds, now))
    }

    async fn confirm_registration(&self, token_hash: &str, now: Timestamp) -> DomainResult<Registration> {
        let mut tx = self.write_tx().await.db()?;
        let (_, reg_id) = use_token(&mut tx.tx, token_hash, &[TokenKind::ConfirmRegistration], now).await?;
        let reg_id = reg_id.ok_or(DomainError::Unauthenticated { code: "link_invalid" })?;
        let row: Option<RegRow> = sqlx::query_as(&format!(
            "UPDATE registrations SET status = 'pending_approval', confirmed_at = $1 \
             WHERE id = $2 AND status = 'unconfirmed' RETURNING {REG_COLUMNS}"
        ))
        .bind(now.millis())
        .bind(reg_id)
        .fetch_optional(&mut *tx.tx)
        .await
        .db()?;
        let reg = row.ok_or(DomainError::Unauthenticated { code: "link_used" })?;
        tx.commit().await.db()?;
        Ok(reg.into())
    }

    async fn registration(&self, account: AccountId, id: i64) -> DomainResult<Registration> {
        let mut conn = self.pool.acquire().await.db()?;
        self.registration_in(&mut conn, account, id).await
    }

    async fn registrations(
        &self,
        account: AccountId,
        status: Option<RegistrationStatus>,
    ) -> DomainResult<Vec<Registration>> {
        let rows: Vec<RegRow> = match status {
            Some(s) => sqlx::query_as(&format!(
                "SELECT {REG_COLUMNS} FROM registrations WHERE account_id = $1 AND status = $2 ORDER BY id DESC"
            ))
            .bind(account.0)
            .bind(s.as_str())
            .fetch_all(&self.pool)
            .await
            .db()?,
            None => sqlx::query_as(&format!(
                "SELECT {REG_COLUMNS} FROM registrations WHERE account_id = $1 AND status <> 'unconfirmed' ORDER BY id DESC"
            ))
            .bind(account.0)
            .fetch_all(&self.pool)
            .await
            .db()?,
        };
        Ok(rows.into_iter().map(Into::into).collect())
    }

    #[allow(clippy::too_many_arguments)]
    async fn approve_registration(
        &self,
        account: AccountId,
        id: i64,
        actor: UserId,
        user: &NewUser,
        mut token: NewToken,
        messages: Vec<NewMessage>,
        now: Timestamp,
    ) -> DomainResult<User> {
        let mut tx = self.write_tx().await.db()?;
        let done = sqlx::query(
            "UPDATE registrations SET status = 'approved', decided_at = $1, decided_by = $2 \
             WHERE id = $3 AND account_id = $4 AND status = 'pending_approval'",
        )
        .bind(now.millis())
        .bind(actor.0)
        .bind(id)
        .bind(account.0)
        .execute(&mut *tx.tx)
        .await
        .db()?;
        if done.rows_affected() != 1 {
            return Err(DomainError::conflict("status", "registration_not_pending"));
        }
        let row = insert_user(&mut tx.tx, user, UserStatus::Invited, now).await.db()?;
        let user: User = row.into();
        sqlx::query("UPDATE registrations SET user_id = $1 WHERE id = $2")
            .bind(user.id.0)
            .bind(id)
            .execute(&mut *tx.tx)
            .await
            .db()?;
        sqlx::query("UPDATE consents SET user_id = $1 WHERE registration_id = $2")
            .bind(user.id.0)
            .bind(id)
            .execute(&mut *tx.tx)
            .await
            .db()?;
        token.user_id = Some(user.id);
        insert_token(&mut tx.tx, &token, now).await.db()?;
        crate::outbox::insert(&mut tx.tx, &messages, now).await.db()?;
        tx.commit().await.db()?;
        Ok(user)
    }

    async fn reject_registration(
        &self,
        account: AccountId,
        id: i64,
        actor: UserId,
        reason: Option<&str>,
        messages: Vec<NewMessage>,
        now: Timestamp,
    ) -> DomainResult<Registration> {
        let mut tx = self.write_tx().await.db()?;
        let row: Option<RegRow> = sqlx::query_as(&format!(
            "UPDATE registrations SET status = 'rejected', decided_at = $1, decided_by = $2, reject_reason = $3 \
             WHERE id = $4 AND account_id = $5 AND status = 'pending_approval' RETURNING {REG_COLUMNS}"
        ))
        .bind(now.millis())
        .bind(actor.0)
        .bind(reason)
        .bind(id)
        .bind(account.0)
        .fetch_optional(&mut *tx.tx)
        .await
        .db()?;
        let reg = row.ok_or(DomainError::conflict("status", "registration_not_pending"))?;
        crate::outbox::insert(&mut tx.tx, &messages, now).await.db()?;
        tx.commit().await.db()?;
        Ok(reg.into())
    }

    async fn super_admins(&self, account: AccountId) -> DomainResult<Vec<(String, Lang)>> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT u.email, u.language FROM users u JOIN memberships m ON m.user_id = u.id \
             WHERE m.account_id = $1 AND m.role = 'super_admin' AND u.status = 'active' ORDER BY u.id",
        )
        .bind(account.0)
        .fetch_all(&self.pool)
        .await
        .db()?;
        Ok(rows
            .into_iter()
            .map(|(e, l)| (e, Lang::parse(&l).unwrap_or_default()))
            .collect())
    }

    async fn account_users(&self, account: AccountId) -> DomainResult<Vec<AccountUser>> {
        let rows: Vec<MemberRow> = sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS}, m.role FROM users u JOIN memberships m ON m.user_id = u.id \
             WHERE m.account_id = $1 ORDER BY LOWER(u.last_name), LOWER(u.first_name), u.id"
        ))
        .bind(account.0)
        .fetch_all(&self.pool)
        .await
        .db()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn account_user(&self, account: AccountId, user: UserId) -> DomainResult<AccountUser> {
        let row: Option<MemberRow> = sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS}, m.role FROM users u JOIN memberships m ON m.user_id = u.id \
             WHERE m.account_id = $1 AND u.id = $2"
        ))
        .bind(account.0)
        .bind(user.0)
        .fetch_optional(&self.pool)
        .await
        .db()?;
        row.map(Into::into).ok_or(DomainError::not_found("user"))
    }

    async fn invite(
        &self,
        user: &NewUser,
        mut token: NewToken,
        messages: Vec<NewMessage>,
        now: Timestamp,
    ) -> DomainResult<User> {
        let mut tx = self.write_tx().await.db()?;
        let row = insert_user(&mut tx.tx, user, UserStatus::Invited, now).await.db()?;
        let user: User = row.into();
        token.user_id = Some(user.id);
        insert_token(&mut tx.tx, &token, now).await.db()?;
        crate::outbox::insert(&mut tx.tx, &messages, now).await.db()?;
        tx.commit().await.db()?;
        Ok(user)
    }

    async fn set_role(&self, account: AccountId, user: UserId, role: AccountRole) -> DomainResult<()> {
        let mut tx = self.write_tx().await.db()?;
        sqlx::query("UPDATE memberships SET role = $1 WHERE account_id = $2 AND user_id = $3")
            .bind(role.as_str())
            .bind(account.0)
            .bind(user.0)
            .execute(&mut *tx.tx)
            .await
            .db()?;
        let (left,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM memberships WHERE account_id = $1 AND role = 'super_admin'")
                .bind(account.0)
                .fetch_one(&mut *tx.tx)
                .await
                .db()?;
        if left == 0 {
            return Err(DomainError::validation("role", "last_super_admin"));
        }
        tx.commit().await.db()
    }

    async fn set_status(&self, user: UserId, status: UserStatus) -> DomainResult<()> {
        let mut tx = self.write_tx().await.db()?;
        sqlx::query("UPDATE users SET status = $1 WHERE id = $2")
            .bind(status.as_str())
            .bind(user.0)
            .execute(&mut *tx.tx)
            .await
            .db()?;
        if status == UserStatus::Disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user.0)
                .execute(&mut *tx.tx)
                .await
                .db()?;
        }
        tx.commit().await.db()
    }

    async fn replace_token(&self, token: NewToken, messages: Vec<NewMessage>, now: Timestamp) -> DomainResult<()> {
        let mut tx = self.write_tx().await.db()?;
        sqlx::query("UPDATE tokens SET used_at = $1 WHERE user_id = $2 AND kind = $3 AND used_at IS NULL")
            .bind(now.millis())
            .bind(token.user_id.map(|u| u.0))
            .bind(token.kind.as_str())
            .execute(&mut *tx.tx)
            .await
            .db()?;
        insert_token(&mut tx.tx, &token, now).await.db()?;
        crate::outbox::insert(&mut tx.tx, &messages, now).await.db()?;
        tx.commit().await.db()
    }

    async fn activate(
        &self,
        token_hash: &str,
        password_hash: &str,
        consents: &[NewConsent],
        now: Timestamp,
    ) -> DomainResult<User> {
        let mut tx = self.write_tx().await.db()?;
        let kinds = [TokenKind::Invitation, TokenKind::FinishRegistration];
        let (user, _) = use_token(&mut tx.tx, token_hash, &kinds, now).await?;
        let user = user.ok_or(DomainError::Unauthenticated { code: "link_invalid" })?;
        let returning = USER_COLUMNS.replace("u.", "");
        let row: Option<UserRow> = sqlx::query_as(&format!(
            "UPDATE users SET password_hash = $1, status = 'active' WHERE id = $2 AND status = 'invited' RETURNING {returning}"
        ))
        .bind(password_hash)
        .bind(user.0)
        .fetch_optional(&mut *tx.tx)
        .await
        .db()?;
        // A disabled (or already active) user cannot use an old link.
        let row = row.ok_or(DomainError::Unauthenticated { code: "link_invalid" })?;
        insert_consents(&mut tx.tx, Some(user), None, consents, now)
            .await
            .db()?;
        tx.commit().await.db()?;
        Ok(row.into())
    }

    async fn reset_password(&self, token_hash: &str, password_hash: &str, now: Timestamp) -> DomainResult<User> {
        let mut tx = self.write_tx().await.db()?;
        let (user, _) = use_token(&mut tx.tx, token_hash, &[TokenKind::PasswordReset], now).await?;
        let user = user.ok_or(DomainError::Unauthenticated { code: "link_invalid" })?;
        let returning = USER_COLUMNS.replace("u.", "");
        let row: Option<UserRow> = sqlx::query_as(&format!(
            "UPDATE users SET password_hash = $1 WHERE id = $2 AND status = 'active' RETURNING {returning}"
        ))
        .bind(password_hash)
        .bind(user.0)
        .fetch_optional(&mut *tx.tx)
        .await
        .db()?;
        let row = row.ok_or(DomainError::Unauthenticated { code: "link_invalid" })?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.0)
            .execute(&mut *tx.tx)
            .await
            .db()?;
        tx.commit().await.db()?;
        Ok(row.into())
    }

    async fn user_by_email(&self, email_normalized: &str) -> DomainResult<Option<User>> {
        let row: Option<UserRow> = sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.email_normalized = $1"
        ))
        .bind(email_normalized)
        .fetch_optional(&self.pool)
        .await
        .db()?;
        Ok(row.map(Into::into))
    }

    async fn password_hash(&self, user: UserId) -> DomainResult<Option<String>> {
        let row: Option<(Option<String>,)> = sqlx::query_as("SELECT password_hash FROM users WHERE id = $1")
            .bind(user.0)
            .fetch_optional(&self.pool)
            .await
            .db()?;
        Ok(row.and_then(|(h,)| h))
    }

    async fn set_password(&self, user: UserId, password_hash: &str, keep_session: Option<&str>) -> DomainResult<()> {
        let mut tx = self.write_tx().await.db()?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(user.0)
            .execute(&mut *tx.tx)
            .await
            .db()?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user.0)
            .bind(keep_session.unwrap_or(""))
            .execute(&mut *tx.tx)
            .await
            .db()?;
        tx.commit().await.db()
    }

    async fn update_profile(
        &self,
        user: UserId,
        first_name: &str,
        last_name: &str,
        language: Lang,
    ) -> DomainResult<User> {
        let _w = self.write_guard().await;
        let returning = USER_COLUMNS.replace("u.", "");
        let row: Option<UserRow> = sqlx::query_as(&format!(
            "UPDATE users SET first_name = $1, last_name = $2, language = $3 WHERE id = $4 RETURNING {returning}"
        ))
        .bind(first_name)
        .bind(last_name)
        .bind(language.code())
        .bind(user.0)
        .fetch_optional(&self.pool)
        .await
        .db()?;
        row.map(Into::into).ok_or(DomainError::not_found("user"))
    }

    async fn consents(&self, user: UserId) -> DomainResult<Vec<Consent>> {
        let rows: Vec<(String, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT kind, version, given_at, withdrawn_at FROM consents WHERE user_id = $1 ORDER BY given_at, id",
        )
        .bind(user.0)
        .fetch_all(&self.pool)
        .await
        .db()?;
        Ok(rows
            .into_iter()
            .map(|(kind, version, given, withdrawn)| Consent {
                kind,
                version,
                given_at: Timestamp(given),
                withdrawn_at: withdrawn.map(Timestamp),
            })
            .collect())
    }

    async fn set_marketing(&self, user: UserId, give: bool, now: Timestamp) -> DomainResult<()> {
        let mut tx = self.write_tx().await.db()?;
        let (active,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM consents WHERE user_id = $1 AND kind = 'marketing' AND withdrawn_at IS NULL",
        )
        .bind(user.0)
        .fetch_one(&mut *tx.tx)
        .await
        .db()?;
        if give && active == 0 {
            let c = NewConsent {
                kind: "marketing",
                version: MARKETING_VERSION,
            };
            insert_consents(&mut tx.tx, Some(user), None, &[c], now).await.db()?;
        } else if !give && active > 0 {
            sqlx::query(
                "UPDATE consents SET withdrawn_at = $1 WHERE user_id = $2 AND kind = 'marketing' AND withdrawn_at IS NULL",
            )
            .bind(now.millis())
            .bind(user.0)
            .execute(&mut *tx.tx)
            .await
            .db()?;
        }
        tx.commit().await.db()
    }
}
