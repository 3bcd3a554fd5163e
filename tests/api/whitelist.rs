use crate::helpers::day;
use crate::helpers::{TestApp, e2e, enterprise_body, patent_body, uscc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

e2e!(
    an_enterprise_goes_onto_the_list_and_banks_see_it,
    every_role_hears_no,
    the_nominator_never_approves,
    racing_approvals_exactly_one_wins,
    a_risk_flag_suspends_at_once,
    rescreening_expires_and_suspends,
    exports_read_back_cell_by_cell,
    many_at_once_each_judged_alone,
);

/// Nominating and deciding many in one request: each item is judged as it would be alone, and
/// one result per item comes back in the order sent.
async fn many_at_once_each_judged_alone(app: TestApp) {
    let batch = setup(&app).await;
    let bid = batch["id"].as_i64().expect("id");
    let park = app.token("park", Some("xxhtz"), None).await;
    let mut bad = uscc(2);
    bad.replace_range(17..18, if &bad[17..18] == "0" { "1" } else { "0" });
    let sent = [uscc(1), uscc(2), uscc(3), bad, uscc(99), uscc(1)];
    let a = app
        .post(
            &format!("/api/v1/whitelist/batches/{bid}/nominations"),
            &park,
            json!({"usccs": sent}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let got: Vec<(String, u64, String)> = a.body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap_or_default().to_owned(),
                r["status"].as_u64().unwrap_or(0),
                r["problem"]["code"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let keys: Vec<&str> = got.iter().map(|(k, _, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        sent.iter().map(String::as_str).collect::<Vec<_>>(),
        "in the order sent"
    );
    let statuses: Vec<u64> = got.iter().map(|(_, s, _)| *s).collect();
    assert_eq!(statuses[..2], [201, 201], "{got:?}");
    assert_eq!(
        (got[2].1, got[2].2.as_str()),
        (got[4].1, got[4].2.as_str()),
        "another park's enterprise is one that does not exist: {got:?}"
    );
    assert_eq!(got[3].2, "validation_failed");
    assert_eq!(
        a.body["results"][3]["problem"]["errors"][0]["code"],
        "uscc_check_character"
    );
    assert_eq!(statuses[4], 404);
    assert_eq!(
        got[5].2, "already_listed",
        "the second time, alone, would be refused"
    );
    assert_eq!(a.body["done"], 2);
    assert_eq!(a.body["refused"], 4);
    // Or from a park's own sheet: its 统一社会信用代码 column, however headed.
    let sheet = format!(
        "序号,单位名称,统一社会信用代码（18位）\n1,新乡市测试2机械有限公司,{}\n2,未登记公司,{}\n",
        uscc(2),
        uscc(98)
    );
    let res = app
        .client
        .post(format!(
            "{}/api/v1/whitelist/batches/{bid}/nominations/upload",
            app.base
        ))
        .bearer_auth(&park)
        .multipart(reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(sheet.into_bytes()).file_name("提名.csv".to_owned()),
        ))
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), StatusCode::OK);
    let from_sheet: Value = res.json().await.expect("results");
    let codes: Vec<&str> = from_sheet["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["problem"]["code"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(codes, ["already_listed", "not_found"], "{from_sheet}");
    // The batch is the request's: an unknown one refuses it whole.
    app.post(
        "/api/v1/whitelist/batches/999999/nominations",
        &park,
        json!({"usccs": [uscc(1)]}),
    )
    .await
    .problem(404, "not_found");
    // The office decides many: a stale version and an unknown entry refused on their own.
    let ids: Vec<i64> = a.body["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["entry"]["id"].as_i64())
        .collect();
    let decided = app
        .post(
            "/api/v1/whitelist/decisions",
            &app.admin,
            json!({
                "action": "approve",
                "entries": [{"id": ids[0], "version": 1}, {"id": ids[1], "version": 7}, {"id": 999_999, "version": 1}],
                "reason_code": "meets_criteria",
                "reason": "经复核符合条件"
            }),
        )
        .await;
    assert_eq!(decided.status, StatusCode::OK, "{}", decided.body);
    let r = &decided.body["results"];
    assert_eq!(r[0]["status"], 200, "{r}");
    assert_eq!(r[0]["entry"]["status"], "approved");
    assert_eq!(r[1]["problem"]["code"], "version_conflict");
    assert_eq!(r[2]["status"], 404);
    // `2023124887912117.0` is the integer JSON Schema says it is (read exactly, not as
    // 2023124887912116.8): an unknown entry, not a malformed request.
    let exact = app
        .client
        .post(format!("{}/api/v1/whitelist/decisions", app.base))
        .bearer_auth(&app.admin)
        .header("content-type", "application/json")
        .body(r#"{"action": "approve", "entries": [{"id": 2023124887912117.0, "version": 1.0}], "reason_code": "meets_criteria", "reason": "好"}"#)
        .send()
        .await
        .expect("decisions");
    assert_eq!(exact.status(), StatusCode::OK);
    let exact: Value = exact.json().await.expect("results");
    assert_eq!(exact["results"][0]["status"], 404, "{exact}");
    // Only the office decides.
    app.post(
        "/api/v1/whitelist/decisions",
        &park,
        json!({"action": "approve", "entries": [{"id": ids[1], "version": 1}], "reason_code": "meets_criteria", "reason": "好"}),
    )
    .await
    .problem(403, "admin_only");
}

/// Parks, two enterprises of xxhtz with a valid invention patent, one of hqkfq without.
async fn setup(app: &TestApp) -> Value {
    app.seed().await;
    for (i, park) in [(1, "xxhtz"), (2, "xxhtz"), (3, "hqkfq")] {
        assert_eq!(
            app.post("/api/v1/enterprises", &app.admin, enterprise_body(i, park))
                .await
                .status,
            StatusCode::CREATED
        );
    }
    assert_eq!(
        app.put("/api/v1/patents/201710601862.3", &app.admin, patent_body(1))
            .await
            .status,
        StatusCode::CREATED
    );
    let mut second = patent_body(2);
    second["filing_date"] = json!("2018-03-05");
    assert_eq!(
        app.put("/api/v1/patents/201810601862.8", &app.admin, second)
            .await
            .status,
        StatusCode::CREATED
    );
    let b = app
        .post(
            "/api/v1/whitelist/batches",
            &app.admin,
            json!({"name": "2026年第一批知识产权金融普惠企业白名单", "valid_until": day(389)}),
        )
        .await;
    assert_eq!(b.status, StatusCode::CREATED, "{}", b.body);
    b.body
}

fn decision(version: i64) -> Value {
    json!({"version": version, "reason_code": "meets_criteria", "reason": "经复核符合条件"})
}

async fn nominate(app: &TestApp, token: &str, batch: i64, i: u32) -> Value {
    let a = app
        .post(
            &format!("/api/v1/whitelist/batches/{batch}/entries"),
            token,
            json!({"uscc": uscc(i)}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.body
}

async fn an_enterprise_goes_onto_the_list_and_banks_see_it(app: TestApp) {
    let batch = setup(&app).await;
    let bid = batch["id"].as_i64().expect("id");
    let park = app.token("park", Some("xxhtz"), None).await;
    let entry = nominate(&app, &park, bid, 1).await;
    assert_eq!(entry["status"], "nominated");
    assert_eq!(entry["screening"]["passed"], true);
    assert_eq!(entry["allowed"], json!(["approve", "reject", "remove"]));
    let id = entry["id"].as_i64().expect("id");
    let approved = app
        .post(
            &format!("/api/v1/whitelist/entries/{id}/approve"),
            &app.admin,
            decision(1),
        )
        .await;
    assert_eq!(
        (approved.status, approved.body["status"].as_str()),
        (StatusCode::OK, Some("approved")),
        "{}",
        approved.body
    );

    let bank = app.token("bank", None, Some("boc")).await;
    app.get(&format!("/api/v1/enterprises/{}", uscc(1)), &bank)
        .await
        .problem(403, "not_published");
    let published = app
        .post(
            &format!("/api/v1/whitelist/batches/{bid}/publish"),
            &app.admin,
            json!({"version": batch["version"]}),
        )
        .await;
    assert_eq!(published.body["status"], "published", "{}", published.body);

    let seen = app.get("/api/v1/whitelist/entries", &bank).await;
    assert_eq!(seen.body["items"].as_array().map(Vec::len), Some(1));
    assert!(seen.body["items"][0]["published_on"].as_str().is_some());
    let e = app
        .get(&format!("/api/v1/enterprises/{}", uscc(1)), &bank)
        .await;
    assert_eq!(e.status, StatusCode::OK);
    assert_eq!(
        (&e.body["contact"], &e.body["contact_withheld"]),
        (
            &json!({"name": "王**", "phone": "037****4567", "email": null}),
            &json!(true)
        ),
        "no consent: the contact masked"
    );
    // A patent of the listed enterprise that has lapsed: the bank's list of its patents
    // leaves it out, and reading it by number answers as for a patent that does not exist.
    let lapsed_number = pledge_ledger::sample_application_number(7);
    let mut lapsed = patent_body(1);
    lapsed["filing_date"] = json!(format!("{}-03-05", &lapsed_number[..4]));
    lapsed["grant_date"] = json!("2023-06-01");
    lapsed["legal_status"] = json!("lapsed_unpaid_fee");
    lapsed["annual_fee_paid_until"] = json!("2024-03-04");
    let put = app
        .put(
            &format!("/api/v1/patents/{lapsed_number}"),
            &app.admin,
            lapsed,
        )
        .await;
    assert_eq!(put.status, StatusCode::CREATED, "{}", put.body);
    let patents = app
        .get(&format!("/api/v1/enterprises/{}/patents", uscc(1)), &bank)
        .await;
    assert_eq!(patents.body["items"][0]["computed"]["valid"], true);
    assert_eq!(patents.body["items"].as_array().map(Vec::len), Some(1));
    app.get(&format!("/api/v1/patents/{lapsed_number}"), &bank)
        .await
        .problem(404, "not_found");
    assert_eq!(
        app.get(&format!("/api/v1/patents/{lapsed_number}"), &app.admin)
            .await
            .status,
        StatusCode::OK
    );
    app.get(&format!("/api/v1/enterprises/{}", uscc(2)), &bank)
        .await
        .problem(403, "not_published");
    // A patent of an enterprise off the list reads as one that does not exist.
    app.get("/api/v1/patents/201810601862.8", &bank)
        .await
        .problem(404, "not_found");
    // The ledger's flag does not open the contact: a consent recorded with its evidence does.
    let mut consenting = enterprise_body(1, "xxhtz");
    consenting["contact_consent"] = json!(true);
    consenting["version"] = json!(1);
    let a = app
        .put(
            &format!("/api/v1/enterprises/{}", uscc(1)),
            &app.admin,
            consenting,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let path = format!("/api/v1/enterprises/{}", uscc(1));
    assert_eq!(app.get(&path, &bank).await.body["contact"]["name"], "王**");
    let reads = |app: &TestApp| {
        let store = app.store.clone();
        async move {
            let filter = pledge_store::AuditFilter {
                entity: Some("contact".into()),
                ..Default::default()
            };
            store
                .audit_log(&filter, None, 100)
                .await
                .expect("audit")
                .items
                .len()
        }
    };
    assert_eq!(
        reads(&app).await,
        0,
        "a masked read is not a read of the contact"
    );
    let consent = app
        .post(
            &format!("/api/v1/enterprises/{}/consents", uscc(1)),
            &app.admin,
            json!({"bank": "boc", "valid_from": day(-340), "evidence_reference": "XX-SQ-2026-0001", "evidence_date": day(-340)}),
        )
        .await;
    assert_eq!(consent.status, StatusCode::CREATED, "{}", consent.body);
    for n in 1..=2 {
        let e = app.get(&path, &bank).await;
        assert_eq!(
            e.body["contact"]["phone"], "0373-1234567",
            "with consent, the bank sees the contact"
        );
        assert_eq!(reads(&app).await, n, "one audit record per read");
    }
    let withdrawn = app
        .delete(
            &format!(
                "/api/v1/enterprises/{}/consents/{}",
                uscc(1),
                consent.body["id"]
            ),
            &app.admin,
        )
        .await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.body);
    assert!(withdrawn.body["withdrawn_at"].is_string());
    assert_eq!(app.get(&path, &bank).await.body["contact"]["name"], "王**");
    assert_eq!(reads(&app).await, 2);

    let history = app
        .get(
            &format!("/api/v1/whitelist/entries/{id}/history"),
            &app.admin,
        )
        .await;
    let actions: Vec<&str> = history
        .body
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|h| h["action"].as_str())
        .collect();
    assert_eq!(actions, vec!["nominate", "approve", "publish"]);
    assert_eq!(history.body[1]["before"]["status"], "nominated");
    assert_eq!(history.body[1]["after"]["status"], "approved");
    assert!(
        history.body[1]["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("meets_criteria"))
    );
}

async fn every_role_hears_no(app: TestApp) {
    let batch = setup(&app).await;
    let bid = batch["id"].as_i64().expect("id");
    let park = app.token("park", Some("xxhtz"), None).await;
    let other_park = app.token("park", Some("hqkfq"), None).await;
    let bank = app.token("bank", None, Some("boc")).await;
    let entry = nominate(&app, &park, bid, 1).await;
    let id = entry["id"].as_i64().expect("id");
    let before = app.audit_len().await;

    app.post(
        &format!("/api/v1/whitelist/batches/{bid}/entries"),
        &park,
        json!({"uscc": uscc(3)}),
    )
    .await
    .problem(404, "not_found");
    app.post(
        &format!("/api/v1/whitelist/batches/{bid}/entries"),
        &park,
        json!({"uscc": uscc(1)}),
    )
    .await
    .problem(409, "already_listed");
    app.post(
        &format!("/api/v1/whitelist/batches/{bid}/entries"),
        &bank,
        json!({"uscc": uscc(2)}),
    )
    .await
    .problem(403, "read_only_role");
    app.post(
        &format!("/api/v1/whitelist/entries/{id}/approve"),
        &park,
        decision(1),
    )
    .await
    .problem(403, "admin_only");
    app.post(
        &format!("/api/v1/whitelist/entries/{id}/approve"),
        &bank,
        decision(1),
    )
    .await
    .problem(403, "admin_only");
    app.post(
        "/api/v1/whitelist/batches",
        &park,
        json!({"name": "私设批次", "valid_until": day(389)}),
    )
    .await
    .problem(403, "admin_only");
    app.post(
        &format!("/api/v1/whitelist/batches/{bid}/publish"),
        &park,
        json!({"version": 1}),
    )
    .await
    .problem(403, "admin_only");
    app.post(
        &format!("/api/v1/whitelist/entries/{id}/approve"),
        &app.admin,
        decision(9),
    )
    .await
    .problem(409, "version_conflict");
    let illegal = app
        .post(
            &format!("/api/v1/whitelist/entries/{id}/reinstate"),
            &app.admin,
            decision(1),
        )
        .await;
    assert!(
        illegal.problem(409, "illegal_transition")["detail"]
            .as_str()
            .is_some_and(|d| d.contains("approve, reject, remove"))
    );
    app.post(
        &format!("/api/v1/whitelist/entries/{id}/teleport"),
        &app.admin,
        decision(1),
    )
    .await
    .problem(404, "not_found");
    let refused = app
        .post(
            &format!("/api/v1/whitelist/batches/{bid}/publish"),
            &app.admin,
            json!({"version": 1}),
        )
        .await;
    refused.problem(409, "undecided_entries");
    // The refusal names the entries to decide.
    let detail = refused.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(&format!("#{id}")), "{detail}");
    let bad = app
        .post(
            &format!("/api/v1/whitelist/entries/{id}/reject"),
            &app.admin,
            json!({"version": 1, "reason_code": "because", "reason": ""}),
        )
        .await;
    assert_eq!(
        bad.field_errors(),
        vec![
            ("reason".to_owned(), "text_length".to_owned()),
            ("reason_code".to_owned(), "unknown_value".to_owned())
        ]
    );
    app.get(&format!("/api/v1/whitelist/entries/{id}"), &other_park)
        .await
        .problem(404, "not_found");
    app.get(&format!("/api/v1/whitelist/entries/{id}"), &bank)
        .await
        .problem(404, "not_found");
    app.get("/api/v1/whitelist/entries?status=nominated", &bank)
        .await
        .problem(403, "not_published");
    app.get("/api/v1/whitelist/entries?park=hqkfq", &park)
        .await
        .problem(403, "out_of_scope");
    app.get("/api/v1/audit", &bank)
        .await
        .problem(403, "admin_only");
    assert_eq!(
        app.audit_len().await,
        before,
        "every refusal changed nothing"
    );

    let own = app.get("/api/v1/audit?entity=whitelist_entry", &park).await;
    assert_eq!(own.body["items"].as_array().map(Vec::len), Some(1));
    let others = app
        .get("/api/v1/audit?entity=whitelist_entry", &other_park)
        .await;
    assert_eq!(others.body["items"].as_array().map(Vec::len), Some(0));
}

async fn the_nominator_never_approves(app: TestApp) {
    let batch = setup(&app).await;
    let bid = batch["id"].as_i64().expect("id");
    // 李处长 is one person with two tokens (office and phone): neither approves what the
    // other nominated.
    let li = app
        .post(
            "/api/v1/people",
            &app.admin,
            json!({"login": "li.cz", "name": "李处长", "role": "admin"}),
        )
        .await;
    assert_eq!(li.status, StatusCode::CREATED, "{}", li.body);
    let mut tokens = Vec::new();
    for device in ["办公电脑", "手机"] {
        let a = app
            .post(
                "/api/v1/tokens",
                &app.admin,
                json!({"person": "li.cz", "name": device}),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        tokens.push(a.body["token"].as_str().expect("token").to_owned());
    }
    let (admin_li, phone_li) = (&tokens[0], &tokens[1]);
    let own = nominate(&app, admin_li, bid, 1).await;
    let id = own["id"].as_i64().expect("id");
    for token in [admin_li, phone_li] {
        app.post(
            &format!("/api/v1/whitelist/entries/{id}/approve"),
            token,
            decision(1),
        )
        .await
        .problem(403, "four_eyes");
    }
    // A token 李处长 mints for a new person is still his doing.
    let minted = app
        .post(
            "/api/v1/tokens",
            phone_li,
            json!({"role": "admin", "name": "李处长"}),
        )
        .await;
    assert_eq!(minted.status, StatusCode::CREATED, "{}", minted.body);
    app.post(
        &format!("/api/v1/whitelist/entries/{id}/approve"),
        minted.body["token"].as_str().expect("token"),
        decision(1),
    )
    .await
    .problem(403, "four_eyes");
    let ok = app
        .post(
            &format!("/api/v1/whitelist/entries/{id}/approve"),
            &app.admin,
            decision(1),
        )
        .await;
    assert_eq!(ok.body["status"], "approved", "{}", ok.body);

    // (Nominated by a park official: 李处长's account was created by the office's first
    // admin, whose own nominations he may therefore not approve.)
    let park = app.token("park", Some("hqkfq"), None).await;
    let failing = nominate(&app, &park, bid, 3).await;
    assert_eq!(failing["screening"]["passed"], false);
    assert_eq!(
        failing["screening"]["failures"][0]["code"],
        "valid_invention_patents"
    );
    assert_eq!(
        (
            failing["screening"]["failures"][0]["need"].as_str(),
            failing["screening"]["failures"][0]["have"].as_str()
        ),
        (Some("1"), Some("0"))
    );
    let id3 = failing["id"].as_i64().expect("id");
    app.post(
        &format!("/api/v1/whitelist/entries/{id3}/approve"),
        admin_li,
        decision(1),
    )
    .await
    .problem(409, "screening_failed");
    let mut forced = decision(1);
    forced["override_reason"] = json!("该企业发明专利已获授权，登记在途，特批");
    let ok = app
        .post(
            &format!("/api/v1/whitelist/entries/{id3}/approve"),
            admin_li,
            forced,
        )
        .await;
    assert_eq!(
        (ok.body["status"].as_str(), ok.body["reason_code"].as_str()),
        (Some("approved"), Some("admin_override")),
        "{}",
        ok.body
    );
    assert!(
        ok.body["override_reason"]
            .as_str()
            .is_some_and(|r| r.contains("特批"))
    );
}

async fn racing_approvals_exactly_one_wins(app: TestApp) {
    let batch = setup(&app).await;
    let park = app.token("park", Some("xxhtz"), None).await;
    let entry = nominate(&app, &park, batch["id"].as_i64().expect("id"), 1).await;
    let path = format!("/api/v1/whitelist/entries/{}/approve", entry["id"]);
    let mut tasks = Vec::new();
    for _ in 0..5 {
        let (client, url, token) = (
            app.client.clone(),
            format!("{}{path}", app.base),
            app.admin.clone(),
        );
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&decision(1))
                .send()
                .await
                .map(|r| r.status().as_u16())
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("task").expect("answer"));
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
    let history = app
        .get(
            &format!("/api/v1/whitelist/entries/{}/history", entry["id"]),
            &app.admin,
        )
        .await;
    assert_eq!(
        history.body.as_array().map(Vec::len),
        Some(2),
        "one nomination, one approval"
    );
}

async fn publish_one(app: &TestApp, batch: &Value, i: u32) -> i64 {
    let park = app.token("park", Some("xxhtz"), None).await;
    let bid = batch["id"].as_i64().expect("id");
    let entry = nominate(app, &park, bid, i).await;
    let id = entry["id"].as_i64().expect("id");
    app.post(
        &format!("/api/v1/whitelist/entries/{id}/approve"),
        &app.admin,
        decision(1),
    )
    .await;
    let p = app
        .post(
            &format!("/api/v1/whitelist/batches/{bid}/publish"),
            &app.admin,
            json!({"version": batch["version"]}),
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    id
}

async fn a_risk_flag_suspends_at_once(app: TestApp) {
    let batch = setup(&app).await;
    let id = publish_one(&app, &batch, 1).await;
    let mut flagged = enterprise_body(1, "xxhtz");
    flagged["risk_flags"] = json!([{"kind": "dishonest_debtor", "recorded_on": day(-326)}]);
    flagged["version"] = json!(1);
    let a = app
        .put(
            &format!("/api/v1/enterprises/{}", uscc(1)),
            &app.admin,
            flagged,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let e = app
        .get(&format!("/api/v1/whitelist/entries/{id}"), &app.admin)
        .await;
    assert_eq!(
        (e.body["status"].as_str(), e.body["reason_code"].as_str()),
        (Some("suspended"), Some("risk_flag")),
        "{}",
        e.body
    );
    assert!(
        e.body["reason"]
            .as_str()
            .is_some_and(|r| r.contains("失信被执行人"))
    );
    let bank = app.token("bank", None, Some("boc")).await;
    app.get(&format!("/api/v1/enterprises/{}", uscc(1)), &bank)
        .await
        .problem(403, "not_published");
    let version = e.body["version"].as_i64().expect("version");
    let back = app.post(&format!("/api/v1/whitelist/entries/{id}/reinstate"), &app.admin, json!({"version": version, "reason_code": "data_corrected", "reason": "法院已撤销失信记录"})).await;
    assert_eq!(back.body["status"], "published", "{}", back.body);

    let mut lapsed = patent_body(1);
    lapsed["legal_status"] = json!("lapsed_unpaid_fee");
    lapsed["version"] = json!(1);
    assert_eq!(
        app.put("/api/v1/patents/201710601862.3", &app.admin, lapsed)
            .await
            .status,
        StatusCode::OK
    );
    let e = app
        .get(&format!("/api/v1/whitelist/entries/{id}"), &app.admin)
        .await;
    assert_eq!(
        (e.body["status"].as_str(), e.body["reason_code"].as_str()),
        (Some("suspended"), Some("lost_valid_ip")),
        "{}",
        e.body
    );
}

/// The day a batch was first published, as its history says (a reopened batch keeps it).
async fn batch_published_on(app: &TestApp, batch: &Value) -> Value {
    let log = app
        .get("/api/v1/audit?entity=whitelist_batch", &app.admin)
        .await;
    let key = batch["id"].to_string();
    log.body["items"]
        .as_array()
        .and_then(|items| {
            items
                .iter()
                .find(|r| r["entity_key"] == key.as_str() && r["action"] == "publish")
        })
        .map(|r| r["after"]["published_on"].clone())
        .unwrap_or_default()
}

async fn rescreening_expires_and_suspends(app: TestApp) {
    setup(&app).await;
    // A batch whose validity ends today: a re-screening dated tomorrow expires it.
    let today = crate::helpers::today();
    let b = app
        .post(
            "/api/v1/whitelist/batches",
            &app.admin,
            json!({"name": "今日到期批次", "valid_until": today.to_string()}),
        )
        .await;
    assert_eq!(b.status, StatusCode::CREATED, "{}", b.body);
    let batch = b.body;
    let id = publish_one(&app, &batch, 1).await;
    let rescreen = |body: Value| {
        let app = &app;
        async move {
            app.post("/api/v1/whitelist/rescreen", &app.admin, body)
                .await
        }
    };
    let r = rescreen(json!({"as_of": today.to_string()})).await;
    assert_eq!(
        (
            r.body["checked"].as_i64(),
            r.body["suspended"].as_array().map(Vec::len),
            r.body["expired"].as_array().map(Vec::len)
        ),
        (Some(1), Some(0), Some(0)),
        "{}",
        r.body
    );
    // One request cannot expire the whole list by a date far ahead.
    let before = app.audit_len().await;
    for far in [
        "9999-12-31".to_owned(),
        (today + chrono::Days::new(8)).to_string(),
    ] {
        let r = rescreen(json!({"as_of": far})).await;
        r.problem(422, "validation_failed");
        assert_eq!(
            r.field_errors(),
            vec![("as_of".into(), "out_of_range".into())]
        );
    }
    // A dry run says what a run would do, and does nothing.
    let tomorrow = (today + chrono::Days::new(1)).to_string();
    let r = rescreen(json!({"as_of": tomorrow, "dry_run": true})).await;
    assert_eq!(r.body["dry_run"], true, "{}", r.body);
    assert_eq!(r.body["expired"], json!([id]), "{}", r.body);
    assert_eq!(app.audit_len().await, before, "a dry run writes nothing");
    let e = app
        .get(&format!("/api/v1/whitelist/entries/{id}"), &app.admin)
        .await;
    assert_eq!(e.body["status"], "published");
    assert!(r.body["run"].is_null(), "a dry run is no run: {}", r.body);
    let r = rescreen(json!({"as_of": tomorrow.clone()})).await;
    assert_eq!(r.body["dry_run"], false, "{}", r.body);
    assert_eq!(r.body["expired"], json!([id]), "{}", r.body);
    assert_eq!(r.body["closed_batches"], json!([batch["id"]]));
    // A run is one audited action, and the office can undo it, once.
    let run = r.body["run"].as_i64().expect("the run");
    let entry = format!("/api/v1/whitelist/entries/{id}");
    let batch_path = format!("/api/v1/whitelist/batches/{}", batch["id"]);
    let reverse = format!("/api/v1/whitelist/rescreen/{run}/reverse");
    let park = app.token("park", Some("xxhtz"), None).await;
    app.post(&reverse, &park, json!({}))
        .await
        .problem(403, "admin_only");
    let undone = app.post(&reverse, &app.admin, json!({})).await;
    assert_eq!(undone.status, StatusCode::OK, "{}", undone.body);
    assert_eq!(undone.body["restored"], json!([id]), "{}", undone.body);
    assert_eq!(
        undone.body["reopened"],
        json!([batch["id"]]),
        "{}",
        undone.body
    );
    assert_eq!(undone.body["kept"], json!([]), "{}", undone.body);
    let back = app.get(&entry, &app.admin).await;
    assert_eq!(back.body["status"], "published", "{}", back.body);
    let b = app.get(&batch_path, &app.admin).await;
    assert_eq!(b.body["status"], "published", "{}", b.body);
    assert!(b.body["published_on"].is_string(), "{}", b.body);
    assert_eq!(
        b.body["published_on"],
        batch_published_on(&app, &batch).await
    );
    app.post(&reverse, &app.admin, json!({}))
        .await
        .problem(409, "illegal_transition");
    app.post(
        "/api/v1/whitelist/rescreen/99999/reverse",
        &app.admin,
        json!({}),
    )
    .await
    .problem(404, "not_found");
    // Expired again by a second run, for what follows.
    let r = rescreen(json!({"as_of": tomorrow})).await;
    assert_eq!(r.body["expired"], json!([id]), "{}", r.body);
    let e = app
        .get(&format!("/api/v1/whitelist/entries/{id}"), &app.admin)
        .await;
    assert_eq!(e.body["status"], "expired");
    assert_eq!(e.body["allowed"], json!([]));
    let park = app.token("park", Some("xxhtz"), None).await;
    let again = app
        .post(
            &format!("/api/v1/whitelist/batches/{}/entries", batch["id"]),
            &park,
            json!({"uscc": uscc(1)}),
        )
        .await;
    again.problem(409, "batch_not_draft");
    let b = app
        .post(
            "/api/v1/whitelist/batches",
            &app.admin,
            json!({"name": "2028年第一批", "valid_until": day(1120)}),
        )
        .await;
    let renewed = app
        .post(
            &format!("/api/v1/whitelist/batches/{}/entries", b.body["id"]),
            &park,
            json!({"uscc": uscc(1)}),
        )
        .await;
    assert_eq!(
        renewed.status,
        StatusCode::CREATED,
        "an expired entry is no longer live: {}",
        renewed.body
    );
}

async fn exports_read_back_cell_by_cell(app: TestApp) {
    use calamine::{Data, Reader, Xlsx};
    let batch = setup(&app).await;
    publish_one(&app, &batch, 1).await;
    let url = format!(
        "{}/api/v1/whitelist/batches/{}/export?format=xlsx&as_of={}",
        app.base,
        batch["id"],
        day(-10)
    );
    let res = app
        .client
        .get(&url)
        .bearer_auth(&app.admin)
        .send()
        .await
        .expect("export");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .contains("spreadsheetml")
    );
    let bytes = res.bytes().await.expect("bytes").to_vec();
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("a workbook");
    let sheet = wb.worksheet_range("白名单").expect("sheet");
    let rows: Vec<Vec<Data>> = sheet.rows().map(|r| r.to_vec()).collect();
    // A title names the list, the batch, its validity and the day of the figures.
    assert_eq!(
        rows[0][0].to_string(),
        format!(
            "2026年第一批知识产权金融普惠企业白名单（第1批，已发布，有效期至{}，数据截至{}）",
            day(389),
            day(-10)
        )
    );
    let header: Vec<String> = rows[1].iter().map(|c| c.to_string()).collect();
    assert_eq!(
        header,
        vec![
            "序号",
            "企业名称",
            "统一社会信用代码",
            "园区代码",
            "所属园区",
            "行业代码",
            "所属行业",
            "有效发明专利数",
            "高价值发明专利数",
            "资质",
            "入选日期",
            "批次",
            "状态"
        ]
    );
    assert_eq!(rows.len(), 3);
    let r = &rows[2];
    assert_eq!(r[0], Data::Float(1.0));
    assert_eq!(r[1], Data::String("新乡市测试1机械有限公司".into()));
    assert_eq!(r[2], Data::String(uscc(1)));
    assert_eq!(r[3], Data::String("xxhtz".into()));
    assert_eq!(r[4], Data::String("新乡高新区".into()));
    assert_eq!(r[5], Data::String("C3421".into()));
    assert_eq!(r[6], Data::String("通用设备制造业".into()));
    assert_eq!(r[7], Data::Float(1.0));
    assert_eq!(
        r[8],
        Data::Float(1.0),
        "strategic emerging industry makes it high-value"
    );
    assert_eq!(r[9], Data::String("高新技术企业".into()));
    assert_eq!(r[12], Data::String("已发布".into()));
    let serial = match &r[10] {
        Data::DateTime(d) => d.as_f64(),
        other => panic!("入选日期 is not a date cell: {other:?}"),
    };
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).expect("Excel's epoch");
    assert_eq!(
        serial,
        (crate::helpers::today() - epoch).num_days() as f64,
        "published today"
    );

    let csv = app
        .client
        .get(format!(
            "{}/api/v1/whitelist/batches/{}/export?format=csv",
            app.base, batch["id"]
        ))
        .bearer_auth(&app.admin)
        .send()
        .await
        .expect("csv");
    let text = csv.bytes().await.expect("bytes");
    assert!(
        text.starts_with(b"\xEF\xBB\xBF"),
        "UTF-8 with BOM for Excel and WPS"
    );
    let body = String::from_utf8(text[3..].to_vec()).expect("utf-8");
    let lines: Vec<&str> = body.lines().collect();
    assert!(
        lines[0].contains(&format!("有效期至{}", day(389))),
        "{}",
        lines[0]
    );
    assert_eq!(
        lines[1],
        "序号,企业名称,统一社会信用代码,园区代码,所属园区,行业代码,所属行业,有效发明专利数,高价值发明专利数,资质,入选日期,批次,状态"
    );
    assert!(
        lines[2].starts_with(&format!(
            "1,新乡市测试1机械有限公司,{},xxhtz,新乡高新区,C3421,通用设备制造业,1,1,高新技术企业,",
            uscc(1)
        )),
        "{}",
        lines[2]
    );
    // The list as it stands today, across batches.
    let current = app
        .client
        .get(format!("{}/api/v1/whitelist/export?format=csv", app.base))
        .bearer_auth(&app.admin)
        .send()
        .await
        .expect("current list");
    assert_eq!(current.status(), StatusCode::OK);
    let text = current.bytes().await.expect("bytes");
    let body = String::from_utf8(text[3..].to_vec()).expect("utf-8");
    let lines: Vec<&str> = body.lines().collect();
    assert!(lines[0].contains("在册，共1家"), "{}", lines[0]);
    assert!(lines[2].contains(&uscc(1)), "{}", lines[2]);
    assert_eq!(lines.len(), 3, "only entries in force: {body}");

    let other = app.token("park", Some("hqkfq"), None).await;
    let res = app
        .client
        .get(format!(
            "{}/api/v1/whitelist/batches/{}/export?format=csv",
            app.base, batch["id"]
        ))
        .bearer_auth(&other)
        .send()
        .await
        .expect("csv");
    let body = res.text().await.expect("text");
    assert_eq!(
        body.lines().count(),
        2,
        "another park's export holds only the title and the header: {body}"
    );
    let a = app
        .call(
            Method::GET,
            &format!(
                "/api/v1/whitelist/batches/{}/export?format=pdf",
                batch["id"]
            ),
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(
        a.field_errors(),
        vec![("format".to_owned(), "unknown_value".to_owned())]
    );
}
