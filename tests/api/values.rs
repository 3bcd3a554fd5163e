//! Values outside the field's plausible range are refused where they are entered (422, the
//! field named), so no later read trips over them; nothing is written.

use crate::helpers::day;
use crate::helpers::{TestApp, e2e, enterprise_body, patent_body, uscc};
use reqwest::StatusCode;
use serde_json::json;

e2e!(out_of_range_values_are_refused_and_change_nothing);

async fn out_of_range_values_are_refused_and_change_nothing(app: TestApp) {
    app.seed().await;
    let created = app
        .post(
            "/api/v1/enterprises",
            &app.admin,
            enterprise_body(1, "xxhtz"),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let put = app
        .put("/api/v1/patents/201710601862.3", &app.admin, patent_body(1))
        .await;
    assert_eq!(put.status, StatusCode::CREATED, "{}", put.body);
    let before = app.audit_len().await;
    let refused = |a: crate::helpers::Answer, field: &str, code: &str| {
        a.problem(422, "validation_failed");
        assert!(
            a.field_errors()
                .iter()
                .any(|(f, c)| f == field && c == code),
            "{field}/{code}: {}",
            a.body
        );
    };
    let with = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut e = enterprise_body(2, "xxhtz");
        change(&mut e);
        e
    };
    let post = |body| app.post("/api/v1/enterprises", &app.admin, body);
    refused(
        post(with(&|e| e["founded_on"] = json!("0000-01-01"))).await,
        "founded_on",
        "date_range",
    );
    refused(
        post(with(&|e| e["name"] = json!("新乡市\u{0}测试有限公司"))).await,
        "name",
        "format",
    );
    refused(
        post(with(&|e| {
            e["name"] = json!("\u{202E}\u{200B}\u{202E}\u{200B}")
        }))
        .await,
        "name",
        "format",
    );
    refused(
        post(with(&|e| {
            e["qualifications"][0]["valid_until"] = json!("9999-12-31");
        }))
        .await,
        "qualifications[0].valid_until",
        "date_range",
    );
    refused(
        post(with(&|e| {
            let q = e["qualifications"][0].clone();
            e["qualifications"] = json!([q.clone(), q]);
        }))
        .await,
        "qualifications[1].kind",
        "format",
    );
    let appraise = |amount: i64, until: chrono::NaiveDate| {
        app.post(
            "/api/v1/patents/201710601862.3/appraisals",
            &app.admin,
            json!({"amount_fen": amount, "appraised_on": day(-281), "valid_until": until, "appraiser": "河南中原资产评估有限公司"}),
        )
    };
    assert_eq!(
        appraise(0, day(84)).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        appraise(
            300_000_000,
            chrono::NaiveDate::from_ymd_opt(9999, 12, 31).expect("a day")
        )
        .await
        .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let mut crowded = patent_body(1);
    crowded["co_owners"] = json!((0..60).map(|i| format!("共有人{i}")).collect::<Vec<_>>());
    crowded["co_owners_consent"] = json!(true);
    refused(
        app.put("/api/v1/patents/201810601862.8", &app.admin, crowded)
            .await,
        "co_owners",
        "too_many",
    );
    refused(
        app.post(
            "/api/v1/whitelist/batches",
            &app.admin,
            json!({"name": "远古批次", "valid_until": "0000-01-01"}),
        )
        .await,
        "valid_until",
        "date_range",
    );
    // JSON followed by more bytes is not JSON.
    let res = app
        .client
        .post(format!("{}/api/v1/enterprises", app.base))
        .bearer_auth(&app.admin)
        .header("content-type", "application/json")
        .body(format!("{} trailing", enterprise_body(3, "xxhtz")))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.audit_len().await, before, "nothing was written");
    assert_eq!(
        app.get(&format!("/api/v1/enterprises/{}", uscc(2)), &app.admin)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // What was stored reads and exports.
    let export = app
        .client
        .get(format!("{}/api/v1/exports/enterprises.xlsx", app.base))
        .bearer_auth(&app.admin)
        .send()
        .await
        .expect("export");
    assert_eq!(export.status(), StatusCode::OK);
    assert!(!export.bytes().await.expect("bytes").is_empty());
}

e2e!(a_version_at_the_edge_of_its_range_is_a_conflict_not_a_crash);

async fn a_version_at_the_edge_of_its_range_is_a_conflict_not_a_crash(app: TestApp) {
    app.seed().await;
    let created = app
        .post(
            "/api/v1/enterprises",
            &app.admin,
            enterprise_body(1, "xxhtz"),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let before = app.audit_len().await;
    // Versions lie within the integers JSON carries exactly (the document says so): beyond,
    // a 422 naming the field; at the edge, a conflict (the stored one is 1), never a crash.
    const EDGE: i64 = 9_007_199_254_740_991;
    let mut body = enterprise_body(1, "xxhtz");
    body["version"] = json!(i64::MAX);
    let beyond = app
        .put(
            &format!("/api/v1/enterprises/{}", uscc(1)),
            &app.admin,
            body.clone(),
        )
        .await;
    beyond.problem(422, "validation_failed");
    assert_eq!(
        beyond.field_errors(),
        vec![("version".to_owned(), "out_of_range".to_owned())]
    );
    body["version"] = json!(EDGE);
    app.put(
        &format!("/api/v1/enterprises/{}", uscc(1)),
        &app.admin,
        body,
    )
    .await
    .problem(409, "version_conflict");
    let product = json!({
        "bank": "boc", "name": "知惠贷", "amount_min_fen": 100_000_000i64,
        "amount_max_fen": 3_000_000_000i64, "max_term_months": 36, "rate_cap_over_lpr_bp": 80,
        "pledge_rates_bp": {"invention": 2500}, "valid_from": day(-340)
    });
    let p = app
        .post("/api/v1/products", &app.admin, product.clone())
        .await;
    assert_eq!(p.status, StatusCode::CREATED, "{}", p.body);
    let id = &p.body["id"];
    let before_product = app.audit_len().await;
    app.post(
        &format!("/api/v1/products/{id}/publish"),
        &app.admin,
        json!({"version": EDGE}),
    )
    .await
    .problem(409, "version_conflict");
    // A product valid for ever, or from before the Patent Law, is a typing error.
    for (field, day) in [("valid_until", "9999-12-31"), ("valid_from", "0001-01-01")] {
        let mut odd = product.clone();
        odd[field] = json!(day);
        let a = app.post("/api/v1/products", &app.admin, odd).await;
        a.problem(422, "validation_failed");
        assert_eq!(
            a.field_errors(),
            vec![(field.to_owned(), "date_range".to_owned())]
        );
    }
    let mut replaced = product;
    replaced["version"] = json!(EDGE);
    app.put(&format!("/api/v1/products/{id}"), &app.admin, replaced)
        .await
        .problem(409, "version_conflict");
    assert_eq!(app.audit_len().await, before_product);
    assert!(before < before_product);
}
