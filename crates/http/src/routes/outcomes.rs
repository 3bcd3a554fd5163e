//! Outcomes (对接结果): a bank opens one when it contacts a listed enterprise for one of its
//! products and reports each step after; the office and the enterprise's park read them.

use crate::AppState;
use crate::auth::Auth;
use crate::check::{Check, paging, parse_id};
use crate::error::{ApiResult, ReadErrors, WriteErrors};
use crate::extract::{ApiJson, ApiQuery};
use crate::routes::Paged;
use crate::shape;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use pledge_domain::{BankCode, ParkCode, Step, Uscc};
use pledge_service::{OutcomeFilter, OutcomeRecord, StepAsk};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_outcomes, open_outcome))
        .routes(routes!(get_outcome))
        .routes(routes!(take_step))
        .routes(routes!(import_outcomes))
}

/// One row of an imported outcome sheet.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedRowView {
    /// The row number Excel shows.
    pub(crate) row: u32,
    /// `recorded` or `rejected`.
    pub(crate) status: &'static str,
    pub(crate) outcome_id: Option<i64>,
    /// The stage reached (recorded rows).
    pub(crate) stage: Option<String>,
    /// Why it was refused: each cell or rule, with its code (rejected rows).
    pub(crate) errors: Vec<crate::error::FieldError>,
}

/// What an outcome sheet's import did, row by row.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomeImportView {
    recorded: usize,
    rejected: usize,
    pub(crate) rows: Vec<ImportedRowView>,
}

/// Records a bank's own outcome sheet (`GET /api/v1/templates/outcomes.xlsx`; .xlsx or .csv,
/// at most 2,000 rows): each row a contact and every step it reached, recorded whole or
/// refused with why (the same rules as step by step); rows stand alone.
#[utoipa::path(post, path = "/api/v1/outcomes/import", tag = "outcomes", security(("bearer" = [])),
    request_body(content = crate::routes::imports::UploadForm, content_type = "multipart/form-data"),
    responses((status = 200, body = OutcomeImportView), WriteErrors))]
async fn import_outcomes(
    State(s): State<AppState>,
    Auth(cx): Auth,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<Json<OutcomeImportView>> {
    cx.reporting_bank()?;
    let mut form = crate::upload::multipart(form)?;
    let (name, bytes) = crate::upload::file_part(&mut form, s.upload_limit).await?;
    let rows = s.service.import_outcomes(&cx, name, bytes).await?;
    Ok(Json(imported(rows)))
}

/// The view of an import's rows.
fn imported(rows: Vec<(u32, pledge_service::Result<OutcomeRecord>)>) -> OutcomeImportView {
    let mut out = OutcomeImportView {
        recorded: 0,
        rejected: 0,
        rows: Vec::with_capacity(rows.len()),
    };
    for (row, r) in rows {
        out.rows.push(match r {
            Ok(o) => {
                out.recorded += 1;
                ImportedRowView {
                    row,
                    status: "recorded",
                    outcome_id: Some(o.id),
                    stage: Some(o.stage.as_str().into()),
                    errors: Vec::new(),
                }
            }
            Err(e) => {
                out.rejected += 1;
                let p = crate::error::ApiError::from(e).problem();
                let errors = if p.errors.is_empty() {
                    vec![crate::error::FieldError {
                        field: String::new(),
                        code: p.code,
                        message: p.detail,
                    }]
                } else {
                    p.errors
                };
                ImportedRowView {
                    row,
                    status: "rejected",
                    outcome_id: None,
                    stage: None,
                    errors,
                }
            }
        });
    }
    out
}

/// A contact to report.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct OutcomeInput {
    /// One of the bank's own products.
    #[schema(value_type = shape::RecordId, inline)]
    #[validate(range(min = 1, max = 9_007_199_254_740_991_i64))]
    product_id: i64,
    /// A listed enterprise.
    #[schema(value_type = shape::Uscc, inline)]
    #[validate(custom(function = shape::uscc))]
    uscc: String,
    /// The round (周对接, 对接会) the contact came from, if any.
    #[serde(default)]
    #[schema(value_type = Option<shape::RecordId>, inline)]
    #[validate(range(min = 1, max = 9_007_199_254_740_991_i64))]
    round_id: Option<i64>,
    /// The day of the contact (not after today).
    contacted_on: NaiveDate,
}

/// A trademark a pledge names.
#[derive(Debug, Deserialize, Serialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct TrademarkRef {
    #[schema(value_type = shape::Reference, inline)]
    #[validate(custom(function = shape::reference))]
    pub(crate) registration_number: String,
    #[schema(minimum = 1, maximum = 45)]
    #[validate(range(min = 1, max = 45))]
    pub(crate) nice_class: i64,
}

