use crate::{
    BasisPoints, DomainError, Money, PatentKind, QualificationKind, RiskFlagKind, Text, Violation,
};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

named_enum!(
    /// The life of a loan product: drafted, published to the white list, withdrawn.
    ProductStatus {
        Draft = "draft" / "草稿",
        Published = "published" / "已发布",
        Withdrawn = "withdrawn" / "已下架",
    }
);

impl ProductStatus {
    /// Whether a product may move from this status to `next`: draft → published → withdrawn.
    pub fn may_become(self, next: Self) -> bool {
        matches!(
            (self, next),
            (Self::Draft, Self::Published) | (Self::Published, Self::Withdrawn)
        )
    }
}

named_enum!(
    /// The kinds of IP a product can take as collateral, each with its own pledge rate.
    IpKind {
        Invention = "invention" / "发明专利",
        UtilityModel = "utility_model" / "实用新型专利",
        Design = "design" / "外观设计专利",
        Trademark = "trademark" / "注册商标",
    }
);

impl IpKind {
    /// The kind a patent counts as (PCT filings count as their national kind).
    pub fn of_patent(kind: PatentKind) -> Self {
        match kind {
            PatentKind::Invention | PatentKind::PctInvention => Self::Invention,
            PatentKind::UtilityModel | PatentKind::PctUtilityModel => Self::UtilityModel,
            PatentKind::Design => Self::Design,
        }
    }
}

/// 质押率: the share of the appraised value lent against each IP kind; `None` = not accepted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PledgeRates {
    pub invention: Option<BasisPoints>,
    pub utility_model: Option<BasisPoints>,
    pub design: Option<BasisPoints>,
    pub trademark: Option<BasisPoints>,
}

impl PledgeRates {
    /// The rate for `kind`, if the product accepts it.
    pub fn of(&self, kind: IpKind) -> Option<BasisPoints> {
        match kind {
            IpKind::Invention => self.invention,
            IpKind::UtilityModel => self.utility_model,
            IpKind::Design => self.design,
            IpKind::Trademark => self.trademark,
        }
    }
}

fn yes() -> bool {
    true
}

/// 贷款产品: a bank's IP-backed loan product and the rules an enterprise and its IP must meet.
/// Every rule is data; [`LoanProduct::violations`] checks them when the product is saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoanProduct {
    /// The product's name, e.g. 知惠贷.
    pub name: Text,
    /// What the bank says about it.
    #[serde(default)]
    pub description: Option<String>,
    /// The smallest loan; a credit line below it is no match.
    pub amount_min: Money,
    /// The largest loan; the credit line never exceeds it.
    pub amount_max: Money,
    /// The longest term; the pledged IP must outlast a loan of this term.
    pub max_term_months: u16,
    /// 利率上限: the rate cap over the one-year LPR, in basis points.
    pub rate_cap_over_lpr: BasisPoints,
    pub pledge_rates: PledgeRates,
    /// Whole months a patent must still be protected after the loan ends.
    #[serde(default)]
    pub min_remaining_months: u16,
    /// Only IP that has never been pledged before (stricter than the legal rule, which only
    /// refuses a pledge in force).
    #[serde(default)]
    pub no_prior_pledge: bool,
    /// Qualifications the enterprise must all hold.
    #[serde(default)]
    pub qualifications_all: Vec<QualificationKind>,
    /// Qualifications of which the enterprise must hold at least one (empty: no such rule).
    #[serde(default)]
    pub qualifications_any: Vec<QualificationKind>,
    /// Risk flags that exclude an enterprise.
    #[serde(default)]
    pub excluded_risk_flags: Vec<RiskFlagKind>,
    /// Region code prefixes the enterprise must lie in (empty: anywhere).
    #[serde(default)]
    pub region_prefixes: Vec<String>,
    /// Industry code prefixes the enterprise must belong to (empty: any industry).
    #[serde(default)]
    pub industry_prefixes: Vec<String>,
    #[serde(default)]
    pub min_years_in_operation: u16,
    /// Valid invention patents the enterprise must hold (pledged or not).
    #[serde(default)]
    pub min_valid_invention_patents: u16,
    /// The least share of the requested loan the pledged IP must cover.
    #[serde(default)]
    pub min_ip_share: Option<BasisPoints>,
    /// Lends only to enterprises on the published white list.
    #[serde(default = "yes")]
    pub whitelist_required: bool,
    /// 贴息: the interest subsidy, as shown to enterprises.
    #[serde(default)]
    pub interest_subsidy: Option<String>,
    /// 风险补偿资金池: whether loans are covered by the city's risk-compensation pool.
    #[serde(default)]
    pub risk_pool: bool,
    /// The first day the product is offered.
    pub valid_from: NaiveDate,
    /// The last day the product is offered (`None`: until withdrawn).
    #[serde(default)]
    pub valid_until: Option<NaiveDate>,
}

