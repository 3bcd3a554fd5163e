//! Matches (撮合): which listed enterprises qualify for a product, with which IP, for how much,
//! and why; and for one enterprise, every product with what it lacks. Answered from the
//! in-memory index; only the enterprises a page shows are read from the store.

use crate::AppState;
use crate::auth::Auth;
use crate::check::read_key;
use crate::check::{Check, paging, parse_id};
use crate::error::{ApiError, ApiResult, ReadErrors};
use crate::extract::ApiQuery;
use crate::shape;
use crate::sheet::Format;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use pledge_domain::{DomainError, IndustryCode, Money, ParkCode, Uscc};
use pledge_matching::{Evaluation, IpVerdict, Place};
use pledge_service::{MatchCursor, MatchFilter, Shown, SortBy};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(product_matches))
        .routes(routes!(explain_match))
        .routes(routes!(enterprise_matches))
        .routes(routes!(near_misses))
}

/// Why a rule failed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonView {
    /// Stable code: `not_listed`, `region`, `industry`, `qualifications_all`,
    /// `qualifications_any`, `risk_flag`, `years_in_operation`, `valid_invention_patents`,
    /// `no_pledgeable_ip`, `credit_line_below_minimum`, `ip_share`, `product_not_offered`.
    code: &'static str,
    message_zh: String,
    message_en: String,
    /// What the rule needs: `{"unit": "count" | "years" | "fen" | "basis_points" | "codes" | "date" | "flag", "value": …}`.
    #[schema(value_type = Object)]
    need: serde_json::Value,
    /// What the enterprise has, in the same unit.
    #[schema(value_type = Object)]
    have: serde_json::Value,
}

/// One patent or trademark proposed for pledge.
#[derive(Debug, Serialize, ToSchema)]
pub struct BundleItemView {
    /// `patent` or `trademark`.
    #[serde(rename = "type")]
    kind_of_ip: &'static str,
    /// The application number, or the trademark registration number and class (`12345678/9`).
    number: String,
    /// `invention`, `utility_model`, `design` or `trademark`.
    kind: &'static str,
    appraised_value_fen: i64,
    appraised_on: NaiveDate,
    appraisal_valid_until: NaiveDate,
    pledge_rate_bp: u16,
    pledge_value_fen: i64,
    /// Months of protection left after the loan ends (patents).
    remaining_months_after_loan: Option<u32>,
    high_value: bool,
}

/// The score (0–1000) and its parts: coverage ≤ 400, high_value ≤ 200, remaining_term ≤ 150,
/// qualifications ≤ 150, appraisal_freshness ≤ 100.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreView {
    total: u16,
    coverage: u16,
    high_value: u16,
    remaining_term: u16,
    qualifications: u16,
    appraisal_freshness: u16,
}

/// The engine's answer for one enterprise and one product.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatchView {
    uscc: String,
    /// The enterprise's name (on match lists and explanations).
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    park: Option<String>,
    product_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    product_name: Option<String>,
    as_of: NaiveDate,
    /// A loan of the product's longest term taken today falls due on this day.
    loan_end: NaiveDate,
    eligible: bool,
    /// Every failed rule; empty when eligible.
    reasons: Vec<ReasonView>,
    /// What the bundle aims at: the enterprise's stated need within the product's amounts,
    /// or the product's maximum.
    requested_fen: i64,
    /// min(product maximum, Σ pledge values).
    credit_line_fen: i64,
    bundle: Vec<BundleItemView>,
    bundle_total_fen: i64,
    /// Pledgeable items left out of the bundle, free for other loans.
    left_free: u32,
    score: ScoreView,
    /// On explanations: each patent and trademark of the enterprise with its place for this
    /// product (`in_bundle`, `left_free`, `out`) and, when out, every reason with its figures.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    items: Vec<IpItemView>,
}

