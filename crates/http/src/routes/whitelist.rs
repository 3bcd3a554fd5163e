//! The white list (白名单): criteria, batches, entries, their lifecycle, publication and export.

use crate::AppState;
use crate::auth::Auth;
use crate::check::{Check, date, paging, parse_id};
use crate::error::{ApiError, ApiResult, Problem, ReadErrors, WriteErrors};
use crate::extract::{ApiJson, ApiQuery};
use crate::routes::Paged;
use crate::routes::imports::UploadForm;
use crate::shape;
use crate::sheet::Format;
use crate::upload::{file_part, multipart};
use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use pledge_domain::{Criteria, DomainError, EntryStatus, ParkCode, Text, Transition, Uscc};
use pledge_service::{
    BatchRecord, Context, CriteriaAsk, EntryFilter, EntryRecord, decision, transition_asked,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_criteria, put_criteria))
        .routes(routes!(list_batches, create_batch))
        .routes(routes!(get_batch))
        .routes(routes!(nominate))
        .routes(routes!(publish_batch))
        .routes(routes!(export_batch))
        .routes(routes!(list_entries))
        .routes(routes!(get_entry))
        .routes(routes!(entry_history))
        .routes(routes!(transition))
        .routes(routes!(nominate_many))
        .routes(routes!(nominate_sheet))
        .routes(routes!(export_current))
        .routes(routes!(decide_many))
        .routes(routes!(rescreen))
        .routes(routes!(reverse_rescreen))
}

/// The entry criteria (入选条件).
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CriteriaDto {
    #[schema(example = 1, minimum = 0, maximum = 1000)]
    #[validate(range(max = 1000))]
    min_valid_invention_patents: u32,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000)]
    #[validate(range(max = 1000))]
    min_valid_patents: u32,
    /// Risk flags that exclude (`dishonest_debtor`, `abnormal_operation`, …).
    #[serde(default)]
    #[schema(value_type = Vec<shape::RiskFlag>, inline, max_items = 50)]
    #[validate(length(max = 50), custom(function = shape::risk_flags))]
    excluded_risk_flags: Vec<String>,
    /// At least one of these qualifications (empty: none required).
    #[serde(default)]
    #[schema(value_type = Vec<shape::Qualification>, inline, max_items = 50)]
    #[validate(length(max = 50), custom(function = shape::qualifications))]
    any_of_qualifications: Vec<String>,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100)]
    #[validate(range(max = 100))]
    min_years_in_operation: u32,
    /// The version read (0 before the first change); answered with the new one.
    #[schema(minimum = 0, maximum = 9_007_199_254_740_991_i64)]
    #[validate(range(min = 0, max = 9_007_199_254_740_991_i64))]
    version: i64,
}

fn criteria_dto(c: &Criteria, version: i64) -> CriteriaDto {
    CriteriaDto {
        min_valid_invention_patents: c.min_valid_invention_patents,
        min_valid_patents: c.min_valid_patents,
        excluded_risk_flags: c
            .excluded_risk_flags
            .iter()
            .map(|f| f.as_str().into())
            .collect(),
        any_of_qualifications: c
            .any_of_qualifications
            .iter()
            .map(|q| q.as_str().into())
            .collect(),
        min_years_in_operation: c.min_years_in_operation,
        version,
    }
}

/// The entry criteria in force (admin and parks).
#[utoipa::path(get, path = "/api/v1/whitelist/criteria", tag = "whitelist", security(("bearer" = [])), responses((status = 200, body = CriteriaDto), ReadErrors))]
async fn get_criteria(State(s): State<AppState>, Auth(cx): Auth) -> ApiResult<Json<CriteriaDto>> {
    let (c, v) = s.service.criteria(&cx).await?;
    Ok(Json(criteria_dto(&c, v)))
}

