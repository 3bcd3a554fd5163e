//! Another tenant's records answer exactly as records that do not exist: the same status,
//! code and words, on every read and write, so that nobody learns who is registered where.
//! A role's refusal of a whole kind of action stays 403.

use crate::helpers::{Answer, TestApp, e2e, fixture, import, uscc};
use crate::matching::market;
use crate::outcomes::{open, rival};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

e2e!(another_tenant_s_records_answer_as_absent_ones);

/// One request made twice: against another tenant's record and against one that does not
/// exist.
struct Probe {
    method: Method,
    theirs: String,
    absent: String,
    bodies: (Option<Value>, Option<Value>),
    /// The request's key in each, blanked before the answers are compared.
    keys: (String, String),
}

impl Probe {
    fn new(method: Method, theirs: String, absent: String, keys: (&str, &str)) -> Self {
        Self {
            method,
            theirs,
            absent,
            bodies: (None, None),
            keys: (keys.0.to_owned(), keys.1.to_owned()),
        }
    }

    fn with(self, body: Value) -> Self {
        self.with_each(body.clone(), body)
    }

    fn with_each(mut self, theirs: Value, absent: Value) -> Self {
        self.bodies = (Some(theirs), Some(absent));
        self
    }
}

/// An appraisal's body.
fn appraisal(fen: i64) -> Value {
    json!({"amount_fen": fen, "appraised_on": "2026-05-01", "valid_until": "2027-05-01", "appraiser": "河南中原资产评估有限公司"})
}

/// What of an answer may be compared: status, code, title, detail and field errors, with
/// the request's key blanked.
fn seen(a: &Answer, key: &str) -> String {
    let b = &a.body;
    let text = json!([
        a.status.as_u16(),
        b["code"],
        b["title"],
        b["detail"],
        b["errors"]
    ]);
    text.to_string().replace(key, "…")
}

async fn differences(app: &TestApp, token: &str, probes: Vec<Probe>) -> Vec<String> {
    let mut out = Vec::new();
    for p in probes {
        let theirs = app
            .call(p.method.clone(), &p.theirs, Some(token), p.bodies.0)
            .await;
        let absent = app
            .call(p.method.clone(), &p.absent, Some(token), p.bodies.1)
            .await;
        assert!(
            theirs.status.is_client_error(),
            "{} {} is refused: {}",
            p.method,
            p.theirs,
            theirs.body
        );
        let (a, b) = (seen(&theirs, &p.keys.0), seen(&absent, &p.keys.1));
        if a != b {
            out.push(format!(
                "{} {}\n  theirs: {a}\n  absent: {b}",
                p.method, p.theirs
            ));
        }
    }
    out
}

