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
    (crate::helpers::today() - chrono::Days::new(n)).to_string()
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
        patent.body["pledges"][0]["registration_number"], "Y2026410000777",
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
        json!({"version": 1, "step": "applied", "on": crate::helpers::day(2).to_string()}),
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
    // A code no enterprise can have has no outcomes.
    let none = app
        .get("/api/v1/outcomes?uscc=91410702MA0000001X", &app.admin)
        .await;
    assert_eq!(none.status, StatusCode::OK);
    assert_eq!(none.body["items"], json!([]));

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

e2e!(figures_are_the_sums_of_the_outcomes_and_scoped);

/// A small deterministic generator (xorshift), so that a failing case can be replayed.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// One event as reported: its bank, kind, days before today and amount.
struct Reported {
    bank: &'static str,
    kind: &'static str,
    ago: u64,
    fen: i64,
}

async fn figures_are_the_sums_of_the_outcomes_and_scoped(app: TestApp) {
    let (boc, product) = market(&app).await;
    let (icbc, theirs) = rival(&app).await;
    let mut dice = Dice(0x9E37_79B9_7F4A_7C15);
    let mut reported = Vec::new();
    for _round in 0..3 {
        for (bank, token, p, i) in [
            ("boc", &boc, product, 1),
            ("boc", &boc, product, 2),
            ("icbc", &icbc, theirs, 1),
            ("icbc", &icbc, theirs, 2),
        ] {
            let mut ago = 200 + dice.below(200);
            let o = app
                .post(
                    "/api/v1/outcomes",
                    token,
                    json!({"product_id": p, "uscc": uscc(i), "contacted_on": days_ago(ago)}),
                )
                .await;
            assert_eq!(o.status, StatusCode::CREATED, "{}", o.body);
            let id = o.body["id"].as_i64().expect("id");
            reported.push(Reported {
                bank,
                kind: "contacted",
                ago,
                fen: 0,
            });
            let approved = 1_000_000 * (1 + dice.below(500) as i64);
            let chain: Vec<(&str, Value)> = vec![
                ("applied", json!({})),
                (
                    "approved",
                    json!({"amount_fen": approved, "term_months": 12, "rate_bp": 390}),
                ),
                (
                    "disbursed",
                    json!({"amount_fen": approved - dice.below(1000) as i64}),
                ),
            ];
            let depth = dice.below(4) as usize;
            let mut version = 1;
            for (kind, mut body) in chain.into_iter().take(depth) {
                ago -= dice.below(60);
                body["step"] = json!(kind);
                body["on"] = json!(days_ago(ago));
                body["version"] = json!(version);
                let fen = body["amount_fen"].as_i64().unwrap_or(0);
                let s = step(&app, token, id, body).await;
                assert_eq!(s.status, StatusCode::OK, "{}", s.body);
                version += 1;
                reported.push(Reported {
                    bank,
                    kind,
                    ago,
                    fen,
                });
            }
            // Close it, so that the pair can be contacted again.
            ago -= dice.below(ago.min(30));
            let close = if depth == 3 {
                json!({"step": "repaid"})
            } else {
                json!({"step": "declined", "reason_code": "no_need"})
            };
            let mut close = close;
            close["on"] = json!(days_ago(ago));
            close["version"] = json!(version);
            let kind = if depth == 3 { "repaid" } else { "declined" };
            let s = step(&app, token, id, close).await;
            assert_eq!(s.status, StatusCode::OK, "{}", s.body);
            reported.push(Reported {
                bank,
                kind,
                ago,
                fen: 0,
            });
        }
    }

    let sums = |from: u64, to: u64, bank: Option<&str>| {
        let mut counts = std::collections::BTreeMap::<&str, (i64, i64)>::new();
        for r in &reported {
            if r.ago <= from && r.ago >= to && bank.is_none_or(|b| b == r.bank) {
                let e = counts.entry(r.kind).or_default();
                e.0 += 1;
                e.1 += r.fen;
            }
        }
        counts
    };
    let check = |total: &Value, expected: &std::collections::BTreeMap<&str, (i64, i64)>| {
        let n = |k: &str| expected.get(k).map_or(0, |c| c.0);
        let fen = |k: &str| expected.get(k).map_or(0, |c| c.1);
        assert_eq!(total["contacted"], n("contacted"), "{total}");
        assert_eq!(total["applied"], n("applied"), "{total}");
        assert_eq!(total["approved"], n("approved"), "{total}");
        assert_eq!(total["approved_fen"], fen("approved"), "{total}");
        assert_eq!(total["disbursed"], n("disbursed"), "{total}");
        assert_eq!(total["disbursed_fen"], fen("disbursed"), "{total}");
        assert_eq!(total["repaid"], n("repaid"), "{total}");
        assert_eq!(total["declined"], n("declined"), "{total}");
    };
    for _ in 0..6 {
        let from = 50 + dice.below(400);
        let to = dice.below(from + 1);
        let q = format!("/api/v1/stats?from={}&to={}", days_ago(from), days_ago(to));
        let all = app.get(&format!("{q}&by=bank,month"), &app.admin).await;
        assert_eq!(all.status, StatusCode::OK, "{}", all.body);
        check(&all.body["total"], &sums(from, to, None));
        // Every grouping adds up to the whole.
        for field in ["contacted", "disbursed_fen", "approved_fen"] {
            let rows: i64 = all.body["rows"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| r["figures"][field].as_i64().unwrap_or(0))
                .sum();
            assert_eq!(Some(rows), all.body["total"][field].as_i64(), "{field}");
        }
        // A bank's figures are its own alone; the park of both enterprises sees them all.
        let own = app.get(&q, &boc).await;
        check(&own.body["total"], &sums(from, to, Some("boc")));
        assert!(own.body["total"]["first_loans"].is_null());
        let park = app.token("park", Some("xxhtz"), None).await;
        check(
            &app.get(&q, &park).await.body["total"],
            &sums(from, to, None),
        );
    }

    // Listed and matched today, by park; labels are names.
    let by_park = app.get("/api/v1/stats?by=park", &app.admin).await;
    let xxhtz = by_park.body["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["key"]["park"] == "xxhtz")
        .expect("a row for xxhtz");
    assert_eq!(xxhtz["figures"]["listed"], 2, "{xxhtz}");
    assert_eq!(xxhtz["figures"]["matched"], 2, "{xxhtz}");
    assert_ne!(xxhtz["labels"]["park"], "xxhtz");

    // The "no"s: another bank's or another park's figures.
    app.get("/api/v1/stats?bank=icbc", &boc)
        .await
        .problem(403, "out_of_scope");
    let other = app.token("park", Some("hqkfq"), None).await;
    app.get("/api/v1/stats?park=xxhtz", &other)
        .await
        .problem(403, "out_of_scope");
    let theirs = app.get("/api/v1/stats", &other).await;
    assert_eq!(theirs.body["total"]["contacted"], 0, "{}", theirs.body);
    app.get("/api/v1/stats?by=bank,colour", &app.admin)
        .await
        .problem(422, "validation_failed");
    let backwards = app
        .get(
            &format!("/api/v1/stats?from={}&to={}", days_ago(1), days_ago(2)),
            &app.admin,
        )
        .await;
    assert_eq!(backwards.field_errors()[0].0, "to");

    // The sheet an office sends upwards: the same total, in 万元.
    use calamine::{Data, Reader, Xlsx};
    let bytes = app
        .download(
            &format!("/api/v1/stats?by=bank&format=xlsx&from={}", days_ago(3000)),
            &app.admin,
        )
        .await;
    let mut book = Xlsx::new(std::io::Cursor::new(bytes)).expect("a workbook");
    let sheet = book.worksheet_range("融资统计").expect("the sheet");
    let rows: Vec<_> = sheet.rows().collect();
    assert!(matches!(&rows[0][0], Data::String(t) if t.starts_with("知识产权质押融资统计")));
    let header: Vec<String> = rows[1].iter().map(|c| c.to_string()).collect();
    let col = header
        .iter()
        .position(|h| h == "放款金额（万元）")
        .expect("the disbursed column");
    let last = rows.last().expect("a total row");
    assert_eq!(last[0].to_string(), "合计");
    let everything = sums(10_000, 0, None);
    let wan = everything.get("disbursed").map_or(0, |c| c.1) as f64 / 1_000_000.0;
    let cell = match &last[col] {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        other => panic!("{other:?}"),
    };
    assert!((cell - wan).abs() < 1e-6, "{cell} ≠ {wan}");
}

e2e!(a_bank_imports_its_outcome_sheet);

/// A workbook of the outcome template's columns with `rows` (by header).
pub fn outcome_sheet(rows: &[Vec<(&str, String)>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, (header, ..)) in pledge_ledger::OUTCOME_COLUMNS.iter().enumerate() {
        sheet.write_string(0, c as u16, *header).expect("header");
        for (r, row) in rows.iter().enumerate() {
            if let Some((_, v)) = row.iter().find(|(h, _)| h == header) {
                sheet.write_string(r as u32 + 1, c as u16, v).expect("cell");
            }
        }
    }
    book.save_to_buffer().expect("workbook")
}

async fn a_bank_imports_its_outcome_sheet(app: TestApp) {
    let (boc, product) = market(&app).await;
    let template = app.download("/api/v1/templates/outcomes.xlsx", &boc).await;
    assert!(template.starts_with(b"PK"), "a workbook");
    let p = product.to_string();
    let row = |i: u32, extra: Vec<(&'static str, String)>| {
        let mut r = vec![
            ("产品编号", p.clone()),
            ("统一社会信用代码", uscc(i)),
            ("对接日期", days_ago(40)),
        ];
        r.extend(extra);
        r
    };
    let paid_out = row(
        1,
        vec![
            ("申请日期", days_ago(35)),
            ("审批日期", days_ago(30)),
            ("审批金额（万元）", "250".into()),
            ("期限（月）", "12".into()),
            ("年利率（%）", "3.85".into()),
            ("质押登记日期", days_ago(25)),
            ("质押登记号", "Y2026410000888".into()),
            ("出质专利申请号", "201710601862.3".into()),
            ("放款日期", days_ago(20)),
            ("放款金额（万元）", "250".into()),
        ],
    );
    let over = row(
        2,
        vec![
            ("申请日期", days_ago(35)),
            ("审批日期", days_ago(30)),
            ("审批金额（万元）", "100".into()),
            ("期限（月）", "12".into()),
            ("年利率（%）", "3.85".into()),
            ("放款日期", days_ago(20)),
            ("放款金额（万元）", "120".into()),
        ],
    );
    let mut unreadable = row(2, vec![]);
    unreadable[1].1 = "91410702MA0000001X".into();
    let not_listed = row(3, vec![]);
    let bytes = outcome_sheet(&[paid_out, over, unreadable, not_listed]);
    let form = || {
        reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes.clone()).file_name("对接结果.xlsx"),
        )
    };
    let park = app.token("park", Some("xxhtz"), None).await;
    let refused = app
        .client
        .post(format!("{}/api/v1/outcomes/import", app.base))
        .bearer_auth(&park)
        .multipart(form())
        .send()
        .await
        .expect("upload");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let res = app
        .client
        .post(format!("{}/api/v1/outcomes/import", app.base))
        .bearer_auth(&boc)
        .multipart(form())
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), StatusCode::OK);
    let report: Value = res.json().await.expect("a report");
    assert_eq!(report["recorded"], 1, "{report}");
    assert_eq!(report["rejected"], 3, "{report}");
    let rows = report["rows"].as_array().cloned().unwrap_or_default();
    let codes = |i: usize| -> Vec<String> {
        rows[i]["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["code"].as_str().map(String::from))
            .collect()
    };
    assert_eq!(rows[0]["row"], 2);
    assert_eq!(rows[0]["stage"], "disbursed", "{report}");
    assert_eq!(codes(1), vec!["above_approved"], "{report}");
    assert_eq!(codes(2), vec!["uscc_check_character"], "{report}");
    assert_eq!(rows[2]["errors"][0]["field"], "统一社会信用代码");
    assert_eq!(codes(3), vec!["not_published"], "{report}");

    // A refused row left nothing behind; the recorded one pledged its patent.
    let mine = app.get("/api/v1/outcomes", &boc).await;
    let usccs: Vec<_> = mine.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["uscc"].as_str().map(String::from))
        .collect();
    assert_eq!(usccs, vec![uscc(1)]);
    let patent = app.get("/api/v1/patents/201710601862.3", &app.admin).await;
    assert_eq!(
        patent.body["pledges"][0]["registration_number"],
        "Y2026410000888"
    );
}
