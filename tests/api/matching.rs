use crate::helpers::day;
use crate::helpers::{TestApp, e2e, enterprise_body, patent_body, uscc};
use chrono::NaiveDate;
use reqwest::StatusCode;
use serde_json::{Value, json};

e2e!(
    a_bank_finds_listed_enterprises_with_their_bundles,
    a_risk_flag_takes_an_enterprise_out_of_matches_at_once,
    gap_analysis_names_what_is_missing,
    match_lists_page_and_export,
    products_are_validated_versioned_and_retired,
    every_role_hears_no_on_products,
    the_index_rolls_over_to_a_new_day,
    unusual_terms_are_refused_with_their_unit,
    near_misses_name_the_one_rule,
    explanations_judge_every_item,
    a_bank_checks_its_applicants,
);

/// A bank's applicants, as its own sheet lists them, checked against the city's list.
async fn a_bank_checks_its_applicants(app: TestApp) {
    let (bank, product) = market(&app).await;
    let icbc = app.token("bank", None, Some("icbc")).await;
    let park = app.token("park", Some("xxhtz"), None).await;
    let sheet = format!(
        "客户名称,统一社会信用代码\n甲,{}\n乙,{}\n丙,{}\n丁,91410702XXXX\n",
        uscc(1),
        uscc(3),
        uscc(999)
    );
    let check = |token: &str| {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(sheet.clone().into_bytes()).file_name("申请客户.csv"),
        );
        app.client
            .post(format!("{}/api/v1/applicant-checks", app.base))
            .bearer_auth(token)
            .multipart(form)
            .send()
    };
    let res = check(&bank).await.expect("check");
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    let statuses: Vec<&str> = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["status"].as_str().unwrap_or(""))
        .collect();
    // In the order sent; an enterprise off the list and an unknown code read alike.
    assert_eq!(
        statuses,
        ["listed", "not_listed", "not_listed", "unreadable"]
    );
    assert_eq!(
        (&body["listed"], &body["not_listed"], &body["unreadable"]),
        (&json!(1), &json!(2), &json!(1))
    );
    let listed = &body["items"][0]["listed"];
    assert!(
        listed["valid_invention_patents"].as_u64() >= Some(1),
        "{listed}"
    );
    assert_eq!(listed["qualifications"], json!(["high_tech"]));
    assert_eq!(listed["products"][0]["product_id"], product);
    assert_eq!(listed["products"][0]["eligible"], true);
    assert!(
        body["items"][1].get("listed").is_none(),
        "nothing of an unlisted one"
    );
    assert!(body["items"][3]["problem"]["message"].as_str().is_some());
    // Another bank sees its own products only (it has none); a park official checks nothing.
    let res = check(&icbc).await.expect("check");
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["items"][0]["listed"]["products"], json!([]));
    let res = check(&park).await.expect("check");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

/// An explanation names each patent with its place for the product and every reason it is out.
async fn explanations_judge_every_item(app: TestApp) {
    let (bank, id) = market(&app).await;
    let places = |body: &Value| -> Vec<(String, String, Vec<String>)> {
        body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| {
                (
                    i["number"].as_str().unwrap_or_default().to_owned(),
                    i["place"].as_str().unwrap_or_default().to_owned(),
                    i["reasons"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|r| r["code"].as_str().map(str::to_owned))
                        .collect(),
                )
            })
            .collect()
    };
    let one = app
        .get(
            &format!("/api/v1/products/{id}/matches/{}", uscc(1)),
            &app.admin,
        )
        .await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    let items = places(&one.body);
    let of = |n: &str| items.iter().find(|(x, _, _)| x == n).cloned().expect(n);
    assert_eq!(of("201710601862.3").1, "in_bundle", "{items:?}");
    let (_, place, why) = of("201610601862.9");
    assert_eq!(place, "out");
    assert!(why.contains(&"terminated".to_owned()), "{why:?}");
    assert!(
        of("201510601862.4")
            .2
            .contains(&"already_pledged".to_owned())
    );
    assert!(
        of("201410601862.X")
            .2
            .contains(&"co_owners_without_consent".to_owned())
    );
    let message = one.body["items"]
        .as_array()
        .and_then(|i| i.iter().find(|i| i["number"] == "201410601862.X"))
        .and_then(|i| i["reasons"][0]["message"].as_str())
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.contains("郑州某某大学"),
        "names the co-owner: {message}"
    );
    // A bank sees the valid ones only, as it sees the enterprise's patents.
    let seen = app
        .get(&format!("/api/v1/products/{id}/matches/{}", uscc(1)), &bank)
        .await;
    let numbers: Vec<String> = places(&seen.body).into_iter().map(|(n, _, _)| n).collect();
    assert!(
        !numbers.contains(&"201610601862.9".to_owned()),
        "{numbers:?}"
    );
    assert!(numbers.contains(&"201710601862.3".to_owned()));
    // The gap analysis carries the same judgement per product.
    let park = app.token("park", Some("xxhtz"), None).await;
    let gaps = app
        .get(&format!("/api/v1/enterprises/{}/matches", uscc(1)), &park)
        .await;
    assert_eq!(gaps.status, StatusCode::OK, "{}", gaps.body);
    assert_eq!(places(&gaps.body[0]).len(), 4, "{}", gaps.body);
}

