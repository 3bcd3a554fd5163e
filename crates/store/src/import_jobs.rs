//! Import jobs as rows: started, told their progress while they run (which is also how a
//! job cut off by a crash is told from a running one), finished with their report. Job rows
//! are bookkeeping of the imports, not registry changes: the rows an import writes carry
//! their own audit records.

use crate::entities::import_job;
use crate::error::{Result, StoreError};
use crate::{Actor, Store};
use chrono::{DateTime, Utc};
use pledge_domain::ParkCode;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

/// Where an import job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Running,
    Done,
    Failed,
    /// Cut off (the server stopped): `committed_rows` says what it had written.
    Interrupted,
}

impl JobState {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Interrupted => "interrupted",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "running" => Self::Running,
            "done" => Self::Done,
            "failed" => Self::Failed,
            _ => Self::Interrupted,
        }
    }
}

/// An import job, without its annotated copy.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportJobRecord {
    pub id: i64,
    pub file: String,
    /// The park it imports for; `None`: the city office, for every park.
    pub park: Option<String>,
    pub started_by: String,
    pub state: JobState,
    pub done: i64,
    pub total: i64,
    pub committed_rows: i64,
    pub report: Option<serde_json::Value>,
    pub problem: Option<serde_json::Value>,
    pub has_annotated: bool,
    pub started_at: DateTime<Utc>,
    pub heartbeat_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// How a job ended.
#[derive(Debug)]
pub struct JobEnd {
    pub state: JobState,
    pub report: Option<serde_json::Value>,
    pub problem: Option<serde_json::Value>,
    pub annotated: Option<Vec<u8>>,
}

/// Every column but the annotated copy, which only its download reads.
const LISTED: [import_job::Column; 13] = [
    import_job::Column::Id,
    import_job::Column::File,
    import_job::Column::ParkCode,
    import_job::Column::StartedBy,
    import_job::Column::State,
    import_job::Column::Done,
    import_job::Column::Total,
    import_job::Column::CommittedRows,
    import_job::Column::Report,
    import_job::Column::Problem,
    import_job::Column::StartedAt,
    import_job::Column::HeartbeatAt,
    import_job::Column::FinishedAt,
];

impl Store {
    /// Records a job `runner` (a server process) starts for `actor`.
    pub async fn start_import_job(
        &self,
        actor: &Actor,
        file: &str,
        park: Option<&ParkCode>,
        runner: &str,
    ) -> Result<ImportJobRecord> {
        let file: String = file.chars().take(255).collect();
        let row = import_job::ActiveModel {
            id: NotSet,
            file: Set(file),
            park_code: Set(park.map(ToString::to_string)),
            started_by: Set(actor.label.chars().take(120).collect()),
            started_by_token_id: Set(actor.token_id),
            state: Set(JobState::Running.as_str().into()),
            done: Set(0),
            total: Set(0),
            committed_rows: Set(0),
            report: Set(None),
            problem: Set(None),
            annotated: Set(None),
            runner: Set(runner.into()),
            started_at: Set(actor.now),
            heartbeat_at: Set(actor.now),
            finished_at: Set(None),
        };
        let id = import_job::Entity::insert(row)
            .exec(&self.db)
            .await?
            .last_insert_id;
        self.import_job(id)
            .await?
            .ok_or_else(|| crate::StoreError::NotFound {
                entity: "import job",
                key: id.to_string(),
            })
    }

