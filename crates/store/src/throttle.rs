use async_trait::async_trait;
use domain::throttle::{ThrottleStore, QUIET_RESET_SECS};
use kernel::{DomainResult, Timestamp};

use crate::db::Db;
use crate::error::MapDb;

#[async_trait]
impl ThrottleStore for Db {
    async fn locked_until(&self, key: &str, now: Timestamp) -> DomainResult<Option<Timestamp>> {
        let row: Option<(Option<i64>,)> = sqlx::query_as("SELECT locked_until FROM throttle WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .db()?;
        Ok(row.and_then(|(t,)| t).filter(|t| *t > now.millis()).map(Timestamp))
    }

    async fn record_failure(&self, key: &str, now: Timestamp) -> DomainResult<i64> {
        let mut tx = self.write_tx().await.db()?;
        let (failures,): (i64,) = sqlx::query_as(
            "INSERT INTO throttle (key, failures, updated_at) VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET \
               failures = CASE WHEN throttle.updated_at < $3 THEN 1 ELSE throttle.failures + 1 END, \
               updated_at = $2 \
             RETURNING failures",
        )
        .bind(key)
        .bind(now.millis())
        .bind(now.plus_secs(-QUIET_RESET_SECS).millis())
        .fetch_one(&mut *tx.tx)
        .await
        .db()?;
        tx.commit().await.db()?;
        Ok(failures)
    }

    async fn lock(&self, key: &str, until: Timestamp) -> DomainResult<()> {
        let _w = self.write_guard().await;
        sqlx::query("UPDATE throttle SET locked_until = $1 WHERE key = $2")
            .bind(until.millis())
            .bind(key)
            .execute(&self.pool)
            .await
            .db()?;
        Ok(())
    }

    async fn reset(&self, key: &str) -> DomainResult<()> {
        let _w = self.write_guard().await;
        sqlx::query("DELETE FROM throttle WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await
            .db()?;
        Ok(())
    }
}
