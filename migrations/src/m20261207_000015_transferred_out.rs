//! A patent transferred out of our enterprises keeps the name of its patentee of record.

use crate::prelude::*;

/// Applies the migration.
pub(crate) async fn up(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.alter_table(
        Table::alter()
            .table(Alias::new("patents"))
            .add_column(string_len_null("transferred_out_to", 100))
            .to_owned(),
    )
    .await
}
