//! Financing figures (融资统计): what the outcomes add up to in a period, grouped as an office
//! reports them upwards; as JSON (分) or as the sheet it sends (万元).

use crate::AppState;
use crate::auth::Auth;
use crate::check::Check;
use crate::error::{ApiResult, ReadErrors};
use crate::extract::ApiQuery;
use crate::shape;
use crate::sheet::{Cell, Column, Format, titled_download};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use pledge_domain::{BankCode, DomainError, ParkCode};
use pledge_service::{Context, Dimension, Figures, OutcomeFilter, Service, Stats};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
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

/// What a query asks for, read.
pub struct Asked {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub by: Vec<Dimension>,
    pub filter: OutcomeFilter,
}

impl StatsQuery {
    /// The period (defaults filled from `today`), grouping and filter; 422 on any field.
    pub fn read(&self, today: NaiveDate) -> ApiResult<Asked> {
        let mut c = Check::default();
        let day = |c: &mut Check, field: &str, v: &Option<String>, default: NaiveDate| {
            c.optional(field, v.as_deref(), |s| {
                s.parse::<NaiveDate>()
                    .map_err(|_| DomainError::Format { what: "YYYY-MM-DD" })
            })
            .flatten()
            .unwrap_or(default)
        };
        let year_start = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
        let from = day(&mut c, "from", &self.from, year_start);
        let to = day(&mut c, "to", &self.to, today);
        let mut by = Vec::new();
        for part in self.by.as_deref().unwrap_or("").split(',') {
            if part.trim().is_empty() {
                continue;
            }
            match Dimension::parse(part) {
                Some(d) if !by.contains(&d) => by.push(d),
                Some(_) => c.push("by", DomainError::Repeated),
                None => c.push(
                    "by",
                    DomainError::UnknownValue {
                        value: part.into(),
                        allowed: "bank, product, park, industry, month, round".into(),
                    },
                ),
            }
        }
        let filter = OutcomeFilter {
            bank: c
                .optional("bank", self.bank.as_deref(), BankCode::parse)
                .flatten(),
            park: c
                .optional("park", self.park.as_deref(), ParkCode::parse)
                .flatten(),
            product_id: self.product_id.as_deref().and_then(|v| v.parse().ok()),
            round_id: self.round_id.as_deref().and_then(|v| v.parse().ok()),
            uscc: None,
        };
        c.finish()?;
        Ok(Asked {
            from,
            to,
            by,
            filter,
        })
    }
}

