//! Ledger uploads (导入): a multipart upload starts an import job; its status shows progress,
//! then the report; the annotated copy of the file can be downloaded. Park officials import
//! for their own park, the city office for every park.

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, Problem, ReadErrors, WriteErrors};
use crate::extract::ApiQuery;
use axum::Json;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use pledge_domain::ParkCode;
use pledge_domain::code;
use pledge_service::ImportMode;
use pledge_service::ledgers::{ImportReport, ImportRequest, SheetKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

/// Finished jobs kept for their reports.
const KEPT: usize = 200;

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
}

/// One import job.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportJob {
    pub id: u64,
    pub file: String,
    pub state: JobState,
    /// Rows written or checked so far, of `total` (both 0 while the file is read).
    pub done: usize,
    pub total: usize,
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

#[derive(Debug)]
struct Job {
    view: ImportJob,
    /// The park of the official who started it (`None`: the city office).
    scope: Option<ParkCode>,
    annotated: Option<Vec<u8>>,
}

/// The import jobs of this server, newest last.
#[derive(Debug, Default)]
pub struct ImportJobs {
    next: u64,
    jobs: BTreeMap<u64, Job>,
}

/// Shared between handlers and the tasks that run the imports.
pub type Jobs = Arc<Mutex<ImportJobs>>;

fn lock(jobs: &Jobs) -> std::sync::MutexGuard<'_, ImportJobs> {
    jobs.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl ImportJobs {
    fn start(&mut self, file: String, scope: Option<ParkCode>) -> u64 {
        self.next += 1;
        let id = self.next;
        self.jobs.insert(
            id,
            Job {
                view: ImportJob {
                    id,
                    file,
                    state: JobState::Running,
                    done: 0,
                    total: 0,
                    report: None,
                    problem: None,
                    annotated_url: None,
                },
                scope,
                annotated: None,
            },
        );
        while self.jobs.len() > KEPT {
            let oldest = self
                .jobs
                .iter()
                .find(|(_, j)| j.view.state != JobState::Running)
                .map(|(id, _)| *id);
            match oldest {
                Some(id) => self.jobs.remove(&id),
                None => break,
            };
        }
        id
    }

    /// The job, if the caller may see it: the city office sees every job, a park official
    /// those of their park.
    fn visible(&self, id: u64, auth: &Auth) -> ApiResult<&Job> {
        let not_found = || ApiError::NotFound {
            detail: format!("没有导入任务{id} / no import job {id}"),
        };
        let job = self.jobs.get(&id).ok_or_else(not_found)?;
        match (auth.0.write_scope()?, &job.scope) {
            (None, _) => Ok(job),
            (Some(own), Some(park)) if &own == park => Ok(job),
            _ => Err(not_found()),
        }
    }
}

/// How to import.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The kind of every sheet when sheet names and headers do not say it: `enterprises`,
    /// `patents`, `trademarks`, `appraisals` or `qualifications`.
    kind: Option<String>,
    /// `partial` (default: good rows written, bad ones reported) or `all_or_nothing`.
    mode: Option<String>,
    /// Check and count everything, write nothing.
    #[serde(default)]
    dry_run: bool,
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
    auth: Auth,
    ApiQuery(q): ApiQuery<UploadQuery>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<Response> {
    let scope = auth.0.write_scope()?;
    let mut form = form.map_err(|_| ApiError::BadRequest {
        code: code::MULTIPART_REQUIRED,
        detail: "请以multipart/form-data上传文件，部件名为file / send the file as multipart/form-data, part `file`".into(),
    })?;
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
    let mut file = None;
    loop {
        let field = form.next_field().await.map_err(|e| ApiError::BadRequest {
            code: code::BAD_MULTIPART,
            detail: format!("无法读取上传内容 / unreadable upload: {e}"),
        })?;
        let Some(field) = field else { break };
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("upload.xlsx").to_owned();
        let mut field = field;
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| ApiError::BadRequest {
            code: code::BAD_MULTIPART,
            detail: format!("无法读取上传文件 / unreadable file part: {e}"),
        })? {
            if bytes.len() + chunk.len() > s.upload_limit {
                return Err(ApiError::PayloadTooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        file = Some((name, bytes));
    }
    let Some((file_name, bytes)) = file else {
        return Err(invalid(
            "file",
            code::REQUIRED,
            "请上传名为file的文件 / send the file as the multipart part `file`".into(),
        ));
    };
    let id = lock(&s.imports).start(file_name.clone(), scope.clone());
    let cx = auth.0.clone();
    let state = s.clone();
    tokio::spawn(async move {
        let jobs = state.imports.clone();
        let progress = move |done: usize, total: usize| {
            if let Some(j) = lock(&jobs).jobs.get_mut(&id) {
                j.view.done = done;
                j.view.total = total;
            }
        };
        let request = ImportRequest {
            file_name,
            bytes,
            kind,
            mode,
            dry_run: q.dry_run,
        };
        // The index sees the imported rows before the job says it is done.
        let result = state.service.import(&cx, scope, request, &progress).await;
        let mut jobs = lock(&state.imports);
        let Some(job) = jobs.jobs.get_mut(&id) else {
            return;
        };
        match result {
            Ok(imported) => {
                job.view.state = JobState::Done;
                job.view.report = Some(imported.report);
                job.view.annotated_url = Some(format!("/api/v1/imports/{id}/annotated.xlsx"));
                job.annotated = Some(imported.annotated);
            }
            Err(e) => {
                let e = ApiError::from(e);
                if let ApiError::Internal(cause) | ApiError::Unavailable(cause) = &e {
                    tracing::error!(job = id, %cause, "import failed");
                }
                job.view.state = JobState::Failed;
                job.view.problem = Some(e.problem());
            }
        }
    });
    let view = lock(&s.imports).visible(id, &auth)?.view.clone();
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, format!("/api/v1/imports/{id}"))],
        Json(view),
    )
        .into_response())
}

/// An import job: progress while it runs, then the report.
#[utoipa::path(get, path = "/api/v1/imports/{id}", tag = "ledger", security(("bearer" = [])),
    params(("id" = u64, Path, description = "the job")),
    responses((status = 200, description = "the job", body = ImportJob), ReadErrors))]
async fn status(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
) -> ApiResult<Json<ImportJob>> {
    Ok(Json(lock(&s.imports).visible(id, &auth)?.view.clone()))
}

/// The uploaded file with every bad cell marked and a reason column (once the job is done).
#[utoipa::path(get, path = "/api/v1/imports/{id}/annotated.xlsx", tag = "ledger", security(("bearer" = [])),
    params(("id" = u64, Path, description = "the job")),
    responses((status = 200, description = "the annotated copy", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ReadErrors))]
async fn annotated(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
) -> ApiResult<Response> {
    let jobs = lock(&s.imports);
    let job = jobs.visible(id, &auth)?;
    let bytes = job.annotated.clone().ok_or_else(|| ApiError::NotFound {
        detail: "导入尚未完成 / the import has not finished".into(),
    })?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"import-{id}-annotated.xlsx\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
