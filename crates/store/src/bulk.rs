//! Loading a generated data set into an empty database: parks, banks and their published
//! products, one published white-list batch, then enterprises with their IP in large
//! transactions of few, large statements. Ids are handed out here, not by the database, so
//! that a patent row can name its enterprise without a round trip; PostgreSQL's sequences are
//! moved past them at the end. Each transaction writes its own audit record.

use crate::audit::{self, Change};
use crate::entities::{bank, loan_product, whitelist_batch, whitelist_entry};
use crate::error::{Result, StoreError};
use crate::patents::{appraisal_columns, patent_columns};
use crate::products::checked;
use crate::registry::{enterprise_columns, park_columns};
use crate::{Actor, BankRecord, ParkRecord, Store};
use chrono::Days;
use pledge_domain::code;
use pledge_domain::{
    Appraisal, BatchStatus, EntryStatus, Holding, LoanProduct, ParkCode, ProductStatus, ReasonCode,
    Screening,
};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, Statement,
};
use serde_json::json;
use std::collections::HashMap;

/// Rows per INSERT: few round trips, and 1,000 rows of the widest table (patents, 24 columns)
/// stay below SQLite's 32,766 bind parameters.
const ROWS_PER_STATEMENT: usize = 1000;

/// The tables whose ids a load hands out.
const TABLES: [&str; 9] = [
    "parks",
    "banks",
    "loan_products",
    "whitelist_batches",
    "enterprises",
    "patents",
    "trademarks",
    "appraisals",
    "whitelist_entries",
];

/// A load under way: the ids handed out so far.
#[derive(Debug)]
pub struct BulkLoad {
    actor: Actor,
    parks: HashMap<ParkCode, i64>,
    batch_id: i64,
    enterprise: i64,
    patent: i64,
    trademark: i64,
    appraisal: i64,
    entry: i64,
}

/// What a load has written so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BulkCounts {
    pub enterprises: i64,
    pub patents: i64,
    pub trademarks: i64,
    pub appraisals: i64,
    pub listed: i64,
}

impl BulkLoad {
    /// The rows written so far.
    pub fn counts(&self) -> BulkCounts {
        BulkCounts {
            enterprises: self.enterprise,
            patents: self.patent,
            trademarks: self.trademark,
            appraisals: self.appraisal,
            listed: self.entry,
        }
    }
}

/// Gives a new row its id, version 1 and both timestamps.
macro_rules! stamp {
    ($row:expr, $id:expr, $now:expr) => {{
        let mut row = $row;
        row.id = Set($id);
        row.version = Set(1);
        row.created_at = Set($now);
        row.updated_at = Set($now);
        row
    }};
}

async fn insert_all<A>(txn: &DatabaseTransaction, rows: Vec<A>) -> Result<()>
where
    A: ActiveModelTrait + Send,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(ROWS_PER_STATEMENT).collect();
        <A::Entity as EntityTrait>::insert_many(chunk)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

