//! Matches (撮合): which listed enterprises qualify for a product, with which IP, for how much,
//! and why; and for one enterprise, every product with what it lacks. Answered from the
//! in-memory index; only the enterprises a page shows are read from the store.

use crate::AppState;
use crate::auth::Auth;
use crate::check::{Check, paging};
use crate::error::{ApiError, ApiResult, ReadErrors};
use crate::extract::ApiQuery;
use crate::routes::enterprises::not_published;
use crate::routes::products::visible_product;
use crate::sheet::{Cell, Column, Format, stream_download};
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use pledge_domain::{DomainError, IndustryCode, Money, ParkCode, Uscc};
use pledge_matching::{Evaluation, IpRef, MatchQuery, RankKey, SortBy};
use pledge_store::Role;
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(product_matches))
        .routes(routes!(explain_match))
        .routes(routes!(enterprise_matches))
}

/// The most rows one export holds.
/// Rows read from the index per page of an export.
const EXPORT_PAGE: usize = 1000;

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
                let (kind_of_ip, number) = match &i.ip {
                    IpRef::Patent { application_number } => {
                        ("patent", application_number.to_string())
                    }
                    IpRef::Trademark {
                        registration_number,
                        nice_class,
                    } => (
                        "trademark",
                        format!("{registration_number}/{}", nice_class.get()),
                    ),
                };
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
    }
}

/// Fills in the names and parks of the enterprises shown, in one read.
async fn with_names(s: &AppState, mut views: Vec<MatchView>) -> ApiResult<Vec<MatchView>> {
    let usccs: Vec<Uscc> = views
        .iter()
        .filter_map(|v| Uscc::parse(&v.uscc).ok())
        .collect();
    let names: HashMap<String, (String, String)> = s
        .store
        .enterprises(&usccs)
        .await?
        .into_iter()
        .map(|e| {
            let e = e.value;
            (e.uscc.to_string(), (e.name.to_string(), e.park.to_string()))
        })
        .collect();
    for v in &mut views {
        if let Some((name, park)) = names.get(&v.uscc) {
            v.name = Some(name.clone());
            v.park = Some(park.clone());
        }
    }
    Ok(views)
}

/// Filters, order and paging of a match list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MatchParams {
    /// Park code.
    park: Option<String>,
    /// Region code prefix, e.g. `4107`.
    region: Option<String>,
    /// Industry code prefix, e.g. `C35`.
    industry: Option<String>,
    /// Only credit lines of at least this much (分).
    min_credit_line_fen: Option<String>,
    /// `score` (default) or `credit_line`.
    sort: Option<String>,
    /// The `next_cursor` of the previous page.
    after: Option<String>,
    /// Page size, 1–500 (default 50).
    limit: Option<String>,
    /// `json` (default), `csv` or `xlsx`: the same rows as a file, every page.
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

fn cursor(k: &RankKey) -> String {
    format!("{}.{}.{}", k.primary, k.secondary, k.uscc.0)
}

fn parse_cursor(s: &str) -> Result<RankKey, DomainError> {
    let bad = DomainError::Format { what: "cursor" };
    let mut parts = s.splitn(3, '.');
    let (Some(a), Some(b), Some(c)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad);
    };
    Ok(RankKey {
        primary: a.parse().map_err(|_| bad.clone())?,
        secondary: b.parse().map_err(|_| bad.clone())?,
        uscc: Reverse(Uscc::parse(c).map_err(|_| bad)?),
    })
}

