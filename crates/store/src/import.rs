//! Ledger imports: the good rows of a file written through the same upserts, versions and
//! audit records as the API, a few hundred rows per transaction (or all in one), so a killed
//! import leaves whole rows only (or nothing).

use crate::audit::{self, Change};
use crate::entities::{appraisal, enterprise, patent};
use crate::error::{Result, StoreError, corrupt};
use crate::patents::{
    Upserted, appraisal_columns, appraisals_of, check_scope, not_found, patent_columns,
    patent_from_row, taken, unknown_owner,
};
use crate::registry::park_codes;
use crate::{Actor, Store};
use pledge_domain::code;
use pledge_domain::statement::{
    AppraisalRow, EnterpriseRow, IpNumber, PatentRow, QualificationRow, Source, Statements,
    merged_trademark, name_key, name_spellings,
};
use pledge_domain::{Appraisal, ParkCode, PatentApplicationNumber, Uscc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QueryFilter,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Whether good rows are written when others are bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// Good rows are written, bad ones reported.
    Partial,
    /// Nothing is written unless every row is good.
    AllOrNothing,
}

/// What became of the rows of one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
}

/// A row the store refused, by the column key it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowRejection {
    pub source: Source,
    pub key: String,
    pub code: &'static str,
    pub message: String,
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct ImportOutcome {
    /// By kind (`enterprises`, `patents`, …), rows rejected while reading included.
    pub counts: BTreeMap<&'static str, Counts>,
    pub rejections: Vec<RowRejection>,
    /// Whether anything was written (false for a dry run, or an all-or-nothing import with a
    /// bad row: the counts then say what would have happened).
    pub committed: bool,
}

impl ImportOutcome {
    /// Whether no row of `parsed` was refused, while reading or by the store.
    fn is_clean(&self, parsed: &Statements) -> bool {
        self.rejections.is_empty() && parsed.rejected.is_empty()
    }

    /// The rows written (added, changed or found unchanged), of every kind.
    pub fn written(&self) -> i64 {
        let rows: u64 = self
            .counts
            .values()
            .map(|c| c.inserted + c.updated + c.unchanged)
            .sum();
        i64::try_from(rows).unwrap_or(i64::MAX)
    }
}

