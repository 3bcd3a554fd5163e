//! The fast engine. Enterprises live in slots ordered by region code, so a region prefix is a
//! contiguous slot range; white-list status, qualifications, risk flags and industry sections
//! are dense bitsets ANDed word by word; each enterprise keeps only the IP that could be pledged
//! on the index day, with the few fields pricing needs. The exact rules, the bundle, the credit
//! line and the score are computed only for the slots that survive the bitsets.

use crate::bitset::BitSet;
use crate::explain::{
    BundleItem, Codes, Evaluation, IpRef, PledgeBundle, Score, ScoreInputs, bit_of, bundle_target,
};
use crate::{Holding, Product};
use chrono::NaiveDate;
use pledge_domain::{
    IndustryCode, IpKind, LoanProduct, Money, ParkCode, QualificationKind, RegionCode,
    RiskFlagKind, Uscc, whole_months,
};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};

mod eligibility;
mod kept;
mod parts;
mod rules;
use eligibility::{Eligibility, each_col};
use kept::{KEEP, Kept, KeptLists, Shape};
pub use parts::{BadParts, IndexParts, IndexPartsRef};
use rules::{bundle_failures, bundle_passes, row_failures, row_passes};
use serde::{Deserialize, Serialize};

/// One patent or trademark that could be pledged on the index day, priced by its valid
/// appraisal. Whether it fits a product (kind, loan end, remaining term) is decided per query.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Item {
    #[serde(with = "parts::ip")]
    ip: IpRef,
    kind: IpKind,
    value: Money,
    #[serde(with = "parts::day")]
    appraised_on: NaiveDate,
    #[serde(with = "parts::day")]
    appraisal_valid_until: NaiveDate,
    /// The last day a loan secured by it may fall due.
    #[serde(with = "parts::day")]
    last_loan_end: NaiveDate,
    /// Patents: the day the term ends.
    #[serde(with = "parts::some_day")]
    expiry: Option<NaiveDate>,
    ever_pledged: bool,
    high_value: bool,
}

/// One enterprise as of the index day.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Row {
    uscc: Uscc,
    park: ParkCode,
    region: RegionCode,
    region_num: u32,
    industry: IndustryCode,
    listed: bool,
    qualifications: u16,
    flags: u8,
    years: u32,
    valid_inventions: u32,
    high_value: u32,
    need: Option<Money>,
    /// The highest score any product could give (see [`Score`]).
    bound: u16,
    /// In [`IpRef`] order, so ties in pledge value fall the way [`crate::bundle_order`] says.
    items: Vec<Item>,
}

/// The bit of a qualification in the masks, as [`Codes::Qualifications`] reads them.
fn qual_bit(k: QualificationKind) -> u16 {
    bit_of(QualificationKind::ALL, &k) as u16
}

/// The bit of a risk flag in the masks, as [`Codes::RiskFlags`] reads them.
fn flag_bit(k: RiskFlagKind) -> u8 {
    bit_of(RiskFlagKind::ALL, &k) as u8
}

fn region_num(r: &RegionCode) -> u32 {
    r.as_str().parse().unwrap_or(0)
}

impl Row {
    fn new(h: &Holding, as_of: NaiveDate) -> Self {
        let e = &h.enterprise;
        let mut items = Vec::new();
        for p in &h.patents {
            // With the loan ending today, the only obstacles left are those of the patent itself.
            if !p.pledge_obstacles(&e.uscc, as_of, as_of).is_empty() {
                continue;
            }
            let Some(a) = p.valid_appraisal(as_of) else {
                continue;
            };
            let expiry = p.expiry();
            items.push(Item {
                ip: IpRef::Patent {
                    application_number: p.application_number,
                },
                kind: IpKind::of_patent(p.kind()),
                value: a.amount,
                appraised_on: a.appraised_on,
                appraisal_valid_until: a.valid_until,
                last_loan_end: expiry.pred_opt().unwrap_or(expiry),
                expiry: Some(expiry),
                ever_pledged: p.ever_pledged(),
                high_value: p.is_high_value(as_of),
            });
        }
        for t in &h.trademarks {
            if !t.pledge_obstacles(&e.uscc, as_of, as_of).is_empty() {
                continue;
            }
            let Some(a) = t.valid_appraisal(as_of) else {
                continue;
            };
            items.push(Item {
                ip: IpRef::Trademark {
                    registration_number: t.registration_number,
                    nice_class: t.nice_class,
                },
                kind: IpKind::Trademark,
                value: a.amount,
                appraised_on: a.appraised_on,
                appraisal_valid_until: a.valid_until,
                last_loan_end: t.valid_until,
                expiry: None,
                ever_pledged: t.pledge.is_some(),
                high_value: false,
            });
        }
        items.sort_by(|a, b| a.ip.cmp(&b.ip));
        let qualifications = QualificationKind::ALL
            .iter()
            .filter(|k| e.has_qualification(**k, as_of))
            .fold(0, |m, k| m | qual_bit(*k));
        let flags = RiskFlagKind::ALL
            .iter()
            .filter(|k| e.has_risk_flag(**k, as_of))
            .fold(0, |m, k| m | flag_bit(*k));
        let high_value = h.patents.iter().filter(|p| p.is_high_value(as_of)).count() as u32;
        let bound = score_bound(&items, high_value, qualifications, as_of);
        Self {
            bound,
            uscc: e.uscc,
            park: e.park.clone(),
            region_num: region_num(&e.region),
            region: e.region,
            industry: e.industry,
            listed: h.listed_on(as_of),
            qualifications,
            flags,
            years: e.years_in_operation(as_of),
            valid_inventions: h
                .patents
                .iter()
                .filter(|p| p.kind().is_invention() && p.is_valid(as_of))
                .count() as u32,
            high_value,
            need: e.financing_need.as_ref().map(|n| n.amount),
            items,
        }
    }
}

/// The most any score can be.
const MAX_SCORE: u16 = 1000;

/// Buckets of the value order: four per power of two.
const VALUE_BUCKETS: usize = 256;

/// The value bucket of an amount in 分: 4 × log2, so a bucket spans at most a quarter octave.
fn value_bucket(fen: i64) -> usize {
    if fen < 4 {
        return 0;
    }
    let v = fen as u64;
    let e = 63 - v.leading_zeros() as usize;
    let f = ((v >> (e - 2)) & 3) as usize;
    (4 * (e - 1) + f).min(VALUE_BUCKETS - 1)
}

/// The largest amount in value bucket `b`.
fn value_ceiling(b: usize) -> i64 {
    if b < 4 {
        return 3;
    }
    let (e, f) = (b / 4 + 1, (b % 4) as u64);
    if e >= 62 {
        return i64::MAX;
    }
    ((1u64 << e) + ((f + 1) << (e - 2)) - 1) as i64
}

/// The most credit `p` could give against IP appraised at `value_fen` in all.
fn credit_ceiling(value_fen: i64, p: &LoanProduct, plan: &Plan) -> i64 {
    (value_fen.saturating_mul(i64::from(plan.max_rate)) / 10_000).min(p.amount_max.fen())
}

/// Slots filed in buckets, each bucket in slot order so that a region's slot range is a slice
/// of it.
#[derive(Debug, Clone)]
struct Buckets {
    lists: Vec<SortedSlots>,
    /// The bucket of each filed slot.
    of: Vec<Option<u16>>,
}

impl Buckets {
    fn new(n: usize) -> Self {
        Self {
            lists: vec![SortedSlots::default(); n],
            of: Vec::new(),
        }
    }

