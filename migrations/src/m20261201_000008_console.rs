//! The console's sign-in: a person's password (an argon2id hash; none until one is set) and
//! the sessions people open by signing in (stored by the hash of their secret, with the token
//! every form of the session carries).

use crate::prelude::*;

/// Applies the migration.
pub(crate) async fn up(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.get_connection()
        .execute_unprepared("ALTER TABLE people ADD COLUMN password_hash TEXT NULL")
        .await?;
    m.create_table(
        Table::create()
            .table(Alias::new("sessions"))
            .col(string_len("key_hash", 64).primary_key())
            .col(big_integer("person_id"))
            .col(string_len("csrf", 64))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("last_seen_at"))
            .to_owned(),
    )
    .await?;
    Ok(())
}