/// Near misses: listed enterprises one rule away from a product, with the rule and its
/// figures; a bank's own products only.
async fn near_misses_name_the_one_rule(app: TestApp) {
    let (bank, zhihuidai_id) = market(&app).await;
    // Both listed enterprises qualify but for eight years in operation (founded 2015).
    let mut older = zhihuidai();
    older["name"] = json!("老字号贷");
    older["min_years_in_operation"] = json!(30);
    let a = app.post("/api/v1/products", &bank, older).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let id = a.body["id"].as_i64().expect("id");
    let misses = app
        .get(&format!("/api/v1/products/{id}/near-misses?limit=1"), &bank)
        .await;
    assert_eq!(misses.status, StatusCode::OK, "{}", misses.body);
    let first = &misses.body["items"][0];
    assert_eq!(first["uscc"], uscc(1), "{}", misses.body);
    assert_eq!(first["reasons"].as_array().map(Vec::len), Some(1));
    assert_eq!(first["reasons"][0]["code"], "years_in_operation");
    assert_eq!(first["reasons"][0]["need"]["value"], 30, "{first}");
    let next = misses.body["next_cursor"]
        .as_str()
        .expect("more")
        .to_owned();
    let rest = app
        .get(
            &format!("/api/v1/products/{id}/near-misses?after={next}"),
            &bank,
        )
        .await;
    let rest: Vec<&str> = rest.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["uscc"].as_str())
        .collect();
    assert_eq!(
        rest,
        [uscc(2).as_str()],
        "the unlisted enterprise 3 is never shown"
    );
    // Not a near miss of a product it qualifies for.
    let none = app
        .get(
            &format!("/api/v1/products/{zhihuidai_id}/near-misses"),
            &bank,
        )
        .await;
    assert_eq!(
        none.body["items"].as_array().map(Vec::len),
        Some(0),
        "{}",
        none.body
    );
    // Another bank's product is unknown to a bank; a park official is refused.
    let other = app.token("bank", None, Some("icbc")).await;
    app.get(&format!("/api/v1/products/{id}/near-misses"), &other)
        .await
        .problem(404, "not_found");
    let park = app.token("park", Some("xxhtz"), None).await;
    app.get(&format!("/api/v1/products/{id}/near-misses"), &park)
        .await
        .problem(403, "bank_or_admin");
}