/// Replaces the entry criteria (admin); send the `version` read.
#[utoipa::path(put, path = "/api/v1/whitelist/criteria", tag = "whitelist", security(("bearer" = [])), request_body = CriteriaDto, responses((status = 200, body = CriteriaDto), WriteErrors))]
async fn put_criteria(
    State(s): State<AppState>,
    Auth(cx): Auth,
    ApiJson(input): ApiJson<CriteriaDto>,
) -> ApiResult<Json<CriteriaDto>> {
    let asked = CriteriaAsk {
        min_valid_invention_patents: input.min_valid_invention_patents,
        min_valid_patents: input.min_valid_patents,
        excluded_risk_flags: input.excluded_risk_flags,
        any_of_qualifications: input.any_of_qualifications,
        min_years_in_operation: input.min_years_in_operation,
    };
    let (c, v) = s.service.set_criteria(&cx, &asked, input.version).await?;
    Ok(Json(criteria_dto(&c, v)))
}

/// A new batch.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct BatchInput {
    #[schema(example = "2026年第一批知识产权金融普惠企业白名单", value_type = shape::Name, inline)]
    #[validate(custom(function = shape::name))]
    name: String,
    /// The last day its entries are valid.
    valid_until: NaiveDate,
}

/// A batch (批次).
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchView {
    id: i64,
    name: String,
    valid_until: NaiveDate,
    /// `draft`, `published` or `closed`.
    status: String,
    published_on: Option<NaiveDate>,
    version: i64,
    created_at: DateTime<Utc>,
}

impl From<BatchRecord> for BatchView {
    fn from(b: BatchRecord) -> Self {
        Self {
            id: b.id,
            name: b.name,
            valid_until: b.valid_until,
            status: b.status.as_str().into(),
            published_on: b.published_on,
            version: b.version,
            created_at: b.created_at,
        }
    }
}

/// Batches, newest first (any token).
#[utoipa::path(get, path = "/api/v1/whitelist/batches", tag = "whitelist", security(("bearer" = [])), responses((status = 200, body = [BatchView]), ReadErrors))]
async fn list_batches(
    State(s): State<AppState>,
    Auth(cx): Auth,
) -> ApiResult<Json<Vec<BatchView>>> {
    Ok(Json(
        s.service
            .batches(&cx)
            .await?
            .into_iter()
            .map(BatchView::from)
            .collect(),
    ))
}

/// Creates a draft batch (admin).
#[utoipa::path(post, path = "/api/v1/whitelist/batches", tag = "whitelist", security(("bearer" = [])), request_body = BatchInput, responses((status = 201, body = BatchView), WriteErrors))]
async fn create_batch(
    State(s): State<AppState>,
    Auth(cx): Auth,
    ApiJson(input): ApiJson<BatchInput>,
) -> ApiResult<(StatusCode, Json<BatchView>)> {
    cx.require_office()?;
    let name = Text::parse(&input.name, 2, 100).map_err(|e| ApiError::field("name", e))?;
    let b = s
        .service
        .create_batch(&cx, &name, input.valid_until)
        .await?;
    Ok((StatusCode::CREATED, Json(b.into())))
}

async fn find_batch(s: &AppState, cx: &Context, raw: &str) -> ApiResult<BatchRecord> {
    let id = parse_id("id", raw)?;
    Ok(s.service.batch(cx, id).await?)
}

/// One batch (any token).
#[utoipa::path(get, path = "/api/v1/whitelist/batches/{id}", tag = "whitelist", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64)), responses((status = 200, body = BatchView), ReadErrors))]
async fn get_batch(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<BatchView>> {
    Ok(Json(find_batch(&s, &cx, &id).await?.into()))
}

/// A nomination.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct NominationInput {
    /// 统一社会信用代码 of a registered enterprise.
    #[schema(value_type = shape::Uscc, inline)]
    #[validate(custom(function = shape::uscc))]
    uscc: String,
}

/// The result of screening, with every failing criterion.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScreeningView {
    as_of: NaiveDate,
    passed: bool,
    failures: Vec<FailureView>,
}

/// One failing criterion: what it needs, what the enterprise has.
#[derive(Debug, Serialize, ToSchema)]
pub struct FailureView {
    code: String,
    need: String,
    have: String,
    message: String,
}

