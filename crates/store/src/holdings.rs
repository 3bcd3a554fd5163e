//! What the matching engine is built from, and the feed of committed changes it follows: every
//! write leaves its audit records in its own transaction, stamped with the transaction's commit
//! number, so the records after the last position the engine saw name exactly the enterprises
//! and products to reload, in the order their transactions committed.

use crate::Store;
use crate::entities::{
    appraisal, audit, enterprise, patent, trademark, whitelist_batch, whitelist_entry,
};
use crate::error::{Result, StoreError, corrupt};
use crate::patents::{appraisal_from_row, patent_from_row, pledge_from};
use crate::registry::enterprise_from_row;
use pledge_domain::{
    Appraisal, EntryStatus, Holding, NiceClass, PatentApplicationNumber, Text, Trademark,
    TrademarkRegistrationNumber, Uscc,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Statement,
};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

/// The ids a query names at once, well under every backend's bind limit.
const CHUNK: usize = 500;

/// A point of the change feed: a commit number, and an audit record within that commit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct FeedPosition {
    pub commit: i64,
    pub record: i64,
}

impl FeedPosition {
    /// After every record of `commit`.
    pub fn after_commit(commit: i64) -> Self {
        Self {
            commit,
            record: i64::MAX,
        }
    }
}

/// What committed since a point of the change feed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// The last position read; ask again after it.
    pub last: FeedPosition,
    /// Enterprises whose facts, IP or list status may have changed.
    pub enterprises: BTreeSet<Uscc>,
    /// Products that changed.
    pub products: BTreeSet<i64>,
    /// Whether a token was created or revoked, or a person changed (a disabled person's
    /// tokens stop working).
    pub tokens: bool,
}

/// Every `owner` string in a JSON document, at any depth.
fn owners_in(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                match (k.as_str(), x) {
                    ("owner", Value::String(s)) => out.push(s.clone()),
                    _ => owners_in(x, out),
                }
            }
        }
        Value::Array(xs) => xs.iter().for_each(|x| owners_in(x, out)),
        _ => {}
    }
}

/// Announcements of commits by any process (PostgreSQL's LISTEN/NOTIFY), so that a follower
/// need not wait for its next poll.
pub struct CommitNotices(sea_orm::sqlx::postgres::PgListener);

impl std::fmt::Debug for CommitNotices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CommitNotices")
    }
}

fn listen_error(e: sea_orm::sqlx::Error) -> StoreError {
    StoreError::Database(sea_orm::DbErr::Custom(format!(
        "listening for commits: {e}"
    )))
}

impl CommitNotices {
    /// Waits for the next announced commit.
    pub async fn next(&mut self) -> Result<()> {
        self.0.recv().await.map(|_| ()).map_err(listen_error)
    }
}

impl Store {
    /// Announcements of every commit, on PostgreSQL; `None` on SQLite, where followers poll.
    pub async fn commit_notices(&self) -> Result<Option<CommitNotices>> {
        if !self.is_postgres() {
            return Ok(None);
        }
        let pool = self.db.get_postgres_connection_pool();
        let mut listener = sea_orm::sqlx::postgres::PgListener::connect_with(pool)
            .await
            .map_err(listen_error)?;
        listener
            .listen(crate::audit::COMMITS_CHANNEL)
            .await
            .map_err(listen_error)?;
        Ok(Some(CommitNotices(listener)))
    }

