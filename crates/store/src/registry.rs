//! Parks, banks and enterprises.

use crate::audit::{self, Change};
use crate::entities::{bank, enterprise, park};
use crate::error::{Result, StoreError, corrupt};
use crate::records::page;
use crate::{Actor, EnterpriseFilter, Page, Store, Versioned};
use chrono::Utc;
use pledge_domain::{
    BankCode, Contact, DomainError, Enterprise, FinancingNeed, IndustryCode, Money, ParkCode,
    RegionCode, SizeClass, StrategicIndustry, Text, Uscc, Violation,
};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, SqlErr,
};
use serde::Serialize;
use std::collections::HashMap;

/// 园区: an industrial park.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParkRecord {
    pub code: ParkCode,
    pub name: Text,
    pub region: RegionCode,
}

/// A bank that publishes loan products.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BankRecord {
    pub code: BankCode,
    pub name: Text,
}

/// A stored enterprise.
pub type EnterpriseRecord = Versioned<Enterprise>;

/// Every park's code, by row id.
pub(crate) async fn park_codes(db: &impl ConnectionTrait) -> Result<HashMap<i64, ParkCode>> {
    park::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| Ok((p.id, corrupt(ParkCode::parse(&p.code))?)))
        .collect()
}

/// Maps a unique-key violation raised by the database to `Duplicate`.
pub(crate) fn unique(entity: &'static str, key: &str) -> impl FnOnce(sea_orm::DbErr) -> StoreError {
    let key = key.to_owned();
    move |e| match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::Duplicate { entity, key },
        _ => StoreError::Database(e),
    }
}

fn park_from_row(r: park::Model) -> Result<Versioned<ParkRecord>> {
    Ok(Versioned {
        id: r.id,
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
        value: ParkRecord {
            code: corrupt(ParkCode::parse(&r.code))?,
            name: corrupt(Text::parse(&r.name, 1, 100))?,
            region: corrupt(RegionCode::parse(&r.region))?,
        },
    })
}

fn bank_from_row(r: bank::Model) -> Result<Versioned<BankRecord>> {
    Ok(Versioned {
        id: r.id,
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
        value: BankRecord {
            code: corrupt(BankCode::parse(&r.code))?,
            name: corrupt(Text::parse(&r.name, 1, 100))?,
        },
    })
}

pub(crate) fn enterprise_from_row(
    r: enterprise::Model,
    park: ParkCode,
) -> Result<EnterpriseRecord> {
    let financing_need = match (r.financing_need_fen, r.financing_need_term_months) {
        (Some(fen), Some(months)) => Some(FinancingNeed {
            amount: corrupt(Money::from_fen(fen))?,
            term_months: corrupt(u16::try_from(months))?,
        }),
        _ => None,
    };
    let contact: Option<Contact> = match r.contact {
        Some(v) if !v.is_null() => Some(corrupt(serde_json::from_value(v))?),
        _ => None,
    };
    Ok(Versioned {
        id: r.id,
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
        value: Enterprise {
            uscc: corrupt(Uscc::parse(&r.uscc))?,
            name: corrupt(Text::parse(&r.name, 1, 100))?,
            former_names: match r.former_names {
                Some(names) => corrupt(serde_json::from_value(names))?,
                None => Vec::new(),
            },
            park,
            region: corrupt(RegionCode::parse(&r.region))?,
            industry: corrupt(IndustryCode::parse(&r.industry))?,
            strategic_industry: r
                .strategic_industry
                .as_deref()
                .map(StrategicIndustry::parse)
                .transpose()
                .map_err(StoreError::corrupt)?,
            founded_on: r.founded_on,
            size: corrupt(SizeClass::parse(&r.size))?,
            qualifications: corrupt(serde_json::from_value(r.qualifications))?,
            risk_flags: corrupt(serde_json::from_value(r.risk_flags))?,
            financing_need,
            contact,
            contact_consent: r.contact_consent,
        },
    })
}

/// The keys of `names` as names are matched, as one text (`|key|key|`) that a query finds a
/// key in with `LIKE '%|key|%'`; `None` without names.
pub(crate) fn former_name_keys(names: &[String]) -> Option<String> {
    (!names.is_empty()).then(|| {
        let keys: Vec<String> = names.iter().map(|n| pledge_domain::name_key(n)).collect();
        format!("|{}|", keys.join("|"))
    })
}

fn to_json<T: Serialize>(v: &T) -> Result<serde_json::Value> {
    serde_json::to_value(v).map_err(StoreError::corrupt)
}

