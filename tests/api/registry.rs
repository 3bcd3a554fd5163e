use crate::helpers::day;
use crate::helpers::{TestApp, e2e, enterprise_body, patent_body, uscc};
use reqwest::StatusCode;
use serde_json::json;

e2e!(
    an_enterprise_lives_through_the_api,
    patents_answer_to_every_spelling,
    pledge_obstacles_are_explained,
    trademarks_and_appraisals,
    listings_filter_and_page
);

async fn an_enterprise_lives_through_the_api(app: TestApp) {
    app.seed().await;
    let mut body = enterprise_body(1, "xxhtz");
    // The API takes values as documented: a code padded with spaces is refused ...
    body["uscc"] = json!(format!("  {}  ", uscc(1)));
    app.post("/api/v1/enterprises", &app.admin, body.clone())
        .await
        .problem(422, "validation_failed");
    // ... lower case is one of its documented forms.
    body["uscc"] = json!(uscc(1).to_lowercase());
    let created = app.post("/api/v1/enterprises", &app.admin, body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["uscc"], uscc(1), "stored upper case");
    let path = format!("/api/v1/enterprises/{}", uscc(1).to_lowercase());
    let read = app.get(&path, &app.admin).await;
    assert_eq!(read.body["qualifications"][0]["kind"], "high_tech");
    assert_eq!(read.body["financing_need"]["amount_fen"], 500_000_000);
    let mut update = enterprise_body(1, "xxhtz");
    update["risk_flags"] = json!([{"kind": "经营异常", "recorded_on": day(-189)}]);
    update["version"] = json!(1);
    let updated = app.put(&path, &app.admin, update).await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!(updated.body["risk_flags"][0]["kind"], "abnormal_operation");
    let history = app
        .get(
            &format!("/api/v1/audit?entity=enterprise&key={}", uscc(1)),
            &app.admin,
        )
        .await;
    let items = history.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["before"]["risk_flags"], json!([]));
    assert_eq!(
        items[1]["after"]["risk_flags"][0]["kind"],
        "abnormal_operation"
    );
    assert_eq!(items[1]["actor"], "admin:test admin");
}

async fn patents_answer_to_every_spelling(app: TestApp) {
    app.seed().await;
    app.post(
        "/api/v1/enterprises",
        &app.admin,
        enterprise_body(1, "xxhtz"),
    )
    .await;
    let created = app
        .put(
            "/api/v1/patents/ZL%202017%201060%201862.3",
            &app.admin,
            patent_body(1),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["application_number"], "201710601862.3");
    assert_eq!(created.body["patent_number"], "ZL201710601862.3");
    assert_eq!(created.body["kind"], "invention");
    for spelling in [
        "2017106018623",
        "CN201710601862.3",
        "%EF%BC%92%EF%BC%90%EF%BC%91%EF%BC%97%EF%BC%91%EF%BC%90%EF%BC%96%EF%BC%90%EF%BC%91%EF%BC%98%EF%BC%96%EF%BC%92%EF%BC%8E%EF%BC%93",
    ] {
        let a = app
            .get(&format!("/api/v1/patents/{spelling}"), &app.admin)
            .await;
        assert_eq!(a.body["application_number"], "201710601862.3", "{spelling}");
    }
    let mut same = patent_body(1);
    same["version"] = json!(1);
    let again = app
        .put("/api/v1/patents/2017106018623", &app.admin, same)
        .await;
    assert_eq!(
        (again.status, again.body["version"].as_i64()),
        (StatusCode::OK, Some(1)),
        "nothing changed, nothing written"
    );
    let list = app
        .get(
            &format!("/api/v1/enterprises/{}/patents", uscc(1)),
            &app.admin,
        )
        .await;
    assert_eq!(list.body["items"].as_array().map(Vec::len), Some(1));
}

async fn pledge_obstacles_are_explained(app: TestApp) {
    app.seed().await;
    app.post(
        "/api/v1/enterprises",
        &app.admin,
        enterprise_body(1, "xxhtz"),
    )
    .await;
    let mut body = patent_body(1);
    body["pledges"] =
        json!([{"registration_number": "Y2025410000123", "registered_on": day(-696)}]);
    body["co_owners"] = json!(["河南师范大学"]);
    app.put("/api/v1/patents/201710601862.3", &app.admin, body)
        .await;
    let a = app
        .get(
            "/api/v1/patents/201710601862.3?as_of=2026-11-27&loan_end=2037-06-01",
            &app.admin,
        )
        .await;
    let c = &a.body["computed"];
    assert_eq!(c["expiry"], "2037-03-05");
    assert_eq!(c["valid"], true);
    assert_eq!(c["pledged"], true);
    assert_eq!(
        c["high_value_grounds"],
        json!(["strategic_emerging_industry"])
    );
    let grounds: Vec<i64> = c["pledge_obstacles"]
        .as_array()
        .expect("obstacles")
        .iter()
        .filter_map(|o| o["ground"].as_i64())
        .collect();
    assert_eq!(grounds, vec![6, 8, 9]);
    let a = app
        .get(
            "/api/v1/patents/201710601862.3?as_of=2038-01-01",
            &app.admin,
        )
        .await;
    assert_eq!(a.body["computed"]["valid"], false);
    assert_eq!(a.body["computed"]["remaining_months"], 0);
    let a = app
        .get("/api/v1/patents/201710601862.3?as_of=yesterday", &app.admin)
        .await;
    assert_eq!(
        a.field_errors(),
        vec![("as_of".to_owned(), "format".to_owned())]
    );
}