/// An entry of the white list.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryView {
    id: i64,
    batch_id: i64,
    batch_name: String,
    uscc: String,
    enterprise_name: String,
    park: String,
    /// `nominated`, `approved`, `rejected`, `published`, `suspended`, `removed`, `expired`.
    status: String,
    /// The transitions allowed from this state.
    allowed: Vec<String>,
    nominated_by: String,
    screening: ScreeningView,
    override_reason: Option<String>,
    reason_code: String,
    reason: String,
    published_on: Option<NaiveDate>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<EntryRecord> for EntryView {
    fn from(e: EntryRecord) -> Self {
        Self {
            id: e.id,
            batch_id: e.batch_id,
            batch_name: e.batch_name,
            uscc: e.uscc.to_string(),
            enterprise_name: e.enterprise_name,
            park: e.park.to_string(),
            status: e.status.as_str().into(),
            allowed: e
                .status
                .allowed()
                .into_iter()
                .filter(|t| !matches!(t, Transition::Publish | Transition::Expire))
                .map(|t| t.as_str().into())
                .collect(),
            nominated_by: e.nominated_by,
            screening: ScreeningView {
                as_of: e.screening.as_of,
                passed: e.screening.passed,
                failures: e
                    .screening
                    .failures
                    .into_iter()
                    .map(|f| FailureView {
                        code: f.code,
                        need: f.need,
                        have: f.have,
                        message: f.message,
                    })
                    .collect(),
            },
            override_reason: e.override_reason,
            reason_code: e.reason_code.as_str().into(),
            reason: e.reason,
            published_on: e.published_on,
            version: e.version,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// Nominates an enterprise into a draft batch and screens it (admin, or its park).
#[utoipa::path(post, path = "/api/v1/whitelist/batches/{id}/entries", tag = "whitelist", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64)), request_body = NominationInput, responses((status = 201, body = EntryView), WriteErrors))]
async fn nominate(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<NominationInput>,
) -> ApiResult<(StatusCode, Json<EntryView>)> {
    cx.write_scope()?;
    let id = parse_id("id", &id)?;
    let uscc = Uscc::parse(&input.uscc).map_err(|e| ApiError::field("uscc", e))?;
    let e = s.service.nominate(&cx, id, &uscc).await?;
    Ok((StatusCode::CREATED, Json(e.into())))
}

/// The version of the batch read.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct PublishInput {
    #[schema(minimum = 0, maximum = 9_007_199_254_740_991_i64)]
    #[validate(range(min = 0, max = 9_007_199_254_740_991_i64))]
    version: i64,
}

/// Publishes a batch (admin): its approved entries go to the banks.
#[utoipa::path(post, path = "/api/v1/whitelist/batches/{id}/publish", tag = "whitelist", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64)), request_body = PublishInput, responses((status = 200, body = BatchView), WriteErrors))]
async fn publish_batch(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PublishInput>,
) -> ApiResult<Json<BatchView>> {
    cx.require_office()?;
    let id = parse_id("id", &id)?;
    Ok(Json(
        s.service
            .publish_batch(&cx, id, input.version)
            .await?
            .into(),
    ))
}

/// A transition of one entry.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct TransitionInput {
    /// The version of the entry read.
    #[schema(minimum = 0, maximum = 9_007_199_254_740_991_i64)]
    #[validate(range(min = 0, max = 9_007_199_254_740_991_i64))]
    version: i64,
    /// `meets_criteria`, `fails_criteria`, `risk_flag`, `lost_valid_ip`, `qualification_expired`,
    /// `enterprise_request`, `data_corrected`, `other`, ….
    #[schema(example = "meets_criteria", value_type = shape::ReasonCode, inline)]
    #[validate(custom(function = shape::reason_code))]
    reason_code: String,
    /// Free text, required.
    #[schema(example = "经复核符合条件", value_type = shape::Reason, inline)]
    #[validate(custom(function = shape::reason))]
    reason: String,
    /// To approve an entry that fails screening: the admin's written reason.
    #[schema(value_type = Option<shape::Reason>, inline)]
    #[validate(custom(function = shape::reason))]
    override_reason: Option<String>,
}

/// Approves, rejects, suspends, reinstates or removes an entry (admin). Whoever nominated an
/// entry cannot approve it; a stale version is 409; an illegal step is 409 naming the allowed.
#[utoipa::path(post, path = "/api/v1/whitelist/entries/{id}/{action}", tag = "whitelist", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64), ("action" = String, Path, pattern = "^(approve|reject|suspend|reinstate|remove)$", description = "approve | reject | suspend | reinstate | remove")), request_body = TransitionInput, responses((status = 200, body = EntryView), WriteErrors))]
async fn transition(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path((id, action)): Path<(String, String)>,
    ApiJson(input): ApiJson<TransitionInput>,
) -> ApiResult<Json<EntryView>> {
    cx.require_office()?;
    let id = parse_id("id", &id)?;
    let t = decision(&action)?;
    let req = transition_asked(
        t,
        input.version,
        &input.reason_code,
        &input.reason,
        input.override_reason.as_deref(),
    )?;
    Ok(Json(s.service.transition(&cx, id, req).await?.into()))
}

/// The most one request nominates or decides.
const MANY: u64 = pledge_service::MANY as u64;

/// Enterprises to nominate into a batch, each on its own.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct NominationsInput {
    /// 统一社会信用代码 of registered enterprises, 1 to 500.
    #[schema(value_type = Vec<shape::Uscc>, inline, min_items = 1, max_items = 500)]
    #[validate(length(min = 1, max = 500), custom(function = shape::usccs))]
    usccs: Vec<String>,
}

