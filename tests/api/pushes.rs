//! Pushes to banks: a receiver on 127.0.0.1 gets each event once, signed, also after it was
//! down for a while; nobody reads another bank's subscriptions.

use crate::helpers::day;
use crate::helpers::{TestApp, e2e, uscc};
use crate::matching::market;
use axum::http::{HeaderMap, StatusCode as Code};
use hmac::{Hmac, KeyInit, Mac};
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

e2e!(
    a_receiver_gets_each_event_once_signed_after_an_outage,
    subscriptions_are_their_bank_s,
    receivers_in_inner_networks_are_refused,
    one_bank_s_hanging_receivers_never_hold_another_bank_s,
    a_receiver_behind_its_bank_s_own_ca_is_reached_by_that_subscription_only,
);

const SECRET: &str = "s3cret-for-the-test-receiver";

/// One request the receiver was sent: headers, body, and what it answered.
type Request = (HeaderMap, Vec<u8>, u16);

/// What the receiver was sent.
#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<Request>>>);

/// A receiver on 127.0.0.1 that answers 503 to its first `down` requests, then 200.
async fn receiver(down: usize) -> (String, Received) {
    let got = Received::default();
    let seen = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let seen = seen.clone();
            async move {
                let mut all = seen.0.lock().expect("lock");
                let status = if all.len() < down {
                    Code::SERVICE_UNAVAILABLE
                } else {
                    Code::OK
                };
                all.push((headers, body.to_vec(), status.as_u16()));
                status
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    // Named as the test server's fixed table of names has it (receiver.test: 127.0.0.1).
    (format!("http://receiver.test:{}/hook", addr.port()), got)
}

/// Whether a delivery's signature header is HMAC-SHA256 of "<t>.<body>" under the secret.
fn signed(headers: &HeaderMap, body: &[u8]) -> bool {
    let Some(sig) = headers
        .get("pledge-signature")
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some((t, v1)) = sig
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
    else {
        return false;
    };
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    hex::decode(v1).is_ok_and(|v| mac.verify_slice(&v).is_ok())
}

/// The events answered 200, as (event, data).
fn delivered(got: &Received) -> Vec<(i64, String, Value)> {
    got.0
        .lock()
        .expect("lock")
        .iter()
        .filter(|(_, _, status)| *status == 200)
        .map(|(_, body, _)| {
            let v: Value = serde_json::from_slice(body).expect("a JSON event");
            (
                v["id"].as_i64().expect("event id"),
                v["event"].as_str().unwrap_or("").to_string(),
                v["data"].clone(),
            )
        })
        .collect()
}

/// A fresh appraisal of enterprise 2's one patent, dated `on`.
async fn appraise(app: &TestApp, on: chrono::NaiveDate, fen: i64) {
    let a = app
        .post(
            "/api/v1/patents/201810601862.8/appraisals",
            &app.admin,
            json!({"amount_fen": fen, "appraised_on": on, "valid_until": day(176), "appraiser": "河南中原资产评估有限公司"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
}

/// Drafts a batch named `name` and publishes it (a `batch.published` event).
async fn publish_batch(app: &TestApp, name: &str) {
    let batch = app.draft_batch(name).await;
    let p = app
        .post(
            &format!("/api/v1/whitelist/batches/{batch}/publish"),
            &app.admin,
            json!({"version": 1}),
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
}

async fn a_receiver_gets_each_event_once_signed_after_an_outage(app: TestApp) {
    let (boc, product) = market(&app).await;
    let (url, got) = receiver(3).await;
    let w = app
        .post(
            "/api/v1/webhooks",
            &boc,
            json!({"url": url, "events": ["match.gained", "match.lost", "batch.published"], "secret": SECRET}),
        )
        .await;
    assert_eq!(w.status, StatusCode::CREATED, "{}", w.body);
    assert!(w.body.get("secret").is_none(), "the secret is never shown");
    let hook = w.body["id"].as_i64().expect("webhook id");
    // Another bank's subscription to the same events sees none of this bank's matches.
    let icbc = app.token("bank", None, Some("icbc")).await;
    let (their_url, theirs) = receiver(0).await;
    let t = app
        .post(
            "/api/v1/webhooks",
            &icbc,
            json!({"url": their_url, "events": ["match.lost", "match.gained", "batch.published"], "secret": SECRET}),
        )
        .await;
    assert_eq!(t.status, StatusCode::CREATED, "{}", t.body);

    // Enterprise 2's credit line falls below the product's least amount (100万 × 25%) and
    // rises again; a batch is published.
    appraise(&app, day(-159), 100_000_000).await;
    appraise(&app, day(-128), 400_000_000).await;
    publish_batch(&app, "2026年第二批").await;

    let mut events = Vec::new();
    for _ in 0..600 {
        events = delivered(&got);
        if events.len() >= 3 && !delivered(&theirs).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Retries may reorder deliveries; the events' ids keep their order.
    events.sort_by_key(|(id, _, _)| *id);
    let kinds: Vec<&str> = events.iter().map(|(_, e, _)| e.as_str()).collect();
    assert_eq!(
        kinds,
        vec!["match.lost", "match.gained", "batch.published"],
        "{events:?}"
    );
    for (_, kind, data) in &events[..2] {
        assert_eq!(data["product_id"], product, "{kind}: {data}");
        assert_eq!(data["uscc"], uscc(2));
    }
    // Each event once; every request signed; the outage was retried through.
    let mut ids: Vec<i64> = events.iter().map(|(id, _, _)| *id).collect();
    ids.dedup();
    assert_eq!(ids.len(), 3, "each event delivered once");
    let all = got.0.lock().expect("lock").clone();
    assert!(
        all.len() >= 6,
        "three refused, three delivered: {}",
        all.len()
    );
    assert!(
        all.iter().all(|(h, b, _)| signed(h, b)),
        "every delivery signed"
    );
    assert!(
        !signed(&all[0].0, b"{\"forged\": true}"),
        "the signature binds the body"
    );
    assert!(
        delivered(&theirs)
            .iter()
            .all(|(_, e, d)| e == "batch.published" || d["product_id"] != product),
        "another bank never hears of this bank's product"
    );

    // The delivery log says so.
    let log = app
        .get(&format!("/api/v1/webhooks/{hook}/deliveries"), &boc)
        .await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.body);
    let log = log.body.as_array().cloned().unwrap_or_default();
    assert_eq!(log.len(), 3);
    assert!(log.iter().all(|d| d["status"] == "delivered"), "{log:?}");
    let attempts: i64 = log.iter().filter_map(|d| d["attempts"].as_i64()).sum();
    assert_eq!(attempts, all.len() as i64, "every attempt counted");
    assert_eq!(log[2]["last_status_code"], 200);

    // Polling reads the same events, after the list published before the subscription.
    let polled = |after: i64| {
        let app = &app;
        let boc = &boc;
        async move {
            app.get(&format!("/api/v1/events?after={after}"), boc)
                .await
                .body
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e["id"].as_i64())
                .collect::<Vec<_>>()
        }
    };
    let sent: Vec<i64> = events.iter().map(|(id, _, _)| *id).collect();
    let everything = polled(0).await;
    assert_eq!(everything.len(), 4, "{everything:?}");
    assert_eq!(polled(everything[0]).await, sent);
}

async fn subscriptions_are_their_bank_s(app: TestApp) {
    app.seed().await;
    let boc = app.token("bank", None, Some("boc")).await;
    let icbc = app.token("bank", None, Some("icbc")).await;
    let park = app.token("park", Some("xxhtz"), None).await;
    let body = |url: &str, events: Value| json!({"url": url, "events": events, "secret": SECRET});
    let ok = body("http://127.0.0.1:9/hook", json!(["match.gained"]));

    app.post("/api/v1/webhooks", &park, ok.clone())
        .await
        .problem(403, "bank_only");
    for (bad, field) in [
        (body("ftp://127.0.0.1/hook", json!(["match.gained"])), "url"),
        (
            body("http://127.0.0.1:9/hook", json!(["match.found"])),
            "events",
        ),
        (
            body(
                "http://127.0.0.1:9/hook",
                json!(["match.lost", "match.lost"]),
            ),
            "events[1]",
        ),
    ] {
        let a = app.post("/api/v1/webhooks", &boc, bad).await;
        a.problem(422, "validation_failed");
        assert_eq!(a.field_errors()[0].0, field, "{}", a.body);
    }
    let mut short = ok.clone();
    short["secret"] = json!("short");
    app.post("/api/v1/webhooks", &boc, short)
        .await
        .problem(422, "validation_failed");

    let w = app.post("/api/v1/webhooks", &boc, ok).await;
    assert_eq!(w.status, StatusCode::CREATED, "{}", w.body);
    let path = format!("/api/v1/webhooks/{}", w.body["id"]);
    app.get(&path, &icbc).await.problem(404, "not_found");
    app.get(&format!("{path}/deliveries"), &icbc)
        .await
        .problem(404, "not_found");
    app.delete(&path, &icbc).await.problem(404, "not_found");
    let listed = app.get("/api/v1/webhooks", &icbc).await;
    assert_eq!(listed.body, json!([]));
    assert_eq!(app.get(&path, &app.admin).await.status, StatusCode::OK);
    let gone = app.delete(&path, &boc).await;
    assert_eq!(gone.status, StatusCode::OK, "{}", gone.body);
    assert!(gone.body["removed_at"].is_string());
    app.get(&path, &boc).await.problem(404, "not_found");
    app.get(&format!("{path}/deliveries"), &boc)
        .await
        .problem(404, "not_found");
    let kept = app.get("/api/v1/webhooks", &boc).await;
    assert!(
        kept.body[0]["removed_at"].is_string(),
        "the list keeps it, ended"
    );
}

/// URLs that would turn deliveries toward the city's own network (or smuggle in a user or a
/// header) are refused at subscription, before any connection: nothing is kept. The test
/// server allows 127.0.0.0/8 only (its own receivers), so every one of these is refused.
async fn receivers_in_inner_networks_are_refused(app: TestApp) {
    app.seed().await;
    let boc = app.token("bank", None, Some("boc")).await;
    for (url, code) in [
        ("http://[::1]:5432/", "inner_address"),
        ("https://10.0.0.8/hook", "inner_address"),
        ("http://0x0a.1/hook", "inner_address"),
        ("http://167772161/hook", "inner_address"),
        ("http://012.0.0.1/hook", "inner_address"),
        ("http://[::ffff:a00:1]/hook", "inner_address"),
        ("http://169.254.169.254/latest/meta-data/", "inner_address"),
        ("http://192.168.1.1/", "inner_address"),
        ("http://[fd00::1]/", "inner_address"),
        ("http://localhost:8080/hook", "inner_address"),
        ("http://user:pw@127.0.0.1:9/hook", "format"),
        ("http://127.0.0.1:9/hook\r\nX-Injected: 1", "format"),
    ] {
        let a = app
            .post(
                "/api/v1/webhooks",
                &boc,
                json!({"url": url, "events": ["match.gained"], "secret": SECRET}),
            )
            .await;
        a.problem(422, "validation_failed");
        assert_eq!(
            a.field_errors(),
            vec![("url".to_owned(), code.to_owned())],
            "{url}: {}",
            a.body
        );
        assert!(
            !a.body.to_string().contains("10.0.0.8"),
            "the refusal does not echo the address"
        );
    }
    assert_eq!(app.get("/api/v1/webhooks", &boc).await.body, json!([]));

    // A bank keeps at most ten live subscriptions; an ended one frees its place.
    let mut first = None;
    for i in 0..10 {
        let w = app
            .post(
                "/api/v1/webhooks",
                &boc,
                json!({"url": format!("http://127.0.0.1:9/hook{i}"), "events": ["match.gained"], "secret": SECRET}),
            )
            .await;
        assert_eq!(w.status, StatusCode::CREATED, "{}", w.body);
        first = first.or(w.body["id"].as_i64());
    }
    let eleventh =
        json!({"url": "http://127.0.0.1:9/more", "events": ["match.gained"], "secret": SECRET});
    let a = app.post("/api/v1/webhooks", &boc, eleventh.clone()).await;
    a.problem(422, "validation_failed");
    assert_eq!(a.field_errors()[0].1, "too_many", "{}", a.body);
    let first = first.expect("an id");
    let gone = app.delete(&format!("/api/v1/webhooks/{first}"), &boc).await;
    assert_eq!(gone.status, StatusCode::OK, "{}", gone.body);
    let w = app.post("/api/v1/webhooks", &boc, eleventh).await;
    assert_eq!(w.status, StatusCode::CREATED, "{}", w.body);

    // The secret is kept sealed (the test server has its token key): not in clear in the
    // database.
    let backend = app.store.connection().get_database_backend();
    let rows = app
        .store
        .connection()
        .query_all_raw(sea_orm::Statement::from_string(
            backend,
            "SELECT secret FROM webhooks",
        ))
        .await
        .expect("the webhook rows");
    assert_eq!(rows.len(), 11);
    for r in rows {
        let kept: String = r.try_get("", "secret").expect("secret");
        assert!(
            kept.starts_with("sealed:") && !kept.contains(SECRET),
            "{kept}"
        );
    }
}

/// A receiver on 127.0.0.1 that takes requests and answers none until `release` is notified.
async fn hanging_receiver(release: Arc<tokio::sync::Notify>, got: Received) -> String {
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let (release, got) = (release.clone(), got.clone());
            async move {
                got.0
                    .lock()
                    .expect("lock")
                    .push((headers, body.to_vec(), 200));
                release.notified().await;
                Code::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/hook")
}

/// Four receivers of one bank that take a delivery and never answer do not keep another
/// bank's delivery of the same event waiting.
async fn one_bank_s_hanging_receivers_never_hold_another_bank_s(app: TestApp) {
    app.seed().await;
    let boc = app.token("bank", None, Some("boc")).await;
    let icbc = app.token("bank", None, Some("icbc")).await;
    let release = Arc::new(tokio::sync::Notify::new());
    let hung = Received::default();
    for _ in 0..4 {
        let url = hanging_receiver(release.clone(), hung.clone()).await;
        let w = app
            .post(
                "/api/v1/webhooks",
                &boc,
                json!({"url": url, "events": ["batch.published"], "secret": SECRET}),
            )
            .await;
        assert_eq!(w.status, StatusCode::CREATED, "{}", w.body);
    }
    let (url, theirs) = receiver(0).await;
    let w = app
        .post(
            "/api/v1/webhooks",
            &icbc,
            json!({"url": url, "events": ["batch.published"], "secret": SECRET}),
        )
        .await;
    assert_eq!(w.status, StatusCode::CREATED, "{}", w.body);

    publish_batch(&app, "2026年第三批").await;

    // Wait (boundedly) until the other bank's receiver has its delivery; the four hang.
    for _ in 0..200 {
        if !delivered(&theirs).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let hanging_now = hung.0.lock().expect("lock").len();
    assert_eq!(
        delivered(&theirs).len(),
        1,
        "the other bank's delivery arrived while {hanging_now} receivers hung"
    );
    release.notify_waiters();
}

/// A certificate authority of the bank's own, made here, and a receiver on 127.0.0.1 with a
/// certificate for `receiver.test` it signed, recording what it is sent: the CA in PEM and
/// the receiver's port.
async fn receiver_behind_own_ca(got: Received) -> (String, u16) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "中国银行新乡分行 内网CA");
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("key")).expect("ca");
    let key = KeyPair::generate().expect("key");
    let leaf = CertificateParams::new(vec!["receiver.test".to_owned()])
        .expect("params")
        .signed_by(&key, &ca)
        .expect("leaf");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, got) = (acceptor.clone(), got.clone());
            tokio::spawn(async move {
                // A client that does not trust the CA ends here, in the handshake.
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let answer = hyper::service::service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| {
                        let got = got.clone();
                        async move {
                            got.0.lock().expect("lock").push((
                                req.headers().clone(),
                                Vec::new(),
                                200,
                            ));
                            Ok::<_, std::convert::Infallible>(hyper::Response::new(String::new()))
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), answer)
                    .await;
            });
        }
    });
    (ca.pem(), port)
}

