//! Which products each enterprise is eligible for, kept as one bitset per enterprise over the
//! products' columns (125 bytes an enterprise at 1,000 products) and maintained with every
//! change; and the product-side bitsets that rule most products out for one enterprise before
//! any exact rule runs. An enterprise's view is then read, and a change's gained and lost pairs
//! are the difference of two rows.

use super::{
    Hot, Plan, Row, VALUE_BUCKETS, credit_ceiling, flag_bit, industry_keys, qual_bit, value_ceiling,
};
use crate::Product;
use crate::bitset::BitSet;
use pledge_domain::{LoanProduct, QualificationKind, RiskFlagKind};
use std::collections::HashMap;

/// The products as columns, and every enterprise's row of eligible columns.
#[derive(Debug, Clone, Default)]
pub(super) struct Eligibility {
    /// Words per enterprise row.
    stride: usize,
    /// Row-major: slot `s` owns words `s * stride .. (s + 1) * stride`.
    bits: Vec<u64>,
    /// The product of each column (`None`: free).
    ids: Vec<Option<i64>>,
    cols: HashMap<i64, usize>,
    /// Every product in id order: its column and whether it is published.
    by_id: Vec<(i64, usize, bool)>,
    /// Columns of products that are offered on the index day.
    offered: BitSet,
    /// Columns of products that require the white list.
    listed_needed: BitSet,
    /// Per qualification: columns of products requiring it.
    quals_all: Vec<BitSet>,
    /// Columns of products that accept any of some qualifications.
    any_rule: BitSet,
    /// Per qualification: columns of products accepting it among others.
    quals_any: Vec<BitSet>,
    /// Per risk flag: columns of products excluding it.
    flags: Vec<BitSet>,
    /// Columns of products without a region rule.
    region_free: BitSet,
    /// By (digits, prefix number): columns of products with that region prefix.
    regions: HashMap<(u8, u32), BitSet>,
    /// Columns of products without an industry rule.
    industry_free: BitSet,
    /// By section or division: columns of products with a prefix under it.
    industries: HashMap<String, BitSet>,
    /// By a count up to [`COUNT_CAP`]: columns of products requiring more years in operation.
    years_over: Vec<BitSet>,
    /// By a count up to [`COUNT_CAP`]: columns of products requiring more valid inventions.
    inventions_over: Vec<BitSet>,
    /// By value bucket: columns of products whose least loan the IP of that bucket cannot
    /// reach at the product's best pledge rate.
    value_short: Vec<BitSet>,
}

/// The largest count the threshold sets are kept for; above it the exact rules judge.
const COUNT_CAP: usize = 31;

impl Eligibility {
    pub(super) fn new() -> Self {
        Self {
            quals_all: vec![BitSet::default(); QualificationKind::ALL.len()],
            quals_any: vec![BitSet::default(); QualificationKind::ALL.len()],
            flags: vec![BitSet::default(); RiskFlagKind::ALL.len()],
            years_over: vec![BitSet::default(); COUNT_CAP + 1],
            inventions_over: vec![BitSet::default(); COUNT_CAP + 1],
            value_short: vec![BitSet::default(); VALUE_BUCKETS],
            ..Self::default()
        }
    }

    /// Words in an enterprise row.
    pub(super) fn stride(&self) -> usize {
        self.stride
    }

    /// The column of a product.
    pub(super) fn col(&self, id: i64) -> Option<usize> {
        self.cols.get(&id).copied()
    }

    /// The product of a column.
    pub(super) fn id(&self, col: usize) -> Option<i64> {
        self.ids.get(col).copied().flatten()
    }

    /// The eligible columns of a slot.
    pub(super) fn row(&self, slot: usize) -> &[u64] {
        self.bits
            .get(slot * self.stride..(slot + 1) * self.stride)
            .unwrap_or(&[])
    }

    /// Replaces the eligible columns of a slot (`words` as long as a row).
    pub(super) fn set_row(&mut self, slot: usize, words: &[u64]) {
        let end = (slot + 1) * self.stride;
        if self.bits.len() < end {
            if words.iter().all(|w| *w == 0) {
                return;
            }
            self.bits.resize(end, 0);
        }
        self.bits[slot * self.stride..end].copy_from_slice(words);
    }

    /// Makes a slot eligible for nothing.
    pub(super) fn clear_row(&mut self, slot: usize) {
        if let Some(row) = self
            .bits
            .get_mut(slot * self.stride..(slot + 1) * self.stride)
        {
            row.fill(0);
        }
    }

