//! The index as plain parts, for a snapshot on disk: what is costly to derive (the enterprise
//! rows with their pledgeable IP, the products, every enterprise's eligible columns and the kept
//! lists); the bitsets, buckets and plans are derived again when the parts are read back. Parts
//! read back are checked before they are trusted: damaged parts are an error, never a panic.

use super::{Index, Row, kept::Kept, kept::Shape, region_num};
use crate::Product;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// A live index's parts, borrowed, to be written.
#[derive(Debug, Serialize)]
pub struct IndexPartsRef<'a> {
    #[serde(with = "day")]
    as_of: NaiveDate,
    rows: &'a [Row],
    dead: Vec<u32>,
    sorted: u64,
    products: Vec<&'a Product>,
    columns: &'a [Option<i64>],
    stride: u64,
    bits: &'a [u64],
    kept: Vec<(i64, &'a Vec<(Shape, Kept)>)>,
    ordered_from: u64,
    keep_rows: u64,
}

/// An index's parts as read back, to be checked by [`Index::from_parts`].
#[derive(Debug, Deserialize)]
pub struct IndexParts {
    #[serde(with = "day")]
    as_of: NaiveDate,
    rows: Vec<Row>,
    dead: Vec<u32>,
    sorted: u64,
    products: Vec<Product>,
    columns: Vec<Option<i64>>,
    stride: u64,
    bits: Vec<u64>,
    kept: Vec<(i64, Vec<(Shape, Kept)>)>,
    ordered_from: u64,
    keep_rows: u64,
}

impl IndexParts {
    /// The day the index was built for.
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }
}

/// Parts that do not make an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadParts(pub &'static str);

impl std::fmt::Display for BadParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the index parts are damaged: {}", self.0)
    }
}

impl std::error::Error for BadParts {}

/// The most rows a kept list may be told to hold.
const MAX_KEEP_ROWS: usize = 4096;

fn check(ok: bool, what: &'static str) -> Result<(), BadParts> {
    if ok { Ok(()) } else { Err(BadParts(what)) }
}

