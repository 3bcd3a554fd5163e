use crate::helpers::day;
use crate::helpers::{TestApp, e2e, enterprise_body, patent_body, uscc};
use reqwest::{Method, StatusCode};
use serde_json::json;

e2e!(
    missing_or_bad_tokens_are_refused,
    a_park_changes_only_its_own_park,
    a_park_sees_only_its_own_park,
    banks_see_no_enterprise_yet,
    only_the_office_manages_tokens_and_reads_the_audit,
    a_revoked_token_stops_at_once,
    contact_data_is_shown_only_where_allowed,
    a_bank_under_consent_reads_the_contact_wherever_it_reads_the_enterprise,
);

async fn missing_or_bad_tokens_are_refused(app: TestApp) {
    let a = app.call(Method::GET, "/api/v1/parks", None, None).await;
    a.problem(401, "unauthorized");
    assert_eq!(
        a.headers
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    app.get("/api/v1/parks", "plg_00000000_0000")
        .await
        .problem(401, "unauthorized");
    app.get("/api/v1/parks", "not-a-token")
        .await
        .problem(401, "unauthorized");
    let forged = format!("{}0", app.admin);
    app.get("/api/v1/parks", &forged)
        .await
        .problem(401, "unauthorized");
    assert_eq!(
        app.get("/api/v1/parks", &app.admin).await.status,
        StatusCode::OK
    );
}

async fn a_park_changes_only_its_own_park(app: TestApp) {
    app.seed().await;
    let xxhtz = app.token("park", Some("xxhtz"), None).await;
    let hqkfq = app.token("park", Some("hqkfq"), None).await;
    assert_eq!(
        app.post("/api/v1/enterprises", &xxhtz, enterprise_body(1, "xxhtz"))
            .await
            .status,
        StatusCode::CREATED
    );
    assert_eq!(
        app.post("/api/v1/enterprises", &hqkfq, enterprise_body(2, "hqkfq"))
            .await
            .status,
        StatusCode::CREATED
    );
    let before = app.audit_len().await;

    app.post("/api/v1/enterprises", &xxhtz, enterprise_body(3, "hqkfq"))
        .await
        .problem(403, "out_of_scope");
    let mut update = enterprise_body(2, "hqkfq");
    update["version"] = json!(1);
    update["name"] = json!("被别的园区改名");
    // Another park's enterprise is one that is not registered; moving one's own away is
    // refused.
    app.put(&format!("/api/v1/enterprises/{}", uscc(2)), &xxhtz, update)
        .await
        .problem(404, "not_found");
    let mut moving = enterprise_body(1, "hqkfq");
    moving["version"] = json!(1);
    app.put(&format!("/api/v1/enterprises/{}", uscc(1)), &xxhtz, moving)
        .await
        .problem(403, "out_of_scope");
    let foreign = app
        .put("/api/v1/patents/201710601862.3", &xxhtz, patent_body(2))
        .await;
    foreign.problem(422, "validation_failed");
    assert_eq!(
        foreign.field_errors(),
        [("owner".to_owned(), "unknown_value".to_owned())]
    );
    app.post(
        "/api/v1/parks",
        &xxhtz,
        json!({"code": "newpark", "name": "新园区", "region": "410702"}),
    )
    .await
    .problem(403, "admin_only");
    assert_eq!(
        app.audit_len().await,
        before,
        "refused requests change nothing"
    );
    assert_eq!(
        app.get(&format!("/api/v1/enterprises/{}", uscc(2)), &app.admin)
            .await
            .body["name"],
        "新乡市测试2机械有限公司"
    );

    assert_eq!(
        app.put("/api/v1/patents/201710601862.3", &xxhtz, patent_body(1))
            .await
            .status,
        StatusCode::CREATED
    );
    let appraisal = json!({"amount_fen": 300_000_000, "appraised_on": day(-189), "valid_until": day(175), "appraiser": "河南中原资产评估有限公司"});
    app.post(
        "/api/v1/patents/201710601862.3/appraisals",
        &hqkfq,
        appraisal.clone(),
    )
    .await
    .problem(404, "not_found");
    assert_eq!(
        app.post(
            "/api/v1/patents/201710601862.3/appraisals",
            &xxhtz,
            appraisal
        )
        .await
        .status,
        StatusCode::CREATED
    );
}

async fn a_park_sees_only_its_own_park(app: TestApp) {
    app.seed().await;
    app.post(
        "/api/v1/enterprises",
        &app.admin,
        enterprise_body(1, "xxhtz"),
    )
    .await;
    app.post(
        "/api/v1/enterprises",
        &app.admin,
        enterprise_body(2, "hqkfq"),
    )
    .await;
    app.put("/api/v1/patents/201710601862.3", &app.admin, patent_body(2))
        .await;
    let xxhtz = app.token("park", Some("xxhtz"), None).await;
    let list = app.get("/api/v1/enterprises", &xxhtz).await;
    let seen: Vec<&str> = list.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["uscc"].as_str())
        .collect();
    assert_eq!(seen, vec![uscc(1).as_str()]);
    app.get("/api/v1/enterprises?park=hqkfq", &xxhtz)
        .await
        .problem(403, "out_of_scope");
    // Another park's records read as records that do not exist: the same 404, word for
    // word, as an unknown one.
    let hidden = app
        .get(&format!("/api/v1/enterprises/{}", uscc(2)), &xxhtz)
        .await;
    let exists = app
        .get(&format!("/api/v1/enterprises/{}", uscc(2)), &app.admin)
        .await;
    assert_eq!(exists.status, StatusCode::OK);
    hidden.problem(404, "not_found");
    let absent = app
        .get(&format!("/api/v1/enterprises/{}", uscc(9)), &xxhtz)
        .await;
    absent.problem(404, "not_found");
    assert_eq!(
        hidden.body["detail"]
            .as_str()
            .map(|d| d.replace(&uscc(2), "…")),
        absent.body["detail"]
            .as_str()
            .map(|d| d.replace(&uscc(9), "…"))
    );
    app.get(&format!("/api/v1/enterprises/{}/patents", uscc(2)), &xxhtz)
        .await
        .problem(404, "not_found");
    let hidden = app.get("/api/v1/patents/201710601862.3", &xxhtz).await;
    hidden.problem(404, "not_found");
    let absent = app.get("/api/v1/patents/201810601862.8", &xxhtz).await;
    absent.problem(404, "not_found");
    let all = app.get("/api/v1/enterprises", &app.admin).await;
    assert_eq!(all.body["items"].as_array().map(Vec::len), Some(2));
}

