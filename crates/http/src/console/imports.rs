//! Importing ledgers: the templates, an upload that becomes a job, the job's progress (the
//! page reloads itself while it runs, no script needed), then its report with every rejected
//! cell and the annotated copy.

use super::home::{JobLine, job_state_zh};
use super::{Frame, Oops, Page, Signed, Uploaded, page};
use crate::AppState;
use askama::Template;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use pledge_domain::ParkCode;
use pledge_service::ImportMode;
use pledge_service::JobState;
use pledge_service::ledgers::{ImportRequest, RowProblem, SheetKind};

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            "/imports",
            get(start_page)
                .post(upload)
                // The upload is counted against the server's upload limit as it is read.
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/imports/templates/{file}", get(template))
        .route("/imports/{id}", get(job))
        .route("/imports/{id}/annotated.xlsx", get(annotated))
}

#[derive(Template)]
#[template(path = "imports.html")]
struct StartPage {
    f: Frame,
    kinds: Vec<(&'static str, &'static str)>,
    parks: Vec<String>,
    jobs: Vec<JobLine>,
}

async fn start_page(State(s): State<AppState>, me: Signed) -> Page {
    let cx = &me.cx;
    let jobs = s.service.recent_imports(cx, 20).await?;
    let parks = super::park_choices(&s, &me).await?;
    Ok(page(&StartPage {
        f: me.frame("/imports"),
        kinds: SheetKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label_zh()))
            .collect(),
        parks,
        jobs: jobs.iter().map(JobLine::from).collect(),
    }))
}

async fn template(_me: Signed, Path(file): Path<String>) -> Page {
    let (name, bytes) = pledge_service::ledgers::template_file(&file)?;
    Ok(crate::sheet::workbook(&name, bytes))
}

async fn upload(State(s): State<AppState>, up: Uploaded) -> Page {
    let Uploaded {
        me,
        fields,
        file: (file_name, bytes),
    } = up;
    let kind = fields.some("kind").and_then(SheetKind::parse);
    let mode = if fields.get("mode") == "all_or_nothing" {
        ImportMode::AllOrNothing
    } else {
        ImportMode::Partial
    };
    let park = fields
        .some("park")
        .map(ParkCode::parse)
        .transpose()
        .map_err(|e| Oops::from(crate::error::ApiError::field("park", e)))?;
    let request = ImportRequest {
        file_name,
        bytes,
        kind,
        mode,
        dry_run: fields.ticked("dry_run"),
    };
    let job = s.service.start_import(&me.cx, park, request).await?;
    Ok(Redirect::to(&format!("/imports/{}", job.id)).into_response())
}

struct Counted {
    kind: &'static str,
    inserted: u64,
    updated: u64,
    unchanged: u64,
    rejected: u64,
}

#[derive(Template)]
#[template(path = "import.html")]
struct JobPage {
    f: Frame,
    id: i64,
    file: String,
    state: &'static str,
    running: bool,
    done: i64,
    total: i64,
    committed: Option<bool>,
    dry_run: bool,
    counts: Vec<Counted>,
    /// Bad cells, all of them; `rejections` lists the first.
    rejection_count: u64,
    rejections: Vec<RowProblem>,
    warning_count: u64,
    warnings: Vec<RowProblem>,
    skipped: Vec<String>,
    failure: Option<String>,
    has_annotated: bool,
    started_by: String,
    started: String,
}

async fn job(State(s): State<AppState>, me: Signed, Path(raw): Path<String>) -> Page {
    let id = super::path_id(&raw)?;
    let j = s.service.import_job(&me.cx, id).await?;
    let report = j.report.as_ref();
    let counts = report
        .map(|r| {
            r.counts
                .iter()
                .map(|(k, c)| Counted {
                    kind: SheetKind::parse(k).map_or("其他", SheetKind::label_zh),
                    inserted: c.inserted,
                    updated: c.updated,
                    unchanged: c.unchanged,
                    rejected: c.rejected,
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(page(&JobPage {
        f: me.frame("/imports"),
        id: j.id,
        file: j.file.clone(),
        state: job_state_zh(j.state),
        running: j.state == JobState::Running,
        done: j.done,
        total: j.total,
        committed: report.map(|r| r.committed),
        dry_run: report.is_some_and(|r| r.dry_run),
        counts,
        rejection_count: report.map_or(0, |r| r.rejection_count),
        rejections: report.map(|r| r.rejections.clone()).unwrap_or_default(),
        warning_count: report.map_or(0, |r| r.warning_count),
        warnings: report.map(|r| r.warnings.clone()).unwrap_or_default(),
        skipped: report
            .map(|r| {
                r.skipped_sheets
                    .iter()
                    .map(|k| format!("{}（缺少：{}）", k.sheet, k.missing_columns.join("、")))
                    .collect()
            })
            .unwrap_or_default(),
        failure: j.failure.as_ref().map(|f| f.detail.clone()),
        has_annotated: j.has_annotated,
        started_by: j.started_by.clone(),
        started: super::local_time(j.started_at),
    }))
}

async fn annotated(State(s): State<AppState>, me: Signed, Path(raw): Path<String>) -> Page {
    let id = super::path_id(&raw)?;
    let r = s.service.import_annotated(&me.cx, id).await;
    r.map(|bytes| crate::sheet::workbook(&format!("import-{id}-annotated.xlsx"), bytes))
        .map_err(|e| {
            let oops = Oops::from(e);
            if oops.status == StatusCode::CONFLICT {
                Oops::status(
                    StatusCode::CONFLICT,
                    "该导入还没有标注文件 / no annotated copy yet",
                )
            } else {
                oops
            }
        })
}