impl Store {
    /// Starts loading a generated data set: refuses a database that holds any park, bank or
    /// enterprise, then writes the parks, the banks with their products (published), and one
    /// published white-list batch. `products` name their bank by its index in `banks`.
    pub async fn bulk_begin(
        &self,
        actor: &Actor,
        parks: &[ParkRecord],
        banks: &[BankRecord],
        products: &[(usize, LoanProduct)],
    ) -> Result<BulkLoad> {
        let txn = self.write().await?;
        for table in TABLES {
            let rows = txn
                .query_one_raw(Statement::from_string(
                    txn.get_database_backend(),
                    format!("SELECT COUNT(*) AS n FROM (SELECT 1 FROM {table} LIMIT 1) AS t"),
                ))
                .await?
                .map(|r| r.try_get::<i64>("", "n"))
                .transpose()?
                .unwrap_or(0);
            if rows > 0 {
                return Err(StoreError::Conflict {
                    code: code::DATABASE_NOT_EMPTY,
                    detail: format!(
                        "{table} already holds rows: load a data set into an empty database"
                    ),
                });
            }
        }
        let now = actor.now;
        let today = actor.today;
        let mut park_ids = HashMap::new();
        let mut rows = Vec::new();
        for (id, p) in (1..).zip(parks) {
            park_ids.insert(p.code.clone(), id);
            rows.push(park_columns(p, Set(id), now));
        }
        insert_all(&txn, rows).await?;
        let bank_count = banks.len();
        let banks = (1..).zip(banks).map(|(id, b)| bank::ActiveModel {
            id: Set(id),
            code: Set(b.code.to_string()),
            name: Set(b.name.to_string()),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        });
        insert_all(&txn, banks.collect()).await?;
        let mut rows = Vec::new();
        for (id, (bank, rules)) in (1..).zip(products) {
            rows.push(loan_product::ActiveModel {
                id: Set(id),
                bank_id: Set(*bank as i64 + 1),
                name: Set(rules.name.to_string()),
                status: Set(ProductStatus::Published.as_str().into()),
                rules: Set(checked(rules)?),
                published_on: Set(Some(today)),
                withdrawn_on: Set(None),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
            });
        }
        insert_all(&txn, rows).await?;
        whitelist_batch::Entity::insert(whitelist_batch::ActiveModel {
            id: Set(1),
            name: Set("生成数据白名单 / generated list".into()),
            valid_until: Set(today.checked_add_days(Days::new(365)).unwrap_or(today)),
            status: Set(BatchStatus::Published.as_str().into()),
            published_on: Set(Some(today)),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await?;
        audit::record(
            &txn,
            actor,
            now,
            Change {
                entity: "data_set",
                key: "registry",
                action: "generate",
                park_id: None,
                before: None,
                after: Some(json!({
                    "parks": parks.len(),
                    "banks": bank_count,
                    "products": products.len(),
                })),
                reason: None,
            },
        )
        .await?;
        crate::audit::commit(txn).await?;
        Ok(BulkLoad {
            actor: actor.clone(),
            parks: park_ids,
            batch_id: 1,
            enterprise: 0,
            patent: 0,
            trademark: 0,
            appraisal: 0,
            entry: 0,
        })
    }

    /// Writes enterprises with their patents, trademarks, appraisals and, for the listed
    /// ones, a published white-list entry: one transaction and one audit record.
    pub async fn bulk_add(&self, load: &mut BulkLoad, holdings: &[Holding]) -> Result<()> {
        let now = load.actor.now;
        let today = load.actor.today;
        let screening = serde_json::to_value(Screening {
            as_of: today,
            passed: true,
            failures: Vec::new(),
        })
        .map_err(StoreError::corrupt)?;
        let first = load.enterprise + 1;
        let (mut enterprises, mut patents, mut trademarks, mut appraisals, mut entries) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut appraise = |a: &Appraisal, p: Option<i64>, t: Option<i64>, next: &mut i64| {
            *next += 1;
            let mut row = appraisal_columns(a, p, t, now);
            row.id = Set(*next);
            appraisals.push(row);
        };
        for h in holdings {
            let e = &h.enterprise;
            let park_id = *load
                .parks
                .get(&e.park)
                .ok_or_else(|| StoreError::corrupt(format!("park {} was not loaded", e.park)))?;
            load.enterprise += 1;
            let id = load.enterprise;
            enterprises.push(stamp!(enterprise_columns(e, park_id)?, id, now));
            for p in &h.patents {
                load.patent += 1;
                patents.push(stamp!(patent_columns(p, id)?, load.patent, now));
                for a in &p.appraisals {
                    appraise(a, Some(load.patent), None, &mut load.appraisal);
                }
            }
            for t in &h.trademarks {
                load.trademark += 1;
                trademarks.push(stamp!(
                    crate::trademarks::columns(t, id),
                    load.trademark,
                    now
                ));
                for a in &t.appraisals {
                    appraise(a, None, Some(load.trademark), &mut load.appraisal);
                }
            }
            if h.listed_until.is_some() {
                load.entry += 1;
                entries.push(whitelist_entry::ActiveModel {
                    id: Set(load.entry),
                    batch_id: Set(load.batch_id),
                    enterprise_id: Set(id),
                    park_id: Set(park_id),
                    status: Set(EntryStatus::Published.as_str().into()),
                    live_enterprise_id: Set(Some(id)),
                    nominated_by_token: Set(None),
                    nominated_by: Set(load.actor.label.clone()),
                    nominated_by_person: Set(load.actor.person_id),
                    screening: Set(screening.clone()),
                    override_reason: Set(None),
                    reason_code: Set(ReasonCode::MeetsCriteria.as_str().into()),
                    reason: Set("生成数据 / generated".into()),
                    published_on: Set(Some(today)),
                    version: Set(1),
                    created_at: Set(now),
                    updated_at: Set(now),
                });
            }
        }
        let txn = self.write().await?;
        insert_all(&txn, enterprises).await?;
        insert_all(&txn, patents).await?;
        insert_all(&txn, trademarks).await?;
        insert_all(&txn, appraisals).await?;
        insert_all(&txn, entries).await?;
        let key = format!("enterprises {first}..={}", load.enterprise);
        audit::record(
            &txn,
            &load.actor,
            now,
            Change {
                entity: "data_set",
                key: &key,
                action: "generate",
                park_id: None,
                before: None,
                after: Some(json!({ "enterprises": holdings.len() })),
                reason: None,
            },
        )
        .await?;
        crate::audit::commit(txn).await?;
        Ok(())
    }

    /// Ends a load: on PostgreSQL, moves every id sequence past the ids handed out.
    pub async fn bulk_finish(&self, load: BulkLoad) -> Result<BulkCounts> {
        if self.is_postgres() {
            for table in TABLES {
                self.db
                    .execute_raw(Statement::from_string(
                        DbBackend::Postgres,
                        format!(
                            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                             COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                        ),
                    ))
                    .await?;
            }
            self.db.execute_unprepared("ANALYZE").await?;
        }
        Ok(load.counts())
    }
}
