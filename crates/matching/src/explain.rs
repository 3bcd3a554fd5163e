//! What the engine answers for one (enterprise, product) pair: the verdict, every failed rule
//! with its figures, the pledge bundle, the credit line and the score with its parts.

use chrono::NaiveDate;
use pledge_domain::{
    BasisPoints, IndustryCode, IpKind, LoanProduct, Money, NiceClass, PatentApplicationNumber,
    QualificationKind, RegionCode, RiskFlagKind, TrademarkRegistrationNumber, Uscc,
};
use serde::Serialize;
use std::cmp::Ordering;
use std::sync::Arc;

/// A product rule an enterprise can fail, with its stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The product is not offered on the day of evaluation.
    ProductNotOffered,
    /// The enterprise is not on the published white list.
    NotListed,
    Region,
    Industry,
    QualificationsAll,
    QualificationsAny,
    RiskFlag,
    YearsInOperation,
    ValidInventionPatents,
    /// No patent or trademark could enter a pledge bundle.
    NoPledgeableIp,
    /// The credit line is below the product minimum.
    CreditLineBelowMinimum,
    /// The pledged IP covers too small a share of the requested loan.
    IpShare,
}

impl Rule {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Self::ProductNotOffered => "product_not_offered",
            Self::NotListed => "not_listed",
            Self::Region => "region",
            Self::Industry => "industry",
            Self::QualificationsAll => "qualifications_all",
            Self::QualificationsAny => "qualifications_any",
            Self::RiskFlag => "risk_flag",
            Self::YearsInOperation => "years_in_operation",
            Self::ValidInventionPatents => "valid_invention_patents",
            Self::NoPledgeableIp => "no_pledgeable_ip",
            Self::CreditLineBelowMinimum => "credit_line_below_minimum",
            Self::IpShare => "ip_share",
        }
    }
}

/// A figure behind a reason, with its unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "unit", content = "value", rename_all = "snake_case")]
pub enum Figure {
    Count(u32),
    Years(u32),
    /// Money in 分.
    Fen(i64),
    BasisPoints(u32),
    /// Codes: regions, industries, qualifications, risk flags.
    Codes(Codes),
    Date(NaiveDate),
    Flag(bool),
}

impl Figure {
    /// For Chinese messages: codes of qualifications and risk flags by their Chinese names.
    fn show_zh(&self) -> String {
        match self {
            Self::Codes(c) if !c.list().is_empty() => c
                .list()
                .into_iter()
                .map(|code| {
                    QualificationKind::parse(code)
                        .map(QualificationKind::label_zh)
                        .or_else(|_| RiskFlagKind::parse(code).map(RiskFlagKind::label_zh))
                        .unwrap_or(code)
                })
                .collect::<Vec<_>>()
                .join("、"),
            _ => self.show(),
        }
    }

    fn show(&self) -> String {
        match self {
            Self::Count(n) | Self::Years(n) => n.to_string(),
            Self::Fen(f) => pledge_domain::fen_for_people(*f),
            Self::BasisPoints(b) => format!("{}.{:02}%", b / 100, b % 100),
            Self::Codes(c) if c.list().is_empty() => "—".into(),
            Self::Codes(c) => c.list().join("、"),
            Self::Date(d) => d.to_string(),
            Self::Flag(true) => "是".into(),
            Self::Flag(false) => "否".into(),
        }
    }
}

/// A list of codes (regions, industries, qualifications, risk flags) that costs nothing to
/// copy: shared with the product it came from, one enterprise code, or a set of kinds.
#[derive(Debug, Clone)]
pub enum Codes {
    /// A product's own list, in its order.
    Shared(Arc<[String]>),
    Region(RegionCode),
    Industry(IndustryCode),
    /// Qualification kinds, in the order of [`QualificationKind::ALL`].
    Qualifications(u16),
    /// Risk flag kinds, in the order of [`RiskFlagKind::ALL`].
    RiskFlags(u8),
}

