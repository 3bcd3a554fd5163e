//! Pushes to banks: a receiver on 127.0.0.1 gets each event once, signed, also after it was
//! down for a while; nobody reads another bank's subscriptions.

use crate::helpers::{TestApp, e2e, uscc};
use crate::matching::market;
use axum::http::{HeaderMap, StatusCode as Code};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

e2e!(
    a_receiver_gets_each_event_once_signed_after_an_outage,
    subscriptions_are_their_bank_s
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
    (format!("http://{addr}/hook"), got)
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
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(SECRET.as_bytes()).expect("key");
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
async fn appraise(app: &TestApp, on: &str, fen: i64) {
    let a = app
        .post(
            "/api/v1/patents/201810601862.8/appraisals",
            &app.admin,
            json!({"amount_fen": fen, "appraised_on": on, "valid_until": "2027-06-01", "appraiser": "河南中原资产评估有限公司"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
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
    appraise(&app, "2026-07-01", 100_000_000).await;
    appraise(&app, "2026-08-01", 400_000_000).await;
    let batch = app.draft_batch("2026年第二批").await;
    let p = app
        .post(
            &format!("/api/v1/whitelist/batches/{batch}/publish"),
            &app.admin,
            json!({"version": 1}),
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);

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
    let kept = app.get("/api/v1/webhooks", &boc).await;
    assert!(
        kept.body[0]["removed_at"].is_string(),
        "the list keeps it, ended"
    );
}