/// One patent or trademark of the enterprise, judged for the product.
#[derive(Debug, Serialize, ToSchema)]
pub struct IpItemView {
    /// `patent` or `trademark`.
    #[serde(rename = "type")]
    kind_of_ip: &'static str,
    /// The application number, or the registration number and class (`12345678/9`).
    number: String,
    /// The patent's title or the mark.
    title: String,
    /// `invention`, `utility_model`, `design` or `trademark`.
    kind: &'static str,
    /// `in_bundle`, `left_free` or `out`.
    place: &'static str,
    /// Why it is out: `{code, message}` with its figures; empty otherwise.
    reasons: Vec<ItemReasonView>,
}

/// Why an item is out.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemReasonView {
    /// `already_pledged`, `annual_fee_unpaid`, `co_owners_without_consent`, `no_appraisal`,
    /// `appraisal_expired`, `remaining_term_short`, `kind_not_accepted`, `pledged_before`,
    /// `expired`, `terminated`, `debt_due_after_expiry`, ….
    code: &'static str,
    message: String,
}

fn item_view(v: IpVerdict) -> IpItemView {
    let (kind_of_ip, number) = (v.ip.kind_name(), v.ip.number());
    IpItemView {
        kind_of_ip,
        number,
        title: v.title,
        kind: v.kind.as_str(),
        place: match v.place {
            Place::InBundle => "in_bundle",
            Place::LeftFree => "left_free",
            Place::Out => "out",
        },
        reasons: v
            .reasons
            .into_iter()
            .map(|r| ItemReasonView {
                code: r.code,
                message: r.message,
            })
            .collect(),
    }
}

fn view(e: Evaluation) -> MatchView {
    MatchView {
        uscc: e.uscc.to_string(),
        name: None,
        park: None,
        product_id: e.product_id,
        product_name: None,
        as_of: e.as_of,
        loan_end: e.loan_end,
        eligible: e.eligible,
        reasons: e
            .reasons
            .into_iter()
            .map(|r| {
                let (message_zh, message_en) = r.messages();
                ReasonView {
                    code: r.code(),
                    message_zh,
                    message_en,
                    need: serde_json::to_value(&r.need).unwrap_or_default(),
                    have: serde_json::to_value(&r.have).unwrap_or_default(),
                }
            })
            .collect(),
        requested_fen: e.requested.fen(),
        credit_line_fen: e.credit_line.fen(),
        bundle_total_fen: e.bundle.total.fen(),
        left_free: e.bundle.left_free,
        bundle: e
            .bundle
            .items
            .into_iter()
            .map(|i| {
                let (kind_of_ip, number) = (i.ip.kind_name(), i.ip.number());
                BundleItemView {
                    kind_of_ip,
                    number,
                    kind: i.kind.as_str(),
                    appraised_value_fen: i.appraised_value.fen(),
                    appraised_on: i.appraised_on,
                    appraisal_valid_until: i.appraisal_valid_until,
                    pledge_rate_bp: i.pledge_rate.get(),
                    pledge_value_fen: i.pledge_value.fen(),
                    remaining_months_after_loan: i.remaining_months_after_loan,
                    high_value: i.high_value,
                }
            })
            .collect(),
        score: ScoreView {
            total: e.score.total,
            coverage: e.score.coverage,
            high_value: e.score.high_value,
            remaining_term: e.score.remaining_term,
            qualifications: e.score.qualifications,
            appraisal_freshness: e.score.appraisal_freshness,
        },
        items: Vec::new(),
    }
}

/// The view of an evaluation as the service shows it.
fn shown(x: Shown) -> MatchView {
    MatchView {
        name: x.name,
        park: x.park.map(|p| p.to_string()),
        product_name: x.product_name,
        items: x.items.into_iter().map(item_view).collect(),
        ..view(x.evaluation)
    }
}