/// The next step of an outcome: `step` says which, and which other fields it carries.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    /// The outcome's version as read.
    #[schema(value_type = shape::RecordId, inline)]
    #[validate(range(min = 1, max = 9_007_199_254_740_991_i64))]
    pub(crate) version: i64,
    /// `applied`, `approved` (with `amount_fen`, `term_months`, `rate_bp`), `disbursed`
    /// (`amount_fen`), `pledge_registered` (`registration_number`, `patents`, `trademarks`),
    /// `repaid`, `defaulted`, `declined` (`reason_code`).
    #[schema(value_type = shape::OutcomeStep, inline)]
    #[validate(custom(function = shape::outcome_step))]
    pub(crate) step: String,
    /// The day of the step: not before the previous one, not after today.
    pub(crate) on: NaiveDate,
    /// Approved or paid out, in 分.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100_000_000_000_000_i64)]
    #[validate(range(min = 1, max = 100_000_000_000_000_i64))]
    pub(crate) amount_fen: Option<i64>,
    #[serde(default)]
    #[schema(minimum = 1, maximum = 360)]
    #[validate(range(min = 1, max = 360))]
    pub(crate) term_months: Option<i64>,
    /// The annual rate approved, in basis points.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 10_000)]
    #[validate(range(min = 1, max = 10_000))]
    pub(crate) rate_bp: Option<i64>,
    /// CNIPA's pledge registration number.
    #[serde(default)]
    #[schema(value_type = Option<shape::Reference>, inline)]
    #[validate(custom(function = shape::reference))]
    pub(crate) registration_number: Option<String>,
    /// The patents pledged (application numbers).
    #[serde(default)]
    #[schema(value_type = Vec<shape::Reference>, inline, max_items = 100)]
    #[validate(length(max = 100))]
    pub(crate) patents: Vec<String>,
    /// The trademarks pledged.
    #[serde(default)]
    #[schema(max_items = 100)]
    #[validate(length(max = 100), nested)]
    pub(crate) trademarks: Vec<TrademarkRef>,
    /// Why nothing came of it.
    #[serde(default)]
    #[schema(value_type = Option<shape::DeclineReason>, inline)]
    #[validate(custom(function = shape::decline_reason))]
    pub(crate) reason_code: Option<String>,
}

impl StepInput {
    /// What the body asks, for the service to read.
    fn ask(&self) -> StepAsk {
        StepAsk {
            step: self.step.clone(),
            on: self.on,
            amount_fen: self.amount_fen,
            term_months: self.term_months,
            rate_bp: self.rate_bp,
            registration_number: self.registration_number.clone(),
            patents: self.patents.clone(),
            trademarks: self
                .trademarks
                .iter()
                .map(|t| (t.registration_number.clone(), t.nice_class))
                .collect(),
            reason_code: self.reason_code.clone(),
        }
    }
}

/// One step as reported.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepView {
    step: String,
    on: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount_fen: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    term_months: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rate_bp: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    registration_number: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    patents: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    trademarks: Vec<TrademarkRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason_code: Option<String>,
}

impl From<&Step> for StepView {
    fn from(s: &Step) -> Self {
        let mut v = Self {
            step: s.stage().as_str().into(),
            on: s.on(),
            amount_fen: None,
            term_months: None,
            rate_bp: None,
            registration_number: None,
            patents: Vec::new(),
            trademarks: Vec::new(),
            reason_code: None,
        };
        match s {
            Step::Approved {
                amount_fen,
                term_months,
                rate_bp,
                ..
            } => {
                v.amount_fen = Some(amount_fen.fen());
                v.term_months = Some(*term_months);
                v.rate_bp = Some(rate_bp.get());
            }
            Step::Disbursed { amount_fen, .. } => v.amount_fen = Some(amount_fen.fen()),
            Step::PledgeRegistered {
                registration_number,
                patents,
                trademarks,
                ..
            } => {
                v.registration_number = Some(registration_number.to_string());
                v.patents = patents.iter().map(ToString::to_string).collect();
                v.trademarks = trademarks
                    .iter()
                    .map(|t| TrademarkRef {
                        registration_number: t.registration_number.to_string(),
                        nice_class: i64::from(t.nice_class),
                    })
                    .collect();
            }
            Step::Declined { reason_code, .. } => v.reason_code = Some(reason_code.as_str().into()),
            Step::Applied { .. } | Step::Repaid { .. } | Step::Defaulted { .. } => {}
        }
        v
    }
}