/// What became of one item of a request for many: the answer it would have had alone.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemResult {
    /// The USCC nominated, or the entry decided.
    key: String,
    /// The status it would have had alone (201 or 200 when done).
    status: u16,
    /// The entry as it now stands, when done.
    #[serde(skip_serializing_if = "Option::is_none")]
    entry: Option<EntryView>,
    /// Why not, when not.
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<Problem>,
}

/// One result per item, in the order sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct ManyResults {
    done: usize,
    refused: usize,
    results: Vec<ItemResult>,
}

impl ManyResults {
    fn of(results: Vec<ItemResult>) -> Self {
        let done = results.iter().filter(|r| r.entry.is_some()).count();
        Self {
            done,
            refused: results.len() - done,
            results,
        }
    }
}

fn item(key: String, ok: StatusCode, r: ApiResult<EntryView>) -> ItemResult {
    match r {
        Ok(entry) => ItemResult {
            key,
            status: ok.as_u16(),
            entry: Some(entry),
            problem: None,
        },
        Err(e) => {
            let problem = e.problem();
            ItemResult {
                key,
                status: problem.status,
                entry: None,
                problem: Some(problem),
            }
        }
    }
}

/// Nominates many enterprises into a draft batch, each judged on its own (screening, scope,
/// one live entry per enterprise): one result per USCC, in the order sent.
#[utoipa::path(post, path = "/api/v1/whitelist/batches/{id}/nominations", tag = "whitelist", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64)), request_body = NominationsInput, responses((status = 200, body = ManyResults), WriteErrors))]
async fn nominate_many(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<NominationsInput>,
) -> ApiResult<Json<ManyResults>> {
    cx.write_scope()?;
    let id = parse_id("id", &id)?;
    Ok(Json(nominate_each(&s, &cx, id, &input.usccs).await?))
}

