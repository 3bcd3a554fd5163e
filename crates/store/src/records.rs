use chrono::{DateTime, Utc};
use serde::Serialize;

/// A stored value with its row id, version and timestamps.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Versioned<T> {
    pub id: i64,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub value: T,
}

/// One page of a keyset-paginated listing; `next` continues after the last item.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<i64>,
}

/// Filters of the enterprise listing; all optional, all combined.
#[derive(Debug, Clone, Default)]
pub struct EnterpriseFilter {
    /// Only this park.
    pub park: Option<pledge_domain::ParkCode>,
    /// Region code prefix, e.g. `4107`.
    pub region_prefix: Option<String>,
    /// Industry code prefix, e.g. `C35`.
    pub industry_prefix: Option<String>,
    /// Part of the name.
    pub name_contains: Option<String>,
}

/// Cuts `rows` (fetched with `limit + 1`) into a page, mapping each kept row.
pub(crate) fn page<R, T>(
    mut rows: Vec<R>,
    limit: u64,
    id: impl Fn(&R) -> i64,
    map: impl FnMut(R) -> T,
) -> Page<T> {
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next = if more { rows.last().map(&id) } else { None };
    Page {
        items: rows.into_iter().map(map).collect(),
        next,
    }
}

/// Writes `row` over the row `id` only if its version is still `expected`: the optimistic
/// concurrency check every replace goes through. A lost race is a version conflict.
pub(crate) async fn write_if_version<E>(
    db: &impl sea_orm::ConnectionTrait,
    row: E::ActiveModel,
    columns: (E::Column, E::Column),
    id: i64,
    expected: i64,
    what: (&'static str, &str),
) -> crate::error::Result<()>
where
    E: sea_orm::EntityTrait,
    E::ActiveModel: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    use sea_orm::{ColumnTrait, QueryFilter};
    let (id_column, version_column) = columns;
    let res = E::update_many()
        .set(row)
        .filter(id_column.eq(id))
        .filter(version_column.eq(expected))
        .exec(db)
        .await?;
    if res.rows_affected == 1 {
        return Ok(());
    }
    // The version stored now, as read: another writer may have moved it more than once.
    use sea_orm::QuerySelect;
    let current: Option<i64> = E::find()
        .select_only()
        .column(version_column)
        .filter(id_column.eq(id))
        .into_tuple()
        .one(db)
        .await?;
    Err(crate::StoreError::VersionConflict {
        entity: what.0,
        key: what.1.to_owned(),
        expected,
        current: current.unwrap_or_default(),
    })
}
