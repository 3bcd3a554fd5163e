//! People: the accounts that hold tokens. Four-eyes rules and audit records name a person,
//! not a token's label. Every existing token gets a person of its own (`token-{id}`), and
//! the entries nominated with it are traced to that person.

use crate::prelude::*;

/// Applies the migration.
pub(crate) async fn up(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(Alias::new("people"))
            .col(big_pk_auto("id"))
            .col(string_len_uniq("login", 64))
            .col(string_len("name", 100))
            .col(string_len("role", 16))
            .col(big_integer_null("park_id"))
            .col(big_integer_null("bank_id"))
            // The person who created this one (none: the command line).
            .col(big_integer_null("created_by"))
            .col(timestamp_with_time_zone_null("disabled_at"))
            .col(timestamp_with_time_zone("created_at"))
            .col(big_integer("version"))
            .to_owned(),
    )
    .await?;
    let db = m.get_connection();
    // One change per statement: SQLite takes one change per ALTER TABLE.
    for sql in [
        "ALTER TABLE api_tokens ADD COLUMN person_id BIGINT NULL",
        "ALTER TABLE whitelist_entries ADD COLUMN nominated_by_person BIGINT NULL",
        "ALTER TABLE audit_log ADD COLUMN actor_person_id BIGINT NULL",
        "INSERT INTO people (login, name, role, park_id, bank_id, created_by, disabled_at, created_at, version) \
         SELECT 'token-' || CAST(id AS VARCHAR(20)), name, role, park_id, bank_id, NULL, NULL, created_at, 1 FROM api_tokens",
        "UPDATE api_tokens SET person_id = \
         (SELECT p.id FROM people p WHERE p.login = 'token-' || CAST(api_tokens.id AS VARCHAR(20)))",
        "UPDATE whitelist_entries SET nominated_by_person = \
         (SELECT t.person_id FROM api_tokens t WHERE t.id = whitelist_entries.nominated_by_token)",
        "UPDATE audit_log SET actor_person_id = \
         (SELECT t.person_id FROM api_tokens t WHERE t.id = audit_log.actor_token_id)",
        "CREATE INDEX ix_api_tokens_person_id ON api_tokens (person_id)",
    ] {
        db.execute_unprepared(sql).await?;
    }
    Ok(())
}
