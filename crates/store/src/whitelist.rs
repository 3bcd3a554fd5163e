//! The white list: criteria, batches, entries and their lifecycle, screening, automatic
//! suspension when committed data makes a published enterprise fail, and expiry.

mod listing;
pub use listing::ExportRow;
mod rescreen;

use crate::audit::{self, Change};
use crate::entities::{
    enterprise, park, patent, whitelist_batch, whitelist_criteria, whitelist_entry,
};
use crate::error::{Result, StoreError, corrupt};
use crate::records::{page, write_if_version};
use crate::{Actor, Page, Store};
use chrono::{DateTime, NaiveDate, Utc};
use pledge_domain::code;
use pledge_domain::{
    Approval, ApprovalRefused, BatchStatus, Criteria, EntryStatus, ParkCode, Person, ReasonCode,
    Screening, Text, Transition, Uscc, approval, may_approve, screen,
};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use std::collections::HashMap;

/// 白名单批次.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchRecord {
    pub id: i64,
    pub name: String,
    pub valid_until: NaiveDate,
    pub status: BatchStatus,
    pub published_on: Option<NaiveDate>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

/// One enterprise's entry in a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryRecord {
    pub id: i64,
    pub batch_id: i64,
    pub batch_name: String,
    pub uscc: Uscc,
    pub enterprise_name: String,
    pub park: ParkCode,
    pub status: EntryStatus,
    /// The holder of the token that nominated it.
    pub nominated_by: String,
    /// The latest screening: at nomination, approval or re-screening.
    pub screening: Screening,
    /// Why an admin approved an entry that failed screening.
    pub override_reason: Option<String>,
    pub reason_code: ReasonCode,
    pub reason: String,
    pub published_on: Option<NaiveDate>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Filters of the entry listing.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    pub statuses: Vec<EntryStatus>,
    pub park: Option<ParkCode>,
    pub batch: Option<i64>,
    /// Only this enterprise's entries (its white-list history).
    pub enterprise: Option<Uscc>,
}

/// What a re-screening changed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RescreenReport {
    /// The run, as its audit record's id (none for a dry run): what a reversal names.
    pub run: Option<i64>,
    pub as_of: Option<NaiveDate>,
    /// Published entries screened.
    pub checked: usize,
    /// Entries suspended, with the reason.
    pub suspended: Vec<(i64, String)>,
    /// Entries expired with their batch.
    pub expired: Vec<i64>,
    /// Batches closed.
    pub closed_batches: Vec<i64>,
}

/// What reversing a re-screening run did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RescreenReversal {
    pub run: i64,
    /// Entries the run suspended, published again.
    pub reinstated: Vec<i64>,
    /// Entries the run expired, back in the state they were in.
    pub restored: Vec<i64>,
    /// Batches the run closed, published again.
    pub reopened: Vec<i64>,
    /// What was left as it is, and why (changed since, or the enterprise has another live
    /// entry now).
    pub kept: Vec<(i64, String)>,
}

/// A transition asked for by a person.
#[derive(Debug, Clone)]
pub struct TransitionRequest {
    pub transition: Transition,
    pub version: i64,
    pub reason_code: ReasonCode,
    pub reason: String,
    /// For approving an entry that fails screening: the admin's written reason.
    pub override_reason: Option<String>,
}

fn batch_from_row(r: whitelist_batch::Model) -> Result<BatchRecord> {
    Ok(BatchRecord {
        id: r.id,
        name: r.name,
        valid_until: r.valid_until,
        status: corrupt(BatchStatus::parse(&r.status))?,
        published_on: r.published_on,
        version: r.version,
        created_at: r.created_at,
    })
}

/// What the audit log keeps of an entry before and after a transition.
fn entry_audit(r: &whitelist_entry::Model) -> serde_json::Value {
    serde_json::json!({
        "status": r.status,
        "version": r.version,
        "reason_code": r.reason_code,
        "reason": r.reason,
        "override_reason": r.override_reason,
        "batch_id": r.batch_id,
        "enterprise_id": r.enterprise_id,
    })
}

const KEY_CRITERIA: i64 = 1;

