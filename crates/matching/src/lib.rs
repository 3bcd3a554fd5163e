//! The matching engine (撮合引擎): pairs the patents and trademarks of white-listed enterprises
//! with banks' loan products. Pure, synchronous and in memory; every answer is for the explicit
//! `as_of` day the [`Index`] was built for.
//!
//! Three questions: [`Index::matches`] (product → ranked eligible enterprises, each with its
//! pledge bundle and credit line), [`Index::enterprise_view`] (enterprise → every product with
//! the reasons it fails), and [`Index::upsert_enterprise`] (a change → the pairs that gained or
//! lost eligibility). [`evaluate`] is the plain reference the index is tested against.

mod bitset;
mod explain;
mod index;
mod items;
mod reference;

pub use explain::{
    BundleItem, Codes, Evaluation, Figure, IpRef, PledgeBundle, Reason, Rule, Score, ScoreInputs,
    bundle_order, bundle_target, ip_share,
};
pub use index::{
    BadParts, Index, IndexBuilder, IndexParts, IndexPartsRef, MatchPage, MatchQuery, PairChange,
    ParkFigures, Preview, RankKey, SortBy, Standing,
};
pub use items::{IpVerdict, ItemReason, Place, ip_verdicts};
pub use reference::evaluate;

pub use pledge_domain::Holding;
use pledge_domain::LoanProduct;

/// A loan product as the engine sees it: its id, whether it is published, and its rules.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Product {
    pub id: i64,
    pub published: bool,
    pub rules: LoanProduct,
}
