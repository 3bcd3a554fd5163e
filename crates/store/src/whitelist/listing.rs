//! Reading the white list: entries as the caller's filters select them, and a batch's rows
//! for export.

use super::*;

impl Store {
    /// How many entries were published in each month from `since` on (`2026-11`), oldest
    /// first; of one park, or of all.
    pub async fn published_by_month(
        &self,
        park: Option<&ParkCode>,
        since: NaiveDate,
    ) -> Result<Vec<(String, u64)>> {
        let mut q = whitelist_entry::Entity::find()
            .select_only()
            .column(whitelist_entry::Column::PublishedOn)
            .filter(whitelist_entry::Column::PublishedOn.gte(since));
        if let Some(code) = park {
            let Some(p) = park::Entity::find()
                .filter(park::Column::Code.eq(code.as_str()))
                .one(&self.db)
                .await?
            else {
                return Ok(Vec::new());
            };
            q = q.filter(whitelist_entry::Column::ParkId.eq(p.id));
        }
        let days: Vec<Option<NaiveDate>> = q.into_tuple().all(&self.db).await?;
        let mut months = std::collections::BTreeMap::<String, u64>::new();
        for d in days.into_iter().flatten() {
            *months.entry(d.format("%Y-%m").to_string()).or_default() += 1;
        }
        Ok(months.into_iter().collect())
    }

    /// One entry.
    pub async fn entry(&self, id: i64) -> Result<Option<EntryRecord>> {
        let Some(row) = whitelist_entry::Entity::find_by_id(id)
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        Ok(self.entry_records(vec![row]).await?.pop())
    }

    /// A page of entries, in id order.
    pub async fn entries(
        &self,
        filter: &EntryFilter,
        after: Option<i64>,
        limit: u64,
    ) -> Result<Page<EntryRecord>> {
        let mut q = whitelist_entry::Entity::find().order_by_asc(whitelist_entry::Column::Id);
        if !filter.statuses.is_empty() {
            q = q.filter(
                whitelist_entry::Column::Status.is_in(filter.statuses.iter().map(|s| s.as_str())),
            );
        }
        if let Some(code) = &filter.park {
            let Some(p) = park::Entity::find()
                .filter(park::Column::Code.eq(code.as_str()))
                .one(&self.db)
                .await?
            else {
                return Ok(Page {
                    items: vec![],
                    next: None,
                });
            };
            q = q.filter(whitelist_entry::Column::ParkId.eq(p.id));
        }
        if let Some(b) = filter.batch {
            q = q.filter(whitelist_entry::Column::BatchId.eq(b));
        }
        if let Some(uscc) = &filter.enterprise {
            let Some(e) = enterprise::Entity::find()
                .filter(enterprise::Column::Uscc.eq(uscc.as_str()))
                .one(&self.db)
                .await?
            else {
                return Ok(Page {
                    items: vec![],
                    next: None,
                });
            };
            q = q.filter(whitelist_entry::Column::EnterpriseId.eq(e.id));
        }
        if let Some(a) = after {
            q = q.filter(whitelist_entry::Column::Id.gt(a));
        }
        let rows = q.limit(limit + 1).all(&self.db).await?;
        let p = page(rows, limit, |r| r.id, |r| r);
        Ok(Page {
            items: self.entry_records(p.items).await?,
            next: p.next,
        })
    }

