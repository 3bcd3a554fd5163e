//! The first rows of broad products' lists, kept ready: a product that a third of the country
//! qualifies for has its top rows read, not computed. Each list holds every eligible row that
//! ranks at or above its last one, and follows each change of an enterprise that is, or was,
//! eligible for the product; it is refilled from the scan only when changes thin it out.

use super::{RankKey, SortBy};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Rows kept per list: two pages of 50 and some room for rows that leave; below half of it an
/// incomplete list is read again from the scan.
pub(super) const KEEP: usize = 128;

/// The lists a query can be answered from: its order, and whether only listed enterprises
/// count (the same list as without for a product that requires the white list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(super) struct Shape {
    pub sort: SortBy,
    pub listed_only: bool,
}

impl Shape {
    /// Every list a product keeps.
    pub fn all(whitelist_required: bool) -> impl Iterator<Item = Shape> {
        let listed: &'static [bool] = if whitelist_required {
            &[true]
        } else {
            &[true, false]
        };
        [SortBy::Score, SortBy::CreditLine]
            .into_iter()
            .flat_map(move |sort| {
                listed.iter().map(move |l| Shape {
                    sort,
                    listed_only: *l,
                })
            })
    }

    /// The list that answers a query of `sort` (`listed_only` as asked).
    pub fn of(sort: SortBy, listed_only: bool, whitelist_required: bool) -> Self {
        Self {
            sort,
            listed_only: listed_only || whitelist_required,
        }
    }
}

/// One kept list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Kept {
    /// Best first, with their slots.
    pub rows: Vec<(RankKey, u32)>,
    /// No eligible row ranks below the last one.
    pub complete: bool,
    /// Eligible rows in all (of listed enterprises, for a list of listed ones).
    pub count: u32,
}

impl Kept {
    /// Takes a slot's row out.
    pub fn take(&mut self, slot: u32) {
        if let Some(at) = self.rows.iter().position(|(_, s)| *s == slot) {
            self.rows.remove(at);
        }
    }

    /// Offers a row ranked `key`: kept when it ranks above the last one, or the list is all;
    /// at most `cap` rows stay.
    pub fn offer(&mut self, key: RankKey, slot: u32, cap: usize) {
        let fits = self.complete || self.rows.last().is_some_and(|(last, _)| &key > last);
        if !fits {
            return;
        }
        let at = self.rows.partition_point(|(k, _)| k > &key);
        self.rows.insert(at, (key, slot));
        if self.rows.len() > cap {
            self.rows.pop();
            self.complete = false;
        }
    }

    /// The rows of a page of `limit` after `after` with whether more follow, when the list
    /// knows them.
    pub fn page(&self, after: Option<&RankKey>, limit: usize) -> Option<(&[(RankKey, u32)], bool)> {
        let start = after.map_or(0, |a| self.rows.partition_point(|(k, _)| k >= a));
        let end = start + limit;
        if end < self.rows.len() {
            Some((&self.rows[start..end], true))
        } else if self.complete {
            Some((&self.rows[start.min(self.rows.len())..], false))
        } else {
            None
        }
    }
}

/// Every broad product's kept lists.
#[derive(Debug, Clone, Default)]
pub(super) struct KeptLists {
    by_product: HashMap<i64, Vec<(Shape, Kept)>>,
}

impl KeptLists {
    pub fn get(&self, product_id: i64, shape: Shape) -> Option<&Kept> {
        self.by_product
            .get(&product_id)?
            .iter()
            .find(|(s, _)| *s == shape)
            .map(|(_, k)| k)
    }

    pub fn of_product(&mut self, product_id: i64) -> Option<&mut Vec<(Shape, Kept)>> {
        self.by_product.get_mut(&product_id)
    }

    pub fn set(&mut self, product_id: i64, lists: Vec<(Shape, Kept)>) {
        if lists.is_empty() {
            self.by_product.remove(&product_id);
        } else {
            self.by_product.insert(product_id, lists);
        }
    }

    pub fn replace(&mut self, product_id: i64, shape: Shape, kept: Kept) {
        if let Some(lists) = self.by_product.get_mut(&product_id)
            && let Some((_, k)) = lists.iter_mut().find(|(s, _)| *s == shape)
        {
            *k = kept;
        }
    }

    /// Every product's lists.
    pub fn all(&self) -> impl Iterator<Item = (&i64, &Vec<(Shape, Kept)>)> {
        self.by_product.iter()
    }

    pub fn clear(&mut self) {
        self.by_product.clear();
    }

    pub fn bytes(&self) -> usize {
        self.by_product
            .values()
            .flatten()
            .map(|(_, k)| k.rows.capacity() * std::mem::size_of::<(RankKey, u32)>())
            .sum()
    }
}
