//! Financing figures (融资统计) built from the outcomes banks report: for a period, how many
//! contacts, applications, approvals and disbursements, for how much, how many pledges and
//! how much IP pledged, how many first loans, how long from listing to money; by bank,
//! product, park, industry, month or round. Each event counts in the period (and the month)
//! of its own day. The office sees all, a park its enterprises, a bank its own figures.

use crate::error::{Result, ServiceError};
use crate::{Context, Service};
use chrono::{Datelike, NaiveDate};
use pledge_domain::{BankCode, DomainError, ParkCode, Step, Uscc, Violations, code};
use pledge_store::{OutcomeFilter, OutcomeRecord};
use std::collections::{BTreeMap, HashMap};

/// What figures may be grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    Bank,
    Product,
    Park,
    /// The GB/T 4754 section (门类) of the enterprise's industry.
    Industry,
    /// The month of each event (`2026-11`).
    Month,
    Round,
}

impl Dimension {
    /// Every dimension.
    pub const ALL: [Self; 6] = [
        Self::Bank,
        Self::Product,
        Self::Park,
        Self::Industry,
        Self::Month,
        Self::Round,
    ];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bank => "bank",
            Self::Product => "product",
            Self::Park => "park",
            Self::Industry => "industry",
            Self::Month => "month",
            Self::Round => "round",
        }
    }

    /// The Chinese column title.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Bank => "银行",
            Self::Product => "产品",
            Self::Park => "园区",
            Self::Industry => "行业门类",
            Self::Month => "月份",
            Self::Round => "对接活动",
        }
    }

    /// Parses a stable name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s.trim())
    }
}

/// The figures of one group (or of all).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    /// Enterprises on the list today (where the grouping allows it; `None`: not by this key).
    pub listed: Option<u64>,
    /// Listed enterprises eligible today for at least one offered product of the group.
    pub matched: Option<u64>,
    pub contacted: u64,
    pub applied: u64,
    pub approved: u64,
    pub approved_fen: i64,
    pub disbursed: u64,
    pub disbursed_fen: i64,
    pub pledges_registered: u64,
    pub patents_pledged: u64,
    pub trademarks_pledged: u64,
    pub repaid: u64,
    pub defaulted: u64,
    pub declined: u64,
    /// Disbursements that were the enterprise's first recorded loan (首贷); `None` for a bank,
    /// which does not see other banks' loans.
    pub first_loans: Option<u64>,
    /// Days from the enterprise's first listing to each disbursement, where both are known.
    pub days_to_disbursement: Vec<i64>,
}

impl Figures {
    /// `part / whole` in basis points, rounded down; `None` when `whole` is zero.
    pub fn ratio_bp(part: u64, whole: u64) -> Option<u64> {
        (whole > 0).then(|| part * 10_000 / whole)
    }

    /// The median of the days from listing to disbursement (`None` without any).
    pub fn median_days_to_disbursement(&self) -> Option<f64> {
        let mut d = self.days_to_disbursement.clone();
        if d.is_empty() {
            return None;
        }
        d.sort_unstable();
        let n = d.len();
        Some(if n % 2 == 1 {
            d[n / 2] as f64
        } else {
            (d[n / 2 - 1] + d[n / 2]) as f64 / 2.0
        })
    }

    fn add(&mut self, e: &Event, first_loans: bool) {
        match e.kind {
            EventKind::Contacted => self.contacted += 1,
            EventKind::Applied => self.applied += 1,
            EventKind::Approved(fen) => {
                self.approved += 1;
                self.approved_fen += fen;
            }
            EventKind::Disbursed {
                fen,
                first,
                since_listing,
            } => {
                self.disbursed += 1;
                self.disbursed_fen += fen;
                if first_loans {
                    *self.first_loans.get_or_insert(0) += u64::from(first);
                }
                self.days_to_disbursement.extend(since_listing);
            }
            EventKind::Pledged {
                patents,
                trademarks,
            } => {
                self.pledges_registered += 1;
                self.patents_pledged += patents;
                self.trademarks_pledged += trademarks;
            }
            EventKind::Repaid => self.repaid += 1,
            EventKind::Defaulted => self.defaulted += 1,
            EventKind::Declined => self.declined += 1,
        }
    }
}

/// One group's key, one value per dimension asked for, in their order.
pub type Key = Vec<String>;

