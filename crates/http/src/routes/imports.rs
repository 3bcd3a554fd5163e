//! Ledger uploads (导入): a multipart upload starts an import job; its status shows progress,
//! then the report; the annotated copy of the file can be downloaded. Park officials import
//! for their own park, the city office for every park.

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, Problem, ReadErrors, WriteErrors};
use crate::extract::ApiQuery;
use crate::shape;
use crate::upload::{file_part, multipart};
use axum::Json;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use pledge_domain::{ParkCode, code};
use pledge_service::ImportMode;
use pledge_service::ledgers::{ImportReport, ImportRequest, SheetKind};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload))
        // The handler counts the file against the server's upload limit itself.
        .layer(DefaultBodyLimit::disable())
        .routes(routes!(status))
        .routes(routes!(annotated))
}

/// Where an import job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Running,
    Done,
    Failed,
    /// Cut off when its server stopped: `committed_rows` says what it had written.
    Interrupted,
}

/// One import job.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportJob {
    pub id: i64,
    pub file: String,
    pub state: JobState,
    /// Rows written or checked so far, of `total` (both 0 while the file is read).
    pub done: i64,
    pub total: i64,
    /// Rows whose writes committed (a partial import commits as it goes).
    pub committed_rows: i64,
    /// Who started it.
    pub started_by: String,
    pub started_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// When its server last said it was at work on it (every 2 s while running).
    pub heartbeat_at: DateTime<Utc>,
    /// Running, but its server has not been heard of for 30 s: within seconds it is marked
    /// `interrupted`.
    pub silent: bool,
    /// When done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<ImportReport>,
    /// When failed: why (the file could not be read, or no sheet was recognised).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
    /// Where to download the annotated copy once done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotated_url: Option<String>,
}

impl From<pledge_service::ImportJob> for ImportJob {
    fn from(j: pledge_service::ImportJob) -> Self {
        Self {
            id: j.id,
            file: j.file,
            state: match j.state {
                pledge_service::JobState::Running => JobState::Running,
                pledge_service::JobState::Done => JobState::Done,
                pledge_service::JobState::Failed => JobState::Failed,
                pledge_service::JobState::Interrupted => JobState::Interrupted,
            },
            done: j.done,
            total: j.total,
            committed_rows: j.committed_rows,
            started_by: j.started_by,
            started_at: j.started_at,
            finished_at: j.finished_at,
            heartbeat_at: j.heartbeat_at,
            silent: j.silent,
            report: j.report,
            problem: j
                .failure
                .map(|f| Problem::of_code(&f.code, f.detail, f.errors)),
            annotated_url: j
                .has_annotated
                .then(|| format!("/api/v1/imports/{}/annotated.xlsx", j.id)),
        }
    }
}

/// How to import.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The kind of every sheet when sheet names and headers do not say it: `enterprises`,
    /// `patents`, `trademarks`, `appraisals` or `qualifications`.
    #[param(value_type = Option<shape::SheetKind>, inline)]
    #[validate(custom(function = shape::sheet_kind))]
    kind: Option<String>,
    /// `partial` (default: good rows written, bad ones reported) or `all_or_nothing`.
    #[param(value_type = Option<shape::ImportMode>, inline)]
    #[validate(custom(function = shape::import_mode))]
    mode: Option<String>,
    /// Check and count everything, write nothing.
    #[serde(default)]
    dry_run: bool,
    /// The park the file is for (the office importing for a park, as `pledge import --park`):
    /// new enterprises without a park column join it, owners written by name are looked for in
    /// it, and nothing outside it changes. A park official's own park is implied.
    #[param(value_type = Option<shape::Code>, inline)]
    #[validate(custom(function = shape::code))]
    park: Option<String>,
}

/// A ledger file: multipart form with one part `file` (.xlsx, or .csv in UTF-8 or GB18030).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Starts importing a ledger (park official for their park, admin for every park). Answers
/// 202 with the job; follow `Location` for progress and the report.
#[utoipa::path(post, path = "/api/v1/imports", tag = "ledger", security(("bearer" = [])), params(UploadQuery),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 202, description = "the import job, running", body = ImportJob), WriteErrors))]
async fn upload(
    State(s): State<AppState>,
    Auth(cx): Auth,
    ApiQuery(q): ApiQuery<UploadQuery>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<Response> {
    cx.write_scope()?;
    let scope = q
        .park
        .as_deref()
        .map(|p| ParkCode::parse(p).map_err(|e| ApiError::field("park", e)))
        .transpose()?;
    let mut form = multipart(form)?;
    let invalid = |field: &str, code: &str, message: String| {
        ApiError::Validation(vec![crate::FieldError {
            field: field.into(),
            code: code.into(),
            message,
        }])
    };
    let kind = match q.kind.as_deref() {
        None | Some("") => None,
        Some(k) => Some(SheetKind::parse(k).ok_or_else(|| {
            invalid(
                "kind",
                code::UNKNOWN_VALUE,
                format!("没有这种表：{k}；可选 enterprises、patents、trademarks、appraisals、qualifications / unknown kind"),
            )
        })?),
    };
    let mode = match q.mode.as_deref() {
        None | Some("") | Some("partial") => ImportMode::Partial,
        Some("all_or_nothing") => ImportMode::AllOrNothing,
        Some(m) => {
            return Err(invalid(
                "mode",
                code::UNKNOWN_VALUE,
                format!(
                    "导入方式{m}无效：partial 或 all_or_nothing / mode is partial or all_or_nothing"
                ),
            ));
        }
    };
    let (file_name, bytes) = file_part(&mut form, s.upload_limit).await?;
    let request = ImportRequest {
        file_name,
        bytes,
        kind,
        mode,
        dry_run: q.dry_run,
    };
    let job = s.service.start_import(&cx, scope, request).await?;
    let id = job.id;
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, format!("/api/v1/imports/{id}"))],
        Json(ImportJob::from(job)),
    )
        .into_response())
}

/// An import job: progress while it runs, then the report.
#[utoipa::path(get, path = "/api/v1/imports/{id}", tag = "ledger", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64, description = "the job")),
    responses((status = 200, description = "the job", body = ImportJob), ReadErrors))]
async fn status(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ImportJob>> {
    let id = crate::check::parse_id("id", &id)?;
    Ok(Json(s.service.import_job(&cx, id).await?.into()))
}

/// The uploaded file with every bad cell marked and a reason column (once the job is done).
#[utoipa::path(get, path = "/api/v1/imports/{id}/annotated.xlsx", tag = "ledger", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64, description = "the job")),
    responses(
        (status = 200, description = "the annotated copy", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 409, description = "the job has no annotated copy (not finished, or none could be written)", body = Problem, content_type = "application/problem+json"),
        ReadErrors
    ))]
async fn annotated(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = crate::check::parse_id("id", &id)?;
    let bytes = s.service.import_annotated(&cx, id).await?;
    Ok(crate::sheet::workbook(
        &format!("import-{id}-annotated.xlsx"),
        bytes,
    ))
}
