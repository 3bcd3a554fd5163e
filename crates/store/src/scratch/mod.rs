//! A private copy of what an import reads, so that a dry run, and the check of an
//! all-or-nothing import, run without the database's write lock. On SQLite one writer holds
//! the lock at a time: checking a large file inside a write transaction would hold every
//! other park's writes up for as long. The copy is a throw-away SQLite file with the same
//! schema, holding the parks, the white-list batches and criteria, and every enterprise the
//! file names or whose patents and trademarks it names, with all their IP, appraisals and
//! white-list entries (what the import's own checks and re-screening read). The same import
//! code then runs on the copy; the database itself is only read, in one snapshot. What a
//! clean all-or-nothing check wrote on the copy is then written back ([`apply`]).

mod apply;

pub(crate) use apply::Applied;

use crate::Store;
use crate::error::{Result, StoreError};
use pledge_domain::statement::{IpNumber, Statements};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
    TransactionTrait, Value,
};
use std::path::PathBuf;

/// Keys named per statement, well under SQLite's bind limit.
const CHUNK: usize = 500;

/// The copy: its store, and its file, removed when it is dropped.
pub(crate) struct Scratch {
    pub(crate) store: Store,
    path: PathBuf,
    /// The file of the database it copies.
    live: String,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let mut p = self.path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

/// The tables copied, in an order that keeps the foreign keys whole, and which rows.
const COPIES: [(&str, &str); 8] = [
    ("parks", "TRUE"),
    ("whitelist_criteria", "TRUE"),
    ("whitelist_batches", "TRUE"),
    (
        "enterprises",
        "id IN (SELECT id FROM temp.copied_enterprises)",
    ),
    (
        "patents",
        "enterprise_id IN (SELECT id FROM temp.copied_enterprises)",
    ),
    (
        "trademarks",
        "enterprise_id IN (SELECT id FROM temp.copied_enterprises)",
    ),
    (
        "appraisals",
        "patent_id IN (SELECT id FROM main.patents) OR trademark_id IN (SELECT id FROM main.trademarks)",
    ),
    (
        "whitelist_entries",
        "enterprise_id IN (SELECT id FROM temp.copied_enterprises)",
    ),
];

impl Store {
    /// The file of this SQLite database, or `None` (PostgreSQL, or SQLite in memory).
    async fn sqlite_file(&self) -> Result<Option<String>> {
        if self.is_postgres() {
            return Ok(None);
        }
        let rows = self
            .db
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT file FROM pragma_database_list WHERE name = 'main'",
            ))
            .await?;
        let file: Option<String> = match rows.first() {
            Some(r) => r.try_get("", "file")?,
            None => None,
        };
        Ok(file.filter(|f| !f.is_empty()))
    }

    /// A copy of what importing `parsed` reads, on SQLite databases kept in a file; `None`
    /// where the import runs on the database itself (PostgreSQL's readers and writers do not
    /// wait for each other; an in-memory database has no file to read beside it).
    pub(crate) async fn scratch_for(
        &self,
        parsed: &Statements,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<Scratch>> {
        let Some(live) = self.sqlite_file().await? else {
            return Ok(None);
        };
        let folder = std::env::temp_dir();
        let swept = sweep_stale_copies(&folder);
        if swept > 0 {
            tracing::info!(files = swept, "removed the copies of killed import checks");
        }
        let path = folder.join(format!(
            "{COPY_PREFIX}{}-{}.db",
            std::process::id(),
            crate::tokens::random_hex(8)
        ));
        // The live database is attached to its one connection while it is copied. Thrown
        // away after the import: nothing is worth a journal on disk or a sync.
        let options = one_connection(format!("sqlite://{}?mode=rwc", path.display()), |o| {
            o.journal_mode(SqliteJournalMode::Memory)
                .synchronous(SqliteSynchronous::Off)
        });
        let scratch = Scratch {
            store: Store {
                db: Database::connect(options).await?,
                token_key: self.token_key.clone(),
                sealing_key: self.sealing_key.clone(),
            },
            path,
            live: live.clone(),
        };
        scratch.store.migrate(now).await?;
        copy_into(&scratch.store.db, &live, parsed).await?;
        Ok(Some(scratch))
    }
}

/// How the file of a copy is named in the temporary folder, before its process's id and its
/// random part.
const COPY_PREFIX: &str = "pledge-import-check-";

