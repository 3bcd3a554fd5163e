//! Copies of the database an operator can trust, and putting one back (see
//! [`pledge_store::backup`]): the operator's use cases, run by `pledge backup` and
//! `pledge restore`.

use crate::error::Result;
use pledge_store::Store;
use pledge_store::backup::{self, Kind};
use std::path::Path;

/// Writes a consistent copy of the database at `url` into `path` (a new file) while its
/// servers keep answering: SQLite by `VACUUM INTO`, checked; PostgreSQL by `pg_dump`.
pub async fn backup(url: &str, path: &Path) -> Result<()> {
    match Kind::of(url) {
        Kind::Sqlite => {
            let store = Store::connect(url, None).await?;
            let copied = store.backup_sqlite(path).await;
            store.close().await?;
            Ok(copied?)
        }
        Kind::Postgres => Ok(backup::dump_postgres(url, path)?),
    }
}

/// Puts the copy `from` back as the database at `url`, whose servers are stopped; the
/// restored database gets a new identity and a new block of event ids.
pub async fn restore(url: &str, from: &Path) -> Result<()> {
    match Kind::of(url) {
        Kind::Sqlite => Ok(backup::restore_sqlite(url, from).await?),
        Kind::Postgres => Ok(backup::restore_postgres(url, from).await?),
    }
}

/// Checks an SQLite copy (`PRAGMA integrity_check`).
pub async fn check_copy(path: &Path) -> Result<()> {
    Ok(backup::check_sqlite_copy(path).await?)
}