/// A product written in 元 where 万元 was meant, or in bp where percent was, is caught.
async fn unusual_terms_are_refused_with_their_unit(app: TestApp) {
    let (bank, _) = market(&app).await;
    let mut slip = zhihuidai();
    slip["name"] = json!("小额试点贷");
    slip["amount_min_fen"] = json!(200);
    slip["amount_max_fen"] = json!(1_000);
    slip["pledge_rates_bp"] = json!({"invention": 30});
    let before = app.audit_len().await;
    let a = app.post("/api/v1/products", &bank, slip.clone()).await;
    a.problem(422, "validation_failed");
    let errors = a.body["errors"].as_array().expect("errors").clone();
    let said = |field: &str| {
        errors
            .iter()
            .find(|e| e["field"] == field && e["code"] == "unusual_value")
            .and_then(|e| e["message"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(said("amount_min_fen").contains("2.00元"), "{errors:?}");
    assert!(said("amount_min_fen").contains("10.00万元"), "{errors:?}");
    assert!(said("amount_max_fen").contains("10.00元"), "{errors:?}");
    assert!(
        said("pledge_rates_bp.invention").contains("0.30%"),
        "{errors:?}"
    );
    assert!(
        said("pledge_rates_bp.invention").contains("10.00%"),
        "{errors:?}"
    );
    assert_eq!(
        app.audit_len().await,
        before,
        "a refused product writes nothing"
    );
    // Meant so: said so, and taken.
    slip["confirm_unusual"] = json!(true);
    let a = app.post("/api/v1/products", &bank, slip.clone()).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    // The office sets the ranges; nobody else may.
    let usual = app.get("/api/v1/products/usual-terms", &bank).await;
    assert_eq!(usual.status, StatusCode::OK, "{}", usual.body);
    assert_eq!(usual.body["amount_min_fen"], 10_000_000);
    assert_eq!(usual.body["version"], 0);
    let mut wider = usual.body.clone();
    wider["amount_min_fen"] = json!(100);
    wider["pledge_rate_min_bp"] = json!(10);
    app.put("/api/v1/products/usual-terms", &bank, wider.clone())
        .await
        .problem(403, "admin_only");
    let set = app
        .put("/api/v1/products/usual-terms", &app.admin, wider.clone())
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    assert_eq!(set.body["version"], 1);
    app.put("/api/v1/products/usual-terms", &app.admin, wider)
        .await
        .problem(409, "version_conflict");
    slip["confirm_unusual"] = json!(false);
    slip["name"] = json!("小额试点贷二期");
    let a = app.post("/api/v1/products", &bank, slip).await;
    assert_eq!(
        a.status,
        StatusCode::CREATED,
        "within the office's ranges: {}",
        a.body
    );
}

/// Adds an appraisal valid today, until day +176, to a patent.
async fn appraise(app: &TestApp, number: &str, fen: i64) {
    appraise_until(app, number, fen, day(176)).await;
}

/// Adds an appraisal made on day -189 and valid until `valid_until` to a patent.
pub async fn appraise_until(app: &TestApp, number: &str, fen: i64, valid_until: NaiveDate) {
    let a = app
        .post(
            &format!("/api/v1/patents/{number}/appraisals"),
            &app.admin,
            json!({"amount_fen": fen, "appraised_on": day(-189), "valid_until": valid_until, "appraiser": "河南中原资产评估有限公司"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
}

pub async fn put_patent(app: &TestApp, number: &str, body: Value) {
    let a = app
        .put(&format!("/api/v1/patents/{number}"), &app.admin, body)
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{number}: {}", a.body);
}

/// The sheet of a product's match export, as `token` downloads it.
async fn match_sheet(app: &TestApp, token: &str, id: i64) -> calamine::Range<calamine::Data> {
    use calamine::{Reader, Xlsx};
    let res = app
        .client
        .get(format!(
            "{}/api/v1/products/{id}/matches?format=xlsx",
            app.base
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("xlsx");
    let bytes = res.bytes().await.expect("bytes").to_vec();
    let mut book = Xlsx::new(std::io::Cursor::new(bytes)).expect("workbook");
    book.worksheet_range("匹配企业").expect("sheet")
}

/// 知惠贷 of boc, as sent.
pub fn zhihuidai() -> Value {
    json!({
        "name": "知惠贷",
        "amount_min_fen": 50_000_000,
        "amount_max_fen": 3_000_000_000i64,
        "max_term_months": 36,
        "rate_cap_over_lpr_bp": 80,
        "pledge_rates_bp": {"invention": 2500, "utility_model": 1500, "trademark": 5000},
        "min_remaining_months": 24,
        "qualifications_any": ["high_tech", "specialized"],
        "excluded_risk_flags": ["dishonest_debtor", "abnormal_operation"],
        "region_prefixes": ["4107"],
        "min_valid_invention_patents": 1,
        "interest_subsidy": "按LPR的50%贴息",
        "risk_pool": true,
        "valid_from": day(-340),
        "valid_until": day(755)
    })
}

/// The market: enterprises 1 and 2 of xxhtz on the published list, 3 of hqkfq not listed.
/// Enterprise 1 holds a good invention patent (appraised 1000万) and three that must never be
/// pledged: lapsed, pledged, co-owned without consent (each appraised higher). Enterprise 2
/// holds one good patent appraised 400万. boc publishes 知惠贷. Returns (bank token, product id).
pub async fn market(app: &TestApp) -> (String, i64) {
    app.seed().await;
    for (i, park) in [(1, "xxhtz"), (2, "xxhtz"), (3, "hqkfq")] {
        let a = app
            .post("/api/v1/enterprises", &app.admin, enterprise_body(i, park))
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    }
    put_patent(app, "201710601862.3", patent_body(1)).await;
    appraise(app, "201710601862.3", 1_000_000_000).await;
    let mut lapsed = patent_body(1);
    lapsed["legal_status"] = json!("lapsed_unpaid_fee");
    lapsed["filing_date"] = json!("2016-03-05");
    put_patent(app, "201610601862.9", lapsed).await;
    let mut pledged = patent_body(1);
    pledged["filing_date"] = json!("2015-03-05");
    pledged["pledges"] =
        json!([{"registration_number": "Y2025410000123", "registered_on": day(-585)}]);
    put_patent(app, "201510601862.4", pledged).await;
    let mut co_owned = patent_body(1);
    co_owned["filing_date"] = json!("2014-03-05");
    co_owned["co_owners"] = json!(["郑州某某大学"]);
    co_owned["co_owners_consent"] = json!(false);
    put_patent(app, "201410601862.X", co_owned).await;
    for n in ["201610601862.9", "201510601862.4", "201410601862.X"] {
        appraise(app, n, 5_000_000_000).await;
    }
    let mut second = patent_body(2);
    second["filing_date"] = json!("2018-03-05");
    put_patent(app, "201810601862.8", second).await;
    appraise(app, "201810601862.8", 400_000_000).await;

    publish_list(app, &[1, 2]).await;
    publish_zhihuidai(app).await
}

/// Lists test enterprises `which` of xxhtz in a batch valid until day +389, nominated by the
/// park and approved and published by the office.
pub async fn publish_list(app: &TestApp, which: &[u32]) {
    let batch = app.draft_batch("2026年第一批").await;
    let park = app.token("park", Some("xxhtz"), None).await;
    for i in which {
        let e = app
            .post(
                &format!("/api/v1/whitelist/batches/{batch}/entries"),
                &park,
                json!({"uscc": uscc(*i)}),
            )
            .await;
        assert_eq!(e.status, StatusCode::CREATED, "{}", e.body);
        let id = e.body["id"].as_i64().expect("entry id");
        let a = app
            .post(
                &format!("/api/v1/whitelist/entries/{id}/approve"),
                &app.admin,
                json!({"version": 1, "reason_code": "meets_criteria", "reason": "符合条件"}),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    }
    let p = app
        .post(
            &format!("/api/v1/whitelist/batches/{batch}/publish"),
            &app.admin,
            json!({"version": 1}),
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
}

/// boc drafts and publishes 知惠贷: (bank token, product id).
pub async fn publish_zhihuidai(app: &TestApp) -> (String, i64) {
    publish_product(app, zhihuidai()).await
}

/// boc publishes `product`. Returns (bank token, product id).
pub async fn publish_product(app: &TestApp, product: Value) -> (String, i64) {
    let bank = app.token("bank", None, Some("boc")).await;
    let created = app.post("/api/v1/products", &bank, product).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["status"], "draft");
    assert_eq!(created.body["bank"], "boc");
    let id = created.body["id"].as_i64().expect("product id");
    let published = app
        .post(
            &format!("/api/v1/products/{id}/publish"),
            &bank,
            json!({"version": 1}),
        )
        .await;
    assert_eq!(published.body["status"], "published", "{}", published.body);
    (bank, id)
}

fn numbers(m: &Value) -> Vec<&str> {
    m["bundle"]
        .as_array()
        .map(|b| b.iter().filter_map(|i| i["number"].as_str()).collect())
        .unwrap_or_default()
}

async fn a_bank_finds_listed_enterprises_with_their_bundles(app: TestApp) {
    let (bank, id) = market(&app).await;
    let list = app
        .get(&format!("/api/v1/products/{id}/matches"), &bank)
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.body["total"], 2, "{}", list.body);
    let first = &list.body["items"][0];
    assert_eq!(first["uscc"], uscc(1));
    assert_eq!(first["name"], "新乡市测试1机械有限公司");
    assert_eq!(first["eligible"], true);
    // Only the good patent: 1000万 × 25% = 250万; the lapsed, pledged and co-owned ones,
    // though appraised higher, never enter the bundle.
    assert_eq!(numbers(first), vec!["201710601862.3"]);
    assert_eq!(first["credit_line_fen"], 250_000_000);
    assert_eq!(first["bundle"][0]["pledge_rate_bp"], 2500);
    assert_eq!(first["left_free"], 0);
    let second = &list.body["items"][1];
    assert_eq!(second["uscc"], uscc(2));
    assert_eq!(second["credit_line_fen"], 100_000_000);
    assert!(first["score"]["total"].as_u64() > second["score"]["total"].as_u64());
    let parts = &first["score"];
    let sum: u64 = [
        "coverage",
        "high_value",
        "remaining_term",
        "qualifications",
        "appraisal_freshness",
    ]
    .iter()
    .filter_map(|k| parts[*k].as_u64())
    .sum();
    assert_eq!(parts["total"].as_u64(), Some(sum));

    let explained = app
        .get(&format!("/api/v1/products/{id}/matches/{}", uscc(1)), &bank)
        .await;
    assert_eq!(explained.status, StatusCode::OK, "{}", explained.body);
    assert_eq!(explained.body["product_name"], "知惠贷");
    assert_eq!(explained.body["loan_end"].as_str().map(str::len), Some(10));
    assert_eq!(numbers(&explained.body), vec!["201710601862.3"]);

    // The enterprise not on the list stays invisible to the bank.
    app.get(&format!("/api/v1/products/{id}/matches/{}", uscc(3)), &bank)
        .await
        .problem(403, "not_published");
    // Preview: the same rules count the same enterprises, by park.
    let preview = app
        .post("/api/v1/products/preview", &bank, zhihuidai())
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert_eq!(preview.body["eligible"], 2);
    assert_eq!(
        preview.body["by_park"],
        json!([{"park": "xxhtz", "eligible": 2}])
    );
    assert_eq!(preview.body["credit_lines_fen"], 350_000_000);
    let mut strict = zhihuidai();
    strict["amount_min_fen"] = json!(200_000_000);
    let preview = app.post("/api/v1/products/preview", &bank, strict).await;
    assert_eq!(preview.body["eligible"], 1, "{}", preview.body);
}

async fn a_risk_flag_takes_an_enterprise_out_of_matches_at_once(app: TestApp) {
    let (bank, id) = market(&app).await;
    let mut flagged = enterprise_body(2, "xxhtz");
    flagged["risk_flags"] = json!([{"kind": "abnormal_operation", "recorded_on": day(-326)}]);
    flagged["version"] = json!(1);
    let a = app
        .put(
            &format!("/api/v1/enterprises/{}", uscc(2)),
            &app.admin,
            flagged,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let list = app
        .get(&format!("/api/v1/products/{id}/matches"), &bank)
        .await;
    assert_eq!(list.body["total"], 1, "{}", list.body);
    assert_eq!(list.body["items"][0]["uscc"], uscc(1));
    let why = app
        .get(
            &format!("/api/v1/products/{id}/matches/{}", uscc(2)),
            &app.admin,
        )
        .await;
    assert_eq!(why.body["eligible"], false);
    let codes: Vec<&str> = why.body["reasons"]
        .as_array()
        .map(|r| r.iter().filter_map(|x| x["code"].as_str()).collect())
        .unwrap_or_default();
    assert!(codes.contains(&"risk_flag"), "{codes:?}");

    // A write by another process (here the store itself, as the CLI writes) is followed
    // within the follower's interval: a fresh, higher appraisal lifts enterprise 1's credit
    // line.
    let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 2).expect("date");
    let number = pledge_domain::PatentApplicationNumber::parse("201710601862.3").expect("number");
    app.store
        .add_patent_appraisal(
            &pledge_domain::Actor::cli_on("test", today),
            &number,
            pledge_domain::Appraisal {
                amount: pledge_domain::Money::from_yuan(20_000_000).expect("money"),
                appraised_on: today,
                valid_until: chrono::NaiveDate::from_ymd_opt(2027, 6, 1).expect("date"),
                appraiser: "河南中原资产评估有限公司".into(),
            },
            None,
        )
        .await
        .expect("appraisal");
    let mut list = app
        .get(&format!("/api/v1/products/{id}/matches"), &bank)
        .await;
    for _ in 0..200 {
        if list.body["items"][0]["credit_line_fen"] == 500_000_000 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        list = app
            .get(&format!("/api/v1/products/{id}/matches"), &bank)
            .await;
    }
    assert_eq!(
        list.body["items"][0]["credit_line_fen"], 500_000_000,
        "{}",
        list.body
    );

    // A patent change is seen at once too: the good patent of enterprise 1 lapses.
    let current = app.get("/api/v1/patents/201710601862.3", &app.admin).await;
    let mut lapsed = patent_body(1);
    lapsed["legal_status"] = json!("lapsed_unpaid_fee");
    lapsed["version"] = current.body["version"].clone();
    let a = app
        .put("/api/v1/patents/201710601862.3", &app.admin, lapsed)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let list = app
        .get(&format!("/api/v1/products/{id}/matches"), &bank)
        .await;
    assert_eq!(list.body["total"], 0, "{}", list.body);
}

async fn gap_analysis_names_what_is_missing(app: TestApp) {
    let (_, id) = market(&app).await;
    let park = app.token("park", Some("hqkfq"), None).await;
    let gaps = app
        .get(&format!("/api/v1/enterprises/{}/matches", uscc(3)), &park)
        .await;
    assert_eq!(gaps.status, StatusCode::OK, "{}", gaps.body);
    let views = gaps.body.as_array().expect("array");
    assert_eq!(views.len(), 1);
    let v = &views[0];
    assert_eq!(v["product_id"], id);
    assert_eq!(v["product_name"], "知惠贷");
    assert_eq!(v["eligible"], false);
    let reasons = v["reasons"].as_array().expect("reasons");
    let by_code = |code: &str| reasons.iter().find(|r| r["code"] == code);
    let inventions = by_code("valid_invention_patents").expect("invention rule");
    assert_eq!(inventions["need"], json!({"unit": "count", "value": 1}));
    assert_eq!(inventions["have"], json!({"unit": "count", "value": 0}));
    assert!(
        inventions["message_zh"]
            .as_str()
            .is_some_and(|m| m.contains("还需1件")),
        "{inventions}"
    );
    assert!(by_code("not_listed").is_some());
    assert!(by_code("no_pledgeable_ip").is_some());
    // A draft is not part of anyone's gap analysis.
    let bank = app.token("bank", None, Some("boc")).await;
    let draft = app.post("/api/v1/products", &bank, zhihuidai()).await;
    assert_eq!(draft.status, StatusCode::CREATED);
    let gaps = app
        .get(&format!("/api/v1/enterprises/{}/matches", uscc(3)), &park)
        .await;
    assert_eq!(gaps.body.as_array().map(Vec::len), Some(1));
}

async fn match_lists_page_and_export(app: TestApp) {
    let (bank, id) = market(&app).await;
    let first = app
        .get(&format!("/api/v1/products/{id}/matches?limit=1"), &bank)
        .await;
    let cursor = first.body["next_cursor"].as_str().expect("cursor");
    let second = app
        .get(
            &format!("/api/v1/products/{id}/matches?limit=1&after={cursor}"),
            &bank,
        )
        .await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_eq!(first.body["items"][0]["uscc"], uscc(1));
    assert_eq!(second.body["items"][0]["uscc"], uscc(2));
    assert!(second.body["next_cursor"].is_null());
    let by_credit = app
        .get(
            &format!(
                "/api/v1/products/{id}/matches?sort=credit_line&min_credit_line_fen=200000000"
            ),
            &bank,
        )
        .await;
    assert_eq!(by_credit.body["total"], 1);
    let other_park = app
        .get(&format!("/api/v1/products/{id}/matches?park=hqkfq"), &bank)
        .await;
    assert_eq!(other_park.body["total"], 0);
    app.get(&format!("/api/v1/products/{id}/matches?sort=name"), &bank)
        .await
        .problem(422, "validation_failed");
    app.get(
        &format!("/api/v1/products/{id}/matches?after=garbage"),
        &bank,
    )
    .await
    .problem(422, "validation_failed");

    let res = app
        .client
        .get(format!(
            "{}/api/v1/products/{id}/matches?format=csv",
            app.base
        ))
        .bearer_auth(&bank)
        .send()
        .await
        .expect("csv");
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.expect("text");
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("排名,企业名称,统一社会信用代码"));
    assert!(
        lines[1].contains(&uscc(1)) && lines[1].contains(",250,"),
        "{}",
        lines[1]
    );

    use calamine::DataType;
    let sheet = match_sheet(&app, &bank, id).await;
    assert_eq!(sheet.height(), 3);
    assert_eq!(
        sheet.get((1, 2)).map(|c| c.to_string()),
        Some(uscc(1)),
        "USCC of the best match"
    );
    let cell = |c: usize| sheet.get((1, c)).map(|x| x.to_string()).unwrap_or_default();
    assert_eq!(
        sheet.get((1, 11)).and_then(|c| c.as_f64()),
        Some(250.0),
        "the credit line in 万元"
    );
    assert_eq!(cell(5), "通用设备制造业", "the industry by name");
    assert_eq!(cell(6), "知惠贷", "the product");
    assert_eq!(
        sheet.get((1, 7)).and_then(|c| c.as_f64()),
        Some(500.0),
        "the stated need in 万元"
    );
    // No consent to banks: the contact is masked.
    assert_eq!(cell(8), "王**");
    assert_eq!(cell(9), "037****4567");
    assert!(
        cell(14).contains("一种数控机床主轴冷却装置"),
        "patent titles: {}",
        cell(14)
    );
    // A consent for another bank opens nothing to this one; one for this bank opens it.
    for (bank_code, shown) in [("icbc", "王**"), ("boc", "王经理")] {
        let c = app
            .post(
                &format!("/api/v1/enterprises/{}/consents", uscc(1)),
                &app.admin,
                json!({"bank": bank_code, "valid_from": day(-340), "evidence_reference": "SQ-1", "evidence_date": day(-340)}),
            )
            .await;
        assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);
        let sheet = match_sheet(&app, &bank, id).await;
        let name = sheet.get((1, 8)).map(|x| x.to_string()).unwrap_or_default();
        assert_eq!(name, shown, "after a consent for {bank_code}");
    }
}

async fn products_are_validated_versioned_and_retired(app: TestApp) {
    let (bank, id) = market(&app).await;
    let mut bad = zhihuidai();
    bad["amount_max_fen"] = json!(10);
    bad["pledge_rates_bp"] = json!({"invention": 12000});
    bad["qualifications_any"] = json!(["golden"]);
    bad["region_prefixes"] = json!(["41x"]);
    let before = app.audit_len().await;
    let a = app.post("/api/v1/products", &bank, bad.clone()).await;
    a.problem(422, "validation_failed");
    let fields: Vec<String> = a.field_errors().into_iter().map(|(f, _)| f).collect();
    // Out of the documented shape first (every such field at once) ...
    for f in [
        "pledge_rates_bp.invention",
        "qualifications_any",
        "region_prefixes",
    ] {
        assert!(fields.iter().any(|x| x == f), "{f} in {fields:?}");
    }
    bad["pledge_rates_bp"] = json!({"invention": 5000});
    bad["region_prefixes"] = json!(["4107"]);
    bad["qualifications_any"] = json!(["high_tech", "high_tech"]);
    let a = app.post("/api/v1/products", &bank, bad).await;
    a.problem(422, "validation_failed");
    let fields: Vec<String> = a.field_errors().into_iter().map(|(f, _)| f).collect();
    // ... then the rules across fields: amounts in order, each qualification once.
    for f in ["qualifications_any[1]", "amount_max"] {
        assert!(fields.iter().any(|x| x == f), "{f} in {fields:?}");
    }
    assert_eq!(
        app.audit_len().await,
        before,
        "a refused product writes nothing"
    );

    let mut changed = zhihuidai();
    changed["amount_min_fen"] = json!(200_000_000);
    changed["version"] = json!(1);
    app.put(&format!("/api/v1/products/{id}"), &bank, changed.clone())
        .await
        .problem(409, "version_conflict");
    changed["version"] = json!(2);
    let a = app
        .put(&format!("/api/v1/products/{id}"), &bank, changed)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["version"], 3);
    // The new minimum (200万) drops enterprise 2 (100万) at once.
    let list = app
        .get(&format!("/api/v1/products/{id}/matches"), &bank)
        .await;
    assert_eq!(list.body["total"], 1, "{}", list.body);

    let w = app
        .post(
            &format!("/api/v1/products/{id}/withdraw"),
            &bank,
            json!({"version": 3, "reason": "额度用完"}),
        )
        .await;
    assert_eq!(w.body["status"], "withdrawn", "{}", w.body);
    app.get(&format!("/api/v1/products/{id}/matches"), &bank)
        .await
        .problem(404, "not_found");
    app.post(
        &format!("/api/v1/products/{id}/publish"),
        &bank,
        json!({"version": 4}),
    )
    .await
    .problem(409, "illegal_product_status");
    let history = app
        .get(
            &format!("/api/v1/audit?entity=product&key={id}"),
            &app.admin,
        )
        .await;
    let actions: Vec<&str> = history.body["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|r| r["action"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(actions, vec!["create", "publish", "update", "withdraw"]);
}

async fn every_role_hears_no_on_products(app: TestApp) {
    let (_, id) = market(&app).await;
    let icbc = app.token("bank", None, Some("icbc")).await;
    let park = app.token("park", Some("xxhtz"), None).await;
    let other_park = app.token("park", Some("hqkfq"), None).await;
    let p = format!("/api/v1/products/{id}");
    // Another bank: the product does not exist for it.
    app.get(&p, &icbc).await.problem(404, "not_found");
    app.get(&format!("{p}/matches"), &icbc)
        .await
        .problem(404, "not_found");
    app.get(&format!("{p}/matches/{}", uscc(1)), &icbc)
        .await
        .problem(404, "not_found");
    let mut body = zhihuidai();
    body["version"] = json!(2);
    app.put(&p, &icbc, body).await.problem(404, "not_found");
    app.post(&format!("{p}/withdraw"), &icbc, json!({"version": 2}))
        .await
        .problem(404, "not_found");
    let listed = app.get("/api/v1/products", &icbc).await;
    assert_eq!(listed.body, json!([]));
    let mut theirs = zhihuidai();
    theirs["bank"] = json!("boc");
    app.post("/api/v1/products", &icbc, theirs)
        .await
        .problem(403, "out_of_scope");
    // A bank never sees the enterprise view.
    app.get(&format!("/api/v1/enterprises/{}/matches", uscc(1)), &icbc)
        .await
        .problem(403, "admin_or_park");
    // Parks: no product writes, no previews, no other park's enterprises.
    app.post("/api/v1/products", &park, zhihuidai())
        .await
        .problem(403, "bank_or_admin");
    app.post("/api/v1/products/preview", &park, zhihuidai())
        .await
        .problem(403, "bank_or_admin");
    app.get(
        &format!("/api/v1/enterprises/{}/matches", uscc(1)),
        &other_park,
    )
    .await
    .problem(404, "not_found");
    app.get(&format!("{p}/matches/{}", uscc(1)), &other_park)
        .await
        .problem(404, "not_found");
    app.get(&format!("{p}/matches?park=xxhtz"), &other_park)
        .await
        .problem(403, "out_of_scope");
    // A park sees a published product's matches among its own enterprises only.
    let own = app.get(&format!("{p}/matches"), &other_park).await;
    assert_eq!(own.body["total"], 0, "{}", own.body);
    let own = app.get(&format!("{p}/matches"), &park).await;
    assert_eq!(own.body["total"], 2, "{}", own.body);
    // A draft is invisible to parks.
    let boc = app.token("bank", None, Some("boc")).await;
    let draft = app.post("/api/v1/products", &boc, zhihuidai()).await;
    let did = draft.body["id"].as_i64().expect("draft id");
    app.get(&format!("/api/v1/products/{did}"), &park)
        .await
        .problem(404, "not_found");
    // No token, no answer; an unknown enterprise is 404, and so is a code none can have.
    let anonymous = app
        .call(reqwest::Method::GET, &format!("{p}/matches"), None, None)
        .await;
    anonymous.problem(401, "unauthorized");
    app.get(&format!("{p}/matches/{}", uscc(99)), &app.admin)
        .await
        .problem(404, "not_found");
    app.get(&format!("{p}/matches/91410702MA00000000"), &app.admin)
        .await
        .problem(404, "not_found");
    app.get("/api/v1/products/abc", &app.admin)
        .await
        .problem(422, "validation_failed");
}

async fn the_index_rolls_over_to_a_new_day(app: TestApp) {
    let (_, id) = market(&app).await;
    let day = |m, d| chrono::NaiveDate::from_ymd_opt(2027, m, d).expect("date");
    let engine = pledge_service::LiveIndex::load(&app.store, day(1, 15))
        .await
        .expect("index");
    let q = pledge_matching::MatchQuery {
        limit: 10,
        ..Default::default()
    };
    let count =
        |e: &pledge_service::LiveIndex| e.read().index.matches(id, &q).map(|p| p.items.len());
    assert_eq!(count(&engine), Some(2));
    assert!(
        !engine
            .roll_over(&app.store, day(1, 15))
            .await
            .expect("same day")
    );
    // Every appraisal ends on 2027-06-01: from the next day nothing can be pledged.
    assert!(
        engine
            .roll_over(&app.store, day(6, 2))
            .await
            .expect("roll over")
    );
    assert_eq!(engine.read().index.as_of(), day(6, 2));
    assert_eq!(count(&engine), Some(0));
    let owner = pledge_domain::Uscc::parse(&uscc(1)).expect("uscc");
    let why = engine.read().index.explain(id, &owner).expect("explained");
    assert!(
        why.reasons.iter().any(|r| r.code() == "no_pledgeable_ip"),
        "{:?}",
        why.reasons
    );
}
