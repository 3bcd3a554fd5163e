use crate::helpers::day;
use crate::helpers::{TestApp, e2e, enterprise_body, patent_body, uscc};
use reqwest::StatusCode;
use serde_json::json;

e2e!(
    invalid_uscc_names_the_field_and_changes_nothing,
    invalid_fields_are_listed_together,
    malformed_and_oversized_bodies,
    duplicates_and_stale_versions_are_conflicts,
    unknown_things_are_not_found,
    patent_facts_are_checked_against_each_other,
    unknown_query_parameters_are_named,
);

async fn unknown_query_parameters_are_named(app: TestApp) {
    app.seed().await;
    // A filter spelled wrong would otherwise answer the whole, unfiltered list.
    let a = app
        .get(
            "/api/v1/enterprises?park=xxhtz&min_credit_line=500",
            &app.admin,
        )
        .await;
    a.problem(400, "unknown_parameter");
    let detail = a.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("min_credit_line"), "{detail}");
    assert!(
        detail.contains("park"),
        "names what the route takes: {detail}"
    );
    // A route that takes none refuses any.
    app.get("/api/v1/parks?page=2", &app.admin)
        .await
        .problem(400, "unknown_parameter");
    // The documented ones still work.
    let ok = app
        .get("/api/v1/enterprises?park=xxhtz&limit=5", &app.admin)
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
}

async fn invalid_uscc_names_the_field_and_changes_nothing(app: TestApp) {
    app.seed().await;
    let before = app.audit_len().await;
    let mut body = enterprise_body(1, "xxhtz");
    body["uscc"] = json!("91110000600037341M");
    let a = app.post("/api/v1/enterprises", &app.admin, body).await;
    a.problem(422, "validation_failed");
    assert_eq!(
        a.field_errors(),
        vec![("uscc".to_owned(), "uscc_check_character".to_owned())]
    );
    assert!(
        a.body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("校验码"))
    );
    for (bad, code) in [
        ("9111000060003734IL", "uscc_forbidden_letter"),
        ("911100006000373", "uscc_length"),
    ] {
        let mut body = enterprise_body(1, "xxhtz");
        body["uscc"] = json!(bad);
        let a = app.post("/api/v1/enterprises", &app.admin, body).await;
        assert_eq!(a.field_errors(), vec![("uscc".to_owned(), code.to_owned())]);
    }
    // In the path of a read, a code that cannot exist names nothing: 404, saying why.
    let a = app
        .get("/api/v1/enterprises/91110000600037341M", &app.admin)
        .await;
    a.problem(404, "not_found");
    assert!(
        a.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("校验码")),
        "{}",
        a.body
    );
    assert_eq!(app.audit_len().await, before);
    let list = app.get("/api/v1/enterprises", &app.admin).await;
    assert_eq!(list.body["items"].as_array().map(Vec::len), Some(0));
}

async fn invalid_fields_are_listed_together(app: TestApp) {
    app.seed().await;
    let mut body = enterprise_body(1, "nowhere");
    body["region"] = json!("990702");
    body["industry"] = json!("C05");
    body["size"] = json!("huge");
    body["qualifications"][0]["kind"] = json!("gold_star");
    body["contact"]["email"] = json!("not-an-address");
    // Values out of their documented shape are listed together first ...
    let a = app
        .post("/api/v1/enterprises", &app.admin, body.clone())
        .await;
    a.problem(422, "validation_failed");
    assert_eq!(
        a.field_errors(),
        [
            ("contact.email", "format"),
            ("qualifications[0].kind", "unknown_value"),
            ("region", "region_code"),
            ("size", "unknown_value")
        ]
        .map(|(f, c)| (f.to_owned(), c.to_owned()))
    );
    // ... then what the domain's rules refuse (C has the divisions 13 to 43).
    body["region"] = json!("410702");
    body["contact"]["email"] = json!("zhang@example.cn");
    body["size"] = json!("small");
    body["qualifications"][0]["kind"] = json!("high_tech");
    let a = app.post("/api/v1/enterprises", &app.admin, body).await;
    a.problem(422, "validation_failed");
    assert_eq!(
        a.field_errors(),
        vec![("industry".to_owned(), "industry_code".to_owned())]
    );
    // Once the shape is right, the domain's own checks and the park lookup speak.
    let mut body = enterprise_body(1, "nowhere");
    body["contact"]["email"] = json!("not-an-address");
    let a = app.post("/api/v1/enterprises", &app.admin, body).await;
    assert_eq!(
        a.field_errors(),
        vec![("contact.email".to_owned(), "format".to_owned())]
    );
    let a = app
        .post(
            "/api/v1/enterprises",
            &app.admin,
            enterprise_body(1, "nowhere"),
        )
        .await;
    assert_eq!(
        a.field_errors(),
        vec![("park".to_owned(), "unknown_value".to_owned())]
    );
    let mut body = enterprise_body(1, "xxhtz");
    body["founded_on"] = json!("2015-02-30");
    let a = app.post("/api/v1/enterprises", &app.admin, body).await;
    a.problem(422, "validation_failed");
    assert_eq!(a.field_errors()[0].0, "founded_on");
    let mut body = enterprise_body(1, "xxhtz");
    body.as_object_mut().expect("object").remove("name");
    app.post("/api/v1/enterprises", &app.admin, body)
        .await
        .problem(422, "validation_failed");
    let a = app.get("/api/v1/enterprises?limit=0", &app.admin).await;
    assert_eq!(
        a.field_errors(),
        vec![("limit".to_owned(), "out_of_range".to_owned())]
    );
}