impl Index {
    /// The parts a snapshot keeps.
    pub fn parts(&self) -> IndexPartsRef<'_> {
        let (columns, stride, bits) = self.eligibility.parts();
        IndexPartsRef {
            as_of: self.as_of,
            rows: &self.rows,
            dead: (0..self.rows.len())
                .filter(|s| !self.alive.get(*s))
                .map(|s| s as u32)
                .collect(),
            sorted: self.sorted as u64,
            products: self.by_id().map(|(p, _)| p).collect(),
            columns,
            stride: stride as u64,
            bits,
            kept: self.kept.all().map(|(id, l)| (*id, l)).collect(),
            ordered_from: self.ordered_from as u64,
            keep_rows: self.keep_rows as u64,
        }
    }

    /// The index the parts were taken from, once they are found whole.
    pub fn from_parts(parts: IndexParts) -> Result<Self, BadParts> {
        let IndexParts {
            as_of,
            rows,
            dead,
            sorted,
            products,
            columns,
            stride,
            bits,
            kept,
            ordered_from,
            keep_rows,
        } = parts;
        let n = rows.len();
        check(
            (1..=MAX_KEEP_ROWS as u64).contains(&keep_rows),
            "rows per kept list",
        )?;
        let sorted = usize::try_from(sorted).map_err(|_| BadParts("sorted"))?;
        let stride = usize::try_from(stride).map_err(|_| BadParts("stride"))?;
        check(sorted <= n, "sorted past the rows")?;
        check(
            rows.iter().all(|r| r.region_num == region_num(&r.region)),
            "a row's region number",
        )?;
        check(
            rows[..sorted]
                .windows(2)
                .all(|w| w[0].region_num <= w[1].region_num),
            "rows out of region order",
        )?;
        let dead: HashSet<usize> = dead.into_iter().map(|s| s as usize).collect();
        check(dead.iter().all(|s| *s < n), "a dead slot past the rows")?;
        let mut usccs = HashSet::with_capacity(n);
        check(
            rows.iter()
                .enumerate()
                .filter(|(s, _)| !dead.contains(s))
                .all(|(_, r)| usccs.insert(r.uscc)),
            "an enterprise twice",
        )?;
        check(columns.len() <= stride * 64, "columns past the stride")?;
        check(
            if stride == 0 {
                bits.is_empty()
            } else {
                bits.len() % stride == 0 && bits.len() / stride <= n
            },
            "eligibility rows",
        )?;
        let ids: HashSet<i64> = products.iter().map(|p| p.id).collect();
        check(ids.len() == products.len(), "a product twice")?;
        let placed: Vec<i64> = columns.iter().flatten().copied().collect();
        check(
            placed.len() == ids.len() && placed.iter().all(|id| ids.contains(id)),
            "product columns",
        )?;
        for (id, lists) in &kept {
            check(ids.contains(id), "a kept list of no product")?;
            for (_, k) in lists {
                check(k.keys.len() == k.slots.len(), "a kept list's slots")?;
                check(
                    k.slots
                        .iter()
                        .all(|s| (*s as usize) < n && !dead.contains(&(*s as usize))),
                    "a kept row of no enterprise",
                )?;
                check(
                    k.keys.windows(2).all(|w| w[0] > w[1]),
                    "a kept list out of order",
                )?;
            }
        }

        let mut index = Index::build(as_of, Vec::new(), Vec::new());
        index.sorted = sorted;
        index.ordered_from = usize::try_from(ordered_from).unwrap_or(usize::MAX);
        index.keep_rows = keep_rows as usize;
        index.rows.reserve(n);
        index.slots.reserve(n);
        for (slot, row) in rows.into_iter().enumerate() {
            if dead.contains(&slot) {
                index.rows.push(row);
            } else {
                index.push(row);
            }
        }
        index.eligibility.restore(stride, bits, columns);
        for product in products {
            let plan = super::Plan::new(&product.rules, as_of);
            index.eligibility.file_product(&product, &plan);
            let col = index
                .eligibility
                .col(product.id)
                .ok_or(BadParts("product columns"))?;
            index.set_entry(col, product, plan);
        }
        for (id, lists) in kept {
            index.kept.set(id, lists);
        }
        Ok(index)
    }
}

/// A day as its number from the common era, four bytes instead of ten characters.
pub(super) mod day {
    use chrono::{Datelike, NaiveDate};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        d.num_days_from_ce().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let n = i32::deserialize(d)?;
        NaiveDate::from_num_days_from_ce_opt(n)
            .ok_or_else(|| serde::de::Error::custom("a day out of range"))
    }
}

/// An optional day, as [`day`].
pub(super) mod some_day {
    use chrono::{Datelike, NaiveDate};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
        d.map(|d| d.num_days_from_ce()).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        Option::<i32>::deserialize(d)?
            .map(|n| {
                NaiveDate::from_num_days_from_ce_opt(n)
                    .ok_or_else(|| serde::de::Error::custom("a day out of range"))
            })
            .transpose()
    }
}

/// A patent or trademark reference without the tag the API gives it (a compact format has no
/// self-description to find a tag in).
pub(super) mod ip {
    use crate::IpRef;
    use pledge_domain::{NiceClass, PatentApplicationNumber, TrademarkRegistrationNumber};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    enum Key {
        Patent(PatentApplicationNumber),
        Trademark(TrademarkRegistrationNumber, NiceClass),
    }

    pub fn serialize<S: Serializer>(ip: &IpRef, s: S) -> Result<S::Ok, S::Error> {
        match ip {
            IpRef::Patent { application_number } => Key::Patent(*application_number),
            IpRef::Trademark {
                registration_number,
                nice_class,
            } => Key::Trademark(*registration_number, *nice_class),
        }
        .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<IpRef, D::Error> {
        Ok(match Key::deserialize(d)? {
            Key::Patent(application_number) => IpRef::Patent { application_number },
            Key::Trademark(registration_number, nice_class) => IpRef::Trademark {
                registration_number,
                nice_class,
            },
        })
    }
}