async fn another_tenant_s_records_answer_as_absent_ones(app: TestApp) {
    // xxhtz holds enterprises 1 and 2 with their patents, listed and published; boc's
    // 知惠贷 matches them; icbc has its own product, outcome and subscription.
    let (boc, _) = market(&app).await;
    let (icbc, theirs_product) = rival(&app).await;
    let outcome = open(&app, &icbc, theirs_product, 1).await;
    let hqkfq = app.token("park", Some("hqkfq"), None).await;
    let xxhtz = app.token("park", Some("xxhtz"), None).await;
    let tm = json!({"owner": uscc(1), "name": "华锐", "registered_on": "2016-05-01", "valid_until": "2036-04-30"});
    let a = app
        .put("/api/v1/trademarks/12345678/7", &app.admin, tm.clone())
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let consent = json!({"bank": null, "valid_from": "2026-01-05", "evidence_reference": "XX-SQ-0001", "evidence_date": "2026-01-05"});
    let path = format!("/api/v1/enterprises/{}/consents", uscc(1));
    let c = app.post(&path, &xxhtz, consent.clone()).await;
    assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);
    let consent_id = c.body["id"].as_i64().expect("consent id");
    let entries = app
        .get("/api/v1/whitelist/entries?status=published", &app.admin)
        .await;
    let entry = entries.body["items"][0]["id"].as_i64().expect("entry");
    let batch = app.draft_batch("2026年第二批").await;
    let job = import(&app, &hqkfq, "台账.xlsx", fixture(), "").await;
    let job = job["id"].as_i64().expect("import id");
    let hook = app
        .post(
            "/api/v1/webhooks",
            &icbc,
            json!({"url": "http://receiver.test:9/hook", "events": ["match.gained"], "secret": "s3cret-s3cret-s3cret"}),
        )
        .await;
    assert_eq!(hook.status, StatusCode::CREATED, "{}", hook.body);
    let hook = hook.body["id"].as_i64().expect("webhook id");
    let before = app.audit_len().await;

    // hqkfq's official, against xxhtz's records.
    let (e1, e9) = (uscc(1), uscc(9));
    let (p1, p9) = ("201710601862.3", "201910601862.2");
    let enterprise = |i: u32, park: &str| {
        let mut b = crate::helpers::enterprise_body(i, park);
        b["version"] = json!(1);
        b
    };
    let mut owned_by_theirs = crate::helpers::patent_body(1);
    owned_by_theirs["filing_date"] = json!("2019-03-05");
    let mut tm9 = tm.clone();
    tm9["owner"] = json!(e9.clone());
    let e = |tail: &str| {
        (
            format!("/api/v1/enterprises/{e1}{tail}"),
            format!("/api/v1/enterprises/{e9}{tail}"),
        )
    };
    let mut park_probes = Vec::new();
    for tail in ["", "/patents", "/trademarks", "/consents", "/matches"] {
        let (a, b) = e(tail);
        park_probes.push(Probe::new(Method::GET, a, b, (&e1, &e9)));
    }
    let (a, b) = e("");
    for park in ["hqkfq", "xxhtz"] {
        park_probes.push(
            Probe::new(Method::PUT, a.clone(), b.clone(), (&e1, &e9))
                .with_each(enterprise(1, park), enterprise(9, park)),
        );
    }
    let (a, b) = e("/consents");
    park_probes.push(Probe::new(Method::POST, a, b, (&e1, &e9)).with(consent));
    let (a, b) = e(&format!("/consents/{consent_id}"));
    park_probes.push(Probe::new(Method::DELETE, a, b, (&e1, &e9)));
    park_probes.extend([
        Probe::new(
            Method::GET,
            format!("/api/v1/patents/{p1}"),
            format!("/api/v1/patents/{p9}"),
            (p1, p9),
        ),
        Probe::new(
            Method::POST,
            format!("/api/v1/patents/{p1}/appraisals"),
            format!("/api/v1/patents/{p9}/appraisals"),
            (p1, p9),
        )
        .with(appraisal(1_000_000_000)),
        Probe::new(
            Method::GET,
            "/api/v1/trademarks/12345678/7".into(),
            "/api/v1/trademarks/87654321/7".into(),
            ("12345678", "87654321"),
        ),
        Probe::new(
            Method::POST,
            "/api/v1/trademarks/12345678/7/appraisals".into(),
            "/api/v1/trademarks/87654321/7/appraisals".into(),
            ("12345678", "87654321"),
        )
        .with(appraisal(1_000_000_000)),
        Probe::new(
            Method::GET,
            format!("/api/v1/whitelist/entries/{entry}"),
            "/api/v1/whitelist/entries/999999".into(),
            (&entry.to_string(), "999999"),
        ),
        Probe::new(
            Method::GET,
            format!("/api/v1/whitelist/entries/{entry}/history"),
            "/api/v1/whitelist/entries/999999/history".into(),
            (&entry.to_string(), "999999"),
        ),
        Probe::new(
            Method::POST,
            format!("/api/v1/whitelist/entries/{entry}/suspend"),
            "/api/v1/whitelist/entries/999999/suspend".into(),
            (&entry.to_string(), "999999"),
        )
        .with(json!({"version": 2, "reason_code": "risk_flag", "reason": "经营异常"})),
    ]);
    // Two bodies to one path: the owner (or nominee) another park's enterprise, or nobody's.
    let patent_put = |owner: &str| {
        let mut b = owned_by_theirs.clone();
        b["owner"] = json!(owner);
        b
    };
    let p9_path = format!("/api/v1/patents/{p9}");
    let tm9_path = "/api/v1/trademarks/87654321/7".to_owned();
    let entries_path = format!("/api/v1/whitelist/batches/{batch}/entries");
    park_probes.extend([
        Probe::new(Method::PUT, p9_path.clone(), p9_path, (&e1, &e9))
            .with_each(patent_put(&e1), patent_put(&e9)),
        Probe::new(Method::PUT, tm9_path.clone(), tm9_path, (&e1, &e9)).with_each(tm.clone(), tm9),
        Probe::new(Method::POST, entries_path.clone(), entries_path, (&e1, &e9))
            .with_each(json!({"uscc": e1}), json!({"uscc": e9})),
    ]);
    let mut p = differences(&app, &hqkfq, park_probes).await;

    // xxhtz's official, against hqkfq's import.
    p.extend(
        differences(
            &app,
            &xxhtz,
            vec![
                Probe::new(
                    Method::GET,
                    format!("/api/v1/imports/{job}"),
                    "/api/v1/imports/999999".into(),
                    (&job.to_string(), "999999"),
                ),
                Probe::new(
                    Method::GET,
                    format!("/api/v1/imports/{job}/annotated.xlsx"),
                    "/api/v1/imports/999999/annotated.xlsx".into(),
                    (&job.to_string(), "999999"),
                ),
            ],
        )
        .await,
    );

    // boc, against icbc's product, outcome and subscription.
    let id = |what: &str, n: i64| {
        (
            format!("/api/v1/{what}/{n}"),
            format!("/api/v1/{what}/999999"),
        )
    };
    let mut bank_probes = Vec::new();
    let n = theirs_product.to_string();
    for tail in ["", "/matches", "/near-misses", &format!("/matches/{e1}")] {
        let (a, b) = id("products", theirs_product);
        bank_probes.push(Probe::new(Method::GET, a + tail, b + tail, (&n, "999999")));
    }
    for action in ["publish", "withdraw"] {
        let (a, b) = id("products", theirs_product);
        bank_probes.push(
            Probe::new(
                Method::POST,
                format!("{a}/{action}"),
                format!("{b}/{action}"),
                (&n, "999999"),
            )
            .with(json!({"version": 2})),
        );
    }
    let (a, b) = id("products", theirs_product);
    let mut product_body = crate::matching::zhihuidai();
    product_body["version"] = json!(2);
    bank_probes.push(Probe::new(Method::PUT, a, b, (&n, "999999")).with(product_body));
    let o = outcome.to_string();
    let (a, b) = id("outcomes", outcome);
    bank_probes.push(Probe::new(
        Method::GET,
        a.clone(),
        b.clone(),
        (&o, "999999"),
    ));
    bank_probes.push(
        Probe::new(Method::POST, a + "/steps", b + "/steps", (&o, "999999"))
            .with(json!({"version": 1, "step": "applied", "on": crate::outcomes::days_ago(1)})),
    );
    let h = hook.to_string();
    for (method, tail) in [
        (Method::GET, ""),
        (Method::GET, "/deliveries"),
        (Method::DELETE, ""),
    ] {
        let (a, b) = id("webhooks", hook);
        bank_probes.push(Probe::new(method, a + tail, b + tail, (&h, "999999")));
    }
    let (a, b) = id("imports", job);
    bank_probes.push(Probe::new(Method::GET, a, b, (&job.to_string(), "999999")));
    p.extend(differences(&app, &boc, bank_probes).await);

    assert!(p.is_empty(), "{} differ:\n{}", p.len(), p.join("\n"));

    // A key that cannot be taken twice is answered as taken, naming nobody.
    let mut their_patent = crate::helpers::patent_body(3);
    their_patent["version"] = json!(1);
    let mut their_mark = tm.clone();
    their_mark["owner"] = json!(uscc(3));
    their_mark["version"] = json!(1);
    for (method, path, body) in [
        (
            Method::POST,
            "/api/v1/enterprises".to_owned(),
            crate::helpers::enterprise_body(1, "hqkfq"),
        ),
        (Method::PUT, format!("/api/v1/patents/{p1}"), their_patent),
        (
            Method::PUT,
            "/api/v1/trademarks/12345678/7".to_owned(),
            their_mark,
        ),
    ] {
        let a = app.call(method, &path, Some(&hqkfq), Some(body)).await;
        a.problem(409, "duplicate");
        for name in ["xxhtz", "新乡高新区"] {
            assert!(!a.body.to_string().contains(name), "{path}: {}", a.body);
        }
    }
    assert_eq!(app.audit_len().await, before, "nothing refused was kept");
}

