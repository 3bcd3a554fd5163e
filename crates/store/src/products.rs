//! Banks' loan products: created as drafts, edited under version control, published, withdrawn.
//! A bank only ever reaches its own products: another bank's product is "not found".

use crate::audit::{self, Change};
use crate::entities::{bank, loan_product};
use crate::error::{Result, StoreError, corrupt};
use crate::records::write_if_version;
use crate::{Actor, Store};
use chrono::{DateTime, NaiveDate, Utc};
use pledge_domain::code;
use pledge_domain::{BankCode, DomainError, LoanProduct, ProductStatus, Violation};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;
use std::collections::HashMap;

/// A stored loan product.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductRecord {
    pub id: i64,
    pub bank: BankCode,
    pub status: ProductStatus,
    pub rules: LoanProduct,
    pub published_on: Option<NaiveDate>,
    pub withdrawn_on: Option<NaiveDate>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn record(r: loan_product::Model, bank: BankCode) -> Result<ProductRecord> {
    Ok(ProductRecord {
        id: r.id,
        bank,
        status: corrupt(ProductStatus::parse(&r.status))?,
        rules: corrupt(serde_json::from_value(r.rules))?,
        published_on: r.published_on,
        withdrawn_on: r.withdrawn_on,
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

pub(crate) fn checked(rules: &LoanProduct) -> Result<serde_json::Value> {
    let v = rules.violations();
    if !v.is_empty() {
        return Err(StoreError::Invalid(v));
    }
    corrupt(serde_json::to_value(rules))
}

fn audit_json(r: &ProductRecord) -> Option<serde_json::Value> {
    serde_json::to_value(r).ok()
}

impl Store {
    pub(crate) async fn bank_codes(
        &self,
        db: &impl ConnectionTrait,
    ) -> Result<HashMap<i64, BankCode>> {
        bank::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|b| Ok((b.id, corrupt(BankCode::parse(&b.code))?)))
            .collect()
    }

    /// Loads a product within `scope` (a bank sees only its own; `None`: every bank).
    async fn product_row(
        &self,
        db: &impl ConnectionTrait,
        id: i64,
        scope: Option<&BankCode>,
    ) -> Result<ProductRecord> {
        let not_found = || StoreError::NotFound {
            entity: "product",
            key: id.to_string(),
        };
        let row = loan_product::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or_else(not_found)?;
        let bank = bank::Entity::find_by_id(row.bank_id)
            .one(db)
            .await?
            .ok_or_else(|| StoreError::corrupt("product bank"))?;
        let code = corrupt(BankCode::parse(&bank.code))?;
        if scope.is_some_and(|s| s != &code) {
            return Err(not_found());
        }
        record(row, code)
    }

    /// Creates a draft product of `bank`.
    pub async fn create_product(
        &self,
        actor: &Actor,
        bank: &BankCode,
        rules: LoanProduct,
    ) -> Result<ProductRecord> {
        let json = checked(&rules)?;
        let txn = self.write().await?;
        let bank_row = bank::Entity::find()
            .filter(bank::Column::Code.eq(bank.as_str()))
            .one(&txn)
            .await?
            .ok_or_else(|| {
                StoreError::Invalid(vec![Violation::new(
                    "bank",
                    DomainError::UnknownValue {
                        value: bank.to_string(),
                        allowed: "a registered bank".into(),
                    },
                )])
            })?;
        let now = actor.now;
        let row = loan_product::Entity::insert(loan_product::ActiveModel {
            id: NotSet,
            bank_id: Set(bank_row.id),
            name: Set(rules.name.to_string()),
            status: Set(ProductStatus::Draft.as_str().into()),
            rules: Set(json),
            published_on: Set(None),
            withdrawn_on: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_with_returning(&txn)
        .await?;
        let rec = record(row, bank.clone())?;
        let change = Change {
            entity: "product",
            key: &rec.id.to_string(),
            action: "create",
            park_id: None,
            before: None,
            after: audit_json(&rec),
            reason: None,
        };
        audit::record(&txn, actor, now, change).await?;
        crate::audit::commit(txn).await?;
        Ok(rec)
    }

    /// Replaces the rules of a draft or published product, if `expected_version` is current.
    pub async fn update_product(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: i64,
        rules: LoanProduct,
        scope: Option<&BankCode>,
    ) -> Result<ProductRecord> {
        let json = checked(&rules)?;
        let txn = self.write().await?;
        let before = self.product_row(&txn, id, scope).await?;
        if before.status == ProductStatus::Withdrawn {
            return Err(StoreError::Conflict {
                code: code::PRODUCT_WITHDRAWN,
                detail: format!("产品{id}已下架，不能修改 / product {id} is withdrawn"),
            });
        }
        let now = actor.now;
        let am = loan_product::ActiveModel {
            name: Set(rules.name.to_string()),
            rules: Set(json),
            version: Set(expected_version.saturating_add(1)),
            updated_at: Set(now),
            ..Default::default()
        };
        self.write_product(&txn, am, &before, expected_version)
            .await?;
        let after = ProductRecord {
            rules,
            version: expected_version.saturating_add(1),
            updated_at: now,
            ..before.clone()
        };
        self.audit_product(&txn, actor, "update", &before, &after, None)
            .await?;
        crate::audit::commit(txn).await?;
        Ok(after)
    }

    /// Moves a product on: draft → published → withdrawn.
    pub async fn set_product_status(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: i64,
        status: ProductStatus,
        reason: Option<String>,
        scope: Option<&BankCode>,
    ) -> Result<ProductRecord> {
        let txn = self.write().await?;
        let before = self.product_row(&txn, id, scope).await?;
        if !before.status.may_become(status) {
            return Err(StoreError::Conflict {
                code: code::ILLEGAL_PRODUCT_STATUS,
                detail: format!(
                    "产品不能从{}变为{} / a product cannot go from {} to {}",
                    before.status.label_zh(),
                    status.label_zh(),
                    before.status.as_str(),
                    status.as_str()
                ),
            });
        }
        let now = actor.now;
        let mut after = ProductRecord {
            status,
            version: expected_version.saturating_add(1),
            updated_at: now,
            ..before.clone()
        };
        match status {
            ProductStatus::Published => after.published_on = Some(actor.today),
            ProductStatus::Withdrawn => after.withdrawn_on = Some(actor.today),
            ProductStatus::Draft => {}
        }
        let am = loan_product::ActiveModel {
            status: Set(status.as_str().into()),
            published_on: Set(after.published_on),
            withdrawn_on: Set(after.withdrawn_on),
            version: Set(expected_version.saturating_add(1)),
            updated_at: Set(now),
            ..Default::default()
        };
        self.write_product(&txn, am, &before, expected_version)
            .await?;
        let action = match status {
            ProductStatus::Published => "publish",
            ProductStatus::Withdrawn => "withdraw",
            ProductStatus::Draft => "draft",
        };
        self.audit_product(&txn, actor, action, &before, &after, reason)
            .await?;
        crate::audit::commit(txn).await?;
        Ok(after)
    }

    async fn write_product(
        &self,
        txn: &impl ConnectionTrait,
        am: loan_product::ActiveModel,
        before: &ProductRecord,
        expected_version: i64,
    ) -> Result<()> {
        let key = before.id.to_string();
        if before.version != expected_version {
            return Err(StoreError::VersionConflict {
                entity: "product",
                key,
                expected: expected_version,
                current: before.version,
            });
        }
        write_if_version::<loan_product::Entity>(
            txn,
            am,
            (loan_product::Column::Id, loan_product::Column::Version),
            before.id,
            expected_version,
            ("product", &key),
        )
        .await
    }

    async fn audit_product(
        &self,
        txn: &impl ConnectionTrait,
        actor: &Actor,
        action: &'static str,
        before: &ProductRecord,
        after: &ProductRecord,
        reason: Option<String>,
    ) -> Result<()> {
        let change = Change {
            entity: "product",
            key: &before.id.to_string(),
            action,
            park_id: None,
            before: audit_json(before),
            after: audit_json(after),
            reason,
        };
        audit::record(txn, actor, after.updated_at, change).await?;
        Ok(())
    }

    /// One product within `scope`.
    pub async fn product(&self, id: i64, scope: Option<&BankCode>) -> Result<ProductRecord> {
        self.product_row(&self.db, id, scope).await
    }

    /// Every product of `bank` (every bank's with `None`), in id order.
    pub async fn products(&self, bank: Option<&BankCode>) -> Result<Vec<ProductRecord>> {
        let banks = self.bank_codes(&self.db).await?;
        let rows = loan_product::Entity::find()
            .order_by_asc(loan_product::Column::Id)
            .all(&self.db)
            .await?;
        let mut out = Vec::new();
        for r in rows {
            let code = banks
                .get(&r.bank_id)
                .cloned()
                .ok_or_else(|| StoreError::corrupt("product bank"))?;
            if bank.is_none_or(|b| b == &code) {
                out.push(record(r, code)?);
            }
        }
        Ok(out)
    }
}
