//! Throw-away databases for tests: a SQLite file, or a fresh PostgreSQL database when
//! `PLEDGE_TEST_POSTGRES_URL` names a server. Each is dropped with its guard.

use crate::Store;
use sea_orm::{ConnectionTrait, Database};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Which database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The key test stores hash tokens with (a server on the same database needs the same).
pub const TOKEN_KEY: &str = "test-key";

/// A database that exists for the life of this value.
#[derive(Debug)]
pub struct TestDatabase {
    pub url: String,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    File(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

fn unique_name() -> String {
    // Random, not the clock: nothing below the faces reads it.
    let mut salt = [0u8; 4];
    let _ = getrandom::fill(&mut salt);
    format!(
        "pledge_t_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        u32::from_le_bytes(salt) % 1_000_000_000
    )
}

/// A write whose change and audit record are in, not yet committed: for tests of what
/// followers see while other transactions commit around it.
#[derive(Debug)]
pub struct HeldWrite(sea_orm::DatabaseTransaction);

impl HeldWrite {
    /// Commits it, in commit order like every write.
    pub async fn commit(self) -> crate::error::Result<()> {
        crate::audit::commit(self.0).await
    }
}

impl Store {
    /// Replaces an enterprise as `update_enterprise` does, but holds the transaction open.
    pub async fn hold_enterprise_update(
        &self,
        actor: &crate::Actor,
        e: pledge_domain::Enterprise,
        version: i64,
    ) -> crate::error::Result<HeldWrite> {
        let txn = self.write().await?;
        self.update_enterprise_in(&txn, actor, e, version).await?;
        Ok(HeldWrite(txn))
    }
}

impl TestDatabase {
    /// A new empty database. Tests on PostgreSQL are marked `#[ignore]` (they run with
    /// `--include-ignored`); one run without `PLEDGE_TEST_POSTGRES_URL` fails, never passes.
    pub async fn create(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("{}.db", unique_name()));
                Self {
                    url: format!("sqlite://{}", path.display()),
                    cleanup: Cleanup::File(path),
                }
            }
            Backend::Postgres => {
                let Ok(admin_url) = std::env::var("PLEDGE_TEST_POSTGRES_URL") else {
                    panic!(
                        "this test needs PostgreSQL: set PLEDGE_TEST_POSTGRES_URL (for example postgres://postgres@127.0.0.1:5432/test)"
                    );
                };
                let name = unique_name();
                let admin = Database::connect(admin_url.as_str())
                    .await
                    .unwrap_or_else(|e| panic!("connecting to {admin_url}: {e}"));
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .unwrap_or_else(|e| panic!("creating {name}: {e}"));
                let _ = admin.close().await;
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(b, _)| b)
                    .unwrap_or(&admin_url);
                Self {
                    url: format!("{base}/{name}"),
                    cleanup: Cleanup::Postgres { admin_url, name },
                }
            }
        }
    }

    /// A migrated store on this database.
    pub async fn store(&self) -> Store {
        let store = Store::connect(&self.url, Some(TOKEN_KEY))
            .await
            .unwrap_or_else(|e| panic!("connecting to {}: {e}", self.url));
        store
            .migrate(chrono::DateTime::UNIX_EPOCH)
            .await
            .unwrap_or_else(|e| panic!("migrating: {e}"));
        store
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime; a thread with its own runtime can block.
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    else {
                        return;
                    };
                    rt.block_on(async {
                        if let Ok(admin) = Database::connect(admin_url.as_str()).await {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                                ))
                                .await;
                            let _ = admin.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

impl Store {
    /// The single integer a counting query answers, read straight from the database (tests
    /// check what is really stored, past every repository).
    pub async fn count(&self, sql: &str) -> crate::error::Result<i64> {
        let backend = self.db.get_database_backend();
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(backend, sql))
            .await?
            .ok_or_else(|| crate::StoreError::corrupt("no row"))?;
        Ok(row.try_get_by_index::<i64>(0)?)
    }
}