/// An outcome as kept.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomeView {
    id: i64,
    product_id: i64,
    bank: String,
    uscc: String,
    park: String,
    round_id: Option<i64>,
    /// Where it stands: its latest step (`contacted` before any).
    stage: String,
    contacted_on: NaiveDate,
    steps: Vec<StepView>,
    /// The steps that may follow now (none once repaid, defaulted or declined).
    next_steps: Vec<String>,
    version: i64,
    created_by: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<OutcomeRecord> for OutcomeView {
    fn from(r: OutcomeRecord) -> Self {
        Self {
            id: r.id,
            product_id: r.product_id,
            bank: r.bank.to_string(),
            uscc: r.uscc.to_string(),
            park: r.park.to_string(),
            round_id: r.round_id,
            stage: r.stage.as_str().into(),
            contacted_on: r.outcome.contacted_on,
            steps: r.outcome.steps.iter().map(StepView::from).collect(),
            next_steps: r
                .outcome
                .allowed()
                .iter()
                .map(|s| s.as_str().into())
                .collect(),
            version: r.version,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Filters and paging of outcomes.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct OutcomeQuery {
    #[param(value_type = Option<shape::Id>, inline)]
    #[validate(custom(function = shape::id))]
    product_id: Option<String>,
    #[param(value_type = Option<shape::Uscc>, inline)]
    #[validate(custom(function = shape::uscc))]
    uscc: Option<String>,
    /// A park (a park official: only their own).
    #[param(value_type = Option<shape::Code>, inline)]
    #[validate(custom(function = shape::code))]
    park: Option<String>,
    /// A bank (a bank: only its own).
    #[param(value_type = Option<shape::Code>, inline)]
    #[validate(custom(function = shape::code))]
    bank: Option<String>,
    #[param(value_type = Option<shape::Id>, inline)]
    #[validate(custom(function = shape::id))]
    round_id: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<shape::Id>, inline)]
    #[validate(custom(function = shape::id))]
    after: Option<String>,
    /// Page size (default 50).
    #[param(value_type = Option<shape::PageSize>, inline)]
    #[validate(custom(function = shape::page_size))]
    limit: Option<String>,
}

/// Outcomes the caller may read, oldest first: a bank its own, a park official its
/// enterprises', the office all.
#[utoipa::path(get, path = "/api/v1/outcomes", tag = "outcomes", security(("bearer" = [])), params(OutcomeQuery), responses((status = 200, body = Paged<OutcomeView>), ReadErrors))]
async fn list_outcomes(
    State(s): State<AppState>,
    Auth(cx): Auth,
    ApiQuery(q): ApiQuery<OutcomeQuery>,
) -> ApiResult<Json<Paged<OutcomeView>>> {
    let (after, limit) = paging(q.after.as_deref(), q.limit.as_deref())?;
    // A code no enterprise can have (a wrong check character) has no outcomes.
    let uscc = match q.uscc.as_deref().map(Uscc::parse) {
        Some(Err(_)) => {
            return Ok(Json(Paged {
                items: Vec::new(),
                next_cursor: None,
            }));
        }
        other => other.and_then(Result::ok),
    };
    let mut c = Check::default();
    let filter = OutcomeFilter {
        product_id: q.product_id.as_deref().and_then(|v| v.parse().ok()),
        round_id: q.round_id.as_deref().and_then(|v| v.parse().ok()),
        uscc,
        park: c
            .optional("park", q.park.as_deref(), ParkCode::parse)
            .flatten(),
        bank: c
            .optional("bank", q.bank.as_deref(), BankCode::parse)
            .flatten(),
    };
    c.finish()?;
    Ok(Json(Paged::from_page(
        s.service.outcomes(&cx, filter, after, limit).await?,
        OutcomeView::from,
    )))
}

/// Opens an outcome (对接): the bank contacted a listed enterprise for one of its products.
#[utoipa::path(post, path = "/api/v1/outcomes", tag = "outcomes", security(("bearer" = [])), request_body = OutcomeInput, responses((status = 201, body = OutcomeView), WriteErrors))]
async fn open_outcome(
    State(s): State<AppState>,
    Auth(cx): Auth,
    ApiJson(input): ApiJson<OutcomeInput>,
) -> ApiResult<(StatusCode, Json<OutcomeView>)> {
    let uscc = Uscc::parse(&input.uscc).map_err(|e| crate::error::ApiError::field("uscc", e))?;
    let o = s
        .service
        .open_outcome(
            &cx,
            input.product_id,
            uscc,
            input.round_id,
            input.contacted_on,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(o.into())))
}

/// One outcome the caller may read (another bank's is 404).
#[utoipa::path(get, path = "/api/v1/outcomes/{id}", tag = "outcomes", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64)), responses((status = 200, body = OutcomeView), ReadErrors))]
async fn get_outcome(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<OutcomeView>> {
    let id = crate::check::read_key(parse_id("id", &id))?;
    Ok(Json(s.service.outcome(&cx, id).await?.into()))
}

/// Reports the next step. Steps follow in order, dated in order and not after today; a
/// disbursement cannot exceed the approval; a registered pledge marks its IP pledged at once
/// (it leaves every other bank's bundles), and IP not the enterprise's or already pledged is
/// refused, each item named.
#[utoipa::path(post, path = "/api/v1/outcomes/{id}/steps", tag = "outcomes", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64)), request_body = StepInput, responses((status = 200, body = OutcomeView), WriteErrors))]
async fn take_step(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<StepInput>,
) -> ApiResult<Json<OutcomeView>> {
    let id = parse_id("id", &id)?;
    cx.reporting_bank()?;
    let step = input.ask().step()?;
    let o = s
        .service
        .take_outcome_step(&cx, id, input.version, step)
        .await?;
    Ok(Json(o.into()))
}
