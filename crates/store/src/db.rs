use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, ConnectOptions, Executor, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// Which database a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Errors opening the database, worded for the person starting the server.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database-url: unsupported scheme in {0:?} (use sqlite://PATH or postgres://USER@HOST/DB)")]
    Scheme(String),
    #[error("database-url: {0}")]
    Invalid(String),
    #[error("database-url: cannot open database: {0}")]
    Connect(String),
    #[error("migration {version} ({name}) failed: {error}")]
    Migration { version: i64, name: String, error: String },
    #[error("migration {0} was changed after it was applied; migrations must never be edited")]
    MigrationChanged(i64),
}

/// The connection pool plus what differs between backends.
#[derive(Clone)]
pub struct Db {
    pub(crate) pool: AnyPool,
    backend: Backend,
    /// SQLite allows one writer at a time; writers queue here instead of
    /// failing with SQLITE_BUSY when two transactions upgrade to write.
    write_lock: Option<Arc<Mutex<()>>>,
}

/// A write transaction (holding the SQLite writer slot until it ends).
pub struct WriteTx {
    pub tx: Transaction<'static, Any>,
    _guard: Option<OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

/// Two SQLite connections per core, between 2 and 8.
fn sqlite_pool_size() -> u32 {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2) as u32;
    (cores * 2).clamp(2, 8)
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend, DbError> {
        let scheme = url.split(':').next().unwrap_or("");
        match scheme {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            _ => Err(DbError::Scheme(url.to_string())),
        }
    }
}

impl Db {
    /// Opens the pool (creating the SQLite file and folder when missing)
    /// and applies pending migrations.
    pub async fn open(url: &str) -> Result<Db, DbError> {
        let db = Self::connect(url).await?;
        db.migrate().await?;
        Ok(db)
    }

    /// Opens the pool without migrating.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let url = match backend {
            Backend::Sqlite => Self::prepare_sqlite_url(url)?,
            Backend::Postgres => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)
            .map_err(|e| DbError::Invalid(e.to_string()))?
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
        let pool = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    // sqlx runs each SQLite connection on its own thread; more
                    // threads than about two per core only add switching
                    // (measured: 4 beat 8 by a third on 2 cores).
                    .max_connections(sqlite_pool_size())
                    .min_connections(1)
                    // A ping before every use doubles the round trips of
                    // small requests; broken connections surface as errors anyway.
                    .test_before_acquire(false)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; \
                                 PRAGMA busy_timeout=10000; PRAGMA cache_size=-16000;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .test_before_acquire(false)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await
            }
        }
        .map_err(|e| DbError::Connect(e.to_string()))?;
        Ok(Db {
            pool,
            backend,
            write_lock: (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(()))),
        })
    }

    /// Ensures the folder exists and the file is created on first start.
    fn prepare_sqlite_url(url: &str) -> Result<String, DbError> {
        let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        if path.is_empty() {
            return Err(DbError::Invalid(format!(
                "{url:?} names no file (use sqlite://./data/kontor.db)"
            )));
        }
        if path != ":memory:" {
            if let Some(parent) = std::path::Path::new(path).parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| DbError::Connect(format!("cannot create folder {}: {e}", parent.display())))?;
                }
            }
        }
        let mut query = query.to_string();
        if !query.contains("mode=") {
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str("mode=rwc");
        }
        Ok(format!("sqlite://{path}?{query}"))
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Begins a transaction that will write.
    pub async fn write_tx(&self) -> Result<WriteTx, sqlx::Error> {
        let guard = match &self.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        let tx = self.pool.begin().await?;
        Ok(WriteTx { tx, _guard: guard })
    }

    /// Serialises a single write statement on SQLite (no-op on PostgreSQL).
    pub(crate) async fn write_guard(&self) -> Option<OwnedMutexGuard<()>> {
        match &self.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        }
    }

    /// True when the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}
