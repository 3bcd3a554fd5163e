//! Import jobs kept in the database: any server shows any job, a restart keeps their reports,
//! and ids are never handed out twice.

use crate::prelude::*;

/// Applies the migration.
pub(crate) async fn up(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(Alias::new("import_jobs"))
            .col(big_pk_auto("id"))
            .col(string_len("file", 255))
            // The park the job imports for; none: the city office, for every park.
            .col(string_len_null("park_code", 32))
            .col(string_len("started_by", 120))
            .col(big_integer_null("started_by_token_id"))
            // running, done, failed, interrupted
            .col(string_len("state", 16))
            .col(big_integer("done"))
            .col(big_integer("total"))
            // Rows whose transactions committed (a partial import commits as it goes).
            .col(big_integer("committed_rows"))
            .col(json_null("report"))
            .col(json_null("problem"))
            .col(blob_null("annotated"))
            // The server process running it, and when it last said so.
            .col(string_len("runner", 64))
            .col(timestamp_with_time_zone("started_at"))
            .col(timestamp_with_time_zone("heartbeat_at"))
            .col(timestamp_with_time_zone_null("finished_at"))
            .to_owned(),
    )
    .await?;
    m.get_connection()
        .execute_unprepared("CREATE INDEX ix_import_jobs_state ON import_jobs (state)")
        .await?;
    Ok(())
}
