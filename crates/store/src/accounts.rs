use async_trait::async_trait;
use domain::accounts::{Account, AccountPage, AccountStore, NewAccount};
use domain::outbox::NewMessage;
use kernel::{AccountId, DomainError, DomainResult, Timestamp};

use crate::db::Db;
use crate::error::MapDb;

const COLUMNS: &str =
    "id, customer_number, postal_code, name, street, city, country, tariff, contact_email, time_zone, status, created_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    customer_number: String,
    postal_code: String,
    name: String,
    street: String,
    city: String,
    country: String,
    tariff: String,
    contact_email: Option<String>,
    time_zone: String,
    status: String,
    created_at: i64,
}

impl From<Row> for Account {
    fn from(r: Row) -> Self {
        Account {
            id: AccountId(r.id),
            customer_number: r.customer_number,
            postal_code: r.postal_code,
            name: r.name,
            street: r.street,
            city: r.city,
            country: r.country,
            tariff: r.tariff,
            contact_email: r.contact_email,
            time_zone: r.time_zone,
            status: r.status,
            created_at: Timestamp(r.created_at),
        }
    }
}

type AccountQuery<'q> = sqlx::query::QueryAs<'q, sqlx::Any, Row, sqlx::any::AnyArguments<'q>>;

/// Binds the eight master-data fields as `$1`…`$8`, in column order.
fn bind_fields<'q>(q: AccountQuery<'q>, a: &'q NewAccount) -> AccountQuery<'q> {
    q.bind(&a.customer_number)
        .bind(&a.postal_code)
        .bind(&a.name)
        .bind(&a.street)
        .bind(&a.city)
        .bind(&a.country)
        .bind(&a.tariff)
        .bind(a.contact_email.as_ref().map(|e| e.as_str().to_string()))
}

/// `%term%` for LIKE with the wildcard characters of the term escaped.
pub(crate) fn like_pattern(term: &str) -> String {
    let escaped = term
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

#[async_trait]
impl AccountStore for Db {
    async fn create(&self, a: &NewAccount, now: Timestamp, messages: Vec<NewMessage>) -> DomainResult<Account> {
        let mut tx = self.write_tx().await.db()?;
        let sql = format!(
            "INSERT INTO accounts (customer_number, postal_code, name, street, city, country, tariff, contact_email, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING {COLUMNS}"
        );
        let row: Row = bind_fields(sqlx::query_as(&sql), a)
            .bind(now.millis())
            .fetch_one(&mut *tx.tx)
            .await
            .db()?;
        let account: Account = row.into();
        let messages: Vec<NewMessage> = messages
            .into_iter()
            .map(|mut m| {
                m.account_id = m.account_id.or(Some(account.id));
                m
            })
            .collect();
        crate::outbox::insert(&mut tx.tx, &messages, now).await.db()?;
        tx.commit().await.db()?;
        Ok(account)
    }

    async fn update(&self, id: AccountId, a: &NewAccount, now: Timestamp) -> DomainResult<Account> {
        let mut tx = self.write_tx().await.db()?;
        let sql = format!(
            "UPDATE accounts SET customer_number = $1, postal_code = $2, name = $3, street = $4, city = $5, \
             country = $6, tariff = $7, contact_email = $8, updated_at = $9 WHERE id = $10 RETURNING {COLUMNS}"
        );
        let row: Option<Row> = bind_fields(sqlx::query_as(&sql), a)
            .bind(now.millis())
            .bind(id.0)
            .fetch_optional(&mut *tx.tx)
            .await
            .db()?;
        tx.commit().await.db()?;
        row.map(Into::into).ok_or(DomainError::not_found("account"))
    }

    async fn set_status(&self, id: AccountId, status: &str) -> DomainResult<Account> {
        let _w = self.write_guard().await;
        let row: Option<Row> = sqlx::query_as(&format!(
            "UPDATE accounts SET status = $1 WHERE id = $2 RETURNING {COLUMNS}"
        ))
        .bind(status)
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .db()?;
        row.map(Into::into).ok_or(DomainError::not_found("account"))
    }

    async fn get(&self, id: AccountId) -> DomainResult<Account> {
        let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM accounts WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .db()?;
        row.map(Into::into).ok_or(DomainError::not_found("account"))
    }

    async fn list(&self, search: &str, limit: i64, offset: i64) -> DomainResult<AccountPage> {
        let pattern = like_pattern(search);
        let filter = "WHERE LOWER(name) LIKE $1 ESCAPE '\\' OR LOWER(customer_number) LIKE $1 ESCAPE '\\'";
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM accounts {filter} ORDER BY LOWER(name), id LIMIT $2 OFFSET $3"
        ))
        .bind(&pattern)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .db()?;
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM accounts {filter}"))
            .bind(&pattern)
            .fetch_one(&self.pool)
            .await
            .db()?;
        Ok(AccountPage {
            items: rows.into_iter().map(Into::into).collect(),
            total,
        })
    }
}