/// Nominates the enterprises a sheet lists (its 统一社会信用代码 column, by any header that
/// column is known by; .xlsx or .csv), as `nominations` does with a list: one result per row.
#[utoipa::path(post, path = "/api/v1/whitelist/batches/{id}/nominations/upload", tag = "whitelist", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64)),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 200, body = ManyResults), WriteErrors))]
async fn nominate_sheet(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(id): Path<String>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<Json<ManyResults>> {
    cx.write_scope()?;
    let id = parse_id("id", &id)?;
    let mut form = multipart(form)?;
    let (name, bytes) = file_part(&mut form, s.upload_limit).await?;
    let usccs = s.service.listed_usccs(name, bytes).await?;
    if usccs.len() as u64 > MANY {
        return Err(ApiError::field(
            "file",
            pledge_domain::DomainError::TooMany { max: MANY as usize },
        ));
    }
    Ok(Json(nominate_each(&s, &cx, id, &usccs).await?))
}

/// Nominates each of `usccs` into batch `id` on its own, one result per item.
async fn nominate_each(
    s: &AppState,
    cx: &Context,
    id: i64,
    usccs: &[String],
) -> ApiResult<ManyResults> {
    let results = s.service.nominate_many(cx, id, usccs).await?;
    Ok(ManyResults::of(
        results
            .into_iter()
            .map(|(key, r)| {
                item(
                    key,
                    StatusCode::CREATED,
                    r.map(EntryView::from).map_err(ApiError::from),
                )
            })
            .collect(),
    ))
}

/// One entry to decide, with the version read.
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct EntryVersion {
    #[schema(minimum = 1, maximum = 9_007_199_254_740_991_i64)]
    #[validate(range(min = 1, max = 9_007_199_254_740_991_i64))]
    id: i64,
    #[schema(minimum = 0, maximum = 9_007_199_254_740_991_i64)]
    #[validate(range(min = 0, max = 9_007_199_254_740_991_i64))]
    version: i64,
}

/// One step for many entries, with one reason.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct DecisionsInput {
    /// `approve`, `reject`, `suspend`, `reinstate` or `remove`.
    #[schema(
        pattern = "^(approve|reject|suspend|reinstate|remove)$",
        max_length = 9
    )]
    #[validate(custom(function = shape::decision))]
    action: String,
    /// 1 to 500 entries, each with the version read.
    #[schema(min_items = 1, max_items = 500)]
    #[validate(length(min = 1, max = 500), nested)]
    entries: Vec<EntryVersion>,
    #[schema(example = "meets_criteria", value_type = shape::ReasonCode, inline)]
    #[validate(custom(function = shape::reason_code))]
    reason_code: String,
    #[schema(example = "经复核符合条件", value_type = shape::Reason, inline)]
    #[validate(custom(function = shape::reason))]
    reason: String,
    #[schema(value_type = Option<shape::Reason>, inline)]
    #[validate(custom(function = shape::reason))]
    override_reason: Option<String>,
}

/// Decides many entries in one request (admin), each on its own: four-eyes, screening and its
/// version are judged per entry, and one result per entry comes back, in the order sent.
#[utoipa::path(post, path = "/api/v1/whitelist/decisions", tag = "whitelist", security(("bearer" = [])), request_body = DecisionsInput, responses((status = 200, body = ManyResults), WriteErrors))]
async fn decide_many(
    State(s): State<AppState>,
    Auth(cx): Auth,
    ApiJson(input): ApiJson<DecisionsInput>,
) -> ApiResult<Json<ManyResults>> {
    cx.require_office()?;
    let t = decision(&input.action)?;
    // One step and one reason for every entry: read once, each entry with its own version.
    let step = transition_asked(
        t,
        0,
        &input.reason_code,
        &input.reason,
        input.override_reason.as_deref(),
    )?;
    let entries: Vec<(i64, i64)> = input.entries.iter().map(|e| (e.id, e.version)).collect();
    let results = s.service.decide_many(&cx, &entries, step).await?;
    Ok(Json(ManyResults::of(
        results
            .into_iter()
            .map(|(id, r)| {
                item(
                    id.to_string(),
                    StatusCode::OK,
                    r.map(EntryView::from).map_err(ApiError::from),
                )
            })
            .collect(),
    )))
}

/// Filters and paging of entries.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct EntryQuery {
    /// An entry status.
    #[param(value_type = Option<shape::EntryStatus>, inline)]
    #[validate(custom(function = shape::entry_status))]
    status: Option<String>,
    /// Park code.
    #[param(value_type = Option<shape::Code>, inline)]
    #[validate(custom(function = shape::code))]
    park: Option<String>,
    /// Batch id.
    #[param(value_type = Option<shape::Id>, inline)]
    #[validate(custom(function = shape::id))]
    batch: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<shape::Id>, inline)]
    #[validate(custom(function = shape::id))]
    after: Option<String>,
    /// Page size (default 50).
    #[param(value_type = Option<shape::PageSize>, inline)]
    #[validate(custom(function = shape::page_size))]
    limit: Option<String>,
}

