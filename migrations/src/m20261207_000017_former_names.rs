//! An enterprise's former names (曾用名), and their keys as names are matched (`|key|key|`),
//! so an owner written by a former name is found.

use crate::prelude::*;

/// Applies the migration.
pub(crate) async fn up(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    for column in [json_null("former_names"), text_null("former_name_keys")] {
        m.alter_table(
            Table::alter()
                .table(Alias::new("enterprises"))
                .add_column(column)
                .to_owned(),
        )
        .await?;
    }
    Ok(())
}