    /// The number of the latest committed write (0 when there is none): one small read, for
    /// followers that poll.
    pub async fn last_commit(&self) -> Result<i64> {
        let backend = self.db.get_database_backend();
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                backend,
                "SELECT last FROM commit_counter WHERE id = 1",
            ))
            .await?
            .ok_or_else(|| StoreError::Corrupt("the commit counter has no row".into()))?;
        Ok(row.try_get("", "last")?)
    }

    /// The position after every committed write.
    pub async fn last_change(&self) -> Result<FeedPosition> {
        Ok(FeedPosition::after_commit(self.last_commit().await?))
    }

    /// The enterprises and products changed by the audit records after `after`, in commit
    /// order, at most `limit` records at a time.
    pub async fn changes_since(&self, after: FeedPosition, limit: u64) -> Result<Changes> {
        let rows = audit::Entity::find()
            .filter(
                Condition::any()
                    .add(audit::Column::CommitSeq.gt(after.commit))
                    .add(
                        Condition::all()
                            .add(audit::Column::CommitSeq.eq(after.commit))
                            .add(audit::Column::Id.gt(after.record)),
                    ),
            )
            .order_by_asc(audit::Column::CommitSeq)
            .order_by_asc(audit::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        let mut out = Changes {
            last: rows.last().map_or(after, |r| FeedPosition {
                commit: r.commit_seq.unwrap_or(after.commit),
                record: r.id,
            }),
            ..Changes::default()
        };
        let mut enterprise_ids = BTreeSet::new();
        let mut patents = Vec::new();
        let mut trademarks = Vec::new();
        for r in rows {
            let mut owners = Vec::new();
            for doc in [&r.before, &r.after].into_iter().flatten() {
                owners_in(doc, &mut owners);
            }
            match r.entity.as_str() {
                "enterprise" => owners.push(r.entity_key.clone()),
                "product" => {
                    if let Ok(id) = r.entity_key.parse() {
                        out.products.insert(id);
                    }
                }
                "patent" | "appraisal" | "trademark" => {
                    if let Ok(n) = PatentApplicationNumber::parse(&r.entity_key) {
                        patents.push(n.to_string());
                    } else if let Some((n, c)) = r.entity_key.split_once('/')
                        && let (Ok(n), Ok(c)) = (n.parse::<i64>(), c.parse::<i16>())
                    {
                        trademarks.push((n, c));
                    }
                }
                "token" | "person" => out.tokens = true,
                "whitelist_entry" => {
                    for doc in [&r.before, &r.after].into_iter().flatten() {
                        if let Some(id) = doc.get("enterprise_id").and_then(Value::as_i64) {
                            enterprise_ids.insert(id);
                        }
                    }
                }
                _ => {}
            }
            out.enterprises
                .extend(owners.iter().filter_map(|o| Uscc::parse(o).ok()));
        }
        for chunk in patents.chunks(CHUNK) {
            let rows = patent::Entity::find()
                .filter(patent::Column::ApplicationNumber.is_in(chunk.iter().cloned()))
                .all(&self.db)
                .await?;
            enterprise_ids.extend(rows.iter().map(|p| p.enterprise_id));
        }
        for (n, c) in trademarks {
            let rows = trademark::Entity::find()
                .filter(trademark::Column::RegistrationNumber.eq(n))
                .filter(trademark::Column::NiceClass.eq(c))
                .all(&self.db)
                .await?;
            enterprise_ids.extend(rows.iter().map(|t| t.enterprise_id));
        }
        let ids: Vec<i64> = enterprise_ids.into_iter().collect();
        for chunk in ids.chunks(CHUNK) {
            let rows = enterprise::Entity::find()
                .filter(enterprise::Column::Id.is_in(chunk.iter().copied()))
                .all(&self.db)
                .await?;
            for e in rows {
                out.enterprises.insert(corrupt(Uscc::parse(&e.uscc))?);
            }
        }
        Ok(out)
    }

    /// Every enterprise with its IP and list status.
    pub async fn all_holdings(&self) -> Result<Vec<Holding>> {
        let rows = enterprise::Entity::find()
            .order_by_asc(enterprise::Column::Id)
            .all(&self.db)
            .await?;
        self.holdings_of_rows(rows, Scope::Everyone).await
    }

    /// The smallest and largest enterprise ids (`None` without enterprises): the span that
    /// [`Store::holdings_between`] reads in parts.
    pub async fn enterprise_id_span(&self) -> Result<Option<(i64, i64)>> {
        let backend = self.db.get_database_backend();
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                backend,
                "SELECT MIN(id) AS lo, MAX(id) AS hi FROM enterprises",
            ))
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let lo: Option<i64> = row.try_get("", "lo")?;
        let hi: Option<i64> = row.try_get("", "hi")?;
        Ok(lo.zip(hi))
    }

    /// The enterprises with ids in `lo..hi`, with their IP and list status: one part of every
    /// holding, read with a few range queries (several parts may be read at once).
    pub async fn holdings_between(&self, lo: i64, hi: i64) -> Result<Vec<Holding>> {
        let rows = enterprise::Entity::find()
            .filter(enterprise::Column::Id.gte(lo))
            .filter(enterprise::Column::Id.lt(hi))
            .order_by_asc(enterprise::Column::Id)
            .all(&self.db)
            .await?;
        self.holdings_of_rows(rows, Scope::Between(lo, hi)).await
    }

    /// The enterprises named, with their IP and list status (unknown ones are left out).
    pub async fn holdings(&self, usccs: &[Uscc]) -> Result<Vec<Holding>> {
        let mut rows = Vec::new();
        for chunk in usccs.chunks(CHUNK) {
            rows.extend(
                enterprise::Entity::find()
                    .filter(enterprise::Column::Uscc.is_in(chunk.iter().map(|u| u.to_string())))
                    .all(&self.db)
                    .await?,
            );
        }
        let scope = if rows.len() > CHUNK {
            Scope::Everyone
        } else {
            Scope::Ids
        };
        self.holdings_of_rows(rows, scope).await
    }

    async fn holdings_of_rows(
        &self,
        rows: Vec<enterprise::Model>,
        scope: Scope,
    ) -> Result<Vec<Holding>> {
        let db = &self.db;
        let parks = crate::registry::park_codes(db).await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let patents = by_owner(db, &ids, scope, |q: Owners| {
            // A patent transferred out counts for none of our enterprises.
            let s = patent::Entity::find()
                .filter(patent::Column::TransferredOutTo.is_null())
                .order_by_asc(patent::Column::Id);
            match q {
                Owners::All => s,
                Owners::Ids(ids) => s.filter(patent::Column::EnterpriseId.is_in(ids)),
                Owners::Between(lo, hi) => s
                    .filter(patent::Column::EnterpriseId.gte(lo))
                    .filter(patent::Column::EnterpriseId.lt(hi)),
            }
        })
        .await?;
        let trademarks = by_owner(db, &ids, scope, |q: Owners| {
            let s = trademark::Entity::find().order_by_asc(trademark::Column::Id);
            match q {
                Owners::All => s,
                Owners::Ids(ids) => s.filter(trademark::Column::EnterpriseId.is_in(ids)),
                Owners::Between(lo, hi) => s
                    .filter(trademark::Column::EnterpriseId.gte(lo))
                    .filter(trademark::Column::EnterpriseId.lt(hi)),
            }
        })
        .await?;
        let patent_ids: Vec<i64> = patents.iter().map(|p| p.id).collect();
        let trademark_ids: Vec<i64> = trademarks.iter().map(|t| t.id).collect();
        let (mut patent_appraisals, mut trademark_appraisals) =
            appraisals(db, &patent_ids, &trademark_ids, scope).await?;
        let published = || {
            whitelist_entry::Entity::find()
                .filter(whitelist_entry::Column::Status.eq(EntryStatus::Published.as_str()))
                .filter(whitelist_entry::Column::LiveEnterpriseId.is_not_null())
        };
        let mut lists = Vec::new();
        match scope {
            Scope::Everyone => lists.push(published().all(db).await?),
            Scope::Between(lo, hi) => lists.push(
                published()
                    .filter(whitelist_entry::Column::EnterpriseId.gte(lo))
                    .filter(whitelist_entry::Column::EnterpriseId.lt(hi))
                    .all(db)
                    .await?,
            ),
            Scope::Ids => {
                for chunk in ids.chunks(CHUNK) {
                    lists.push(
                        published()
                            .filter(
                                whitelist_entry::Column::EnterpriseId.is_in(chunk.iter().copied()),
                            )
                            .all(db)
                            .await?,
                    );
                }
            }
        }
        // Batches are few (a handful a year per city): their ends, read whole.
        let ends: HashMap<i64, chrono::NaiveDate> = whitelist_batch::Entity::find()
            .select_only()
            .column(whitelist_batch::Column::Id)
            .column(whitelist_batch::Column::ValidUntil)
            .into_tuple::<(i64, chrono::NaiveDate)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let mut listed_until: HashMap<i64, chrono::NaiveDate> = HashMap::new();
        for entry in lists.into_iter().flatten() {
            let end = *ends
                .get(&entry.batch_id)
                .ok_or_else(|| StoreError::corrupt("white-list entry batch"))?;
            let until = listed_until.entry(entry.enterprise_id).or_insert(end);
            *until = (*until).max(end);
        }
        let mut out: HashMap<i64, Holding> = HashMap::with_capacity(rows.len());
        for r in rows {
            let id = r.id;
            let park = parks
                .get(&r.park_id)
                .cloned()
                .ok_or_else(|| StoreError::corrupt("enterprise park"))?;
            let e = enterprise_from_row(r, park)?;
            out.insert(
                id,
                Holding {
                    listed_until: listed_until.get(&e.id).copied(),
                    enterprise: e.value,
                    patents: Vec::new(),
                    trademarks: Vec::new(),
                },
            );
        }
        for p in patents {
            let Some(h) = out.get_mut(&p.enterprise_id) else {
                continue;
            };
            let a = patent_appraisals.remove(&p.id).unwrap_or_default();
            h.patents
                .push(patent_from_row(p, h.enterprise.uscc, a)?.value);
        }
        for t in trademarks {
            let Some(h) = out.get_mut(&t.enterprise_id) else {
                continue;
            };
            h.trademarks.push(Trademark {
                registration_number: corrupt(TrademarkRegistrationNumber::parse(
                    &t.registration_number.to_string(),
                ))?,
                nice_class: corrupt(NiceClass::new(i64::from(t.nice_class)))?,
                name: corrupt(Text::parse(&t.name, 1, 100))?,
                owner: h.enterprise.uscc,
                registered_on: t.registered_on,
                valid_until: t.valid_until,
                pledge: pledge_from(
                    t.pledge_registration_number,
                    t.pledge_registered_on,
                    t.pledge_released_on,
                    t.pledge_marked,
                ),
                appraisals: trademark_appraisals.remove(&t.id).unwrap_or_default(),
            });
        }
        let mut list: Vec<(i64, Holding)> = out.into_iter().collect();
        list.sort_by_key(|(id, _)| *id);
        Ok(list.into_iter().map(|(_, h)| h).collect())
    }
}

