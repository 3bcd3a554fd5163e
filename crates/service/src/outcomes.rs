//! Outcomes (对接结果): a bank reports what came of a contact with a listed enterprise for one
//! of its products, step by step. A bank reads and changes its own only; a park official reads
//! its enterprises'; the office reads all.

use crate::error::{FieldError, Result, ServiceError};
use crate::policy::not_published;
use crate::{Context, Service};
use chrono::{Days, NaiveDate};
use pledge_domain::{
    BasisPoints, DeclineReason, DomainError, Money, NiceClass, OutcomeStage,
    PatentApplicationNumber, Step, Text, TrademarkKey, TrademarkRegistrationNumber, Uscc,
    Violation, Violations, code,
};
use pledge_store::{NewOutcome, OutcomeFilter, OutcomeRecord, Page};

/// The most rows one outcome sheet may carry.
pub const MAX_OUTCOME_ROWS: usize = 2_000;

/// How far back a contact may be dated when it is reported: five years.
const CONTACT_DAYS_BACK: u64 = 5 * 366;

/// The next step of an outcome as a caller asks for it (a page's form with 万元 and % turned
/// into 分 and basis points, the API's body): `step` says which, and which other fields it
/// carries. Read by [`StepAsk::step`].
#[derive(Debug, Clone)]
pub struct StepAsk {
    pub step: String,
    pub on: NaiveDate,
    pub amount_fen: Option<i64>,
    pub term_months: Option<i64>,
    pub rate_bp: Option<i64>,
    pub registration_number: Option<String>,
    /// Application numbers as typed.
    pub patents: Vec<String>,
    /// (registration number, Nice class) as typed.
    pub trademarks: Vec<(String, i64)>,
    pub reason_code: Option<String>,
}

impl StepAsk {
    /// The domain's step: what it needs is required, what it does not take is refused.
    pub fn step(&self) -> Result<Step> {
        let mut c = Violations::default();
        let stage = c.field("step", OutcomeStage::parse(&self.step));
        let Some(stage) = stage else {
            return Err(ServiceError::invalid(c.finish().err().unwrap_or_default()));
        };
        use OutcomeStage as S;
        let takes = |field: &str| match field {
            "amount_fen" => matches!(stage, S::Approved | S::Disbursed),
            "term_months" | "rate_bp" => stage == S::Approved,
            "registration_number" | "patents" | "trademarks" => stage == S::PledgeRegistered,
            "reason_code" => stage == S::Declined,
            _ => false,
        };
        let given = [
            ("amount_fen", self.amount_fen.is_some()),
            ("term_months", self.term_months.is_some()),
            ("rate_bp", self.rate_bp.is_some()),
            ("registration_number", self.registration_number.is_some()),
            ("patents", !self.patents.is_empty()),
            ("trademarks", !self.trademarks.is_empty()),
            ("reason_code", self.reason_code.is_some()),
        ];
        for (field, present) in given {
            if present && !takes(field) {
                c.push(field, DomainError::NotAllowed { field });
            }
        }
        let required = |c: &mut Violations, field: &'static str, v: Option<i64>| {
            if v.is_none() {
                c.push(field, DomainError::Required { field });
            }
            v
        };
        let on = self.on;
        let step = match stage {
            S::Contacted => {
                c.push(
                    "step",
                    DomainError::UnknownValue {
                        value: "contacted".into(),
                        allowed: "a step after the contact".into(),
                    },
                );
                None
            }
            S::Applied => Some(Step::Applied { on }),
            S::Repaid => Some(Step::Repaid { on }),
            S::Defaulted => Some(Step::Defaulted { on }),
            S::Approved => {
                let amount = required(&mut c, "amount_fen", self.amount_fen)
                    .and_then(|a| c.field("amount_fen", Money::from_fen(a)));
                let term = required(&mut c, "term_months", self.term_months);
                let rate = required(&mut c, "rate_bp", self.rate_bp)
                    .and_then(|r| c.field("rate_bp", BasisPoints::new(r)));
                match (amount, term, rate) {
                    (Some(amount_fen), Some(term), Some(rate_bp)) => Some(Step::Approved {
                        on,
                        amount_fen,
                        term_months: u16::try_from(term).unwrap_or(u16::MAX),
                        rate_bp,
                    }),
                    _ => None,
                }
            }
            S::Disbursed => required(&mut c, "amount_fen", self.amount_fen)
                .and_then(|a| c.field("amount_fen", Money::from_fen(a)))
                .map(|amount_fen| Step::Disbursed { on, amount_fen }),
            S::PledgeRegistered => {
                let number = match &self.registration_number {
                    None => {
                        c.push(
                            "registration_number",
                            DomainError::Required {
                                field: "registration_number",
                            },
                        );
                        None
                    }
                    Some(n) => c.field("registration_number", Text::parse(n, 1, 64)),
                };
                let mut patents = Vec::new();
                for (i, p) in self.patents.iter().enumerate() {
                    patents.extend(
                        c.field(&format!("patents[{i}]"), PatentApplicationNumber::parse(p)),
                    );
                }
                let mut trademarks = Vec::new();
                for (i, (number, class)) in self.trademarks.iter().enumerate() {
                    let n = c.field(
                        &format!("trademarks[{i}].registration_number"),
                        TrademarkRegistrationNumber::parse(number),
                    );
                    let k = c.field(
                        &format!("trademarks[{i}].nice_class"),
                        NiceClass::new(*class),
                    );
                    if let (Some(registration_number), Some(nice_class)) = (n, k) {
                        trademarks.push(TrademarkKey {
                            registration_number,
                            nice_class,
                        });
                    }
                }
                number.map(|registration_number| Step::PledgeRegistered {
                    on,
                    registration_number,
                    patents,
                    trademarks,
                })
            }
            S::Declined => match &self.reason_code {
                None => {
                    c.push(
                        "reason_code",
                        DomainError::Required {
                            field: "reason_code",
                        },
                    );
                    None
                }
                Some(r) => c
                    .field("reason_code", DeclineReason::parse(r))
                    .map(|reason_code| Step::Declined { on, reason_code }),
            },
        };
        c.finish().map_err(ServiceError::invalid)?;
        // Every way to no step recorded why.
        step.ok_or_else(|| ServiceError::invalid(Vec::new()))
    }
}

fn unseen(id: i64) -> ServiceError {
    ServiceError::not_found(format!("没有对接结果{id} / no outcome {id}"))
}

/// What people call an outcome's enterprise and product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeNames {
    /// The enterprise's name (its USCC when the index does not know it).
    pub enterprise: String,
    /// The product's name (`#id` when the index does not know it).
    pub product: String,
}

impl Service {
    /// The names of an outcome's enterprise and product, as the live index knows them: for an
    /// outcome the caller has read.
    pub fn outcome_names(&self, o: &OutcomeRecord) -> OutcomeNames {
        let live = self.live.read();
        OutcomeNames {
            enterprise: live
                .name(&o.uscc)
                .map_or_else(|| o.uscc.to_string(), str::to_owned),
            product: live.products.get(&o.product_id).map_or_else(
                || format!("#{}", o.product_id),
                |p| p.rules.name.to_string(),
            ),
        }
    }
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