/// The figures of a period.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub by: Vec<Dimension>,
    pub rows: BTreeMap<Key, Figures>,
    pub total: Figures,
}

enum EventKind {
    Contacted,
    Applied,
    Approved(i64),
    Disbursed {
        fen: i64,
        first: bool,
        since_listing: Option<i64>,
    },
    Pledged {
        patents: u64,
        trademarks: u64,
    },
    Repaid,
    Defaulted,
    Declined,
}

struct Event {
    on: NaiveDate,
    kind: EventKind,
}

/// Every event of an outcome. `first_loan` is the outcome id of each enterprise's earliest
/// disbursement; `listed_on` each enterprise's first listing.
fn events(
    o: &OutcomeRecord,
    first_loan: &HashMap<Uscc, (NaiveDate, i64)>,
    listed_on: &HashMap<Uscc, NaiveDate>,
) -> Vec<Event> {
    let mut out = vec![Event {
        on: o.outcome.contacted_on,
        kind: EventKind::Contacted,
    }];
    for s in &o.outcome.steps {
        let kind = match s {
            Step::Applied { .. } => EventKind::Applied,
            Step::Approved { amount_fen, .. } => EventKind::Approved(amount_fen.fen()),
            Step::Disbursed { on, amount_fen } => EventKind::Disbursed {
                fen: amount_fen.fen(),
                first: first_loan.get(&o.uscc).is_some_and(|(_, id)| *id == o.id),
                since_listing: listed_on
                    .get(&o.uscc)
                    .filter(|l| *l <= on)
                    .map(|l| (*on - *l).num_days()),
            },
            Step::PledgeRegistered {
                patents,
                trademarks,
                ..
            } => EventKind::Pledged {
                patents: patents.len() as u64,
                trademarks: trademarks.len() as u64,
            },
            Step::Repaid { .. } => EventKind::Repaid,
            Step::Defaulted { .. } => EventKind::Defaulted,
            Step::Declined { .. } => EventKind::Declined,
        };
        out.push(Event { on: s.on(), kind });
    }
    out
}

/// Each enterprise's earliest disbursement among `all`: its day and the outcome's id.
pub fn first_loans(all: &[OutcomeRecord]) -> HashMap<Uscc, (NaiveDate, i64)> {
    let mut out: HashMap<Uscc, (NaiveDate, i64)> = HashMap::new();
    for o in all {
        if let Some((on, _)) = o.outcome.disbursed() {
            out.entry(o.uscc)
                .and_modify(|x| *x = (*x).min((on, o.id)))
                .or_insert((on, o.id));
        }
    }
    out
}

/// The figures of `outcomes` for the period `from..=to`, grouped `by`. `first_loan` is
/// `None` where first loans are not to be told.
pub fn tally(
    outcomes: &[OutcomeRecord],
    from: NaiveDate,
    to: NaiveDate,
    by: &[Dimension],
    first_loan: Option<&HashMap<Uscc, (NaiveDate, i64)>>,
    listed_on: &HashMap<Uscc, NaiveDate>,
) -> Stats {
    let none = HashMap::new();
    let firsts = first_loan.unwrap_or(&none);
    let mut rows: BTreeMap<Key, Figures> = BTreeMap::new();
    let mut total = Figures {
        first_loans: first_loan.map(|_| 0),
        ..Figures::default()
    };
    for o in outcomes {
        for e in events(o, firsts, listed_on) {
            if e.on < from || e.on > to {
                continue;
            }
            total.add(&e, first_loan.is_some());
            if by.is_empty() {
                continue;
            }
            let key = by
                .iter()
                .map(|d| match d {
                    Dimension::Bank => o.bank.to_string(),
                    Dimension::Product => o.product_id.to_string(),
                    Dimension::Park => o.park.to_string(),
                    Dimension::Industry => o.industry.as_str()[..1].to_string(),
                    Dimension::Month => e.on.format("%Y-%m").to_string(),
                    Dimension::Round => o.round_id.map(|r| r.to_string()).unwrap_or_default(),
                })
                .collect();
            rows.entry(key)
                .or_insert_with(|| Figures {
                    first_loans: first_loan.map(|_| 0),
                    ..Figures::default()
                })
                .add(&e, first_loan.is_some());
        }
    }
    Stats {
        from,
        to,
        by: by.to_vec(),
        rows,
        total,
    }
}

