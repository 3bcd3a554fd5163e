//! Writing what a clean check left in the copy into the database, in one short transaction:
//! the rows the check changed replace the stored ones (each only if nobody changed it since
//! the copy was taken), the rows it added are added (their references to added rows mapped
//! to the ids the database gives them), and its audit records are added and stamped with the
//! database's next commit number, as any write's. SQLite copies the rows itself, from the
//! copy attached beside the database: no row passes through the server.

use super::Scratch;
use crate::error::{Result, StoreError};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use std::time::Duration;

/// A table the check may write: its natural key (none: never looked up again), and its
/// columns that refer to rows of the tables before it.
struct Written {
    table: &'static str,
    key: &'static [&'static str],
    refs: &'static [(&'static str, &'static str)],
    versioned: bool,
}

/// In the order their references need.
const WRITTEN: [Written; 5] = [
    Written {
        table: "enterprises",
        key: &["uscc"],
        refs: &[],
        versioned: true,
    },
    Written {
        table: "patents",
        key: &["application_number"],
        refs: &[("enterprise_id", "enterprises")],
        versioned: true,
    },
    Written {
        table: "trademarks",
        key: &["registration_number", "nice_class"],
        refs: &[("enterprise_id", "enterprises")],
        versioned: true,
    },
    Written {
        table: "appraisals",
        key: &[],
        refs: &[("patent_id", "patents"), ("trademark_id", "trademarks")],
        versioned: false,
    },
    Written {
        table: "whitelist_entries",
        key: &[],
        refs: &[
            ("enterprise_id", "enterprises"),
            ("live_enterprise_id", "enterprises"),
        ],
        versioned: true,
    },
];

/// The tables whose ids added rows get, and are mapped.
const MAPPED: [&str; 3] = ["enterprises", "patents", "trademarks"];

/// What became of writing the check into the database.
pub(crate) enum Applied {
    Written,
    /// A row the check changed or added was changed or added meanwhile: nothing was written.
    ChangedMeanwhile,
}

impl Scratch {
    /// Writes what the check committed in the copy into the database it was copied from, and
    /// in the same transaction the rows written on the import job `committed` names.
    pub(crate) async fn apply(&self, committed: Option<(i64, i64)>) -> Result<Applied> {
        // The copy is attached to its one connection; the database as the store opens it.
        let options = super::one_connection(format!("sqlite://{}", self.live), |o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
        });
        let db = Database::connect(options).await?;
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "ATTACH DATABASE ? AS checked",
            [self.path.display().to_string().into()],
        ))
        .await?;
        db.execute_unprepared("BEGIN IMMEDIATE").await?;
        let written = match write(&db).await {
            Ok(Applied::Written) => match committed {
                Some((job, rows)) => db
                    .execute_raw(Statement::from_sql_and_values(
                        DbBackend::Sqlite,
                        "UPDATE main.import_jobs SET committed_rows = ? WHERE id = ?",
                        [rows.into(), job.into()],
                    ))
                    .await
                    .map(|_| Applied::Written)
                    .map_err(StoreError::from),
                None => Ok(Applied::Written),
            },
            other => other,
        };
        let ended = match &written {
            Ok(Applied::Written) => db.execute_unprepared("COMMIT").await,
            _ => db.execute_unprepared("ROLLBACK").await,
        };
        let _ = db.execute_unprepared("DETACH DATABASE checked").await;
        // Whatever the closing says, the transaction has ended as `ended` tells.
        let _ = db.close().await;
        match written {
            Err(e) if is_constraint(&e) => {
                ended?;
                Ok(Applied::ChangedMeanwhile)
            }
            other => {
                ended?;
                other
            }
        }
    }
}

/// Whether `e` is a uniqueness or reference refused by the database: a row added meanwhile.
fn is_constraint(e: &StoreError) -> bool {
    matches!(e, StoreError::Database(_)) && e.to_string().contains("constraint failed")
}

