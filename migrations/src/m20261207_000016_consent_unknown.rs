//! Whether a patent's co-owners consented to pledging may be unknown (a database's export does
//! not say): marked apart from a known "no".

use crate::prelude::*;

/// Applies the migration.
pub(crate) async fn up(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.alter_table(
        Table::alter()
            .table(Alias::new("patents"))
            .add_column(boolean("co_owners_consent_unknown").default(false))
            .to_owned(),
    )
    .await
}