    /// Files `slot` under `bucket` (`None`: nowhere), moving it only when that changes.
    fn file(&mut self, slot: usize, bucket: Option<usize>) {
        let now = self.of.get(slot).copied().flatten().map(usize::from);
        if now == bucket {
            return;
        }
        self.take(slot);
        if let Some(b) = bucket {
            self.put(slot, b);
        }
    }

    fn put(&mut self, slot: usize, bucket: usize) {
        if self.of.len() <= slot {
            self.of.resize(slot + 1, None);
        }
        self.lists[bucket].insert(slot as u32);
        self.of[slot] = Some(bucket as u16);
    }

    fn take(&mut self, slot: usize) {
        if let Some(b) = self.of.get_mut(slot).and_then(Option::take) {
            self.lists[usize::from(b)].remove(slot as u32);
        }
    }
}

/// The most slots one chunk of [`SortedSlots`] holds before it splits: small enough that an
/// insertion moves a few kilobytes, not the whole bucket.
const CHUNK: usize = 2048;

/// A set of slots in ascending order, kept in chunks so that changes stay cheap and a slot
/// range is read as slices.
#[derive(Debug, Clone, Default)]
struct SortedSlots {
    chunks: Vec<Vec<u32>>,
}

impl SortedSlots {
    /// The chunk that holds, or would hold, `slot`.
    fn chunk_of(&self, slot: u32) -> usize {
        self.chunks
            .partition_point(|c| c.last().is_some_and(|l| *l < slot))
            .min(self.chunks.len().saturating_sub(1))
    }

    fn insert(&mut self, slot: u32) {
        if self.chunks.is_empty() {
            self.chunks.push(vec![slot]);
            return;
        }
        let i = self.chunk_of(slot);
        let chunk = &mut self.chunks[i];
        let pos = chunk.partition_point(|s| *s < slot);
        if chunk.get(pos) == Some(&slot) {
            return;
        }
        chunk.insert(pos, slot);
        if chunk.len() > CHUNK {
            let tail = chunk.split_off(CHUNK / 2);
            self.chunks.insert(i + 1, tail);
        }
    }

    fn remove(&mut self, slot: u32) {
        if self.chunks.is_empty() {
            return;
        }
        let i = self.chunk_of(slot);
        let chunk = &mut self.chunks[i];
        if let Ok(pos) = chunk.binary_search(&slot) {
            chunk.remove(pos);
            if chunk.is_empty() {
                self.chunks.remove(i);
            }
        }
    }

    /// The slots in `lo..hi`, ascending.
    fn range(&self, lo: usize, hi: usize) -> impl Iterator<Item = u32> + '_ {
        let first = self
            .chunks
            .partition_point(|c| c.last().is_some_and(|l| (*l as usize) < lo));
        self.chunks[first..]
            .iter()
            .take_while(move |c| c.first().is_some_and(|f| (*f as usize) < hi))
            .flat_map(move |c| {
                let from = c.partition_point(|s| (*s as usize) < lo);
                let to = c.partition_point(|s| (*s as usize) < hi);
                c[from..to].iter().copied()
            })
    }
}

/// The most the coverage part of a score can be.
const COVERAGE_MAX: u16 = 400;

/// An upper bound of the score on any product: full coverage, the enterprise's own high-value
/// and qualification parts, and the best term and freshest appraisal among its items (a bundle's
/// shortest term and oldest appraisal can only be worse; loans end after `as_of`).
fn score_bound(items: &[Item], high_value: u32, qualifications: u16, as_of: NaiveDate) -> u16 {
    if items.is_empty() {
        return 0;
    }
    let best = Score::of(ScoreInputs {
        credit_line: Money::from_fen(1).unwrap_or_default(),
        requested: Money::from_fen(1).unwrap_or_default(),
        high_value_patents: high_value,
        qualifications: qualifications.count_ones(),
        shortest_term_months: items
            .iter()
            .map(|i| i.expiry.map_or(120, |e| whole_months(as_of, e)))
            .max(),
        oldest_appraisal_days: items
            .iter()
            .map(|i| (as_of - i.appraised_on).num_days())
            .min(),
    });
    best.total
}

/// The figures of an enterprise most products reject on, kept apart from its row so that a
/// scan reads 16 bytes per enterprise instead of the whole row.
#[derive(Debug, Clone, Copy, Default)]
struct Hot {
    years: u16,
    valid_inventions: u16,
    /// Σ appraised values of its pledgeable items: no credit line can exceed it.
    value_fen: i64,
    /// The stated need (0: none).
    need_fen: i64,
    /// The score bound without its coverage part.
    rest: u16,
}

impl Hot {
    fn of(r: &Row) -> Self {
        Self {
            years: r.years.min(u32::from(u16::MAX)) as u16,
            valid_inventions: r.valid_inventions.min(u32::from(u16::MAX)) as u16,
            value_fen: r.items.iter().map(|i| i.value.fen()).sum(),
            need_fen: r.need.map_or(0, Money::fen),
            rest: r.bound.saturating_sub(COVERAGE_MAX),
        }
    }

    /// The best score `p` could give: the rest of the bound plus the coverage that the most
    /// its IP could be lent against would reach.
    fn score_bound(&self, p: &LoanProduct, plan: &Plan) -> i64 {
        let requested = if self.need_fen == 0 {
            p.amount_max.fen()
        } else {
            self.need_fen
                .max(p.amount_min.fen())
                .min(p.amount_max.fen())
        };
        let most = (self.value_fen.saturating_mul(i64::from(plan.max_rate)) / 10_000)
            .min(p.amount_max.fen())
            .min(requested);
        let coverage = if requested <= 0 {
            0
        } else {
            most.saturating_mul(i64::from(COVERAGE_MAX)) / requested
        };
        coverage + i64::from(self.rest)
    }

    /// False when the product surely refuses the enterprise; true says nothing.
    fn may_pass(&self, p: &LoanProduct, plan: &Plan) -> bool {
        self.years >= p.min_years_in_operation
            && self.valid_inventions >= p.min_valid_invention_patents
            && self.value_fen.saturating_mul(i64::from(plan.max_rate))
                >= p.amount_min.fen().saturating_mul(10_000)
    }
}

/// A product's rules compiled to masks and ranges.
#[derive(Debug, Clone)]
struct Plan {
    offered: bool,
    loan_end: NaiveDate,
    /// Inclusive-exclusive ranges of region numbers.
    regions: Vec<(u32, u32)>,
    quals_all: u16,
    quals_any: u16,
    flags: u8,
    /// Industry prefixes in upper case, compared without allocating.
    industries: Vec<String>,
    /// The highest pledge rate of any accepted kind, bp.
    max_rate: u16,
    /// The region and industry rules as reasons show them, shared by every explanation.
    region_need: Codes,
    industry_need: Codes,
}

impl Plan {
    fn new(p: &LoanProduct, as_of: NaiveDate) -> Self {
        let regions = p
            .region_prefixes
            .iter()
            .filter_map(|x| {
                let n: u32 = x.parse().ok()?;
                let scale = 10u32.checked_pow(6u32.checked_sub(x.len() as u32)?)?;
                Some((n * scale, (n + 1) * scale))
            })
            .collect();
        Self {
            offered: p.offered_on(as_of),
            loan_end: p.loan_end(as_of),
            regions,
            quals_all: p.qualifications_all.iter().fold(0, |m, k| m | qual_bit(*k)),
            quals_any: p.qualifications_any.iter().fold(0, |m, k| m | qual_bit(*k)),
            flags: p
                .excluded_risk_flags
                .iter()
                .fold(0, |m, k| m | flag_bit(*k)),
            industries: p
                .industry_prefixes
                .iter()
                .map(|x| x.to_uppercase())
                .collect(),
            max_rate: IpKind::ALL
                .iter()
                .filter_map(|k| p.pledge_rates.of(*k))
                .map(|r| r.get())
                .max()
                .unwrap_or(0),
            region_need: Codes::shared(&p.region_prefixes),
            industry_need: Codes::shared(&p.industry_prefixes),
        }
    }
}