/// The widest period asked for at once: ten years.
const MAX_PERIOD_DAYS: i64 = 3_660;

impl Service {
    /// The figures of the period `from..=to` that the caller may see, grouped `by`, with the
    /// listing figures of today where the grouping allows (the whole, by park, by product, by
    /// bank).
    pub async fn stats(
        &self,
        cx: &Context,
        from: NaiveDate,
        to: NaiveDate,
        by: Vec<Dimension>,
        filter: OutcomeFilter,
    ) -> Result<Stats> {
        if to < from || (to - from).num_days() > MAX_PERIOD_DAYS {
            return Err(ServiceError::Invalid(vec![crate::FieldError {
                field: "to".into(),
                code: code::DATE_ORDER.into(),
                message: format!(
                    "期间须从from到to且不超过{MAX_PERIOD_DAYS}天 / the period runs from `from` to `to`, at most {MAX_PERIOD_DAYS} days"
                ),
            }]));
        }
        let scope = cx.outcome_scope(filter)?;
        let outcomes = self.store.outcomes(&scope).await?;
        // First loans are judged against every bank's loans, which a bank does not see.
        let everything = scope.bank.is_none()
            && scope.park.is_none()
            && scope.product_id.is_none()
            && scope.round_id.is_none()
            && scope.uscc.is_none();
        let firsts = match cx.may().see_other_banks {
            false => None,
            _ if everything => Some(first_loans(&outcomes)),
            _ => Some(first_loans(
                &self.store.outcomes(&OutcomeFilter::default()).await?,
            )),
        };
        let usccs: Vec<Uscc> = outcomes.iter().map(|o| o.uscc).collect();
        let listed_on = self.store.first_listed(&usccs).await?;
        let mut stats = tally(&outcomes, from, to, &by, firsts.as_ref(), &listed_on);
        self.listing_figures(cx, &scope, &mut stats)?;
        Ok(stats)
    }

