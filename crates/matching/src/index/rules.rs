//! The engine's rules, each written once: the tests a row passes before its pledge bundle is
//! chosen, and those its bundle passes. The hot path and the explanations both come from here.

use super::{Index, Plan, Row};
use crate::explain::{Codes, Figure, Reason, Rule, ip_share};
use pledge_domain::{LoanProduct, Money};

/// Writes a stage of the engine's rules once, as a table: each rule with its test and the
/// figures that explain a failure. It gives a function that stops at the first failing rule
/// (the hot path) and one that records every failing rule with what it needs and what the
/// enterprise has (explanations), in table order.
macro_rules! rule_table {
    ($(#[$passes_doc:meta])* fn $passes:ident; $(#[$failures_doc:meta])* fn $failures:ident;
     ($($arg:ident: $ty:ty),+) {
        $($rule:ident => passes: $pass:expr, need: $need:expr, have: $have:expr;)+
    }) => {
        $(#[$passes_doc])*
        #[inline]
        #[allow(unused_variables)]
        pub(super) fn $passes($($arg: $ty),+) -> bool {
            $($pass)&&+
        }

        $(#[$failures_doc])*
        #[allow(unused_variables)]
        pub(super) fn $failures($($arg: $ty),+, reasons: &mut Vec<Reason>) {
            $(if !($pass) {
                reasons.push(Reason::new(Rule::$rule, $need, $have));
            })+
        }
    };
}

rule_table!(
    /// Whether a row passes every rule judged before its pledge bundle.
    fn row_passes;
    /// Every rule judged before the pledge bundle that a row fails.
    fn row_failures;
    (ix: &Index, r: &Row, p: &LoanProduct, plan: &Plan) {
    ProductNotOffered => passes: plan.offered,
        need: Figure::Date(p.valid_from), have: Figure::Date(ix.as_of);
    NotListed => passes: !p.whitelist_required || r.listed,
        need: Figure::Flag(true), have: Figure::Flag(false);
    Region => passes: plan.regions.is_empty()
            || plan.regions.iter().any(|(lo, hi)| (*lo..*hi).contains(&r.region_num)),
        need: Figure::Codes(plan.region_need.clone()), have: Figure::Codes(Codes::Region(r.region));
    Industry => passes: p.industry_prefixes.is_empty()
            || plan.industries.iter().any(|x| r.industry.as_str().starts_with(x.as_str())),
        need: Figure::Codes(plan.industry_need.clone()),
        have: Figure::Codes(Codes::Industry(r.industry));
    QualificationsAll => passes: r.qualifications & plan.quals_all == plan.quals_all,
        need: Figure::Codes(Codes::Qualifications(plan.quals_all & !r.qualifications)),
        have: Figure::Codes(Codes::Qualifications(r.qualifications));
    QualificationsAny => passes: plan.quals_any == 0 || r.qualifications & plan.quals_any != 0,
        need: Figure::Codes(Codes::Qualifications(plan.quals_any)),
        have: Figure::Codes(Codes::Qualifications(r.qualifications));
    RiskFlag => passes: r.flags & plan.flags == 0,
        need: Figure::Codes(Codes::RiskFlags(0)),
        have: Figure::Codes(Codes::RiskFlags(r.flags & plan.flags));
    YearsInOperation => passes: r.years >= u32::from(p.min_years_in_operation),
        need: Figure::Years(u32::from(p.min_years_in_operation)), have: Figure::Years(r.years);
    ValidInventionPatents => passes: r.valid_inventions >= u32::from(p.min_valid_invention_patents),
        need: Figure::Count(u32::from(p.min_valid_invention_patents)),
        have: Figure::Count(r.valid_inventions);
});

rule_table!(
    /// Whether a row's pledge bundle passes every rule judged on it.
    fn bundle_passes;
    /// Every rule judged on the pledge bundle that a row fails.
    fn bundle_failures;
    (p: &LoanProduct, r: &Row, total: Money, taken: usize, credit_line: Money) {
    NoPledgeableIp => passes: taken > 0,
        need: Figure::Count(1), have: Figure::Count(0);
    CreditLineBelowMinimum => passes: taken == 0 || credit_line >= p.amount_min,
        need: Figure::Fen(p.amount_min.fen()), have: Figure::Fen(credit_line.fen());
    IpShare => passes: taken == 0
            || p.min_ip_share.is_none_or(|min| {
                ip_share(p, r.need, total, credit_line) >= u32::from(min.get())
            }),
        need: Figure::BasisPoints(p.min_ip_share.map_or(0, |m| u32::from(m.get()))),
        have: Figure::BasisPoints(ip_share(p, r.need, total, credit_line));
});
