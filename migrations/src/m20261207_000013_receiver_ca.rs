//! A receiver's own certificate authority: a bank in a closed network names the CA (PEM) that
//! signed its receiver's certificate, trusted for that subscription only.

use crate::prelude::*;

/// Applies the migration.
pub(crate) async fn up(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.alter_table(
        Table::alter()
            .table(Alias::new("webhooks"))
            .add_column(text_null("ca_certificate"))
            .to_owned(),
    )
    .await
}
