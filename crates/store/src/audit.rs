use crate::entities::audit;
use crate::error::{Result, StoreError};
use crate::{Actor, Page, Store};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};
use serde::Serialize;
use serde_json::Value;

/// One entry of the append-only audit log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub actor_token_id: Option<i64>,
    /// The person who acted (`None`: the command line).
    pub actor_person_id: Option<i64>,
    pub entity: String,
    pub entity_key: String,
    pub action: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub reason: Option<String>,
}

/// Filters of the audit listing.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_key: Option<String>,
    pub park_id: Option<i64>,
    /// Only what this person did.
    pub actor_person_id: Option<i64>,
    /// Only records at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only records before this instant.
    pub until: Option<DateTime<Utc>>,
}

/// What changed, to be written in the same transaction as the change.
pub(crate) struct Change<'a> {
    pub entity: &'static str,
    pub key: &'a str,
    pub action: &'static str,
    pub park_id: Option<i64>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub reason: Option<String>,
}

/// Writes one audit record; answers its id.
pub(crate) async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    at: DateTime<Utc>,
    change: Change<'_>,
) -> Result<i64> {
    Ok(audit::Entity::insert(row(actor, at, change))
        .exec(db)
        .await?
        .last_insert_id)
}

/// Commits a write transaction in commit order: takes the next number of the commit counter
/// (whose row lock is held until the commit, so a later number is never visible before an
/// earlier one) and stamps the transaction's audit records with it.
pub(crate) async fn commit(txn: DatabaseTransaction) -> Result<()> {
    let backend = txn.get_database_backend();
    let row = txn
        .query_one_raw(Statement::from_string(
            backend,
            "UPDATE commit_counter SET last = last + 1 WHERE id = 1 RETURNING last",
        ))
        .await?
        .ok_or_else(|| StoreError::Corrupt("the commit counter has no row".into()))?;
    let seq: i64 = row.try_get("", "last")?;
    // Only this transaction's records are unsealed and visible to it: others' uncommitted
    // rows are not, and every committed row was sealed before its commit.
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        match backend {
            DbBackend::Postgres => "UPDATE audit_log SET commit_seq = $1 WHERE commit_seq IS NULL",
            _ => "UPDATE audit_log SET commit_seq = ? WHERE commit_seq IS NULL",
        },
        [seq.into()],
    ))
    .await?;
    if backend == DbBackend::Postgres {
        // Delivered at commit, to every server listening on this database.
        txn.execute_unprepared(&format!("NOTIFY {COMMITS_CHANNEL}"))
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The PostgreSQL channel every commit is announced on.
pub(crate) const COMMITS_CHANNEL: &str = "pledge_commits";

/// Many records in few statements (imports).
pub(crate) async fn record_many(
    db: &impl ConnectionTrait,
    rows: Vec<audit::ActiveModel>,
) -> Result<()> {
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<audit::ActiveModel> = rows.by_ref().take(1000).collect();
        audit::Entity::insert_many(chunk).exec(db).await?;
    }
    Ok(())
}

/// The row of one record.
pub(crate) fn row(actor: &Actor, at: DateTime<Utc>, change: Change<'_>) -> audit::ActiveModel {
    audit::ActiveModel {
        id: NotSet,
        at: Set(at),
        actor_token_id: Set(actor.token_id),
        actor: Set(actor.label.chars().take(120).collect()),
        entity: Set(change.entity.into()),
        entity_key: Set(change.key.into()),
        action: Set(change.action.into()),
        park_id: Set(change.park_id),
        before: Set(change.before),
        after: Set(change.after),
        reason: Set(change.reason),
        commit_seq: NotSet,
        actor_person_id: Set(actor.person_id),
    }
}

impl Store {
    /// Reads the audit log, oldest first, after the record `after`.
    pub async fn audit_log(
        &self,
        filter: &AuditFilter,
        after: Option<i64>,
        limit: u64,
    ) -> Result<Page<AuditRecord>> {
        let mut q = audit::Entity::find().order_by_asc(audit::Column::Id);
        if let Some(e) = &filter.entity {
            q = q.filter(audit::Column::Entity.eq(e.as_str()));
        }
        if let Some(k) = &filter.entity_key {
            q = q.filter(audit::Column::EntityKey.eq(k.as_str()));
        }
        if let Some(p) = filter.park_id {
            q = q.filter(audit::Column::ParkId.eq(p));
        }
        if let Some(p) = filter.actor_person_id {
            q = q.filter(audit::Column::ActorPersonId.eq(p));
        }
        if let Some(t) = filter.from {
            q = q.filter(audit::Column::At.gte(t));
        }
        if let Some(t) = filter.until {
            q = q.filter(audit::Column::At.lt(t));
        }
        if let Some(a) = after {
            q = q.filter(audit::Column::Id.gt(a));
        }
        let rows = q.limit(limit + 1).all(&self.db).await?;
        Ok(crate::records::page(
            rows,
            limit,
            |r| r.id,
            |r| AuditRecord {
                id: r.id,
                at: r.at,
                actor: r.actor,
                actor_token_id: r.actor_token_id,
                actor_person_id: r.actor_person_id,
                entity: r.entity,
                entity_key: r.entity_key,
                action: r.action,
                before: r.before,
                after: r.after,
                reason: r.reason,
            },
        ))
    }
}