/// The writes, within the open transaction.
async fn write(db: &DatabaseConnection) -> Result<Applied> {
    for w in WRITTEN.iter().filter(|w| w.versioned) {
        let t = w.table;
        let moved = count(
            db,
            &format!(
                "SELECT COUNT(*) AS n FROM checked.{t} s \
                 JOIN checked.copied c ON c.tbl = '{t}' AND c.id = s.id \
                 JOIN main.{t} m ON m.id = s.id \
                 WHERE s.version <> c.version AND m.version <> c.version"
            ),
        )
        .await?;
        if moved > 0 {
            return Ok(Applied::ChangedMeanwhile);
        }
    }
    for t in MAPPED {
        db.execute_unprepared(&format!(
            "CREATE TEMP TABLE map_{t} (s INTEGER PRIMARY KEY, m INTEGER NOT NULL)"
        ))
        .await?;
        db.execute_unprepared(&format!(
            "INSERT INTO temp.map_{t} SELECT id, id FROM checked.copied WHERE tbl = '{t}'"
        ))
        .await?;
    }
    for w in &WRITTEN {
        let t = w.table;
        let columns = super::columns_of(db, "checked", t, &["id"]).await?;
        let names = columns.join(", ");
        let values = columns
            .iter()
            .map(|c| {
                let bare = c.trim_matches('"');
                match w.refs.iter().find(|(col, _)| *col == bare) {
                    Some((_, to)) => format!("(SELECT m FROM temp.map_{to} WHERE s = x.{c})"),
                    None => format!("x.{c}"),
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        let copied = format!("SELECT id FROM checked.copied WHERE tbl = '{t}'");
        if w.versioned {
            db.execute_unprepared(&format!(
                "UPDATE main.{t} SET ({names}) = (SELECT {values} FROM checked.{t} x WHERE x.id = main.{t}.id) \
                 WHERE id IN (SELECT s.id FROM checked.{t} s \
                   JOIN checked.copied c ON c.tbl = '{t}' AND c.id = s.id WHERE s.version <> c.version)"
            ))
            .await?;
        }
        db.execute_unprepared(&format!(
            "INSERT INTO main.{t} ({names}) SELECT {values} FROM checked.{t} x \
             WHERE x.id NOT IN ({copied}) ORDER BY x.id"
        ))
        .await?;
        if MAPPED.contains(&t) {
            let same = w
                .key
                .iter()
                .map(|k| format!("m.{k} = x.{k}"))
                .collect::<Vec<_>>()
                .join(" AND ");
            db.execute_unprepared(&format!(
                "INSERT INTO temp.map_{t} SELECT x.id, m.id FROM checked.{t} x \
                 JOIN main.{t} m ON {same} WHERE x.id NOT IN ({copied})"
            ))
            .await?;
        }
    }
    let columns = super::columns_of(db, "checked", "audit_log", &["id", "commit_seq"]).await?;
    let names = columns.join(", ");
    db.execute_unprepared(&format!(
        "INSERT INTO main.audit_log ({names}) SELECT {names} FROM checked.audit_log ORDER BY id"
    ))
    .await?;
    for t in MAPPED {
        db.execute_unprepared(&format!("DROP TABLE temp.map_{t}"))
            .await?;
    }
    // Stamped as every commit is (see `audit::commit`): the next commit number.
    let seq = count(
        db,
        "UPDATE main.commit_counter SET last = last + 1 WHERE id = 1 RETURNING last AS n",
    )
    .await?;
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        "UPDATE main.audit_log SET commit_seq = ? WHERE commit_seq IS NULL",
        [seq.into()],
    ))
    .await?;
    Ok(Applied::Written)
}

/// The integer `n` the one row of `sql` answers.
async fn count(db: &DatabaseConnection, sql: &str) -> Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Sqlite, sql.to_owned()))
        .await?
        .ok_or_else(|| StoreError::corrupt(format!("no row from {sql}")))?;
    Ok(row.try_get("", "n")?)
}

