//! Outcomes (对接结果): a bank reports what came of a contact with a listed enterprise for one
//! of its products, step by step. A bank reads and changes its own only; a park official reads
//! its enterprises'; the office reads all.

use crate::error::{FieldError, Result, ServiceError};
use crate::policy::not_published;
use crate::{Context, Service};
use chrono::{Days, NaiveDate};
use pledge_domain::{Step, Uscc, Violation, code};
use pledge_store::{NewOutcome, OutcomeFilter, OutcomeRecord, Page};

/// The most rows one outcome sheet may carry.
pub const MAX_OUTCOME_ROWS: usize = 2_000;

/// How far back a contact may be dated when it is reported: five years.
const CONTACT_DAYS_BACK: u64 = 5 * 366;

fn unseen(id: i64) -> ServiceError {
    ServiceError::not_found(format!("没有对接结果{id} / no outcome {id}"))
}

impl Service {
    /// Opens an outcome: the bank contacted a listed enterprise for one of its own products
    /// (another bank's product is unknown to it), on a day not after today, maybe within a
    /// round the bank takes part in.
    pub async fn open_outcome(
        &self,
        cx: &Context,
        product_id: i64,
        uscc: Uscc,
        round_id: Option<i64>,
        contacted_on: NaiveDate,
    ) -> Result<OutcomeRecord> {
        let bank = cx.reporting_bank()?;
        let new = NewOutcome {
            product_id,
            bank,
            uscc,
            round_id,
            contacted_on,
        };
        self.check_opening(cx, &new).await?;
        self.written(self.store.open_outcome(&cx.actor, new)).await
    }

    /// Whether the caller's bank may open `new`: its own product, a listed enterprise, a day
    /// not after today nor years back, a round it takes part in.
    async fn check_opening(&self, cx: &Context, new: &NewOutcome) -> Result<()> {
        let NewOutcome {
            product_id,
            bank,
            uscc,
            round_id,
            contacted_on,
        } = new;
        let (product_id, contacted_on, round_id) = (*product_id, *contacted_on, *round_id);
        let owned = self
            .live
            .read()
            .products
            .get(&product_id)
            .is_some_and(|p| p.bank == *bank);
        if !owned {
            return Err(ServiceError::not_found(format!(
                "没有产品{product_id} / no product {product_id}"
            )));
        }
        if !self.listed(uscc) {
            return Err(not_published());
        }
        let mut wrong: Vec<FieldError> = Vec::new();
        let today = cx.today();
        wrong.extend(
            Violation::if_future("contacted_on", Some(contacted_on), today).map(Into::into),
        );
        wrong.extend(
            Violation::if_before(
                "contacted_on",
                Some(contacted_on),
                today - Days::new(CONTACT_DAYS_BACK),
                today,
            )
            .map(Into::into),
        );
        if let Some(id) = round_id {
            let takes_part = self
                .store
                .round(id)
                .await?
                .is_some_and(|r| r.round.banks.contains(bank));
            if !takes_part {
                wrong.push(FieldError {
                    field: "round_id".into(),
                    code: code::UNKNOWN_VALUE.into(),
                    message: format!(
                        "本行未参加对接活动{id} / your bank takes no part in a round {id}"
                    ),
                });
            }
        }
        if !wrong.is_empty() {
            return Err(ServiceError::Invalid(wrong));
        }
        Ok(())
    }

    /// Records the rows of the bank's own outcome sheet (at most 2,000): each row, the contact
    /// and every step it reached, in one transaction, or refused with why; rows stand alone.
    pub async fn import_outcomes(
        &self,
        cx: &Context,
        file_name: String,
        bytes: Vec<u8>,
    ) -> Result<Vec<(u32, Result<OutcomeRecord>)>> {
        let bank = cx.reporting_bank()?;
        let rows = self
            .outcome_rows(file_name, bytes, MAX_OUTCOME_ROWS)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for (number, row) in rows {
            let result = match row {
                Err(problems) => Err(ServiceError::Invalid(
                    problems
                        .into_iter()
                        .map(|p| FieldError {
                            field: p.column.into(),
                            code: p.code.into(),
                            message: if p.value.is_empty() {
                                p.message
                            } else {
                                format!("{}（{}）", p.message, p.value)
                            },
                        })
                        .collect(),
                )),
                Ok(r) => {
                    let new = NewOutcome {
                        product_id: r.product_id,
                        bank: bank.clone(),
                        uscc: r.uscc,
                        round_id: r.round_id,
                        contacted_on: r.contacted_on,
                    };
                    match self.check_opening(cx, &new).await {
                        Err(e) => Err(e),
                        Ok(()) => self
                            .store
                            .record_outcome(&cx.actor, new, r.steps)
                            .await
                            .map_err(ServiceError::from),
                    }
                }
            };
            out.push((number, result));
        }
        self.committed().await;
        Ok(out)
    }

    /// Takes the next step of the bank's own outcome read at `version`; another bank's is 404.
    pub async fn take_outcome_step(
        &self,
        cx: &Context,
        id: i64,
        version: i64,
        step: Step,
    ) -> Result<OutcomeRecord> {
        let bank = cx.reporting_bank()?;
        self.written(
            self.store
                .take_outcome_step(&cx.actor, id, Some(&bank), version, step),
        )
        .await
    }

    /// One outcome the caller may read (any other is 404).
    pub async fn outcome(&self, cx: &Context, id: i64) -> Result<OutcomeRecord> {
        let rec = self.store.outcome(id).await?.ok_or_else(|| unseen(id))?;
        let scope = cx.outcome_scope(OutcomeFilter::default())?;
        let seen = scope.bank.as_ref().is_none_or(|b| *b == rec.bank)
            && scope.park.as_ref().is_none_or(|p| *p == rec.park);
        if seen { Ok(rec) } else { Err(unseen(id)) }
    }

    /// A page of the outcomes the caller may read, in id order, after `after`.
    pub async fn outcomes(
        &self,
        cx: &Context,
        filter: OutcomeFilter,
        after: Option<i64>,
        limit: u64,
    ) -> Result<Page<OutcomeRecord>> {
        let filter = cx.outcome_scope(filter)?;
        let mut items = self
            .store
            .outcomes_after(&filter, after, Some(limit + 1))
            .await?;
        let next = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|o| o.id)
        } else {
            None
        };
        Ok(Page { items, next })
    }
}
