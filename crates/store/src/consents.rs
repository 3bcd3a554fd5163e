//! Consents (授权): which banks may see an enterprise's contact person and phone, when, on
//! what evidence; and the record of every time a bank saw them.

use crate::audit::{self, Change};
use crate::entities::consent;
use crate::error::{Result, StoreError};
use crate::{Actor, Store};
use chrono::{DateTime, NaiveDate, Utc};
use pledge_domain::{BankCode, Uscc};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// An enterprise's consent as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentRecord {
    pub id: i64,
    pub uscc: Uscc,
    /// `None`: every bank.
    pub bank: Option<BankCode>,
    pub valid_from: NaiveDate,
    /// `None`: until withdrawn.
    pub valid_until: Option<NaiveDate>,
    /// The signed form's reference (`None` only for a ledger's flag from before consents).
    pub evidence_reference: Option<String>,
    pub evidence_date: Option<NaiveDate>,
    pub recorded_by: String,
    pub created_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawn_by: Option<String>,
}

impl ConsentRecord {
    /// Whether it lets `bank` see the contact on `day`.
    pub fn in_force_for(&self, bank: &BankCode, day: NaiveDate) -> bool {
        self.withdrawn_at.is_none()
            && self.bank.as_ref().is_none_or(|b| b == bank)
            && self.valid_from <= day
            && self.valid_until.is_none_or(|u| day <= u)
    }
}

/// A consent to record: for one bank or every bank, a period, the evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConsent {
    pub bank: Option<BankCode>,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub evidence_reference: String,
    pub evidence_date: NaiveDate,
}

impl Store {
    fn consent_record(
        row: consent::Model,
        uscc: Uscc,
        banks: &HashMap<i64, BankCode>,
    ) -> ConsentRecord {
        ConsentRecord {
            id: row.id,
            uscc,
            bank: row.bank_id.and_then(|id| banks.get(&id).cloned()),
            valid_from: row.valid_from,
            valid_until: row.valid_until,
            evidence_reference: row.evidence_reference,
            evidence_date: row.evidence_date,
            recorded_by: row.recorded_by,
            created_at: row.created_at,
            withdrawn_at: row.withdrawn_at,
            withdrawn_by: row.withdrawn_by,
        }
    }

