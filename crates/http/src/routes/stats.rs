//! Financing figures (融资统计): what the outcomes add up to in a period, grouped as an office
//! reports them upwards; as JSON (分) or as the sheet it sends (万元).

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, ReadErrors};
use crate::extract::ApiQuery;
use crate::shape;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use pledge_service::{Figures, StatsAsk};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_stats))
}

/// The period, the grouping, the scope and the format.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// First day (default: 1 January of this year).
    #[param(value_type = Option<String>, format = Date)]
    #[validate(custom(function = shape::date))]
    pub from: Option<String>,
    /// Last day, included (default: today).
    #[param(value_type = Option<String>, format = Date)]
    #[validate(custom(function = shape::date))]
    pub to: Option<String>,
    /// Comma-separated: `bank`, `product`, `park`, `industry`, `month`, `round`.
    #[param(value_type = Option<String>, pattern = "^(bank|product|park|industry|month|round)(,(bank|product|park|industry|month|round)){0,5}$")]
    #[validate(custom(function = shape::stats_by))]
    pub by: Option<String>,
    /// Only this bank (a bank: only its own).
    #[param(value_type = Option<shape::Code>, inline)]
    #[validate(custom(function = shape::code))]
    pub bank: Option<String>,
    /// Only this park (a park official: only their own).
    #[param(value_type = Option<shape::Code>, inline)]
    #[validate(custom(function = shape::code))]
    pub park: Option<String>,
    /// Only this product.
    #[param(value_type = Option<shape::Id>, inline)]
    #[validate(custom(function = shape::id))]
    pub product_id: Option<String>,
    /// Only this round.
    #[param(value_type = Option<shape::Id>, inline)]
    #[validate(custom(function = shape::id))]
    pub round_id: Option<String>,
    /// `json` (default) or `xlsx`.
    #[param(value_type = Option<shape::StatsFormat>, inline)]
    #[validate(custom(function = shape::stats_format))]
    pub format: Option<String>,
}

impl StatsQuery {
    /// What the query asks, for the service to read.
    fn ask(&self) -> StatsAsk {
        StatsAsk {
            from: self.from.clone(),
            to: self.to.clone(),
            by: self.by.clone(),
            bank: self.bank.clone(),
            park: self.park.clone(),
            product_id: self.product_id.clone(),
            round_id: self.round_id.clone(),
        }
    }
}

/// The figures of one group, or of all.
#[derive(Debug, Serialize, ToSchema)]
pub struct FiguresView {
    /// Enterprises on the list today (null where the grouping has no such count: by month,
    /// round, industry or several keys).
    listed: Option<u64>,
    /// Listed enterprises eligible today for at least one offered product of the group.
    matched: Option<u64>,
    contacted: u64,
    applied: u64,
    approved: u64,
    approved_fen: i64,
    disbursed: u64,
    disbursed_fen: i64,
    pledges_registered: u64,
    patents_pledged: u64,
    trademarks_pledged: u64,
    repaid: u64,
    defaulted: u64,
    declined: u64,
    /// Disbursements that were the enterprise's first recorded loan (首贷); null for a bank.
    first_loans: Option<u64>,
    /// Applications per contact in the period, in basis points (null without contacts).
    applied_per_contacted_bp: Option<u64>,
    approved_per_applied_bp: Option<u64>,
    disbursed_per_approved_bp: Option<u64>,
    /// Median days from the enterprise's first listing to the disbursement.
    median_days_to_disbursement: Option<f64>,
}

impl From<&Figures> for FiguresView {
    fn from(f: &Figures) -> Self {
        Self {
            listed: f.listed,
            matched: f.matched,
            contacted: f.contacted,
            applied: f.applied,
            approved: f.approved,
            approved_fen: f.approved_fen,
            disbursed: f.disbursed,
            disbursed_fen: f.disbursed_fen,
            pledges_registered: f.pledges_registered,
            patents_pledged: f.patents_pledged,
            trademarks_pledged: f.trademarks_pledged,
            repaid: f.repaid,
            defaulted: f.defaulted,
            declined: f.declined,
            first_loans: f.first_loans,
            applied_per_contacted_bp: Figures::ratio_bp(f.applied, f.contacted),
            approved_per_applied_bp: Figures::ratio_bp(f.approved, f.applied),
            disbursed_per_approved_bp: Figures::ratio_bp(f.disbursed, f.approved),
            median_days_to_disbursement: f.median_days_to_disbursement(),
        }
    }
}

/// One group: its key (one value per dimension asked for; a round's is empty for none), what
/// people call it, and its figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsRowView {
    key: BTreeMap<String, String>,
    labels: BTreeMap<String, String>,
    figures: FiguresView,
}

/// The figures of a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsView {
    from: NaiveDate,
    to: NaiveDate,
    by: Vec<String>,
    rows: Vec<StatsRowView>,
    total: FiguresView,
}

/// Financing figures of a period: contacts, applications, approvals and disbursements with
/// their amounts, pledges and IP pledged, first loans, conversion at each step and the
/// median days from listing to disbursement; each event counted in the period (and month)
/// of its own day. The office sees all, a park official their enterprises, a bank its own.
#[utoipa::path(get, path = "/api/v1/stats", tag = "outcomes", security(("bearer" = [])), params(StatsQuery), responses(
    (status = 200, body = StatsView, content(
        ("application/json"),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    )),
    ReadErrors
))]
async fn get_stats(
    State(s): State<AppState>,
    Auth(cx): Auth,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> ApiResult<Response> {
    let stats = s.service.stats_asked(&cx, &q.ask()).await?;
    let rows = s.service.stats_rows(&cx, &stats).await?;
    if q.format.as_deref() == Some("xlsx") {
        return crate::sheet::stats::download(&stats, &rows).await;
    }
    Ok(Json(StatsView {
        from: stats.from,
        to: stats.to,
        by: stats.by.iter().map(|d| d.as_str().into()).collect(),
        rows: rows
            .into_iter()
            .map(|row| StatsRowView {
                key: row
                    .key
                    .iter()
                    .map(|k| (k.dimension.as_str().into(), k.value.clone()))
                    .collect(),
                labels: row
                    .key
                    .into_iter()
                    .map(|k| (k.dimension.as_str().into(), k.label))
                    .collect(),
                figures: FiguresView::from(&row.figures),
            })
            .collect(),
        total: FiguresView::from(&stats.total),
    })
    .into_response())
}
