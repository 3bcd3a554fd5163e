//! The white list: the entry criteria, batches, nominations, decisions, publication and
//! re-screening. The lifecycle's rules are the domain's; the store keeps them with their
//! audit records.

use crate::error::{Result, ServiceError};
use crate::{Context, Service};
use chrono::Datelike;
use pledge_domain::code;
use pledge_domain::{
    BatchStatus, Criteria, CriterionFailure, DomainError, EntryStatus, QualificationKind,
    ReasonCode, RiskFlagKind, Text, Transition, Uscc, Violations,
};
use pledge_store::{
    AuditFilter, AuditRecord, BatchRecord, EntryFilter, EntryRecord, ExportRow, Page,
    RescreenReport, RescreenReversal, TransitionRequest,
};

/// How many enterprises a look for near misses of the entry criteria reads.
pub const NEAR_MISS_SCAN: u64 = 2_000;

/// The most items one request for many (nominations, decisions) takes.
pub const MANY: usize = 500;

/// How many days back a re-screening may be dated.
pub const RESCREEN_DAYS_BACK: u64 = 31;
/// How many days ahead a re-screening may be dated.
pub const RESCREEN_DAYS_AHEAD: u64 = 7;

/// The entry criteria as typed (the API's body, the criteria page's form).
#[derive(Debug, Clone, Default)]
pub struct CriteriaAsk {
    pub min_valid_invention_patents: u32,
    pub min_valid_patents: u32,
    pub excluded_risk_flags: Vec<String>,
    pub any_of_qualifications: Vec<String>,
    pub min_years_in_operation: u32,
}

impl CriteriaAsk {
    /// The domain's criteria, or every invalid field.
    pub fn criteria(&self) -> Result<Criteria> {
        let mut c = Violations::default();
        let mut flags = Vec::new();
        for (i, f) in self.excluded_risk_flags.iter().enumerate() {
            flags.extend(c.field(&format!("excluded_risk_flags[{i}]"), RiskFlagKind::parse(f)));
        }
        let mut quals = Vec::new();
        for (i, q) in self.any_of_qualifications.iter().enumerate() {
            quals.extend(c.field(
                &format!("any_of_qualifications[{i}]"),
                QualificationKind::parse(q),
            ));
        }
        for (field, v, max) in [
            (
                "min_valid_invention_patents",
                self.min_valid_invention_patents,
                1000,
            ),
            ("min_valid_patents", self.min_valid_patents, 1000),
            ("min_years_in_operation", self.min_years_in_operation, 100),
        ] {
            if v > max {
                c.push(
                    field,
                    DomainError::OutOfRange {
                        min: 0,
                        max: i64::from(max),
                    },
                );
            }
        }
        c.finish().map_err(ServiceError::invalid)?;
        Ok(Criteria {
            min_valid_invention_patents: self.min_valid_invention_patents,
            min_valid_patents: self.min_valid_patents,
            excluded_risk_flags: flags,
            any_of_qualifications: quals,
            min_years_in_operation: self.min_years_in_operation,
        })
    }
}

/// The decision an action names (`approve`, `reject`, `suspend`, `reinstate`, `remove`);
/// any other is unknown.
pub fn decision(action: &str) -> Result<Transition> {
    match Transition::parse(action) {
        Ok(
            t @ (Transition::Approve
            | Transition::Reject
            | Transition::Suspend
            | Transition::Reinstate
            | Transition::Remove),
        ) => Ok(t),
        _ => Err(ServiceError::not_found(format!(
            "没有操作{action} / no action {action}: approve, reject, suspend, reinstate, remove"
        ))),
    }
}

/// A step of an entry with its reasons as typed, every invalid one named.
pub fn transition_asked(
    transition: Transition,
    version: i64,
    reason_code: &str,
    reason: &str,
    override_reason: Option<&str>,
) -> Result<TransitionRequest> {
    let mut c = Violations::default();
    let code = c.field("reason_code", ReasonCode::parse(reason_code));
    let reason = c.field("reason", Text::parse(reason, 1, 500));
    let override_reason = match override_reason {
        Some(o) => c
            .field("override_reason", Text::parse(o, 1, 500))
            .map(|t| Some(t.to_string())),
        None => Some(None),
    };
    c.finish().map_err(ServiceError::invalid)?;
    let (Some(reason_code), Some(reason), Some(override_reason)) = (code, reason, override_reason)
    else {
        return Err(ServiceError::invalid(Vec::new()));
    };
    Ok(TransitionRequest {
        transition,
        version,
        reason_code,
        reason: reason.to_string(),
        override_reason,
    })
}

impl Service {
    /// The entry criteria and their version (the office and parks).
    pub async fn criteria(&self, cx: &Context) -> Result<(Criteria, i64)> {
        cx.list_scope()?;
        Ok(self.store.criteria().await?)
    }

    /// Replaces the entry criteria with the version read (the office).
    pub async fn set_criteria(
        &self,
        cx: &Context,
        asked: &CriteriaAsk,
        version: i64,
    ) -> Result<(Criteria, i64)> {
        cx.require_office()?;
        let criteria = asked.criteria()?;
        Ok(self
            .store
            .set_criteria(&cx.actor, criteria, version)
            .await?)
    }