    /// The enterprise's row id and park id, or not found.
    async fn enterprise_ids(&self, uscc: &Uscc) -> Result<(i64, i64)> {
        let e = self
            .enterprise(uscc)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: "enterprise",
                key: uscc.to_string(),
            })?;
        let park = self
            .park(&e.value.park)
            .await?
            .map(|p| p.id)
            .unwrap_or_default();
        Ok((e.id, park))
    }

    /// Records a consent of the enterprise `uscc`, with its audit record.
    pub async fn record_consent(
        &self,
        actor: &Actor,
        uscc: &Uscc,
        c: NewConsent,
    ) -> Result<ConsentRecord> {
        let (enterprise_id, park_id) = self.enterprise_ids(uscc).await?;
        let bank_id = match &c.bank {
            None => None,
            Some(code) => Some(
                self.bank(code)
                    .await?
                    .ok_or_else(|| StoreError::NotFound {
                        entity: "bank",
                        key: code.to_string(),
                    })?
                    .id,
            ),
        };
        let txn = self.write().await?;
        let row = consent::Entity::insert(consent::ActiveModel {
            id: NotSet,
            enterprise_id: Set(enterprise_id),
            bank_id: Set(bank_id),
            valid_from: Set(c.valid_from),
            valid_until: Set(c.valid_until),
            evidence_reference: Set(Some(c.evidence_reference.clone())),
            evidence_date: Set(Some(c.evidence_date)),
            recorded_by: Set(actor.label.clone()),
            created_at: Set(actor.now),
            withdrawn_at: Set(None),
            withdrawn_by: Set(None),
        })
        .exec_with_returning(&txn)
        .await?;
        let banks = self.bank_codes(&self.db).await?;
        let record = Self::consent_record(row, *uscc, &banks);
        audit::record(
            &txn,
            actor,
            actor.now,
            Change {
                entity: "consent",
                key: &format!("{uscc}/{}", record.id),
                action: "record",
                park_id: Some(park_id),
                before: None,
                after: serde_json::to_value(&record).ok(),
                reason: None,
            },
        )
        .await?;
        audit::commit(txn).await?;
        Ok(record)
    }

    /// Withdraws consent `id` of the enterprise `uscc` at once (again: as it stands).
    pub async fn withdraw_consent(
        &self,
        actor: &Actor,
        uscc: &Uscc,
        id: i64,
        reason: Option<String>,
    ) -> Result<ConsentRecord> {
        let (enterprise_id, park_id) = self.enterprise_ids(uscc).await?;
        let unknown = || StoreError::NotFound {
            entity: "consent",
            key: format!("{uscc}/{id}"),
        };
        let txn = self.write().await?;
        let row = consent::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .filter(|r| r.enterprise_id == enterprise_id)
            .ok_or_else(unknown)?;
        let banks = self.bank_codes(&self.db).await?;
        if row.withdrawn_at.is_some() {
            return Ok(Self::consent_record(row, *uscc, &banks));
        }
        let before = Self::consent_record(row.clone(), *uscc, &banks);
        let updated = consent::Entity::update(consent::ActiveModel {
            id: Set(row.id),
            withdrawn_at: Set(Some(actor.now)),
            withdrawn_by: Set(Some(actor.label.clone())),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        let after = Self::consent_record(updated, *uscc, &banks);
        audit::record(
            &txn,
            actor,
            actor.now,
            Change {
                entity: "consent",
                key: &format!("{uscc}/{id}"),
                action: "withdraw",
                park_id: Some(park_id),
                before: serde_json::to_value(&before).ok(),
                after: serde_json::to_value(&after).ok(),
                reason,
            },
        )
        .await?;
        audit::commit(txn).await?;
        Ok(after)
    }

    /// Every consent of the enterprise `uscc`, oldest first.
    pub async fn consents(&self, uscc: &Uscc) -> Result<Vec<ConsentRecord>> {
        let (enterprise_id, _) = self.enterprise_ids(uscc).await?;
        let banks = self.bank_codes(&self.db).await?;
        Ok(consent::Entity::find()
            .filter(consent::Column::EnterpriseId.eq(enterprise_id))
            .order_by_asc(consent::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| Self::consent_record(r, *uscc, &banks))
            .collect())
    }

    /// Which of `usccs` let `bank` see their contact on `day`.
    pub async fn consented(
        &self,
        bank: &BankCode,
        usccs: &[Uscc],
        day: NaiveDate,
    ) -> Result<HashSet<Uscc>> {
        use crate::entities::enterprise;
        if usccs.is_empty() {
            return Ok(HashSet::new());
        }
        let ids: HashMap<i64, Uscc> = enterprise::Entity::find()
            .filter(enterprise::Column::Uscc.is_in(usccs.iter().map(|u| u.to_string())))
            .all(&self.db)
            .await?
            .into_iter()
            .filter_map(|e| Uscc::parse(&e.uscc).ok().map(|u| (e.id, u)))
            .collect();
        let banks = self.bank_codes(&self.db).await?;
        Ok(consent::Entity::find()
            .filter(consent::Column::EnterpriseId.is_in(ids.keys().copied()))
            .filter(consent::Column::WithdrawnAt.is_null())
            .all(&self.db)
            .await?
            .into_iter()
            .filter_map(|r| {
                let uscc = *ids.get(&r.enterprise_id)?;
                Some(Self::consent_record(r, uscc, &banks))
            })
            .filter(|c| c.in_force_for(bank, day))
            .map(|c| c.uscc)
            .collect())
    }

    /// Records that the actor (a bank) saw the contact of each of `usccs`: one audit record
    /// each.
    pub async fn record_contact_reads(&self, actor: &Actor, usccs: &[Uscc]) -> Result<()> {
        if usccs.is_empty() {
            return Ok(());
        }
        let txn = self.write().await?;
        for uscc in usccs {
            audit::record(
                &txn,
                actor,
                actor.now,
                Change {
                    entity: "contact",
                    key: uscc.as_str(),
                    action: "read",
                    park_id: None,
                    before: None,
                    after: None,
                    reason: None,
                },
            )
            .await?;
        }
        audit::commit(txn).await
    }
}
