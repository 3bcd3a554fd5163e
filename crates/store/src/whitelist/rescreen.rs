//! Re-screening published entries: after a committed change makes an enterprise fail (in the
//! same transaction), and for every entry on a day (expiry with the batch's validity).

use super::*;
use serde_json::{Value, json};

/// The record a run names under `key`, and its version after the run.
fn id_version(item: &Value, key: &str) -> Option<(i64, i64)> {
    Some((item[key].as_i64()?, item["version"].as_i64()?))
}

/// What a run changed, with each record's version after it (a reversal undoes only what has
/// not changed since).
#[derive(Default)]
struct Run {
    suspended: Vec<Value>,
    expired: Vec<Value>,
    closed: Vec<Value>,
}

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
        let mut run = Run::default();
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
                let after = self
                    .apply(
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
                run.expired
                    .push(json!({"entry": e.id, "version": after.version, "from": e.status}));
            }
            let closed = self
                .set_batch_status(
                    &txn,
                    &actor,
                    &b,
                    BatchStatus::Closed,
                    "close",
                    Some("validity_ended"),
                )
                .await?;
            report.closed_batches.push(b.id);
            run.closed
                .push(json!({"batch": b.id, "version": closed.version}));
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
                let after = self
                    .apply(
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
                run.suspended
                    .push(json!({"entry": e.id, "version": after.version}));
            }
        }
        if dry_run {
            txn.rollback().await?;
            return Ok(report);
        }
        // The run itself, one audited action: what a reversal undoes.
        let record = json!({
            "as_of": as_of,
            "suspended": run.suspended,
            "expired": run.expired,
            "closed_batches": run.closed,
        });
        report.run = Some(
            audit::record(
                &txn,
                &actor,
                actor.now,
                Change {
                    entity: "rescreen",
                    key: &as_of.to_string(),
                    action: "run",
                    park_id: None,
                    reason: None,
                    before: None,
                    after: Some(record),
                },
            )
            .await?,
        );
        crate::audit::commit(txn).await?;
        Ok(report)
    }

    /// Undoes the re-screening `run`, in one transaction: the entries it suspended are
    /// published again, those it expired are back in the state they were in, the batches it
    /// closed published again. What changed since the run (its version moved), and an expired
    /// entry whose enterprise has another live entry now, is left as it is and reported. A
    /// run is reversed once.
    pub async fn reverse_rescreen(&self, actor: &Actor, run: i64) -> Result<RescreenReversal> {
        let txn = self.write().await?;
        let not_found = || StoreError::NotFound {
            entity: "rescreen run",
            key: run.to_string(),
        };
        let record = crate::entities::audit::Entity::find_by_id(run)
            .one(&txn)
            .await?
            .filter(|r| r.entity == "rescreen" && r.action == "run")
            .ok_or_else(not_found)?;
        let reversed = crate::entities::audit::Entity::find()
            .filter(crate::entities::audit::Column::Entity.eq("rescreen"))
            .filter(crate::entities::audit::Column::Action.eq("reverse"))
            .filter(crate::entities::audit::Column::EntityKey.eq(run.to_string()))
            .one(&txn)
            .await?;
        if reversed.is_some() {
            return Err(StoreError::Conflict {
                code: pledge_domain::code::ILLEGAL_TRANSITION,
                detail: format!("复核{run}已撤销 / rescreen run {run} was reversed already"),
            });
        }
        let doc = record.after.unwrap_or_default();
        let items = |key: &str| doc[key].as_array().cloned().unwrap_or_default();
        let mut out = RescreenReversal {
            run,
            ..Default::default()
        };
        let reason = format!("撤销复核{run} / rescreen run {run} reversed");
        for b in items("closed_batches") {
            let Some((id, version)) = id_version(&b, "batch") else {
                continue;
            };
            match whitelist_batch::Entity::find_by_id(id).one(&txn).await? {
                Some(row) if row.version == version => {
                    self.set_batch_status(
                        &txn,
                        actor,
                        &row,
                        BatchStatus::Published,
                        "reopen",
                        Some("rescreen_reversed"),
                    )
                    .await?;
                    out.reopened.push(id);
                }
                _ => out
                    .kept
                    .push((id, "批次已变更 / the batch changed since".into())),
            }
        }
        let changed = "条目已变更 / the entry changed since";
        for e in items("suspended") {
            let Some((id, version)) = id_version(&e, "entry") else {
                continue;
            };
            match whitelist_entry::Entity::find_by_id(id).one(&txn).await? {
                Some(row) if row.version == version => {
                    self.apply(
                        &txn,
                        actor,
                        &row,
                        Transition::Reinstate,
                        ReasonCode::DataCorrected,
                        &reason,
                        None,
                        None,
                    )
                    .await?;
                    out.reinstated.push(id);
                }
                _ => out.kept.push((id, changed.into())),
            }
        }
        for e in items("expired") {
            let Some((id, version)) = id_version(&e, "entry") else {
                continue;
            };
            let from = e["from"]
                .as_str()
                .and_then(|s| EntryStatus::parse(s).ok())
                .unwrap_or(EntryStatus::Published);
            let Some(row) = whitelist_entry::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .filter(|r| r.version == version)
            else {
                out.kept.push((id, changed.into()));
                continue;
            };
            let other_live = whitelist_entry::Entity::find()
                .filter(whitelist_entry::Column::LiveEnterpriseId.eq(row.enterprise_id))
                .one(&txn)
                .await?;
            if other_live.is_some() {
                out.kept.push((
                    id,
                    "企业已有其他有效条目 / the enterprise has another live entry now".into(),
                ));
                continue;
            }
            self.write_entry(
                &txn,
                actor,
                &row,
                from,
                "restore",
                ReasonCode::DataCorrected,
                &reason,
                None,
                None,
            )
            .await?;
            out.restored.push(id);
        }
        audit::record(
            &txn,
            actor,
            actor.now,
            Change {
                entity: "rescreen",
                key: &run.to_string(),
                action: "reverse",
                park_id: None,
                reason: Some(reason.clone()),
                before: None,
                after: serde_json::to_value(&out).ok(),
            },
        )
        .await?;
        crate::audit::commit(txn).await?;
        Ok(out)
    }
}
