//! Matches (撮合), answered from memory: which listed enterprises qualify for a product, with
//! which IP, for how much, and why; and for one enterprise, every product with what it lacks.

use crate::error::{Result, ServiceError};
use crate::{Context, Live, Service};
use pledge_domain::{DomainError, Money, ParkCode, Uscc};
use pledge_matching::{
    Evaluation, IpVerdict, MatchQuery, ParkFigures, RankKey, SortBy, ip_verdicts,
};
use std::cmp::Reverse;

/// Filters, order and paging of a match list, as the caller asks (the caller's scope is
/// added: a park official sees their park, a bank listed enterprises only).
#[derive(Debug, Clone, Default)]
pub struct MatchFilter {
    pub park: Option<ParkCode>,
    /// A region code prefix (`4107`).
    pub region_prefix: Option<String>,
    /// An industry code prefix (`C35`).
    pub industry_prefix: Option<String>,
    pub min_credit_line: Option<Money>,
    pub sort: SortBy,
    /// Continue after this place (the `next` of the previous page).
    pub after: Option<MatchCursor>,
    pub limit: usize,
}

/// Where a match list continues: written and read as text (`score.credit_line.uscc` in the
/// list's order), never taken apart by a caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchCursor(RankKey);

impl MatchCursor {
    /// Reads a cursor as [`MatchCursor`]'s `Display` wrote it.
    pub fn parse(s: &str) -> std::result::Result<Self, DomainError> {
        let bad = DomainError::Format { what: "cursor" };
        let mut parts = s.trim().splitn(3, '.');
        let (Some(a), Some(b), Some(c)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad);
        };
        Ok(Self(RankKey {
            primary: a.parse().map_err(|_| bad.clone())?,
            secondary: b.parse().map_err(|_| bad.clone())?,
            uscc: Reverse(Uscc::parse(c).map_err(|_| bad)?),
        }))
    }
}

impl std::fmt::Display for MatchCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let k = &self.0;
        write!(f, "{}.{}.{}", k.primary, k.secondary, k.uscc.0)
    }
}

/// One evaluation as shown: with the enterprise's name and park and the product's name.
#[derive(Debug, Clone)]
pub struct Shown {
    pub evaluation: Evaluation,
    pub name: Option<String>,
    pub park: Option<ParkCode>,
    pub product_name: Option<String>,
    /// Each patent and trademark with its place for the product and its reasons (filled by
    /// [`Service::with_items`] for explanations; empty on lists).
    pub items: Vec<IpVerdict>,
}

/// One page of a product's eligible enterprises, best first.
#[derive(Debug, Clone)]
pub struct MatchListing {
    pub product_id: i64,
    pub as_of: chrono::NaiveDate,
    /// Eligible enterprises passing the filters, on all pages; `None` when the list was read
    /// only as far as its best rows.
    pub total: Option<u32>,
    pub items: Vec<Shown>,
    /// Where to continue, when there are more.
    pub next: Option<MatchCursor>,
}

/// A page of a product's near misses.
#[derive(Debug, Clone)]
pub struct NearMisses {
    pub product_id: i64,
    pub as_of: chrono::NaiveDate,
    pub items: Vec<Shown>,
    /// The USCC to continue after, when there may be more.
    pub next: Option<Uscc>,
}

fn withdrawn(id: i64) -> ServiceError {
    ServiceError::not_found(format!(
        "产品{id}已下架，不再匹配 / product {id} is withdrawn and matches nobody"
    ))
}

pub(crate) fn shown(live: &Live, evaluation: Evaluation, product_name: Option<String>) -> Shown {
    let uscc = evaluation.uscc;
    Shown {
        name: live.name(&uscc).map(str::to_owned),
        park: live.index.enterprise(&uscc).map(|(p, _)| p.clone()),
        product_name,
        evaluation,
        items: Vec::new(),
    }
}

impl Service {
    /// A page of a product's eligible enterprises. Banks: their own products, white-listed
    /// enterprises only. Parks: published products, their own enterprises.
    pub fn matches(
        &self,
        cx: &Context,
        product_id: i64,
        asked: MatchFilter,
    ) -> Result<MatchListing> {
        // One read of the index for the product, its page and the names shown.
        let live = self.live.read();
        let product = Self::visible_product(cx, &live, product_id)?;
        let q = MatchQuery {
            park: cx.park_filter(asked.park)?,
            region_prefix: asked.region_prefix,
            industry_prefix: asked.industry_prefix,
            min_credit_line: asked.min_credit_line,
            listed_only: !cx.may().see_unlisted,
            sort: asked.sort,
            after: asked.after.map(|c| c.0),
            limit: asked.limit,
        };
        let page = live
            .index
            .matches(product.id, &q)
            .ok_or_else(|| withdrawn(product.id))?;
        let name = product.rules.name.to_string();
        Ok(MatchListing {
            product_id: product.id,
            as_of: live.index.as_of(),
            total: page.total,
            items: page
                .items
                .into_iter()
                .map(|(_, e)| shown(&live, e, Some(name.clone())))
                .collect(),
            next: page.next.map(MatchCursor),
        })
    }