/// Filters, order and paging of a match list.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct MatchParams {
    /// Park code.
    #[param(value_type = Option<shape::Code>, inline)]
    #[validate(custom(function = shape::code))]
    park: Option<String>,
    /// Region code prefix, e.g. `4107`.
    #[param(value_type = Option<shape::RegionPrefix>, inline)]
    #[validate(custom(function = shape::region_prefix))]
    region: Option<String>,
    /// Industry code prefix, e.g. `C35`.
    #[param(value_type = Option<shape::Industry>, inline)]
    #[validate(custom(function = shape::industry))]
    industry: Option<String>,
    /// Only credit lines of at least this much (分).
    #[param(value_type = Option<u64>, minimum = 0, maximum = 100_000_000_000_000_i64)]
    #[validate(custom(function = shape::digits))]
    min_credit_line_fen: Option<String>,
    /// `score` (default) or `credit_line`.
    #[param(value_type = Option<shape::MatchSort>, inline)]
    #[validate(custom(function = shape::match_sort))]
    sort: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<shape::MatchCursor>, inline)]
    #[validate(custom(function = shape::match_cursor))]
    after: Option<String>,
    /// Page size (default 50).
    #[param(value_type = Option<shape::PageSize>, inline)]
    #[validate(custom(function = shape::page_size))]
    limit: Option<String>,
    /// `json` (default), `csv` or `xlsx`: the same rows as a file, every page.
    #[param(value_type = Option<shape::MatchFormat>, inline)]
    #[validate(custom(function = shape::match_format))]
    format: Option<String>,
}

/// One page of a product's eligible enterprises, best first.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatchList {
    product_id: i64,
    as_of: NaiveDate,
    /// Eligible enterprises passing the filters, on all pages; absent when the list was read
    /// only as far as its best rows (broad products sorted by score).
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<u32>,
    items: Vec<MatchView>,
    /// Absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

/// A product's eligible enterprises, ranked, each with its pledge bundle and credit line.
/// Banks: their own products, white-listed enterprises only. Parks: published products,
/// their own enterprises. `format=csv|xlsx` exports every row the filters select.
#[utoipa::path(get, path = "/api/v1/products/{id}/matches", tag = "matching", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64), MatchParams), responses(
    (status = 200, description = "a page of matches; with format=csv or xlsx, every row the filters select as a file", content(
        (MatchList = "application/json"),
        ("text/csv"),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    )),
    ReadErrors
))]
async fn product_matches(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<MatchParams>,
) -> ApiResult<Response> {
    let product_id = parse_id("id", &id)?;
    let (_, limit) = paging(None, q.limit.as_deref())?;
    let mut c = Check::default();
    let park = c
        .optional("park", q.park.as_deref(), ParkCode::parse)
        .flatten();
    let region = c
        .optional("region", q.region.as_deref(), |r| {
            let r = r.trim();
            if (1..=6).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_digit()) {
                Ok(r.to_owned())
            } else {
                Err(DomainError::RegionCode)
            }
        })
        .flatten();
    let industry = c
        .optional("industry", q.industry.as_deref(), |i| {
            IndustryCode::parse(i).map(|c| c.as_str().to_owned())
        })
        .flatten();
    let min_credit_line = c
        .optional(
            "min_credit_line_fen",
            q.min_credit_line_fen.as_deref(),
            |m| {
                m.trim()
                    .parse::<i64>()
                    .map_err(|_| DomainError::MoneyRange)
                    .and_then(Money::from_fen)
            },
        )
        .flatten();
    let sort = c
        .optional("sort", q.sort.as_deref(), |s| match s.trim() {
            "score" => Ok(SortBy::Score),
            "credit_line" => Ok(SortBy::CreditLine),
            other => Err(DomainError::UnknownValue {
                value: other.into(),
                allowed: "score, credit_line".into(),
            }),
        })
        .flatten()
        .unwrap_or_default();
    let after = c
        .optional("after", q.after.as_deref(), MatchCursor::parse)
        .flatten();
    let format = c
        .optional("format", q.format.as_deref(), |f| match f.trim() {
            "json" => Ok(None),
            other => Format::parse(other).map(Some),
        })
        .flatten()
        .flatten();
    c.finish()?;
    let filter = MatchFilter {
        park,
        region_prefix: region,
        industry_prefix: industry,
        min_credit_line,
        sort,
        after,
        limit: limit as usize,
    };
    if let Some(format) = format {
        return crate::sheet::matches::download(s, cx, format, product_id, filter).await;
    }
    let first = s.service.matches(&cx, product_id, filter)?;
    Ok(Json(MatchList {
        product_id: first.product_id,
        as_of: first.as_of,
        total: first.total,
        next_cursor: first.next.as_ref().map(ToString::to_string),
        items: first.items.into_iter().map(shown).collect(),
    })
    .into_response())
}

