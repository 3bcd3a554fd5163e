//! Import jobs: an upload becomes a job row at once, runs in the background of the server
//! that took it, and tells its progress to the database, so any server answers for any job
//! and a restart loses nothing. A job's state is the truth of what was committed: once the
//! rows are written it is `done`, whatever becomes of the annotated copy; a job whose server
//! went silent is `interrupted`, with the rows it had committed.

use crate::error::{FieldError, Result, ServiceError};
use crate::ledgers::{ImportReport, ImportRequest};
use crate::{Context, Service};
use chrono::{DateTime, Utc};
use pledge_domain::{ParkCode, code};
pub use pledge_store::JobState;
use pledge_store::{ImportJobRecord, JobEnd};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often a running job tells the database it is alive.
const HEARTBEAT: Duration = Duration::from_secs(1);
/// A running job not heard of for this long was cut off: ten heartbeats missed.
const SILENCE: Duration = Duration::from_secs(10);
/// How often the jobs of silent servers are looked for: a job whose server died reads as
/// interrupted within `SILENCE` and `SWEEP` of its last heartbeat.
const SWEEP: Duration = Duration::from_secs(2);

/// Why a job failed, as its problem reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobFailure {
    pub code: String,
    pub detail: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl From<&ServiceError> for JobFailure {
    fn from(e: &ServiceError) -> Self {
        let (code, detail, errors) = match e {
            ServiceError::Invalid(errors) => (
                code::VALIDATION_FAILED,
                errors
                    .iter()
                    .map(|f| f.message.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
                errors.clone(),
            ),
            ServiceError::Forbidden { code, detail } => (*code, detail.clone(), Vec::new()),
            ServiceError::Conflict { code, detail, .. } => (*code, detail.clone(), Vec::new()),
            ServiceError::NotFound { detail } => (code::NOT_FOUND, detail.clone(), Vec::new()),
            ServiceError::Unauthorized => (code::UNAUTHORIZED, String::new(), Vec::new()),
            ServiceError::Unavailable(_) => (
                code::UNAVAILABLE,
                "数据库暂不可用 / the database does not answer".into(),
                Vec::new(),
            ),
            ServiceError::Internal(_) => (
                code::INTERNAL,
                "服务器内部错误 / internal error".into(),
                Vec::new(),
            ),
        };
        Self {
            code: code.into(),
            detail,
            errors,
        }
    }
}

/// An import job as its starter sees it.
#[derive(Debug, Clone)]
pub struct ImportJob {
    pub id: i64,
    pub file: String,
    pub state: JobState,
    /// Rows written or checked so far, of `total` (both 0 while the file is read).
    pub done: i64,
    pub total: i64,
    /// Rows whose writes committed.
    pub committed_rows: i64,
    pub started_by: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub report: Option<ImportReport>,
    pub failure: Option<JobFailure>,
    pub has_annotated: bool,
    /// When its server last said it was at work on it.
    pub heartbeat_at: DateTime<Utc>,
    /// Running, but its server has not been heard of for [`SILENCE`]: the sweep will mark it
    /// interrupted.
    pub silent: bool,
}

impl ImportJob {
    /// The job as stored, read at `now`.
    fn of(r: ImportJobRecord, now: DateTime<Utc>) -> Self {
        Self {
            silent: r.state == JobState::Running && r.heartbeat_at < silent_since(now),
            heartbeat_at: r.heartbeat_at,
            id: r.id,
            file: r.file,
            state: r.state,
            done: r.done,
            total: r.total,
            committed_rows: r.committed_rows,
            started_by: r.started_by,
            started_at: r.started_at,
            finished_at: r.finished_at,
            report: r.report.and_then(|v| serde_json::from_value(v).ok()),
            failure: r.problem.and_then(|v| serde_json::from_value(v).ok()),
            has_annotated: r.has_annotated,
        }
    }
}

impl Service {
    /// Starts importing `req` for the caller (see [`Service::import`] for the scope): the
    /// job is recorded, then runs in the background; its row tells how it goes.
    pub async fn start_import(
        &self,
        cx: &Context,
        scope: Option<ParkCode>,
        req: ImportRequest,
    ) -> Result<ImportJob> {
        let scope = self.import_scope(cx, scope).await?;
        let job = self
            .store
            .start_import_job(&cx.actor, &req.file_name, scope.as_ref(), &self.runner)
            .await?;
        let id = job.id;
        let service = self.clone();
        let now = cx.now();
        let cx = cx.clone();
        tokio::spawn(async move { service.run_job(id, cx, scope, req).await });
        Ok(ImportJob::of(job, now))
    }

    async fn run_job(self, id: i64, cx: Context, scope: Option<ParkCode>, req: ImportRequest) {
        let progress = Arc::new(Mutex::new((0usize, 0usize)));
        let told = progress.clone();
        let tell = move |done: usize, total: usize| {
            *told.lock().unwrap_or_else(|e| e.into_inner()) = (done, total);
        };
        let heartbeat = {
            let service = self.clone();
            let progress = progress.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(HEARTBEAT);
                loop {
                    tick.tick().await;
                    let (done, total) = *progress.lock().unwrap_or_else(|e| e.into_inner());
                    let at = service.clock.now();
                    if let Err(e) = service
                        .store
                        .import_job_progress(id, done as i64, total as i64, at)
                        .await
                    {
                        tracing::warn!(job = id, error = %e, "could not record an import's progress");
                    }
                }
            })
        };
        let result = crate::ledgers::run(&self, &cx, scope.as_ref(), req, Some(id), &tell).await;
        self.committed().await;
        heartbeat.abort();
        let end = match result {
            // What was committed was recorded with the rows themselves.
            Ok(imported) => JobEnd {
                state: JobState::Done,
                report: serde_json::to_value(&imported.report).ok(),
                problem: None,
                annotated: imported.annotated,
            },
            Err(e) => {
                if let ServiceError::Internal(cause) | ServiceError::Unavailable(cause) = &e {
                    tracing::error!(job = id, %cause, "import failed");
                }
                JobEnd {
                    state: JobState::Failed,
                    report: None,
                    problem: serde_json::to_value(JobFailure::from(&e)).ok(),
                    annotated: None,
                }
            }
        };
        if let Err(e) = self
            .store
            .finish_import_job(id, end, self.clock.now())
            .await
        {
            tracing::error!(job = id, error = %e, "could not record the end of an import");
        }
    }

    /// The job `id`, if the caller may see it: the city office sees every job, a park
    /// official those of their park; any other is not found. Reading writes nothing: a job
    /// whose server went silent reads as `silent` until the sweep marks it interrupted.
    pub async fn import_job(&self, cx: &Context, id: i64) -> Result<ImportJob> {
        Ok(ImportJob::of(self.visible_job(cx, id).await?, cx.now()))
    }

    /// The latest `limit` import jobs the caller may see: the office all, a park official their
    /// park's.
    pub async fn recent_imports(&self, cx: &Context, limit: u64) -> Result<Vec<ImportJob>> {
        let scope = cx.write_scope()?;
        Ok(self
            .store
            .recent_import_jobs(scope.as_ref(), limit)
            .await?
            .into_iter()
            .map(|r| ImportJob::of(r, cx.now()))
            .collect())
    }

    /// The annotated copy of the job `id`, once it has one.
    pub async fn import_annotated(&self, cx: &Context, id: i64) -> Result<Vec<u8>> {
        self.visible_job(cx, id).await?;
        self.store
            .import_job_annotated(id)
            .await?
            .ok_or_else(|| ServiceError::Conflict {
                code: code::NO_ANNOTATED_COPY,
                detail: "该导入任务没有标注文件（尚未完成或未能生成） / the job has no annotated copy (not finished, or none could be written)".into(),
                current_version: None,
            })
    }

    /// Marks the jobs of servers gone silent as interrupted.
    pub async fn interrupt_silent_imports(&self, now: DateTime<Utc>) -> Result<u64> {
        Ok(self
            .store
            .interrupt_silent_import_jobs(silent_since(now), now)
            .await?)
    }

    /// Sweeps the jobs of servers gone silent at once, then every [`SWEEP`] and whenever the
    /// clock is stepped: what reading a job reports as `silent` becomes `interrupted`.
    pub fn spawn_import_sweep(&self) -> tokio::task::JoinHandle<()> {
        self.spawn_on_clock(SWEEP, |service| async move {
            match service.interrupt_silent_imports(service.clock.now()).await {
                Ok(0) => {}
                Ok(jobs) => tracing::warn!(
                    jobs,
                    "imports cut off by a stopped server marked interrupted"
                ),
                Err(e) => tracing::warn!(error = %e, "could not sweep silent imports"),
            }
        })
    }

    async fn visible_job(&self, cx: &Context, id: i64) -> Result<ImportJobRecord> {
        let not_found =
            || ServiceError::not_found(format!("没有导入任务{id} / no import job {id}"));
        // Who may not import at all is refused before anything is looked up.
        let scope = cx.write_scope()?;
        let job = self.store.import_job(id).await?.ok_or_else(not_found)?;
        match (scope, &job.park) {
            (None, _) => Ok(job),
            (Some(own), Some(park)) if own.to_string() == *park => Ok(job),
            _ => Err(not_found()),
        }
    }
}

/// Heartbeats before this instant are too old for a running job at `now`.
fn silent_since(now: DateTime<Utc>) -> DateTime<Utc> {
    now - chrono::Duration::from_std(SILENCE).unwrap_or_default()
}