    /// Near misses of a product: listed enterprises that fail exactly one of its rules, with
    /// that rule and by how much, in USCC order (a bank: its own products; the office: all).
    pub fn near_misses(
        &self,
        cx: &Context,
        product_id: i64,
        after: Option<&Uscc>,
        limit: usize,
    ) -> Result<NearMisses> {
        cx.managing_bank(None)?;
        let live = self.live.read();
        let product = Self::visible_product(cx, &live, product_id)?;
        let (items, next) = live
            .index
            .near_misses(product.id, after, limit)
            .ok_or_else(|| withdrawn(product.id))?;
        let name = product.rules.name.to_string();
        Ok(NearMisses {
            product_id: product.id,
            as_of: live.index.as_of(),
            items: items
                .into_iter()
                .map(|e| shown(&live, e, Some(name.clone())))
                .collect(),
            next,
        })
    }

    /// Explanations of one enterprise with each of its patents and trademarks judged for the
    /// explanation's product: in the bundle, left free, or out with every reason (a bank sees
    /// the valid ones only, as it sees the enterprise's IP).
    pub async fn with_items(&self, cx: &Context, mut shown: Vec<Shown>) -> Result<Vec<Shown>> {
        let Some(uscc) = shown.first().map(|s| s.evaluation.uscc) else {
            return Ok(shown);
        };
        let Some(holding) = self.store.holdings(&[uscc]).await?.into_iter().next() else {
            return Ok(shown);
        };
        let live = self.live.read();
        for s in &mut shown {
            let e = &s.evaluation;
            if let Some(product) = live.index.product(e.product_id) {
                s.items = ip_verdicts(
                    &holding,
                    &product.rules,
                    e.as_of,
                    e.loan_end,
                    &e.bundle,
                    !cx.may().see_unlisted,
                );
            }
        }
        Ok(shown)
    }

    /// The enterprises and IP behind rows the caller was already shown (a page of matches
    /// being exported): their industry, need, contact (masked where the policy withholds
    /// it) and titles.
    pub async fn shown_holdings(
        &self,
        cx: &Context,
        shown: &[Shown],
    ) -> Result<Vec<pledge_domain::Holding>> {
        let usccs: Vec<Uscc> = shown.iter().map(|s| s.evaluation.uscc).collect();
        let mut holdings = self.store.holdings(&usccs).await?;
        let mut values: Vec<&mut pledge_domain::Enterprise> =
            holdings.iter_mut().map(|h| &mut h.enterprise).collect();
        self.decide_contacts(cx, &mut values).await?;
        Ok(holdings)
    }

    /// The full explanation of one enterprise against one product.
    pub fn explain(&self, cx: &Context, product_id: i64, uscc: &Uscc) -> Result<Shown> {
        let live = self.live.read();
        let product = Self::visible_product(cx, &live, product_id)?;
        let unseen = || {
            ServiceError::not_found(format!(
                "企业{uscc}未登记 / enterprise {uscc} is not registered"
            ))
        };
        let Some((park, listed)) = live.index.enterprise(uscc) else {
            return Err(unseen());
        };
        cx.read_listed(park, listed, unseen)?;
        let evaluation = live
            .index
            .explain(product.id, uscc)
            .ok_or_else(|| withdrawn(product.id))?;
        Ok(shown(
            &live,
            evaluation,
            Some(product.rules.name.to_string()),
        ))
    }

    /// The gap analysis of one enterprise: every published product, eligible or not, with
    /// every rule it fails (the office, and the enterprise's park).
    pub fn enterprise_matches(&self, cx: &Context, uscc: &Uscc) -> Result<Vec<Shown>> {
        cx.require_office_or_park()?;
        let live = self.live.read();
        let unseen = || {
            ServiceError::not_found(format!(
                "企业{uscc}未登记 / enterprise {uscc} is not registered"
            ))
        };
        let park = live
            .index
            .enterprise(uscc)
            .map(|(p, _)| p)
            .ok_or_else(unseen)?;
        cx.read_enterprise(park, unseen)?;
        Ok(live
            .index
            .enterprise_view(uscc, false)
            .unwrap_or_default()
            .into_iter()
            .map(|e| {
                let product_name = live
                    .index
                    .product(e.product_id)
                    .map(|p| p.rules.name.to_string());
                shown(&live, e, product_name)
            })
            .collect())
    }

    /// By park: enterprises registered, listed and matched (listed and eligible for at least
    /// one offered product): for one product the caller may see, or for all the caller's
    /// products (a bank: its own; others: every published one). A park official sees their
    /// park only; a bank's figures count listed enterprises only.
    pub fn park_figures(
        &self,
        cx: &Context,
        product: Option<i64>,
    ) -> Result<std::collections::BTreeMap<ParkCode, ParkFigures>> {
        let live = self.live.read();
        let products: Option<Vec<i64>> = match product {
            Some(id) => Some(vec![Self::visible_product(cx, &live, id)?.id]),
            None if !cx.may().see_other_banks => Some(
                live.products
                    .values()
                    .filter(|p| cx.own_bank() == Some(&p.bank))
                    .map(|p| p.id)
                    .collect(),
            ),
            None => None,
        };
        let mut figures = live.index.park_figures(products.as_deref());
        if let Some(own) = cx.own_park() {
            figures.retain(|park, _| park == own);
        }
        if !cx.may().see_unlisted {
            // A bank knows of listed enterprises only, not how many others a park keeps.
            for f in figures.values_mut() {
                f.registered = f.listed;
            }
        }
        Ok(figures)
    }
}