async fn banks_see_no_enterprise_yet(app: TestApp) {
    app.seed().await;
    app.post(
        "/api/v1/enterprises",
        &app.admin,
        enterprise_body(1, "xxhtz"),
    )
    .await;
    app.put("/api/v1/patents/201710601862.3", &app.admin, patent_body(1))
        .await;
    let boc = app.token("bank", None, Some("boc")).await;
    app.get("/api/v1/enterprises", &boc)
        .await
        .problem(403, "not_published");
    app.get(&format!("/api/v1/enterprises/{}", uscc(1)), &boc)
        .await
        .problem(403, "not_published");
    app.get(&format!("/api/v1/enterprises/{}/patents", uscc(1)), &boc)
        .await
        .problem(403, "not_published");
    app.get("/api/v1/patents/201710601862.3", &boc)
        .await
        .problem(404, "not_found");
    app.post("/api/v1/enterprises", &boc, enterprise_body(2, "xxhtz"))
        .await
        .problem(403, "read_only_role");
    let banks = app.get("/api/v1/banks", &boc).await;
    let codes: Vec<&str> = banks
        .body
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|b| b["code"].as_str())
        .collect();
    assert_eq!(codes, vec!["boc"]);
    app.get("/api/v1/banks/icbc", &boc)
        .await
        .problem(404, "not_found");
    assert_eq!(
        app.get("/api/v1/banks/boc", &boc).await.status,
        StatusCode::OK
    );
}