/// How a match list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum SortBy {
    /// Score, then credit line, then USCC.
    #[default]
    Score,
    /// Credit line, then score, then USCC.
    CreditLine,
}

/// Where a match sits in its list: rows after a key are the ones ranked below it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RankKey {
    pub primary: i64,
    pub secondary: i64,
    /// Reversed so that, among equals, the smaller USCC ranks higher.
    pub uscc: Reverse<Uscc>,
}

impl RankKey {
    fn new(sort: SortBy, score: Score, credit_line: Money, uscc: &Uscc) -> Self {
        let (s, c) = (i64::from(score.total), credit_line.fen());
        let (primary, secondary) = match sort {
            SortBy::Score => (s, c),
            SortBy::CreditLine => (c, s),
        };
        Self {
            primary,
            secondary,
            uscc: Reverse(*uscc),
        }
    }
}

/// Filters and paging of a match list.
#[derive(Debug, Clone, Default)]
pub struct MatchQuery {
    pub park: Option<ParkCode>,
    pub region_prefix: Option<String>,
    pub industry_prefix: Option<String>,
    pub min_credit_line: Option<Money>,
    /// Only enterprises on the published white list, whatever the product requires (what a
    /// bank may see).
    pub listed_only: bool,
    pub sort: SortBy,
    /// Continue below this key (the last key of the previous page).
    pub after: Option<RankKey>,
    pub limit: usize,
}

/// One page of a product's eligible enterprises, best first.
#[derive(Debug, Clone)]
pub struct MatchPage {
    /// Eligible enterprises passing the filters, on all pages; `None` when the list was read
    /// only as far as its best rows.
    pub total: Option<u32>,
    pub items: Vec<(RankKey, Evaluation)>,
    /// The key to continue after, when there are more.
    pub next: Option<RankKey>,
}

/// A pair whose eligibility changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairChange {
    pub product_id: i64,
    pub uscc: Uscc,
    /// `true`: became eligible; `false`: lost eligibility.
    pub gained: bool,
}

/// One product's answer for one enterprise, without its reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub product_id: i64,
    pub eligible: bool,
    /// Zero when not eligible.
    pub credit_line: Money,
    /// The score's total; zero when not eligible.
    pub score: u16,
}

/// How many enterprises a draft product would match, in total and per park.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Preview {
    pub eligible: u32,
    pub by_park: BTreeMap<ParkCode, u32>,
    /// Σ credit lines of the eligible enterprises.
    pub credit_lines: Money,
}

/// A park's enterprises in the index.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParkFigures {
    pub registered: u32,
    pub listed: u32,
    /// Listed and eligible for at least one offered product.
    pub matched: u32,
}

/// The in-memory index of enterprises, their pledgeable IP and the products, as of one day.
#[derive(Debug, Clone)]
pub struct Index {
    as_of: NaiveDate,
    rows: Vec<Row>,
    slots: HashMap<Uscc, usize>,
    /// Slots below this are ordered by region; later ones were appended by updates.
    sorted: usize,
    alive: BitSet,
    listed: BitSet,
    quals: Vec<BitSet>,
    flags: Vec<BitSet>,
    /// By industry section (`C`) and division (`C35`).
    industries: HashMap<String, BitSet>,
    /// Every product with its plan, by its column (see [`Eligibility`]).
    entries: Vec<Option<(Product, Plan)>>,
    /// What decides most rejections, per slot, without touching the row.
    hot: Vec<Hot>,
    /// Live slots by the best score they could reach.
    by_score: Buckets,
    /// Live slots by the appraised value of their pledgeable IP (log scale).
    by_value: Buckets,
    ordered_from: usize,
    /// Every enterprise's eligible products.
    eligibility: Eligibility,
    /// Broad products' first rows.
    kept: KeptLists,
    /// Rows per kept list.
    keep_rows: usize,
}

/// Gathers the enterprises of an index one holding at a time, so that a caller reading them in
/// parts need not hold every holding at once.
#[derive(Debug)]
pub struct IndexBuilder {
    as_of: NaiveDate,
    rows: HashMap<Uscc, Row>,
}

impl IndexBuilder {
    /// An index of nothing yet, as of `as_of`.
    pub fn new(as_of: NaiveDate) -> Self {
        Self {
            as_of,
            rows: HashMap::new(),
        }
    }

    /// Adds an enterprise with everything it holds (a later one of the same USCC replaces it).
    pub fn add(&mut self, h: &Holding) {
        let row = Row::new(h, self.as_of);
        self.rows.insert(row.uscc, row);
    }

    /// The index of the enterprises added and `products`.
    pub fn build(self, products: impl IntoIterator<Item = Product>) -> Index {
        Index::of_rows(self.as_of, self.rows, products)
    }
}

/// `f` of every item, the items shared among the cores.
fn on_every_core<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let share = items.len().div_ceil(threads).max(1);
    let f = &f;
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(share)
            .map(|chunk| scope.spawn(move || chunk.iter().map(f).collect::<Vec<R>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    })
}

/// The enterprise-level rules of a product as bitsets, ANDed word by word.
struct Filter<'a> {
    alive: &'a BitSet,
    listed: Option<&'a BitSet>,
    all: Vec<&'a BitSet>,
    any: Vec<&'a BitSet>,
    flags: Vec<&'a BitSet>,
    /// `None`: any industry.
    industries: Option<Vec<&'a BitSet>>,
}

impl Filter<'_> {
    /// The 64 slots of word `w` that pass.
    fn word(&self, w: usize) -> u64 {
        let mut bits = self.alive.word(w);
        if let Some(l) = self.listed {
            bits &= l.word(w);
        }
        for b in &self.all {
            bits &= b.word(w);
        }
        if !self.any.is_empty() {
            bits &= self.any.iter().fold(0, |m, b| m | b.word(w));
        }
        for b in &self.flags {
            bits &= !b.word(w);
        }
        if let Some(ind) = &self.industries {
            bits &= ind.iter().fold(0, |m, b| m | b.word(w));
        }
        bits
    }

    fn admits(&self, slot: usize) -> bool {
        self.word(slot / 64) >> (slot % 64) & 1 == 1
    }
}

/// The bitset keys of an industry code: its section and, when it has one, its division.
fn industry_keys(code: &str) -> impl Iterator<Item = &str> {
    [code.get(..1), code.get(..3)].into_iter().flatten()
}

/// The best `limit` keys seen, and how many were seen.
struct TopK {
    heap: BinaryHeap<Reverse<(RankKey, usize)>>,
    limit: usize,
    /// Eligible rows passing the filters.
    total: u32,
    /// Of those, the ones ranked below the cursor.
    below: usize,
}

impl TopK {
    fn new(limit: usize) -> Self {
        Self {
            heap: BinaryHeap::with_capacity(limit + 1),
            limit,
            total: 0,
            below: 0,
        }
    }

    fn offer(&mut self, key: RankKey, slot: usize) {
        self.below += 1;
        if self.heap.len() < self.limit {
            self.heap.push(Reverse((key, slot)));
        } else if self
            .heap
            .peek()
            .is_some_and(|Reverse((worst, _))| &key > worst)
        {
            self.heap.pop();
            self.heap.push(Reverse((key, slot)));
        }
    }

