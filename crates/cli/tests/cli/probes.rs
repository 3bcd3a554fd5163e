//! Probes of a real `pledge serve` process at its edge, as an attacker would make them: slow
//! and idle connections, the headers every answer carries. (How to run them by hand:
//! docs/SECURITY.md.)

use crate::server::serve;
use pledge_service::testing::{Backend, TestDatabase};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Whether the server closed `s` within `within` (a read answers end of file or a reset).
fn closed_by_server(s: &mut TcpStream, within: Duration) -> bool {
    let _ = s.set_read_timeout(Some(within));
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            // An answer (408 or the like) before the close is fine: read on to the end.
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

/// Whether the server has already closed `s` (without waiting).
fn closed_yet(mut s: &TcpStream) -> bool {
    let _ = s.set_nonblocking(true);
    let mut buf = [0u8; 64];
    let closed = match s.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
    };
    let _ = s.set_nonblocking(false);
    closed
}

#[tokio::test]
async fn slow_and_idle_clients_are_closed_and_healthz_answers_meanwhile() {
    let db = TestDatabase::create(Backend::Sqlite).await;
    let server = serve(&db.url, &["--header-timeout", "8"]).await;
    let addr = format!("127.0.0.1:{}", server.port);
    // 2,000 clients that start a request and never finish its headers.
    let mut slow: Vec<TcpStream> = (0..2_000)
        .map(|_| {
            let mut s = TcpStream::connect(&addr).expect("connect");
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .expect("a partial request");
            s
        })
        .collect();
    // Meanwhile everyone else is answered.
    let client = reqwest::Client::new();
    let health = client
        .get(format!("http://{addr}/healthz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .expect("/healthz answers while 2,000 incomplete requests are open");
    assert!(health.status().is_success());
    let still_open = slow.iter().filter(|s| !closed_yet(s)).count();
    assert!(
        still_open > 1_000,
        "/healthz was answered while the incomplete requests were open ({still_open} were)"
    );
    // A kept-alive connection that has had its answer and then idles.
    let mut idle = TcpStream::connect(&addr).expect("connect");
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("a request");
    let mut answer = [0u8; 1024];
    let n = idle.read(&mut answer).expect("the answer");
    assert!(String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 200"));
    // Each is closed once its time to send headers (8 s) is up.
    let open_after: usize = slow
        .iter_mut()
        .map(|s| usize::from(!closed_by_server(s, Duration::from_secs(15))))
        .sum();
    assert_eq!(open_after, 0, "incomplete requests left open");
    assert!(
        closed_by_server(&mut idle, Duration::from_secs(15)),
        "an idle kept-alive connection left open"
    );
    // A fresh connection: the one the client kept from before has been closed as idle.
    let health = reqwest::Client::new()
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .expect("/healthz after");
    assert!(health.status().is_success());
}

#[tokio::test]
async fn every_answer_is_neither_sniffed_nor_framed() {
    let db = TestDatabase::create(Backend::Sqlite).await;
    let server = serve(&db.url, &[]).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for path in [
        "/healthz",
        "/api/v1/me",
        "/openapi.json",
        "/docs/",
        "/login",
        "/nowhere",
    ] {
        let r = client
            .get(format!("http://127.0.0.1:{}{path}", server.port))
            .send()
            .await
            .expect("an answer");
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        let csp = h["content-security-policy"].to_str().unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
    }
}
