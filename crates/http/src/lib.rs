//! The HTTP API of pledge: an axum router with bearer-token access, RFC 9457 problems,
//! an OpenAPI 3.1 document at `/openapi.json` and Swagger UI at `/docs`.

mod application;
mod auth;
mod check;
mod console;
mod edge;
mod error;
mod extract;
mod failed_auth;
mod metrics;
mod openapi;
mod query_names;
mod routes;
mod shape;
mod sheet;
mod upload;

pub use application::{Application, Settings};
pub use edge::{Edge, serve};
pub use error::{ApiError, FieldError, Problem};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request, StatusCode};
use pledge_service::Service;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    pub service: Service,
    /// Largest ledger file accepted for import, in bytes.
    pub upload_limit: usize,
    /// Failed authentications by client address.
    pub failed_auth: Arc<failed_auth::FailedAuth>,
    /// Whether the client address is the last one of `X-Forwarded-For` (set behind a load
    /// balancer that writes it) rather than the connection's peer.
    pub trust_forwarded_for: bool,
}

impl AppState {
    /// The state of a server answering from `service`.
    pub fn new(service: Service) -> Self {
        Self {
            service,
            upload_limit: HttpConfig::default().upload_limit,
            failed_auth: Default::default(),
            trust_forwarded_for: false,
        }
    }

    /// The instant of a request, read once at the edge from the application's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.service.clock().now()
    }
}

/// Server settings that shape the router.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Largest request body accepted.
    pub body_limit: usize,
    /// Longest a request may take before it is answered 408.
    pub request_timeout: Duration,
    /// Largest ledger file accepted for import (larger: 413).
    pub upload_limit: usize,
    /// Take the client's address from the last `X-Forwarded-For` entry (only behind a load
    /// balancer that sets it).
    pub trust_forwarded_for: bool,
    /// Failed authentications a client address may make in a minute before it is answered 429.
    pub failed_auth_per_minute: u32,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            body_limit: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            upload_limit: 64 * 1024 * 1024,
            trust_forwarded_for: false,
            failed_auth_per_minute: failed_auth::FAILURES_PER_WINDOW,
        }
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Request ids: a per-process random prefix and a counter.
#[derive(Debug, Clone)]
struct NextRequestId {
    prefix: Arc<str>,
    counter: Arc<AtomicU64>,
}

impl MakeRequestId for NextRequestId {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!("{}-{n:06}", self.prefix)
            .parse()
            .ok()
            .map(RequestId::new)
    }
}

/// The whole application: API routes, health, OpenAPI, docs, and the layers around them.
pub fn router(mut state: AppState, config: &HttpConfig) -> Router {
    state.upload_limit = config.upload_limit;
    state.trust_forwarded_for = config.trust_forwarded_for;
    state.failed_auth = Arc::new(failed_auth::FailedAuth::new(config.failed_auth_per_minute));
    metrics::install();
    let (api, openapi) = openapi::api_router().split_for_parts();
    let openapi = Arc::new(shape::described(&openapi));
    let query_names = Arc::new(query_names::QueryNames::from_document(&openapi));
    let api = api.route_layer(axum::middleware::from_fn_with_state(
        query_names,
        query_names::refuse_unknown,
    ));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let ids = NextRequestId {
        prefix: format!("{nanos:08x}").into(),
        counter: Arc::new(AtomicU64::new(1)),
    };
    api.merge(console::router())
        .route("/metrics", axum::routing::get(metrics::scrape))
        .route(
            "/openapi.json",
            axum::routing::get(move || {
                let doc = openapi.clone();
                async move { axum::Json(doc) }
            }),
        )
        .merge(
            utoipa_swagger_ui::SwaggerUi::new("/docs")
                .config(utoipa_swagger_ui::Config::from("/openapi.json")),
        )
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .with_state(state)
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(axum::middleware::map_response(edge::guarded))
        .layer(DefaultBodyLimit::max(config.body_limit))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, config.request_timeout))
        .layer(axum::middleware::map_response(timeout_as_problem))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id, actor = tracing::field::Empty)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, ids))
}

/// The timeout layer answers with an empty 408; give it the problem body every error has.
async fn timeout_as_problem(res: axum::response::Response) -> axum::response::Response {
    use axum::response::IntoResponse;
    if res.status() == StatusCode::REQUEST_TIMEOUT
        && !res.headers().contains_key(axum::http::header::CONTENT_TYPE)
    {
        return ApiError::Timeout.into_response();
    }
    res
}