/// The scope of the caller over entries: a park sees its park, a bank the published ones.
#[utoipa::path(get, path = "/api/v1/whitelist/entries", tag = "whitelist", security(("bearer" = [])), params(EntryQuery), responses((status = 200, body = Paged<EntryView>), ReadErrors))]
async fn list_entries(
    State(s): State<AppState>,
    Auth(cx): Auth,
    ApiQuery(q): ApiQuery<EntryQuery>,
) -> ApiResult<Json<Paged<EntryView>>> {
    let (after, limit) = paging(q.after.as_deref(), q.limit.as_deref())?;
    let mut c = Check::default();
    let status = c
        .optional("status", q.status.as_deref(), EntryStatus::parse)
        .flatten();
    let park = c
        .optional("park", q.park.as_deref(), ParkCode::parse)
        .flatten();
    let batch = c
        .optional("batch", q.batch.as_deref(), |b| {
            b.parse::<i64>()
                .map_err(|_| DomainError::Format { what: "batch id" })
        })
        .flatten();
    c.finish()?;
    let filter = EntryFilter {
        statuses: status.into_iter().collect(),
        park,
        batch,
        ..Default::default()
    };
    Ok(Json(Paged::from_page(
        s.service.entries(&cx, filter, after, limit).await?,
        EntryView::from,
    )))
}