/// The refusal of a step the lifecycle forbids, naming the steps it allows.
fn illegal(id: i64, from: EntryStatus, t: Transition) -> StoreError {
    let allowed: Vec<&str> = from
        .allowed()
        .iter()
        .filter(|t| !matches!(t, Transition::Publish | Transition::Expire))
        .map(|t| t.as_str())
        .collect();
    let (zh, en) = if allowed.is_empty() {
        ("无".to_owned(), "none".to_owned())
    } else {
        (allowed.join(", "), allowed.join(", "))
    };
    StoreError::Conflict {
        code: code::ILLEGAL_TRANSITION,
        detail: format!(
            "条目{id}处于{}，不能{}；可执行：{zh} / entry {id} is {}: cannot {}; allowed: {en}",
            from.label_zh(),
            t.label_zh(),
            from.as_str(),
            t.as_str()
        ),
    }
}

impl Store {
    /// The entry criteria in force (the common ones until the office sets its own).
    pub async fn criteria(&self) -> Result<(Criteria, i64)> {
        self.criteria_in(&self.db).await
    }

    async fn criteria_in(&self, db: &impl ConnectionTrait) -> Result<(Criteria, i64)> {
        match whitelist_criteria::Entity::find_by_id(KEY_CRITERIA)
            .one(db)
            .await?
        {
            Some(r) => Ok((corrupt(serde_json::from_value(r.criteria))?, r.version)),
            None => Ok((Criteria::common(), 0)),
        }
    }

    /// Replaces the criteria if `expected_version` is current (0 before the first change).
    pub async fn set_criteria(
        &self,
        actor: &Actor,
        criteria: Criteria,
        expected_version: i64,
    ) -> Result<(Criteria, i64)> {
        let txn = self.write().await?;
        let (before, current) = self.criteria_in(&txn).await?;
        if current != expected_version {
            return Err(StoreError::VersionConflict {
                entity: "criteria",
                key: "1".into(),
                expected: expected_version,
                current,
            });
        }
        let json = corrupt(serde_json::to_value(&criteria))?;
        let now = actor.now;
        let row = whitelist_criteria::ActiveModel {
            id: Set(KEY_CRITERIA),
            criteria: Set(json.clone()),
            version: Set(current + 1),
            updated_at: Set(now),
        };
        if current == 0 {
            whitelist_criteria::Entity::insert(row).exec(&txn).await?;
        } else {
            write_if_version::<whitelist_criteria::Entity>(
                &txn,
                row,
                (
                    whitelist_criteria::Column::Id,
                    whitelist_criteria::Column::Version,
                ),
                KEY_CRITERIA,
                current,
                ("criteria", "1"),
            )
            .await?;
        }
        let change = Change {
            entity: "criteria",
            key: "1",
            action: "update",
            park_id: None,
            reason: None,
            before: serde_json::to_value(&before).ok(),
            after: Some(json),
        };
        audit::record(&txn, actor, now, change).await?;
        crate::audit::commit(txn).await?;
        Ok((criteria, current + 1))
    }

