//! Matchmaking rounds (周对接, 政银企对接会): the office keeps them; a bank sees those it takes
//! part in, a park official those that invite their park or one of its enterprises.

use crate::error::{FieldError, Result, ServiceError};
use crate::{Context, Service};
use pledge_domain::code;
use pledge_store::{NewRound, RoundRecord};

/// How far from today a round may be dated, in days (a year back, a year ahead).
const ROUND_DAYS: u64 = 366;

impl Service {
    /// Keeps a round (the office): its banks, products, parks and enterprises exist, its
    /// products belong to its banks (when it names banks), its day lies within a year of
    /// today; every wrong one is named.
    pub async fn create_round(&self, cx: &Context, r: NewRound) -> Result<RoundRecord> {
        cx.require_office()?;
        let mut wrong = Vec::new();
        let mut push = |field: String, code: &str, message: String| {
            wrong.push(FieldError {
                field,
                code: code.into(),
                message,
            })
        };
        let today = cx.today();
        let (earliest, latest) = (
            today - chrono::Days::new(ROUND_DAYS),
            today + chrono::Days::new(ROUND_DAYS),
        );
        if r.held_on < earliest || r.held_on > latest {
            push(
                "held_on".into(),
                code::OUT_OF_RANGE,
                format!(
                    "日期须在{earliest}至{latest}之间 / held_on lies between {earliest} and {latest}"
                ),
            );
        }
        for (i, b) in r.banks.iter().enumerate() {
            if self.store.bank(b).await?.is_none() {
                push(
                    format!("banks[{i}]"),
                    code::UNKNOWN_VALUE,
                    format!("没有银行{b} / no bank {b}"),
                );
            }
        }
        {
            let live = self.live.read();
            for (i, id) in r.products.iter().enumerate() {
                match live.products.get(id) {
                    None => push(
                        format!("products[{i}]"),
                        code::UNKNOWN_VALUE,
                        format!("没有产品{id} / no product {id}"),
                    ),
                    Some(p) if !r.banks.is_empty() && !r.banks.contains(&p.bank) => push(
                        format!("products[{i}]"),
                        code::UNKNOWN_VALUE,
                        format!(
                            "产品{id}属于{}，不在本次活动的银行中 / product {id} is {}'s, not a bank of the round",
                            p.bank, p.bank
                        ),
                    ),
                    Some(_) => {}
                }
            }
        }
        for (i, p) in r.parks.iter().enumerate() {
            if self.store.park(p).await?.is_none() {
                push(
                    format!("parks[{i}]"),
                    code::UNKNOWN_VALUE,
                    format!("没有园区{p} / no park {p}"),
                );
            }
        }
        for (i, u) in r.enterprises.iter().enumerate() {
            if self.store.enterprise(u).await?.is_none() {
                push(
                    format!("enterprises[{i}]"),
                    code::UNKNOWN_VALUE,
                    format!("企业{u}未登记 / enterprise {u} is not registered"),
                );
            }
        }
        if !wrong.is_empty() {
            return Err(ServiceError::Invalid(wrong));
        }
        Ok(self.store.create_round(&cx.actor, r).await?)
    }

    /// The rounds the caller may see, latest first.
    pub async fn rounds(&self, cx: &Context) -> Result<Vec<RoundRecord>> {
        let mut all = self.store.rounds().await?;
        all.retain(|r| self.sees_round(cx, r));
        Ok(all)
    }

    /// One round the caller may see (any other is unknown to them).
    pub async fn round(&self, cx: &Context, id: i64) -> Result<RoundRecord> {
        match self.store.round(id).await? {
            Some(r) if self.sees_round(cx, &r) => Ok(r),
            _ => Err(ServiceError::not_found(format!(
                "没有对接活动{id} / no round {id}"
            ))),
        }
    }

    /// The office sees every round; a bank those it takes part in; a park official those that
    /// invite their park or one of its enterprises.
    fn sees_round(&self, cx: &Context, r: &RoundRecord) -> bool {
        let live = self.live.read();
        cx.sees_round(r, |u, park| {
            live.index.enterprise(u).is_some_and(|(p, _)| p == park)
        })
    }
}