/// Reads an entry the caller may see (others are 404).
#[utoipa::path(get, path = "/api/v1/whitelist/entries/{id}", tag = "whitelist", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64)), responses((status = 200, body = EntryView), ReadErrors))]
async fn get_entry(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<EntryView>> {
    let id = parse_id("id", &id)?;
    Ok(Json(s.service.entry(&cx, id).await?.into()))
}

/// The history of one entry, oldest first (admin, or its park).
#[utoipa::path(get, path = "/api/v1/whitelist/entries/{id}/history", tag = "whitelist", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64)), responses((status = 200, body = [crate::routes::audit::AuditView]), ReadErrors))]
async fn entry_history(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<crate::routes::audit::AuditView>>> {
    let id = parse_id("id", &id)?;
    Ok(Json(
        s.service
            .entry_history(&cx, id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct RescreenInput {
    /// Default today; at most 31 days back and 7 days ahead.
    as_of: Option<NaiveDate>,
    /// Change nothing: answer what a run would change.
    #[serde(default)]
    dry_run: bool,
}

/// An entry a re-screening suspended.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuspendedView {
    entry_id: i64,
    reason: String,
}

/// What a re-screening changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct RescreenView {
    /// The run (none for a dry run): `POST /api/v1/whitelist/rescreen/{run}/reverse` undoes it.
    run: Option<i64>,
    as_of: NaiveDate,
    /// Nothing was changed: the lists say what a run would change.
    dry_run: bool,
    checked: usize,
    /// Every entry suspended, with why.
    suspended: Vec<SuspendedView>,
    expired: Vec<i64>,
    closed_batches: Vec<i64>,
}

/// Re-screens every published entry and expires those past validity (admin).
#[utoipa::path(post, path = "/api/v1/whitelist/rescreen", tag = "whitelist", security(("bearer" = [])), request_body = RescreenInput, responses((status = 200, body = RescreenView), WriteErrors))]
async fn rescreen(
    State(s): State<AppState>,
    Auth(cx): Auth,
    ApiJson(input): ApiJson<RescreenInput>,
) -> ApiResult<Json<RescreenView>> {
    cx.require_office()?;
    let as_of = input.as_of.unwrap_or(cx.today());
    let r = s.service.rescreen(&cx, as_of, input.dry_run).await?;
    Ok(Json(RescreenView {
        run: r.run,
        as_of,
        dry_run: input.dry_run,
        checked: r.checked,
        suspended: r
            .suspended
            .into_iter()
            .map(|(entry_id, reason)| SuspendedView { entry_id, reason })
            .collect(),
        expired: r.expired,
        closed_batches: r.closed_batches,
    }))
}

/// Nothing to send: the run is in the path.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ReverseInput {}

/// What undoing a re-screening did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReversalView {
    run: i64,
    /// Entries the run suspended, published again.
    reinstated: Vec<i64>,
    /// Entries the run expired, back in the state they were in.
    restored: Vec<i64>,
    /// Batches the run closed, published again.
    reopened: Vec<i64>,
    /// What was left as it is, and why.
    kept: Vec<KeptView>,
}

/// An entry or batch a reversal left as it is.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeptView {
    id: i64,
    why: String,
}

/// Undoes a re-screening run (admin), once: what it suspended is published again, what it
/// expired restored, the batches it closed published again; what changed since is kept.
#[utoipa::path(post, path = "/api/v1/whitelist/rescreen/{run}/reverse", tag = "whitelist", security(("bearer" = [])), params(("run" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64, description = "the run a rescreen answered")), request_body = ReverseInput, responses((status = 200, body = ReversalView), WriteErrors))]
async fn reverse_rescreen(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(run): Path<String>,
    ApiJson(_): ApiJson<ReverseInput>,
) -> ApiResult<Json<ReversalView>> {
    let run = crate::check::parse_id("run", &run)?;
    let r = s.service.reverse_rescreen(&cx, run).await?;
    Ok(Json(ReversalView {
        run: r.run,
        reinstated: r.reinstated,
        restored: r.restored,
        reopened: r.reopened,
        kept: r
            .kept
            .into_iter()
            .map(|(id, why)| KeptView { id, why })
            .collect(),
    }))
}

/// The file format.
#[derive(Debug, Default, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `xlsx` (default) or `csv`.
    #[param(value_type = Option<shape::FileFormat>, inline)]
    #[validate(custom(function = shape::file_format))]
    format: Option<String>,
    /// Patent counts as of this day (default today).
    #[param(value_type = Option<NaiveDate>)]
    #[validate(custom(function = shape::date))]
    as_of: Option<String>,
}

/// Reads the format and the day of an export.
fn export_options(q: &ExportQuery, today: NaiveDate) -> ApiResult<(Format, NaiveDate)> {
    let mut c = Check::default();
    let as_of = date(&mut c, "as_of", q.as_of.as_deref())
        .flatten()
        .unwrap_or(today);
    let format = c
        .optional("format", q.format.as_deref(), Format::parse)
        .flatten()
        .unwrap_or(Format::Xlsx);
    c.finish()?;
    Ok((format, as_of))
}

/// Exports a batch as XLSX or CSV (UTF-8 with BOM), titled with the batch's name, validity and
/// the day its figures are for. Banks get its published entries; a park its own park's; a
/// draft batch lists its nominated and approved entries.
#[utoipa::path(get, path = "/api/v1/whitelist/batches/{id}/export", tag = "whitelist", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64), ExportQuery), responses(
    (status = 200, description = "the batch as a workbook (or CSV with format=csv)", content(
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("text/csv")
    )),
    ReadErrors
))]
async fn export_batch(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    let id = parse_id("id", &id)?;
    let (format, as_of) = export_options(&q, cx.today())?;
    crate::sheet::whitelist::batch(&s.service, &cx, id, format, as_of).await
}

/// The white list as it stands: every entry in force on the day, across batches (a park
/// official: their park's), titled with the day.
#[utoipa::path(get, path = "/api/v1/whitelist/export", tag = "whitelist", security(("bearer" = [])), params(ExportQuery), responses(
    (status = 200, description = "the list in force as a workbook (or CSV with format=csv)", content(
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("text/csv")
    )),
    ReadErrors
))]
async fn export_current(
    State(s): State<AppState>,
    Auth(cx): Auth,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    let (format, as_of) = export_options(&q, cx.today())?;
    crate::sheet::whitelist::current(&s.service, &cx, format, as_of).await
}
