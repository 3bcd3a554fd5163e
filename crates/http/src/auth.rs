//! Bearer tokens: the caller of a request, stamped with the request's instant. A valid token
//! is always taken; bad ones are counted per client address (`failed_auth`).

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::{header, request::Parts};
use pledge_service::{Context, ServiceError};
use std::net::{IpAddr, SocketAddr};

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
            .map(str::trim);
        let now = state.now();
        let authenticated = match token {
            Some(token) => state.service.authenticate(token, now).await,
            None => Err(ServiceError::Unauthorized),
        };
        match authenticated {
            Ok(cx) => {
                tracing::Span::current().record("actor", cx.principal.person_id);
                Ok(Self(cx))
            }
            Err(ServiceError::Unauthorized) => {
                // A request with no token at all is a client that forgot it, not a guess.
                if token.is_some() {
                    let client = client_address(parts, state.trust_forwarded_for);
                    let failures = state.failed_auth.token_failed(client, now);
                    if failures == 1 || failures.is_power_of_two() {
                        tracing::warn!(%client, failures, "failed authentication");
                    }
                }
                Err(ApiError::Unauthorized)
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// The client's address: the connection's peer, or behind a trusted load balancer the last
/// address it wrote into `X-Forwarded-For`.
pub(crate) fn client_address(parts: &Parts, trust_forwarded_for: bool) -> IpAddr {
    let forwarded = trust_forwarded_for
        .then(|| parts.headers.get("x-forwarded-for"))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|a| a.trim().parse::<IpAddr>().ok());
    forwarded
        .or_else(|| {
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip())
        })
        .unwrap_or(IpAddr::from([0, 0, 0, 0]))
}
