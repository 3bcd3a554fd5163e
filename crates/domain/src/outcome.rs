//! What came of a match (对接结果): the chain a bank reports back for one enterprise and one of
//! its products, 对接 → 申请 → 审批 → 放款 / 质押登记 → 还款 or 违约, or 未通过 with a reason.
//! The rules here decide which step may follow which and what each step must carry; whether
//! the IP named in a pledge is the enterprise's and free is the store's to check.

use crate::{
    BasisPoints, DomainError, Money, NiceClass, PatentApplicationNumber, Text,
    TrademarkRegistrationNumber, Violation,
};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

named_enum!(
    /// Where an outcome stands: its latest step.
    OutcomeStage {
        /// 已对接: the bank contacted the enterprise.
        Contacted = "contacted" / "已对接",
        /// 已申请: the enterprise applied.
        Applied = "applied" / "已申请",
        /// 已审批: the bank approved an amount, term and rate.
        Approved = "approved" / "已审批",
        /// 已放款: the loan was paid out.
        Disbursed = "disbursed" / "已放款",
        /// 已质押登记: the pledge was registered with CNIPA.
        PledgeRegistered = "pledge_registered" / "已质押登记",
        /// 已还款: repaid in full.
        Repaid = "repaid" / "已还款",
        /// 已违约: in default.
        Defaulted = "defaulted" / "已违约",
        /// 未通过: declined, by the bank or the enterprise.
        Declined = "declined" / "未通过",
    }
);

named_enum!(
    /// Why nothing came of a contact (未通过原因).
    DeclineReason {
        /// 企业暂无融资需求.
        NoNeed = "no_need" / "暂无融资需求",
        /// 企业放弃申请.
        EnterpriseWithdrew = "enterprise_withdrew" / "企业放弃",
        /// 质押物价值不足.
        InsufficientCollateral = "insufficient_collateral" / "质押物价值不足",
        /// 评估未通过.
        Appraisal = "appraisal" / "评估未通过",
        /// 征信或失信记录.
        CreditRecord = "credit_record" / "征信问题",
        /// 经营或财务状况不符.
        Financials = "financials" / "经营财务不符",
        /// 其他原因.
        Other = "other" / "其他",
    }
);

/// The longest loan term accepted, in months (30 years).
pub const MAX_TERM_MONTHS: u16 = 360;
/// The most IP items one pledge registration may name.
pub const MAX_PLEDGED_ITEMS: usize = 100;

/// A trademark as a pledge names it: registration number and Nice class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TrademarkKey {
    pub registration_number: TrademarkRegistrationNumber,
    pub nice_class: NiceClass,
}

/// One step after the contact, with what it carries. Every step is dated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// 申请.
    Applied { on: NaiveDate },
    /// 审批: the amount, term and rate approved.
    Approved {
        on: NaiveDate,
        amount_fen: Money,
        term_months: u16,
        rate_bp: BasisPoints,
    },
    /// 放款: the amount paid out.
    Disbursed { on: NaiveDate, amount_fen: Money },
    /// 质押登记: CNIPA's registration and the IP it pledges.
    PledgeRegistered {
        on: NaiveDate,
        registration_number: Text,
        patents: Vec<PatentApplicationNumber>,
        trademarks: Vec<TrademarkKey>,
    },
    /// 还款: repaid in full.
    Repaid { on: NaiveDate },
    /// 违约.
    Defaulted { on: NaiveDate },
    /// 未通过, with the reason.
    Declined {
        on: NaiveDate,
        reason_code: DeclineReason,
    },
}

impl Step {
    /// The stage this step reaches.
    pub fn stage(&self) -> OutcomeStage {
        match self {
            Self::Applied { .. } => OutcomeStage::Applied,
            Self::Approved { .. } => OutcomeStage::Approved,
            Self::Disbursed { .. } => OutcomeStage::Disbursed,
            Self::PledgeRegistered { .. } => OutcomeStage::PledgeRegistered,
            Self::Repaid { .. } => OutcomeStage::Repaid,
            Self::Defaulted { .. } => OutcomeStage::Defaulted,
            Self::Declined { .. } => OutcomeStage::Declined,
        }
    }

