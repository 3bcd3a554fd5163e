//! Reading the audit log.

use crate::error::{Result, ServiceError};
use crate::{Context, Service};
use pledge_domain::code;
use pledge_store::{AuditFilter, AuditRecord, Page, Role};

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
        filter.park_id = match (&cx.principal.role, &cx.principal.park) {
            (Role::Admin, _) => None,
            (Role::Park, Some((id, _))) => Some(*id),
            _ => {
                return Err(ServiceError::forbidden(
                    code::ADMIN_ONLY,
                    "银行不能查看审计日志 / banks do not read the audit log",
                ));
            }
        };
        Ok(self.store.audit_log(&filter, after, limit).await?)
    }
}
