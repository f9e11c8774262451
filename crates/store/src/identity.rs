use async_trait::async_trait;
use domain::identity::{
    AccountRole, Credentials, Membership, NewUser, PlatformRole, SessionInfo, SessionStore, User, UserStatus, UserStore,
};
use kernel::{AccountId, DomainError, DomainResult, Lang, Timestamp, UserId};

use crate::db::Db;
use crate::error::MapDb;

pub(crate) const COLUMNS: &str =
    "u.id, u.email, u.first_name, u.last_name, u.language, u.status, u.platform_role, u.created_at, \
                       u.last_login_at";

#[derive(sqlx::FromRow)]
pub(crate) struct Row {
    id: i64,
    email: String,
    first_name: String,
    last_name: String,
    language: String,
    status: String,
    platform_role: Option<String>,
    created_at: i64,
    last_login_at: Option<i64>,
}

impl From<Row> for User {
    fn from(r: Row) -> Self {
        User {
            id: UserId(r.id),
            email: r.email,
            first_name: r.first_name,
            last_name: r.last_name,
            language: Lang::parse(&r.language).unwrap_or_default(),
            status: UserStatus::parse(&r.status),
            platform_role: r.platform_role.as_deref().and_then(PlatformRole::parse),
            created_at: Timestamp(r.created_at),
            last_login_at: r.last_login_at.map(Timestamp),
        }
    }
}

/// Inserts a user (and membership) inside the caller's transaction.
pub(crate) async fn insert_user(
    conn: &mut sqlx::AnyConnection,
    u: &NewUser,
    status: UserStatus,
    now: Timestamp,
) -> Result<Row, sqlx::Error> {
    let returning = COLUMNS.replace("u.", "");
    let row: Row = sqlx::query_as(&format!(
        "INSERT INTO users (email, email_normalized, password_hash, first_name, last_name, language, \
         platform_role, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {returning}"
    ))
    .bind(u.email.as_str())
    .bind(u.email.normalized())
    .bind(u.password_hash.as_deref())
    .bind(&u.first_name)
    .bind(&u.last_name)
    .bind(u.language.code())
    .bind(u.platform_role.map(|r| r.as_str()))
    .bind(status.as_str())
    .bind(now.millis())
    .fetch_one(&mut *conn)
    .await?;
    if let Some((account, role)) = u.membership {
        sqlx::query("INSERT INTO memberships (account_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)")
            .bind(account.0)
            .bind(row.id)
            .bind(role.as_str())
            .bind(now.millis())
            .execute(&mut *conn)
            .await?;
    }
    Ok(row)
}

#[derive(sqlx::FromRow)]
struct CredRow {
    #[sqlx(flatten)]
    user: Row,
    password_hash: Option<String>,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    #[sqlx(flatten)]
    user: Row,
    last_seen_at: i64,
    account_id: Option<i64>,
    role: Option<String>,
}

#[async_trait]
impl UserStore for Db {
    async fn create(&self, u: &NewUser, now: Timestamp) -> DomainResult<User> {
        let mut tx = self.write_tx().await.db()?;
        let row = insert_user(&mut tx.tx, u, UserStatus::Active, now).await.db()?;
        tx.commit().await.db()?;
        Ok(row.into())
    }

    async fn get(&self, id: UserId) -> DomainResult<User> {
        let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM users u WHERE u.id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .db()?;
        row.map(Into::into).ok_or(DomainError::not_found("user"))
    }

    async fn credentials_by_email(&self, email_normalized: &str) -> DomainResult<Option<Credentials>> {
        let row: Option<CredRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS}, u.password_hash FROM users u WHERE u.email_normalized = $1"
        ))
        .bind(email_normalized)
        .fetch_optional(&self.pool)
        .await
        .db()?;
        Ok(row.map(|r| Credentials {
            user: r.user.into(),
            password_hash: r.password_hash,
        }))
    }

    async fn memberships(&self, id: UserId) -> DomainResult<Vec<Membership>> {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT account_id, role FROM memberships WHERE user_id = $1 ORDER BY account_id")
                .bind(id.0)
                .fetch_all(&self.pool)
                .await
                .db()?;
        Ok(rows
            .into_iter()
            .filter_map(|(a, r)| {
                AccountRole::parse(&r).map(|role| Membership {
                    account_id: AccountId(a),
                    role,
                })
            })
            .collect())
    }

    async fn record_login(&self, id: UserId, now: Timestamp) -> DomainResult<()> {
        let _w = self.write_guard().await;
        sqlx::query("UPDATE users SET last_login_at = $1, failed_logins = 0 WHERE id = $2")
            .bind(now.millis())
            .bind(id.0)
            .execute(&self.pool)
            .await
            .db()?;
        Ok(())
    }

    async fn set_language(&self, id: UserId, lang: Lang) -> DomainResult<()> {
        let _w = self.write_guard().await;
        sqlx::query("UPDATE users SET language = $1 WHERE id = $2")
            .bind(lang.code())
            .bind(id.0)
            .execute(&self.pool)
            .await
            .db()?;
        Ok(())
    }

    async fn count_operators(&self) -> DomainResult<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users WHERE platform_role = 'operator'")
            .fetch_one(&self.pool)
            .await
            .db()?;
        Ok(n)
    }
}

#[async_trait]
impl SessionStore for Db {
    async fn create(
        &self,
        token_hash: &str,
        user: UserId,
        now: Timestamp,
        expires_at: Timestamp,
        user_agent: &str,
        ip: &str,
    ) -> DomainResult<()> {
        let _w = self.write_guard().await;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at, user_agent, ip) \
             VALUES ($1, $2, $3, $4, $3, $5, $6)",
        )
        .bind(token_hash)
        .bind(user.0)
        .bind(now.millis())
        .bind(expires_at.millis())
        .bind(user_agent)
        .bind(ip)
        .execute(&self.pool)
        .await
        .db()?;
        Ok(())
    }

    async fn find(&self, token_hash: &str, now: Timestamp) -> DomainResult<Option<SessionInfo>> {
        // One row per membership (or one with NULLs): the whole caller in one trip.
        let rows: Vec<SessionRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS}, s.last_seen_at, m.account_id, m.role FROM sessions s JOIN users u ON u.id = s.user_id \
             LEFT JOIN memberships m ON m.user_id = u.id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.status = 'active' ORDER BY m.account_id"
        ))
        .bind(token_hash)
        .bind(now.millis())
        .fetch_all(&self.pool)
        .await
        .db()?;
        let memberships = rows
            .iter()
            .filter_map(
                |r| match (r.account_id, r.role.as_deref().and_then(AccountRole::parse)) {
                    (Some(a), Some(role)) => Some(Membership {
                        account_id: AccountId(a),
                        role,
                    }),
                    _ => None,
                },
            )
            .collect();
        Ok(rows.into_iter().next().map(|r| SessionInfo {
            user: r.user.into(),
            memberships,
            last_seen_at: Timestamp(r.last_seen_at),
        }))
    }

    async fn touch(&self, token_hash: &str, now: Timestamp, expires_at: Timestamp) -> DomainResult<()> {
        let _w = self.write_guard().await;
        sqlx::query("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE token_hash = $3")
            .bind(now.millis())
            .bind(expires_at.millis())
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .db()?;
        Ok(())
    }

    async fn delete(&self, token_hash: &str) -> DomainResult<()> {
        let _w = self.write_guard().await;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .db()?;
        Ok(())
    }
}