    /// Sets one pair.
    pub(super) fn set(&mut self, slot: usize, col: usize, on: bool) {
        let at = slot * self.stride + col / 64;
        if self.bits.len() <= at {
            if !on {
                return;
            }
            self.bits.resize((slot + 1) * self.stride, 0);
        }
        let bit = 1u64 << (col % 64);
        if on {
            self.bits[at] |= bit;
        } else {
            self.bits[at] &= !bit;
        }
    }

    /// Gives a product a column (its own if it had one), with no enterprise eligible yet.
    pub(super) fn place(&mut self, product: &Product, plan: &Plan) -> usize {
        let id = product.id;
        let col = match self.cols.get(&id) {
            Some(c) => {
                let c = *c;
                self.clear_column(c);
                c
            }
            None => {
                let c = match self.ids.iter().position(Option::is_none) {
                    Some(free) => free,
                    None => {
                        self.ids.push(None);
                        self.ids.len() - 1
                    }
                };
                if c / 64 >= self.stride {
                    self.widen(c / 64 + 1);
                }
                self.ids[c] = Some(id);
                c
            }
        };
        self.file_product(product, plan);
        col
    }

    /// Writes a product that has its column into the product-side sets and the id order.
    pub(super) fn file_product(&mut self, product: &Product, plan: &Plan) {
        let id = product.id;
        let Some(col) = self.ids.iter().position(|i| *i == Some(id)) else {
            return;
        };
        self.cols.insert(id, col);
        self.describe(col, Some((&product.rules, plan)));
        let entry = (id, col, product.published);
        match self.by_id.binary_search_by_key(&id, |(i, _, _)| *i) {
            Ok(at) => self.by_id[at] = entry,
            Err(at) => self.by_id.insert(at, entry),
        }
    }

    /// The columns' products, the words per row and the rows.
    pub(super) fn parts(&self) -> (&[Option<i64>], usize, &[u64]) {
        (&self.ids, self.stride, &self.bits)
    }

    /// Takes columns and rows back from [`Eligibility::parts`]; the products are then filed
    /// with [`Eligibility::file_product`].
    pub(super) fn restore(&mut self, stride: usize, bits: Vec<u64>, ids: Vec<Option<i64>>) {
        self.stride = stride;
        self.bits = bits;
        self.ids = ids;
    }

    /// Every product in id order: its id, its column and whether it is published.
    pub(super) fn by_id(&self) -> &[(i64, usize, bool)] {
        &self.by_id
    }

    /// Frees a product's column.
    pub(super) fn remove(&mut self, id: i64) {
        if let Some(col) = self.cols.remove(&id) {
            self.clear_column(col);
            self.describe(col, None);
            self.ids[col] = None;
            self.by_id.retain(|(i, _, _)| *i != id);
        }
    }

    fn clear_column(&mut self, col: usize) {
        if self.stride == 0 {
            return;
        }
        let (w, bit) = (col / 64, 1u64 << (col % 64));
        for row in self.bits.chunks_exact_mut(self.stride) {
            row[w] &= !bit;
        }
    }

    /// Rows of `stride` words, each keeping its columns.
    fn widen(&mut self, stride: usize) {
        let stride = stride.max(self.stride * 2).max(1);
        let slots = self.bits.len() / self.stride.max(1);
        let mut bits = vec![0; slots * stride];
        if self.stride > 0 {
            for (s, row) in self.bits.chunks_exact(self.stride).enumerate() {
                bits[s * stride..s * stride + self.stride].copy_from_slice(row);
            }
        }
        self.bits = bits;
        self.stride = stride;
    }

