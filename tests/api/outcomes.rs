//! Outcomes: a bank reports what came of a contact, step by step; a registered pledge takes the
//! IP out of every other bank's bundles at once; nobody else's outcomes are seen or changed.

use crate::helpers::{TestApp, e2e, uscc};
use crate::matching::{market, zhihuidai};
use reqwest::StatusCode;
use serde_json::{Value, json};

e2e!(
    a_bank_reports_a_loan_from_contact_to_repayment,
    outcomes_are_their_bank_s_alone
);

/// The day `n` days before today, as the API writes days.
pub fn days_ago(n: u64) -> String {
    (chrono::Utc::now().date_naive() - chrono::Days::new(n)).to_string()
}

/// A second bank's published 知惠贷, matching the same enterprises as the first.
pub async fn rival(app: &TestApp) -> (String, i64) {
    let icbc = app.token("bank", None, Some("icbc")).await;
    let p = app.post("/api/v1/products", &icbc, zhihuidai()).await;
    assert_eq!(p.status, StatusCode::CREATED, "{}", p.body);
    let id = p.body["id"].as_i64().expect("product id");
    let published = app
        .post(
            &format!("/api/v1/products/{id}/publish"),
            &icbc,
            json!({"version": 1}),
        )
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.body);
    (icbc, id)
}

/// Opens an outcome for enterprise `i` and answers its id.
pub async fn open(app: &TestApp, bank: &str, product: i64, i: u32) -> i64 {
    let o = app
        .post(
            "/api/v1/outcomes",
            bank,
            json!({"product_id": product, "uscc": uscc(i), "contacted_on": days_ago(40)}),
        )
        .await;
    assert_eq!(o.status, StatusCode::CREATED, "{}", o.body);
    o.body["id"].as_i64().expect("outcome id")
}

/// Takes a step, answering the outcome as it now stands.
pub async fn step(app: &TestApp, bank: &str, id: i64, body: Value) -> crate::helpers::Answer {
    app.post(&format!("/api/v1/outcomes/{id}/steps"), bank, body)
        .await
}

fn bundle_numbers(list: &Value, i: u32) -> Vec<String> {
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["uscc"] == uscc(i))
        .flat_map(|m| m["bundle"].as_array().cloned().unwrap_or_default())
        .filter_map(|b| b["number"].as_str().map(String::from))
        .collect()
}