/// The longest term a product may have: 30 years.
const MAX_TERM_MONTHS: u16 = 360;

impl LoanProduct {
    /// Whether the product is offered on `as_of`.
    pub fn offered_on(&self, as_of: NaiveDate) -> bool {
        self.valid_from <= as_of && self.valid_until.is_none_or(|u| as_of <= u)
    }

    /// The day a loan of the maximum term taken on `as_of` falls due.
    pub fn loan_end(&self, as_of: NaiveDate) -> NaiveDate {
        as_of
            .checked_add_months(chrono::Months::new(u32::from(self.max_term_months)))
            .unwrap_or(NaiveDate::MAX)
    }

    /// Every rule that does not make sense, with its field.
    pub fn violations(&self) -> Vec<Violation> {
        let mut v = Vec::new();
        if self.amount_min.fen() == 0 {
            v.push(Violation::new(
                "amount_min",
                DomainError::OutOfRange {
                    min: 1,
                    max: self.amount_max.fen(),
                },
            ));
        }
        if self.amount_max < self.amount_min {
            v.push(Violation::new(
                "amount_max",
                DomainError::Order {
                    smaller: "amount_min",
                    larger: "amount_max",
                },
            ));
        }
        if !(1..=MAX_TERM_MONTHS).contains(&self.max_term_months) {
            v.push(Violation::new(
                "max_term_months",
                DomainError::OutOfRange {
                    min: 1,
                    max: i64::from(MAX_TERM_MONTHS),
                },
            ));
        }
        if self.min_remaining_months > MAX_TERM_MONTHS {
            v.push(Violation::new(
                "min_remaining_months",
                DomainError::OutOfRange {
                    min: 0,
                    max: i64::from(MAX_TERM_MONTHS),
                },
            ));
        }
        let rates = self.pledge_rates;
        if IpKind::ALL.iter().all(|k| rates.of(*k).is_none()) {
            v.push(Violation::new(
                "pledge_rates",
                DomainError::Required {
                    field: "pledge_rates",
                },
            ));
        }
        for kind in IpKind::ALL {
            if rates.of(*kind).is_some_and(|r| r.get() == 0) {
                v.push(Violation::new(
                    format!("pledge_rates.{}", kind.as_str()),
                    DomainError::OutOfRange {
                        min: 1,
                        max: 10_000,
                    },
                ));
            }
        }
        if self.min_ip_share.is_some_and(|s| s.get() == 0) {
            v.push(Violation::new(
                "min_ip_share",
                DomainError::OutOfRange {
                    min: 1,
                    max: 10_000,
                },
            ));
        }
        duplicates(&mut v, "qualifications_all", &self.qualifications_all);
        duplicates(&mut v, "qualifications_any", &self.qualifications_any);
        duplicates(&mut v, "excluded_risk_flags", &self.excluded_risk_flags);
        for (i, p) in self.region_prefixes.iter().enumerate() {
            let ok = (2..=6).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
            if !ok {
                v.push(Violation::new(
                    format!("region_prefixes[{i}]"),
                    DomainError::RegionCode,
                ));
            }
        }
        duplicates(&mut v, "region_prefixes", &self.region_prefixes);
        for (i, p) in self.industry_prefixes.iter().enumerate() {
            if crate::IndustryCode::parse(p).map(|c| c.as_str() == p) != Ok(true) {
                v.push(Violation::new(
                    format!("industry_prefixes[{i}]"),
                    DomainError::IndustryCode,
                ));
            }
        }
        duplicates(&mut v, "industry_prefixes", &self.industry_prefixes);
        if self.min_years_in_operation > 200 {
            v.push(Violation::new(
                "min_years_in_operation",
                DomainError::OutOfRange { min: 0, max: 200 },
            ));
        }
        if self.min_valid_invention_patents > 10_000 {
            v.push(Violation::new(
                "min_valid_invention_patents",
                DomainError::OutOfRange {
                    min: 0,
                    max: 10_000,
                },
            ));
        }
        for (field, text, max) in [
            ("description", &self.description, 2000),
            ("interest_subsidy", &self.interest_subsidy, 200),
        ] {
            if let Some(t) = text
                && let Err(e) = Text::parse(t, 1, max)
            {
                v.push(Violation::new(field, e));
            }
        }
        if self.valid_until.is_some_and(|u| u < self.valid_from) {
            v.push(Violation::new(
                "valid_until",
                DomainError::DateOrder {
                    earlier: "valid_from",
                    later: "valid_until",
                },
            ));
        }
        v
    }
}