    /// The page is full and it is known whether more rows follow it.
    fn complete(&self) -> bool {
        self.heap.len() == self.limit && self.below > self.limit
    }

    /// Whether the page is complete and its worst row ranks above anything that reaches at
    /// most `(primary, secondary)`.
    fn beats(&self, (primary, secondary): (i64, i64)) -> bool {
        self.complete()
            && self
                .heap
                .peek()
                .is_some_and(|Reverse((k, _))| (primary, secondary) < (k.primary, k.secondary))
    }
}

/// A product's best rows for a query, before they are explained.
struct Ranked {
    best: Vec<(RankKey, usize)>,
    /// Eligible rows seen below the cursor.
    below: usize,
    /// Eligible rows passing the filters (when `counted`).
    total: u32,
    counted: bool,
}

/// The outcome of the exact rules for one slot, without explanations.
#[derive(Debug, Clone, Copy)]
struct Verdict {
    score: Score,
    credit_line: Money,
}

impl Index {
    /// Builds the index of `holdings` and `products` as of `as_of` (a later holding of the same
    /// USCC replaces an earlier one).
    pub fn build(
        as_of: NaiveDate,
        holdings: impl IntoIterator<Item = Holding>,
        products: impl IntoIterator<Item = Product>,
    ) -> Self {
        let mut builder = IndexBuilder::new(as_of);
        for h in holdings {
            builder.add(&h);
        }
        builder.build(products)
    }

    fn of_rows(
        as_of: NaiveDate,
        by_uscc: HashMap<Uscc, Row>,
        products: impl IntoIterator<Item = Product>,
    ) -> Self {
        let mut rows: Vec<Row> = by_uscc.into_values().collect();
        rows.sort_by(|a, b| (a.region_num, &a.uscc).cmp(&(b.region_num, &b.uscc)));
        let mut index = Self {
            as_of,
            sorted: rows.len(),
            slots: HashMap::with_capacity(rows.len()),
            rows: Vec::with_capacity(rows.len()),
            alive: BitSet::default(),
            listed: BitSet::default(),
            quals: vec![BitSet::default(); QualificationKind::ALL.len()],
            flags: vec![BitSet::default(); RiskFlagKind::ALL.len()],
            industries: HashMap::new(),
            entries: Vec::new(),
            by_score: Buckets::new(usize::from(MAX_SCORE) + 1),
            by_value: Buckets::new(VALUE_BUCKETS),
            hot: Vec::new(),
            ordered_from: 16_384,
            eligibility: Eligibility::new(),
            kept: KeptLists::default(),
            keep_rows: KEEP,
        };
        for row in rows {
            index.push(row);
        }
        let mut placed = Vec::new();
        for product in products {
            let plan = Plan::new(&product.rules, as_of);
            let col = index.eligibility.place(&product, &plan);
            placed.push((product.id, col));
            index.set_entry(col, product, plan);
        }
        let columns = on_every_core(&placed, |(id, col)| (*col, index.column(*id)));
        for (col, slots) in columns {
            for slot in slots {
                index.eligibility.set(slot as usize, col, true);
            }
        }
        index.keep_all();
        index
    }

    /// Fills every offered product's kept lists.
    fn keep_all(&mut self) {
        let counts = self.counts();
        let ids: Vec<(i64, (u32, u32))> = self
            .eligibility
            .by_id()
            .iter()
            .map(|(id, col, _)| (*id, counts[*col]))
            .collect();
        let lists = on_every_core(&ids, |(id, n)| (*id, self.keep(*id, *n)));
        self.kept.clear();
        for (id, l) in lists {
            self.kept.set(id, l);
        }
    }

    /// An offered product's lists, filled from the scan, given how many enterprises are
    /// eligible for it, in all and listed.
    fn keep(&self, id: i64, (all, listed): (u32, u32)) -> Vec<(Shape, Kept)> {
        let Some((product, plan)) = self.entry(id) else {
            return Vec::new();
        };
        if !plan.offered {
            return Vec::new();
        }
        Shape::all(product.rules.whitelist_required)
            .map(|shape| {
                let mut kept = self.fill(product, plan, shape);
                kept.count = if shape.listed_only { listed } else { all };
                (shape, kept)
            })
            .collect()
    }

    /// Eligible enterprises per column, in all and listed.
    fn counts(&self) -> Vec<(u32, u32)> {
        let mut out = vec![(0, 0); self.eligibility.stride() * 64];
        for (slot, r) in self.rows.iter().enumerate() {
            each_col(self.eligibility.row(slot), |col| {
                out[col].0 += 1;
                out[col].1 += u32::from(r.listed);
            });
        }
        out
    }

    /// A list's rows from the scan; its count is left to the caller.
    fn fill(&self, product: &Product, plan: &Plan, shape: Shape) -> Kept {
        let q = MatchQuery {
            sort: shape.sort,
            listed_only: shape.listed_only,
            limit: self.keep_rows,
            ..MatchQuery::default()
        };
        let ranked = self.rank(product, plan, &q);
        let complete = ranked.below <= ranked.best.len();
        let (keys, slots) = ranked
            .best
            .into_iter()
            .map(|(k, slot)| (k, slot as u32))
            .unzip();
        Kept {
            keys,
            slots,
            complete,
            count: 0,
        }
    }

    /// Follows an enterprise's change (from slot `old`, now in `slot`) in the kept lists of
    /// the products it was or is eligible for.
    fn follow_kept(
        &mut self,
        old: Option<(usize, bool)>,
        slot: usize,
        before: &[u64],
        after: &[u64],
        verdicts: &[(usize, Verdict)],
    ) {
        let either: Vec<u64> = before.iter().zip(after).map(|(b, a)| b | a).collect();
        let mut kept = std::mem::take(&mut self.kept);
        let mut thin = Vec::new();
        let r = &self.rows[slot];
        each_col(&either, |col| {
            let Some(id) = self.eligibility.id(col) else {
                return;
            };
            let Some(lists) = kept.of_product(id) else {
                return;
            };
            let (was, is) = (
                before[col / 64] >> (col % 64) & 1 == 1,
                after[col / 64] >> (col % 64) & 1 == 1,
            );
            let verdict = if is {
                verdicts
                    .binary_search_by_key(&col, |(c, _)| *c)
                    .ok()
                    .map(|at| verdicts[at].1)
            } else {
                None
            };
            for (shape, list) in lists.iter_mut() {
                let counted_before = was && old.is_some_and(|(_, l)| l || !shape.listed_only);
                let counted_after = is && (r.listed || !shape.listed_only);
                list.count = (list.count + u32::from(counted_after))
                    .saturating_sub(u32::from(counted_before));
                let new = verdict
                    .as_ref()
                    .filter(|_| !shape.listed_only || r.listed)
                    .map(|v| {
                        let key = RankKey::new(shape.sort, v.score, v.credit_line, &r.uscc);
                        (key, slot as u32)
                    });
                list.follow(old.map(|(o, _)| o as u32), new, self.keep_rows);
                if !list.complete && list.len() <= (self.keep_rows / 2).min(kept::PAGE) {
                    thin.push((id, *shape));
                }
            }
        });
        for (id, shape) in thin {
            if let Some((product, plan)) = self.entry(id) {
                kept.replace(id, shape, self.fill(product, plan, shape));
            }
        }
        self.kept = kept;
    }