async fn a_bank_reports_a_loan_from_contact_to_repayment(app: TestApp) {
    let (boc, product) = market(&app).await;
    let (icbc, theirs) = rival(&app).await;
    let matches = format!("/api/v1/products/{theirs}/matches");
    let before = app.get(&matches, &icbc).await;
    assert_eq!(
        bundle_numbers(&before.body, 1),
        vec!["201710601862.3"],
        "{}",
        before.body
    );

    let id = open(&app, &boc, product, 1).await;
    // One open outcome of an enterprise and a product at a time.
    app.post(
        "/api/v1/outcomes",
        &boc,
        json!({"product_id": product, "uscc": uscc(1), "contacted_on": days_ago(39)}),
    )
    .await
    .problem(409, "outcome_open");

    // In order only: nothing is paid out before an approval.
    step(
        &app,
        &boc,
        id,
        json!({"version": 1, "step": "disbursed", "on": days_ago(30), "amount_fen": 1}),
    )
    .await
    .problem(409, "illegal_outcome_step");
    let a = step(
        &app,
        &boc,
        id,
        json!({"version": 1, "step": "applied", "on": days_ago(35)}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["stage"], "applied");
    // A step carries what it needs and nothing else.
    let missing = step(
        &app,
        &boc,
        id,
        json!({"version": 2, "step": "approved", "on": days_ago(30), "amount_fen": 250_000_000, "reason_code": "other"}),
    )
    .await;
    missing.problem(422, "validation_failed");
    let fields: Vec<_> = missing.field_errors();
    assert!(fields.contains(&("reason_code".into(), "not_allowed".into())));
    assert!(fields.contains(&("term_months".into(), "required".into())));
    assert!(fields.contains(&("rate_bp".into(), "required".into())));
    let a = step(
        &app,
        &boc,
        id,
        json!({"version": 2, "step": "approved", "on": days_ago(30), "amount_fen": 250_000_000, "term_months": 12, "rate_bp": 385}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(
        a.body["next_steps"],
        json!(["disbursed", "pledge_registered", "declined"])
    );

    // More than approved is refused on its amount and changes nothing; so is a stale version.
    let audit = app.audit_len().await;
    let over = step(
        &app,
        &boc,
        id,
        json!({"version": 3, "step": "disbursed", "on": days_ago(20), "amount_fen": 250_000_001}),
    )
    .await;
    over.problem(422, "validation_failed");
    assert_eq!(
        over.field_errors(),
        vec![("amount_fen".into(), "above_approved".into())]
    );
    let early = step(
        &app,
        &boc,
        id,
        json!({"version": 3, "step": "disbursed", "on": days_ago(31), "amount_fen": 1}),
    )
    .await;
    assert_eq!(
        early.field_errors(),
        vec![("on".into(), "date_order".into())]
    );
    step(
        &app,
        &boc,
        id,
        json!({"version": 2, "step": "disbursed", "on": days_ago(20), "amount_fen": 1}),
    )
    .await
    .problem(409, "version_conflict");

    // A pledge of IP not the enterprise's, or already pledged, is refused item by item.
    let wrong = step(
        &app,
        &boc,
        id,
        json!({"version": 3, "step": "pledge_registered", "on": days_ago(25),
               "registration_number": "Y2026410000777",
               "patents": ["201710601862.3", "201810601862.8", "201510601862.4"]}),
    )
    .await;
    wrong.problem(422, "validation_failed");
    assert_eq!(
        wrong.field_errors(),
        vec![
            ("patents[1]".into(), "ip_not_owned".into()),
            ("patents[2]".into(), "ip_already_pledged".into()),
        ]
    );
    assert_eq!(
        app.audit_len().await,
        audit,
        "nothing refused changed anything"
    );
    assert_eq!(
        bundle_numbers(&app.get(&matches, &icbc).await.body, 1),
        vec!["201710601862.3"]
    );

    // Registered: the patent is pledged at once and leaves the other bank's bundles.
    let p = step(
        &app,
        &boc,
        id,
        json!({"version": 3, "step": "pledge_registered", "on": days_ago(25),
               "registration_number": "Y2026410000777", "patents": ["201710601862.3"]}),
    )
    .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    let patent = app.get("/api/v1/patents/201710601862.3", &app.admin).await;
    assert_eq!(
        patent.body["pledge"]["registration_number"], "Y2026410000777",
        "{}",
        patent.body
    );
    let after = app.get(&matches, &icbc).await;
    assert!(
        bundle_numbers(&after.body, 1).is_empty(),
        "the pledged patent left every bundle: {}",
        after.body
    );
    assert_eq!(
        after.body["total"],
        before.body["total"].as_i64().unwrap_or(0) - 1
    );
    assert_eq!(
        app.audit_len().await,
        audit + 2,
        "the step and the patent, audited together"
    );

    let d = step(
        &app,
        &boc,
        id,
        json!({"version": 4, "step": "disbursed", "on": days_ago(20), "amount_fen": 250_000_000}),
    )
    .await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.body);
    let r = step(
        &app,
        &boc,
        id,
        json!({"version": 5, "step": "repaid", "on": days_ago(1)}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["stage"], "repaid");
    assert_eq!(r.body["steps"].as_array().map(Vec::len), Some(5));
    assert_eq!(r.body["next_steps"], json!([]));
    step(
        &app,
        &boc,
        id,
        json!({"version": 6, "step": "defaulted", "on": days_ago(0)}),
    )
    .await
    .problem(409, "illegal_outcome_step");
    step(
        &app,
        &boc,
        open(&app, &boc, product, 1).await,
        json!({"version": 1, "step": "applied", "on": (chrono::Utc::now().date_naive() + chrono::Days::new(2)).to_string()}),
    )
    .await
    .problem(422, "validation_failed");
}

async fn outcomes_are_their_bank_s_alone(app: TestApp) {
    let (boc, product) = market(&app).await;
    let (icbc, theirs) = rival(&app).await;
    let park = app.token("park", Some("xxhtz"), None).await;
    let other_park = app.token("park", Some("hqkfq"), None).await;
    let contact = |product: i64, i: u32| json!({"product_id": product, "uscc": uscc(i), "contacted_on": days_ago(3)});

    // Only a bank reports, for its own products and listed enterprises only.
    app.post("/api/v1/outcomes", &park, contact(product, 1))
        .await
        .problem(403, "bank_only");
    app.post("/api/v1/outcomes", &app.admin, contact(product, 1))
        .await
        .problem(403, "bank_only");
    app.post("/api/v1/outcomes", &icbc, contact(product, 1))
        .await
        .problem(404, "not_found");
    app.post("/api/v1/outcomes", &boc, contact(product, 3))
        .await
        .problem(403, "not_published");
    let mut future = contact(product, 1);
    future["contacted_on"] = json!("2099-01-01");
    let f = app.post("/api/v1/outcomes", &boc, future).await;
    assert_eq!(
        f.field_errors(),
        vec![("contacted_on".into(), "date_in_future".into())]
    );
    let mut in_no_round = contact(product, 1);
    in_no_round["round_id"] = json!(999);
    let r = app.post("/api/v1/outcomes", &boc, in_no_round).await;
    assert_eq!(
        r.field_errors(),
        vec![("round_id".into(), "unknown_value".into())]
    );

    let ours = open(&app, &boc, product, 1).await;
    let yours = open(&app, &icbc, theirs, 2).await;
    let path = format!("/api/v1/outcomes/{ours}");

    // Another bank: unknown, to read and to change; its listing holds its own only.
    app.get(&path, &icbc).await.problem(404, "not_found");
    step(
        &app,
        &icbc,
        ours,
        json!({"version": 1, "step": "applied", "on": days_ago(1)}),
    )
    .await
    .problem(404, "not_found");
    let listed = app.get("/api/v1/outcomes", &icbc).await;
    let ids: Vec<_> = listed.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| o["id"].as_i64())
        .collect();
    assert_eq!(ids, vec![Some(yours)], "{}", listed.body);
    app.get("/api/v1/outcomes?bank=boc", &icbc)
        .await
        .problem(403, "out_of_scope");

    // The enterprise's park reads, another park does not; no park writes.
    assert_eq!(app.get(&path, &park).await.status, StatusCode::OK);
    app.get(&path, &other_park).await.problem(404, "not_found");
    app.get("/api/v1/outcomes?park=xxhtz", &other_park)
        .await
        .problem(403, "out_of_scope");
    step(
        &app,
        &park,
        ours,
        json!({"version": 1, "step": "applied", "on": days_ago(1)}),
    )
    .await
    .problem(403, "bank_only");
    let all = app.get("/api/v1/outcomes", &app.admin).await;
    assert_eq!(all.body["items"].as_array().map(Vec::len), Some(2));
    let paged = app.get("/api/v1/outcomes?limit=1", &app.admin).await;
    assert_eq!(paged.body["items"][0]["id"], ours);
    let next = paged.body["next_cursor"].as_str().expect("a next page");
    let second = app
        .get(
            &format!("/api/v1/outcomes?limit=1&after={next}"),
            &app.admin,
        )
        .await;
    assert_eq!(second.body["items"][0]["id"], yours);
}
