//! The first rows of every offered product's lists, kept ready: even a product that a third of
//! the country qualifies for has its top rows read, not computed. Each list holds every eligible row that
//! ranks at or above its last one, and follows each change of an enterprise that is, or was,
//! eligible for the product; it is refilled from the scan only when changes thin it out.

use super::{RankKey, SortBy};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Rows kept per list: room for many rows to leave before an incomplete list must be read
/// again from the scan, which happens when it no longer holds more than a first page (or half
/// of itself, for short lists).
pub(super) const KEEP: usize = 256;

/// The rows of the usual first page.
pub(super) const PAGE: usize = 50;

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
    /// Best first.
    pub keys: Vec<RankKey>,
    /// The slot of each key, apart so that finding a slot reads a kilobyte.
    pub slots: Vec<u32>,
    /// No eligible row ranks below the last one.
    pub complete: bool,
    /// Eligible rows in all (of listed enterprises, for a list of listed ones).
    pub count: u32,
}

impl Kept {
    /// The rows kept.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Follows one enterprise's change: its row at slot `old` (if kept) leaves, and its new
    /// row `new` (if eligible for the list) is kept when it ranks above the last row or the
    /// list is all; at most `cap` rows stay. A row that keeps its place, or moves a few
    /// places, moves only the rows between.
    pub fn follow(&mut self, old: Option<u32>, new: Option<(RankKey, u32)>, cap: usize) {
        let at = old.and_then(|o| self.slots.iter().position(|s| *s == o));
        let n = self.keys.len();
        let fits = new.as_ref().is_some_and(|(key, _)| {
            let last = match at {
                Some(i) if i + 1 == n => n.checked_sub(2).map(|l| &self.keys[l]),
                _ => self.keys.last(),
            };
            self.complete || last.is_some_and(|last| key > last)
        });
        match (at, new.filter(|_| fits)) {
            (Some(i), Some((key, slot))) => {
                let before = self.keys.partition_point(|k| k > &key);
                let j = if before > i { before - 1 } else { before };
                if j < i {
                    self.keys[j..=i].rotate_right(1);
                    self.slots[j..=i].rotate_right(1);
                } else if j > i {
                    self.keys[i..=j].rotate_left(1);
                    self.slots[i..=j].rotate_left(1);
                }
                self.keys[j] = key;
                self.slots[j] = slot;
            }
            (Some(i), None) => {
                self.keys.remove(i);
                self.slots.remove(i);
            }
            (None, Some((key, slot))) => {
                let j = self.keys.partition_point(|k| k > &key);
                self.keys.insert(j, key);
                self.slots.insert(j, slot);
                if self.keys.len() > cap {
                    self.keys.pop();
                    self.slots.pop();
                    self.complete = false;
                }
            }
            (None, None) => {}
        }
    }

    /// The keys and slots of a page of `limit` after `after` with whether more follow, when
    /// the list knows them.
    pub fn page(
        &self,
        after: Option<&RankKey>,
        limit: usize,
    ) -> Option<(&[RankKey], &[u32], bool)> {
        let start = after.map_or(0, |a| self.keys.partition_point(|k| k >= a));
        let end = start + limit;
        if end < self.keys.len() {
            Some((&self.keys[start..end], &self.slots[start..end], true))
        } else if self.complete {
            let start = start.min(self.keys.len());
            Some((&self.keys[start..], &self.slots[start..], false))
        } else {
            None
        }
    }
}

/// Every offered product's kept lists.
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
            .map(|(_, k)| {
                k.keys.capacity() * std::mem::size_of::<RankKey>() + k.slots.capacity() * 4
            })
            .sum()
    }
}
