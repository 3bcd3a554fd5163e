//! Bearer tokens: the caller of a request, stamped with the request's instant.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};
use pledge_service::Context;

/// The caller, authenticated by `Authorization: Bearer plg_…`, and the instant of the
/// request: the one place a request reads the clock.
#[derive(Debug, Clone)]
pub struct Auth(pub Context);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or(ApiError::Unauthorized)?;
        let cx = state.service.authenticate(token, crate::now()).await?;
        tracing::Span::current().record("actor", cx.principal.token_id);
        Ok(Self(cx))
    }
}
