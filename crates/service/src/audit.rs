//! Reading the audit log.

use crate::error::Result;
use crate::{Context, Service};
use pledge_store::{AuditFilter, AuditRecord, Page};

impl Service {
    /// The audit log, oldest first: the office all of it, a park official their park's
    /// records; banks none.
    pub async fn audit_log(
        &self,
        cx: &Context,
        mut filter: AuditFilter,
        after: Option<i64>,
        limit: u64,
    ) -> Result<Page<AuditRecord>> {
        filter.park_id = cx.audit_scope()?;
        Ok(self.store.audit_log(&filter, after, limit).await?)
    }
}