/// The columns of an enterprise, without id, version and timestamps.
pub(crate) fn enterprise_columns(e: &Enterprise, park_id: i64) -> Result<enterprise::ActiveModel> {
    Ok(enterprise::ActiveModel {
        id: NotSet,
        uscc: Set(e.uscc.to_string()),
        name: Set(e.name.to_string()),
        park_id: Set(park_id),
        region: Set(e.region.as_str().into()),
        industry: Set(e.industry.as_str().into()),
        strategic_industry: Set(e.strategic_industry.map(|s| s.as_str().into())),
        founded_on: Set(e.founded_on),
        size: Set(e.size.as_str().into()),
        qualifications: Set(to_json(&e.qualifications)?),
        risk_flags: Set(to_json(&e.risk_flags)?),
        financing_need_fen: Set(e.financing_need.as_ref().map(|n| n.amount.fen())),
        financing_need_term_months: Set(e
            .financing_need
            .as_ref()
            .map(|n| i32::from(n.term_months))),
        contact: Set(e.contact.as_ref().map(to_json).transpose()?),
        contact_consent: Set(e.contact_consent),
        former_names: Set(match e.former_names.as_slice() {
            [] => None,
            names => Some(to_json(&names)?),
        }),
        former_name_keys: Set(former_name_keys(&e.former_names)),
        version: NotSet,
        created_at: NotSet,
        updated_at: NotSet,
    })
}

