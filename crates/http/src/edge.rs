//! The server's edge toward the internet: connections accepted up to a limit, a client that
//! does not finish its request's headers in time (or leaves a kept-alive connection idle) is
//! closed, and every answer carries the headers that stop a browser from sniffing, framing or
//! running what it did not ask for.

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// How connections are taken.
#[derive(Debug, Clone, Copy)]
pub struct Edge {
    /// How long a client has to send a request's headers, counted from the connection's
    /// start or the previous answer (so it is also how long a kept-alive connection may idle).
    pub header_timeout: Duration,
    /// Connections open at once; the next waits in the listen queue until one closes.
    pub max_connections: usize,
    /// How long requests in flight have to finish once shutdown begins.
    pub drain: Duration,
}

impl Default for Edge {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            max_connections: 4_096,
            drain: Duration::from_secs(30),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets the requests in flight
/// finish (at most `edge.drain`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    edge: Edge,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let open = Arc::new(Semaphore::new(edge.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(edge.header_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = open.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was taken:
                    // wait a little rather than spin; the server goes on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                tower::ServiceExt::oneshot(app.clone(), req)
            });
        let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %peer, "connection ended");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(edge.drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight at shutdown were cut off");
    }
    Ok(())
}

/// The policy of pages that are not the console's (which sets its own): Swagger UI at
/// `/docs` runs its own script and inline styles; everything else is data, never a page.
const DOCS_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";
const DATA_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// Every answer: its type taken as declared, never framed; a policy for what it may load.
pub(crate) async fn guarded(uri: axum::http::Uri, mut r: Response) -> Response {
    let docs = uri.path() == "/docs" || uri.path().starts_with("/docs/");
    let h = r.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(if docs { DOCS_POLICY } else { DATA_POLICY }),
        );
    }
    r
}