async fn malformed_and_oversized_bodies(app: TestApp) {
    app.seed().await;
    let before = app.audit_len().await;
    let url = format!("{}/api/v1/enterprises", app.base);
    let res = app
        .client
        .post(&url)
        .bearer_auth(&app.admin)
        .header("content-type", "application/json")
        .body("{\"uscc\": ")
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = res.json().await.expect("problem");
    assert_eq!(body["code"], "malformed_json");
    let res = app
        .client
        .post(&url)
        .bearer_auth(&app.admin)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let mut body = enterprise_body(1, "xxhtz");
    body["name"] = json!("长".repeat(70_000));
    let a = app.post("/api/v1/enterprises", &app.admin, body).await;
    a.problem(413, "payload_too_large");
    assert_eq!(app.audit_len().await, before);
}

async fn duplicates_and_stale_versions_are_conflicts(app: TestApp) {
    app.seed().await;
    let created = app
        .post(
            "/api/v1/enterprises",
            &app.admin,
            enterprise_body(1, "xxhtz"),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.body["version"], 1);
    app.post(
        "/api/v1/enterprises",
        &app.admin,
        enterprise_body(1, "xxhtz"),
    )
    .await
    .problem(409, "duplicate");
    app.post(
        "/api/v1/parks",
        &app.admin,
        json!({"code": "xxhtz", "name": "重复园区", "region": "410702"}),
    )
    .await
    .problem(409, "duplicate");

    let path = format!("/api/v1/enterprises/{}", uscc(1));
    let mut update = enterprise_body(1, "xxhtz");
    update["size"] = json!("medium");
    update["version"] = json!(1);
    let a = app.put(&path, &app.admin, update.clone()).await;
    assert_eq!(
        (a.status, a.body["version"].as_i64()),
        (StatusCode::OK, Some(2))
    );
    let before = app.audit_len().await;
    update["size"] = json!("large");
    let stale = app.put(&path, &app.admin, update.clone()).await;
    assert_eq!(stale.problem(409, "version_conflict")["current_version"], 2);
    update.as_object_mut().expect("object").remove("version");
    let a = app.put(&path, &app.admin, update).await;
    assert_eq!(
        a.field_errors(),
        vec![("version".to_owned(), "required".to_owned())]
    );
    assert_eq!(app.audit_len().await, before);
    assert_eq!(app.get(&path, &app.admin).await.body["size"], "medium");

    let number = "/api/v1/patents/ZL2017106018623";
    assert_eq!(
        app.put(number, &app.admin, patent_body(1)).await.status,
        StatusCode::CREATED
    );
    app.put(number, &app.admin, patent_body(1))
        .await
        .problem(409, "version_required");
    let mut body = patent_body(1);
    body["version"] = json!(7);
    assert_eq!(
        app.put(number, &app.admin, body)
            .await
            .problem(409, "version_conflict")["current_version"],
        1
    );
}

async fn unknown_things_are_not_found(app: TestApp) {
    app.seed().await;
    app.get(&format!("/api/v1/enterprises/{}", uscc(42)), &app.admin)
        .await
        .problem(404, "not_found");
    app.get("/api/v1/patents/201710601862.3", &app.admin)
        .await
        .problem(404, "not_found");
    app.get("/api/v1/parks/nowhere", &app.admin)
        .await
        .problem(404, "not_found");
    app.get("/api/v1/trademarks/12345678/9", &app.admin)
        .await
        .problem(404, "not_found");
    app.call(
        reqwest::Method::DELETE,
        "/api/v1/tokens/9999",
        Some(&app.admin),
        None,
    )
    .await
    .problem(404, "not_found");
    // A key none can have (there are 45 Nice classes) names nothing either.
    let a = app.get("/api/v1/trademarks/12345678/46", &app.admin).await;
    a.problem(404, "not_found");
    assert!(
        a.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("1 to 45")),
        "{}",
        a.body
    );
}

async fn patent_facts_are_checked_against_each_other(app: TestApp) {
    app.seed().await;
    app.post(
        "/api/v1/enterprises",
        &app.admin,
        enterprise_body(1, "xxhtz"),
    )
    .await;
    let mut body = patent_body(1);
    body["filing_date"] = json!("2018-03-05");
    body["grant_date"] = json!("2016-01-01");
    body["legal_status"] = json!("granted-ish");
    let a = app
        .put("/api/v1/patents/201710601862.3", &app.admin, body.clone())
        .await;
    assert_eq!(
        a.field_errors(),
        vec![("legal_status".to_owned(), "unknown_value".to_owned())]
    );
    body["legal_status"] = json!("in_force");
    let a = app
        .put("/api/v1/patents/201710601862.3", &app.admin, body)
        .await;
    assert_eq!(
        a.field_errors(),
        vec![
            ("filing_date".to_owned(), "filing_year_mismatch".to_owned()),
            ("grant_date".to_owned(), "date_order".to_owned())
        ]
    );
    let a = app
        .put("/api/v1/patents/201710601862.4", &app.admin, patent_body(1))
        .await;
    assert_eq!(
        a.field_errors(),
        vec![(
            "application_number".to_owned(),
            "application_number_check".to_owned()
        )]
    );
    let a = app.post("/api/v1/patents/201710601862.3/appraisals", &app.admin, json!({"amount_fen": -5, "appraised_on": day(-340), "valid_until": day(24), "appraiser": "某评估公司"})).await;
    a.problem(422, "validation_failed");
}
