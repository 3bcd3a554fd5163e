//! Consents (授权): an enterprise's authorisation for one bank, or every bank, to see its
//! contact person and phone, for a period, with its evidence; withdrawn at once when the
//! enterprise says so. The flag that ledgers carried (`contact_consent`) becomes, for every
//! enterprise flagged, one consent for every bank from the day it was last written, its
//! evidence unknown: the flag no longer decides what a bank sees.

use crate::prelude::*;

/// Applies the migration.
pub(crate) async fn up(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(Alias::new("consents"))
            .col(big_pk_auto("id"))
            .col(big_integer("enterprise_id"))
            // NULL: every bank.
            .col(big_integer_null("bank_id"))
            .col(date("valid_from"))
            .col(date_null("valid_until"))
            // NULL only for the flags of ledgers before consents were recorded.
            .col(text_null("evidence_reference"))
            .col(date_null("evidence_date"))
            .col(text("recorded_by"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone_null("withdrawn_at"))
            .col(text_null("withdrawn_by"))
            .to_owned(),
    )
    .await?;
    m.create_index(
        Index::create()
            .name("consents_by_enterprise")
            .table(Alias::new("consents"))
            .col(Alias::new("enterprise_id"))
            .to_owned(),
    )
    .await?;
    let db = m.get_connection();
    let day = match m.get_database_backend() {
        DatabaseBackend::Postgres => "CAST(updated_at AS DATE)",
        _ => "DATE(updated_at)",
    };
    db.execute_unprepared(&format!(
        "INSERT INTO consents (enterprise_id, bank_id, valid_from, valid_until, \
         evidence_reference, evidence_date, recorded_by, created_at) \
         SELECT id, NULL, {day}, NULL, NULL, NULL, 'ledger', updated_at \
         FROM enterprises WHERE contact_consent"
    ))
    .await?;
    Ok(())
}
