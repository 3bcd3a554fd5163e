//! Patents and their appraisals.

use crate::audit::{self, Change};
use crate::entities::{appraisal, enterprise, patent};
use crate::error::{Result, StoreError, corrupt};
use crate::records::page;
use crate::registry::unique;
use crate::{Actor, Page, Store, Versioned};
use chrono::{DateTime, Utc};
use pledge_domain::{
    Appraisal, DomainError, HighValueFacts, IpcClass, LegalStatus, Money, ParkCode, Patent,
    PatentApplicationNumber, PatentAward, PledgeRegistration, PublicationNumber, Text, Uscc,
    Violation,
};
use sea_orm::{
    ActiveValue::{NotSet, Set, Unchanged},
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use std::collections::HashMap;

/// A stored patent, with its appraisals.
pub type PatentRecord = Versioned<Patent>;

/// A stored appraisal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppraisalRecord {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    #[serde(flatten)]
    pub appraisal: Appraisal,
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Upserted {
    Created,
    Updated,
    Unchanged,
}

/// The pledge a row records: registered (number and date), marked by a ledger without them,
/// or none.
pub(crate) fn pledge_from(
    number: Option<String>,
    on: Option<chrono::NaiveDate>,
    released: Option<chrono::NaiveDate>,
    marked: bool,
) -> Option<PledgeRegistration> {
    match (number, on) {
        (Some(number), Some(on)) => Some(PledgeRegistration::registered(number, on, released)),
        _ if marked => Some(PledgeRegistration {
            released_on: released,
            ..PledgeRegistration::marked()
        }),
        _ => None,
    }
}

pub(crate) fn appraisal_from_row(r: &appraisal::Model) -> Result<Appraisal> {
    Ok(Appraisal {
        amount: corrupt(Money::from_fen(r.amount_fen))?,
        appraised_on: r.appraised_on,
        valid_until: r.valid_until,
        appraiser: r.appraiser.clone(),
    })
}

pub(crate) fn patent_from_row(
    r: patent::Model,
    owner: Uscc,
    appraisals: Vec<Appraisal>,
) -> Result<PatentRecord> {
    Ok(Versioned {
        id: r.id,
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
        value: Patent {
            application_number: corrupt(PatentApplicationNumber::parse(&r.application_number))?,
            title: corrupt(Text::parse(&r.title, 1, 200))?,
            owner,
            transferred_out_to: r.transferred_out_to,
            co_owners: corrupt(serde_json::from_value(r.co_owners))?,
            co_owners_consent: (!r.co_owners_consent_unknown).then_some(r.co_owners_consent),
            filing_date: r.filing_date,
            grant_date: r.grant_date,
            legal_status: corrupt(LegalStatus::parse(&r.legal_status))?,
            annual_fee_paid_until: r.annual_fee_paid_until,
            pledges: {
                let mut all: Vec<PledgeRegistration> = match r.earlier_pledges {
                    Some(earlier) => corrupt(serde_json::from_value(earlier))?,
                    None => Vec::new(),
                };
                all.extend(pledge_from(
                    r.pledge_registration_number,
                    r.pledge_registered_on,
                    r.pledge_released_on,
                    r.pledge_marked,
                ));
                all
            },
            ipc_main: r
                .ipc_main
                .as_deref()
                .map(IpcClass::parse)
                .transpose()
                .map_err(StoreError::corrupt)?,
            publication_number: r
                .publication_number
                .as_deref()
                .map(PublicationNumber::parse)
                .transpose()
                .map_err(StoreError::corrupt)?,
            high_value: HighValueFacts {
                strategic_emerging_industry: r.strategic_emerging_industry,
                overseas_family: r.overseas_family,
                high_pledge_financing: r.high_pledge_financing,
                award: r
                    .award
                    .as_deref()
                    .map(PatentAward::parse)
                    .transpose()
                    .map_err(StoreError::corrupt)?,
            },
            same_day_double_filing: r.same_day_double_filing,
            appraisals,
        },
    })
}

pub(crate) fn patent_columns(p: &Patent, enterprise_id: i64) -> Result<patent::ActiveModel> {
    let (latest, earlier) = match p.pledges.split_last() {
        Some((latest, earlier)) => (Some(latest), earlier),
        None => (None, &[][..]),
    };
    Ok(patent::ActiveModel {
        id: NotSet,
        application_number: Set(p.application_number.to_string()),
        enterprise_id: Set(enterprise_id),
        kind: Set(p.kind().as_str().into()),
        title: Set(p.title.to_string()),
        filing_date: Set(p.filing_date),
        grant_date: Set(p.grant_date),
        legal_status: Set(p.legal_status.as_str().into()),
        annual_fee_paid_until: Set(p.annual_fee_paid_until),
        co_owners: Set(serde_json::to_value(&p.co_owners).map_err(StoreError::corrupt)?),
        co_owners_consent: Set(p.co_owners_consent == Some(true)),
        co_owners_consent_unknown: Set(p.co_owners_consent.is_none()),
        ipc_main: Set(p.ipc_main.as_ref().map(|c| c.as_str().into())),
        publication_number: Set(p.publication_number.as_ref().map(|c| c.as_str().into())),
        strategic_emerging_industry: Set(p.high_value.strategic_emerging_industry),
        overseas_family: Set(p.high_value.overseas_family),
        high_pledge_financing: Set(p.high_value.high_pledge_financing),
        award: Set(p.high_value.award.map(|a| a.as_str().into())),
        same_day_double_filing: Set(p.same_day_double_filing),
        // The latest pledge in the row's columns (what SQL reads of a patent's pledge), the
        // ones before it as JSON.
        pledge_registration_number: Set(latest.and_then(|x| x.registration_number.clone())),
        pledge_registered_on: Set(latest.and_then(|x| x.registered_on)),
        pledge_released_on: Set(latest.and_then(|x| x.released_on)),
        pledge_marked: Set(latest.is_some_and(|x| !x.is_registered())),
        transferred_out_to: Set(p.transferred_out_to.clone()),
        earlier_pledges: Set(match earlier {
            [] => None,
            some => Some(serde_json::to_value(some).map_err(StoreError::corrupt)?),
        }),
        version: NotSet,
        created_at: NotSet,
        updated_at: NotSet,
    })
}

/// The row of a new appraisal of a patent or a trademark.
pub(crate) fn appraisal_columns(
    a: &Appraisal,
    patent_id: Option<i64>,
    trademark_id: Option<i64>,
    now: DateTime<Utc>,
) -> appraisal::ActiveModel {
    appraisal::ActiveModel {
        id: NotSet,
        patent_id: Set(patent_id),
        trademark_id: Set(trademark_id),
        amount_fen: Set(a.amount.fen()),
        appraised_on: Set(a.appraised_on),
        valid_until: Set(a.valid_until),
        appraiser: Set(a.appraiser.trim().to_owned()),
        created_at: Set(now),
    }
}

/// Appraisals of the given patents, oldest first, by patent id.
pub(crate) async fn appraisals_of(
    db: &impl ConnectionTrait,
    patent_ids: Vec<i64>,
) -> Result<HashMap<i64, Vec<Appraisal>>> {
    let mut out: HashMap<i64, Vec<Appraisal>> = HashMap::new();
    if patent_ids.is_empty() {
        return Ok(out);
    }
    let rows = appraisal::Entity::find()
        .filter(appraisal::Column::PatentId.is_in(patent_ids))
        .order_by_asc(appraisal::Column::AppraisedOn)
        .order_by_asc(appraisal::Column::Id)
        .all(db)
        .await?;
    for r in &rows {
        if let Some(pid) = r.patent_id {
            out.entry(pid).or_default().push(appraisal_from_row(r)?);
        }
    }
    Ok(out)
}

/// Whether a caller limited to `scope` may touch a record of `park`. Outside the scope the
/// record is answered as `unseen` says: as one that does not exist (or, for a key that cannot
/// be taken twice, as taken), never as another park's.
pub(crate) fn check_scope(
    scope: Option<&ParkCode>,
    park: &ParkCode,
    unseen: impl FnOnce() -> StoreError,
) -> Result<()> {
    match scope {
        Some(s) if s != park => Err(unseen()),
        _ => Ok(()),
    }
}

/// The refusal of an owner that is not a registered enterprise (or not one the caller sees).
pub(crate) fn unknown_owner(owner: &Uscc) -> StoreError {
    StoreError::Invalid(vec![Violation::new(
        "owner",
        DomainError::UnknownValue {
            value: owner.to_string(),
            allowed: "a registered enterprise".into(),
        },
    )])
}

/// The refusal of a record the caller may not see.
pub(crate) fn not_found(entity: &'static str, key: &str) -> impl FnOnce() -> StoreError {
    let key = key.to_owned();
    move || StoreError::NotFound { entity, key }
}

/// The refusal of a key already taken outside the caller's park.
pub(crate) fn taken(entity: &'static str, key: &str) -> impl FnOnce() -> StoreError {
    let key = key.to_owned();
    move || StoreError::Duplicate { entity, key }
}

impl Store {
    /// The enterprise (id, park) that owns IP, or a field error on `owner`.
    pub(crate) async fn owner_ref(
        &self,
        db: &impl ConnectionTrait,
        owner: &Uscc,
    ) -> Result<(i64, ParkCode)> {
        let Some((id, park_id)) = self.enterprise_ref(db, owner).await? else {
            return Err(unknown_owner(owner));
        };
        Ok((id, self.park_code(db, park_id).await?))
    }

    /// Creates or replaces the patent under its canonical application number. Replacing needs
    /// the version the caller read; `scope` (a park) limits both the old and the new owner.
    /// Appraisals are kept as they are: they are added one by one.
    pub async fn upsert_patent(
        &self,
        actor: &Actor,
        p: Patent,
        expected_version: Option<i64>,
        scope: Option<&ParkCode>,
    ) -> Result<(PatentRecord, Upserted)> {
        let txn = self.write().await?;
        let out = self
            .upsert_patent_in(&txn, actor, p, expected_version, scope)
            .await?;
        crate::audit::commit(txn).await?;
        Ok(out)
    }

    /// [`upsert_patent`](Self::upsert_patent) inside the caller's transaction (imports write many rows in one).
    pub(crate) async fn upsert_patent_in(
        &self,
        txn: &DatabaseTransaction,
        actor: &Actor,
        mut p: Patent,
        expected_version: Option<i64>,
        scope: Option<&ParkCode>,
    ) -> Result<(PatentRecord, Upserted)> {
        let violations = p.violations(actor.today);
        if !violations.is_empty() {
            return Err(StoreError::Invalid(violations));
        }
        let key = p.application_number.to_string();
        let (owner_id, owner_park) = self.owner_ref(txn, &p.owner).await?;
        check_scope(scope, &owner_park, || unknown_owner(&p.owner))?;
        let current = patent::Entity::find()
            .filter(patent::Column::ApplicationNumber.eq(key.as_str()))
            .one(txn)
            .await?;
        let now = actor.now;
        let Some(current) = current else {
            if expected_version.is_some_and(|v| v != 0) {
                return Err(StoreError::NotFound {
                    entity: "patent",
                    key,
                });
            }
            let mut row = patent_columns(&p, owner_id)?;
            row.version = Set(1);
            row.created_at = Set(now);
            row.updated_at = Set(now);
            let row = patent::Entity::insert(row)
                .exec_with_returning(txn)
                .await
                .map_err(unique("patent", &key))?;
            p.appraisals.clear();
            let rec = patent_from_row(row, p.owner, vec![])?;
            let after = serde_json::to_value(&rec.value).ok();
            audit::record(
                txn,
                actor,
                now,
                Change {
                    entity: "patent",
                    key: &key,
                    action: "create",
                    park_id: Some(self.park_id_of(txn, &owner_park).await?),
                    reason: None,
                    before: None,
                    after,
                },
            )
            .await?;
            return Ok((rec, Upserted::Created));
        };
        let old_owner = enterprise::Entity::find_by_id(current.enterprise_id)
            .one(txn)
            .await?
            .ok_or_else(|| StoreError::corrupt("patent owner"))?;
        let old_park = self.park_code(txn, old_owner.park_id).await?;
        check_scope(scope, &old_park, taken("patent", &key))?;
        let Some(expected) = expected_version else {
            return Err(StoreError::VersionRequired {
                entity: "patent",
                key,
            });
        };
        if current.version != expected {
            return Err(StoreError::VersionConflict {
                entity: "patent",
                key,
                expected,
                current: current.version,
            });
        }
        let appraisals = appraisals_of(txn, vec![current.id])
            .await?
            .remove(&current.id)
            .unwrap_or_default();
        let before = patent_from_row(
            current.clone(),
            corrupt(Uscc::parse(&old_owner.uscc))?,
            appraisals.clone(),
        )?;
        p.appraisals = appraisals;
        if before.value == p {
            return Ok((before, Upserted::Unchanged));
        }
        let mut row = patent_columns(&p, owner_id)?;
        row.id = Unchanged(current.id);
        row.version = Set(expected + 1);
        row.updated_at = Set(now);
        crate::records::write_if_version::<patent::Entity>(
            txn,
            row,
            (patent::Column::Id, patent::Column::Version),
            current.id,
            expected,
            ("patent", &key),
        )
        .await?;
        let after = Versioned {
            version: expected + 1,
            updated_at: now,
            value: p,
            ..before.clone()
        };
        audit::record(
            txn,
            actor,
            now,
            Change {
                entity: "patent",
                key: &key,
                action: "update",
                park_id: Some(self.park_id_of(txn, &owner_park).await?),
                reason: None,
                before: serde_json::to_value(&before.value).ok(),
                after: serde_json::to_value(&after.value).ok(),
            },
        )
        .await?;
        // The change may cost either owner its place on the white list.
        self.rescreen_after_change(txn, actor, owner_id).await?;
        if current.enterprise_id != owner_id {
            self.rescreen_after_change(txn, actor, current.enterprise_id)
                .await?;
        }
        Ok((after, Upserted::Updated))
    }

    /// The patent with this application number, and the park of its owner.
    pub async fn patent(
        &self,
        number: &PatentApplicationNumber,
    ) -> Result<Option<(PatentRecord, ParkCode)>> {
        self.patent_in(&self.db, number).await
    }

    /// [`patent`](Self::patent) read through `db` (a transaction sees its own writes).
    pub(crate) async fn patent_in(
        &self,
        db: &impl ConnectionTrait,
        number: &PatentApplicationNumber,
    ) -> Result<Option<(PatentRecord, ParkCode)>> {
        let Some(row) = patent::Entity::find()
            .filter(patent::Column::ApplicationNumber.eq(number.as_str()))
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        let owner = enterprise::Entity::find_by_id(row.enterprise_id)
            .one(db)
            .await?
            .ok_or_else(|| StoreError::corrupt("patent owner"))?;
        let park = self.park_code(db, owner.park_id).await?;
        let appraisals = appraisals_of(db, vec![row.id])
            .await?
            .remove(&row.id)
            .unwrap_or_default();
        Ok(Some((
            patent_from_row(row, corrupt(Uscc::parse(&owner.uscc))?, appraisals)?,
            park,
        )))
    }

    /// A page of the patents of one enterprise, in id order.
    pub async fn list_patents(
        &self,
        owner: &Uscc,
        after: Option<i64>,
        limit: u64,
    ) -> Result<Page<PatentRecord>> {
        let Some((owner_id, _)) = self.enterprise_ref(&self.db, owner).await? else {
            return Err(StoreError::NotFound {
                entity: "enterprise",
                key: owner.to_string(),
            });
        };
        let mut q = patent::Entity::find()
            .filter(patent::Column::EnterpriseId.eq(owner_id))
            .order_by_asc(patent::Column::Id);
        if let Some(a) = after {
            q = q.filter(patent::Column::Id.gt(a));
        }
        let rows = q.limit(limit + 1).all(&self.db).await?;
        self.patent_page(rows, limit, &HashMap::from([(owner_id, *owner)]))
            .await
    }

    /// Patent rows (fetched with `limit + 1`) as a page, with their appraisals.
    async fn patent_page(
        &self,
        rows: Vec<patent::Model>,
        limit: u64,
        owners: &HashMap<i64, Uscc>,
    ) -> Result<Page<PatentRecord>> {
        let mut appraisals = appraisals_of(&self.db, rows.iter().map(|r| r.id).collect()).await?;
        let page = page(
            rows,
            limit,
            |r| r.id,
            |r| {
                let owner = owners
                    .get(&r.enterprise_id)
                    .copied()
                    .ok_or_else(|| StoreError::corrupt("patent owner"))?;
                let a = appraisals.remove(&r.id).unwrap_or_default();
                patent_from_row(r, owner, a)
            },
        );
        Ok(Page {
            items: page.items.into_iter().collect::<Result<Vec<_>>>()?,
            next: page.next,
        })
    }

    /// A page of the patents of every enterprise of `park` (of every park when `None`), in id
    /// order: what exports read.
    pub async fn patents_of_park(
        &self,
        park: Option<&ParkCode>,
        after: Option<i64>,
        limit: u64,
    ) -> Result<Page<PatentRecord>> {
        let mut q = patent::Entity::find().order_by_asc(patent::Column::Id);
        if let Some(code) = park {
            let park_id = self.park_id_of(&self.db, code).await?;
            q = q.filter(
                patent::Column::EnterpriseId.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(enterprise::Column::Id)
                        .from(enterprise::Entity)
                        .and_where(enterprise::Column::ParkId.eq(park_id))
                        .to_owned(),
                ),
            );
        }
        if let Some(a) = after {
            q = q.filter(patent::Column::Id.gt(a));
        }
        let rows = q.limit(limit + 1).all(&self.db).await?;
        let owner_ids: Vec<i64> = rows.iter().map(|r| r.enterprise_id).collect();
        let owners: HashMap<i64, Uscc> = enterprise::Entity::find()
            .filter(enterprise::Column::Id.is_in(owner_ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|e| Ok((e.id, corrupt(Uscc::parse(&e.uscc))?)))
            .collect::<Result<_>>()?;
        self.patent_page(rows, limit, &owners).await
    }

    /// Adds an appraisal to a patent. Appraisals are never changed; a correction is a new one.
    pub async fn add_patent_appraisal(
        &self,
        actor: &Actor,
        number: &PatentApplicationNumber,
        a: Appraisal,
        scope: Option<&ParkCode>,
    ) -> Result<AppraisalRecord> {
        let key = number.to_string();
        let txn = self.write().await?;
        let row = patent::Entity::find()
            .filter(patent::Column::ApplicationNumber.eq(key.as_str()))
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound {
                entity: "patent",
                key: key.clone(),
            })?;
        let owner = enterprise::Entity::find_by_id(row.enterprise_id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::corrupt("patent owner"))?;
        let park = self.park_code(&txn, owner.park_id).await?;
        check_scope(scope, &park, not_found("patent", &key))?;
        let rec = self
            .insert_appraisal(&txn, actor, Some(row.id), None, &key, owner.park_id, a)
            .await?;
        crate::audit::commit(txn).await?;
        Ok(rec)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn insert_appraisal(
        &self,
        txn: &impl ConnectionTrait,
        actor: &Actor,
        patent_id: Option<i64>,
        trademark_id: Option<i64>,
        key: &str,
        park_id: i64,
        a: Appraisal,
    ) -> Result<AppraisalRecord> {
        let violations = a.violations(actor.today);
        if !violations.is_empty() {
            return Err(StoreError::Invalid(violations));
        }
        let now = actor.now;
        let row = appraisal::Entity::insert(appraisal_columns(&a, patent_id, trademark_id, now))
            .exec_with_returning(txn)
            .await?;
        let rec = AppraisalRecord {
            id: row.id,
            created_at: now,
            appraisal: appraisal_from_row(&row)?,
        };
        audit::record(
            txn,
            actor,
            now,
            Change {
                entity: "appraisal",
                key,
                action: "create",
                park_id: Some(park_id),
                reason: None,
                before: None,
                after: serde_json::to_value(&rec).ok(),
            },
        )
        .await?;
        Ok(rec)
    }

    pub(crate) async fn park_id_of(
        &self,
        db: &impl ConnectionTrait,
        code: &ParkCode,
    ) -> Result<i64> {
        crate::entities::park::Entity::find()
            .filter(crate::entities::park::Column::Code.eq(code.as_str()))
            .one(db)
            .await?
            .map(|p| p.id)
            .ok_or_else(|| StoreError::corrupt("missing park"))
    }
}