    async fn entry_records(&self, rows: Vec<whitelist_entry::Model>) -> Result<Vec<EntryRecord>> {
        let batches: HashMap<i64, String> = whitelist_batch::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|b| (b.id, b.name))
            .collect();
        let parks: HashMap<i64, String> = park::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|p| (p.id, p.code))
            .collect();
        let ids: Vec<i64> = rows.iter().map(|r| r.enterprise_id).collect();
        let enterprises: HashMap<i64, (String, String)> = enterprise::Entity::find()
            .filter(enterprise::Column::Id.is_in(ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|e| (e.id, (e.uscc, e.name)))
            .collect();
        rows.into_iter()
            .map(|r| {
                let (uscc, name) = enterprises
                    .get(&r.enterprise_id)
                    .cloned()
                    .ok_or_else(|| StoreError::corrupt("entry enterprise"))?;
                Ok(EntryRecord {
                    id: r.id,
                    batch_id: r.batch_id,
                    batch_name: batches.get(&r.batch_id).cloned().unwrap_or_default(),
                    uscc: corrupt(Uscc::parse(&uscc))?,
                    enterprise_name: name,
                    park: corrupt(ParkCode::parse(
                        parks
                            .get(&r.park_id)
                            .map(String::as_str)
                            .unwrap_or_default(),
                    ))?,
                    status: corrupt(EntryStatus::parse(&r.status))?,
                    nominated_by: r.nominated_by,
                    screening: corrupt(serde_json::from_value(r.screening))?,
                    override_reason: r.override_reason,
                    reason_code: corrupt(ReasonCode::parse(&r.reason_code))?,
                    reason: r.reason,
                    published_on: r.published_on,
                    version: r.version,
                    created_at: r.created_at,
                    updated_at: r.updated_at,
                })
            })
            .collect()
    }
}

/// One row of a batch as officials circulate it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportRow {
    pub enterprise_name: String,
    pub uscc: String,
    pub park_code: String,
    pub park_name: String,
    pub industry: String,
    /// The industry's name (its division's, or its section's).
    pub industry_name: String,
    /// The batch the entry belongs to.
    pub batch_name: String,
    pub valid_invention_patents: u32,
    pub high_value_invention_patents: u32,
    /// The qualifications valid on the day, in Chinese.
    pub qualifications: Vec<String>,
    /// The day the entry was published (入选日期).
    pub listed_on: Option<NaiveDate>,
    pub status: EntryStatus,
}

impl Store {
    /// The rows of a batch (of every batch: `None`) with these statuses (and of one park, if
    /// given), with patent counts as of `as_of`.
    pub async fn batch_rows(
        &self,
        batch_id: Option<i64>,
        statuses: &[EntryStatus],
        park_scope: Option<&ParkCode>,
        as_of: NaiveDate,
    ) -> Result<Vec<ExportRow>> {
        let filter = EntryFilter {
            statuses: statuses.to_vec(),
            park: park_scope.cloned(),
            batch: batch_id,
            ..Default::default()
        };
        let mut out = Vec::new();
        let mut after = None;
        let parks: HashMap<String, String> = park::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|p| (p.code, p.name))
            .collect();
        loop {
            let page = self.entries(&filter, after, 500).await?;
            for e in page.items {
                let Some(ent) = self.enterprise(&e.uscc).await? else {
                    continue;
                };
                let (eid, _) = self
                    .enterprise_ref(&self.db, &e.uscc)
                    .await?
                    .ok_or_else(|| StoreError::corrupt("entry enterprise"))?;
                let patents = patent::Entity::find()
                    .filter(patent::Column::EnterpriseId.eq(eid))
                    .filter(patent::Column::TransferredOutTo.is_null())
                    .all(&self.db)
                    .await?;
                let (mut valid, mut high) = (0, 0);
                for r in patents {
                    let p = crate::patents::patent_from_row(r, e.uscc, Vec::new())?.value;
                    if p.kind().is_invention() && p.is_valid(as_of) {
                        valid += 1;
                        if p.is_high_value(as_of) {
                            high += 1;
                        }
                    }
                }
                out.push(ExportRow {
                    enterprise_name: e.enterprise_name,
                    uscc: e.uscc.to_string(),
                    park_code: e.park.to_string(),
                    batch_name: e.batch_name.clone(),
                    industry_name: ent.value.industry.name_zh().into(),
                    park_name: parks
                        .get(e.park.as_str())
                        .cloned()
                        .unwrap_or_else(|| e.park.to_string()),
                    industry: ent.value.industry.as_str().into(),
                    valid_invention_patents: valid,
                    high_value_invention_patents: high,
                    qualifications: ent
                        .value
                        .qualifications
                        .iter()
                        .filter(|q| q.holds_on(as_of))
                        .map(|q| q.kind.label_zh().to_owned())
                        .collect(),
                    listed_on: e.published_on,
                    status: e.status,
                });
            }
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        Ok(out)
    }
}