/// Which enterprises' rows are read: all of them, those of a list of ids (named in chunks),
/// or those with ids in a range.
#[derive(Debug, Clone, Copy)]
enum Scope {
    Everyone,
    Ids,
    Between(i64, i64),
}

/// The owners one query of an owned table names.
enum Owners {
    All,
    Ids(Vec<i64>),
    Between(i64, i64),
}

/// Rows of an owned table for the enterprises of `scope` (`ids` for [`Scope::Ids`]).
async fn by_owner<E, F>(
    db: &impl ConnectionTrait,
    ids: &[i64],
    scope: Scope,
    select: F,
) -> Result<Vec<E::Model>>
where
    E: EntityTrait,
    F: Fn(Owners) -> sea_orm::Select<E>,
{
    match scope {
        Scope::Everyone => Ok(select(Owners::All).all(db).await?),
        Scope::Between(lo, hi) => Ok(select(Owners::Between(lo, hi)).all(db).await?),
        Scope::Ids => {
            let mut out = Vec::new();
            for chunk in ids.chunks(CHUNK) {
                out.extend(select(Owners::Ids(chunk.to_vec())).all(db).await?);
            }
            Ok(out)
        }
    }
}

type ByParent = HashMap<i64, Vec<Appraisal>>;

/// The appraisals of these patents and trademarks, oldest first, by parent id.
async fn appraisals(
    db: &impl ConnectionTrait,
    patents: &[i64],
    trademarks: &[i64],
    scope: Scope,
) -> Result<(ByParent, ByParent)> {
    let mut rows = Vec::new();
    let ordered = || {
        appraisal::Entity::find()
            .order_by_asc(appraisal::Column::AppraisedOn)
            .order_by_asc(appraisal::Column::Id)
    };
    if let Scope::Everyone = scope {
        rows = ordered().all(db).await?;
    } else if let Scope::Between(..) = scope {
        // The range's patents and trademarks were numbered mostly in the order of their
        // owners: their appraisals are read by id span through the parent indexes, and any
        // of another range's parents in the span are left in the maps unread.
        let span = |ids: &[i64]| ids.iter().min().copied().zip(ids.iter().max().copied());
        if let Some((lo, hi)) = span(patents) {
            rows.extend(
                ordered()
                    .filter(appraisal::Column::PatentId.gte(lo))
                    .filter(appraisal::Column::PatentId.lte(hi))
                    .all(db)
                    .await?,
            );
        }
        if let Some((lo, hi)) = span(trademarks) {
            rows.extend(
                ordered()
                    .filter(appraisal::Column::TrademarkId.gte(lo))
                    .filter(appraisal::Column::TrademarkId.lte(hi))
                    .all(db)
                    .await?,
            );
        }
    } else {
        for chunk in patents.chunks(CHUNK) {
            rows.extend(
                ordered()
                    .filter(appraisal::Column::PatentId.is_in(chunk.iter().copied()))
                    .all(db)
                    .await?,
            );
        }
        for chunk in trademarks.chunks(CHUNK) {
            rows.extend(
                ordered()
                    .filter(appraisal::Column::TrademarkId.is_in(chunk.iter().copied()))
                    .all(db)
                    .await?,
            );
        }
    }
    let (mut p, mut t) = (ByParent::new(), ByParent::new());
    for r in &rows {
        let a = appraisal_from_row(r)?;
        if let Some(id) = r.patent_id {
            p.entry(id).or_default().push(a);
        } else if let Some(id) = r.trademark_id {
            t.entry(id).or_default().push(a);
        }
    }
    Ok((p, t))
}
