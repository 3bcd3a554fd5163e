//! Pushes to banks (推送): their subscriptions, the outbox of events, each event's delivery to
//! each subscription with its attempts, the position of the change feed up to which match
//! events were drawn, and how far each person has seen the events.

use crate::prelude::*;

/// Applies the migration.
pub(crate) async fn up(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(Alias::new("webhooks"))
            .col(big_pk_auto("id"))
            .col(big_integer("bank_id"))
            .col(text("url"))
            .col(json("events"))
            // Needed in clear to sign each delivery; never shown again.
            .col(text("secret"))
            .col(text("created_by"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone_null("removed_at"))
            .to_owned(),
    )
    .await?;
    m.create_table(
        Table::create()
            .table(Alias::new("outbox"))
            .col(big_pk_auto("id"))
            // NULL: for every bank.
            .col(big_integer_null("bank_id"))
            .col(string_len("event", 32))
            .col(json("payload"))
            .col(timestamp_with_time_zone("created_at"))
            .to_owned(),
    )
    .await?;
    m.create_index(
        Index::create()
            .name("outbox_by_bank")
            .table(Alias::new("outbox"))
            .col(Alias::new("bank_id"))
            .to_owned(),
    )
    .await?;
    m.create_table(
        Table::create()
            .table(Alias::new("deliveries"))
            .col(big_pk_auto("id"))
            .col(big_integer("webhook_id"))
            .col(big_integer("outbox_id"))
            // pending, delivered, failed (gave up).
            .col(string_len("status", 16))
            .col(integer("attempts"))
            .col(timestamp_with_time_zone("next_attempt_at"))
            .col(timestamp_with_time_zone_null("lease_until"))
            .col(integer_null("last_status_code"))
            .col(text_null("last_error"))
            .col(timestamp_with_time_zone_null("delivered_at"))
            .col(timestamp_with_time_zone("created_at"))
            .to_owned(),
    )
    .await?;
    m.create_index(
        Index::create()
            .name("deliveries_due")
            .table(Alias::new("deliveries"))
            .col(Alias::new("status"))
            .col(Alias::new("next_attempt_at"))
            .to_owned(),
    )
    .await?;
    m.create_index(
        Index::create()
            .name("deliveries_by_webhook")
            .table(Alias::new("deliveries"))
            .col(Alias::new("webhook_id"))
            .to_owned(),
    )
    .await?;
    m.create_table(
        Table::create()
            .table(Alias::new("event_cursor"))
            .col(big_integer("id").primary_key())
            .col(big_integer("commit_seq"))
            .col(big_integer("record"))
            .to_owned(),
    )
    .await?;
    m.create_table(
        Table::create()
            .table(Alias::new("events_seen"))
            // The person's id.
            .col(big_integer("id").primary_key())
            .col(big_integer("outbox_id"))
            .to_owned(),
    )
    .await
}
