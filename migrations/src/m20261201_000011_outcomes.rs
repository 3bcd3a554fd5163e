//! Outcomes (对接结果): what a bank did with an enterprise for one of its products, step by step.

use crate::prelude::*;

/// Applies the migration.
pub(crate) async fn up(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(Alias::new("outcomes"))
            .col(big_pk_auto("id"))
            .col(big_integer("product_id"))
            // The product's bank, kept beside it: every read is limited by it.
            .col(big_integer("bank_id"))
            .col(big_integer("enterprise_id"))
            .col(big_integer_null("round_id"))
            .col(date("contacted_on"))
            .col(string_len("stage", 24))
            // The steps since the contact, in order, as the domain writes them.
            .col(json("steps"))
            .col(big_integer("version"))
            .col(text("created_by"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .to_owned(),
    )
    .await?;
    for (name, column) in [
        ("outcomes_bank", "bank_id"),
        ("outcomes_enterprise", "enterprise_id"),
        ("outcomes_product", "product_id"),
    ] {
        m.create_index(
            Index::create()
                .name(name)
                .table(Alias::new("outcomes"))
                .col(Alias::new(column))
                .to_owned(),
        )
        .await?;
    }
    Ok(())
}
