//! What lapses soon: patents in force whose annual fee is paid only until a day in a window,
//! and patents whose latest appraisal ends in it (a park official's reminders).

use crate::Store;
use crate::entities::{appraisal, enterprise, park, patent};
use crate::error::Result;
use chrono::NaiveDate;
use pledge_domain::{LegalStatus, ParkCode};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::{HashMap, HashSet};

/// What lapses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lapse {
    /// The annual fee is paid until the day.
    AnnualFee,
    /// The latest appraisal is valid until the day.
    Appraisal,
}

/// A patent with something lapsing on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lapsing {
    pub uscc: String,
    pub enterprise: String,
    pub number: String,
    pub title: String,
    pub lapse: Lapse,
    pub on: NaiveDate,
}

impl Store {
    /// Patents (of `park`, or all) with a fee or latest appraisal ending from `from` to
    /// `until`, soonest first, at most `limit`.
    pub async fn lapsing(
        &self,
        park: Option<&ParkCode>,
        from: NaiveDate,
        until: NaiveDate,
        limit: u64,
    ) -> Result<Vec<Lapsing>> {
        let of_park = match park {
            None => None,
            Some(code) => {
                let Some(p) = park::Entity::find()
                    .filter(park::Column::Code.eq(code.as_str()))
                    .one(&self.db)
                    .await?
                else {
                    return Ok(Vec::new());
                };
                Some(
                    Query::select()
                        .column(enterprise::Column::Id)
                        .from(enterprise::Entity)
                        .and_where(Expr::col(enterprise::Column::ParkId).eq(p.id))
                        .to_owned(),
                )
            }
        };
        let in_park = |q: sea_orm::Select<patent::Entity>| match &of_park {
            Some(sub) => q.filter(Expr::col(patent::Column::EnterpriseId).in_subquery(sub.clone())),
            None => q,
        };
        let fees = in_park(patent::Entity::find())
            .filter(patent::Column::LegalStatus.eq(LegalStatus::InForce.as_str()))
            .filter(patent::Column::AnnualFeePaidUntil.between(from, until))
            .order_by_asc(patent::Column::AnnualFeePaidUntil)
            .limit(limit)
            .all(&self.db)
            .await?;
        let mut out: Vec<(i64, Lapse, NaiveDate)> = fees
            .iter()
            .filter_map(|p| Some((p.id, Lapse::AnnualFee, p.annual_fee_paid_until?)))
            .collect();
        // Appraisals ending in the window, of the park's patents in force, unless a later one
        // of the same patent outlasts the window.
        let mut ending = appraisal::Entity::find()
            .filter(appraisal::Column::ValidUntil.between(from, until))
            .filter(appraisal::Column::PatentId.is_not_null())
            .order_by_asc(appraisal::Column::ValidUntil)
            .limit(limit);
        if let Some(sub) = &of_park {
            let patents_of_park = Query::select()
                .column(patent::Column::Id)
                .from(patent::Entity)
                .and_where(Expr::col(patent::Column::EnterpriseId).in_subquery(sub.clone()))
                .to_owned();
            ending =
                ending.filter(Expr::col(appraisal::Column::PatentId).in_subquery(patents_of_park));
        }
        let ending = ending.all(&self.db).await?;
        let ids: Vec<i64> = ending.iter().filter_map(|a| a.patent_id).collect();
        let renewed: HashSet<i64> = appraisal::Entity::find()
            .filter(appraisal::Column::PatentId.is_in(ids.clone()))
            .filter(appraisal::Column::ValidUntil.gt(until))
            .all(&self.db)
            .await?
            .into_iter()
            .filter_map(|a| a.patent_id)
            .collect();
        out.extend(
            ending
                .iter()
                .filter_map(|a| Some((a.patent_id?, a.valid_until)))
                .filter(|(id, _)| !renewed.contains(id))
                .map(|(id, on)| (id, Lapse::Appraisal, on)),
        );
        out.sort_by_key(|(id, lapse, on)| (*on, *id, *lapse as u8));
        out.dedup();
        out.truncate(limit as usize);
        let ids: Vec<i64> = out.iter().map(|(id, _, _)| *id).collect();
        let patents: HashMap<i64, patent::Model> = patent::Entity::find()
            .filter(patent::Column::Id.is_in(ids))
            .filter(patent::Column::LegalStatus.eq(LegalStatus::InForce.as_str()))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let owners: HashMap<i64, enterprise::Model> = enterprise::Entity::find()
            .filter(enterprise::Column::Id.is_in(patents.values().map(|p| p.enterprise_id)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
        Ok(out
            .into_iter()
            .filter_map(|(id, lapse, on)| {
                let p = patents.get(&id)?;
                let e = owners.get(&p.enterprise_id)?;
                Some(Lapsing {
                    uscc: e.uscc.clone(),
                    enterprise: e.name.clone(),
                    number: p.application_number.clone(),
                    title: p.title.clone(),
                    lapse,
                    on,
                })
            })
            .collect())
    }
}