/// The full explanation of one enterprise against one product: verdict, every failed rule
/// with its figures, the bundle, the credit line and the score.
#[utoipa::path(get, path = "/api/v1/products/{id}/matches/{uscc}", tag = "matching", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64), ("uscc" = String, Path, pattern = "^[0-9A-Za-z]{18}$")), responses((status = 200, body = MatchView), ReadErrors))]
async fn explain_match(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path((id, uscc)): Path<(String, String)>,
) -> ApiResult<Json<MatchView>> {
    let product_id = parse_id("id", &id)?;
    let uscc = read_key(Uscc::parse(&uscc).map_err(|e| ApiError::field("uscc", e)))?;
    let one = s.service.explain(&cx, product_id, &uscc)?;
    let with_items = s.service.with_items(&cx, vec![one]).await?;
    let one = with_items
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::Internal("an explanation went missing".into()))?;
    Ok(Json(shown(one)))
}

/// Paging of near misses.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct NearMissParams {
    /// The `next_cursor` of the previous page (a USCC).
    #[param(value_type = Option<shape::Uscc>, inline)]
    #[validate(custom(function = shape::uscc))]
    after: Option<String>,
    /// Page size (default 50).
    #[param(value_type = Option<shape::PageSize>, inline)]
    #[validate(custom(function = shape::page_size))]
    limit: Option<String>,
}

/// A page of near misses.
#[derive(Debug, Serialize, ToSchema)]
pub struct NearMissList {
    product_id: i64,
    as_of: NaiveDate,
    /// Each with its one failed rule and the figures of by how much.
    items: Vec<MatchView>,
    next_cursor: Option<String>,
}

/// Near misses of a product: white-listed enterprises that fail exactly one of its rules, with
/// that rule and by how much (a bank: its own products; the office: every product).
#[utoipa::path(get, path = "/api/v1/products/{id}/near-misses", tag = "matching", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64), NearMissParams), responses((status = 200, body = NearMissList), ReadErrors))]
async fn near_misses(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<NearMissParams>,
) -> ApiResult<Json<NearMissList>> {
    let product_id = parse_id("id", &id)?;
    let mut c = Check::default();
    let after = c
        .optional("after", q.after.as_deref(), Uscc::parse)
        .flatten();
    c.finish()?;
    let (_, limit) = crate::check::paging(None, q.limit.as_deref())?;
    let limit = usize::try_from(limit).unwrap_or(50);
    let page = s
        .service
        .near_misses(&cx, product_id, after.as_ref(), limit)?;
    Ok(Json(NearMissList {
        product_id: page.product_id,
        as_of: page.as_of,
        items: page.items.into_iter().map(shown).collect(),
        next_cursor: page.next.map(|u| u.to_string()),
    }))
}

/// The gap analysis of one enterprise: every published product, eligible or not, with every
/// rule it fails and by how much (admin, and the enterprise's park).
#[utoipa::path(get, path = "/api/v1/enterprises/{uscc}/matches", tag = "matching", security(("bearer" = [])), params(("uscc" = String, Path, pattern = "^[0-9A-Za-z]{18}$")), responses((status = 200, body = [MatchView]), ReadErrors))]
async fn enterprise_matches(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(uscc): Path<String>,
) -> ApiResult<Json<Vec<MatchView>>> {
    let uscc = read_key(Uscc::parse(&uscc).map_err(|e| ApiError::field("uscc", e)))?;
    let all = s.service.enterprise_matches(&cx, &uscc)?;
    let all = s.service.with_items(&cx, all).await?;
    Ok(Json(all.into_iter().map(shown).collect()))
}