/// A bank in a closed network names its receiver's own CA: deliveries reach the receiver
/// through that subscription, and not through one without it (the usual roots do not know
/// the CA). A CA that is not PEM certificates, or one for an http receiver, is refused.
async fn a_receiver_behind_its_bank_s_own_ca_is_reached_by_that_subscription_only(app: TestApp) {
    app.seed().await;
    let boc = app.token("bank", None, Some("boc")).await;
    let got = Received::default();
    let (ca, port) = receiver_behind_own_ca(got.clone()).await;
    let url = format!("https://receiver.test:{port}/hook");
    let subscribe = |ca: Option<&str>, url: &str| {
        app.post(
            "/api/v1/webhooks",
            &boc,
            json!({"url": url, "events": ["batch.published"], "secret": SECRET, "ca_certificate": ca}),
        )
    };
    let bad = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
    for (ca, url, code) in [
        (bad, url.as_str(), "format"),
        ("no certificate at all", url.as_str(), "format"),
        (ca.as_str(), "http://receiver.test:9/hook", "not_allowed"),
    ] {
        let a = subscribe(Some(ca), url).await;
        a.problem(422, "validation_failed");
        assert_eq!(
            a.field_errors(),
            [("ca_certificate".to_owned(), code.to_owned())],
            "{}",
            a.body
        );
    }
    let own = subscribe(Some(&ca), &url).await;
    assert_eq!(own.status, StatusCode::CREATED, "{}", own.body);
    assert_eq!(own.body["ca_certificate"], ca.trim());
    let plain = subscribe(None, &url).await;
    assert_eq!(plain.status, StatusCode::CREATED, "{}", plain.body);

    publish_batch(&app, "2026年第九批").await;
    // Both subscriptions are tried (read every 50 ms, a guard of 30 s).
    let log = |id: &Value| {
        let path = format!("/api/v1/webhooks/{id}/deliveries");
        let (app, boc) = (&app, &boc);
        async move { app.get(&path, boc).await.body[0].clone() }
    };
    let (mut reached, mut refused) = (Value::Null, Value::Null);
    for _ in 0..600 {
        reached = log(&own.body["id"]).await;
        refused = log(&plain.body["id"]).await;
        if reached["status"] == "delivered" && refused["attempts"].as_i64().unwrap_or(0) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(reached["status"], "delivered", "{reached}");
    assert_eq!(reached["last_status_code"], 200, "{reached}");
    assert_ne!(refused["status"], "delivered", "{refused}");
    assert!(refused["last_status_code"].is_null(), "{refused}");
    let sent = got.0.lock().expect("lock");
    assert_eq!(
        sent.len(),
        1,
        "only the subscription trusting the CA got through"
    );
    assert_eq!(sent[0].0["pledge-event"], "batch.published");
}