    /// Tells a running job's progress, and that it is alive at `at`. (The rows it committed
    /// are recorded by the import itself, in the transactions that commit them.)
    pub async fn import_job_progress(
        &self,
        id: i64,
        done: i64,
        total: i64,
        at: DateTime<Utc>,
    ) -> Result<()> {
        import_job::Entity::update_many()
            .col_expr(import_job::Column::Done, Expr::value(done))
            .col_expr(import_job::Column::Total, Expr::value(total))
            .col_expr(import_job::Column::HeartbeatAt, Expr::value(at))
            .filter(import_job::Column::Id.eq(id))
            .filter(import_job::Column::State.eq(JobState::Running.as_str()))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Ends a running job at `at`.
    pub async fn finish_import_job(&self, id: i64, end: JobEnd, at: DateTime<Utc>) -> Result<()> {
        // The copy first (a job that reads as ended has it), handed to the driver as it is:
        // a copy of a large file is tens of MB, not worth copying on the way.
        if let Some(copy) = end.annotated {
            self.store_annotated(id, copy).await?;
        }
        let row = import_job::ActiveModel {
            id: Set(id),
            state: Set(end.state.as_str().into()),
            report: Set(end.report),
            problem: Set(end.problem),
            heartbeat_at: Set(at),
            finished_at: Set(Some(at)),
            ..Default::default()
        };
        import_job::Entity::update_many()
            .set(row)
            .filter(import_job::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Stores the annotated copy of the job `id`, moved to the driver in one bind.
    async fn store_annotated(&self, id: i64, copy: Vec<u8>) -> Result<()> {
        let failed = |e: sea_orm::sqlx::Error| {
            StoreError::from(sea_orm::DbErr::Exec(sea_orm::RuntimeErr::SqlxError(
                std::sync::Arc::new(e),
            )))
        };
        if self.is_postgres() {
            sea_orm::sqlx::query("UPDATE import_jobs SET annotated = $1 WHERE id = $2")
                .bind(copy)
                .bind(id)
                .execute(self.db.get_postgres_connection_pool())
                .await
                .map_err(failed)?;
        } else {
            sea_orm::sqlx::query("UPDATE import_jobs SET annotated = ?1 WHERE id = ?2")
                .bind(copy)
                .bind(id)
                .execute(self.db.get_sqlite_connection_pool())
                .await
                .map_err(failed)?;
        }
        Ok(())
    }

    /// Marks running jobs whose runner last spoke before `silent_since` as interrupted. Looks
    /// first, writing only when there is one: the sweep runs every few seconds, and on SQLite
    /// a write would take the database's one write lock each time.
    pub async fn interrupt_silent_import_jobs(
        &self,
        silent_since: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<u64> {
        let silent = sea_orm::Condition::all()
            .add(import_job::Column::State.eq(JobState::Running.as_str()))
            .add(import_job::Column::HeartbeatAt.lt(silent_since));
        let found = import_job::Entity::find()
            .filter(silent.clone())
            .count(&self.db)
            .await?;
        if found == 0 {
            return Ok(0);
        }
        let done = import_job::Entity::update_many()
            .col_expr(
                import_job::Column::State,
                Expr::value(JobState::Interrupted.as_str()),
            )
            .col_expr(import_job::Column::FinishedAt, Expr::value(at))
            .filter(silent)
            .exec(&self.db)
            .await?;
        Ok(done.rows_affected)
    }

    /// How many jobs are in each state.
    pub async fn import_jobs_by_state(&self) -> Result<Vec<(String, i64)>> {
        Ok(import_job::Entity::find()
            .select_only()
            .column(import_job::Column::State)
            .column_as(import_job::Column::Id.count(), "n")
            .group_by(import_job::Column::State)
            .into_tuple()
            .all(&self.db)
            .await?)
    }

    /// A job, without its annotated copy.
    pub async fn import_job(&self, id: i64) -> Result<Option<ImportJobRecord>> {
        let row = import_job::Entity::find_by_id(id)
            .select_only()
            .columns(LISTED)
            .column_as(
                Expr::col(import_job::Column::Annotated).is_not_null(),
                "has_annotated",
            )
            .into_model::<Listed>()
            .one(&self.db)
            .await?;
        Ok(row.map(record))
    }

    /// The latest `limit` jobs, newest first: of one park, or of all.
    pub async fn recent_import_jobs(
        &self,
        park: Option<&ParkCode>,
        limit: u64,
    ) -> Result<Vec<ImportJobRecord>> {
        let mut q = import_job::Entity::find()
            .select_only()
            .columns(LISTED)
            .column_as(
                Expr::col(import_job::Column::Annotated).is_not_null(),
                "has_annotated",
            );
        if let Some(p) = park {
            q = q.filter(import_job::Column::ParkCode.eq(p.as_str()));
        }
        let rows = q
            .order_by_desc(import_job::Column::Id)
            .limit(limit)
            .into_model::<Listed>()
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(record).collect())
    }

    /// A job's annotated copy, once there is one.
    pub async fn import_job_annotated(&self, id: i64) -> Result<Option<Vec<u8>>> {
        let row: Option<Option<Vec<u8>>> = import_job::Entity::find_by_id(id)
            .select_only()
            .column(import_job::Column::Annotated)
            .into_tuple()
            .one(&self.db)
            .await?;
        Ok(row.flatten())
    }
}

/// A job row as listed: every column but the annotated copy, and whether there is one.
#[derive(Debug, FromQueryResult)]
struct Listed {
    id: i64,
    file: String,
    park_code: Option<String>,
    started_by: String,
    state: String,
    done: i64,
    total: i64,
    committed_rows: i64,
    report: Option<serde_json::Value>,
    problem: Option<serde_json::Value>,
    started_at: DateTime<Utc>,
    heartbeat_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    has_annotated: bool,
}

fn record(r: Listed) -> ImportJobRecord {
    ImportJobRecord {
        id: r.id,
        file: r.file,
        park: r.park_code,
        started_by: r.started_by,
        state: JobState::parse(&r.state),
        done: r.done,
        total: r.total,
        committed_rows: r.committed_rows,
        report: r.report,
        problem: r.problem,
        has_annotated: r.has_annotated,
        started_at: r.started_at,
        heartbeat_at: r.heartbeat_at,
        finished_at: r.finished_at,
    }
}