/// A product's eligible enterprises, ranked, each with its pledge bundle and credit line.
/// Banks: their own products, white-listed enterprises only. Parks: published products,
/// their own enterprises. `format=csv|xlsx` exports every row the filters select.
#[utoipa::path(get, path = "/api/v1/products/{id}/matches", tag = "matching", security(("bearer" = [])), params(("id" = i64, Path), MatchParams), responses(
    (status = 200, body = MatchList),
    (status = 200, description = "the same rows as a file (format=csv|xlsx)", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ReadErrors
))]
async fn product_matches(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<MatchParams>,
) -> ApiResult<Response> {
    let product = visible_product(&s, &auth, &id).await?;
    let (_, limit) = paging(None, q.limit.as_deref())?;
    let mut c = Check::default();
    let mut park = c
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
        .optional("after", q.after.as_deref(), parse_cursor)
        .flatten();
    let format = c
        .optional("format", q.format.as_deref(), |f| match f.trim() {
            "json" => Ok(None),
            other => Format::parse(other).map(Some),
        })
        .flatten()
        .flatten();
    c.finish()?;
    if let (Role::Park, Some((_, own))) = (&auth.0.role, &auth.0.park) {
        if park.as_ref().is_some_and(|p| p != own) {
            return Err(ApiError::forbidden(
                "out_of_scope",
                "只能查看本园区企业 / you see your own park's enterprises only",
            ));
        }
        park = Some(own.clone());
    }
    let query = MatchQuery {
        park,
        region_prefix: region,
        industry_prefix: industry,
        min_credit_line,
        listed_only: auth.0.role == Role::Bank,
        sort,
        after: if format.is_some() { None } else { after },
        limit: if format.is_some() {
            EXPORT_PAGE
        } else {
            limit as usize
        },
    };
    if let Some(format) = format {
        return export(s, format, product.id, query).await;
    }
    let (page, as_of) = {
        let index = s.engine.read();
        let page = index.matches(product.id, &query);
        (page, index.as_of())
    };
    let page = page.ok_or_else(|| ApiError::NotFound {
        detail: format!(
            "产品{}已下架，不再匹配 / product {} is withdrawn and matches nobody",
            product.id, product.id
        ),
    })?;
    let next_cursor = page.next.as_ref().map(cursor);
    let mut items = with_names(&s, page.items.into_iter().map(|(_, e)| view(e)).collect()).await?;
    for v in &mut items {
        v.product_name = Some(product.rules.name.to_string());
    }
    Ok(Json(MatchList {
        product_id: product.id,
        as_of,
        total: page.total,
        items,
        next_cursor,
    })
    .into_response())
}

const COLUMNS: [Column; 11] = [
    ("排名", 6.0),
    ("企业名称", 36.0),
    ("统一社会信用代码", 22.0),
    ("所属园区", 14.0),
    ("评分", 8.0),
    ("测算授信额度(元)", 18.0),
    ("拟质押合计(元)", 16.0),
    ("拟质押件数", 10.0),
    ("拟质押专利/商标", 60.0),
    ("贷款到期日", 12.0),
    ("测算日", 12.0),
];

fn export_row(rank: usize, m: &MatchView) -> Vec<Cell> {
    vec![
        Cell::Int(rank as i64),
        Cell::Text(m.name.clone().unwrap_or_default()),
        Cell::Text(m.uscc.clone()),
        Cell::Text(m.park.clone().unwrap_or_default()),
        Cell::Int(i64::from(m.score.total)),
        Cell::Fen(m.credit_line_fen),
        Cell::Fen(m.bundle_total_fen),
        Cell::Int(m.bundle.len() as i64),
        Cell::Text(
            m.bundle
                .iter()
                .map(|b| b.number.as_str())
                .collect::<Vec<_>>()
                .join("、"),
        ),
        Cell::Date(Some(m.loan_end)),
        Cell::Date(Some(m.as_of)),
    ]
}

/// Every row the filters select, streamed a page of the index at a time.
async fn export(
    s: AppState,
    format: Format,
    product_id: i64,
    query: MatchQuery,
) -> ApiResult<Response> {
    // (cursor of the next page, rows so far); `None` once the list is done.
    let start = Some((None::<RankKey>, 0usize));
    let pages = futures_util::stream::unfold(start, move |state| {
        let (s, query) = (s.clone(), query.clone());
        async move {
            let (after, shown) = state?;
            let page = {
                let index = s.engine.read();
                index.matches(product_id, &MatchQuery { after, ..query })
            };
            let Some(page) = page else {
                return Some((Ok(Vec::new()), None));
            };
            let views = page.items.into_iter().map(|(_, e)| view(e)).collect();
            let views = match with_names(&s, views).await {
                Ok(v) => v,
                Err(e) => return Some((Err(e), None)),
            };
            let rows: Vec<Vec<Cell>> = views
                .into_iter()
                .enumerate()
                .map(|(i, m)| export_row(shown + i + 1, &m))
                .collect();
            let shown = shown + rows.len();
            let next = page.next.map(|k| (Some(k), shown));
            Some((Ok(rows), next))
        }
    });
    stream_download(
        format,
        &format!("matches-product-{product_id}"),
        "匹配企业",
        COLUMNS.to_vec(),
        Box::pin(pages),
    )
    .await
}

