//! Trademarks and their appraisals.

use crate::audit::{self, Change};
use crate::entities::{appraisal, enterprise, trademark};
use crate::error::{Result, StoreError, corrupt};
use crate::patents::{
    AppraisalRecord, Upserted, appraisal_from_row, check_scope, not_found, pledge_from, taken,
    unknown_owner,
};
use crate::records::page;
use crate::registry::unique;
use crate::{Actor, Page, Store, Versioned};
use pledge_domain::{NiceClass, ParkCode, Text, Trademark, TrademarkRegistrationNumber, Uscc};
use sea_orm::{
    ActiveValue::{NotSet, Set, Unchanged},
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

/// A stored trademark, with its appraisals.
pub type TrademarkRecord = Versioned<Trademark>;

fn key_of(number: TrademarkRegistrationNumber, class: NiceClass) -> String {
    format!("{number}/{}", class.get())
}

async fn from_row(
    db: &impl ConnectionTrait,
    r: trademark::Model,
    owner: Uscc,
) -> Result<TrademarkRecord> {
    let appraisals = appraisal::Entity::find()
        .filter(appraisal::Column::TrademarkId.eq(r.id))
        .order_by_asc(appraisal::Column::AppraisedOn)
        .order_by_asc(appraisal::Column::Id)
        .all(db)
        .await?
        .iter()
        .map(appraisal_from_row)
        .collect::<Result<Vec<_>>>()?;
    Ok(Versioned {
        id: r.id,
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
        value: Trademark {
            registration_number: corrupt(TrademarkRegistrationNumber::parse(
                &r.registration_number.to_string(),
            ))?,
            nice_class: corrupt(NiceClass::new(i64::from(r.nice_class)))?,
            name: corrupt(Text::parse(&r.name, 1, 100))?,
            owner,
            registered_on: r.registered_on,
            valid_until: r.valid_until,
            pledge: pledge_from(
                r.pledge_registration_number,
                r.pledge_registered_on,
                r.pledge_released_on,
                r.pledge_marked,
            ),
            appraisals,
        },
    })
}

pub(crate) fn columns(t: &Trademark, enterprise_id: i64) -> trademark::ActiveModel {
    trademark::ActiveModel {
        id: NotSet,
        registration_number: Set(i64::from(t.registration_number.get())),
        nice_class: Set(i16::from(t.nice_class.get())),
        enterprise_id: Set(enterprise_id),
        name: Set(t.name.to_string()),
        registered_on: Set(t.registered_on),
        valid_until: Set(t.valid_until),
        pledge_registration_number: Set(t
            .pledge
            .as_ref()
            .and_then(|x| x.registration_number.clone())),
        pledge_registered_on: Set(t.pledge.as_ref().and_then(|x| x.registered_on)),
        pledge_released_on: Set(t.pledge.as_ref().and_then(|x| x.released_on)),
        pledge_marked: Set(t.pledge.as_ref().is_some_and(|x| !x.is_registered())),
        version: NotSet,
        created_at: NotSet,
        updated_at: NotSet,
    }
}

impl Store {
    async fn find_trademark(
        &self,
        db: &impl ConnectionTrait,
        number: TrademarkRegistrationNumber,
        class: NiceClass,
    ) -> Result<Option<trademark::Model>> {
        Ok(trademark::Entity::find()
            .filter(trademark::Column::RegistrationNumber.eq(i64::from(number.get())))
            .filter(trademark::Column::NiceClass.eq(i16::from(class.get())))
            .one(db)
            .await?)
    }

    /// Creates or replaces a trademark registration (number and class); as for patents,
    /// replacing needs the version read, and `scope` limits old and new owner.
    pub async fn upsert_trademark(
        &self,
        actor: &Actor,
        t: Trademark,
        expected_version: Option<i64>,
        scope: Option<&ParkCode>,
    ) -> Result<(TrademarkRecord, Upserted)> {
        let txn = self.write().await?;
        let out = self
            .upsert_trademark_in(&txn, actor, t, expected_version, scope)
            .await?;
        crate::audit::commit(txn).await?;
        Ok(out)
    }

    /// [`upsert_trademark`](Self::upsert_trademark) inside the caller's transaction (imports write many rows in one).
    pub(crate) async fn upsert_trademark_in(
        &self,
        txn: &DatabaseTransaction,
        actor: &Actor,
        mut t: Trademark,
        expected_version: Option<i64>,
        scope: Option<&ParkCode>,
    ) -> Result<(TrademarkRecord, Upserted)> {
        let violations = t.violations(actor.today);
        if !violations.is_empty() {
            return Err(StoreError::Invalid(violations));
        }
        let key = key_of(t.registration_number, t.nice_class);
        let (owner_id, owner_park) = self.owner_ref(txn, &t.owner).await?;
        check_scope(scope, &owner_park, || unknown_owner(&t.owner))?;
        let park_id = self.park_id_of(txn, &owner_park).await?;
        let now = actor.now;
        let Some(current) = self
            .find_trademark(txn, t.registration_number, t.nice_class)
            .await?
        else {
            if expected_version.is_some_and(|v| v != 0) {
                return Err(StoreError::NotFound {
                    entity: "trademark",
                    key,
                });
            }
            let mut row = columns(&t, owner_id);
            row.version = Set(1);
            row.created_at = Set(now);
            row.updated_at = Set(now);
            let row = trademark::Entity::insert(row)
                .exec_with_returning(txn)
                .await
                .map_err(unique("trademark", &key))?;
            let rec = from_row(txn, row, t.owner).await?;
            audit::record(
                txn,
                actor,
                now,
                Change {
                    entity: "trademark",
                    key: &key,
                    action: "create",
                    park_id: Some(park_id),
                    reason: None,
                    before: None,
                    after: serde_json::to_value(&rec.value).ok(),
                },
            )
            .await?;
            return Ok((rec, Upserted::Created));
        };
        let old_owner = enterprise::Entity::find_by_id(current.enterprise_id)
            .one(txn)
            .await?
            .ok_or_else(|| StoreError::corrupt("trademark owner"))?;
        check_scope(
            scope,
            &self.park_code(txn, old_owner.park_id).await?,
            taken("trademark", &key),
        )?;
        let Some(expected) = expected_version else {
            return Err(StoreError::VersionRequired {
                entity: "trademark",
                key,
            });
        };
        if current.version != expected {
            return Err(StoreError::VersionConflict {
                entity: "trademark",
                key,
                expected,
                current: current.version,
            });
        }
        let before = from_row(txn, current.clone(), corrupt(Uscc::parse(&old_owner.uscc))?).await?;
        t.appraisals = before.value.appraisals.clone();
        if before.value == t {
            return Ok((before, Upserted::Unchanged));
        }
        let mut row = columns(&t, owner_id);
        row.id = Unchanged(current.id);
        row.version = Set(expected + 1);
        row.updated_at = Set(now);
        crate::records::write_if_version::<trademark::Entity>(
            txn,
            row,
            (trademark::Column::Id, trademark::Column::Version),
            current.id,
            expected,
            ("trademark", &key),
        )
        .await?;
        let after = Versioned {
            version: expected + 1,
            updated_at: now,
            value: t,
            ..before.clone()
        };
        audit::record(
            txn,
            actor,
            now,
            Change {
                entity: "trademark",
                key: &key,
                action: "update",
                park_id: Some(park_id),
                reason: None,
                before: serde_json::to_value(&before.value).ok(),
                after: serde_json::to_value(&after.value).ok(),
            },
        )
        .await?;
        Ok((after, Upserted::Updated))
    }

    /// The trademark registration and the park of its owner.
    pub async fn trademark(
        &self,
        number: TrademarkRegistrationNumber,
        class: NiceClass,
    ) -> Result<Option<(TrademarkRecord, ParkCode)>> {
        self.trademark_in(&self.db, number, class).await
    }

    /// [`trademark`](Self::trademark) read through `db` (a transaction sees its own writes).
    pub(crate) async fn trademark_in(
        &self,
        db: &impl ConnectionTrait,
        number: TrademarkRegistrationNumber,
        class: NiceClass,
    ) -> Result<Option<(TrademarkRecord, ParkCode)>> {
        let Some(row) = self.find_trademark(db, number, class).await? else {
            return Ok(None);
        };
        let owner = enterprise::Entity::find_by_id(row.enterprise_id)
            .one(db)
            .await?
            .ok_or_else(|| StoreError::corrupt("trademark owner"))?;
        let park = self.park_code(db, owner.park_id).await?;
        Ok(Some((
            from_row(db, row, corrupt(Uscc::parse(&owner.uscc))?).await?,
            park,
        )))
    }

    /// A page of the trademarks of one enterprise, in id order.
    pub async fn list_trademarks(
        &self,
        owner: &Uscc,
        after: Option<i64>,
        limit: u64,
    ) -> Result<Page<TrademarkRecord>> {
        let Some((owner_id, _)) = self.enterprise_ref(&self.db, owner).await? else {
            return Err(StoreError::NotFound {
                entity: "enterprise",
                key: owner.to_string(),
            });
        };
        let mut q = trademark::Entity::find()
            .filter(trademark::Column::EnterpriseId.eq(owner_id))
            .order_by_asc(trademark::Column::Id);
        if let Some(a) = after {
            q = q.filter(trademark::Column::Id.gt(a));
        }
        let rows = q.limit(limit + 1).all(&self.db).await?;
        let p = page(rows, limit, |r| r.id, |r| r);
        let mut items = Vec::with_capacity(p.items.len());
        for r in p.items {
            items.push(from_row(&self.db, r, *owner).await?);
        }
        Ok(Page {
            items,
            next: p.next,
        })
    }

    /// Adds an appraisal to a trademark registration.
    pub async fn add_trademark_appraisal(
        &self,
        actor: &Actor,
        number: TrademarkRegistrationNumber,
        class: NiceClass,
        a: pledge_domain::Appraisal,
        scope: Option<&ParkCode>,
    ) -> Result<AppraisalRecord> {
        let key = key_of(number, class);
        let txn = self.write().await?;
        let row = self
            .find_trademark(&txn, number, class)
            .await?
            .ok_or(StoreError::NotFound {
                entity: "trademark",
                key: key.clone(),
            })?;
        let owner = enterprise::Entity::find_by_id(row.enterprise_id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::corrupt("trademark owner"))?;
        check_scope(
            scope,
            &self.park_code(&txn, owner.park_id).await?,
            not_found("trademark", &key),
        )?;
        let rec = self
            .insert_appraisal(&txn, actor, None, Some(row.id), &key, owner.park_id, a)
            .await?;
        crate::audit::commit(txn).await?;
        Ok(rec)
    }
}
