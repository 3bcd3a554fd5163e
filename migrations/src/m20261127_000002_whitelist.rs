//! The white list: entry criteria, batches and entries.

use crate::prelude::*;

fn fk(from: &str, col: &str, to: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from}_{col}"))
        .from(Alias::new(from), Alias::new(col))
        .to(Alias::new(to), Alias::new("id"))
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

/// Applies the migration.
pub(crate) async fn up(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(Alias::new("whitelist_criteria"))
            .col(big_integer("id").primary_key())
            .col(json("criteria"))
            .col(big_integer("version"))
            .col(timestamp_with_time_zone("updated_at"))
            .to_owned(),
    )
    .await?;
    m.create_table(
        Table::create()
            .table(Alias::new("whitelist_batches"))
            .col(big_pk_auto("id"))
            .col(string_len_uniq("name", 100))
            .col(date("valid_until"))
            .col(string_len("status", 16))
            .col(date_null("published_on"))
            .col(big_integer("version"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .to_owned(),
    )
    .await?;
    m.create_table(
        Table::create()
            .table(Alias::new("whitelist_entries"))
            .col(big_pk_auto("id"))
            .col(big_integer("batch_id"))
            .col(big_integer("enterprise_id"))
            .col(big_integer("park_id"))
            .col(string_len("status", 16))
            // The enterprise while the entry is live, NULL after: a unique index on it
            // allows one live entry per enterprise on SQLite and PostgreSQL alike.
            .col(big_integer_null("live_enterprise_id"))
            .col(big_integer_null("nominated_by_token"))
            .col(string_len("nominated_by", 120))
            .col(json("screening"))
            .col(text_null("override_reason"))
            .col(string_len("reason_code", 32))
            .col(text("reason"))
            .col(date_null("published_on"))
            .col(big_integer("version"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .foreign_key(&mut fk(
                "whitelist_entries",
                "batch_id",
                "whitelist_batches",
            ))
            .foreign_key(&mut fk("whitelist_entries", "enterprise_id", "enterprises"))
            .foreign_key(&mut fk("whitelist_entries", "park_id", "parks"))
            .to_owned(),
    )
    .await?;
    for (name, cols, unique) in [
        (
            "ux_whitelist_entries_live",
            &["live_enterprise_id"][..],
            true,
        ),
        ("ix_whitelist_entries_batch", &["batch_id", "id"][..], false),
        ("ix_whitelist_entries_status", &["status", "id"][..], false),
        (
            "ix_whitelist_entries_enterprise",
            &["enterprise_id"][..],
            false,
        ),
    ] {
        let mut i = Index::create();
        i.name(name).table(Alias::new("whitelist_entries"));
        for c in cols {
            i.col(Alias::new(*c));
        }
        if unique {
            i.unique();
        }
        m.create_index(i.to_owned()).await?;
    }
    Ok(())
}