fn duplicates<T: PartialEq>(v: &mut Vec<Violation>, field: &str, items: &[T]) {
    for (i, item) in items.iter().enumerate() {
        if items[..i].contains(item) {
            v.push(Violation::new(
                format!("{field}[{i}]"),
                DomainError::Format {
                    what: "the same value twice",
                },
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("test date")
    }

    fn bp(v: i64) -> BasisPoints {
        BasisPoints::new(v).expect("valid")
    }

    fn zhihuidai() -> LoanProduct {
        LoanProduct {
            name: Text::parse("知惠贷", 2, 100).expect("valid"),
            description: None,
            amount_min: Money::from_yuan(1_000_000).expect("valid"),
            amount_max: Money::from_yuan(30_000_000).expect("valid"),
            max_term_months: 36,
            rate_cap_over_lpr: bp(80),
            pledge_rates: PledgeRates {
                invention: Some(bp(2500)),
                utility_model: Some(bp(1500)),
                design: None,
                trademark: Some(bp(5000)),
            },
            min_remaining_months: 60,
            no_prior_pledge: false,
            qualifications_all: vec![],
            qualifications_any: vec![QualificationKind::HighTech, QualificationKind::Specialized],
            excluded_risk_flags: vec![RiskFlagKind::DishonestDebtor],
            region_prefixes: vec!["4107".into()],
            industry_prefixes: vec!["C".into()],
            min_years_in_operation: 2,
            min_valid_invention_patents: 1,
            min_ip_share: None,
            whitelist_required: true,
            interest_subsidy: Some("贴息50%".into()),
            risk_pool: true,
            valid_from: d(2026, 1, 1),
            valid_until: Some(d(2026, 12, 31)),
        }
    }

    #[test]
    fn a_sound_product_has_no_violations() {
        let p = zhihuidai();
        assert!(p.violations().is_empty(), "{:?}", p.violations());
        assert!(p.offered_on(d(2026, 12, 31)) && !p.offered_on(d(2027, 1, 1)));
        assert_eq!(p.loan_end(d(2026, 2, 28)), d(2029, 2, 28));
    }

    #[test]
    fn every_bad_rule_is_named() {
        let mut p = zhihuidai();
        p.amount_max = Money::from_yuan(10).expect("valid");
        p.max_term_months = 0;
        p.pledge_rates.invention = Some(bp(0));
        p.qualifications_any = vec![QualificationKind::HighTech, QualificationKind::HighTech];
        p.region_prefixes = vec!["41x".into()];
        p.industry_prefixes = vec!["c35".into(), "C05".into()];
        p.valid_until = Some(d(2025, 1, 1));
        let fields: Vec<String> = p.violations().into_iter().map(|v| v.field).collect();
        assert_eq!(
            fields,
            vec![
                "amount_max",
                "max_term_months",
                "pledge_rates.invention",
                "qualifications_any[1]",
                "region_prefixes[0]",
                "industry_prefixes[0]",
                "industry_prefixes[1]",
                "valid_until",
            ]
        );
    }

    #[test]
    fn a_product_must_accept_some_ip() {
        let mut p = zhihuidai();
        p.pledge_rates = PledgeRates::default();
        let v = p.violations();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].field, "pledge_rates");
    }

    #[test]
    fn status_moves_one_way() {
        use ProductStatus::*;
        assert!(Draft.may_become(Published) && Published.may_become(Withdrawn));
        assert!(!Withdrawn.may_become(Published) && !Draft.may_become(Withdrawn));
    }
}

/// The ranges a product's terms usually lie in. A product outside them is refused unless the
/// bank confirms it: the check catches a slip of unit (元 for 万元, basis points for percent)
/// before enterprises are matched against it. The city office may change them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsualTerms {
    /// The least and the most a product lends.
    pub amount_min: Money,
    pub amount_max: Money,
    /// The range of each pledge rate (质押率).
    pub pledge_rate_min: BasisPoints,
    pub pledge_rate_max: BasisPoints,
    /// The range of a product's longest term, in months.
    pub term_min_months: u16,
    pub term_max_months: u16,
}

