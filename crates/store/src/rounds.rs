//! Matchmaking rounds as kept: who takes part and who is invited.

use crate::audit::{self, Change};
use crate::entities::round;
use crate::error::{Result, corrupt};
use crate::{Actor, Store};
use chrono::{DateTime, NaiveDate, Utc};
use pledge_domain::{BankCode, ParkCode, RoundKind, Text, Uscc};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    EntityTrait, QueryOrder,
};
use serde::Serialize;

/// A round to keep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewRound {
    pub name: Text,
    pub kind: RoundKind,
    pub held_on: NaiveDate,
    pub banks: Vec<BankCode>,
    pub products: Vec<i64>,
    pub parks: Vec<ParkCode>,
    pub enterprises: Vec<Uscc>,
}

/// A round as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoundRecord {
    pub id: i64,
    #[serde(flatten)]
    pub round: NewRound,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

fn record(r: round::Model) -> Result<RoundRecord> {
    Ok(RoundRecord {
        id: r.id,
        round: NewRound {
            name: corrupt(Text::parse(&r.name, 1, 200))?,
            kind: corrupt(RoundKind::parse(&r.kind))?,
            held_on: r.held_on,
            banks: corrupt(serde_json::from_value(r.banks))?,
            products: corrupt(serde_json::from_value(r.products))?,
            parks: corrupt(serde_json::from_value(r.parks))?,
            enterprises: corrupt(serde_json::from_value(r.enterprises))?,
        },
        created_by: r.created_by,
        created_at: r.created_at,
    })
}

impl Store {
    /// Keeps a round, with its audit record.
    pub async fn create_round(&self, actor: &Actor, r: NewRound) -> Result<RoundRecord> {
        let txn = self.write().await?;
        let row = round::Entity::insert(round::ActiveModel {
            id: NotSet,
            name: Set(r.name.to_string()),
            kind: Set(r.kind.as_str().into()),
            held_on: Set(r.held_on),
            banks: Set(corrupt(serde_json::to_value(&r.banks))?),
            products: Set(corrupt(serde_json::to_value(&r.products))?),
            parks: Set(corrupt(serde_json::to_value(&r.parks))?),
            enterprises: Set(corrupt(serde_json::to_value(&r.enterprises))?),
            created_by: Set(actor.label.clone()),
            created_at: Set(actor.now),
        })
        .exec_with_returning(&txn)
        .await?;
        let rec = record(row)?;
        audit::record(
            &txn,
            actor,
            actor.now,
            Change {
                entity: "round",
                key: &rec.id.to_string(),
                action: "create",
                park_id: None,
                before: None,
                after: serde_json::to_value(&rec).ok(),
                reason: None,
            },
        )
        .await?;
        audit::commit(txn).await?;
        Ok(rec)
    }

    /// One round.
    pub async fn round(&self, id: i64) -> Result<Option<RoundRecord>> {
        round::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .map(record)
            .transpose()
    }

    /// Every round, latest day first.
    pub async fn rounds(&self) -> Result<Vec<RoundRecord>> {
        round::Entity::find()
            .order_by_desc(round::Column::HeldOn)
            .order_by_desc(round::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(record)
            .collect()
    }
}