#[cfg(test)]
mod tests {
    use super::Applied;
    use crate::testing::{Backend, TestDatabase};
    use crate::{Actor, ImportMode, ParkRecord};
    use chrono::NaiveDate;
    use pledge_domain::statement::{EnterpriseRow, Source, Statements};
    use pledge_domain::{Enterprise, IndustryCode, ParkCode, RegionCode, SizeClass, Text, Uscc};

    fn fail(e: impl std::fmt::Display) -> ! {
        panic!("{e}")
    }

    fn enterprise(name: &str) -> Enterprise {
        Enterprise {
            uscc: Uscc::from_body("91410702MA0000001").unwrap_or_else(|e| fail(e)),
            name: Text::parse(name, 2, 100).unwrap_or_else(|e| fail(e)),
            former_names: Vec::new(),
            park: ParkCode::parse("xxhtz").unwrap_or_else(|e| fail(e)),
            region: RegionCode::parse("410702").unwrap_or_else(|e| fail(e)),
            industry: IndustryCode::parse("C3421").unwrap_or_else(|e| fail(e)),
            strategic_industry: None,
            founded_on: NaiveDate::from_ymd_opt(2015, 5, 1).unwrap_or_else(|| fail("a day")),
            size: SizeClass::Small,
            qualifications: vec![],
            risk_flags: vec![],
            financing_need: None,
            contact: None,
            contact_consent: false,
        }
    }

    /// A row the check changed, changed by someone else before the check is written back:
    /// nothing is written back, and the other write stands.
    #[tokio::test]
    async fn a_row_changed_after_the_copy_is_not_written_over() {
        let db = TestDatabase::create(Backend::Sqlite).await;
        let store = db.store().await;
        let actor = Actor::cli_on(
            "test",
            NaiveDate::from_ymd_opt(2026, 11, 27).unwrap_or_else(|| fail("a day")),
        );
        store
            .create_park(
                &actor,
                ParkRecord {
                    code: ParkCode::parse("xxhtz").unwrap_or_else(|e| fail(e)),
                    name: Text::parse("新乡高新区", 2, 100).unwrap_or_else(|e| fail(e)),
                    region: RegionCode::parse("410702").unwrap_or_else(|e| fail(e)),
                },
            )
            .await
            .unwrap_or_else(|e| fail(e));
        store
            .create_enterprise(&actor, enterprise("新乡市测试机械有限公司"))
            .await
            .unwrap_or_else(|e| fail(e));
        let parsed = Statements {
            enterprises: vec![(
                Source { sheet: 0, row: 2 },
                EnterpriseRow {
                    enterprise: enterprise("新乡市台账机械有限公司"),
                    stated: std::sync::Arc::from(["uscc", "name"].as_slice()),
                    dated: vec![],
                    certified: vec![],
                },
            )],
            ..Statements::default()
        };
        let scratch = store
            .scratch_for(&parsed, actor.now)
            .await
            .unwrap_or_else(|e| fail(e))
            .unwrap_or_else(|| fail("an SQLite file has a copy"));
        let checked = scratch
            .store
            .import_here(
                &actor,
                &parsed,
                ImportMode::AllOrNothing,
                false,
                None,
                None,
                &|_, _| {},
            )
            .await
            .unwrap_or_else(|e| fail(e));
        assert_eq!(checked.counts["enterprises"].updated, 1);
        store
            .update_enterprise(&actor, enterprise("新乡市他人机械有限公司"), 1)
            .await
            .unwrap_or_else(|e| fail(e));
        let applied = scratch.apply(None).await.unwrap_or_else(|e| fail(e));
        assert!(matches!(applied, Applied::ChangedMeanwhile));
        let stored = store
            .enterprise(&enterprise("x x").uscc)
            .await
            .unwrap_or_else(|e| fail(e))
            .unwrap_or_else(|| fail("stored"));
        assert_eq!(stored.version, 2);
        assert_eq!(stored.value.name.as_str(), "新乡市他人机械有限公司");
    }
}
