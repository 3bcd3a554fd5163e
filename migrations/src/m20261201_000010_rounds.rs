//! Matchmaking rounds (周对接, 政银企对接会): a name, a kind, a day, the banks and products that
//! take part, and the parks or enterprises invited.

use crate::prelude::*;

/// Applies the migration.
pub(crate) async fn up(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(Alias::new("rounds"))
            .col(big_pk_auto("id"))
            .col(text("name"))
            .col(string_len("kind", 16))
            .col(date("held_on"))
            // Codes, ids and USCCs as JSON arrays.
            .col(json("banks"))
            .col(json("products"))
            .col(json("parks"))
            .col(json("enterprises"))
            .col(text("created_by"))
            .col(timestamp_with_time_zone("created_at"))
            .to_owned(),
    )
    .await
}