    /// The slots eligible for a product, computed from its rules.
    fn column(&self, id: i64) -> Vec<u32> {
        let mut out = Vec::new();
        let Some((product, plan)) = self.entry(id) else {
            return out;
        };
        let mut scratch = Vec::new();
        if plan.offered {
            self.candidates(&product.rules, plan, |slot| {
                if self.hot[slot].may_pass(&product.rules, plan)
                    && self
                        .decide(&self.rows[slot], &product.rules, plan, &mut scratch)
                        .is_some()
                {
                    out.push(slot as u32);
                }
            });
        }
        out
    }

    /// The eligible products of a slot as its row of columns: the product-side bitsets first,
    /// the exact rules on the columns they leave.
    fn judge(&self, slot: usize, out: &mut Vec<u64>, verdicts: &mut Vec<(usize, Verdict)>) {
        let (r, hot) = (&self.rows[slot], &self.hot[slot]);
        self.eligibility.candidates(r, hot, out);
        let mut scratch = Vec::new();
        for (w, word) in out.iter_mut().enumerate() {
            let mut bits = *word;
            while bits != 0 {
                let col = w * 64 + bits.trailing_zeros() as usize;
                let keep = self
                    .eligibility
                    .id(col)
                    .and(self.at(col))
                    .and_then(|(p, plan)| {
                        if !hot.may_pass(&p.rules, plan) {
                            return None;
                        }
                        self.decide(r, &p.rules, plan, &mut scratch)
                    })
                    .map(|v| verdicts.push((col, v)))
                    .is_some();
                if !keep {
                    *word &= !(1u64 << (col % 64));
                }
                bits &= bits - 1;
            }
        }
    }

    /// A product and its plan, by id.
    fn entry(&self, id: i64) -> Option<&(Product, Plan)> {
        self.at(self.eligibility.col(id)?)
    }

    /// The product and plan of a column.
    fn at(&self, col: usize) -> Option<&(Product, Plan)> {
        self.entries.get(col)?.as_ref()
    }

    fn set_entry(&mut self, col: usize, product: Product, plan: Plan) {
        if self.entries.len() <= col {
            self.entries.resize(col + 1, None);
        }
        self.entries[col] = Some((product, plan));
    }

    /// Every product and its plan, in id order.
    fn by_id(&self) -> impl Iterator<Item = &(Product, Plan)> {
        self.eligibility
            .by_id()
            .iter()
            .filter_map(|(_, col, _)| self.at(*col))
    }

    /// The day every answer is for.
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// Enterprises indexed.
    pub fn enterprises(&self) -> usize {
        self.slots.len()
    }

    /// Approximate bytes held by the index.
    pub fn memory_bytes(&self) -> usize {
        let items: usize = self
            .rows
            .iter()
            .map(|r| r.items.capacity() * std::mem::size_of::<Item>() + r.items.len() * 16 + 64)
            .sum();
        let bits: usize = [&self.alive, &self.listed]
            .into_iter()
            .chain(&self.quals)
            .chain(&self.flags)
            .chain(self.industries.values())
            .map(BitSet::bytes)
            .sum();
        self.rows.capacity() * std::mem::size_of::<Row>()
            + items
            + bits
            + self.eligibility.bytes()
            + self.kept.bytes()
            + self.slots.capacity() * (std::mem::size_of::<(Uscc, usize)>() + 24)
    }

    fn push(&mut self, row: Row) -> usize {
        let slot = self.rows.len();
        self.slots.insert(row.uscc, slot);
        self.rows.push(row);
        self.mark(slot, true);
        slot
    }

    fn mark(&mut self, slot: usize, alive: bool) {
        if self.hot.len() <= slot {
            self.hot.resize(slot + 1, Hot::default());
        }
        self.hot[slot] = Hot::of(&self.rows[slot]);
        self.place(slot, alive);
        if !alive {
            self.eligibility.clear_row(slot);
        }
        let r = &self.rows[slot];
        self.alive.set(slot, alive);
        self.listed.set(slot, alive && r.listed);
        for (i, k) in QualificationKind::ALL.iter().enumerate() {
            self.quals[i].set(slot, alive && r.qualifications & qual_bit(*k) != 0);
        }
        for (i, k) in RiskFlagKind::ALL.iter().enumerate() {
            self.flags[i].set(slot, alive && r.flags & flag_bit(*k) != 0);
        }
        for key in industry_keys(r.industry.as_str()) {
            match self.industries.get_mut(key) {
                Some(set) => set.set(slot, alive),
                None => self
                    .industries
                    .entry(key.to_owned())
                    .or_default()
                    .set(slot, alive),
            }
        }
    }

    /// Files a live slot under its best possible score and its IP's value (or takes it out).
    fn place(&mut self, slot: usize, alive: bool) {
        let score = alive.then(|| usize::from(self.rows[slot].bound.min(MAX_SCORE)));
        let value = alive.then(|| value_bucket(self.hot[slot].value_fen));
        self.by_score.file(slot, score);
        self.by_value.file(slot, value);
    }

    /// Adds or replaces a product (its eligible pairs change with it).
    pub fn upsert_product(&mut self, product: Product) {
        let plan = Plan::new(&product.rules, self.as_of);
        let (id, col) = (product.id, self.eligibility.place(&product, &plan));
        self.set_entry(col, product, plan);
        let slots = self.column(id);
        let listed = slots
            .iter()
            .filter(|s| self.rows[**s as usize].listed)
            .count();
        let counts = (slots.len() as u32, listed as u32);
        for slot in slots {
            self.eligibility.set(slot as usize, col, true);
        }
        let lists = self.keep(id, counts);
        self.kept.set(id, lists);
    }

    /// Drops a product (withdrawn products match nobody).
    pub fn remove_product(&mut self, id: i64) {
        if let Some(entry) = self
            .eligibility
            .col(id)
            .and_then(|c| self.entries.get_mut(c))
        {
            *entry = None;
        }
        self.eligibility.remove(id);
        self.kept.set(id, Vec::new());
    }

    /// The park of an indexed enterprise and whether it is on the published white list.
    pub fn enterprise(&self, uscc: &Uscc) -> Option<(&ParkCode, bool)> {
        let r = &self.rows[*self.slots.get(uscc)?];
        Some((&r.park, r.listed))
    }

    /// A product, if indexed.
    pub fn product(&self, id: i64) -> Option<&Product> {
        self.entry(id).map(|(p, _)| p)
    }

    /// Adds or replaces an enterprise with everything it holds, and returns the (enterprise,
    /// product) pairs that gained or lost eligibility.
    pub fn upsert_enterprise(&mut self, holding: &Holding) -> Vec<PairChange> {
        let uscc = &holding.enterprise.uscc;
        let mut before = vec![0; self.eligibility.stride()];
        let old = self.slots.get(uscc).map(|s| (*s, self.rows[*s].listed));
        if let Some((s, _)) = old
            && let Some(row) = self.eligibility.row(s).get(..before.len())
        {
            before.copy_from_slice(row);
        }
        let row = Row::new(holding, self.as_of);
        let slot = match self.slots.get(uscc).copied() {
            Some(s) if s >= self.sorted || self.rows[s].region_num == row.region_num => {
                // Marking the slot again sets every bit of the new row and moves it between
                // buckets only if it changed bucket; only an industry left behind is cleared.
                if self.rows[s].industry != row.industry {
                    self.mark(s, false);
                }
                self.rows[s] = row;
                self.mark(s, true);
                s
            }
            Some(s) => {
                // The region moved: the old slot would break the region order.
                self.mark(s, false);
                self.push(row)
            }
            None => self.push(row),
        };
        let mut after = Vec::new();
        let mut verdicts = Vec::new();
        self.judge(slot, &mut after, &mut verdicts);
        self.eligibility.set_row(slot, &after);
        self.follow_kept(old, slot, &before, &after, &verdicts);
        let moved: Vec<u64> = before.iter().zip(&after).map(|(b, a)| b ^ a).collect();
        let mut changes = Vec::new();
        each_col(&moved, |col| {
            if let Some(product_id) = self.eligibility.id(col) {
                changes.push(PairChange {
                    product_id,
                    uscc: *uscc,
                    gained: after[col / 64] >> (col % 64) & 1 == 1,
                });
            }
        });
        changes.sort_by_key(|c| c.product_id);
        changes
    }