    /// The day of the step.
    pub fn on(&self) -> NaiveDate {
        match self {
            Self::Applied { on }
            | Self::Approved { on, .. }
            | Self::Disbursed { on, .. }
            | Self::PledgeRegistered { on, .. }
            | Self::Repaid { on }
            | Self::Defaulted { on }
            | Self::Declined { on, .. } => *on,
        }
    }
}

/// Why a step may not follow: the outcome's stage does not allow it (a conflict), or the
/// step's own fields are wrong (each named).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepRefused {
    /// The step cannot follow where the outcome stands; `allowed` are the steps that can.
    OutOfOrder {
        stage: OutcomeStage,
        step: OutcomeStage,
        allowed: Vec<OutcomeStage>,
    },
    /// Fields of the step are invalid.
    Invalid(Vec<Violation>),
}

/// The chain of one contact: the day of the contact and every step since, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub contacted_on: NaiveDate,
    pub steps: Vec<Step>,
}

impl Outcome {
    /// A contact on `contacted_on`, with no step yet.
    pub fn contacted(contacted_on: NaiveDate) -> Self {
        Self {
            contacted_on,
            steps: Vec::new(),
        }
    }

    /// Where the outcome stands.
    pub fn stage(&self) -> OutcomeStage {
        self.steps
            .last()
            .map_or(OutcomeStage::Contacted, Step::stage)
    }

    /// Whether nothing may follow (repaid, defaulted or declined).
    pub fn is_closed(&self) -> bool {
        matches!(
            self.stage(),
            OutcomeStage::Repaid | OutcomeStage::Defaulted | OutcomeStage::Declined
        )
    }

    fn has(&self, stage: OutcomeStage) -> bool {
        self.steps.iter().any(|s| s.stage() == stage)
    }

    /// The day of the latest event.
    pub fn last_on(&self) -> NaiveDate {
        self.steps.last().map_or(self.contacted_on, Step::on)
    }

    /// The step of a stage, if it was taken.
    pub fn step(&self, stage: OutcomeStage) -> Option<&Step> {
        self.steps.iter().find(|s| s.stage() == stage)
    }

    /// The amount approved, once approved.
    pub fn approved_amount(&self) -> Option<Money> {
        self.steps.iter().find_map(|s| match s {
            Step::Approved { amount_fen, .. } => Some(*amount_fen),
            _ => None,
        })
    }

    /// The amount paid out and its day, once disbursed.
    pub fn disbursed(&self) -> Option<(NaiveDate, Money)> {
        self.steps.iter().find_map(|s| match s {
            Step::Disbursed { on, amount_fen } => Some((*on, *amount_fen)),
            _ => None,
        })
    }

    /// The steps that may follow now. Pledge registration and disbursement follow an approval
    /// in either order (a bank often registers the pledge before it pays out); repayment and
    /// default need the money out; a decline ends anything not yet paid out or pledged.
    pub fn allowed(&self) -> Vec<OutcomeStage> {
        use OutcomeStage as S;
        if self.is_closed() {
            return Vec::new();
        }
        let mut out = Vec::new();
        if self.steps.is_empty() {
            out.push(S::Applied);
        }
        if self.has(S::Applied) && !self.has(S::Approved) {
            out.push(S::Approved);
        }
        if self.has(S::Approved) {
            if !self.has(S::Disbursed) {
                out.push(S::Disbursed);
            }
            if !self.has(S::PledgeRegistered) {
                out.push(S::PledgeRegistered);
            }
        }
        if self.has(S::Disbursed) {
            out.extend([S::Repaid, S::Defaulted]);
        }
        if !self.has(S::Disbursed) && !self.has(S::PledgeRegistered) {
            out.push(S::Declined);
        }
        out
    }

