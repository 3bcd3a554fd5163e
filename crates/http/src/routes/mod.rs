//! The routes, one module per part of the API.

pub(crate) mod applicants;
pub(crate) mod audit;
pub(crate) mod consents;
pub(crate) mod enterprises;
pub(crate) mod exports;
pub(crate) mod health;
pub(crate) mod imports;
pub(crate) mod matches;
pub(crate) mod outcomes;
pub(crate) mod patents;
pub(crate) mod people;
pub(crate) mod products;
pub(crate) mod registry;
pub(crate) mod rounds;
pub(crate) mod stats;
pub(crate) mod templates;
pub(crate) mod tokens;
pub(crate) mod trademarks;
pub(crate) mod webhooks;
pub(crate) mod whitelist;

use crate::AppState;
use crate::error::ApiError;
use axum::http::Uri;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

/// Every route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(health::router())
        .merge(registry::router())
        .merge(enterprises::router())
        .merge(consents::router())
        .merge(patents::router())
        .merge(trademarks::router())
        .merge(tokens::router())
        .merge(people::router())
        .merge(audit::router())
        .merge(whitelist::router())
        .merge(products::router())
        .merge(matches::router())
        .merge(applicants::router())
        .merge(rounds::router())
        .merge(outcomes::router())
        .merge(stats::router())
        .merge(webhooks::router())
        .merge(templates::router())
        .merge(imports::router())
        .merge(exports::router())
}

/// One page of a listing; pass `next_cursor` as `after` for the next page.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paged<T> {
    pub items: Vec<T>,
    /// Absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T> Paged<T> {
    fn from_page<R>(page: pledge_service::Page<R>, map: impl FnMut(R) -> T) -> Self {
        Self {
            items: page.items.into_iter().map(map).collect(),
            next_cursor: page.next.map(|n| n.to_string()),
        }
    }
}

pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::NotFound {
        detail: format!("没有这个地址 / no route {}", uri.path()),
    }
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