    /// Today's listed and matched counts, for the whole and for rows by park, product or bank
    /// alone (other groupings have no such count: the list is not kept by month or round).
    fn listing_figures(
        &self,
        cx: &Context,
        scope: &OutcomeFilter,
        stats: &mut Stats,
    ) -> Result<()> {
        let sum = |figures: &BTreeMap<pledge_domain::ParkCode, pledge_matching::ParkFigures>| {
            figures
                .iter()
                .filter(|(p, _)| scope.park.as_ref().is_none_or(|s| s == *p))
                .fold((0u64, 0u64), |(l, m), (_, f)| {
                    (l + u64::from(f.listed), m + u64::from(f.matched))
                })
        };
        let products_of = |bank: &pledge_domain::BankCode| -> Vec<i64> {
            self.live
                .read()
                .products
                .values()
                .filter(|p| p.bank == *bank)
                .map(|p| p.id)
                .collect()
        };
        let whole = match (scope.product_id, &scope.bank) {
            (Some(id), _) => self.park_figures(cx, Some(id)).ok(),
            (None, Some(b)) if cx.may().see_other_banks => {
                let ids = products_of(b);
                Some(self.live.read().index.park_figures(Some(&ids)))
            }
            _ => Some(self.park_figures(cx, None)?),
        };
        if let Some(w) = &whole {
            let (l, m) = sum(w);
            stats.total.listed = Some(l);
            stats.total.matched = Some(m);
        }
        match stats.by.as_slice() {
            [Dimension::Park] => {
                if let Some(w) = &whole {
                    for (park, f) in w {
                        if scope.park.as_ref().is_some_and(|s| s != park) {
                            continue;
                        }
                        let row = stats.rows.entry(vec![park.to_string()]).or_default();
                        row.listed = Some(f.listed.into());
                        row.matched = Some(f.matched.into());
                    }
                }
            }
            [Dimension::Product] => {
                for (key, row) in stats.rows.iter_mut() {
                    if let Some(id) = key[0].parse().ok()
                        && let Ok(f) = self.park_figures(cx, Some(id))
                    {
                        let (l, m) = sum(&f);
                        row.listed = Some(l);
                        row.matched = Some(m);
                    }
                }
            }
            [Dimension::Bank] => {
                for (key, row) in stats.rows.iter_mut() {
                    if let Ok(bank) = pledge_domain::BankCode::parse(&key[0]) {
                        let ids = products_of(&bank);
                        let (l, m) = sum(&self.live.read().index.park_figures(Some(&ids)));
                        row.listed = Some(l);
                        row.matched = Some(m);
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// What a caller asks of the figures, as typed (a page's form, the API's query): read by
/// [`Service::stats_asked`], which fills the period's defaults.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct StatsAsk {
    /// First day (default: 1 January of this year).
    pub from: Option<String>,
    /// Last day, included (default: today).
    pub to: Option<String>,
    /// Comma-separated dimensions (`bank,month`).
    pub by: Option<String>,
    pub bank: Option<String>,
    pub park: Option<String>,
    pub product_id: Option<String>,
    pub round_id: Option<String>,
}

impl StatsAsk {
    /// The period (defaults filled from `today`), the grouping and the filter; every field
    /// that cannot be read is named.
    fn read(
        &self,
        today: NaiveDate,
    ) -> Result<(NaiveDate, NaiveDate, Vec<Dimension>, OutcomeFilter)> {
        let mut c = Violations::default();
        let day = |c: &mut Violations, field: &str, v: &Option<String>, default: NaiveDate| match v
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => default,
            Some(s) => c
                .field(
                    field,
                    s.parse::<NaiveDate>()
                        .map_err(|_| DomainError::Format { what: "YYYY-MM-DD" }),
                )
                .unwrap_or(default),
        };
        let year_start = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
        let from = day(&mut c, "from", &self.from, year_start);
        let to = day(&mut c, "to", &self.to, today);
        let mut by = Vec::new();
        for part in self.by.as_deref().unwrap_or("").split(',') {
            if part.trim().is_empty() {
                continue;
            }
            match Dimension::parse(part) {
                Some(d) if !by.contains(&d) => by.push(d),
                Some(_) => c.push("by", DomainError::Repeated),
                None => c.push(
                    "by",
                    DomainError::UnknownValue {
                        value: part.into(),
                        allowed: "bank, product, park, industry, month, round".into(),
                    },
                ),
            }
        }
        let bank = self
            .bank
            .as_deref()
            .and_then(|v| c.field("bank", BankCode::parse(v)));
        let park = self
            .park
            .as_deref()
            .and_then(|v| c.field("park", ParkCode::parse(v)));
        c.finish().map_err(ServiceError::invalid)?;
        let filter = OutcomeFilter {
            bank,
            park,
            product_id: self
                .product_id
                .as_deref()
                .and_then(|v| v.trim().parse().ok()),
            round_id: self.round_id.as_deref().and_then(|v| v.trim().parse().ok()),
            uscc: None,
        };
        Ok((from, to, by, filter))
    }
}

/// One value of a group's key, with what people call it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPart {
    pub dimension: Dimension,
    pub value: String,
    pub label: String,
}

/// One group of figures: its key in the order of [`Stats::by`], labelled.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsRow {
    pub key: Vec<KeyPart>,
    pub figures: Figures,
}

impl StatsRow {
    /// The key's labels joined (`中国银行 · 2026-11`).
    pub fn label(&self) -> String {
        self.key
            .iter()
            .map(|k| k.label.as_str())
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

impl Service {
    /// The figures a caller asks for as typed, as they may see them.
    pub async fn stats_asked(&self, cx: &Context, ask: &StatsAsk) -> Result<Stats> {
        let (from, to, by, filter) = ask.read(cx.today())?;
        self.stats(cx, from, to, by, filter).await
    }

    /// Each row of `stats` with what people call its key.
    pub async fn stats_rows(&self, cx: &Context, stats: &Stats) -> Result<Vec<StatsRow>> {
        let labels = self.stats_labels(cx, stats).await?;
        Ok(stats
            .rows
            .iter()
            .map(|(key, figures)| StatsRow {
                key: stats
                    .by
                    .iter()
                    .zip(key)
                    .map(|(d, v)| KeyPart {
                        dimension: *d,
                        value: v.clone(),
                        label: labels.get(&(*d, v.clone())).cloned().unwrap_or(v.clone()),
                    })
                    .collect(),
                figures: figures.clone(),
            })
            .collect())
    }

    /// What people call each key of `stats`: a bank's, park's, product's or round's name, an
    /// industry section's name; a month is its own name, and no round reads 未关联活动.
    async fn stats_labels(
        &self,
        cx: &Context,
        stats: &Stats,
    ) -> Result<HashMap<(Dimension, String), String>> {
        let mut out = HashMap::new();
        let wanted = |d: Dimension| stats.by.contains(&d);
        if wanted(Dimension::Bank) {
            for b in self.banks(cx).await? {
                out.insert(
                    (Dimension::Bank, b.value.code.to_string()),
                    b.value.name.to_string(),
                );
            }
        }
        if wanted(Dimension::Park) {
            for p in self.store.list_parks().await? {
                out.insert(
                    (Dimension::Park, p.value.code.to_string()),
                    p.value.name.to_string(),
                );
            }
        }
        if wanted(Dimension::Product) {
            for p in self.live.read().products.values() {
                out.insert(
                    (Dimension::Product, p.id.to_string()),
                    p.rules.name.to_string(),
                );
            }
        }
        if wanted(Dimension::Round) {
            out.insert((Dimension::Round, String::new()), "未关联活动".into());
            for r in self.rounds(cx).await? {
                out.insert(
                    (Dimension::Round, r.id.to_string()),
                    r.round.name.to_string(),
                );
            }
        }
        if wanted(Dimension::Industry) {
            for key in stats.rows.keys() {
                for (d, v) in stats.by.iter().zip(key) {
                    if *d == Dimension::Industry
                        && let Ok(i) = pledge_domain::IndustryCode::parse(v)
                    {
                        out.insert((Dimension::Industry, v.clone()), i.name_zh().into());
                    }
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Days, Utc};
    use pledge_domain::{
        BankCode, BasisPoints, IndustryCode, Money, Outcome, OutcomeStage, ParkCode,
        PatentApplicationNumber, Text,
    };
    use proptest::prelude::*;

    fn day0() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 1, 1).expect("a day")
    }

    /// A random chain: how far it went and the gaps between its steps, in days.
    /// What is drawn for one outcome: bank, park, enterprise, start day, gaps, amounts
    /// approved and paid, where it is declined.
    type Draw = (u8, u8, u8, u64, Vec<u64>, i64, i64, Option<usize>);

    fn outcome(id: i64, draw: Draw) -> OutcomeRecord {
        let (bank, park, ent, start, gaps, approved, paid, decline_at) = draw;
        let mut on = day0() + Days::new(start);
        let mut o = Outcome::contacted(on);
        let mut next = |g: &u64| {
            on = on + Days::new(*g);
            on
        };
        let mut plan: Vec<Box<dyn Fn(NaiveDate) -> Step>> = vec![
            Box::new(|on| Step::Applied { on }),
            Box::new(move |on| Step::Approved {
                on,
                amount_fen: Money::from_fen(approved).expect("money"),
                term_months: 12,
                rate_bp: BasisPoints::new(400).expect("bp"),
            }),
            Box::new(|on| Step::PledgeRegistered {
                on,
                registration_number: Text::parse("Y1", 1, 64).expect("text"),
                patents: vec![PatentApplicationNumber::parse("201710601862.3").expect("n")],
                trademarks: vec![],
            }),
            Box::new(move |on| Step::Disbursed {
                on,
                amount_fen: Money::from_fen(paid.min(approved)).expect("money"),
            }),
            Box::new(|on| Step::Repaid { on }),
        ];
        if let Some(at) = decline_at.filter(|a| *a < 2) {
            plan.truncate(at);
            plan.push(Box::new(|on| Step::Declined {
                on,
                reason_code: pledge_domain::DeclineReason::Other,
            }));
        }
        let far = day0() + Days::new(10_000);
        for (make, g) in plan.iter().zip(gaps.iter()) {
            let step = make(next(g));
            o.take(step, far).expect("a valid chain");
        }
        OutcomeRecord {
            id,
            product_id: i64::from(bank) * 10 + 1,
            bank: BankCode::parse(&format!("bank{bank}")).expect("code"),
            uscc: Uscc::from_body(&format!("91410700MA{ent:07}")).expect("a USCC"),
            park: ParkCode::parse(&format!("park{park}")).expect("code"),
            industry: IndustryCode::parse(if ent.is_multiple_of(2) { "C35" } else { "I65" })
                .expect("industry"),
            round_id: ent.is_multiple_of(3).then_some(7),
            stage: o.stage(),
            outcome: o,
            version: 1,
            created_by: "t".into(),
            created_at: DateTime::<Utc>::MIN_UTC,
            updated_at: DateTime::<Utc>::MIN_UTC,
        }
    }

    fn outcomes() -> impl Strategy<Value = Vec<OutcomeRecord>> {
        prop::collection::vec(
            (
                0u8..3,
                0u8..3,
                0u8..8,
                0u64..700,
                prop::collection::vec(0u64..60, 0..6),
                1i64..1_000_000_000,
                1i64..1_000_000_000,
                prop::option::of(0usize..3),
            ),
            0..40,
        )
        .prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, draw)| outcome(i as i64 + 1, draw))
                .collect()
        })
    }

    proptest! {
        /// The figures of a period are the sums of the steps dated in it, and every grouping
        /// adds up to the whole.
        #[test]
        fn figures_are_the_sums_of_the_outcomes_in_the_period(
            all in outcomes(),
            from in 0u64..800,
            len in 0u64..400,
            dims in prop::collection::vec(0usize..6, 0..3),
        ) {
            let from = day0() + Days::new(from);
            let to = from + Days::new(len);
            let mut by: Vec<Dimension> = dims.into_iter().map(|i| Dimension::ALL[i]).collect();
            by.dedup();
            let firsts = first_loans(&all);
            let stats = tally(&all, from, to, &by, Some(&firsts), &HashMap::new());
            let within = |d: NaiveDate| from <= d && d <= to;
            let steps = || all.iter().flat_map(|o| o.outcome.steps.iter());
            let count = |s: OutcomeStage| steps().filter(|x| x.stage() == s && within(x.on())).count() as u64;
            prop_assert_eq!(stats.total.contacted, all.iter().filter(|o| within(o.outcome.contacted_on)).count() as u64);
            prop_assert_eq!(stats.total.applied, count(OutcomeStage::Applied));
            prop_assert_eq!(stats.total.approved, count(OutcomeStage::Approved));
            prop_assert_eq!(stats.total.disbursed, count(OutcomeStage::Disbursed));
            prop_assert_eq!(stats.total.declined, count(OutcomeStage::Declined));
            prop_assert_eq!(stats.total.pledges_registered, count(OutcomeStage::PledgeRegistered));
            let disbursed: i64 = all.iter().filter_map(|o| o.outcome.disbursed()).filter(|(d, _)| within(*d)).map(|(_, m)| m.fen()).sum();
            prop_assert_eq!(stats.total.disbursed_fen, disbursed);
            let approved: i64 = steps().filter_map(|s| match s {
                Step::Approved { on, amount_fen, .. } if within(*on) => Some(amount_fen.fen()),
                _ => None,
            }).sum();
            prop_assert_eq!(stats.total.approved_fen, approved);
            let first: u64 = firsts.values().filter(|(d, _)| within(*d)).count() as u64;
            prop_assert_eq!(stats.total.first_loans, Some(first));
            if !by.is_empty() {
                let rows = stats.rows.values();
                prop_assert_eq!(rows.clone().map(|f| f.contacted).sum::<u64>(), stats.total.contacted);
                prop_assert_eq!(rows.clone().map(|f| f.disbursed_fen).sum::<i64>(), stats.total.disbursed_fen);
                prop_assert_eq!(rows.clone().map(|f| f.approved_fen).sum::<i64>(), stats.total.approved_fen);
                prop_assert_eq!(rows.map(|f| f.first_loans.unwrap_or(0)).sum::<u64>(), first);
            }
        }
    }

    #[test]
    fn the_median_takes_the_middle_or_the_mean_of_the_two() {
        let f = |d: Vec<i64>| Figures {
            days_to_disbursement: d,
            ..Figures::default()
        };
        assert_eq!(f(vec![]).median_days_to_disbursement(), None);
        assert_eq!(
            f(vec![30, 10, 20]).median_days_to_disbursement(),
            Some(20.0)
        );
        assert_eq!(f(vec![40, 10]).median_days_to_disbursement(), Some(25.0));
        assert_eq!(Figures::ratio_bp(1, 3), Some(3333));
        assert_eq!(Figures::ratio_bp(1, 0), None);
    }
}