    /// Creates a draft batch.
    pub async fn create_batch(
        &self,
        actor: &Actor,
        name: &Text,
        valid_until: NaiveDate,
    ) -> Result<BatchRecord> {
        let txn = self.write().await?;
        let now = actor.now;
        let row = whitelist_batch::Entity::insert(whitelist_batch::ActiveModel {
            id: NotSet,
            name: Set(name.to_string()),
            valid_until: Set(valid_until),
            status: Set(BatchStatus::Draft.as_str().into()),
            published_on: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_with_returning(&txn)
        .await
        .map_err(crate::registry::unique("batch", name.as_str()))?;
        let rec = batch_from_row(row)?;
        let change = Change {
            entity: "whitelist_batch",
            key: &rec.id.to_string(),
            action: "create",
            park_id: None,
            reason: None,
            before: None,
            after: serde_json::to_value(&rec).ok(),
        };
        audit::record(&txn, actor, now, change).await?;
        crate::audit::commit(txn).await?;
        Ok(rec)
    }

    /// Every batch, newest first.
    pub async fn batches(&self) -> Result<Vec<BatchRecord>> {
        whitelist_batch::Entity::find()
            .order_by_desc(whitelist_batch::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(batch_from_row)
            .collect()
    }

    /// One batch.
    pub async fn batch(&self, id: i64) -> Result<Option<BatchRecord>> {
        whitelist_batch::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .map(batch_from_row)
            .transpose()
    }

    /// The enterprise and its patents as the screening sees them.
    async fn screen_enterprise(
        &self,
        db: &impl ConnectionTrait,
        enterprise_id: i64,
        as_of: NaiveDate,
    ) -> Result<Screening> {
        let (criteria, _) = self.criteria_in(db).await?;
        let row = enterprise::Entity::find_by_id(enterprise_id)
            .one(db)
            .await?
            .ok_or_else(|| StoreError::corrupt("entry enterprise"))?;
        let park = self.park_code(db, row.park_id).await?;
        let e = crate::registry::enterprise_from_row(row, park)?.value;
        let rows = patent::Entity::find()
            .filter(patent::Column::EnterpriseId.eq(enterprise_id))
            .filter(patent::Column::TransferredOutTo.is_null())
            .all(db)
            .await?;
        let patents = rows
            .into_iter()
            .map(|r| crate::patents::patent_from_row(r, e.uscc, Vec::new()).map(|p| p.value))
            .collect::<Result<Vec<_>>>()?;
        Ok(screen(&criteria, &e, &patents, as_of))
    }

    /// Nominates an enterprise into a draft batch, screening it on `actor.today`. `scope`
    /// limits a park official to the enterprises of their park.
    pub async fn nominate(
        &self,
        actor: &Actor,
        batch_id: i64,
        uscc: &Uscc,
        scope: Option<&ParkCode>,
    ) -> Result<EntryRecord> {
        let txn = self.write().await?;
        let batch = whitelist_batch::Entity::find_by_id(batch_id)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound {
                entity: "batch",
                key: batch_id.to_string(),
            })?;
        let Some(e) = enterprise::Entity::find()
            .filter(enterprise::Column::Uscc.eq(uscc.as_str()))
            .one(&txn)
            .await?
        else {
            return Err(StoreError::NotFound {
                entity: "enterprise",
                key: uscc.to_string(),
            });
        };
        crate::patents::check_scope(
            scope,
            &self.park_code(&txn, e.park_id).await?,
            crate::patents::not_found("enterprise", uscc.as_str()),
        )?;
        if batch.status != BatchStatus::Draft.as_str() {
            return Err(StoreError::Conflict {
                code: code::BATCH_NOT_DRAFT,
                detail: format!(
                    "批次{}已{}，不能再推荐 / batch {} is {}, nominations are closed",
                    batch.name, batch.status, batch.name, batch.status
                ),
            });
        }
        if let Some(live) = whitelist_entry::Entity::find()
            .filter(whitelist_entry::Column::LiveEnterpriseId.eq(e.id))
            .one(&txn)
            .await?
        {
            return Err(StoreError::Conflict {
                code: code::ALREADY_LISTED,
                detail: format!(
                    "企业{uscc}已有有效条目{}（{}） / {uscc} already has live entry {} ({})",
                    live.id, live.status, live.id, live.status
                ),
            });
        }
        let screening = self.screen_enterprise(&txn, e.id, actor.today).await?;
        let (code, reason) = if screening.passed {
            (
                ReasonCode::MeetsCriteria,
                "推荐并通过初筛 / nominated, screening passed".to_owned(),
            )
        } else {
            (ReasonCode::FailsCriteria, screening.summary())
        };
        let now = actor.now;
        let row = whitelist_entry::Entity::insert(whitelist_entry::ActiveModel {
            id: NotSet,
            batch_id: Set(batch_id),
            enterprise_id: Set(e.id),
            park_id: Set(e.park_id),
            status: Set(EntryStatus::Nominated.as_str().into()),
            live_enterprise_id: Set(Some(e.id)),
            nominated_by_token: Set(actor.token_id),
            nominated_by: Set(actor.holder.clone()),
            nominated_by_person: Set(actor.person_id),
            screening: Set(corrupt(serde_json::to_value(&screening))?),
            override_reason: Set(None),
            reason_code: Set(code.as_str().into()),
            reason: Set(reason.clone()),
            published_on: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_with_returning(&txn)
        .await
        .map_err(|err| match err.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => StoreError::Conflict {
                code: code::ALREADY_LISTED,
                detail: format!("企业{uscc}已有有效条目 / {uscc} already has a live entry"),
            },
            _ => StoreError::Database(err),
        })?;
        let change = Change {
            entity: "whitelist_entry",
            key: &row.id.to_string(),
            action: "nominate",
            park_id: Some(e.park_id),
            reason: Some(format!("{}: {reason}", code.as_str())),
            before: None,
            after: Some(entry_audit(&row)),
        };
        audit::record(&txn, actor, now, change).await?;
        crate::audit::commit(txn).await?;
        self.entry(row.id)
            .await?
            .ok_or_else(|| StoreError::corrupt("entry vanished"))
    }

    /// Moves one entry from `row`'s state by `t`, inside `txn`; writes the audit record.
    #[allow(clippy::too_many_arguments)]
    async fn apply(
        &self,
        txn: &impl ConnectionTrait,
        actor: &Actor,
        row: &whitelist_entry::Model,
        t: Transition,
        code: ReasonCode,
        reason: &str,
        screening: Option<&Screening>,
        override_reason: Option<&str>,
    ) -> Result<whitelist_entry::Model> {
        let from = corrupt(EntryStatus::parse(&row.status))?;
        let Some(to) = from.after(t) else {
            return Err(illegal(row.id, from, t));
        };
        self.write_entry(
            txn,
            actor,
            row,
            to,
            t.as_str(),
            code,
            reason,
            screening,
            override_reason,
        )
        .await
    }

    /// Writes an entry's new state with its audit record (`action`), if its version is still
    /// the one read.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn write_entry(
        &self,
        txn: &impl ConnectionTrait,
        actor: &Actor,
        row: &whitelist_entry::Model,
        to: EntryStatus,
        action: &'static str,
        code: ReasonCode,
        reason: &str,
        screening: Option<&Screening>,
        override_reason: Option<&str>,
    ) -> Result<whitelist_entry::Model> {
        let now = actor.now;
        let mut after = row.clone();
        after.status = to.as_str().into();
        after.live_enterprise_id = to.is_live().then_some(row.enterprise_id);
        after.reason_code = code.as_str().into();
        after.reason = reason.to_owned();
        after.version = row.version + 1;
        after.updated_at = now;
        if let Some(s) = screening {
            after.screening = corrupt(serde_json::to_value(s))?;
        }
        if let Some(o) = override_reason {
            after.override_reason = Some(o.to_owned());
        }
        if to == EntryStatus::Published && row.published_on.is_none() {
            after.published_on = Some(actor.today);
        }
        let am = whitelist_entry::ActiveModel {
            id: NotSet,
            batch_id: NotSet,
            enterprise_id: NotSet,
            park_id: NotSet,
            status: Set(after.status.clone()),
            live_enterprise_id: Set(after.live_enterprise_id),
            nominated_by_token: NotSet,
            nominated_by: NotSet,
            nominated_by_person: NotSet,
            screening: Set(after.screening.clone()),
            override_reason: Set(after.override_reason.clone()),
            reason_code: Set(after.reason_code.clone()),
            reason: Set(after.reason.clone()),
            published_on: Set(after.published_on),
            version: Set(after.version),
            created_at: NotSet,
            updated_at: Set(now),
        };
        let key = row.id.to_string();
        write_if_version::<whitelist_entry::Entity>(
            txn,
            am,
            (
                whitelist_entry::Column::Id,
                whitelist_entry::Column::Version,
            ),
            row.id,
            row.version,
            ("entry", &key),
        )
        .await?;
        let change = Change {
            entity: "whitelist_entry",
            key: &key,
            action,
            park_id: Some(row.park_id),
            reason: Some(format!("{}: {reason}", code.as_str())),
            before: Some(entry_audit(row)),
            after: Some(entry_audit(&after)),
        };
        audit::record(txn, actor, now, change).await?;
        Ok(after)
    }

    /// A person's transition of one entry: approve, reject, suspend, reinstate or remove.
    /// Approval re-screens on `actor.today`, is refused to whoever nominated the entry, and
    /// needs an override reason when the screening fails.
    pub async fn transition(
        &self,
        actor: &Actor,
        entry_id: i64,
        req: TransitionRequest,
    ) -> Result<EntryRecord> {
        let key = entry_id.to_string();
        if matches!(req.transition, Transition::Publish | Transition::Expire) {
            return Err(StoreError::Conflict {
                code: code::ILLEGAL_TRANSITION,
                detail: "发布与到期由批次完成 / entries are published and expired with their batch"
                    .into(),
            });
        }
        let txn = self.write().await?;
        let row = whitelist_entry::Entity::find_by_id(entry_id)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound {
                entity: "entry",
                key: key.clone(),
            })?;
        if row.version != req.version {
            return Err(StoreError::VersionConflict {
                entity: "entry",
                key,
                expected: req.version,
                current: row.version,
            });
        }
        let from = corrupt(EntryStatus::parse(&row.status))?;
        if from.after(req.transition).is_none() {
            // Refused before four-eyes or screening are judged.
            return Err(illegal(row.id, from, req.transition));
        }
        // The lifecycle's rules are the domain's: four-eyes first, then the screening and
        // the override it may need.
        let mut screening = None;
        let mut decided = Approval {
            reason_code: req.reason_code,
            override_reason: None,
        };
        if req.transition == Transition::Approve {
            let creators = match actor.person_id {
                Some(id) => self.creators_of(&txn, id).await?,
                None => Vec::new(),
            };
            let nominator = Person {
                id: row.nominated_by_person,
                creators: &[],
                holder: &row.nominated_by,
            };
            let approver = Person {
                id: actor.person_id,
                creators: &creators,
                holder: &actor.holder,
            };
            may_approve(nominator, approver).map_err(refused)?;
            let s = self
                .screen_enterprise(&txn, row.enterprise_id, actor.today)
                .await?;
            decided =
                approval(&s, req.reason_code, req.override_reason.as_deref()).map_err(refused)?;
            screening = Some(s);
        }
        let (code, override_reason) = (decided.reason_code, decided.override_reason);
        let after = self
            .apply(
                &txn,
                actor,
                &row,
                req.transition,
                code,
                &req.reason,
                screening.as_ref(),
                override_reason.as_deref(),
            )
            .await?;
        crate::audit::commit(txn).await?;
        self.entry(after.id)
            .await?
            .ok_or_else(|| StoreError::corrupt("entry vanished"))
    }

    /// Publishes a draft batch: every approved entry becomes published, each with its audit
    /// record. Refused while any entry is still undecided (nominated).
    pub async fn publish_batch(
        &self,
        actor: &Actor,
        batch_id: i64,
        expected_version: i64,
    ) -> Result<BatchRecord> {
        let key = batch_id.to_string();
        let txn = self.write().await?;
        let batch = whitelist_batch::Entity::find_by_id(batch_id)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound {
                entity: "batch",
                key: key.clone(),
            })?;
        if batch.version != expected_version {
            return Err(StoreError::VersionConflict {
                entity: "batch",
                key,
                expected: expected_version,
                current: batch.version,
            });
        }
        if batch.status != BatchStatus::Draft.as_str() {
            return Err(StoreError::Conflict {
                code: code::BATCH_NOT_DRAFT,
                detail: format!("批次已{} / the batch is {}", batch.status, batch.status),
            });
        }
        let entries = whitelist_entry::Entity::find()
            .filter(whitelist_entry::Column::BatchId.eq(batch_id))
            .all(&txn)
            .await?;
        let undecided: Vec<&whitelist_entry::Model> = entries
            .iter()
            .filter(|e| e.status == EntryStatus::Nominated.as_str())
            .collect();
        if !undecided.is_empty() {
            // Named, so that the office knows which to decide (the first twenty).
            const NAMED: usize = 20;
            let ids: Vec<i64> = undecided
                .iter()
                .take(NAMED)
                .map(|e| e.enterprise_id)
                .collect();
            let names: HashMap<i64, (String, String)> = enterprise::Entity::find()
                .filter(enterprise::Column::Id.is_in(ids))
                .all(&txn)
                .await?
                .into_iter()
                .map(|e| (e.id, (e.name, e.uscc)))
                .collect();
            let listed: Vec<String> = undecided
                .iter()
                .take(NAMED)
                .map(|e| match names.get(&e.enterprise_id) {
                    Some((name, uscc)) => format!("#{} {name}（{uscc}）", e.id),
                    None => format!("#{}", e.id),
                })
                .collect();
            let more = if undecided.len() > NAMED { "…" } else { "" };
            let n = undecided.len();
            return Err(StoreError::Conflict {
                code: code::UNDECIDED_ENTRIES,
                detail: format!(
                    "尚有{n}个条目未审核：{}{more} / {n} entries are still undecided: {}{more}",
                    listed.join("、"),
                    listed.join(", ")
                ),
            });
        }
        for e in entries
            .iter()
            .filter(|e| e.status == EntryStatus::Approved.as_str())
        {
            self.apply(
                &txn,
                actor,
                e,
                Transition::Publish,
                ReasonCode::BatchPublished,
                &format!(
                    "随批次“{}”发布 / published with batch {}",
                    batch.name, batch.name
                ),
                None,
                None,
            )
            .await?;
        }
        let after = self
            .set_batch_status(&txn, actor, &batch, BatchStatus::Published, "publish", None)
            .await?;
        let published = entries
            .iter()
            .filter(|e| e.status == EntryStatus::Approved.as_str())
            .count();
        self.enqueue(
            &txn,
            actor.now,
            vec![crate::NewEvent {
                bank: None,
                event: crate::EVENT_BATCH_PUBLISHED,
                payload: serde_json::json!({
                    "batch_id": batch.id,
                    "name": batch.name,
                    "published_on": actor.today,
                    "valid_until": batch.valid_until,
                    "entries": published,
                }),
            }],
        )
        .await?;
        crate::audit::commit(txn).await?;
        Ok(after)
    }

