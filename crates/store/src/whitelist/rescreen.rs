//! Re-screening published entries: after a committed change makes an enterprise fail (in the
//! same transaction), and for every entry on a day (expiry with the batch's validity).

use super::*;

impl Store {
    /// Re-screens the published entry of an enterprise inside the transaction that changed
    /// its data; a failure suspends it, with the reason, in that same transaction.
    pub(crate) async fn rescreen_after_change(
        &self,
        txn: &impl ConnectionTrait,
        actor: &Actor,
        enterprise_id: i64,
    ) -> Result<()> {
        let Some(row) = whitelist_entry::Entity::find()
            .filter(whitelist_entry::Column::LiveEnterpriseId.eq(enterprise_id))
            .filter(whitelist_entry::Column::Status.eq(EntryStatus::Published.as_str()))
            .one(txn)
            .await?
        else {
            return Ok(());
        };
        let s = self
            .screen_enterprise(txn, enterprise_id, actor.today)
            .await?;
        if !s.passed {
            let reason = format!("自动暂停：{}", s.summary());
            self.apply(
                txn,
                actor,
                &row,
                Transition::Suspend,
                s.reason_code(),
                &reason,
                Some(&s),
                None,
            )
            .await?;
        }
        Ok(())
    }

    /// Re-screens every published entry as of `as_of`, and expires the entries of batches
    /// whose validity ended before it (closing those batches). One transaction, rolled back
    /// for a `dry_run`: the report then says what would change.
    pub async fn rescreen(
        &self,
        actor: &Actor,
        as_of: NaiveDate,
        dry_run: bool,
    ) -> Result<RescreenReport> {
        let actor = Actor {
            today: as_of,
            ..actor.clone()
        };
        let mut report = RescreenReport {
            as_of: Some(as_of),
            ..Default::default()
        };
        let txn = self.write().await?;
        let ended = whitelist_batch::Entity::find()
            .filter(whitelist_batch::Column::Status.eq(BatchStatus::Published.as_str()))
            .filter(whitelist_batch::Column::ValidUntil.lt(as_of))
            .all(&txn)
            .await?;
        for b in ended {
            let entries = whitelist_entry::Entity::find()
                .filter(whitelist_entry::Column::BatchId.eq(b.id))
                .filter(whitelist_entry::Column::Status.is_in([
                    EntryStatus::Published.as_str(),
                    EntryStatus::Suspended.as_str(),
                ]))
                .all(&txn)
                .await?;
            for e in entries {
                self.apply(
                    &txn,
                    &actor,
                    &e,
                    Transition::Expire,
                    ReasonCode::ValidityEnded,
                    &format!(
                        "批次有效期至{} / the batch was valid until {}",
                        b.valid_until, b.valid_until
                    ),
                    None,
                    None,
                )
                .await?;
                report.expired.push(e.id);
            }
            self.set_batch_status(
                &txn,
                &actor,
                &b,
                BatchStatus::Closed,
                "close",
                Some("validity_ended"),
            )
            .await?;
            report.closed_batches.push(b.id);
        }
        let published = whitelist_entry::Entity::find()
            .filter(whitelist_entry::Column::Status.eq(EntryStatus::Published.as_str()))
            .all(&txn)
            .await?;
        for e in published {
            report.checked += 1;
            let s = self.screen_enterprise(&txn, e.enterprise_id, as_of).await?;
            if !s.passed {
                let reason = format!("复核暂停：{}", s.summary());
                self.apply(
                    &txn,
                    &actor,
                    &e,
                    Transition::Suspend,
                    s.reason_code(),
                    &reason,
                    Some(&s),
                    None,
                )
                .await?;
                report.suspended.push((e.id, s.summary()));
            }
        }
        if dry_run {
            txn.rollback().await?;
        } else {
            crate::audit::commit(txn).await?;
        }
        Ok(report)
    }
}