/// The bit of `item` in a set over `all`.
pub(crate) fn bit_of<T: PartialEq>(all: &[T], item: &T) -> u32 {
    all.iter().position(|x| x == item).map_or(0, |i| 1 << i)
}

impl Codes {
    /// A list copied from `codes`.
    pub fn shared(codes: &[String]) -> Self {
        Self::Shared(codes.into())
    }

    /// The set of these qualification kinds.
    pub fn qualifications<'a>(kinds: impl IntoIterator<Item = &'a QualificationKind>) -> Self {
        Self::Qualifications(
            kinds
                .into_iter()
                .fold(0, |m, k| m | bit_of(QualificationKind::ALL, k) as u16),
        )
    }

    /// The set of these risk flag kinds.
    pub fn risk_flags<'a>(kinds: impl IntoIterator<Item = &'a RiskFlagKind>) -> Self {
        Self::RiskFlags(
            kinds
                .into_iter()
                .fold(0, |m, k| m | bit_of(RiskFlagKind::ALL, k) as u8),
        )
    }

    /// The codes, in order.
    pub fn list(&self) -> Vec<&str> {
        match self {
            Self::Shared(c) => c.iter().map(String::as_str).collect(),
            Self::Region(r) => vec![r.as_str()],
            Self::Industry(i) => vec![i.as_str()],
            Self::Qualifications(m) => QualificationKind::ALL
                .iter()
                .filter(|k| u32::from(*m) & bit_of(QualificationKind::ALL, *k) != 0)
                .map(|k| k.as_str())
                .collect(),
            Self::RiskFlags(m) => RiskFlagKind::ALL
                .iter()
                .filter(|k| u32::from(*m) & bit_of(RiskFlagKind::ALL, *k) != 0)
                .map(|k| k.as_str())
                .collect(),
        }
    }
}

impl PartialEq for Codes {
    fn eq(&self, other: &Self) -> bool {
        self.list() == other.list()
    }
}

impl Eq for Codes {}

impl Serialize for Codes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.list())
    }
}

/// Why a rule failed, with the figures; the messages are written when asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub rule: Rule,
    pub need: Figure,
    pub have: Figure,
}

impl Reason {
    /// The reason `rule` failed with these figures.
    pub fn new(rule: Rule, need: Figure, have: Figure) -> Self {
        Self { rule, need, have }
    }

    /// The stable code of the rule.
    pub fn code(&self) -> &'static str {
        self.rule.code()
    }

    /// The reason in Chinese, then in English.
    pub fn messages(&self) -> (String, String) {
        let (need, have, rule) = (&self.need, &self.have, self.rule);
        let (n, h) = (need.show_zh(), have.show_zh());
        let (ne, he) = (need.show(), have.show());
        let gap = match (need, have) {
            (Figure::Count(a), Figure::Count(b)) | (Figure::Years(a), Figure::Years(b)) => {
                a.saturating_sub(*b)
            }
            _ => 0,
        };
        match rule {
            Rule::ProductNotOffered => (
                format!("产品在评估日不在有效期内（{n}起）"),
                format!("the product is not offered on this day (from {ne})"),
            ),
            Rule::NotListed => (
                "企业不在已发布的白名单上".into(),
                "the enterprise is not on the published white list".into(),
            ),
            Rule::Region => (
                format!("所在地区{h}不在产品地区范围（{n}）内"),
                format!("region {he} is outside the product's regions ({ne})"),
            ),
            Rule::Industry => (
                format!("所属行业{h}不在产品行业范围（{n}）内"),
                format!("industry {he} is outside the product's industries ({ne})"),
            ),
            Rule::QualificationsAll => (
                format!("缺少资质：{n}"),
                format!("lacks the qualifications {ne}"),
            ),
            Rule::QualificationsAny => (
                format!("需至少具备其一资质：{n}"),
                format!("needs one of the qualifications {ne}"),
            ),
            Rule::RiskFlag => (
                format!("存在产品排除的风险记录：{h}"),
                format!("has risk flags the product excludes: {he}"),
            ),
            Rule::YearsInOperation => (
                format!("成立满{n}年方可申请，现{h}年，还差{gap}年"),
                format!("needs {ne} years in operation, has {he} ({gap} to go)"),
            ),
            Rule::ValidInventionPatents => (
                format!("需有效发明专利{n}件，现有{h}件，还需{gap}件"),
                format!("needs {ne} valid invention patents, has {he}: {gap} more"),
            ),
            Rule::NoPledgeableIp => (
                "没有可质押的专利或商标（须有效、已缴年费、未质押、有有效评估且期限足够）".into(),
                "no patent or trademark can be pledged (valid, fees paid, unpledged, with a valid appraisal and enough term)".into(),
            ),
            Rule::CreditLineBelowMinimum => (
                format!("测算授信额度{h}低于产品最低额度{n}"),
                format!("the credit line {he} is below the product minimum {ne}"),
            ),
            Rule::IpShare => (
                format!("质押知识产权仅覆盖贷款的{h}，产品要求至少{n}"),
                format!("the pledged IP covers {he} of the loan, the product needs {ne}"),
            ),
        }
    }
}

