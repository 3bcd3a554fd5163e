//! Matches (撮合), answered from memory: which listed enterprises qualify for a product, with
//! which IP, for how much, and why; and for one enterprise, every product with what it lacks.

use crate::error::{Result, ServiceError};
use crate::policy::not_published;
use crate::{Context, Live, Service};
use pledge_domain::code;
use pledge_domain::{ParkCode, Uscc};
use pledge_matching::{Evaluation, IpVerdict, MatchQuery, ParkFigures, RankKey, ip_verdicts};
use pledge_store::Role;

/// Filters, order and paging of a match list, as the caller asks (the caller's scope is
/// added: a park official sees their park, a bank listed enterprises only).
pub type MatchFilter = MatchQuery;

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
    /// The key to continue after, when there are more.
    pub next: Option<RankKey>,
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
        mut q: MatchFilter,
    ) -> Result<MatchListing> {
        // One read of the index for the product, its page and the names shown.
        let live = self.live.read();
        let product = Self::visible_product(cx, &live, product_id)?;
        q.park = cx.park_filter(q.park.take())?;
        q.listed_only = cx.role() == Role::Bank;
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
            next: page.next,
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
                    cx.role() == Role::Bank,
                );
            }
        }
        Ok(shown)
    }

    /// The enterprises and IP behind rows the caller was already shown (a page of matches
    /// being exported): their industry, need, contact and titles. Contacts are for
    /// [`Context::sees_contact`] to show or mask.
    pub async fn shown_holdings(&self, shown: &[Shown]) -> Result<Vec<pledge_domain::Holding>> {
        let usccs: Vec<Uscc> = shown.iter().map(|s| s.evaluation.uscc).collect();
        Ok(self.store.holdings(&usccs).await?)
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
        match cx.role() {
            Role::Bank if !listed => return Err(not_published()),
            Role::Park => cx.read_enterprise(park, unseen)?,
            _ => {}
        }
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
        if cx.role() == Role::Bank {
            return Err(ServiceError::forbidden(
                code::ADMIN_OR_PARK,
                "企业的全部产品匹配仅对市知识产权局和所在园区开放 / only the city IP office and the enterprise's park see its matches across products",
            ));
        }
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
        let products: Option<Vec<i64>> = match (product, cx.role()) {
            (Some(id), _) => Some(vec![Self::visible_product(cx, &live, id)?.id]),
            (None, Role::Bank) => Some(
                live.products
                    .values()
                    .filter(|p| cx.own_bank() == Some(&p.bank))
                    .map(|p| p.id)
                    .collect(),
            ),
            (None, _) => None,
        };
        let mut figures = live.index.park_figures(products.as_deref());
        if let Some(own) = cx.own_park() {
            figures.retain(|park, _| park == own);
        }
        if cx.role() == Role::Bank {
            // A bank knows of listed enterprises only, not how many others a park keeps.
            for f in figures.values_mut() {
                f.registered = f.listed;
            }
        }
        Ok(figures)
    }
}
