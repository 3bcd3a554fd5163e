//! Banks' loan products: their rules as one JSON document, validated by the domain on save.

use crate::prelude::*;

/// Applies the migration.
pub(crate) async fn up(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(Alias::new("loan_products"))
            .col(big_pk_auto("id"))
            .col(big_integer("bank_id"))
            .col(string_len("name", 100))
            .col(string_len("status", 16))
            .col(json("rules"))
            .col(date_null("published_on"))
            .col(date_null("withdrawn_on"))
            .col(big_integer("version"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_loan_products_bank_id")
                    .from(Alias::new("loan_products"), Alias::new("bank_id"))
                    .to(Alias::new("banks"), Alias::new("id"))
                    .on_delete(ForeignKeyAction::Restrict),
            )
            .to_owned(),
    )
    .await?;
    m.create_index(
        Index::create()
            .name("ix_loan_products_bank")
            .table(Alias::new("loan_products"))
            .col(Alias::new("bank_id"))
            .col(Alias::new("id"))
            .to_owned(),
    )
    .await
}