/// A patent or a trademark registration.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum IpRef {
    Patent {
        application_number: PatentApplicationNumber,
    },
    Trademark {
        registration_number: TrademarkRegistrationNumber,
        nice_class: NiceClass,
    },
}

impl IpRef {
    /// `patent` or `trademark`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Self::Patent { .. } => "patent",
            Self::Trademark { .. } => "trademark",
        }
    }

    /// The number as people write it: the application number, or the registration number
    /// and the class (`12345678/9`).
    pub fn number(&self) -> String {
        match self {
            Self::Patent { application_number } => application_number.to_string(),
            Self::Trademark {
                registration_number,
                nice_class,
            } => format!("{registration_number}/{}", nice_class.get()),
        }
    }
}

/// One item proposed for pledge, with the figures that price it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundleItem {
    pub ip: IpRef,
    pub kind: IpKind,
    /// The valid appraisal it is priced on.
    pub appraised_value: Money,
    pub appraised_on: NaiveDate,
    pub appraisal_valid_until: NaiveDate,
    pub pledge_rate: BasisPoints,
    /// Appraised value × pledge rate, rounded down to the 分.
    pub pledge_value: Money,
    /// Whole months of protection left after the loan ends (patents; `None` for trademarks,
    /// whose registration is renewable).
    pub remaining_months_after_loan: Option<u32>,
    pub high_value: bool,
}

/// The order items are chosen in: highest pledge value first; ties go to patents before
/// trademarks, then to the smaller number, so the choice is deterministic.
pub fn bundle_order(a: &BundleItem, b: &BundleItem) -> Ordering {
    b.pledge_value
        .cmp(&a.pledge_value)
        .then_with(|| a.ip.cmp(&b.ip))
}

/// 质押组合: the IP proposed for one pledge and what it is worth.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct PledgeBundle {
    pub items: Vec<BundleItem>,
    /// Σ pledge values.
    pub total: Money,
    /// How many more items could have been pledged and are left free for other loans.
    pub left_free: u32,
}

impl PledgeBundle {
    /// Chooses the fewest items whose pledge values reach `target`: candidates in
    /// [`bundle_order`], taken until their sum reaches it (the k largest values have the
    /// largest sum of any k items, so no smaller bundle reaches it). When all of them together
    /// fall short, all are taken.
    pub fn choose(mut candidates: Vec<BundleItem>, target: Money) -> Self {
        candidates.sort_by(bundle_order);
        let mut total = Money::ZERO;
        let mut taken = 0;
        for item in &candidates {
            if total >= target {
                break;
            }
            total = total.checked_add(item.pledge_value).unwrap_or(total);
            taken += 1;
        }
        let left_free = (candidates.len() - taken) as u32;
        candidates.truncate(taken);
        Self {
            items: candidates,
            total,
            left_free,
        }
    }
}