    /// Writes a column's product into the product-side sets (`None`: out of all of them).
    fn describe(&mut self, col: usize, product: Option<(&LoanProduct, &Plan)>) {
        for set in [
            &mut self.offered,
            &mut self.listed_needed,
            &mut self.any_rule,
            &mut self.region_free,
            &mut self.industry_free,
        ] {
            set.set(col, false);
        }
        for set in self
            .quals_all
            .iter_mut()
            .chain(&mut self.quals_any)
            .chain(&mut self.flags)
            .chain(self.regions.values_mut())
            .chain(self.industries.values_mut())
            .chain(&mut self.years_over)
            .chain(&mut self.inventions_over)
            .chain(&mut self.value_short)
        {
            set.set(col, false);
        }
        let Some((p, plan)) = product else {
            return;
        };
        self.offered.set(col, plan.offered);
        self.listed_needed.set(col, p.whitelist_required);
        for (i, k) in QualificationKind::ALL.iter().enumerate() {
            self.quals_all[i].set(col, plan.quals_all & qual_bit(*k) != 0);
            self.quals_any[i].set(col, plan.quals_any & qual_bit(*k) != 0);
        }
        self.any_rule.set(col, plan.quals_any != 0);
        for (i, k) in RiskFlagKind::ALL.iter().enumerate() {
            self.flags[i].set(col, plan.flags & flag_bit(*k) != 0);
        }
        for t in 0..=COUNT_CAP {
            self.years_over[t].set(col, usize::from(p.min_years_in_operation) > t);
            self.inventions_over[t].set(col, usize::from(p.min_valid_invention_patents) > t);
        }
        for b in 0..VALUE_BUCKETS {
            let short = credit_ceiling(value_ceiling(b), p, plan) < p.amount_min.fen()
                || value_ceiling(b).saturating_mul(i64::from(plan.max_rate))
                    < p.amount_min.fen().saturating_mul(10_000);
            if !short {
                break;
            }
            self.value_short[b].set(col, true);
        }
        self.region_free.set(col, plan.regions.is_empty());
        for x in &p.region_prefixes {
            if let (Ok(n), Ok(digits)) = (x.parse::<u32>(), u8::try_from(x.len())) {
                self.regions.entry((digits, n)).or_default().set(col, true);
            }
        }
        self.industry_free.set(col, plan.industries.is_empty());
        for x in &plan.industries {
            // A prefix longer than a division is filed under its division: a superset that
            // the exact rule narrows.
            if let Some(key) = industry_keys(x).last() {
                self.industries
                    .entry(key.to_owned())
                    .or_default()
                    .set(col, true);
            }
        }
    }

    /// Fills `out` (a row's worth of words) with the columns whose products the row's
    /// white-list status, qualifications, risk flags, region, industry, years, valid
    /// inventions and appraised value do not rule out.
    pub(super) fn candidates(&self, r: &Row, hot: &Hot, out: &mut Vec<u64>) {
        out.clear();
        out.resize(self.stride, 0);
        let none = BitSet::default();
        let years = self.years_over.get(usize::from(hot.years)).unwrap_or(&none);
        let inventions = self
            .inventions_over
            .get(usize::from(hot.valid_inventions))
            .unwrap_or(&none);
        let short = &self.value_short[super::value_bucket(hot.value_fen)];
        let regions: [Option<&BitSet>; 6] = std::array::from_fn(|i| {
            let digits = i as u32 + 1;
            self.regions
                .get(&(digits as u8, r.region_num / 10u32.pow(6 - digits)))
        });
        let code = r.industry.as_str();
        let industries: [Option<&BitSet>; 2] =
            [code.get(..1), code.get(..3)].map(|k| k.and_then(|k| self.industries.get(k)));
        for (w, word) in out.iter_mut().enumerate() {
            let mut bits =
                self.offered.word(w) & !years.word(w) & !inventions.word(w) & !short.word(w);
            if !r.listed {
                bits &= !self.listed_needed.word(w);
            }
            let mut any = !self.any_rule.word(w);
            for (i, set) in self.quals_all.iter().enumerate() {
                if r.qualifications & (1 << i) != 0 {
                    any |= self.quals_any[i].word(w);
                } else {
                    bits &= !set.word(w);
                }
            }
            bits &= any;
            for (i, set) in self.flags.iter().enumerate() {
                if r.flags & (1 << i) != 0 {
                    bits &= !set.word(w);
                }
            }
            bits &= regions
                .iter()
                .flatten()
                .fold(self.region_free.word(w), |m, s| m | s.word(w));
            bits &= industries
                .iter()
                .flatten()
                .fold(self.industry_free.word(w), |m, s| m | s.word(w));
            *word = bits;
        }
    }

    /// Approximate bytes held.
    pub(super) fn bytes(&self) -> usize {
        self.bits.capacity() * 8 + self.ids.capacity() * 16 + self.cols.capacity() * 24
    }
}

/// Calls `f` with every set column of `words`.
pub(super) fn each_col(words: &[u64], mut f: impl FnMut(usize)) {
    for (w, word) in words.iter().enumerate() {
        let mut bits = *word;
        while bits != 0 {
            f(w * 64 + bits.trailing_zeros() as usize);
            bits &= bits - 1;
        }
    }
}