/// The full explanation of one enterprise against one product: verdict, every failed rule
/// with its figures, the bundle, the credit line and the score.
#[utoipa::path(get, path = "/api/v1/products/{id}/matches/{uscc}", tag = "matching", security(("bearer" = [])), params(("id" = i64, Path), ("uscc" = String, Path)), responses((status = 200, body = MatchView), ReadErrors))]
async fn explain_match(
    State(s): State<AppState>,
    auth: Auth,
    Path((id, uscc)): Path<(String, String)>,
) -> ApiResult<Json<MatchView>> {
    let product = visible_product(&s, &auth, &id).await?;
    let uscc = Uscc::parse(&uscc).map_err(|e| ApiError::field("uscc", e))?;
    let explained = {
        let index = s.engine.read();
        let who = index
            .enterprise(&uscc)
            .map(|(park, listed)| (park.clone(), listed));
        who.map(|w| (w, index.explain(product.id, &uscc)))
    };
    let Some(((park, listed), evaluation)) = explained else {
        return Err(ApiError::NotFound {
            detail: format!("企业{uscc}未登记 / enterprise {uscc} is not registered"),
        });
    };
    match auth.0.role {
        Role::Bank if !listed => return Err(not_published()),
        Role::Park => auth.read_enterprise(&park)?,
        _ => {}
    }
    let evaluation = evaluation.ok_or_else(|| ApiError::NotFound {
        detail: format!(
            "产品{}已下架，不再匹配 / product {} is withdrawn and matches nobody",
            product.id, product.id
        ),
    })?;
    let mut v = with_names(&s, vec![view(evaluation)]).await?;
    let mut v = v
        .pop()
        .ok_or_else(|| ApiError::Internal("an explained pair went missing".into()))?;
    v.product_name = Some(product.rules.name.to_string());
    Ok(Json(v))
}

/// The gap analysis of one enterprise: every published product, eligible or not, with every
/// rule it fails and by how much (admin, and the enterprise's park).
#[utoipa::path(get, path = "/api/v1/enterprises/{uscc}/matches", tag = "matching", security(("bearer" = [])), params(("uscc" = String, Path)), responses((status = 200, body = [MatchView]), ReadErrors))]
async fn enterprise_matches(
    State(s): State<AppState>,
    auth: Auth,
    Path(uscc): Path<String>,
) -> ApiResult<Json<Vec<MatchView>>> {
    if auth.0.role == Role::Bank {
        return Err(ApiError::forbidden(
            "admin_or_park",
            "企业的全部产品匹配仅对市知识产权局和所在园区开放 / only the city IP office and the enterprise's park see its matches across products",
        ));
    }
    let uscc = Uscc::parse(&uscc).map_err(|e| ApiError::field("uscc", e))?;
    let park = s
        .engine
        .read()
        .enterprise(&uscc)
        .map(|(park, _)| park.clone())
        .ok_or_else(|| ApiError::NotFound {
            detail: format!("企业{uscc}未登记 / enterprise {uscc} is not registered"),
        })?;
    auth.read_enterprise(&park)?;
    let views: Vec<MatchView> = {
        let index = s.engine.read();
        index
            .enterprise_view(&uscc, false)
            .unwrap_or_default()
            .into_iter()
            .map(|e| {
                let product_name = index
                    .product(e.product_id)
                    .map(|p| p.rules.name.to_string());
                MatchView {
                    product_name,
                    ..view(e)
                }
            })
            .collect()
    };
    let views = with_names(&s, views).await?;
    Ok(Json(views))
}