    /// Every batch (anyone).
    pub async fn batches(&self, _cx: &Context) -> Result<Vec<BatchRecord>> {
        Ok(self.store.batches().await?)
    }

    /// One batch (anyone).
    pub async fn batch(&self, _cx: &Context, id: i64) -> Result<BatchRecord> {
        self.store
            .batch(id)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("批次{id}不存在 / no batch {id}")))
    }

    /// Opens a batch (the office).
    pub async fn create_batch(
        &self,
        cx: &Context,
        name: &Text,
        valid_until: chrono::NaiveDate,
    ) -> Result<BatchRecord> {
        cx.require_office()?;
        let today = cx.today();
        if let Some(v) = pledge_domain::Violation::if_outside(
            "valid_until",
            Some(valid_until),
            today,
            pledge_domain::window::latest_validity(today),
        ) {
            return Err(ServiceError::Invalid(vec![v.into()]));
        }
        Ok(self
            .store
            .create_batch(&cx.actor, name, valid_until)
            .await?)
    }

    /// Nominates an enterprise into a batch and screens it (the office, or its park).
    pub async fn nominate(&self, cx: &Context, batch: i64, uscc: &Uscc) -> Result<EntryRecord> {
        let scope = cx.write_scope()?;
        self.written(self.store.nominate(&cx.actor, batch, uscc, scope.as_ref()))
            .await
    }

    /// Nominates each of `usccs` (at most [`MANY`]) into the draft batch `batch` on its own:
    /// one result per item, in order. The batch is the request's: unknown (404) or no longer
    /// a draft (409) refuses the whole request.
    pub async fn nominate_many(
        &self,
        cx: &Context,
        batch: i64,
        usccs: &[String],
    ) -> Result<Vec<(String, Result<EntryRecord>)>> {
        cx.write_scope()?;
        let b = self.batch(cx, batch).await?;
        if b.status != BatchStatus::Draft {
            return Err(ServiceError::Conflict {
                code: code::BATCH_NOT_DRAFT,
                detail: format!(
                    "批次{}已{}，不能再提名 / batch {} is {}: no more nominations",
                    b.id,
                    b.status.label_zh(),
                    b.id,
                    b.status.as_str()
                ),
                current_version: None,
            });
        }
        let mut results = Vec::with_capacity(usccs.len().min(MANY));
        for raw in usccs.iter().take(MANY) {
            let done = match Uscc::parse(raw) {
                Ok(uscc) => self.nominate(cx, batch, &uscc).await,
                Err(e) => Err(ServiceError::field("uscc", e)),
            };
            results.push((raw.clone(), done));
        }
        Ok(results)
    }

    /// Takes one step (its reason read once) for each of `entries` (at most [`MANY`], each
    /// with its own version) on its own: four-eyes, screening and version are judged per
    /// entry, one result per entry, in order (the office).
    pub async fn decide_many(
        &self,
        cx: &Context,
        entries: &[(i64, i64)],
        step: TransitionRequest,
    ) -> Result<Vec<(i64, Result<EntryRecord>)>> {
        cx.require_office()?;
        let mut results = Vec::with_capacity(entries.len().min(MANY));
        for &(id, version) in entries.iter().take(MANY) {
            let req = TransitionRequest {
                version,
                ..step.clone()
            };
            results.push((id, self.transition(cx, id, req).await));
        }
        Ok(results)
    }

    /// Publishes a batch with the version read (the office).
    pub async fn publish_batch(&self, cx: &Context, id: i64, version: i64) -> Result<BatchRecord> {
        cx.require_office()?;
        self.written(self.store.publish_batch(&cx.actor, id, version))
            .await
    }

    /// Moves an entry along its lifecycle (the office): approve, reject, suspend, reinstate,
    /// remove.
    pub async fn transition(
        &self,
        cx: &Context,
        id: i64,
        req: TransitionRequest,
    ) -> Result<EntryRecord> {
        cx.require_office()?;
        self.written(self.store.transition(&cx.actor, id, req))
            .await
    }

    /// Re-screens every published entry as of `as_of`, expiring those past validity (the
    /// office).
    ///
    /// `as_of` lies within [`RESCREEN_DAYS_BACK`] days before today and
    /// [`RESCREEN_DAYS_AHEAD`] after: a run far in the future would expire the whole list at
    /// once. A `dry_run` changes nothing and answers what would change.
    pub async fn rescreen(
        &self,
        cx: &Context,
        as_of: chrono::NaiveDate,
        dry_run: bool,
    ) -> Result<RescreenReport> {
        cx.require_office()?;
        let today = cx.today();
        let earliest = today - chrono::Days::new(RESCREEN_DAYS_BACK);
        let latest = today + chrono::Days::new(RESCREEN_DAYS_AHEAD);
        if as_of < earliest || as_of > latest {
            return Err(ServiceError::Invalid(vec![crate::FieldError {
                field: "as_of".into(),
                code: code::OUT_OF_RANGE.into(),
                message: format!(
                    "复核日期须在{earliest}至{latest}之间 / as_of lies between {earliest} and {latest}"
                ),
            }]));
        }
        if dry_run {
            return Ok(self.store.rescreen(&cx.actor, as_of, true).await?);
        }
        self.written(self.store.rescreen(&cx.actor, as_of, false))
            .await
    }

    /// Undoes the re-screening `run` (the office): see the store's account of what it undoes.
    pub async fn reverse_rescreen(&self, cx: &Context, run: i64) -> Result<RescreenReversal> {
        cx.require_office()?;
        self.written(self.store.reverse_rescreen(&cx.actor, run))
            .await
    }

    /// The entries the caller may see: the office all, a park official their park's, a bank
    /// the published ones.
    pub async fn entries(
        &self,
        cx: &Context,
        filter: EntryFilter,
        after: Option<i64>,
        limit: u64,
    ) -> Result<Page<EntryRecord>> {
        let filter = cx.entry_scope(filter)?;
        Ok(self.store.entries(&filter, after, limit).await?)
    }

    /// One entry the caller may see (anything else is unknown to them).
    pub async fn entry(&self, cx: &Context, id: i64) -> Result<EntryRecord> {
        let e = self.store.entry(id).await?;
        let visible = e.filter(|e| cx.sees_entry(&e.park, e.status));
        visible.ok_or_else(|| ServiceError::not_found(format!("条目{id}不存在 / no entry {id}")))
    }

    /// Every step of an entry's history (the office and its park).
    pub async fn entry_history(&self, cx: &Context, id: i64) -> Result<Vec<AuditRecord>> {
        cx.list_scope()?;
        let e = self.entry(cx, id).await?;
        let filter = AuditFilter {
            entity: Some("whitelist_entry".into()),
            entity_key: Some(e.id.to_string()),
            park_id: None,
            ..Default::default()
        };
        Ok(self.store.audit_log(&filter, None, 10_000).await?.items)
    }

    /// The rows of a batch as the caller may export them: a draft's nominated and approved
    /// entries for the office and parks, the published ones otherwise; a park its own.
    pub async fn batch_rows(
        &self,
        cx: &Context,
        id: i64,
        as_of: chrono::NaiveDate,
    ) -> Result<(BatchRecord, Vec<ExportRow>)> {
        let batch = self.batch(cx, id).await?;
        let statuses = cx.exported_statuses(batch.status);
        let rows = self
            .store
            .batch_rows(Some(batch.id), &statuses, cx.own_park(), as_of)
            .await?;
        Ok((batch, rows))
    }

    /// The white list as it stands on `as_of`'s day: every entry in force (published), across
    /// batches (a park official: their park's).
    pub async fn current_rows(
        &self,
        cx: &Context,
        as_of: chrono::NaiveDate,
    ) -> Result<Vec<ExportRow>> {
        Ok(self
            .store
            .batch_rows(None, &[EntryStatus::Published], cx.own_park(), as_of)
            .await?)
    }

    /// Entries published in each of the last twelve months, oldest first (the office all, a
    /// park official their park's; banks the whole list, which is public).
    pub async fn published_by_month(&self, cx: &Context) -> Result<Vec<(String, u64)>> {
        let today = cx.today();
        let since = (today - chrono::Months::new(11))
            .with_day(1)
            .unwrap_or(today);
        Ok(self.store.published_by_month(cx.own_park(), since).await?)
    }

    /// Enterprises not on the list nor nominated that fail exactly one entry criterion, each
    /// with that criterion: what a park official could fix before nominating (the office: of
    /// every park; read from the first [`NEAR_MISS_SCAN`] enterprises by id; at most `limit`).
    pub async fn criteria_near_misses(
        &self,
        cx: &Context,
        limit: usize,
    ) -> Result<Vec<(Uscc, String, CriterionFailure)>> {
        let scope = cx.list_scope()?;
        let filter = pledge_store::EnterpriseFilter {
            park: scope.clone(),
            ..Default::default()
        };
        let registered = self
            .store
            .list_enterprises(&filter, None, NEAR_MISS_SCAN)
            .await?
            .items;
        let live = EntryFilter {
            statuses: EntryStatus::ALL
                .iter()
                .copied()
                .filter(|s| s.is_live())
                .collect(),
            park: scope,
            ..Default::default()
        };
        let entered: std::collections::HashSet<Uscc> = self
            .store
            .entries(&live, None, NEAR_MISS_SCAN * 4)
            .await?
            .items
            .into_iter()
            .map(|e| e.uscc)
            .collect();
        let candidates: Vec<Uscc> = registered
            .iter()
            .map(|r| r.value.uscc)
            .filter(|u| !entered.contains(u))
            .collect();
        let (criteria, _) = self.store.criteria().await?;
        let today = cx.today();
        let mut out = Vec::new();
        for h in self.store.holdings(&candidates).await? {
            let mut s = pledge_domain::screen(&criteria, &h.enterprise, &h.patents, today);
            if s.failures.len() == 1
                && let Some(f) = s.failures.pop()
            {
                out.push((h.enterprise.uscc, h.enterprise.name.to_string(), f));
                if out.len() == limit {
                    break;
                }
            }
        }
        Ok(out)
    }
}