e2e!(an_import_names_no_other_park);

/// A park importing a ledger of another park's enterprises learns only that their codes are
/// taken and that it knows no such owners: no park is named, nothing is out of scope.
async fn an_import_names_no_other_park(app: TestApp) {
    app.seed().await;
    let hqkfq = app.token("park", Some("hqkfq"), None).await;
    let xxhtz = app.token("park", Some("xxhtz"), None).await;
    let theirs = import(&app, &hqkfq, "台账.xlsx", fixture(), "").await;
    let registered = theirs["report"]["counts"]["enterprises"]["inserted"]
        .as_u64()
        .unwrap_or(0);
    assert!(registered > 0, "{}", theirs["report"]["counts"]);
    let before = app.audit_len().await;
    let ours = import(&app, &xxhtz, "台账.xlsx", fixture(), "").await;
    let rejections = ours["report"]["rejections"].as_array().expect("rejections");
    let text = ours["report"].to_string();
    for name in ["hqkfq", "红旗区"] {
        assert!(!text.contains(name), "the report names {name}");
    }
    let codes = |column: &str| {
        let mut c: Vec<&str> = rejections
            .iter()
            .filter(|r| r["column"].as_str().is_some_and(|c| c.contains(column)))
            .filter_map(|r| r["code"].as_str())
            .collect();
        c.sort_unstable();
        c.dedup();
        c
    };
    // The one bad check character of the fixture aside, every enterprise row is taken.
    assert_eq!(codes("信用代码"), ["duplicate", "uscc_check_character"]);
    assert_eq!(codes("专利权人"), ["owner_unknown"]);
    assert_eq!(
        rejections
            .iter()
            .filter(|r| r["code"] == "duplicate")
            .count(),
        usize::try_from(registered).unwrap_or(0),
    );
    assert_eq!(app.audit_len().await, before, "nothing was written");
}
