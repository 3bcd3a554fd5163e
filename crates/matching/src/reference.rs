//! The reference evaluator: the product rules read straight off the domain types, one pair at
//! a time, with no index and no shortcuts. Slow and obviously right; the fast [`crate::Index`]
//! must agree with it on every pair.

use crate::explain::{
    BundleItem, Codes, Evaluation, Figure, IpRef, PledgeBundle, Reason, Rule, Score, ScoreInputs,
    bundle_target, ip_share,
};
use crate::{Holding, Product};
use chrono::NaiveDate;
use pledge_domain::{IpKind, QualificationKind, RiskFlagKind};

/// Evaluates `product` for the enterprise of `holding` on `as_of`.
pub fn evaluate(holding: &Holding, product: &Product, as_of: NaiveDate) -> Evaluation {
    let p = &product.rules;
    let e = &holding.enterprise;
    let loan_end = p.loan_end(as_of);
    let mut reasons = Vec::new();
    if !p.offered_on(as_of) {
        reasons.push(Reason::new(
            Rule::ProductNotOffered,
            Figure::Date(p.valid_from),
            Figure::Date(as_of),
        ));
    }
    if p.whitelist_required && !holding.listed_on(as_of) {
        reasons.push(Reason::new(
            Rule::NotListed,
            Figure::Flag(true),
            Figure::Flag(false),
        ));
    }
    if !p.region_prefixes.is_empty() && !p.region_prefixes.iter().any(|x| e.region.is_within(x)) {
        reasons.push(Reason::new(
            Rule::Region,
            Figure::Codes(Codes::shared(&p.region_prefixes)),
            Figure::Codes(Codes::Region(e.region)),
        ));
    }
    if !p.industry_prefixes.is_empty()
        && !p.industry_prefixes.iter().any(|x| e.industry.is_within(x))
    {
        reasons.push(Reason::new(
            Rule::Industry,
            Figure::Codes(Codes::shared(&p.industry_prefixes)),
            Figure::Codes(Codes::Industry(e.industry)),
        ));
    }
    let held: Vec<QualificationKind> = QualificationKind::ALL
        .iter()
        .copied()
        .filter(|k| e.has_qualification(*k, as_of))
        .collect();
    let held_codes = || Figure::Codes(Codes::qualifications(&held));
    let missing: Vec<QualificationKind> = p
        .qualifications_all
        .iter()
        .copied()
        .filter(|k| !held.contains(k))
        .collect();
    if !missing.is_empty() {
        reasons.push(Reason::new(
            Rule::QualificationsAll,
            Figure::Codes(Codes::qualifications(&missing)),
            held_codes(),
        ));
    }
    if !p.qualifications_any.is_empty() && !p.qualifications_any.iter().any(|k| held.contains(k)) {
        reasons.push(Reason::new(
            Rule::QualificationsAny,
            Figure::Codes(Codes::qualifications(&p.qualifications_any)),
            held_codes(),
        ));
    }
    let flagged: Vec<RiskFlagKind> = p
        .excluded_risk_flags
        .iter()
        .copied()
        .filter(|f| e.has_risk_flag(*f, as_of))
        .collect();
    if !flagged.is_empty() {
        reasons.push(Reason::new(
            Rule::RiskFlag,
            Figure::Codes(Codes::RiskFlags(0)),
            Figure::Codes(Codes::risk_flags(&flagged)),
        ));
    }
    let years = e.years_in_operation(as_of);
    if years < u32::from(p.min_years_in_operation) {
        reasons.push(Reason::new(
            Rule::YearsInOperation,
            Figure::Years(u32::from(p.min_years_in_operation)),
            Figure::Years(years),
        ));
    }
    let valid_inventions = holding
        .patents
        .iter()
        .filter(|x| x.kind().is_invention() && x.is_valid(as_of))
        .count() as u32;
    if valid_inventions < u32::from(p.min_valid_invention_patents) {
        reasons.push(Reason::new(
            Rule::ValidInventionPatents,
            Figure::Count(u32::from(p.min_valid_invention_patents)),
            Figure::Count(valid_inventions),
        ));
    }

    let mut candidates = Vec::new();
    for x in &holding.patents {
        let kind = IpKind::of_patent(x.kind());
        let Some(rate) = p.pledge_rates.of(kind) else {
            continue;
        };
        if !x.pledge_obstacles(&e.uscc, as_of, loan_end).is_empty()
            || (p.no_prior_pledge && x.ever_pledged())
        {
            continue;
        }
        let remaining = x.remaining_months(loan_end);
        if remaining < u32::from(p.min_remaining_months) {
            continue;
        }
        let Some(a) = x.valid_appraisal(as_of) else {
            continue;
        };
        candidates.push(BundleItem {
            ip: IpRef::Patent {
                application_number: x.application_number,
            },
            kind,
            appraised_value: a.amount,
            appraised_on: a.appraised_on,
            appraisal_valid_until: a.valid_until,
            pledge_rate: rate,
            pledge_value: a.amount.times(rate),
            remaining_months_after_loan: Some(remaining),
            high_value: x.is_high_value(as_of),
        });
    }
    if let Some(rate) = p.pledge_rates.trademark {
        for t in &holding.trademarks {
            if !t.pledge_obstacles(&e.uscc, as_of, loan_end).is_empty()
                || (p.no_prior_pledge && t.pledge.is_some())
            {
                continue;
            }
            let Some(a) = t.valid_appraisal(as_of) else {
                continue;
            };
            candidates.push(BundleItem {
                ip: IpRef::Trademark {
                    registration_number: t.registration_number,
                    nice_class: t.nice_class,
                },
                kind: IpKind::Trademark,
                appraised_value: a.amount,
                appraised_on: a.appraised_on,
                appraisal_valid_until: a.valid_until,
                pledge_rate: rate,
                pledge_value: a.amount.times(rate),
                remaining_months_after_loan: None,
                high_value: false,
            });
        }
    }
    candidates.retain(|c| c.pledge_value.fen() > 0);

    let need = e.financing_need.as_ref().map(|n| n.amount);
    let requested = bundle_target(p, need);
    let bundle = PledgeBundle::choose(candidates, requested);
    let credit_line = bundle.total.min(p.amount_max);
    if bundle.items.is_empty() {
        reasons.push(Reason::new(
            Rule::NoPledgeableIp,
            Figure::Count(1),
            Figure::Count(0),
        ));
    } else {
        if credit_line < p.amount_min {
            reasons.push(Reason::new(
                Rule::CreditLineBelowMinimum,
                Figure::Fen(p.amount_min.fen()),
                Figure::Fen(credit_line.fen()),
            ));
        }
        if let Some(min) = p.min_ip_share {
            let share = ip_share(p, need, bundle.total, credit_line);
            if share < u32::from(min.get()) {
                reasons.push(Reason::new(
                    Rule::IpShare,
                    Figure::BasisPoints(u32::from(min.get())),
                    Figure::BasisPoints(share),
                ));
            }
        }
    }
    let high_value_patents = holding
        .patents
        .iter()
        .filter(|x| x.is_high_value(as_of))
        .count() as u32;
    let score = Score::of(ScoreInputs {
        credit_line,
        requested,
        high_value_patents,
        qualifications: held.len() as u32,
        shortest_term_months: bundle
            .items
            .iter()
            .map(|i| i.remaining_months_after_loan.unwrap_or(120))
            .min(),
        oldest_appraisal_days: bundle
            .items
            .iter()
            .map(|i| (as_of - i.appraised_on).num_days())
            .max(),
    });
    Evaluation {
        uscc: e.uscc,
        product_id: product.id,
        as_of,
        loan_end,
        eligible: reasons.is_empty(),
        reasons,
        requested,
        bundle,
        credit_line,
        score,
    }
}
