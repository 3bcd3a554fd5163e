//! Outcomes (对接结果) as kept: one row a contact, its steps as the domain writes them. A
//! registered pledge marks the IP it names pledged in the same transaction, so that the live
//! index drops it from every other bundle with the commit.

use crate::audit::{self, Change};
use crate::entities::{enterprise, outcome, whitelist_entry};
use crate::error::{Result, StoreError, corrupt};
use crate::{Actor, Store};
use chrono::{DateTime, NaiveDate, Utc};
use pledge_domain::{
    BankCode, DomainError, IndustryCode, Outcome, OutcomeStage, ParkCode, PledgeRegistration, Step,
    StepRefused, Uscc, Violation, code,
};
use sea_orm::{
    ActiveValue::{NotSet, Set, Unchanged},
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use std::collections::HashMap;

/// Ids and keys read per query.
const CHUNK: usize = 500;

/// An outcome as kept, with the enterprise's current park and industry (for figures).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutcomeRecord {
    pub id: i64,
    pub product_id: i64,
    pub bank: BankCode,
    pub uscc: Uscc,
    pub park: ParkCode,
    #[serde(skip)]
    pub industry: IndustryCode,
    pub round_id: Option<i64>,
    pub stage: OutcomeStage,
    #[serde(flatten)]
    pub outcome: Outcome,
    pub version: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A contact to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutcome {
    pub product_id: i64,
    pub bank: BankCode,
    pub uscc: Uscc,
    pub round_id: Option<i64>,
    pub contacted_on: NaiveDate,
}

/// Which outcomes to read; every filter given must hold.
#[derive(Debug, Clone, Default)]
pub struct OutcomeFilter {
    pub bank: Option<BankCode>,
    pub park: Option<ParkCode>,
    pub product_id: Option<i64>,
    pub uscc: Option<Uscc>,
    pub round_id: Option<i64>,
}

/// The enterprise facts an outcome shows: USCC, park, industry.
type Facts = (Uscc, ParkCode, IndustryCode);

async fn facts_of(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
    parks: &HashMap<i64, ParkCode>,
) -> Result<HashMap<i64, Facts>> {
    // Many outcomes share an enterprise: each is read once.
    let ids: Vec<i64> = ids
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut out = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        for r in enterprise::Entity::find()
            .filter(enterprise::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            let park = parks
                .get(&r.park_id)
                .cloned()
                .ok_or_else(|| StoreError::corrupt("enterprise park"))?;
            out.insert(
                r.id,
                (
                    corrupt(Uscc::parse(&r.uscc))?,
                    park,
                    corrupt(IndustryCode::parse(&r.industry))?,
                ),
            );
        }
    }
    Ok(out)
}

