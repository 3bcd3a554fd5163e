//! Matchmaking rounds: kept by the office with what they name checked, read by those taking part.

use crate::helpers::{TestApp, e2e, uscc};
use reqwest::StatusCode;
use serde_json::json;

e2e!(rounds_are_kept_by_the_office_and_read_by_those_taking_part);

async fn rounds_are_kept_by_the_office_and_read_by_those_taking_part(app: TestApp) {
    let (boc, product) = crate::matching::market(&app).await;
    let icbc = app.token("bank", None, Some("icbc")).await;
    let xxhtz = app.token("park", Some("xxhtz"), None).await;
    let hqkfq = app.token("park", Some("hqkfq"), None).await;
    let today = crate::helpers::today();
    let round = json!({
        "name": "第48周知识产权质押融资周对接",
        "kind": "weekly",
        "held_on": today,
        "banks": ["boc"],
        "products": [product],
        "parks": ["xxhtz"],
        "enterprises": [uscc(3)],
    });
    let before = app.audit_len().await;
    // What it names must exist and fit together; the day lies within a year.
    let mut wrong = round.clone();
    wrong["banks"] = json!(["icbc", "nosuchbank"]);
    wrong["held_on"] = json!(today + chrono::Days::new(800));
    let a = app.post("/api/v1/rounds", &app.admin, wrong).await;
    a.problem(422, "validation_failed");
    let fields: Vec<String> = a.field_errors().into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["held_on", "banks[1]", "products[0]"], "{}", a.body);
    let mut odd = round.clone();
    odd["kind"] = json!("picnic");
    assert_eq!(
        app.post("/api/v1/rounds", &app.admin, odd).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    for token in [&boc, &xxhtz] {
        assert_eq!(
            app.post("/api/v1/rounds", token, round.clone())
                .await
                .status,
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(app.audit_len().await, before, "nothing refused was kept");

    let kept = app.post("/api/v1/rounds", &app.admin, round).await;
    assert_eq!(kept.status, StatusCode::CREATED, "{}", kept.body);
    assert_eq!(app.audit_len().await, before + 1);
    let one = format!("/api/v1/rounds/{}", kept.body["id"]);
    // The bank taking part, the invited park, and the park of an invited enterprise see it;
    // another bank does not know of it.
    for token in [&app.admin, &boc, &xxhtz, &hqkfq] {
        assert_eq!(
            app.get("/api/v1/rounds", token)
                .await
                .body
                .as_array()
                .map(Vec::len),
            Some(1)
        );
        assert_eq!(app.get(&one, token).await.body["kind"], "weekly");
    }
    assert_eq!(app.get("/api/v1/rounds", &icbc).await.body, json!([]));
    app.get(&one, &icbc).await.problem(404, "not_found");
}