/// Records on the import job `id`, inside the transaction that commits them, how many rows
/// it has written.
async fn record_committed(txn: &DatabaseTransaction, id: i64, rows: i64) -> Result<()> {
    use crate::entities::import_job;
    import_job::Entity::update_many()
        .col_expr(
            import_job::Column::CommittedRows,
            sea_orm::sea_query::Expr::value(rows),
        )
        .filter(import_job::Column::Id.eq(id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Rows per transaction of a partial import.
const CHUNK: usize = 500;

/// One row to write.
enum Step<'a> {
    Enterprise(&'a EnterpriseRow),
    Qualification(&'a QualificationRow),
    Patent(&'a PatentRow),
    Trademark(&'a pledge_domain::Trademark),
    Appraisal(&'a AppraisalRow),
}

impl Step<'_> {
    /// The name of the row's kind, as import reports count them.
    fn kind(&self) -> &'static str {
        match self {
            Self::Enterprise(_) => "enterprises",
            Self::Qualification(_) => "qualifications",
            Self::Patent(_) => "patents",
            Self::Trademark(_) => "trademarks",
            Self::Appraisal(_) => "appraisals",
        }
    }

    /// The column a refusal of the whole row points at.
    fn key_column(&self) -> &'static str {
        match self {
            Self::Enterprise(_) | Self::Qualification(_) => "uscc",
            Self::Patent(_) => "application_number",
            Self::Trademark(_) => "registration_number",
            Self::Appraisal(_) => "number",
        }
    }
}

/// The store's refusal of one row, or `None` for a fault that must stop the import.
fn refusal(e: &StoreError, step: &Step<'_>) -> Option<Vec<(String, &'static str, String)>> {
    let owner = match step {
        Step::Patent(_) | Step::Trademark(_) => "owner",
        _ => step.key_column(),
    };
    Some(match e {
        StoreError::Invalid(violations) => violations
            .iter()
            .map(|v| {
                let field = v.field.split(['.', '[']).next().unwrap_or("").to_owned();
                (field, v.error.code(), v.error.to_string())
            })
            .collect(),
        StoreError::OutOfScope { .. } => vec![(
            owner.into(),
            code::OUT_OF_SCOPE,
            "不在本园区 / outside your park".into(),
        )],
        StoreError::NotFound { entity, .. } => vec![(
            step.key_column().into(),
            code::NOT_FOUND,
            format!("找不到对应的{entity} / no such {entity}"),
        )],
        StoreError::Duplicate { entity, .. } => vec![(
            step.key_column().into(),
            code::DUPLICATE,
            format!(
                "该{entity}已由他人登记，请联系市知识产权局 / this {entity} is registered by someone else: ask the city IP office"
            ),
        )],
        StoreError::VersionConflict { .. } => vec![(
            step.key_column().into(),
            code::VERSION_CONFLICT,
            "导入期间该记录被他人修改，请重新导入 / changed by someone else meanwhile: import again"
                .into(),
        )],
        StoreError::Conflict { code, detail } | StoreError::Forbidden { code, detail } => {
            vec![(step.key_column().into(), code, detail.clone())]
        }
        _ => return None,
    })
}

/// An appraisal already stored with the same value and date is not added again.
fn is_new(a: &Appraisal, stored: &[Appraisal]) -> bool {
    !stored
        .iter()
        .any(|s| s.amount == a.amount && s.appraised_on == a.appraised_on)
}

/// Former names looked for in one query.
const FORMER_NAMES_PER_QUERY: usize = 50;

/// What a file refers to, as stored.
#[derive(Debug, Clone, Default)]
pub struct Referenced {
    /// The enterprises (code, name, former names, park) it names: by code wherever they are, by name within
    /// the scope, and those in the scope that hold the patents asked about.
    pub enterprises: Vec<(Uscc, String, Vec<String>, ParkCode)>,
    /// Every park there is.
    pub parks: Vec<ParkCode>,
    /// Of the patents asked about, those an enterprise of ours in the scope holds.
    pub holders: Vec<(PatentApplicationNumber, Uscc)>,
}

impl Store {
    /// What a file refers to (see [`Referenced`]).
    pub async fn referenced_enterprises(
        &self,
        usccs: &[Uscc],
        names: &[String],
        patents: &[PatentApplicationNumber],
        scope: Option<&ParkCode>,
    ) -> Result<Referenced> {
        let parks = park_codes(&self.db).await?;
        let scope_id = scope.and_then(|s| parks.iter().find(|(_, c)| *c == s).map(|(i, _)| *i));
        let mut rows = Vec::new();
        let usccs: Vec<String> = usccs.iter().map(|u| u.to_string()).collect();
        for chunk in usccs.chunks(CHUNK) {
            rows.extend(
                enterprise::Entity::find()
                    .filter(enterprise::Column::Uscc.is_in(chunk.iter().cloned()))
                    .all(&self.db)
                    .await?,
            );
        }
        // Names as stored may differ from the ledger's in brackets and spaces: ask for the
        // usual spellings (`name_spellings`); the directory compares them all by `name_key`.
        let mut names: Vec<String> = names.iter().flat_map(|n| name_spellings(n)).collect();
        names.sort();
        names.dedup();
        for chunk in names.chunks(CHUNK) {
            let mut q = enterprise::Entity::find()
                .filter(enterprise::Column::Name.is_in(chunk.iter().cloned()));
            if let Some(id) = scope_id {
                q = q.filter(enterprise::Column::ParkId.eq(id));
            }
            rows.extend(q.all(&self.db).await?);
        }
        // Names an enterprise carried before (曾用名), compared by their keys; the directory
        // decides between the candidates by the same keys.
        let mut keys: Vec<String> = names.iter().map(|n| name_key(n)).collect();
        keys.sort();
        keys.dedup();
        for chunk in keys.chunks(FORMER_NAMES_PER_QUERY) {
            let mut any = Condition::any();
            for k in chunk {
                any = any.add(enterprise::Column::FormerNameKeys.like(format!("%|{k}|%")));
            }
            let mut q = enterprise::Entity::find().filter(any);
            if let Some(id) = scope_id {
                q = q.filter(enterprise::Column::ParkId.eq(id));
            }
            rows.extend(q.all(&self.db).await?);
        }
        // The enterprises of ours (in scope) that hold the patents asked about.
        let mut held = Vec::new();
        let numbers: Vec<String> = patents.iter().map(|n| n.to_string()).collect();
        for chunk in numbers.chunks(CHUNK) {
            held.extend(
                patent::Entity::find()
                    .filter(patent::Column::ApplicationNumber.is_in(chunk.iter().cloned()))
                    .filter(patent::Column::TransferredOutTo.is_null())
                    .all(&self.db)
                    .await?
                    .into_iter()
                    .map(|p| (p.application_number, p.enterprise_id)),
            );
        }
        let ids: Vec<i64> = held.iter().map(|(_, id)| *id).collect();
        for chunk in ids.chunks(CHUNK) {
            let mut q =
                enterprise::Entity::find().filter(enterprise::Column::Id.is_in(chunk.to_vec()));
            if let Some(id) = scope_id {
                q = q.filter(enterprise::Column::ParkId.eq(id));
            }
            rows.extend(q.all(&self.db).await?);
        }
        let uscc_of: HashMap<i64, String> = rows.iter().map(|r| (r.id, r.uscc.clone())).collect();
        let holders = held
            .into_iter()
            .filter_map(|(number, id)| {
                let number = PatentApplicationNumber::parse(&number).ok()?;
                let uscc = Uscc::parse(uscc_of.get(&id)?).ok()?;
                Some((number, uscc))
            })
            .collect();
        let enterprises = rows
            .into_iter()
            .filter_map(|r| match (Uscc::parse(&r.uscc), parks.get(&r.park_id)) {
                (Ok(uscc), Some(park)) => {
                    let former: Vec<String> = r
                        .former_names
                        .and_then(|v| serde_json::from_value(v).ok())
                        .unwrap_or_default();
                    Some((uscc, r.name, former, park.clone()))
                }
                _ => None,
            })
            .collect();
        Ok(Referenced {
            enterprises,
            parks: parks.into_values().collect(),
            holders,
        })
    }

    /// Writes the good rows of `parsed`. `progress` is told how many rows are done (of how
    /// many) after each transaction. Partial imports commit every few hundred rows. A dry
    /// run, and an all-or-nothing import, are first checked row by row on a private copy of
    /// what they read (on an SQLite file: see [`crate::scratch`]), holding no lock on the
    /// database; a dry run ends there, and an all-or-nothing import with a bad row too. What
    /// a clean all-or-nothing check wrote on the copy is then written into the database in
    /// one short transaction; were one of its rows changed meanwhile, the import is written
    /// the long way instead, each row checked again as it is written. The rows written so far
    /// are recorded on `job` (when the import runs as one) in each transaction that writes
    /// them: a job cut off says exactly what it committed.
    #[allow(clippy::too_many_arguments)]
    pub async fn import(
        &self,
        actor: &Actor,
        parsed: &Statements,
        mode: ImportMode,
        dry_run: bool,
        scope: Option<&ParkCode>,
        job: Option<i64>,
        progress: &(dyn Fn(usize, usize) + Send + Sync),
    ) -> Result<ImportOutcome> {
        if !dry_run && mode == ImportMode::Partial {
            return self
                .import_here(actor, parsed, mode, false, scope, job, progress)
                .await;
        }
        let Some(scratch) = self.scratch_for(parsed, actor.now).await? else {
            return self
                .import_here(actor, parsed, mode, dry_run, scope, job, progress)
                .await;
        };
        let rows = parsed.accepted();
        // An all-or-nothing import tells its check, then its write, as one count.
        let whole = if dry_run { rows } else { 2 * rows };
        // All or nothing, the copy keeps what a clean check wrote: that is what is written.
        let checked = scratch
            .store
            .import_here(actor, parsed, mode, dry_run, scope, None, &|done, _| {
                progress(done, whole)
            })
            .await?;
        if dry_run || !checked.is_clean(parsed) {
            return Ok(checked);
        }
        let committed = job.map(|id| (id, checked.written()));
        if let crate::scratch::Applied::Written = scratch.apply(committed).await? {
            progress(whole, whole);
            return Ok(checked);
        }
        drop(scratch);
        // A row it writes was changed meanwhile: written the long way, each row checked
        // again as it is written, and refused as any write would be.
        self.import_here(actor, parsed, mode, false, scope, job, &|done, _| {
            progress(rows + done, whole)
        })
        .await
    }

    /// [`import`](Self::import) on this database: partial imports commit every few hundred
    /// rows; all-or-nothing and dry runs use one transaction and commit it only when every
    /// row is good (never, for a dry run).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn import_here(
        &self,
        actor: &Actor,
        parsed: &Statements,
        mode: ImportMode,
        dry_run: bool,
        scope: Option<&ParkCode>,
        job: Option<i64>,
        progress: &(dyn Fn(usize, usize) + Send + Sync),
    ) -> Result<ImportOutcome> {
        let mut steps: Vec<(Source, Step<'_>)> = Vec::with_capacity(parsed.accepted());
        steps.extend(
            parsed
                .enterprises
                .iter()
                .map(|(s, r)| (*s, Step::Enterprise(r))),
        );
        steps.extend(
            parsed
                .qualifications
                .iter()
                .map(|(s, r)| (*s, Step::Qualification(r))),
        );
        steps.extend(parsed.patents.iter().map(|(s, r)| (*s, Step::Patent(r))));
        steps.extend(
            parsed
                .trademarks
                .iter()
                .map(|(s, r)| (*s, Step::Trademark(r))),
        );
        steps.extend(
            parsed
                .appraisals
                .iter()
                .map(|(s, r)| (*s, Step::Appraisal(r))),
        );
        let mut out = ImportOutcome::default();
        let total = steps.len();
        let one_transaction = dry_run || mode == ImportMode::AllOrNothing;
        let mut txn: Option<DatabaseTransaction> = None;
        let mut done = 0;
        for chunk in steps.chunks(CHUNK) {
            if txn.is_none() {
                let t = self.write().await?;
                // The tables grow faster than PostgreSQL's statistics during an import; with
                // stale ones the planner scans whole tables for each chunk's lookups by key.
                if t.get_database_backend() == sea_orm::DbBackend::Postgres {
                    t.execute_unprepared("SET LOCAL enable_seqscan = off")
                        .await?;
                }
                txn = Some(t);
            }
            let Some(t) = txn.as_ref() else {
                continue;
            };
            // Patents, the bulk of most ledgers, are written a chunk at a time; the rest row
            // by row. Steps come in kind order, so the chunk's patents are contiguous.
            let patents: Vec<(usize, &PatentRow)> = chunk
                .iter()
                .enumerate()
                .filter_map(|(i, (_, s))| match s {
                    Step::Patent(p) => Some((i, *p)),
                    _ => None,
                })
                .collect();
            let mut results: Vec<Option<Result<Upserted>>> =
                (0..chunk.len()).map(|_| None).collect();
            let first_patent = patents.first().map_or(chunk.len(), |(i, _)| *i);
            for (i, (_, step)) in chunk.iter().enumerate().take(first_patent) {
                results[i] = Some(self.import_row(t, actor, step, scope).await);
            }
            if !patents.is_empty() {
                let rows: Vec<&PatentRow> = patents.iter().map(|(_, p)| *p).collect();
                for ((i, _), r) in patents
                    .iter()
                    .zip(self.import_patents(t, actor, &rows, scope).await?)
                {
                    results[*i] = Some(r);
                }
            }
            let after = patents.last().map_or(chunk.len(), |(i, _)| i + 1);
            for (i, (_, step)) in chunk.iter().enumerate().skip(after.max(first_patent)) {
                results[i] = Some(self.import_row(t, actor, step, scope).await);
            }
            for ((source, step), result) in chunk.iter().zip(results) {
                let counts = out.counts.entry(step.kind()).or_default();
                match result {
                    Some(Ok(Upserted::Created)) => counts.inserted += 1,
                    Some(Ok(Upserted::Updated)) => counts.updated += 1,
                    Some(Ok(Upserted::Unchanged)) | None => counts.unchanged += 1,
                    Some(Err(e)) => match refusal(&e, step) {
                        Some(list) => {
                            counts.rejected += 1;
                            out.rejections
                                .extend(list.into_iter().map(|(key, code, message)| {
                                    RowRejection {
                                        source: *source,
                                        key,
                                        code,
                                        message,
                                    }
                                }));
                        }
                        None => return Err(e),
                    },
                }
            }
            done += chunk.len();
            if !one_transaction && let Some(t) = txn.take() {
                if let Some(id) = job {
                    record_committed(&t, id, out.written()).await?;
                }
                crate::audit::commit(t).await?;
            }
            progress(done, total);
        }
        // Rows refused while reading count as rejected in their kind.
        for (_, kind) in &parsed.rejected {
            out.counts.entry(kind).or_default().rejected += 1;
        }
        out.committed = !dry_run && (mode == ImportMode::Partial || out.is_clean(parsed));
        if let Some(t) = txn.take() {
            if out.committed {
                if let Some(id) = job {
                    record_committed(&t, id, out.written()).await?;
                }
                crate::audit::commit(t).await?;
            } else {
                t.rollback().await?;
            }
        }
        Ok(out)
    }

    async fn import_row(
        &self,
        txn: &DatabaseTransaction,
        actor: &Actor,
        step: &Step<'_>,
        scope: Option<&ParkCode>,
    ) -> Result<Upserted> {
        match step {
            Step::Enterprise(row) => {
                let stored = self.enterprise_in(txn, &row.enterprise.uscc).await?;
                let key = row.enterprise.uscc.to_string();
                if let Some(s) = &stored {
                    check_scope(scope, &s.value.park, taken("enterprise", &key))?;
                }
                let e = row.merged(stored.as_ref().map(|s| &s.value));
                // The row itself names another park: the caller's own refusal.
                check_scope(scope, &e.park, || StoreError::OutOfScope {
                    entity: "enterprise",
                    key: key.clone(),
                })?;
                match stored {
                    None => {
                        self.create_enterprise_in(txn, actor, e).await?;
                        Ok(Upserted::Created)
                    }
                    Some(s) => {
                        let after = self.update_enterprise_in(txn, actor, e, s.version).await?;
                        Ok(if after.version == s.version {
                            Upserted::Unchanged
                        } else {
                            Upserted::Updated
                        })
                    }
                }
            }
            Step::Qualification(row) => {
                let key = row.uscc.to_string();
                let stored =
                    self.enterprise_in(txn, &row.uscc)
                        .await?
                        .ok_or(StoreError::NotFound {
                            entity: "enterprise",
                            key: key.clone(),
                        })?;
                check_scope(scope, &stored.value.park, not_found("enterprise", &key))?;
                let e = row.applied_to(&stored.value);
                let after = self
                    .update_enterprise_in(txn, actor, e, stored.version)
                    .await?;
                Ok(if after.version == stored.version {
                    Upserted::Unchanged
                } else {
                    Upserted::Updated
                })
            }
            Step::Patent(row) => self
                .import_patents(txn, actor, &[row], scope)
                .await?
                .pop()
                .unwrap_or(Ok(Upserted::Unchanged)),
            Step::Trademark(row) => {
                let stored = self
                    .trademark_in(txn, row.registration_number, row.nice_class)
                    .await?;
                let t = merged_trademark(row, stored.as_ref().map(|(s, _)| &s.value));
                let (_, what) = self
                    .upsert_trademark_in(
                        txn,
                        actor,
                        t,
                        stored.as_ref().map(|(s, _)| s.version),
                        scope,
                    )
                    .await?;
                Ok(what)
            }
            Step::Appraisal(row) => {
                let (patent_id, trademark_id, key, owner, stored) = match row.ip {
                    IpNumber::Patent(n) => {
                        let (rec, _) =
                            self.patent_in(txn, &n).await?.ok_or(StoreError::NotFound {
                                entity: "patent",
                                key: n.to_string(),
                            })?;
                        (
                            Some(rec.id),
                            None,
                            n.to_string(),
                            rec.value.owner,
                            rec.value.appraisals,
                        )
                    }
                    IpNumber::Trademark(n, c) => {
                        let key = format!("{}/{}", n.get(), c.get());
                        let (rec, _) =
                            self.trademark_in(txn, n, c)
                                .await?
                                .ok_or(StoreError::NotFound {
                                    entity: "trademark",
                                    key: key.clone(),
                                })?;
                        (
                            None,
                            Some(rec.id),
                            key,
                            rec.value.owner,
                            rec.value.appraisals,
                        )
                    }
                };
                let (owner_id, park) = self.owner_ref(txn, &owner).await?;
                let entity = if patent_id.is_some() {
                    "patent"
                } else {
                    "trademark"
                };
                check_scope(scope, &park, not_found(entity, &key))?;
                if !is_new(&row.appraisal, &stored) {
                    return Ok(Upserted::Unchanged);
                }
                let park_id = self.park_of_enterprise(txn, owner_id).await?;
                self.insert_appraisal(
                    txn,
                    actor,
                    patent_id,
                    trademark_id,
                    &key,
                    park_id,
                    row.appraisal.clone(),
                )
                .await?;
                Ok(Upserted::Created)
            }
        }
    }

    /// A chunk of patent rows: new patents (the usual case) are inserted with their
    /// appraisals and audit records in a few statements; changed ones go through the same
    /// upsert as the API. Each row's result is answered in order; an `Err` of the whole is
    /// a fault.
    async fn import_patents(
        &self,
        txn: &DatabaseTransaction,
        actor: &Actor,
        rows: &[&PatentRow],
        scope: Option<&ParkCode>,
    ) -> Result<Vec<Result<Upserted>>> {
        let parks = park_codes(txn).await?;
        let numbers: Vec<String> = rows
            .iter()
            .map(|r| r.patent.application_number.to_string())
            .collect();
        let stored: HashMap<String, patent::Model> = patent::Entity::find()
            .filter(patent::Column::ApplicationNumber.is_in(numbers.clone()))
            .all(txn)
            .await?
            .into_iter()
            .map(|m| (m.application_number.clone(), m))
            .collect();
        let mut usccs: Vec<String> = rows.iter().map(|r| r.patent.owner.to_string()).collect();
        let stored_owner_ids: Vec<i64> = stored.values().map(|m| m.enterprise_id).collect();
        let mut owners: HashMap<String, (i64, i64)> = HashMap::new();
        let mut owner_of_id: HashMap<i64, (String, i64)> = HashMap::new();
        usccs.sort();
        usccs.dedup();
        let found = enterprise::Entity::find()
            .filter(
                Condition::any()
                    .add(enterprise::Column::Uscc.is_in(usccs))
                    .add(enterprise::Column::Id.is_in(stored_owner_ids)),
            )
            .all(txn)
            .await?;
        for e in found {
            owners.insert(e.uscc.clone(), (e.id, e.park_id));
            owner_of_id.insert(e.id, (e.uscc, e.park_id));
        }
        let mut appraisals = appraisals_of(txn, stored.values().map(|m| m.id).collect()).await?;
        let now = actor.now;
        let mut results = Vec::with_capacity(rows.len());
        let mut inserts = Vec::new();
        let mut audits = Vec::new();
        // (application number, patent id if known, park id, appraisal) to add.
        let mut new_appraisals: Vec<(String, Option<i64>, i64, Appraisal)> = Vec::new();
        for (row, number) in rows.iter().zip(&numbers) {
            let result: Result<Upserted> = async {
                if let Some(a) = &row.appraisal {
                    let v = a.violations(actor.today);
                    if !v.is_empty() {
                        return Err(StoreError::Invalid(v));
                    }
                }
                let Some(model) = stored.get(number) else {
                    let p = row.merged(None);
                    let v = p.violations(actor.today);
                    if !v.is_empty() {
                        return Err(StoreError::Invalid(v));
                    }
                    let Some((owner_id, park_id)) = owners.get(p.owner.as_str()).copied() else {
                        return Err(unknown_owner(&p.owner));
                    };
                    let park = parks
                        .get(&park_id)
                        .ok_or_else(|| StoreError::corrupt("park"))?;
                    check_scope(scope, park, || unknown_owner(&p.owner))?;
                    let mut columns = patent_columns(&p, owner_id)?;
                    columns.version = Set(1);
                    columns.created_at = Set(now);
                    columns.updated_at = Set(now);
                    inserts.push(columns);
                    audits.push(audit::row(
                        actor,
                        now,
                        Change {
                            entity: "patent",
                            key: number,
                            action: "create",
                            park_id: Some(park_id),
                            reason: None,
                            before: None,
                            after: serde_json::to_value(&p).ok(),
                        },
                    ));
                    if let Some(a) = &row.appraisal {
                        new_appraisals.push((number.clone(), None, park_id, a.clone()));
                    }
                    return Ok(Upserted::Created);
                };
                let (old_uscc, old_park) = owner_of_id
                    .get(&model.enterprise_id)
                    .cloned()
                    .ok_or_else(|| StoreError::corrupt("patent owner"))?;
                let before = patent_from_row(
                    model.clone(),
                    corrupt(Uscc::parse(&old_uscc))?,
                    appraisals.remove(&model.id).unwrap_or_default(),
                )?;
                let p = row.merged(Some(&before.value));
                let (what, park_id) = if p == before.value {
                    let park = parks
                        .get(&old_park)
                        .ok_or_else(|| StoreError::corrupt("park"))?;
                    check_scope(scope, park, taken("patent", number))?;
                    (Upserted::Unchanged, old_park)
                } else {
                    let (rec, what) = self
                        .upsert_patent_in(txn, actor, p, Some(before.version), scope)
                        .await?;
                    let park_id = owners
                        .get(rec.value.owner.as_str())
                        .map_or(old_park, |(_, park)| *park);
                    (what, park_id)
                };
                match &row.appraisal {
                    Some(a) if is_new(a, &before.value.appraisals) => {
                        new_appraisals.push((number.clone(), Some(model.id), park_id, a.clone()));
                        Ok(Upserted::Updated)
                    }
                    _ => Ok(what),
                }
            }
            .await;
            results.push(result);
        }
        // Few, large statements: each one costs a round trip (and, over TCP, may wait for an
        // acknowledgement); 1,000 rows of patents or audit records stay well below the
        // bind-parameter limits of SQLite (32,766) and PostgreSQL (65,535).
        for chunk in inserts.chunks(1000) {
            patent::Entity::insert_many(chunk.to_vec())
                .exec(txn)
                .await?;
        }
        if new_appraisals.iter().any(|(_, id, _, _)| id.is_none()) {
            let wanted: Vec<String> = new_appraisals
                .iter()
                .filter(|(_, id, _, _)| id.is_none())
                .map(|(n, _, _, _)| n.clone())
                .collect();
            let ids: HashMap<String, i64> = patent::Entity::find()
                .filter(patent::Column::ApplicationNumber.is_in(wanted))
                .all(txn)
                .await?
                .into_iter()
                .map(|m| (m.application_number, m.id))
                .collect();
            for (n, id, _, _) in &mut new_appraisals {
                if id.is_none() {
                    *id = ids.get(n.as_str()).copied();
                }
            }
        }
        let mut appraisal_rows = Vec::with_capacity(new_appraisals.len());
        for (number, id, park_id, a) in &new_appraisals {
            appraisal_rows.push(appraisal_columns(a, *id, None, now));
            audits.push(audit::row(
                actor,
                now,
                Change {
                    entity: "appraisal",
                    key: number,
                    action: "create",
                    park_id: Some(*park_id),
                    reason: None,
                    before: None,
                    after: serde_json::to_value(a).ok(),
                },
            ));
        }
        for chunk in appraisal_rows.chunks(1000) {
            appraisal::Entity::insert_many(chunk.to_vec())
                .exec(txn)
                .await?;
        }
        audit::record_many(txn, audits).await?;
        Ok(results)
    }

    async fn park_of_enterprise(&self, db: &impl ConnectionTrait, id: i64) -> Result<i64> {
        enterprise::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|e| e.park_id)
            .ok_or_else(|| StoreError::corrupt("missing enterprise"))
    }
}
