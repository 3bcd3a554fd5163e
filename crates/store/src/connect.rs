use crate::entities::setting;
use crate::error::Result;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ActiveValue::Set, ConnectOptions, ConnectionTrait, Database, DatabaseConnection,
    DatabaseTransaction, DbBackend, EntityTrait, SqliteTransactionMode, Statement,
    TransactionOptions, TransactionTrait,
};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Arbitrary constant naming the migration lock among PostgreSQL advisory locks.
const MIGRATION_LOCK: i64 = 0x706c_6564_6765;
/// The advisory lock under which a server draws events from the change feed.
pub(crate) const EVENT_DRAW_LOCK: i64 = 0x706c_6564_6766;

/// The database behind pledge: a connection pool and the key tokens are hashed with.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) db: DatabaseConnection,
    pub(crate) token_key: Arc<OnceLock<Vec<u8>>>,
    /// The token key when it was given (kept outside the database): what secrets the server
    /// must read back are sealed under. `None`: they are kept in clear.
    pub(crate) sealing_key: Option<Arc<[u8]>>,
}

impl Store {
    /// Connects to `url`: `sqlite://FILE` (created if missing; WAL, busy timeout, foreign
    /// keys) or `postgres://…`. `token_key` overrides the token-hashing key kept in the database.
    pub async fn connect(url: &str, token_key: Option<&str>) -> Result<Self> {
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .sqlx_logging(false)
            .acquire_timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(10));
        if url.starts_with("sqlite:") {
            options
                .max_connections(8)
                .min_connections(1)
                .map_sqlx_sqlite_opts(|o| {
                    o.create_if_missing(true)
                        .journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Normal)
                        .busy_timeout(Duration::from_secs(10))
                        .foreign_keys(true)
                });
        } else {
            options.max_connections(16);
        }
        let db = Database::connect(options).await?;
        let key = Arc::new(OnceLock::new());
        if let Some(k) = token_key {
            let _ = key.set(k.as_bytes().to_vec());
        }
        Ok(Self {
            db,
            token_key: key,
            sealing_key: token_key.map(|k| Arc::from(k.as_bytes())),
        })
    }

    /// Whether secrets the server reads back (webhook secrets) are sealed: only under a key
    /// given to the server, since one kept in the same database would not protect a copy of it.
    pub fn seals_secrets(&self) -> bool {
        self.sealing_key.is_some()
    }

    /// The connection, for callers that run their own queries (tests, the demo loader).
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The database pool: connections open, and of those idle.
    pub fn pool(&self) -> (u32, usize) {
        if self.is_postgres() {
            let p = self.db.get_postgres_connection_pool();
            (p.size(), p.num_idle())
        } else {
            let p = self.db.get_sqlite_connection_pool();
            (p.size(), p.num_idle())
        }
    }

    /// Whether the database is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.db.get_database_backend() == DbBackend::Postgres
    }

    /// Applies pending migrations. Several servers may start at once: on PostgreSQL they
    /// queue on an advisory lock, on SQLite on the write lock of an IMMEDIATE transaction.
    /// `now` is recorded with each migration applied.
    pub async fn migrate(&self, now: chrono::DateTime<chrono::Utc>) -> Result<()> {
        let txn = self.write().await?;
        self.serialize_on_postgres(&txn, MIGRATION_LOCK).await?;
        pledge_migrations::migrate(&txn, now.timestamp()).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Rows of `(uscc, credit_line)` a query of the benchmark's SQL baseline answers.
    pub(crate) async fn uscc_amounts(&self, sql: &str) -> Result<Vec<(String, i64)>> {
        let backend = self.db.get_database_backend();
        let rows = self
            .db
            .query_all_raw(sea_orm::Statement::from_string(backend, sql.to_owned()))
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("", "uscc")?, r.try_get("", "credit_line")?)))
            .collect()
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<()> {
        self.db.ping().await?;
        Ok(())
    }

    /// Makes transactions that take the same `lock` run one after the other on PostgreSQL
    /// (held until `txn` ends); SQLite's IMMEDIATE write transactions already do.
    pub(crate) async fn serialize_on_postgres(
        &self,
        txn: &DatabaseTransaction,
        lock: i64,
    ) -> Result<()> {
        if self.is_postgres() {
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock($1)",
                [lock.into()],
            ))
            .await?;
        }
        Ok(())
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once (IMMEDIATE), so
    /// a transaction that reads before it writes waits for the lock instead of failing busy.
    pub(crate) async fn write(&self) -> Result<DatabaseTransaction> {
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        Ok(self.db.begin_with_options(options).await?)
    }

    /// The key tokens are hashed with: configured, or made once and kept in the database.
    pub(crate) async fn token_key(&self) -> Result<Vec<u8>> {
        if let Some(k) = self.token_key.get() {
            return Ok(k.clone());
        }
        let key = self.made_once("token_hash_key").await?.into_bytes();
        Ok(self.token_key.get_or_init(|| key).clone())
    }

    /// This database's own name, made at random once and kept in it: what a file written
    /// from it (the index snapshot) checks that it is read back against the same database.
    pub async fn identity(&self) -> Result<String> {
        self.made_once("database_identity").await
    }

    /// The random value kept under `key` in the settings, made by the first to ask.
    async fn made_once(&self, key: &str) -> Result<String> {
        if let Some(row) = setting::Entity::find_by_id(key).one(&self.db).await? {
            return Ok(row.value);
        }
        let fresh = crate::tokens::random_hex(32);
        let txn = self.write().await?;
        if setting::Entity::find_by_id(key).one(&txn).await?.is_none() {
            setting::Entity::insert(setting::ActiveModel {
                key: Set(key.into()),
                value: Set(fresh),
            })
            .exec(&txn)
            .await?;
        }
        txn.commit().await?;
        let row = setting::Entity::find_by_id(key).one(&self.db).await?;
        row.map(|r| r.value)
            .ok_or_else(|| crate::StoreError::corrupt(format!("the setting {key} vanished")))
    }
}