    /// Checks that `step` may follow on `today`: in order, dated neither before the latest
    /// event nor after today, and carrying valid figures (a disbursement no larger than the
    /// approval).
    pub fn check(&self, step: &Step, today: NaiveDate) -> Result<(), StepRefused> {
        let allowed = self.allowed();
        if !allowed.contains(&step.stage()) {
            return Err(StepRefused::OutOfOrder {
                stage: self.stage(),
                step: step.stage(),
                allowed,
            });
        }
        let mut wrong = Vec::new();
        let on = step.on();
        wrong.extend(Violation::if_future("on", Some(on), today));
        if on < self.last_on() {
            wrong.push(Violation::new(
                "on",
                DomainError::DateOrder {
                    earlier: "上一步骤 / the previous step",
                    later: "on",
                },
            ));
        }
        match step {
            Step::Approved {
                amount_fen,
                term_months,
                rate_bp,
                ..
            } => {
                if *amount_fen == Money::ZERO {
                    wrong.push(Violation::new("amount_fen", DomainError::MoneyRange));
                }
                if !(1..=MAX_TERM_MONTHS).contains(term_months) {
                    wrong.push(Violation::new(
                        "term_months",
                        DomainError::OutOfRange {
                            min: 1,
                            max: MAX_TERM_MONTHS.into(),
                        },
                    ));
                }
                if rate_bp.get() == 0 {
                    wrong.push(Violation::new("rate_bp", DomainError::BasisPointsRange));
                }
            }
            Step::Disbursed { amount_fen, .. } => {
                if *amount_fen == Money::ZERO {
                    wrong.push(Violation::new("amount_fen", DomainError::MoneyRange));
                }
                if let Some(approved) = self.approved_amount()
                    && *amount_fen > approved
                {
                    wrong.push(Violation::new(
                        "amount_fen",
                        DomainError::AboveApproved { approved },
                    ));
                }
            }
            Step::PledgeRegistered {
                patents,
                trademarks,
                ..
            } => {
                if patents.is_empty() && trademarks.is_empty() {
                    wrong.push(Violation::new(
                        "patents",
                        DomainError::Required { field: "patents" },
                    ));
                }
                if patents.len() + trademarks.len() > MAX_PLEDGED_ITEMS {
                    wrong.push(Violation::new(
                        "patents",
                        DomainError::TooMany {
                            max: MAX_PLEDGED_ITEMS,
                        },
                    ));
                }
                for (i, p) in patents.iter().enumerate() {
                    if patents[..i].contains(p) {
                        wrong.push(Violation::new(
                            format!("patents[{i}]"),
                            DomainError::Repeated,
                        ));
                    }
                }
                for (i, t) in trademarks.iter().enumerate() {
                    if trademarks[..i].contains(t) {
                        wrong.push(Violation::new(
                            format!("trademarks[{i}]"),
                            DomainError::Repeated,
                        ));
                    }
                }
            }
            Step::Applied { .. }
            | Step::Repaid { .. }
            | Step::Defaulted { .. }
            | Step::Declined { .. } => {}
        }
        if wrong.is_empty() {
            Ok(())
        } else {
            Err(StepRefused::Invalid(wrong))
        }
    }

    /// Takes `step` after [`check`](Self::check).
    pub fn take(&mut self, step: Step, today: NaiveDate) -> Result<(), StepRefused> {
        self.check(&step, today)?;
        self.steps.push(step);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("valid")
    }

    fn wan(n: i64) -> Money {
        Money::from_fen(n * 1_000_000).expect("valid")
    }

    fn approved(on: &str, amount: Money) -> Step {
        Step::Approved {
            on: d(on),
            amount_fen: amount,
            term_months: 12,
            rate_bp: BasisPoints::new(380).expect("valid"),
        }
    }

    fn through_approval() -> Outcome {
        let mut o = Outcome::contacted(d("2026-03-01"));
        let today = d("2026-12-01");
        o.take(
            Step::Applied {
                on: d("2026-03-05"),
            },
            today,
        )
        .expect("valid");
        o.take(approved("2026-04-01", wan(500)), today)
            .expect("valid");
        o
    }

