//! Ledger imports: the good rows of a file written through the same upserts, versions and
//! audit records as the API, a few hundred rows per transaction (or all in one), so a killed
//! import leaves whole rows only (or nothing).

use crate::entities::{enterprise, park};
use crate::error::{Result, StoreError};
use crate::patents::{Upserted, check_scope};
use crate::{Actor, Store};
use pledge_domain::{Appraisal, ParkCode, Uscc};
use pledge_ledger::{
    AppraisalRow, Directory, EnterpriseRow, IpNumber, Known, Parsed, PatentRow, QualificationRow,
    References, SheetKind, Source, merged_trademark,
};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter};
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
    fn kind(&self) -> SheetKind {
        match self {
            Self::Enterprise(_) => SheetKind::Enterprises,
            Self::Qualification(_) => SheetKind::Qualifications,
            Self::Patent(_) => SheetKind::Patents,
            Self::Trademark(_) => SheetKind::Trademarks,
            Self::Appraisal(_) => SheetKind::Appraisals,
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
            "out_of_scope",
            "不在本园区 / outside your park".into(),
        )],
        StoreError::NotFound { entity, .. } => vec![(
            step.key_column().into(),
            "not_found",
            format!("找不到对应的{entity} / no such {entity}"),
        )],
        StoreError::VersionConflict { .. } => vec![(
            step.key_column().into(),
            "version_conflict",
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

impl Store {
    /// The parks there are, and the stored enterprises a file refers to: by code wherever
    /// they are, by name within `scope`.
    pub async fn directory(
        &self,
        refs: &References,
        scope: Option<&ParkCode>,
    ) -> Result<(Directory, Vec<ParkCode>)> {
        let parks: HashMap<i64, ParkCode> = park::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .filter_map(|p| ParkCode::parse(&p.code).ok().map(|c| (p.id, c)))
            .collect();
        let scope_id = scope.and_then(|s| parks.iter().find(|(_, c)| *c == s).map(|(i, _)| *i));
        let mut rows = Vec::new();
        let usccs: Vec<String> = refs.usccs.iter().map(|u| u.to_string()).collect();
        for chunk in usccs.chunks(CHUNK) {
            rows.extend(
                enterprise::Entity::find()
                    .filter(enterprise::Column::Uscc.is_in(chunk.iter().cloned()))
                    .all(&self.db)
                    .await?,
            );
        }
        let names: Vec<String> = refs.names.iter().cloned().collect();
        for chunk in names.chunks(CHUNK) {
            let mut q = enterprise::Entity::find()
                .filter(enterprise::Column::Name.is_in(chunk.iter().map(|n| n.trim().to_owned())));
            if let Some(id) = scope_id {
                q = q.filter(enterprise::Column::ParkId.eq(id));
            }
            rows.extend(q.all(&self.db).await?);
        }
        let mut directory = Directory::default();
        for r in rows {
            if let (Ok(uscc), Some(park)) = (Uscc::parse(&r.uscc), parks.get(&r.park_id)) {
                directory.insert(Known {
                    uscc,
                    name: r.name,
                    park: park.clone(),
                });
            }
        }
        Ok((directory, parks.into_values().collect()))
    }

    /// Writes the good rows of `parsed`. `progress` is told how many rows are done after each
    /// transaction. Partial imports commit every few hundred rows; all-or-nothing and dry runs
    /// use one transaction and commit it only when every row is good (never, for a dry run).
    pub async fn import(
        &self,
        actor: &Actor,
        parsed: &Parsed,
        mode: ImportMode,
        dry_run: bool,
        scope: Option<&ParkCode>,
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
        for (n, (source, step)) in steps.iter().enumerate() {
            if txn.is_none() {
                txn = Some(self.write().await?);
            }
            let Some(t) = txn.as_ref() else {
                continue;
            };
            let counts = out.counts.entry(step.kind().as_str()).or_default();
            match self.import_row(t, actor, step, scope).await {
                Ok(Upserted::Created) => counts.inserted += 1,
                Ok(Upserted::Updated) => counts.updated += 1,
                Ok(Upserted::Unchanged) => counts.unchanged += 1,
                Err(e) => match refusal(&e, step) {
                    Some(list) => {
                        counts.rejected += 1;
                        out.rejections
                            .extend(list.into_iter().map(|(key, code, message)| RowRejection {
                                source: *source,
                                key,
                                code,
                                message,
                            }));
                    }
                    None => return Err(e),
                },
            }
            let done = n + 1;
            if !one_transaction && (done % CHUNK == 0 || done == total) {
                if let Some(t) = txn.take() {
                    t.commit().await?;
                }
                progress(done, total);
            } else if done % CHUNK == 0 {
                progress(done, total);
            }
        }
        // Rows refused while reading count as rejected in their kind.
        for (_, kind) in &parsed.rejected {
            out.counts.entry(kind.as_str()).or_default().rejected += 1;
        }
        let clean = out.rejections.is_empty() && parsed.rejected.is_empty();
        out.committed = !dry_run && (mode == ImportMode::Partial || clean);
        if let Some(t) = txn.take() {
            if out.committed {
                t.commit().await?;
            } else {
                t.rollback().await?;
            }
        }
        progress(total, total);
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
                let e = row.merged(stored.as_ref().map(|s| &s.value));
                let key = e.uscc.to_string();
                check_scope(scope, &e.park, "enterprise", &key)?;
                match stored {
                    None => {
                        self.create_enterprise_in(txn, actor, e).await?;
                        Ok(Upserted::Created)
                    }
                    Some(s) => {
                        check_scope(scope, &s.value.park, "enterprise", &key)?;
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
                check_scope(scope, &stored.value.park, "enterprise", &key)?;
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
            Step::Patent(row) => {
                let number = row.patent.application_number;
                let stored = self.patent_in(txn, &number).await?;
                let p = row.merged(stored.as_ref().map(|(s, _)| &s.value));
                let (rec, mut what) = self
                    .upsert_patent_in(
                        txn,
                        actor,
                        p,
                        stored.as_ref().map(|(s, _)| s.version),
                        scope,
                    )
                    .await?;
                if let Some(a) = &row.appraisal
                    && is_new(a, &rec.value.appraisals)
                {
                    let (owner, _) = self.owner_ref(txn, &rec.value.owner).await?;
                    let park_id = self.park_of_enterprise(txn, owner).await?;
                    self.insert_appraisal(
                        txn,
                        actor,
                        Some(rec.id),
                        None,
                        &number.to_string(),
                        park_id,
                        a.clone(),
                    )
                    .await?;
                    if what == Upserted::Unchanged {
                        what = Upserted::Updated;
                    }
                }
                Ok(what)
            }
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
                check_scope(scope, &park, "appraisal", &key)?;
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

    async fn park_of_enterprise(&self, db: &impl ConnectionTrait, id: i64) -> Result<i64> {
        enterprise::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|e| e.park_id)
            .ok_or_else(|| StoreError::corrupt("missing enterprise"))
    }
}
