//! Commit order for the change feed: every write transaction takes the next number of a
//! one-row counter just before it commits and stamps its audit records with it. The counter's
//! row lock is held until commit, so numbers become visible in the order transactions commit
//! (audit ids are handed out at insert time and do not say that on PostgreSQL).

use crate::prelude::*;

/// Applies the migration.
pub(crate) async fn up(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = m.get_connection();
    // One change per statement: SQLite takes one change per ALTER TABLE.
    for sql in [
        "ALTER TABLE audit_log ADD COLUMN commit_seq BIGINT NULL",
        "CREATE TABLE commit_counter (id INTEGER PRIMARY KEY, last BIGINT NOT NULL)",
        "INSERT INTO commit_counter (id, last) SELECT 1, COALESCE(MAX(id), 0) FROM audit_log",
        "UPDATE audit_log SET commit_seq = id",
        "CREATE INDEX ix_audit_log_commit_seq_id ON audit_log (commit_seq, id)",
        "CREATE INDEX ix_audit_log_unsealed ON audit_log (id) WHERE commit_seq IS NULL",
    ] {
        db.execute_unprepared(sql).await?;
    }
    Ok(())
}