    /// Slot ranges that can hold enterprises of the plan's regions (all slots without a rule).
    fn ranges(&self, plan: &Plan) -> Vec<(usize, usize)> {
        let n = self.rows.len();
        if plan.regions.is_empty() {
            return vec![(0, n)];
        }
        let sorted = &self.rows[..self.sorted];
        let mut ranges: Vec<(usize, usize)> = plan
            .regions
            .iter()
            .map(|(lo, hi)| {
                (
                    sorted.partition_point(|r| r.region_num < *lo),
                    sorted.partition_point(|r| r.region_num < *hi),
                )
            })
            .filter(|(a, b)| a < b)
            .collect();
        ranges.push((self.sorted, n));
        ranges.retain(|(a, b)| a < b);
        ranges.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
        for (a, b) in ranges {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        merged
    }

    /// The bitsets of a product's enterprise-level rules.
    fn filter<'a>(&'a self, p: &LoanProduct, plan: &Plan) -> Filter<'a> {
        let pick = |mask: u16| -> Vec<&'a BitSet> {
            QualificationKind::ALL
                .iter()
                .enumerate()
                .filter(|(_, k)| mask & qual_bit(**k) != 0)
                .map(|(i, _)| &self.quals[i])
                .collect()
        };
        Filter {
            alive: &self.alive,
            listed: p.whitelist_required.then_some(&self.listed),
            all: pick(plan.quals_all),
            any: pick(plan.quals_any),
            flags: RiskFlagKind::ALL
                .iter()
                .enumerate()
                .filter(|(_, k)| plan.flags & flag_bit(**k) != 0)
                .map(|(i, _)| &self.flags[i])
                .collect(),
            industries: (!plan.industries.is_empty()).then(|| {
                plan.industries
                    .iter()
                    .filter_map(|x| self.industries.get(industry_keys(x).last()?))
                    .collect()
            }),
        }
    }

    /// Calls `f` with every live slot the bitsets cannot rule out for `product`.
    fn candidates(&self, p: &LoanProduct, plan: &Plan, mut f: impl FnMut(usize)) {
        let filter = self.filter(p, plan);
        for (lo, hi) in self.ranges(plan) {
            let mut w = lo / 64;
            while w * 64 < hi {
                let mut bits = filter.word(w);
                if w * 64 < lo {
                    bits &= !0u64 << (lo % 64);
                }
                if (w + 1) * 64 > hi {
                    bits &= !0u64 >> (64 - (hi - w * 64));
                }
                while bits != 0 {
                    f(w * 64 + bits.trailing_zeros() as usize);
                    bits &= bits - 1;
                }
                w += 1;
            }
        }
    }

    /// Every rule, exactly, for one slot; `None` on the first failure. `scratch` holds the
    /// fitting items as (pledge value, item position).
    fn decide(
        &self,
        r: &Row,
        p: &LoanProduct,
        plan: &Plan,
        scratch: &mut Vec<(Money, usize)>,
    ) -> Option<Verdict> {
        let ok = row_passes(self, r, p, plan);
        if !ok {
            return None;
        }
        let requested = bundle_target(p, r.need);
        let (total, taken) = self.select(r, p, plan.loan_end, requested, scratch);
        let credit_line = total.min(p.amount_max);
        if !bundle_passes(p, r, total, taken, credit_line) {
            return None;
        }
        let chosen = &scratch[..taken];
        let score = self.score(r, plan, credit_line, requested, chosen);
        Some(Verdict { score, credit_line })
    }

    /// Fills `scratch` with the items that fit `p` as (pledge value, position) in choice
    /// order, and returns the total and the number of the first ones the bundle takes: the
    /// fewest that reach `requested` (see [`PledgeBundle::choose`]).
    fn select(
        &self,
        r: &Row,
        p: &LoanProduct,
        loan_end: NaiveDate,
        requested: Money,
        scratch: &mut Vec<(Money, usize)>,
    ) -> (Money, usize) {
        scratch.clear();
        for (i, item) in r.items.iter().enumerate() {
            if let Some(value) = self.pledge_value(item, p, loan_end) {
                scratch.push((value, i));
            }
        }
        // Items are kept in IpRef order, so the position breaks ties as bundle_order does.
        scratch.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut total = Money::ZERO;
        let mut taken = 0;
        for (value, _) in scratch.iter() {
            if total >= requested {
                break;
            }
            total = total.checked_add(*value).unwrap_or(total);
            taken += 1;
        }
        (total, taken)
    }

    /// The pledge value of `item` under `p` for a loan ending `loan_end`, if it fits.
    fn pledge_value(&self, item: &Item, p: &LoanProduct, loan_end: NaiveDate) -> Option<Money> {
        let rate = p.pledge_rates.of(item.kind)?;
        if item.last_loan_end < loan_end || (p.no_prior_pledge && item.ever_pledged) {
            return None;
        }
        if let Some(expiry) = item.expiry
            && whole_months(loan_end, expiry) < u32::from(p.min_remaining_months)
        {
            return None;
        }
        Some(item.value.times(rate)).filter(|v| v.fen() > 0)
    }

    fn score(
        &self,
        r: &Row,
        plan: &Plan,
        credit_line: Money,
        requested: Money,
        chosen: &[(Money, usize)],
    ) -> Score {
        Score::of(ScoreInputs {
            credit_line,
            requested,
            high_value_patents: r.high_value,
            qualifications: r.qualifications.count_ones(),
            shortest_term_months: chosen
                .iter()
                .map(|(_, i)| {
                    r.items[*i]
                        .expiry
                        .map_or(120, |e| whole_months(plan.loan_end, e))
                })
                .min(),
            oldest_appraisal_days: chosen
                .iter()
                .map(|(_, i)| (self.as_of - r.items[*i].appraised_on).num_days())
                .max(),
        })
    }

    /// The full answer for one slot: every failed rule with its figures, the bundle, the
    /// credit line and the score.
    fn explain_row(
        &self,
        r: &Row,
        product: &Product,
        plan: &Plan,
        scratch: &mut Vec<(Money, usize)>,
    ) -> Evaluation {
        let p = &product.rules;
        let mut reasons = Vec::new();
        row_failures(self, r, p, plan, &mut reasons);
        let requested = bundle_target(p, r.need);
        let (total, taken) = self.select(r, p, plan.loan_end, requested, scratch);
        let items = scratch[..taken]
            .iter()
            .filter_map(|(value, i)| {
                let item = &r.items[*i];
                Some(BundleItem {
                    ip: item.ip.clone(),
                    kind: item.kind,
                    appraised_value: item.value,
                    appraised_on: item.appraised_on,
                    appraisal_valid_until: item.appraisal_valid_until,
                    pledge_rate: p.pledge_rates.of(item.kind)?,
                    pledge_value: *value,
                    remaining_months_after_loan: item
                        .expiry
                        .map(|e| whole_months(plan.loan_end, e)),
                    high_value: item.high_value,
                })
            })
            .collect();
        let bundle = PledgeBundle {
            items,
            total,
            left_free: (scratch.len() - taken) as u32,
        };
        let credit_line = bundle.total.min(p.amount_max);
        bundle_failures(p, r, bundle.total, taken, credit_line, &mut reasons);
        let score = self.score(r, plan, credit_line, requested, &scratch[..taken]);
        Evaluation {
            uscc: r.uscc,
            product_id: product.id,
            as_of: self.as_of,
            loan_end: plan.loan_end,
            eligible: reasons.is_empty(),
            reasons,
            requested,
            bundle,
            credit_line,
            score,
        }
    }

    /// The full explanation of one pair; `None` for an unknown product or enterprise.
    pub fn explain(&self, product_id: i64, uscc: &Uscc) -> Option<Evaluation> {
        let (product, plan) = self.entry(product_id)?;
        let slot = *self.slots.get(uscc)?;
        Some(self.explain_row(&self.rows[slot], product, plan, &mut Vec::new()))
    }

    /// Near misses: the listed enterprises that fail exactly one rule of the product (not its
    /// being off offer), in USCC order after `after`, at most `limit`, with the USCC to go on
    /// after when there may be more; `None` for an unknown product.
    pub fn near_misses(
        &self,
        product_id: i64,
        after: Option<&Uscc>,
        limit: usize,
    ) -> Option<(Vec<Evaluation>, Option<Uscc>)> {
        let (product, plan) = self.entry(product_id)?;
        let mut listed: Vec<(Uscc, usize)> = self
            .slots
            .iter()
            .filter(|(_, slot)| self.rows[**slot].listed)
            .map(|(uscc, slot)| (*uscc, *slot))
            .collect();
        listed.sort_unstable_by_key(|(uscc, _)| *uscc);
        let start = after.map_or(0, |a| listed.partition_point(|(uscc, _)| uscc <= a));
        let mut out: Vec<Evaluation> = Vec::new();
        let mut scratch = Vec::new();
        for (_, slot) in &listed[start..] {
            let e = self.explain_row(&self.rows[*slot], product, plan, &mut scratch);
            let one_rule = matches!(e.reasons.as_slice(), [r] if r.code() != "product_not_offered");
            if !e.eligible && one_rule {
                if out.len() == limit {
                    let next = out.last().map(|e| e.uscc);
                    return Some((out, next));
                }
                out.push(e);
            }
        }
        Some((out, None))
    }

    /// The gap analysis of one enterprise: every product (only published ones unless
    /// `drafts_too`), eligible or not, with reasons; `None` for an unknown enterprise.
    pub fn enterprise_view(&self, uscc: &Uscc, drafts_too: bool) -> Option<Vec<Evaluation>> {
        let slot = *self.slots.get(uscc)?;
        let r = &self.rows[slot];
        let mut scratch = Vec::new();
        Some(
            self.by_id()
                .filter(|(p, _)| drafts_too || p.published)
                .map(|(p, plan)| self.explain_row(r, p, plan, &mut scratch))
                .collect(),
        )
    }

    /// The product's eligible enterprises passing `q`, best first, one page; `None` for an
    /// unknown product.
    ///
    /// A query without park, region, industry or least credit line is read from the product's
    /// kept rows when they hold its page, with the exact total. Otherwise two ways through:
    /// when the product's rules or the query narrow the candidates (a region,
    /// a park, or few enterprises), every candidate is judged and the total is exact. A broad
    /// product sorted by score is read in order of each enterprise's best possible score and
    /// stops once no later enterprise can reach the page; its total is then not counted.
    pub fn matches(&self, product_id: i64, q: &MatchQuery) -> Option<MatchPage> {
        let (product, plan) = self.entry(product_id)?;
        let mut scratch = Vec::new();
        let plain = q.park.is_none()
            && q.region_prefix.is_none()
            && q.industry_prefix.is_none()
            && q.min_credit_line.is_none();
        let shape = Shape::of(q.sort, q.listed_only, product.rules.whitelist_required);
        if plain
            && let Some(kept) = self.kept.get(product_id, shape)
            && let Some((keys, slots, more)) = kept.page(q.after.as_ref(), q.limit.max(1))
        {
            let items: Vec<(RankKey, Evaluation)> = keys
                .iter()
                .zip(slots)
                .map(|(key, slot)| {
                    let r = &self.rows[*slot as usize];
                    (
                        key.clone(),
                        self.explain_row(r, product, plan, &mut scratch),
                    )
                })
                .collect();
            let next = more.then(|| items.last().map(|(k, _)| k.clone())).flatten();
            return Some(MatchPage {
                total: Some(kept.count),
                items,
                next,
            });
        }
        let Ranked {
            best,
            below,
            total,
            counted,
        } = self.rank(product, plan, q);
        let items: Vec<(RankKey, Evaluation)> = best
            .into_iter()
            .map(|(key, slot)| {
                let e = self.explain_row(&self.rows[slot], product, plan, &mut scratch);
                (key, e)
            })
            .collect();
        let next = (below > items.len())
            .then(|| items.last().map(|(k, _)| k.clone()))
            .flatten();
        Some(MatchPage {
            total: counted.then_some(total),
            items,
            next,
        })
    }

    /// The best `q.limit` rows of a product's list, best first, with how many eligible rows
    /// were seen below the cursor and in all.
    fn rank(&self, product: &Product, plan: &Plan, q: &MatchQuery) -> Ranked {
        let p = &product.rules;
        let mut top = TopK::new(q.limit.max(1));
        let mut scratch = Vec::new();
        let mut counted = true;
        if plan.offered {
            let ranges = self.ranges(plan);
            let span: usize = ranges.iter().map(|(a, b)| b - a).sum();
            let broad = q.park.is_none() && q.region_prefix.is_none() && span >= self.ordered_from;
            if broad {
                counted = false;
                let filter = self.filter(p, plan);
                // Each order with the most a bucket (and a slot in it) could reach: a score,
                // or a credit line then a score.
                let by_score = q.sort == SortBy::Score;
                let buckets = if by_score {
                    &self.by_score
                } else {
                    &self.by_value
                };
                let ceiling = |b: usize| {
                    if by_score {
                        (b as i64, i64::MAX)
                    } else {
                        (credit_ceiling(value_ceiling(b), p, plan), i64::MAX)
                    }
                };
                let reach = |slot: usize| {
                    let h = &self.hot[slot];
                    if by_score {
                        (h.score_bound(p, plan), i64::MAX)
                    } else {
                        (credit_ceiling(h.value_fen, p, plan), h.score_bound(p, plan))
                    }
                };
                'buckets: for (b, bucket) in buckets.lists.iter().enumerate().rev() {
                    let most = ceiling(b);
                    if top.beats(most) {
                        break;
                    }
                    for (lo, hi) in &ranges {
                        for slot in bucket.range(*lo, *hi) {
                            let slot = slot as usize;
                            if filter.admits(slot) && !top.beats(reach(slot)) {
                                self.consider(slot, p, plan, q, &mut scratch, &mut top);
                                if top.beats(most) {
                                    break 'buckets;
                                }
                            }
                        }
                    }
                }
            } else {
                self.candidates(p, plan, |slot| {
                    self.consider(slot, p, plan, q, &mut scratch, &mut top);
                });
            }
        }
        let TopK {
            heap, below, total, ..
        } = top;
        let mut best: Vec<(RankKey, usize)> = heap.into_iter().map(|Reverse(x)| x).collect();
        best.sort_by(|a, b| b.0.cmp(&a.0));
        Ranked {
            best,
            below,
            total,
            counted,
        }
    }

    /// Judges one slot for a match list and offers it to the page.
    fn consider(
        &self,
        slot: usize,
        p: &LoanProduct,
        plan: &Plan,
        q: &MatchQuery,
        scratch: &mut Vec<(Money, usize)>,
        top: &mut TopK,
    ) {
        if !self.hot[slot].may_pass(p, plan) {
            return;
        }
        let r = &self.rows[slot];
        let passes = (!q.listed_only || r.listed)
            && q.park.as_ref().is_none_or(|x| &r.park == x)
            && q.region_prefix
                .as_deref()
                .is_none_or(|x| r.region.is_within(x))
            && q.industry_prefix
                .as_deref()
                .is_none_or(|x| r.industry.as_str().starts_with(x));
        if !passes {
            return;
        }
        let Some(v) = self.decide(r, p, plan, scratch) else {
            return;
        };
        if q.min_credit_line.is_some_and(|m| v.credit_line < m) {
            return;
        }
        top.total += 1;
        let key = RankKey::new(q.sort, v.score, v.credit_line, &r.uscc);
        if q.after.as_ref().is_some_and(|a| &key >= a) {
            return;
        }
        top.offer(key, slot);
    }

    /// From how many candidate slots on a broad product's list is read in score order
    /// (tests lower it to exercise that path on small data).
    pub fn set_ordered_scan_from(&mut self, slots: usize) {
        if self.ordered_from != slots {
            self.ordered_from = slots;
            self.keep_all();
        }
    }

    /// How many rows each kept list holds (tests lower it so that lists thin out and are
    /// refilled on small data).
    pub fn set_kept_rows(&mut self, rows: usize) {
        if self.keep_rows != rows.max(1) {
            self.keep_rows = rows.max(1);
            self.keep_all();
        }
    }

    /// How many enterprises the rules of a draft would match, by park, without saving it
    /// (only listed ones with `listed_only`).
    pub fn preview(&self, rules: &LoanProduct, listed_only: bool) -> Preview {
        let plan = Plan::new(rules, self.as_of);
        let mut out = Preview::default();
        let mut scratch = Vec::new();
        if plan.offered {
            self.candidates(rules, &plan, |slot| {
                let r = &self.rows[slot];
                if listed_only && !r.listed {
                    return;
                }
                if let Some(v) = self.decide(r, rules, &plan, &mut scratch) {
                    out.eligible += 1;
                    *out.by_park.entry(r.park.clone()).or_default() += 1;
                    out.credit_lines = out
                        .credit_lines
                        .checked_add(v.credit_line)
                        .unwrap_or(out.credit_lines);
                }
            });
        }
        out
    }

    /// By park: enterprises registered, listed, and listed ones eligible for at least one
    /// offered product of `products` (all offered products when `None`).
    pub fn park_figures(&self, products: Option<&[i64]>) -> BTreeMap<ParkCode, ParkFigures> {
        let mut out: BTreeMap<ParkCode, ParkFigures> = BTreeMap::new();
        // The columns that count; an eligible pair is always of an offered product.
        let mut wanted = vec![!0u64; self.eligibility.stride()];
        if let Some(only) = products {
            wanted.fill(0);
            for c in only.iter().filter_map(|id| self.eligibility.col(*id)) {
                wanted[c / 64] |= 1 << (c % 64);
            }
        }
        for (slot, r) in self.rows.iter().enumerate() {
            if !self.alive.get(slot) {
                continue;
            }
            let matched = r.listed
                && self
                    .eligibility
                    .row(slot)
                    .iter()
                    .zip(&wanted)
                    .any(|(e, w)| e & w != 0);
            let f = out.entry(r.park.clone()).or_default();
            f.registered += 1;
            f.listed += u32::from(r.listed);
            f.matched += u32::from(matched);
        }
        out
    }

    /// Every eligible (enterprise, product) pair, by product (the whole match table), read
    /// from the enterprises' rows.
    pub fn eligible_pairs(&self) -> BTreeMap<i64, Vec<Uscc>> {
        let mut lists: Vec<Vec<Uscc>> = vec![Vec::new(); self.eligibility.stride() * 64];
        for (slot, r) in self.rows.iter().enumerate() {
            each_col(self.eligibility.row(slot), |col| lists[col].push(r.uscc));
        }
        self.eligibility
            .by_id()
            .iter()
            .map(|(id, _, _)| {
                let mut list = self
                    .eligibility
                    .col(*id)
                    .map(|c| std::mem::take(&mut lists[c]))
                    .unwrap_or_default();
                list.sort_unstable();
                (*id, list)
            })
            .collect()
    }

    /// One enterprise against every product (only published ones unless `drafts_too`):
    /// eligible or not from its row, and for the eligible ones the credit line and score; the
    /// reasons of a failure are [`Index::explain`]'s, on request. `None` for an unknown
    /// enterprise.
    pub fn standings(&self, uscc: &Uscc, drafts_too: bool) -> Option<Vec<Standing>> {
        let slot = *self.slots.get(uscc)?;
        let r = &self.rows[slot];
        let row = self.eligibility.row(slot);
        let mut scratch = Vec::new();
        Some(
            self.eligibility
                .by_id()
                .iter()
                .filter(|(_, _, published)| drafts_too || *published)
                .map(|(id, c, _)| {
                    let eligible = row.get(c / 64).is_some_and(|w| w >> (c % 64) & 1 == 1);
                    let verdict = if eligible {
                        self.at(*c)
                            .and_then(|(p, plan)| self.decide(r, &p.rules, plan, &mut scratch))
                    } else {
                        None
                    };
                    Standing {
                        product_id: *id,
                        eligible: verdict.is_some(),
                        credit_line: verdict.as_ref().map_or(Money::ZERO, |v| v.credit_line),
                        score: verdict.map_or(0, |v| v.score.total),
                    }
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn sorted_slots_behave_as_a_set_across_chunk_splits() {
        let mut slots = SortedSlots::default();
        let mut model = BTreeSet::new();
        let mut x: u64 = 12345;
        for step in 0..40_000u32 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let slot = (x >> 33) as u32 % 20_000;
            if step % 3 == 2 {
                slots.remove(slot);
                model.remove(&slot);
            } else {
                slots.insert(slot);
                model.insert(slot);
            }
        }
        assert!(slots.chunks.len() > 2, "chunks split");
        assert!(
            slots
                .chunks
                .iter()
                .all(|c| !c.is_empty() && c.len() <= CHUNK)
        );
        let all: Vec<u32> = slots.range(0, usize::MAX).collect();
        assert_eq!(all, model.iter().copied().collect::<Vec<_>>());
        let some: Vec<u32> = slots.range(5_000, 12_345).collect();
        let want: Vec<u32> = model.range(5_000..12_345).copied().collect();
        assert_eq!(some, want);
        assert_eq!(slots.range(30_000, 40_000).count(), 0);
    }

    #[test]
    fn value_buckets_bound_their_amounts() {
        for v in [
            0i64,
            3,
            4,
            5,
            7,
            8,
            1_000,
            123_456_789,
            1 << 40,
            i64::MAX / 3,
        ] {
            let b = value_bucket(v);
            assert!(v <= value_ceiling(b), "{v} in bucket {b}");
            if b > 0 {
                assert!(v > value_ceiling(b - 1), "{v} above bucket {}", b - 1);
            }
        }
    }
}