impl Default for UsualTerms {
    /// 10万元 to 5亿元, pledge rates 10% to 80%, terms of 3 to 60 months.
    fn default() -> Self {
        Self {
            amount_min: Money::from_fen(10_000_000).unwrap_or(Money::ZERO),
            amount_max: Money::from_fen(50_000_000_000).unwrap_or(Money::ZERO),
            pledge_rate_min: BasisPoints::new(1_000).unwrap_or_default(),
            pledge_rate_max: BasisPoints::new(8_000).unwrap_or_default(),
            term_min_months: 3,
            term_max_months: 60,
        }
    }
}

impl UsualTerms {
    /// The ranges themselves must be ranges.
    pub fn violations(&self) -> Vec<Violation> {
        let mut v = Vec::new();
        let mut order = |ok: bool, larger: &'static str, smaller: &'static str| {
            if !ok {
                v.push(Violation::new(
                    larger,
                    DomainError::Order { larger, smaller },
                ));
            }
        };
        order(
            self.amount_max >= self.amount_min,
            "amount_max",
            "amount_min",
        );
        order(
            self.pledge_rate_max >= self.pledge_rate_min,
            "pledge_rate_max",
            "pledge_rate_min",
        );
        order(
            self.term_max_months >= self.term_min_months,
            "term_max_months",
            "term_min_months",
        );
        if self.term_max_months > MAX_TERM_MONTHS {
            v.push(Violation::new(
                "term_max_months",
                DomainError::OutOfRange {
                    min: 1,
                    max: i64::from(MAX_TERM_MONTHS),
                },
            ));
        }
        v
    }

    /// What of `product` lies outside these ranges, each named with its unit.
    pub fn unusual(&self, product: &LoanProduct) -> Vec<Violation> {
        let mut v = Vec::new();
        let money = |field: &str, m: Money, v: &mut Vec<Violation>| {
            if m < self.amount_min || m > self.amount_max {
                v.push(Violation::new(
                    field,
                    DomainError::Unusual {
                        value: m.to_string(),
                        low: self.amount_min.to_string(),
                        high: self.amount_max.to_string(),
                    },
                ));
            }
        };
        money("amount_min_fen", product.amount_min, &mut v);
        money("amount_max_fen", product.amount_max, &mut v);
        for kind in IpKind::ALL {
            if let Some(rate) = product.pledge_rates.of(*kind)
                && (rate < self.pledge_rate_min || rate > self.pledge_rate_max)
            {
                v.push(Violation::new(
                    format!("pledge_rates_bp.{}", kind.as_str()),
                    DomainError::Unusual {
                        value: rate.to_string(),
                        low: self.pledge_rate_min.to_string(),
                        high: self.pledge_rate_max.to_string(),
                    },
                ));
            }
        }
        let term = product.max_term_months;
        if term < self.term_min_months || term > self.term_max_months {
            v.push(Violation::new(
                "max_term_months",
                DomainError::Unusual {
                    value: format!("{term}个月"),
                    low: format!("{}个月", self.term_min_months),
                    high: format!("{}个月", self.term_max_months),
                },
            ));
        }
        v
    }
}