/// The ranking score (0–1000) and its parts. Formula:
/// - coverage (≤ 400): 400 × min(credit line, requested) / requested;
/// - high_value (≤ 200): 40 per valid high-value invention patent held, at most 5;
/// - remaining_term (≤ 150): 150 × min(shortest remaining term after the loan among the bundle's
///   patents, 120 months) / 120 (a bundle of trademarks only counts as 120 months);
/// - qualifications (≤ 150): 30 per qualification held, at most 5;
/// - appraisal_freshness (≤ 100): 100 × (365 − age in days of the bundle's oldest appraisal) / 365,
///   not below 0.
///
/// An empty bundle scores 0 on coverage, term and freshness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Score {
    pub total: u16,
    pub coverage: u16,
    pub high_value: u16,
    pub remaining_term: u16,
    pub qualifications: u16,
    pub appraisal_freshness: u16,
}

/// The inputs of the score.
#[derive(Debug, Clone, Copy)]
pub struct ScoreInputs {
    pub credit_line: Money,
    pub requested: Money,
    pub high_value_patents: u32,
    pub qualifications: u32,
    /// `None` when the bundle is empty.
    pub shortest_term_months: Option<u32>,
    /// `None` when the bundle is empty.
    pub oldest_appraisal_days: Option<i64>,
}

impl Score {
    /// The score of these inputs.
    pub fn of(i: ScoreInputs) -> Self {
        let coverage = if i.requested.fen() == 0 {
            0
        } else {
            // Amounts are at most 10^14 fen, so the product stays inside i64.
            (i.credit_line.min(i.requested).fen() * 400 / i.requested.fen()) as u16
        };
        let high_value = (i.high_value_patents.min(5) * 40) as u16;
        let remaining_term = i
            .shortest_term_months
            .map_or(0, |m| (m.min(120) * 150 / 120) as u16);
        let qualifications = (i.qualifications.min(5) * 30) as u16;
        let appraisal_freshness = i
            .oldest_appraisal_days
            .map_or(0, |d| ((365 - d.clamp(0, 365)) * 100 / 365) as u16);
        Self {
            total: coverage + high_value + remaining_term + qualifications + appraisal_freshness,
            coverage,
            high_value,
            remaining_term,
            qualifications,
            appraisal_freshness,
        }
    }
}

/// The loan the bundle aims at and the IP share is measured against: the enterprise's stated
/// need clamped into the product's amounts, or (no need stated) the product maximum.
pub fn bundle_target(p: &LoanProduct, need: Option<Money>) -> Money {
    need.map_or(p.amount_max, |n| n.max(p.amount_min).min(p.amount_max))
}

/// The share of the loan the bundle covers, in basis points (at most 10000). The loan is the
/// stated need clamped into the product's amounts, or the credit line when no need is stated.
pub fn ip_share(p: &LoanProduct, need: Option<Money>, total: Money, credit_line: Money) -> u32 {
    let loan = need.map_or(credit_line, |n| n.max(p.amount_min).min(p.amount_max));
    if loan.fen() == 0 {
        return 0;
    }
    (total.min(loan).fen() * 10_000 / loan.fen()) as u32
}

