//! Settings the city office keeps as data, in the key-value `settings` table: one versioned
//! JSON value each (`{"version": n, "value": …}`), read as its default until first set,
//! changed with the version read and an audit record in one transaction.

use crate::audit::{self, Change};
use crate::entities::setting;
use crate::error::{Result, StoreError, corrupt};
use crate::{Actor, Store};
use pledge_domain::UsualTerms;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

/// The usual ranges of a loan product's terms.
const USUAL_TERMS: &str = "usual_terms";

#[derive(Serialize, Deserialize)]
struct Stored<T> {
    version: i64,
    value: T,
}

impl Store {
    /// The usual ranges of a product's terms, and their version (0: the defaults).
    pub async fn usual_terms(&self) -> Result<(UsualTerms, i64)> {
        read(&self.db, USUAL_TERMS).await.map(|(v, n, _)| (v, n))
    }

    /// Replaces the usual ranges if `expected_version` is current.
    pub async fn set_usual_terms(
        &self,
        actor: &Actor,
        terms: UsualTerms,
        expected_version: i64,
    ) -> Result<(UsualTerms, i64)> {
        self.set(actor, USUAL_TERMS, terms, expected_version).await
    }

    async fn set<T: Serialize + DeserializeOwned + Default>(
        &self,
        actor: &Actor,
        key: &'static str,
        value: T,
        expected_version: i64,
    ) -> Result<(T, i64)> {
        let txn = self.write().await?;
        let (before, current, stored) = read::<T>(&txn, key).await?;
        let conflict = || StoreError::VersionConflict {
            entity: "setting",
            key: key.into(),
            expected: expected_version,
            current,
        };
        if current != expected_version {
            return Err(conflict());
        }
        let next = Stored {
            version: current + 1,
            value,
        };
        let text = corrupt(serde_json::to_string(&next))?;
        match stored {
            None => {
                setting::Entity::insert(setting::ActiveModel {
                    key: Set(key.into()),
                    value: Set(text),
                })
                .exec(&txn)
                .await?;
            }
            // Written only over the text read: a concurrent writer makes this touch nothing.
            Some(old) => {
                let written = setting::Entity::update_many()
                    .col_expr(setting::Column::Value, Expr::value(text))
                    .filter(setting::Column::Key.eq(key))
                    .filter(setting::Column::Value.eq(old))
                    .exec(&txn)
                    .await?;
                if written.rows_affected != 1 {
                    return Err(conflict());
                }
            }
        }
        let change = Change {
            entity: "setting",
            key,
            action: "update",
            park_id: None,
            reason: None,
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&next.value).ok(),
        };
        audit::record(&txn, actor, actor.now, change).await?;
        audit::commit(txn).await?;
        Ok((next.value, next.version))
    }
}

/// The value, its version, and the stored text (none before the first change).
async fn read<T: DeserializeOwned + Default>(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<(T, i64, Option<String>)> {
    match setting::Entity::find_by_id(key).one(db).await? {
        Some(r) => {
            let stored: Stored<T> = corrupt(serde_json::from_str(&r.value))?;
            Ok((stored.value, stored.version, Some(r.value)))
        }
        None => Ok((T::default(), 0, None)),
    }
}
