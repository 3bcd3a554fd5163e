//! A patent's pledge history: the pledges before the latest (whose columns the patent row
//! keeps, as before), oldest first, as JSON; NULL when there were none.

use crate::prelude::*;

/// Applies the migration.
pub(crate) async fn up(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.alter_table(
        Table::alter()
            .table(Alias::new("patents"))
            .add_column(json_null("earlier_pledges"))
            .to_owned(),
    )
    .await
}