/// Removes the copies in `folder` (with their journals) whose process has ended: a process
/// killed during a check leaves its copy behind. A copy's name carries its process's id; a
/// process that still runs (on Linux, one under `/proc`) keeps its copies, whatever any clock
/// says. How many were removed.
fn sweep_stale_copies(folder: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return 0;
    };
    let ended = |pid: u32| {
        cfg!(target_os = "linux") && !std::path::Path::new(&format!("/proc/{pid}")).exists()
    };
    entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_prefix(COPY_PREFIX))
                .and_then(|rest| rest.split_once('-'))
                .and_then(|(pid, _)| pid.parse::<u32>().ok())
                .is_some_and(ended)
        })
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
}

/// A pool of one SQLite connection to `url` (what is attached to it stays attached), with
/// foreign keys checked and the journal `journal` sets.
pub(crate) fn one_connection(
    url: String,
    journal: fn(SqliteConnectOptions) -> SqliteConnectOptions,
) -> ConnectOptions {
    let mut options = ConnectOptions::new(url);
    options
        .sqlx_logging(false)
        .max_connections(1)
        .min_connections(1)
        .map_sqlx_sqlite_opts(move |o| journal(o.foreign_keys(true)));
    options
}

/// Copies the rows importing `parsed` reads from the database in file `live` into `db`, in
/// one read snapshot of `live`, which is attached for the copy only.
async fn copy_into(db: &DatabaseConnection, live: &str, parsed: &Statements) -> Result<()> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        "ATTACH DATABASE ? AS live",
        [live.into()],
    ))
    .await?;
    let copied = copy_rows(db, parsed).await;
    let detached = db
        .execute_unprepared("DETACH DATABASE live")
        .await
        .map_err(StoreError::from);
    copied.and(detached.map(|_| ()))
}