/// The figures a query asks for, as the caller may see them.
pub async fn asked(service: &Service, cx: &Context, q: &StatsQuery) -> ApiResult<Stats> {
    let asked = q.read(cx.today())?;
    Ok(service
        .stats(cx, asked.from, asked.to, asked.by, asked.filter)
        .await?)
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

/// A group's key values with their labels, in the order of `by`.
pub type Labelled = Vec<(Dimension, String, String)>;

/// Each row's key with what people call it.
pub async fn labelled(
    service: &Service,
    cx: &Context,
    stats: &Stats,
) -> ApiResult<Vec<(Labelled, Figures)>> {
    let labels: HashMap<(Dimension, String), String> = service.stats_labels(cx, stats).await?;
    Ok(stats
        .rows
        .iter()
        .map(|(key, f)| {
            let parts = stats
                .by
                .iter()
                .zip(key)
                .map(|(d, v)| {
                    let label = labels.get(&(*d, v.clone())).cloned().unwrap_or(v.clone());
                    (*d, v.clone(), label)
                })
                .collect();
            (parts, f.clone())
        })
        .collect())
}

const FIGURE_COLUMNS: &[Column] = &[
    ("在库企业", 10.0),
    ("匹配企业", 10.0),
    ("对接", 8.0),
    ("申请", 8.0),
    ("审批", 8.0),
    ("审批金额（万元）", 16.0),
    ("放款", 8.0),
    ("放款金额（万元）", 16.0),
    ("质押登记", 10.0),
    ("质押专利", 10.0),
    ("质押商标", 10.0),
    ("还款", 8.0),
    ("违约", 8.0),
    ("未通过", 8.0),
    ("首贷", 8.0),
    ("申请率", 10.0),
    ("审批率", 10.0),
    ("放款率", 10.0),
    ("入库至放款天数（中位数）", 22.0),
];

fn percent(bp: Option<u64>) -> Cell {
    Cell::Text(bp.map_or(String::new(), |b| format!("{}.{:02}%", b / 100, b % 100)))
}

fn figure_cells(f: &Figures) -> Vec<Cell> {
    let opt = |v: Option<u64>| v.map_or(Cell::Text(String::new()), |n| Cell::Int(n as i64));
    vec![
        opt(f.listed),
        opt(f.matched),
        Cell::Int(f.contacted as i64),
        Cell::Int(f.applied as i64),
        Cell::Int(f.approved as i64),
        Cell::Wan(f.approved_fen),
        Cell::Int(f.disbursed as i64),
        Cell::Wan(f.disbursed_fen),
        Cell::Int(f.pledges_registered as i64),
        Cell::Int(f.patents_pledged as i64),
        Cell::Int(f.trademarks_pledged as i64),
        Cell::Int(f.repaid as i64),
        Cell::Int(f.defaulted as i64),
        Cell::Int(f.declined as i64),
        opt(f.first_loans),
        percent(Figures::ratio_bp(f.applied, f.contacted)),
        percent(Figures::ratio_bp(f.approved, f.applied)),
        percent(Figures::ratio_bp(f.disbursed, f.approved)),
        Cell::Text(
            f.median_days_to_disbursement()
                .map_or(String::new(), |d| d.to_string()),
        ),
    ]
}

/// The sheet an office sends upwards: a title with the period, one row a group, the total.
pub async fn stats_sheet(service: &Service, cx: &Context, stats: &Stats) -> ApiResult<Response> {
    let rows = labelled(service, cx, stats).await?;
    let mut columns: Vec<Column> = stats.by.iter().map(|d| (d.label_zh(), 18.0)).collect();
    columns.extend_from_slice(FIGURE_COLUMNS);
    let mut cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|(key, f)| {
            let mut r: Vec<Cell> = key.iter().map(|(_, _, l)| Cell::Text(l.clone())).collect();
            r.extend(figure_cells(f));
            r
        })
        .collect();
    let mut total: Vec<Cell> = stats
        .by
        .iter()
        .enumerate()
        .map(|(i, _)| {
            Cell::Text(if i == 0 {
                "合计".into()
            } else {
                String::new()
            })
        })
        .collect();
    total.extend(figure_cells(&stats.total));
    cells.push(total);
    let title = format!("知识产权质押融资统计（{}至{}）", stats.from, stats.to);
    let pages = futures_util::stream::once(async move { Ok(cells) });
    titled_download(
        Format::Xlsx,
        &format!("stats-{}-{}", stats.from, stats.to),
        "融资统计",
        Some(title),
        columns,
        Box::pin(pages),
    )
    .await
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
    auth: Auth,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> ApiResult<Response> {
    let stats = asked(&s.service, &auth.0, &q).await?;
    if q.format.as_deref() == Some("xlsx") {
        return stats_sheet(&s.service, &auth.0, &stats).await;
    }
    let rows = labelled(&s.service, &auth.0, &stats).await?;
    Ok(Json(StatsView {
        from: stats.from,
        to: stats.to,
        by: stats.by.iter().map(|d| d.as_str().into()).collect(),
        rows: rows
            .into_iter()
            .map(|(key, f)| StatsRowView {
                key: key
                    .iter()
                    .map(|(d, v, _)| (d.as_str().into(), v.clone()))
                    .collect(),
                labels: key
                    .into_iter()
                    .map(|(d, _, l)| (d.as_str().into(), l))
                    .collect(),
                figures: FiguresView::from(&f),
            })
            .collect(),
        total: FiguresView::from(&stats.total),
    })
    .into_response())
}
