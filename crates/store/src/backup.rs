//! Copies of the database an operator can trust, and putting one back.
//!
//! An SQLite database is copied by `VACUUM INTO`: one read transaction, so the copy holds
//! every write committed before it began and none after, while the server keeps answering
//! (a plain `cp` of a database being written loses writes; copying the `-wal` file beside it
//! can tear). PostgreSQL is copied by `pg_dump` in its custom format and put back by
//! `pg_restore`. A copy put back is another history from the moment it was taken: it gets a
//! new identity (no index snapshot written before is trusted) and its events are numbered
//! from a new block (no receiver's or poller's cursor into events the copy never had hides
//! new ones).

use crate::error::{Result, StoreError};
use crate::{Store, entities::setting};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbBackend, EntityTrait, Statement};
use std::path::Path;
use std::process::Command;

/// Event ids after a restore start at the next multiple of this.
const EVENT_BLOCK: i64 = 1 << 32;

/// What a database is, for the copy it is taken with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

impl Kind {
    /// The kind of the database at `url`.
    pub fn of(url: &str) -> Self {
        if url.starts_with("postgres") {
            Self::Postgres
        } else {
            Self::Sqlite
        }
    }
}

impl Store {
    /// Writes a consistent copy of this SQLite database into `path`, a new file, while others
    /// keep writing; then checks it.
    pub async fn backup_sqlite(&self, path: &Path) -> Result<()> {
        if self.is_postgres() {
            return Err(StoreError::Corrupt(
                "a PostgreSQL database is copied with pg_dump".into(),
            ));
        }
        new_file(path)?;
        self.db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "VACUUM INTO ?",
                [path.display().to_string().into()],
            ))
            .await?;
        check_sqlite_copy(path).await
    }

    /// After a copy was put back: a new identity, and events numbered from a new block.
    pub async fn restored(&self) -> Result<()> {
        let txn = self.write().await?;
        let identity = crate::tokens::random_hex(32);
        setting::Entity::insert(setting::ActiveModel {
            key: Set("database_identity".into()),
            value: Set(identity.clone()),
        })
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(setting::Column::Key)
                .update_column(setting::Column::Value)
                .to_owned(),
        )
        .exec(&txn)
        .await?;
        let backend = txn.get_database_backend();
        let last = txn
            .query_one_raw(Statement::from_string(
                backend,
                "SELECT COALESCE(MAX(id), 0) AS n FROM outbox",
            ))
            .await?
            .map(|r| r.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0);
        let next_block = (last / EVENT_BLOCK + 1) * EVENT_BLOCK;
        match backend {
            DbBackend::Postgres => {
                txn.execute_raw(Statement::from_sql_and_values(
                    backend,
                    "SELECT setval(pg_get_serial_sequence('outbox', 'id'), $1)",
                    [next_block.into()],
                ))
                .await?;
            }
            _ => {
                txn.execute_unprepared("DELETE FROM sqlite_sequence WHERE name = 'outbox'")
                    .await?;
                txn.execute_raw(Statement::from_sql_and_values(
                    backend,
                    "INSERT INTO sqlite_sequence (name, seq) VALUES ('outbox', ?)",
                    [next_block.into()],
                ))
                .await?;
            }
        }
        txn.commit().await?;
        tracing::info!(
            identity,
            next_event = next_block + 1,
            "restored database renamed"
        );
        Ok(())
    }

    /// Closes the connections (before the database is replaced under them).
    pub async fn close(self) -> Result<()> {
        Ok(self.db.close().await?)
    }
}

/// Checks an SQLite copy: it opens, and `PRAGMA integrity_check` says ok.
pub async fn check_sqlite_copy(path: &Path) -> Result<()> {
    let options =
        crate::scratch::one_connection(format!("sqlite://{}?mode=ro", path.display()), |o| o);
    let db = sea_orm::Database::connect(options).await?;
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await;
    let _ = db.close().await;
    let said: Vec<String> = rows?
        .iter()
        .filter_map(|r| r.try_get_by_index::<String>(0).ok())
        .collect();
    if said == ["ok"] {
        Ok(())
    } else {
        Err(StoreError::Corrupt(format!(
            "{} is damaged: {}",
            path.display(),
            said.join("; ")
        )))
    }
}

/// The SQLite file of `url` (`sqlite://FILE?…`).
pub fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let file = rest.split('?').next().unwrap_or(rest);
    (!file.is_empty() && file != ":memory:").then_some(file)
}

/// Puts the SQLite copy `from` in place of the database file of `url`, whose server is
/// stopped: the copy is checked, written beside the database and renamed over it (the old
/// `-wal` and `-shm` files removed), then given a new identity and a new block of event ids.
pub async fn restore_sqlite(url: &str, from: &Path) -> Result<()> {
    let target = sqlite_file(url)
        .ok_or_else(|| StoreError::Corrupt(format!("{url} is not an SQLite file")))?;
    check_sqlite_copy(from).await?;
    let target = Path::new(target);
    let beside = target.with_extension("restoring");
    std::fs::copy(from, &beside).map_err(io)?;
    for suffix in ["-wal", "-shm"] {
        let side = format!("{}{suffix}", target.display());
        match std::fs::remove_file(&side) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
            _ => {}
        }
    }
    std::fs::rename(&beside, target).map_err(io)?;
    let store = Store::connect(url, None).await?;
    store.restored().await?;
    store.close().await
}

/// Writes a copy of the PostgreSQL database at `url` into `path` with `pg_dump` (custom
/// format, no owners or privileges: it restores into any database).
pub fn dump_postgres(url: &str, path: &Path) -> Result<()> {
    new_file(path)?;
    run(Command::new("pg_dump")
        .args(["--format=custom", "--no-owner", "--no-privileges", "--file"])
        .arg(path)
        .arg("--dbname")
        .arg(url))
}

/// Puts the `pg_dump` copy `from` back into the PostgreSQL database at `url`, whose servers
/// are stopped (every table replaced), then gives it a new identity and a new block of
/// event ids.
pub async fn restore_postgres(url: &str, from: &Path) -> Result<()> {
    run(Command::new("pg_restore")
        .args([
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
        ])
        .arg(url)
        .arg(from))?;
    let store = Store::connect(url, None).await?;
    store.restored().await?;
    store.close().await
}

fn run(command: &mut Command) -> Result<()> {
    let program = command.get_program().to_string_lossy().into_owned();
    let out = command.output().map_err(|e| {
        StoreError::Corrupt(format!(
            "{program} could not be run ({e}): install the PostgreSQL client tools"
        ))
    })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(StoreError::Corrupt(format!(
            "{program} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// A copy is written to a new file, never over one.
fn new_file(path: &Path) -> Result<()> {
    if path.exists() {
        return Err(StoreError::Corrupt(format!(
            "{} exists: a copy is written to a new file",
            path.display()
        )));
    }
    Ok(())
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Corrupt(format!("restoring: {e}"))
}