/// The copy itself, in one transaction (one snapshot of `live`).
async fn copy_rows(db: &DatabaseConnection, parsed: &Statements) -> Result<()> {
    let txn = db.begin().await?;
    for sql in [
        "CREATE TEMP TABLE wanted_usccs (uscc TEXT PRIMARY KEY)",
        "CREATE TEMP TABLE wanted_patents (number TEXT PRIMARY KEY)",
        "CREATE TEMP TABLE wanted_trademarks (number BIGINT, class INTEGER, PRIMARY KEY (number, class))",
    ] {
        txn.execute_unprepared(sql).await?;
    }
    let (usccs, patents, trademarks) = wanted(parsed);
    insert_keys(&txn, "wanted_usccs", 1, usccs).await?;
    insert_keys(&txn, "wanted_patents", 1, patents).await?;
    insert_keys(&txn, "wanted_trademarks", 2, trademarks).await?;
    txn.execute_unprepared(
        "CREATE TEMP TABLE copied_enterprises AS \
         SELECT id FROM live.enterprises WHERE uscc IN (SELECT uscc FROM temp.wanted_usccs) \
         UNION SELECT enterprise_id FROM live.patents \
           WHERE application_number IN (SELECT number FROM temp.wanted_patents) \
         UNION SELECT t.enterprise_id FROM live.trademarks t JOIN temp.wanted_trademarks w \
           ON t.registration_number = w.number AND t.nice_class = w.class",
    )
    .await?;
    for (table, which) in COPIES {
        let columns = columns_of(&txn, "main", table, &[]).await?.join(", ");
        txn.execute_unprepared(&format!(
            "INSERT INTO main.{table} ({columns}) SELECT {columns} FROM live.{table} WHERE {which}"
        ))
        .await?;
    }
    // What was copied, and at which version: what writing the check back compares with.
    txn.execute_unprepared(
        "CREATE TABLE main.copied (tbl TEXT NOT NULL, id INTEGER NOT NULL, version BIGINT, \
         PRIMARY KEY (tbl, id))",
    )
    .await?;
    for table in ["enterprises", "patents", "trademarks", "whitelist_entries"] {
        txn.execute_unprepared(&format!(
            "INSERT INTO main.copied SELECT '{table}', id, version FROM main.{table}"
        ))
        .await?;
    }
    txn.execute_unprepared(
        "INSERT INTO main.copied SELECT 'appraisals', id, NULL FROM main.appraisals",
    )
    .await?;
    for table in [
        "wanted_usccs",
        "wanted_patents",
        "wanted_trademarks",
        "copied_enterprises",
    ] {
        txn.execute_unprepared(&format!("DROP TABLE temp.{table}"))
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The enterprises (by code), patents (by number) and trademarks (by number and class) that
/// `parsed` names, as text and integer keys.
fn wanted(parsed: &Statements) -> (Vec<Value>, Vec<Value>, Vec<Value>) {
    let mut usccs: Vec<String> = Vec::new();
    let mut patents: Vec<String> = Vec::new();
    let mut trademarks: Vec<(i64, i64)> = Vec::new();
    usccs.extend(
        parsed
            .enterprises
            .iter()
            .map(|(_, r)| r.enterprise.uscc.to_string()),
    );
    usccs.extend(
        parsed
            .qualifications
            .iter()
            .map(|(_, r)| r.uscc.to_string()),
    );
    for (_, r) in &parsed.patents {
        usccs.push(r.patent.owner.to_string());
        patents.push(r.patent.application_number.to_string());
    }
    for (_, t) in &parsed.trademarks {
        usccs.push(t.owner.to_string());
        trademarks.push((
            t.registration_number.get().into(),
            t.nice_class.get().into(),
        ));
    }
    for (_, a) in &parsed.appraisals {
        match a.ip {
            IpNumber::Patent(n) => patents.push(n.to_string()),
            IpNumber::Trademark(n, c) => trademarks.push((n.get().into(), c.get().into())),
        }
    }
    usccs.sort();
    usccs.dedup();
    patents.sort();
    patents.dedup();
    trademarks.sort();
    trademarks.dedup();
    (
        usccs.into_iter().map(Value::from).collect(),
        patents.into_iter().map(Value::from).collect(),
        trademarks
            .into_iter()
            .flat_map(|(n, c)| [Value::from(n), Value::from(c)])
            .collect(),
    )
}

/// Inserts `values`, `width` to a row, into the temporary table `table`.
async fn insert_keys(
    db: &impl ConnectionTrait,
    table: &str,
    width: usize,
    values: Vec<Value>,
) -> Result<()> {
    let row = format!("({})", vec!["?"; width].join(", "));
    for chunk in values.chunks(CHUNK * width) {
        let rows = vec![row.as_str(); chunk.len() / width].join(", ");
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            format!("INSERT OR IGNORE INTO temp.{table} VALUES {rows}"),
            chunk.to_vec(),
        ))
        .await?;
    }
    Ok(())
}

/// The columns of `table` in `schema`, quoted, but for those named in `except`.
async fn columns_of(
    db: &impl ConnectionTrait,
    schema: &str,
    table: &str,
    except: &[&str],
) -> Result<Vec<String>> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "SELECT name FROM pragma_table_info(?, ?) ORDER BY cid",
            [table.into(), schema.into()],
        ))
        .await?;
    let names = rows
        .iter()
        .map(|r| r.try_get::<String>("", "name"))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    if names.is_empty() {
        return Err(StoreError::corrupt(format!("no table {schema}.{table}")));
    }
    Ok(names
        .into_iter()
        .filter(|n| !except.contains(&n.as_str()))
        .map(|n| format!("\"{n}\""))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_left_by_killed_checks_are_swept_and_running_ones_kept() {
        let folder = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
        let file = |name: String| {
            let path = folder.path().join(name);
            std::fs::File::create(&path).unwrap_or_else(|e| unreachable!("{e}"));
            path
        };
        // A process id above Linux's largest (2^22) has ended, if it ever ran.
        let gone = 4_194_305;
        let killed = file(format!("pledge-import-check-{gone}-0a1b.db"));
        let journal = file(format!("pledge-import-check-{gone}-0a1b.db-journal"));
        let running = file(format!(
            "pledge-import-check-{}-2c3d.db",
            std::process::id()
        ));
        let other = file("someone-else.db".into());
        let unnamed = file("pledge-import-check-0a1b.db".into());
        assert_eq!(sweep_stale_copies(folder.path()), 2);
        assert!(!killed.exists() && !journal.exists());
        assert!(running.exists(), "a running process's copy is kept");
        assert!(
            other.exists() && unnamed.exists(),
            "files not ours are left alone"
        );
    }
}