    #[test]
    fn a_full_chain_is_taken_in_order() {
        let today = d("2026-12-01");
        let mut o = through_approval();
        o.take(
            Step::PledgeRegistered {
                on: d("2026-04-10"),
                registration_number: Text::parse("Y2026980001234", 1, 64).expect("valid"),
                patents: vec![PatentApplicationNumber::parse("202310000001.5").expect("valid")],
                trademarks: vec![],
            },
            today,
        )
        .expect("valid");
        o.take(
            Step::Disbursed {
                on: d("2026-04-12"),
                amount_fen: wan(500),
            },
            today,
        )
        .expect("valid");
        assert_eq!(o.stage(), OutcomeStage::Disbursed);
        o.take(
            Step::Repaid {
                on: d("2026-11-30"),
            },
            today,
        )
        .expect("valid");
        assert!(o.is_closed() && o.allowed().is_empty());
        assert_eq!(o.disbursed(), Some((d("2026-04-12"), wan(500))));
    }

    #[test]
    fn a_disbursement_above_the_approval_is_refused_on_its_amount() {
        let o = through_approval();
        let refused = o
            .check(
                &Step::Disbursed {
                    on: d("2026-04-12"),
                    amount_fen: Money::from_fen(wan(500).fen() + 1).expect("valid"),
                },
                d("2026-12-01"),
            )
            .expect_err("refused");
        let StepRefused::Invalid(v) = refused else {
            panic!("{refused:?}")
        };
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].field, "amount_fen");
        assert_eq!(v[0].error.code(), crate::code::ABOVE_APPROVED);
    }

    #[test]
    fn steps_out_of_order_say_what_may_follow() {
        let o = Outcome::contacted(d("2026-03-01"));
        let refused = o
            .check(
                &Step::Disbursed {
                    on: d("2026-03-02"),
                    amount_fen: wan(1),
                },
                d("2026-12-01"),
            )
            .expect_err("refused");
        assert_eq!(
            refused,
            StepRefused::OutOfOrder {
                stage: OutcomeStage::Contacted,
                step: OutcomeStage::Disbursed,
                allowed: vec![OutcomeStage::Applied, OutcomeStage::Declined],
            }
        );
        // Repayment needs the money out; nothing follows a decline.
        let mut o = through_approval();
        assert!(!o.allowed().contains(&OutcomeStage::Repaid));
        o.take(
            Step::Declined {
                on: d("2026-04-02"),
                reason_code: DeclineReason::EnterpriseWithdrew,
            },
            d("2026-12-01"),
        )
        .expect("valid");
        assert!(o.allowed().is_empty());
    }

    #[test]
    fn dates_run_forward_and_stop_at_today() {
        let o = through_approval();
        let today = d("2026-12-01");
        let early = Step::Disbursed {
            on: d("2026-03-31"),
            amount_fen: wan(1),
        };
        let late = Step::Disbursed {
            on: d("2026-12-02"),
            amount_fen: wan(1),
        };
        for (step, code) in [
            (early, crate::code::DATE_ORDER),
            (late, crate::code::DATE_IN_FUTURE),
        ] {
            let StepRefused::Invalid(v) = o.check(&step, today).expect_err("refused") else {
                panic!()
            };
            assert_eq!((v[0].field.as_str(), v[0].error.code()), ("on", code));
        }
    }

    #[test]
    fn a_pledge_names_some_ip_once_each() {
        let o = through_approval();
        let n = PatentApplicationNumber::parse("202310000001.5").expect("valid");
        let step = |patents| Step::PledgeRegistered {
            on: d("2026-04-10"),
            registration_number: Text::parse("Y1", 1, 64).expect("valid"),
            patents,
            trademarks: vec![],
        };
        let codes = |s| match o.check(&s, d("2026-12-01")) {
            Err(StepRefused::Invalid(v)) => v
                .iter()
                .map(|v| (v.field.clone(), v.error.code()))
                .collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            codes(step(vec![])),
            vec![("patents".into(), crate::code::REQUIRED)]
        );
        assert_eq!(
            codes(step(vec![n, n])),
            vec![("patents[1]".into(), crate::code::REPEATED)]
        );
    }
}
