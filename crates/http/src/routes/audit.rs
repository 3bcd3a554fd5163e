//! The audit log: read-only, append-only.

use crate::AppState;
use crate::auth::Auth;
use crate::check::paging;
use crate::error::{ApiResult, ReadErrors};
use crate::extract::ApiQuery;
use crate::routes::Paged;
use crate::shape;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use pledge_service::{AuditFilter, AuditRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(audit_log))
}

/// One audit entry: who changed what, when, from what to what.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    id: i64,
    at: DateTime<Utc>,
    actor: String,
    actor_token_id: Option<i64>,
    /// The person who acted (none: the command line).
    actor_person_id: Option<i64>,
    /// `park`, `bank`, `enterprise`, `patent`, `trademark`, `appraisal`, `token`.
    entity: String,
    entity_key: String,
    action: String,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    reason: Option<String>,
}

impl From<AuditRecord> for AuditView {
    fn from(r: AuditRecord) -> Self {
        Self {
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
        }
    }
}

/// Filters and paging.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// `park`, `bank`, `enterprise`, `patent`, `trademark`, `appraisal`, `token`, ….
    #[param(value_type = Option<shape::Label>, inline)]
    #[validate(custom(function = shape::label))]
    entity: Option<String>,
    /// The entity's key: a USCC, canonical application number, code or id.
    #[param(value_type = Option<shape::Label>, inline)]
    #[validate(custom(function = shape::label))]
    key: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<shape::Id>, inline)]
    #[validate(custom(function = shape::id))]
    after: Option<String>,
    /// Page size (default 50).
    #[param(value_type = Option<shape::PageSize>, inline)]
    #[validate(custom(function = shape::page_size))]
    limit: Option<String>,
}

/// The audit log, oldest first (admin: all; a park: its own park's records).
#[utoipa::path(get, path = "/api/v1/audit", tag = "access", security(("bearer" = [])), params(AuditQuery), responses((status = 200, body = Paged<AuditView>), ReadErrors))]
async fn audit_log(
    State(s): State<AppState>,
    Auth(cx): Auth,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Paged<AuditView>>> {
    let (after, limit) = paging(q.after.as_deref(), q.limit.as_deref())?;
    let filter = AuditFilter {
        entity: q.entity.filter(|e| !e.is_empty()),
        entity_key: q.key.filter(|k| !k.is_empty()),
        park_id: None,
        ..Default::default()
    };
    Ok(Json(Paged::from_page(
        s.service.audit_log(&cx, filter, after, limit).await?,
        AuditView::from,
    )))
}
