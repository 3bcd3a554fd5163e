//! The HTTP API of pledge: an axum router with bearer-token access, RFC 9457 problems,
//! an OpenAPI 3.1 document at `/openapi.json` and Swagger UI at `/docs`.

mod auth;
mod check;
mod engine;
mod error;
mod extract;
pub mod imports;
mod openapi;
mod routes;
mod sheet;

pub use engine::Engine;
pub use error::{ApiError, FieldError, Problem};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request, StatusCode};
use pledge_store::Store;
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
    pub store: Store,
    pub engine: Engine,
    /// Ledger imports started on this server.
    pub imports: routes::ImportJobs,
}

impl AppState {
    /// The state of a server on `store`, with the matching index built as of today.
    pub async fn new(store: Store) -> Result<Self, pledge_store::StoreError> {
        let engine = Engine::load(&store, today()).await?;
        Ok(Self {
            store,
            engine,
            imports: Default::default(),
        })
    }

    /// Brings the matching index up to date with the store. A failure leaves the index one
    /// step behind and is retried on the next call; it is logged, not answered.
    pub async fn follow_store(&self) {
        if let Err(e) = self.engine.catch_up(&self.store).await {
            tracing::error!(error = %e, "the matching index could not follow the store");
        }
    }

    /// Keeps the matching index on today's date: checks every minute and rebuilds it in the
    /// background when the day has turned (UTC+8).
    pub fn spawn_day_rollover(&self) -> tokio::task::JoinHandle<()> {
        let state = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                tick.tick().await;
                match state.engine.roll_over(&state.store, today()).await {
                    Ok(true) => {
                        tracing::info!(as_of = %today(), "matching index rebuilt for the new day")
                    }
                    Ok(false) => {}
                    Err(e) => tracing::error!(error = %e, "the matching index could not roll over"),
                }
            }
        })
    }
}

/// Brings the index up to date after every successful write, and before every read of
/// products and matches (which also sees writes made by other processes).
async fn follow_writes(
    axum::extract::State(s): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::Method;
    let write = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let path = req.uri().path();
    if path.starts_with("/api/v1/products") || path.ends_with("/matches") {
        s.follow_store().await;
    }
    let res = next.run(req).await;
    if write && res.status().is_success() {
        s.follow_store().await;
    }
    res
}

/// Server settings that shape the router.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Largest request body accepted.
    pub body_limit: usize,
    /// Longest a request may take before it is answered 408.
    pub request_timeout: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            body_limit: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// The instant of a request, read once at the edge.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// The calendar date in China (UTC+8), which business dates such as "as of" default to.
pub fn today() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
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
pub fn router(state: AppState, config: &HttpConfig) -> Router {
    let (api, openapi) = openapi::api_router().split_for_parts();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let ids = NextRequestId {
        prefix: format!("{nanos:08x}").into(),
        counter: Arc::new(AtomicU64::new(1)),
    };
    api.merge(utoipa_swagger_ui::SwaggerUi::new("/docs").url("/openapi.json", openapi))
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            follow_writes,
        ))
        .with_state(state)
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

/// Serves `app` on `listener` until `shutdown` resolves, then finishes the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