/// The row of a park, with id `id` (`NotSet`: the database's next), stamped `now`.
pub(crate) fn park_columns(
    p: &ParkRecord,
    id: sea_orm::ActiveValue<i64>,
    now: chrono::DateTime<Utc>,
) -> park::ActiveModel {
    park::ActiveModel {
        id,
        code: Set(p.code.to_string()),
        name: Set(p.name.to_string()),
        region: Set(p.region.as_str().into()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

impl Store {
    /// Creates a park.
    pub async fn create_park(&self, actor: &Actor, p: ParkRecord) -> Result<Versioned<ParkRecord>> {
        let txn = self.write().await?;
        let now = actor.now;
        let row = park::Entity::insert(park_columns(&p, NotSet, now))
            .exec_with_returning(&txn)
            .await
            .map_err(unique("park", p.code.as_str()))?;
        let rec = park_from_row(row)?;
        audit::record(
            &txn,
            actor,
            now,
            Change {
                entity: "park",
                key: p.code.as_str(),
                action: "create",
                park_id: Some(rec.id),
                reason: None,
                before: None,
                after: Some(to_json(&rec.value)?),
            },
        )
        .await?;
        crate::audit::commit(txn).await?;
        Ok(rec)
    }

    /// Every park, by code.
    pub async fn list_parks(&self) -> Result<Vec<Versioned<ParkRecord>>> {
        park::Entity::find()
            .order_by_asc(park::Column::Code)
            .all(&self.db)
            .await?
            .into_iter()
            .map(park_from_row)
            .collect()
    }

    /// The park with `code`.
    pub async fn park(&self, code: &ParkCode) -> Result<Option<Versioned<ParkRecord>>> {
        park::Entity::find()
            .filter(park::Column::Code.eq(code.as_str()))
            .one(&self.db)
            .await?
            .map(park_from_row)
            .transpose()
    }

    /// Creates a bank.
    pub async fn create_bank(&self, actor: &Actor, b: BankRecord) -> Result<Versioned<BankRecord>> {
        let txn = self.write().await?;
        let now = actor.now;
        let row = bank::Entity::insert(bank::ActiveModel {
            id: NotSet,
            code: Set(b.code.to_string()),
            name: Set(b.name.to_string()),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_with_returning(&txn)
        .await
        .map_err(unique("bank", b.code.as_str()))?;
        let rec = bank_from_row(row)?;
        audit::record(
            &txn,
            actor,
            now,
            Change {
                entity: "bank",
                key: b.code.as_str(),
                action: "create",
                park_id: None,
                reason: None,
                before: None,
                after: Some(to_json(&rec.value)?),
            },
        )
        .await?;
        crate::audit::commit(txn).await?;
        Ok(rec)
    }

    /// Every bank, by code.
    pub async fn list_banks(&self) -> Result<Vec<Versioned<BankRecord>>> {
        bank::Entity::find()
            .order_by_asc(bank::Column::Code)
            .all(&self.db)
            .await?
            .into_iter()
            .map(bank_from_row)
            .collect()
    }

    /// The bank with `code`.
    pub async fn bank(&self, code: &BankCode) -> Result<Option<Versioned<BankRecord>>> {
        bank::Entity::find()
            .filter(bank::Column::Code.eq(code.as_str()))
            .one(&self.db)
            .await?
            .map(bank_from_row)
            .transpose()
    }

    async fn park_id(&self, db: &impl ConnectionTrait, code: &ParkCode) -> Result<i64> {
        park::Entity::find()
            .filter(park::Column::Code.eq(code.as_str()))
            .one(db)
            .await?
            .map(|p| p.id)
            .ok_or_else(|| {
                StoreError::Invalid(vec![Violation::new(
                    "park",
                    DomainError::UnknownValue {
                        value: code.to_string(),
                        allowed: "an existing park".into(),
                    },
                )])
            })
    }

    /// Creates an enterprise; its USCC must be new.
    pub async fn create_enterprise(
        &self,
        actor: &Actor,
        e: Enterprise,
    ) -> Result<EnterpriseRecord> {
        let txn = self.write().await?;
        let out = self.create_enterprise_in(&txn, actor, e).await?;
        crate::audit::commit(txn).await?;
        Ok(out)
    }

    /// [`create_enterprise`](Self::create_enterprise) inside the caller's transaction.
    pub(crate) async fn create_enterprise_in(
        &self,
        txn: &DatabaseTransaction,
        actor: &Actor,
        e: Enterprise,
    ) -> Result<EnterpriseRecord> {
        let violations = e.violations(actor.today);
        if !violations.is_empty() {
            return Err(StoreError::Invalid(violations));
        }
        let park_id = self.park_id(txn, &e.park).await?;
        let now = actor.now;
        let mut row = enterprise_columns(&e, park_id)?;
        row.version = Set(1);
        row.created_at = Set(now);
        row.updated_at = Set(now);
        let row = enterprise::Entity::insert(row)
            .exec_with_returning(txn)
            .await
            .map_err(unique("enterprise", e.uscc.as_str()))?;
        let rec = enterprise_from_row(row, e.park.clone())?;
        audit::record(
            txn,
            actor,
            now,
            Change {
                entity: "enterprise",
                key: e.uscc.as_str(),
                action: "create",
                park_id: Some(park_id),
                reason: None,
                before: None,
                after: Some(to_json(&rec.value)?),
            },
        )
        .await?;
        Ok(rec)
    }

    /// Replaces an enterprise if `expected_version` is the stored one; an update that changes
    /// nothing keeps the version and writes no audit record.
    pub async fn update_enterprise(
        &self,
        actor: &Actor,
        e: Enterprise,
        expected_version: i64,
    ) -> Result<EnterpriseRecord> {
        let txn = self.write().await?;
        let out = self
            .update_enterprise_in(&txn, actor, e, expected_version)
            .await?;
        crate::audit::commit(txn).await?;
        Ok(out)
    }

    /// [`update_enterprise`](Self::update_enterprise) inside the caller's transaction.
    pub(crate) async fn update_enterprise_in(
        &self,
        txn: &DatabaseTransaction,
        actor: &Actor,
        e: Enterprise,
        expected_version: i64,
    ) -> Result<EnterpriseRecord> {
        let violations = e.violations(actor.today);
        if !violations.is_empty() {
            return Err(StoreError::Invalid(violations));
        }
        let key = e.uscc.to_string();
        let current = enterprise::Entity::find()
            .filter(enterprise::Column::Uscc.eq(key.as_str()))
            .one(txn)
            .await?
            .ok_or(StoreError::NotFound {
                entity: "enterprise",
                key: key.clone(),
            })?;
        if current.version != expected_version {
            return Err(StoreError::VersionConflict {
                entity: "enterprise",
                key,
                expected: expected_version,
                current: current.version,
            });
        }
        let old_park = self.park_code(txn, current.park_id).await?;
        let before = enterprise_from_row(current.clone(), old_park)?;
        if before.value == e {
            return Ok(before);
        }
        let park_id = self.park_id(txn, &e.park).await?;
        let now = actor.now;
        let mut row = enterprise_columns(&e, park_id)?;
        row.id = sea_orm::ActiveValue::Unchanged(current.id);
        row.uscc = NotSet;
        row.version = Set(expected_version.saturating_add(1));
        row.updated_at = Set(now);
        crate::records::write_if_version::<enterprise::Entity>(
            txn,
            row,
            (enterprise::Column::Id, enterprise::Column::Version),
            current.id,
            expected_version,
            ("enterprise", &key),
        )
        .await?;
        let after = Versioned {
            version: expected_version.saturating_add(1),
            updated_at: now,
            value: e,
            ..before.clone()
        };
        audit::record(
            txn,
            actor,
            now,
            Change {
                entity: "enterprise",
                key: &key,
                action: "update",
                park_id: Some(park_id),
                reason: None,
                before: Some(to_json(&before.value)?),
                after: Some(to_json(&after.value)?),
            },
        )
        .await?;
        self.rescreen_after_change(txn, actor, current.id).await?;
        Ok(after)
    }

    /// The enterprise with `uscc`.
    pub async fn enterprise(&self, uscc: &Uscc) -> Result<Option<EnterpriseRecord>> {
        self.enterprise_in(&self.db, uscc).await
    }

    /// [`enterprise`](Self::enterprise) read through `db` (a transaction sees its own writes).
    pub(crate) async fn enterprise_in(
        &self,
        db: &impl ConnectionTrait,
        uscc: &Uscc,
    ) -> Result<Option<EnterpriseRecord>> {
        let Some(row) = enterprise::Entity::find()
            .filter(enterprise::Column::Uscc.eq(uscc.as_str()))
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        let park = self.park_code(db, row.park_id).await?;
        enterprise_from_row(row, park).map(Some)
    }

    /// A page of enterprises in id order, after `after`.
    pub async fn list_enterprises(
        &self,
        filter: &EnterpriseFilter,
        after: Option<i64>,
        limit: u64,
    ) -> Result<Page<EnterpriseRecord>> {
        let mut q = enterprise::Entity::find().order_by_asc(enterprise::Column::Id);
        if let Some(code) = &filter.park {
            let Some(p) = self.park(code).await? else {
                return Ok(Page {
                    items: vec![],
                    next: None,
                });
            };
            q = q.filter(enterprise::Column::ParkId.eq(p.id));
        }
        if let Some(r) = &filter.region_prefix {
            q = q.filter(enterprise::Column::Region.starts_with(r.as_str()));
        }
        if let Some(i) = &filter.industry_prefix {
            q = q.filter(enterprise::Column::Industry.starts_with(i.to_uppercase()));
        }
        if let Some(n) = &filter.name_contains {
            q = q.filter(enterprise::Column::Name.contains(n.as_str()));
        }
        if let Some(a) = after {
            q = q.filter(enterprise::Column::Id.gt(a));
        }
        let rows = q.limit(limit + 1).all(&self.db).await?;
        let parks: std::collections::HashMap<i64, ParkCode> = self
            .list_parks()
            .await?
            .into_iter()
            .map(|p| (p.id, p.value.code))
            .collect();
        let page = page(
            rows,
            limit,
            |r| r.id,
            |r| {
                let code = parks
                    .get(&r.park_id)
                    .cloned()
                    .ok_or_else(|| StoreError::corrupt("missing park"))?;
                enterprise_from_row(r, code)
            },
        );
        let items = page.items.into_iter().collect::<Result<Vec<_>>>()?;
        Ok(Page {
            items,
            next: page.next,
        })
    }

    /// The row id and park of the enterprise with `uscc`.
    /// The enterprises named (unknown ones are left out), in one query.
    pub async fn enterprises(&self, usccs: &[Uscc]) -> Result<Vec<EnterpriseRecord>> {
        let rows = enterprise::Entity::find()
            .filter(enterprise::Column::Uscc.is_in(usccs.iter().map(|u| u.to_string())))
            .all(&self.db)
            .await?;
        let mut parks = std::collections::HashMap::new();
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let park = match parks.get(&r.park_id) {
                Some(p) => Clone::clone(p),
                None => {
                    let p = self.park_code(&self.db, r.park_id).await?;
                    parks.insert(r.park_id, p.clone());
                    p
                }
            };
            out.push(enterprise_from_row(r, park)?);
        }
        Ok(out)
    }

    pub(crate) async fn enterprise_ref(
        &self,
        db: &impl ConnectionTrait,
        uscc: &Uscc,
    ) -> Result<Option<(i64, i64)>> {
        Ok(enterprise::Entity::find()
            .filter(enterprise::Column::Uscc.eq(uscc.as_str()))
            .one(db)
            .await?
            .map(|r| (r.id, r.park_id)))
    }
}