async fn trademarks_and_appraisals(app: TestApp) {
    app.seed().await;
    app.post(
        "/api/v1/enterprises",
        &app.admin,
        enterprise_body(1, "xxhtz"),
    )
    .await;
    app.put("/api/v1/patents/201710601862.3", &app.admin, patent_body(1))
        .await;
    let appraisal = json!({"amount_fen": 300_000_000, "appraised_on": day(-189), "valid_until": day(175), "appraiser": "河南中原资产评估有限公司"});
    assert_eq!(
        app.post(
            "/api/v1/patents/201710601862.3/appraisals",
            &app.admin,
            appraisal
        )
        .await
        .status,
        StatusCode::CREATED
    );
    let p = app
        .get(
            "/api/v1/patents/201710601862.3?as_of=2026-11-27",
            &app.admin,
        )
        .await;
    assert_eq!(
        p.body["computed"]["valid_appraisal"]["amount_fen"],
        300_000_000
    );
    let p = app
        .get(
            "/api/v1/patents/201710601862.3?as_of=2027-06-01",
            &app.admin,
        )
        .await;
    assert!(
        p.body["computed"]["valid_appraisal"].is_null(),
        "an expired appraisal does not count"
    );

    let tm = json!({"owner": uscc(1), "name": "华锐", "registered_on": "2016-05-01", "valid_until": "2036-04-30"});
    let a = app
        .put("/api/v1/trademarks/12345678/7", &app.admin, tm.clone())
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    app.put("/api/v1/trademarks/12345678/7", &app.admin, tm)
        .await
        .problem(409, "version_required");
    let a = app.put("/api/v1/trademarks/12345678/7", &app.admin, json!({"owner": uscc(1), "name": "华锐", "registered_on": "2016-05-01", "valid_until": "2015-04-30"})).await;
    assert_eq!(
        a.field_errors(),
        vec![("valid_until".to_owned(), "date_order".to_owned())]
    );
    let appraisal = json!({"amount_fen": 50_000_000, "appraised_on": day(-189), "valid_until": day(175), "appraiser": "河南中原资产评估有限公司"});
    assert_eq!(
        app.post(
            "/api/v1/trademarks/12345678/7/appraisals",
            &app.admin,
            appraisal
        )
        .await
        .status,
        StatusCode::CREATED
    );
    let list = app
        .get(
            &format!("/api/v1/enterprises/{}/trademarks", uscc(1)),
            &app.admin,
        )
        .await;
    assert_eq!(
        list.body["items"][0]["appraisals"][0]["amount_fen"],
        50_000_000
    );
    assert_eq!(list.body["items"][0]["nice_class"], 7);
}

async fn listings_filter_and_page(app: TestApp) {
    app.seed().await;
    for i in 1..=5 {
        let mut body = enterprise_body(i, if i % 2 == 0 { "hqkfq" } else { "xxhtz" });
        if i == 5 {
            body["industry"] = json!("C2710");
        }
        assert_eq!(
            app.post("/api/v1/enterprises", &app.admin, body)
                .await
                .status,
            StatusCode::CREATED
        );
    }
    let a = app
        .get("/api/v1/enterprises?park=xxhtz&industry=C34", &app.admin)
        .await;
    let seen: Vec<&str> = a.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["uscc"].as_str())
        .collect();
    assert_eq!(seen, vec![uscc(1).as_str(), uscc(3).as_str()]);
    // Parameters sent empty are values out of their documented shape: each is named.
    let blank = app
        .get(
            "/api/v1/enterprises?park=&industry=&q=&after=&limit=",
            &app.admin,
        )
        .await;
    blank.problem(422, "validation_failed");
    let mut named: Vec<String> = blank.field_errors().into_iter().map(|(f, _)| f).collect();
    named.sort();
    assert_eq!(named, ["after", "industry", "limit", "park", "q"]);
    let mut all = Vec::new();
    let mut path = "/api/v1/enterprises?limit=2".to_owned();
    loop {
        let page = app.get(&path, &app.admin).await;
        all.extend(
            page.body["items"]
                .as_array()
                .expect("items")
                .iter()
                .filter_map(|e| e["uscc"].as_str().map(String::from)),
        );
        match page.body["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/enterprises?limit=2&after={c}"),
            None => break,
        }
    }
    assert_eq!(all, (1..=5).map(uscc).collect::<Vec<_>>());
    let a = app.get("/api/v1/enterprises?q=测试3", &app.admin).await;
    assert_eq!(a.body["items"].as_array().map(Vec::len), Some(1));
}
