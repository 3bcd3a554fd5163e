//! `GET /metrics` in Prometheus' text format: requests by route, method and status, their
//! latency, and, read at each scrape, how far the matching index is behind the database,
//! import jobs by state and the database pool.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

const LATENCY: &str = "pledge_http_request_duration_seconds";

/// The process's one recorder (metrics are per process, whatever the number of routers).
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(LATENCY.into()),
                    &[
                        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                        5.0, 10.0, 30.0,
                    ],
                )
                .and_then(PrometheusBuilder::install_recorder)
                .map_err(|e| tracing::error!(error = %e, "no metrics recorder"))
                .ok()
        })
        .as_ref()
}

/// Installs the recorder, once per process, before the first request is counted.
pub fn install() {
    handle();
}

/// Counts every request by its route (the pattern, not the path: no unbounded labels).
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    let labels = [("route", route), ("method", method), ("status", status)];
    metrics::counter!("pledge_http_requests_total", &labels).increment(1);
    metrics::histogram!(LATENCY, &labels[..2]).record(started.elapsed().as_secs_f64());
    res
}

/// The metrics, for a Prometheus scraper.
pub async fn scrape(State(s): State<AppState>) -> Response {
    let Some(handle) = handle() else {
        return (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "no metrics recorder",
        )
            .into_response();
    };
    match s.service.gauges().await {
        Ok(g) => {
            metrics::gauge!("pledge_index_lag_changes").set(g.index_lag_changes as f64);
            metrics::gauge!("pledge_index_lag_seconds").set(g.index_lag_seconds);
            metrics::gauge!("pledge_index_enterprises").set(g.index_enterprises as f64);
            for (state, n) in g.import_jobs {
                metrics::gauge!("pledge_import_jobs", "state" => state).set(n as f64);
            }
            metrics::gauge!("pledge_db_pool_connections").set(f64::from(g.pool_size));
            metrics::gauge!("pledge_db_pool_idle").set(g.pool_idle as f64);
            metrics::gauge!("pledge_db_up").set(1.0);
        }
        Err(e) => {
            tracing::warn!(error = %e, "metrics: the database does not answer");
            metrics::gauge!("pledge_db_up").set(0.0);
        }
    }
    handle.run_upkeep();
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
        .into_response()
}
