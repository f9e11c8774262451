//! A fresh, empty database per test: a temporary SQLite file, or a new
//! PostgreSQL database created on the server named by `KONTOR_TEST_PG_URL`
//! (default `postgres://postgres@127.0.0.1:5432/test`) and dropped after.
//!
//! PostgreSQL tests never skip silently: when the server is unreachable
//! they fail, unless `KONTOR_TEST_SKIP_PG=1` is set explicitly (CI never
//! sets it).

use rand::Rng;
use sqlx::{Connection, Executor, PgConnection};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    dir: Option<std::path::PathBuf>,
    pg_name: Option<String>,
}

pub fn pg_admin_url() -> String {
    std::env::var("KONTOR_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn random_suffix() -> String {
    let mut rng = rand::thread_rng();
    (0..12).map(|_| (b'a' + rng.gen_range(0..26)) as char).collect()
}

impl TestDb {
    /// Creates the database; `None` only when PostgreSQL was explicitly
    /// skipped with `KONTOR_TEST_SKIP_PG=1`.
    pub async fn create(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("kontor-test-{}", random_suffix()));
                std::fs::create_dir_all(&dir).expect("temp dir");
                Some(TestDb {
                    url: format!("sqlite://{}/kontor.db", dir.display()),
                    backend,
                    dir: Some(dir),
                    pg_name: None,
                })
            }
            Backend::Postgres => {
                if std::env::var("KONTOR_TEST_SKIP_PG").as_deref() == Ok("1") {
                    eprintln!("KONTOR_TEST_SKIP_PG=1: skipping PostgreSQL test");
                    return None;
                }
                let admin = pg_admin_url();
                let mut conn = PgConnection::connect(&admin).await.unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL is required for the test suite but {admin} is unreachable: {e}\n\
                         Start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start), \
                         point KONTOR_TEST_PG_URL at another server, or set KONTOR_TEST_SKIP_PG=1 to skip knowingly."
                    )
                });
                let name = format!("kontor_t_{}", random_suffix());
                conn.execute(format!("CREATE DATABASE {name}").as_str())
                    .await
                    .expect("create database");
                let _ = conn.close().await;
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
                Some(TestDb {
                    url: format!("{base}/{name}"),
                    backend,
                    dir: None,
                    pg_name: Some(name),
                })
            }
        }
    }

    /// The data folder of a SQLite test database (for files next to it).
    pub fn dir(&self) -> Option<&std::path::Path> {
        self.dir.as_deref()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some(name) = self.pg_name.take() {
            // Drop on a separate thread with its own runtime: Drop cannot await,
            // and the test's runtime may be shutting down.
            let admin = pg_admin_url();
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                rt.block_on(async {
                    let mut conn = PgConnection::connect(&admin).await.ok()?;
                    conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                        .await
                        .ok()?;
                    Some(())
                })
            })
            .join();
        }
    }
}
