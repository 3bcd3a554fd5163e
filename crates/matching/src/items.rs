//! Each patent and trademark of an enterprise against one product: in the bundle, left free
//! for other loans, or out, and when out every reason with its figures, so that an
//! explanation says what to fix (`no_pledgeable_ip` alone says only that something is wrong).

use crate::explain::{IpRef, PledgeBundle};
use chrono::NaiveDate;
use pledge_domain::{
    Appraisal, Holding, IpKind, LoanProduct, Patent, Trademark, TrademarkObstacle, whole_months,
};
use serde::Serialize;

/// Where an item stands for the product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Place {
    /// Proposed for this loan.
    InBundle,
    /// Pledgeable for this product, not needed to reach the amount: free for other loans.
    LeftFree,
    /// Not pledgeable for this product, for the reasons given.
    Out,
}

/// Why an item is out: a stable code and a message with its figures (Chinese / English).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemReason {
    pub code: &'static str,
    pub message: String,
}

/// One patent or trademark, judged for one product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IpVerdict {
    pub ip: IpRef,
    /// The patent's title or the mark.
    pub title: String,
    pub kind: IpKind,
    pub place: Place,
    pub reasons: Vec<ItemReason>,
}

fn reason(code: &'static str, message: String) -> ItemReason {
    ItemReason { code, message }
}

/// The appraisal reasons: none at all, or none valid on `as_of`.
fn appraisal_reasons(appraisals: &[Appraisal], valid: bool, out: &mut Vec<ItemReason>) {
    if valid {
        return;
    }
    match appraisals.iter().max_by_key(|a| a.appraised_on) {
        None => out.push(reason(
            "no_appraisal",
            "没有评估，无法测算质押价值 / no appraisal: no pledge value".into(),
        )),
        Some(a) => out.push(reason(
            "appraisal_expired",
            format!(
                "最近一次评估（{}，{}）已于{}失效 / the latest appraisal ({}) lapsed on {}",
                a.appraised_on, a.amount, a.valid_until, a.appraised_on, a.valid_until
            ),
        )),
    }
}

/// What the product itself refuses of an item of `kind`: a kind it does not take, IP pledged
/// before when it wants none.
fn product_reasons(p: &LoanProduct, kind: IpKind, ever_pledged: bool, out: &mut Vec<ItemReason>) {
    if p.pledge_rates.of(kind).is_none() {
        out.push(reason(
            "kind_not_accepted",
            format!(
                "本产品不接受{}质押 / the product does not take {}",
                kind.label_zh(),
                kind.as_str()
            ),
        ));
    }
    if p.no_prior_pledge && ever_pledged {
        out.push(reason(
            "pledged_before",
            "曾经质押过，本产品只接受从未质押的知识产权 / pledged before: the product takes only IP never pledged".into(),
        ));
    }
}

fn patent_verdict(
    h: &Holding,
    x: &Patent,
    p: &LoanProduct,
    as_of: NaiveDate,
    loan_end: NaiveDate,
) -> (Vec<ItemReason>, IpKind) {
    let kind = IpKind::of_patent(x.kind());
    let mut out: Vec<ItemReason> = x
        .pledge_obstacles(&h.enterprise.uscc, as_of, loan_end)
        .iter()
        .map(|o| reason(o.code(), o.message()))
        .collect();
    appraisal_reasons(&x.appraisals, x.valid_appraisal(as_of).is_some(), &mut out);
    product_reasons(p, kind, x.ever_pledged(), &mut out);
    let left = whole_months(loan_end, x.expiry());
    if loan_end < x.expiry() && left < u32::from(p.min_remaining_months) {
        out.push(reason(
            "remaining_term_short",
            format!(
                "贷款到期后剩余保护期{left}个月，本产品要求至少{}个月 / {left} months of protection left after the loan, the product needs {}",
                p.min_remaining_months, p.min_remaining_months
            ),
        ));
    }
    (out, kind)
}

fn trademark_verdict(
    h: &Holding,
    t: &Trademark,
    p: &LoanProduct,
    as_of: NaiveDate,
    loan_end: NaiveDate,
) -> Vec<ItemReason> {
    let mut out: Vec<ItemReason> = t
        .pledge_obstacles(&h.enterprise.uscc, as_of, loan_end)
        .into_iter()
        .map(|o| match o {
            TrademarkObstacle::NotRegistrant { registrant } => reason(
                "not_registrant",
                format!("注册人为{registrant}，不是本企业 / registered to {registrant}"),
            ),
            TrademarkObstacle::NotValid { valid_until } => reason(
                "not_valid",
                format!("商标专用权不在有效期内（至{valid_until}） / not in force (to {valid_until})"),
            ),
            TrademarkObstacle::DebtDueAfterValidity {
                loan_end,
                valid_until,
            } => reason(
                "debt_due_after_validity",
                format!(
                    "贷款{loan_end}到期，晚于专用权期限{valid_until} / the loan falls due on {loan_end}, after the registration ends on {valid_until}"
                ),
            ),
            TrademarkObstacle::AlreadyPledged {
                registration_number,
            } => reason(
                "already_pledged",
                format!("已质押且质押有效（{registration_number}） / already pledged ({registration_number})"),
            ),
        })
        .collect();
    appraisal_reasons(&t.appraisals, t.valid_appraisal(as_of).is_some(), &mut out);
    product_reasons(p, IpKind::Trademark, t.pledge.is_some(), &mut out);
    out
}

/// Every patent and trademark `h` holds, judged for product `p` and a loan from `as_of` to
/// `loan_end`, with `bundle` the one the engine chose; `visible` says which items the caller
/// may see (a bank: valid ones only).
pub fn ip_verdicts(
    h: &Holding,
    p: &LoanProduct,
    as_of: NaiveDate,
    loan_end: NaiveDate,
    bundle: &PledgeBundle,
    only_valid: bool,
) -> Vec<IpVerdict> {
    let place = |ip: &IpRef, reasons: &[ItemReason]| {
        if bundle.items.iter().any(|i| &i.ip == ip) {
            Place::InBundle
        } else if reasons.is_empty() {
            Place::LeftFree
        } else {
            Place::Out
        }
    };
    let mut out = Vec::new();
    for x in h
        .patents
        .iter()
        .filter(|x| !only_valid || x.is_valid(as_of))
    {
        let (reasons, kind) = patent_verdict(h, x, p, as_of, loan_end);
        let ip = IpRef::Patent {
            application_number: x.application_number,
        };
        out.push(IpVerdict {
            place: place(&ip, &reasons),
            ip,
            title: x.title.to_string(),
            kind,
            reasons,
        });
    }
    for t in h
        .trademarks
        .iter()
        .filter(|t| !only_valid || t.is_valid(as_of))
    {
        let reasons = trademark_verdict(h, t, p, as_of, loan_end);
        let ip = IpRef::Trademark {
            registration_number: t.registration_number,
            nice_class: t.nice_class,
        };
        out.push(IpVerdict {
            place: place(&ip, &reasons),
            ip,
            title: t.name.to_string(),
            kind: IpKind::Trademark,
            reasons,
        });
    }
    out
}