async fn only_the_office_manages_tokens_and_reads_the_audit(app: TestApp) {
    app.seed().await;
    let park = app.token("park", Some("xxhtz"), None).await;
    let bank = app.token("bank", None, Some("boc")).await;
    for t in [&park, &bank] {
        app.post(
            "/api/v1/tokens",
            t,
            json!({"role": "admin", "name": "escalation"}),
        )
        .await
        .problem(403, "admin_only");
        app.get("/api/v1/tokens", t)
            .await
            .problem(403, "admin_only");
        app.call(Method::DELETE, "/api/v1/tokens/1", Some(t), None)
            .await
            .problem(403, "admin_only");
    }
    let a = app
        .post(
            "/api/v1/tokens",
            &app.admin,
            json!({"role": "park", "name": "no park given"}),
        )
        .await;
    assert_eq!(
        a.field_errors(),
        vec![("park".to_owned(), "required".to_owned())]
    );
    let a = app
        .post(
            "/api/v1/tokens",
            &app.admin,
            json!({"role": "bank", "bank": "nobank", "name": "x"}),
        )
        .await;
    assert_eq!(
        a.field_errors(),
        vec![("bank".to_owned(), "unknown_value".to_owned())]
    );
    let listed = app.get("/api/v1/tokens", &app.admin).await;
    let text = listed.body.to_string();
    assert!(
        !text.contains(&park) && !text.contains(&bank),
        "secrets are never listed"
    );
    assert_eq!(listed.body.as_array().map(Vec::len), Some(3));
    let me = app.get("/api/v1/me", &park).await;
    assert_eq!(
        (me.body["role"].as_str(), me.body["park"].as_str()),
        (Some("park"), Some("xxhtz"))
    );
    app.get("/api/v1/audit", &bank)
        .await
        .problem(403, "admin_only");
    let parks_view = app.get("/api/v1/audit?entity=token", &park).await;
    let keys: Vec<i64> = parks_view.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|r| r["after"]["park"].as_str().map(|_| 1))
        .collect();
    assert_eq!(
        keys,
        vec![1],
        "a park reads the records of its own park only: its own token"
    );
    let audit = app.get("/api/v1/audit?entity=token", &app.admin).await;
    assert_eq!(audit.body["items"].as_array().map(Vec::len), Some(3));
}

async fn a_revoked_token_stops_at_once(app: TestApp) {
    app.seed().await;
    let a = app
        .post(
            "/api/v1/tokens",
            &app.admin,
            json!({"role": "park", "park": "xxhtz", "name": "张科长"}),
        )
        .await;
    let token = a.body["token"].as_str().expect("token").to_owned();
    let id = a.body["id"].as_i64().expect("id");
    assert!(token.starts_with(a.body["prefix"].as_str().expect("prefix")));
    assert_eq!(
        app.get("/api/v1/parks", &token).await.status,
        StatusCode::OK
    );
    let revoked = app
        .call(
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert!(revoked.body["revoked_at"].is_string());
    app.get("/api/v1/parks", &token)
        .await
        .problem(401, "unauthorized");
}

async fn contact_data_is_shown_only_where_allowed(app: TestApp) {
    app.seed().await;
    app.post(
        "/api/v1/enterprises",
        &app.admin,
        enterprise_body(1, "xxhtz"),
    )
    .await;
    let own = app.token("park", Some("xxhtz"), None).await;
    let path = format!("/api/v1/enterprises/{}", uscc(1));
    assert_eq!(
        app.get(&path, &own).await.body["contact"]["phone"],
        "0373-1234567"
    );
    assert_eq!(
        app.get(&path, &app.admin).await.body["contact"]["name"],
        "王经理"
    );
    let bank = app.token("bank", None, Some("boc")).await;
    let a = app.get(&path, &bank).await;
    assert!(!a.body.to_string().contains("0373-1234567"));
}

/// A bank reads a listed enterprise's contact in full once the enterprise consented for it,
/// reading the enterprise itself as in its match list; masked before, and for another bank.
async fn a_bank_under_consent_reads_the_contact_wherever_it_reads_the_enterprise(app: TestApp) {
    app.seed().await;
    app.enterprises(&[(1, "xxhtz")]).await;
    crate::matching::put_patent(&app, "201710601862.3", crate::helpers::patent_body(1)).await;
    crate::matching::publish_list(&app, &[1]).await;
    let boc = app.token("bank", None, Some("boc")).await;
    let path = format!("/api/v1/enterprises/{}", uscc(1));
    let masked = app.get(&path, &boc).await;
    assert_eq!(masked.status, reqwest::StatusCode::OK, "{}", masked.body);
    assert_eq!(masked.body["contact"]["name"], "王**", "{}", masked.body);
    assert_eq!(masked.body["contact_withheld"], true);
    let own = app.token("park", Some("xxhtz"), None).await;
    let consent = app
        .post(
            &format!("{path}/consents"),
            &own,
            serde_json::json!({"bank": "boc", "valid_from": crate::helpers::day(-1), "evidence_reference": "XX-SQ-0001", "evidence_date": crate::helpers::day(-1)}),
        )
        .await;
    assert_eq!(
        consent.status,
        reqwest::StatusCode::CREATED,
        "{}",
        consent.body
    );
    let full = app.get(&path, &boc).await;
    assert_eq!(
        full.body["contact"]["phone"], "0373-1234567",
        "{}",
        full.body
    );
    assert_eq!(full.body["contact_withheld"], false);
    let icbc = app.token("bank", None, Some("icbc")).await;
    let other = app.get(&path, &icbc).await;
    assert_eq!(other.body["contact"]["name"], "王**", "{}", other.body);
}