    /// Moves a batch to `status` (publishing stamps the day), with its audit record.
    async fn set_batch_status(
        &self,
        txn: &impl ConnectionTrait,
        actor: &Actor,
        batch: &whitelist_batch::Model,
        status: BatchStatus,
        action: &'static str,
        reason: Option<&str>,
    ) -> Result<BatchRecord> {
        let key = batch.id.to_string();
        let now = actor.now;
        // A batch published again (a re-screening reversed) keeps its first day.
        let published_on = if status == BatchStatus::Published && batch.published_on.is_none() {
            Some(actor.today)
        } else {
            batch.published_on
        };
        let am = whitelist_batch::ActiveModel {
            status: Set(status.as_str().into()),
            published_on: Set(published_on),
            version: Set(batch.version + 1),
            updated_at: Set(now),
            ..Default::default()
        };
        let columns = (
            whitelist_batch::Column::Id,
            whitelist_batch::Column::Version,
        );
        write_if_version::<whitelist_batch::Entity>(
            txn,
            am,
            columns,
            batch.id,
            batch.version,
            ("batch", &key),
        )
        .await?;
        let before = batch_from_row(batch.clone())?;
        let after = BatchRecord {
            status,
            published_on,
            version: batch.version + 1,
            ..before.clone()
        };
        let change = Change {
            entity: "whitelist_batch",
            key: &key,
            action,
            park_id: None,
            reason: reason.map(String::from),
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&after).ok(),
        };
        audit::record(txn, actor, now, change).await?;
        Ok(after)
    }
}

/// The store's refusal of an approval the domain refused.
fn refused(r: ApprovalRefused) -> StoreError {
    match r {
        ApprovalRefused::Nominator => StoreError::Forbidden {
            code: code::FOUR_EYES,
            detail: "推荐人不能审核自己推荐的企业 / whoever nominated an entry cannot approve it"
                .into(),
        },
        ApprovalRefused::CreatedByNominator => StoreError::Forbidden {
            code: code::FOUR_EYES,
            detail: "推荐人创建的账号不能审核其推荐 / an account the nominator created cannot approve the nomination"
                .into(),
        },
        ApprovalRefused::ScreeningFailed(summary) => StoreError::Conflict {
            code: code::SCREENING_FAILED,
            detail: format!(
                "复核未通过：{summary}；如确需通过，请填写override_reason / screening fails: send an override_reason to approve anyway"
            ),
        },
    }
}