/// The engine's whole answer for one (enterprise, product) pair on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    pub uscc: Uscc,
    pub product_id: i64,
    pub as_of: NaiveDate,
    /// The day a loan of the product's maximum term taken on `as_of` falls due.
    pub loan_end: NaiveDate,
    pub eligible: bool,
    /// Every failed rule; empty when eligible.
    pub reasons: Vec<Reason>,
    /// What the bundle aims at: the stated need within the product's amounts, or its maximum.
    pub requested: Money,
    pub bundle: PledgeBundle,
    /// min(product maximum, Σ pledge values).
    pub credit_line: Money,
    pub score: Score,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(number: &str, yuan: i64) -> BundleItem {
        let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
        let value = Money::from_yuan(yuan).unwrap_or_default();
        BundleItem {
            ip: IpRef::Patent {
                application_number: PatentApplicationNumber::from_digits(number)
                    .unwrap_or_else(|e| unreachable!("{e}")),
            },
            kind: IpKind::Invention,
            appraised_value: value,
            appraised_on: day,
            appraisal_valid_until: day,
            pledge_rate: BasisPoints::new(10_000).unwrap_or_else(|e| unreachable!("{e}")),
            pledge_value: value,
            remaining_months_after_loan: Some(60),
            high_value: false,
        }
    }

    #[test]
    fn the_bundle_is_the_fewest_items_that_reach_the_target() {
        let items = vec![
            item("201710000001", 100),
            item("201710000002", 500),
            item("201710000003", 300),
            item("201710000004", 300),
        ];
        let b = PledgeBundle::choose(items.clone(), Money::from_yuan(700).unwrap_or_default());
        let chosen: Vec<i64> = b.items.iter().map(|i| i.pledge_value.fen() / 100).collect();
        // 500 + 300 reach 700 with two items; equal values go to the smaller number.
        assert_eq!(chosen, vec![500, 300]);
        assert!(
            b.items[1].ip
                < IpRef::Trademark {
                    registration_number: TrademarkRegistrationNumber::parse("1")
                        .unwrap_or_else(|e| unreachable!("{e}")),
                    nice_class: NiceClass::new(1).unwrap_or_else(|e| unreachable!("{e}")),
                }
        );
        assert_eq!(
            b.items[1].ip,
            IpRef::Patent {
                application_number: PatentApplicationNumber::from_digits("201710000003")
                    .unwrap_or_else(|e| unreachable!("{e}"))
            }
        );
        assert_eq!((b.total.fen(), b.left_free), (80_000, 2));
        let all = PledgeBundle::choose(items, Money::from_yuan(5_000).unwrap_or_default());
        assert_eq!(
            (all.items.len(), all.total.fen(), all.left_free),
            (4, 120_000, 0)
        );
    }

    #[test]
    fn the_score_adds_its_documented_parts() {
        let yuan = |y| Money::from_yuan(y).unwrap_or_default();
        let s = Score::of(ScoreInputs {
            credit_line: yuan(250),
            requested: yuan(500),
            high_value_patents: 7,
            qualifications: 2,
            shortest_term_months: Some(60),
            oldest_appraisal_days: Some(73),
        });
        assert_eq!(
            (
                s.coverage,
                s.high_value,
                s.remaining_term,
                s.qualifications,
                s.appraisal_freshness
            ),
            (200, 200, 75, 60, 80)
        );
        assert_eq!(s.total, 615);
        let empty = Score::of(ScoreInputs {
            credit_line: Money::ZERO,
            requested: yuan(500),
            high_value_patents: 0,
            qualifications: 0,
            shortest_term_months: None,
            oldest_appraisal_days: None,
        });
        assert_eq!(empty.total, 0);
    }

    #[test]
    fn messages_name_the_gap_in_both_languages() {
        let r = Reason::new(
            Rule::ValidInventionPatents,
            Figure::Count(3),
            Figure::Count(1),
        );
        let (zh, en) = r.messages();
        assert!(zh.contains("还需2件"), "{zh}");
        assert!(en.contains("2 more"), "{en}");
        let q = Reason::new(
            Rule::QualificationsAny,
            Figure::Codes(Codes::qualifications(&[QualificationKind::HighTech])),
            Figure::Codes(Codes::Qualifications(0)),
        );
        assert!(q.messages().0.contains("高新技术企业"));
        assert_eq!(q.code(), "qualifications_any");
    }
}