fn record(
    r: outcome::Model,
    banks: &HashMap<i64, BankCode>,
    facts: &HashMap<i64, Facts>,
) -> Result<OutcomeRecord> {
    let (uscc, park, industry) = facts
        .get(&r.enterprise_id)
        .cloned()
        .ok_or_else(|| StoreError::corrupt("outcome enterprise"))?;
    Ok(OutcomeRecord {
        id: r.id,
        product_id: r.product_id,
        bank: banks
            .get(&r.bank_id)
            .cloned()
            .ok_or_else(|| StoreError::corrupt("outcome bank"))?,
        uscc,
        park,
        industry,
        round_id: r.round_id,
        stage: corrupt(OutcomeStage::parse(&r.stage))?,
        outcome: Outcome {
            contacted_on: r.contacted_on,
            steps: corrupt(serde_json::from_value(r.steps))?,
        },
        version: r.version,
        created_by: r.created_by,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

fn refused(e: StepRefused) -> StoreError {
    match e {
        StepRefused::OutOfOrder {
            stage,
            step,
            allowed,
        } => {
            let allowed: Vec<_> = allowed.iter().map(|s| s.as_str()).collect();
            let allowed = if allowed.is_empty() {
                "无（已结束） / nothing (closed)".to_string()
            } else {
                allowed.join(", ")
            };
            StoreError::Conflict {
                code: code::ILLEGAL_OUTCOME_STEP,
                detail: format!(
                    "{}之后不能{}；可以：{allowed} / {} cannot follow {}; allowed: {allowed}",
                    stage.label_zh(),
                    step.label_zh(),
                    step.as_str(),
                    stage.as_str(),
                ),
            }
        }
        StepRefused::Invalid(v) => StoreError::Invalid(v),
    }
}

fn not_found(id: i64) -> StoreError {
    StoreError::NotFound {
        entity: "outcome",
        key: id.to_string(),
    }
}

impl Store {
    async fn outcome_records(
        &self,
        db: &impl ConnectionTrait,
        rows: Vec<outcome::Model>,
    ) -> Result<Vec<OutcomeRecord>> {
        let banks = self.bank_codes(db).await?;
        let parks = crate::registry::park_codes(db).await?;
        let facts = facts_of(db, rows.iter().map(|r| r.enterprise_id), &parks).await?;
        rows.into_iter()
            .map(|r| record(r, &banks, &facts))
            .collect()
    }

    /// Opens an outcome (the contact), with its audit record. One outcome of an enterprise
    /// and a product is open at a time.
    pub async fn open_outcome(&self, actor: &Actor, new: NewOutcome) -> Result<OutcomeRecord> {
        let txn = self.write().await?;
        let rec = self.open_in(&txn, actor, new).await?;
        audit::commit(txn).await?;
        Ok(rec)
    }

    /// Opens an outcome and takes its steps, in one transaction: all of it or nothing (a row of
    /// a bank's sheet).
    pub async fn record_outcome(
        &self,
        actor: &Actor,
        new: NewOutcome,
        steps: Vec<Step>,
    ) -> Result<OutcomeRecord> {
        let txn = self.write().await?;
        let mut rec = self.open_in(&txn, actor, new).await?;
        for step in steps {
            rec = self.step_in(&txn, actor, rec, step).await?;
        }
        audit::commit(txn).await?;
        Ok(rec)
    }

    async fn open_in(
        &self,
        txn: &DatabaseTransaction,
        actor: &Actor,
        new: NewOutcome,
    ) -> Result<OutcomeRecord> {
        let Some((enterprise_id, park_id)) = self.enterprise_ref(txn, &new.uscc).await? else {
            return Err(StoreError::Invalid(vec![Violation::new(
                "uscc",
                DomainError::UnknownValue {
                    value: new.uscc.to_string(),
                    allowed: "a registered enterprise".into(),
                },
            )]));
        };
        let bank_id = self
            .bank_codes(txn)
            .await?
            .into_iter()
            .find_map(|(id, c)| (c == new.bank).then_some(id))
            .ok_or_else(|| StoreError::corrupt("product bank"))?;
        let earlier = outcome::Entity::find()
            .filter(outcome::Column::ProductId.eq(new.product_id))
            .filter(outcome::Column::EnterpriseId.eq(enterprise_id))
            .all(txn)
            .await?;
        for e in earlier {
            if !OutcomeStage::parse(&e.stage).is_ok_and(|s| {
                matches!(
                    s,
                    OutcomeStage::Repaid | OutcomeStage::Defaulted | OutcomeStage::Declined
                )
            }) {
                return Err(StoreError::Conflict {
                    code: code::OUTCOME_OPEN,
                    detail: format!(
                        "对接结果{id}尚未结束 / outcome {id} of this enterprise and product is still open",
                        id = e.id
                    ),
                });
            }
        }
        let o = Outcome::contacted(new.contacted_on);
        let row = outcome::Entity::insert(outcome::ActiveModel {
            id: NotSet,
            product_id: Set(new.product_id),
            bank_id: Set(bank_id),
            enterprise_id: Set(enterprise_id),
            round_id: Set(new.round_id),
            contacted_on: Set(new.contacted_on),
            stage: Set(o.stage().as_str().into()),
            steps: Set(corrupt(serde_json::to_value(&o.steps))?),
            version: Set(1),
            created_by: Set(actor.label.clone()),
            created_at: Set(actor.now),
            updated_at: Set(actor.now),
        })
        .exec_with_returning(txn)
        .await?;
        let rec = self
            .outcome_records(txn, vec![row])
            .await?
            .pop()
            .ok_or_else(|| StoreError::corrupt("outcome"))?;
        audit::record(
            txn,
            actor,
            actor.now,
            Change {
                entity: "outcome",
                key: &rec.id.to_string(),
                action: "open",
                park_id: Some(park_id),
                before: None,
                after: serde_json::to_value(&rec).ok(),
                reason: None,
            },
        )
        .await?;
        Ok(rec)
    }

    /// Takes a step of an outcome read at `expected` version, if `bank` (when given) is its
    /// bank. A registered pledge marks its IP pledged in the same transaction; IP that is not
    /// the enterprise's or already pledged is refused, each item named.
    pub async fn take_outcome_step(
        &self,
        actor: &Actor,
        id: i64,
        bank: Option<&BankCode>,
        expected: i64,
        step: Step,
    ) -> Result<OutcomeRecord> {
        let txn = self.write().await?;
        let row = outcome::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or_else(|| not_found(id))?;
        let before = self
            .outcome_records(&txn, vec![row])
            .await?
            .pop()
            .ok_or_else(|| not_found(id))?;
        if bank.is_some_and(|b| *b != before.bank) {
            return Err(not_found(id));
        }
        if before.version != expected {
            return Err(StoreError::VersionConflict {
                entity: "outcome",
                key: id.to_string(),
                expected,
                current: before.version,
            });
        }
        let after = self.step_in(&txn, actor, before, step).await?;
        audit::commit(txn).await?;
        Ok(after)
    }

    /// Takes `step` of `before` inside `txn`, with the pledge it registers and its audit record.
    async fn step_in(
        &self,
        txn: &DatabaseTransaction,
        actor: &Actor,
        before: OutcomeRecord,
        step: Step,
    ) -> Result<OutcomeRecord> {
        let (id, expected) = (before.id, before.version);
        let mut after = before.clone();
        after
            .outcome
            .take(step.clone(), actor.today)
            .map_err(refused)?;
        if let Step::PledgeRegistered {
            on,
            registration_number,
            patents,
            trademarks,
        } = &step
        {
            let pledge = PledgeRegistration::registered(registration_number.to_string(), *on, None);
            self.pledge_ip(txn, actor, &before.uscc, pledge, patents, trademarks)
                .await?;
        }
        after.stage = after.outcome.stage();
        after.version = expected + 1;
        after.updated_at = actor.now;
        crate::records::write_if_version::<outcome::Entity>(
            txn,
            outcome::ActiveModel {
                id: Unchanged(id),
                stage: Set(after.stage.as_str().into()),
                steps: Set(corrupt(serde_json::to_value(&after.outcome.steps))?),
                version: Set(after.version),
                updated_at: Set(actor.now),
                ..Default::default()
            },
            (outcome::Column::Id, outcome::Column::Version),
            id,
            expected,
            ("outcome", &id.to_string()),
        )
        .await?;
        let park_id = self
            .enterprise_ref(txn, &before.uscc)
            .await?
            .map(|(_, park)| park);
        audit::record(
            txn,
            actor,
            actor.now,
            Change {
                entity: "outcome",
                key: &id.to_string(),
                action: "step",
                park_id,
                before: serde_json::to_value(&before).ok(),
                after: serde_json::to_value(&after).ok(),
                reason: None,
            },
        )
        .await?;
        Ok(after)
    }

    /// Marks `patents` and `trademarks` of `owner` pledged under `pledge`, each through the
    /// registry's own write (with its audit record, which the live index follows).
    async fn pledge_ip(
        &self,
        txn: &DatabaseTransaction,
        actor: &Actor,
        owner: &Uscc,
        pledge: PledgeRegistration,
        patents: &[pledge_domain::PatentApplicationNumber],
        trademarks: &[pledge_domain::TrademarkKey],
    ) -> Result<()> {
        let on = pledge.registered_on.unwrap_or(actor.today);
        let mut wrong = Vec::new();
        let in_force = |p: Option<&PledgeRegistration>| {
            p.filter(|p| p.in_force(on) || p.in_force(actor.today))
                .map(|p| {
                    p.registration_number
                        .clone()
                        .unwrap_or_else(|| "台账标注已质押 / marked pledged".into())
                })
        };
        let mut patent_writes = Vec::new();
        for (i, n) in patents.iter().enumerate() {
            let field = format!("patents[{i}]");
            match self.patent_in(txn, n).await? {
                Some((rec, _)) if rec.value.owner == *owner => match in_force(
                    rec.value
                        .pledge_in_force(on)
                        .or_else(|| rec.value.pledge_in_force(actor.today)),
                ) {
                    Some(registration) => wrong.push(Violation::new(
                        field,
                        DomainError::IpAlreadyPledged { registration },
                    )),
                    None => patent_writes.push(rec),
                },
                _ => wrong.push(Violation::new(field, DomainError::IpNotOwned)),
            }
        }
        let mut trademark_writes = Vec::new();
        for (i, t) in trademarks.iter().enumerate() {
            let field = format!("trademarks[{i}]");
            match self
                .trademark_in(txn, t.registration_number, t.nice_class)
                .await?
            {
                Some((rec, _)) if rec.value.owner == *owner => {
                    match in_force(rec.value.pledge.as_ref()) {
                        Some(registration) => wrong.push(Violation::new(
                            field,
                            DomainError::IpAlreadyPledged { registration },
                        )),
                        None => trademark_writes.push(rec),
                    }
                }
                _ => wrong.push(Violation::new(field, DomainError::IpNotOwned)),
            }
        }
        if !wrong.is_empty() {
            return Err(StoreError::Invalid(wrong));
        }
        for rec in patent_writes {
            let mut p = rec.value;
            p.record_pledge(pledge.clone());
            self.upsert_patent_in(txn, actor, p, Some(rec.version), None)
                .await?;
        }
        for rec in trademark_writes {
            let mut t = rec.value;
            t.pledge = Some(pledge.clone());
            self.upsert_trademark_in(txn, actor, t, Some(rec.version), None)
                .await?;
        }
        Ok(())
    }

    /// One outcome.
    pub async fn outcome(&self, id: i64) -> Result<Option<OutcomeRecord>> {
        let Some(row) = outcome::Entity::find_by_id(id).one(&self.db).await? else {
            return Ok(None);
        };
        Ok(self.outcome_records(&self.db, vec![row]).await?.pop())
    }

    /// The outcomes `filter` selects, oldest first.
    pub async fn outcomes(&self, filter: &OutcomeFilter) -> Result<Vec<OutcomeRecord>> {
        self.outcomes_after(filter, None, None).await
    }

    /// The outcomes `filter` selects after the id `after`, oldest first, at most `limit`.
    pub async fn outcomes_after(
        &self,
        filter: &OutcomeFilter,
        after: Option<i64>,
        limit: Option<u64>,
    ) -> Result<Vec<OutcomeRecord>> {
        let mut q = outcome::Entity::find().order_by_asc(outcome::Column::Id);
        if let Some(a) = after {
            q = q.filter(outcome::Column::Id.gt(a));
        }
        if let Some(n) = limit {
            q = q.limit(n);
        }
        if let Some(b) = &filter.bank {
            let ids: Vec<i64> = self
                .bank_codes(&self.db)
                .await?
                .into_iter()
                .filter_map(|(id, c)| (c == *b).then_some(id))
                .collect();
            q = q.filter(outcome::Column::BankId.is_in(ids));
        }
        if let Some(id) = filter.product_id {
            q = q.filter(outcome::Column::ProductId.eq(id));
        }
        if let Some(id) = filter.round_id {
            q = q.filter(outcome::Column::RoundId.eq(id));
        }
        if let Some(u) = &filter.uscc {
            let Some((id, _)) = self.enterprise_ref(&self.db, u).await? else {
                return Ok(Vec::new());
            };
            q = q.filter(outcome::Column::EnterpriseId.eq(id));
        }
        if let Some(p) = &filter.park {
            let ids: Vec<i64> = crate::registry::park_codes(&self.db)
                .await?
                .into_iter()
                .filter_map(|(id, c)| (c == *p).then_some(id))
                .collect();
            q = q.filter(
                outcome::Column::EnterpriseId.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(enterprise::Column::Id)
                        .from(enterprise::Entity)
                        .and_where(enterprise::Column::ParkId.is_in(ids))
                        .to_owned(),
                ),
            );
        }
        let rows = q.all(&self.db).await?;
        self.outcome_records(&self.db, rows).await
    }

    /// The day each enterprise was first published on a white list, of those given.
    pub async fn first_listed(&self, usccs: &[Uscc]) -> Result<HashMap<Uscc, NaiveDate>> {
        let mut out = HashMap::new();
        for chunk in usccs.chunks(CHUNK) {
            let ids: Vec<(i64, String)> = enterprise::Entity::find()
                .select_only()
                .column(enterprise::Column::Id)
                .column(enterprise::Column::Uscc)
                .filter(enterprise::Column::Uscc.is_in(chunk.iter().map(|u| u.as_str())))
                .into_tuple()
                .all(&self.db)
                .await?;
            let by_id: HashMap<i64, Uscc> = ids
                .into_iter()
                .filter_map(|(id, u)| Uscc::parse(&u).ok().map(|u| (id, u)))
                .collect();
            let days: Vec<(i64, Option<NaiveDate>)> = whitelist_entry::Entity::find()
                .select_only()
                .column(whitelist_entry::Column::EnterpriseId)
                .column(whitelist_entry::Column::PublishedOn)
                .filter(whitelist_entry::Column::EnterpriseId.is_in(by_id.keys().copied()))
                .into_tuple()
                .all(&self.db)
                .await?;
            for (id, day) in days {
                if let (Some(u), Some(d)) = (by_id.get(&id), day) {
                    out.entry(*u)
                        .and_modify(|x: &mut NaiveDate| *x = (*x).min(d))
                        .or_insert(d);
                }
            }
        }
        Ok(out)
    }
}
