//! Journeys through the console in a real browser: headless Chromium driven over WebDriver
//! (`chromedriver` on a free port), against the real server on 127.0.0.1 with a fresh
//! database. Each journey saves a screenshot of its pages under `target/screenshots/`.
//! They need `chromium`, `chromium-driver` and `fonts-noto-cjk` (`.ci/run` installs them), so
//! they are ignored unless run with `--include-ignored`.

#[path = "../api/helpers.rs"]
#[allow(dead_code, unused_macros, unused_imports)]
mod helpers;

use fantoccini::{Client, ClientBuilder, Locator};
use helpers::{TestApp, fixture, import};
use hyper_util::client::legacy::connect::HttpConnector;
use reqwest::StatusCode;
use serde_json::Value;
use serde_json::json;
use std::process::{Child, Command, Stdio};

macro_rules! journeys {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = "needs chromium and chromedriver: run with --include-ignored (.ci/run installs them)"]
                async fn sqlite() {
                    super::$name(crate::helpers::spawn_app(pledge_store::testing::Backend::Sqlite).await).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = "needs chromium, chromedriver and PostgreSQL: run with --include-ignored"]
                async fn postgres() {
                    super::$name(crate::helpers::spawn_app(pledge_store::testing::Backend::Postgres).await).await;
                }
            }
        )*
    };
}

journeys!(
    a_person_signs_in_and_out,
    a_park_official_imports_the_ledger_and_nominates,
    the_office_reviews_with_four_eyes_and_publishes,
    a_bank_officer_creates_a_product_and_reads_its_matches,
    what_a_person_may_not_do_they_cannot,
    a_bank_reports_a_loan_and_the_office_reads_the_figures,
);

/// How Chromium starts: headless at 1366×768, and staying home (no background requests,
/// component updates, sync or first-run calls to outside hosts).
const CHROMIUM_ARGS: [&str; 10] = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--window-size=1366,768",
    "--lang=zh-CN",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
];

/// A headless Chromium at 1366×768 behind its own chromedriver, ended with the test.
struct Browser {
    driver: Child,
    client: Option<Client>,
}

impl Browser {
    async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (apt-get install chromium chromium-driver fonts-noto-cjk)");
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), json!({"args": CHROMIUM_ARGS}));
        let url = format!("http://127.0.0.1:{port}");
        // chromedriver answers once it listens: a bounded number of tries, not a clock.
        let mut client = None;
        for _ in 0..100 {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => {
                    client = Some(c);
                    break;
                }
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            }
        }
        Self {
            driver,
            client: Some(client.expect("a browser session")),
        }
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("open")
    }

    /// Saves the page as `target/screenshots/{name}.png`.
    async fn screenshot(&self, name: &str) {
        let png = self.client().screenshot().await.expect("screenshot");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshots folder");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("screenshot written");
    }

    /// Waits (a bounded number of tries) until the first element `css` finds holds `want`:
    /// a click returns before the next page is there.
    async fn shows(&self, css: &str, want: &str) {
        let mut seen = String::new();
        for _ in 0..50 {
            if let Ok(e) = self.client().find(Locator::Css(css)).await {
                seen = e.text().await.unwrap_or_default();
                if seen.contains(want) {
                    return;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("{css} shows {seen:?}, not {want:?}");
    }

    /// Opens the home page and finds the sign-in page instead.
    async fn home_asks_to_sign_in(&self, app: &TestApp, why: &str) {
        let c = self.client();
        c.goto(&format!("{}/", app.base)).await.expect("home");
        let at = c.current_url().await.expect("url");
        assert!(at.path().ends_with("/login"), "{why}: at {at}");
    }

    /// Types `text` into the field with id `id`.
    async fn type_into(&self, id: &str, text: &str) {
        self.client()
            .find(Locator::Id(id))
            .await
            .unwrap_or_else(|e| panic!("no field {id}: {e}"))
            .send_keys(text)
            .await
            .expect("typed");
    }

    /// Clicks the first element `css` finds.
    async fn click(&self, css: &str) {
        self.client()
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("nothing matches {css}: {e}"))
            .click()
            .await
            .expect("clicked");
    }

    /// Signs in at `/login` and waits for the home page.
    async fn sign_in(&self, app: &TestApp, login: &str, password: &str) {
        self.client()
            .goto(&format!("{}/login", app.base))
            .await
            .expect("sign-in page");
        self.type_into("login", login).await;
        self.type_into("password", password).await;
        self.click("main form button[type=submit]").await;
        self.shows("main h1", "你好").await;
    }

    /// Opens `path` of the app.
    async fn open(&self, app: &TestApp, path: &str) {
        self.client()
            .goto(&format!("{}{path}", app.base))
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
    }

    /// The text of the whole page.
    async fn text(&self) -> String {
        self.client()
            .find(Locator::Css("body"))
            .await
            .expect("body")
            .text()
            .await
            .expect("text")
    }

    /// The browser's session cookie, to fetch what a link downloads as this person.
    async fn cookie_header(&self) -> String {
        self.client()
            .get_all_cookies()
            .await
            .expect("cookies")
            .iter()
            .map(|c| format!("{}={}", c.name(), c.value()))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Downloads what the link `css` points at, as this person, and checks it is a workbook.
    async fn download(&self, app: &TestApp, css: &str) -> Vec<u8> {
        let href = self
            .client()
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no link {css}: {e}"))
            .attr("href")
            .await
            .expect("href")
            .expect("a link");
        let url = if href.starts_with("http") {
            href
        } else {
            format!("{}{href}", app.base)
        };
        let res = app
            .client
            .get(url)
            .header("cookie", self.cookie_header().await)
            .send()
            .await
            .expect("download");
        assert_eq!(res.status(), StatusCode::OK);
        let disposition = res.headers()["content-disposition"]
            .to_str()
            .unwrap_or("")
            .to_owned();
        assert!(disposition.contains(".xlsx"), "{disposition}");
        let bytes = res.bytes().await.expect("bytes").to_vec();
        assert!(bytes.starts_with(b"PK"), "an xlsx is a zip");
        bytes
    }

    async fn close(mut self) {
        if let Some(c) = self.client.take() {
            let _ = c.close().await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

async fn a_person_signs_in_and_out(app: TestApp) {
    app.seed().await;
    app.park_official("zhang.kz", "张科长", "xxhtz", "xinxiang-2026")
        .await;
    let b = Browser::start().await;
    b.home_asks_to_sign_in(&app, "not signed in: to the sign-in page")
        .await;
    b.shows("h1", "登录").await;
    b.screenshot("sign-in").await;
    b.type_into("login", "zhang.kz").await;
    b.type_into("password", "wrong-password").await;
    b.click("form button[type=submit]").await;
    b.shows(".problem", "用户名或密码不正确").await;
    b.type_into("password", "xinxiang-2026").await;
    b.click("form button[type=submit]").await;
    b.shows("main h1", "你好，张科长").await;
    b.screenshot("signed-in").await;
    b.click(".account button").await;
    b.shows("main h1", "登录").await;
    b.home_asks_to_sign_in(&app, "the session ended").await;
    b.close().await;
}

/// The Hongqi ledger imported by its park, a draft batch, and the enterprises of the park.
async fn hongqi(app: &TestApp) -> (String, i64, Vec<String>) {
    app.seed().await;
    let park = app.token("park", Some("hqkfq"), None).await;
    let job = import(app, &park, "红旗区台账.xlsx", fixture(), "").await;
    assert_eq!(job["state"], "done", "{job}");
    let batch = app.draft_batch("2026年第四批白名单").await;
    let listed = app
        .get("/api/v1/enterprises?park=hqkfq&limit=100", &park)
        .await;
    let usccs = listed.body["items"]
        .as_array()
        .expect("enterprises")
        .iter()
        .filter_map(|e| e["uscc"].as_str().map(str::to_owned))
        .collect();
    (park, batch, usccs)
}

/// Nominates `usccs` as the park, has the office reject those that failed screening, and
/// answers the entries that passed.
async fn nominated(app: &TestApp, park: &str, batch: i64, usccs: &[String]) -> Vec<Value> {
    let done = app
        .post(
            &format!("/api/v1/whitelist/batches/{batch}/nominations"),
            park,
            json!({ "usccs": usccs }),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let entries: Vec<Value> = done.body["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r.get("entry").cloned())
        .collect();
    let (passed, failed): (Vec<Value>, Vec<Value>) = entries
        .into_iter()
        .partition(|e| e["screening"]["passed"] == true);
    if !failed.is_empty() {
        decide(app, "reject", &failed, "fails_criteria", "未通过初筛").await;
    }
    passed
}

/// The office takes one step for `entries`, each with the version read.
async fn decide(app: &TestApp, action: &str, entries: &[Value], code: &str, reason: &str) {
    let entries: Vec<Value> = entries
        .iter()
        .map(|e| json!({"id": e["id"], "version": e["version"]}))
        .collect();
    let done = app
        .post(
            "/api/v1/whitelist/decisions",
            &app.admin,
            json!({"action": action, "entries": entries, "reason_code": code, "reason": reason}),
        )
        .await;
    assert_eq!(done.body["refused"], 0, "{}", done.body);
}

async fn a_park_official_imports_the_ledger_and_nominates(app: TestApp) {
    app.seed().await;
    app.park_official("li.hq", "李主任", "hqkfq", "hongqi-2026-pw")
        .await;
    let batch = app.draft_batch("2026年第四批白名单").await;
    let b = Browser::start().await;
    b.sign_in(&app, "li.hq", "hongqi-2026-pw").await;
    b.open(&app, "/imports").await;
    b.shows("main h1", "导入台账").await;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/test-data/park-ledger-hongqi.xlsx"
    );
    b.type_into("file", path).await;
    b.click("main form button[type=submit]").await;
    b.shows("#job-state", "已完成").await;
    // The row with a wrong check character is reported with its sheet, row and reason.
    b.shows("table.rejections", "企业台账").await;
    let report = b.text().await;
    assert!(report.contains("43"), "row 43 is named: {report}");
    b.screenshot("import-report").await;
    let annotated = b.download(&app, "#annotated").await;
    assert!(annotated.len() > 1000);
    // The park's home page names the rejected rows of the latest import.
    b.open(&app, "/").await;
    b.shows("main", "最近一次导入被拒的行").await;
    assert!(b.text().await.contains("企业台账"));
    b.screenshot("home-park").await;
    // Nominate two of the park's enterprises into the draft batch, pasted as from Excel.
    let park = app.token("park", Some("hqkfq"), None).await;
    let listed = app
        .get("/api/v1/enterprises?park=hqkfq&limit=2", &park)
        .await;
    let usccs: Vec<String> = listed.body["items"]
        .as_array()
        .expect("enterprises")
        .iter()
        .filter_map(|e| e["uscc"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(usccs.len(), 2);
    b.open(&app, &format!("/whitelist/batches/{batch}")).await;
    b.type_into("usccs", &usccs.join("\n")).await;
    b.click("#nominate").await;
    b.shows("#outcomes", "已推荐").await;
    let entries = app
        .get(
            &format!("/api/v1/whitelist/entries?batch={batch}"),
            &app.admin,
        )
        .await;
    assert_eq!(entries.body["items"].as_array().map(Vec::len), Some(2));
    b.screenshot("nominated").await;
    b.close().await;
}

async fn the_office_reviews_with_four_eyes_and_publishes(app: TestApp) {
    let (park, batch, usccs) = hongqi(&app).await;
    let passed = nominated(&app, &park, batch, &usccs[..usccs.len() - 1]).await;
    assert!(
        passed.len() >= 3,
        "some of the ledger's enterprises pass screening"
    );
    let last = usccs.last().expect("an enterprise").clone();
    app.officer().await;
    app.person(
        "qian.office",
        "钱科长",
        json!({"role": "admin"}),
        "office-two-pw",
    )
    .await;
    let b = Browser::start().await;
    // The first officer nominates one more enterprise, then cannot approve their own.
    b.sign_in(&app, "zhao.office", "office-one-pw").await;
    b.open(&app, &format!("/whitelist/batches/{batch}")).await;
    b.type_into("usccs", &last).await;
    b.click("#nominate").await;
    b.shows("#outcomes", &last).await;
    let own = app
        .get(
            &format!("/api/v1/whitelist/entries?batch={batch}"),
            &app.admin,
        )
        .await;
    let own = own.body["items"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["uscc"] == last.as_str())
        .expect("own nomination")
        .clone();
    b.open(&app, "/review").await;
    b.click(&format!(
        "button[name=one][value='{}:{}']",
        own["id"], own["version"]
    ))
    .await;
    b.shows("#outcomes", "不能审核").await;
    b.click(".account button").await;
    b.shows("main h1", "登录").await;
    // The second approves the screened ones but one, which is rejected with a reason.
    b.sign_in(&app, "qian.office", "office-two-pw").await;
    b.shows(".tiles", "待审核提名").await;
    b.open(&app, "/review").await;
    // One is rejected with a reason; the first officer's own nomination is decided here
    // too, as its screening says.
    let own_passed = own["screening"]["passed"] == true;
    let rejected = &passed[0];
    b.click(&format!("#entry-{}", rejected["id"])).await;
    if !own_passed {
        b.click(&format!("#entry-{}", own["id"])).await;
    }
    b.type_into("reason", "知识产权权属待核实").await;
    b.click("#reject-ticked").await;
    b.shows("#outcomes", "未通过").await;
    for e in &passed[1..] {
        b.click(&format!("#entry-{}", e["id"])).await;
    }
    if own_passed {
        b.click(&format!("#entry-{}", own["id"])).await;
    }
    b.click("#approve-ticked").await;
    b.shows("#outcomes", "已审核").await;
    let outcomes = b.text().await;
    let approved = passed.len() - 1 + usize::from(own_passed);
    assert_eq!(outcomes.matches("：已审核").count(), approved, "{outcomes}");
    b.screenshot("review").await;
    b.open(&app, &format!("/whitelist/batches/{batch}")).await;
    b.click("#publish").await;
    b.shows("#batch-status", "已发布").await;
    let entry = app
        .get(
            &format!("/api/v1/whitelist/entries/{}", rejected["id"]),
            &app.admin,
        )
        .await;
    assert_eq!(entry.body["status"], "rejected");
    assert_eq!(entry.body["reason"], "知识产权权属待核实");
    let listed = app
        .get(
            &format!("/api/v1/whitelist/entries?batch={batch}&status=published"),
            &app.admin,
        )
        .await;
    assert_eq!(
        listed.body["items"].as_array().map(Vec::len),
        Some(approved)
    );
    // The office's home page draws this month's new listings.
    b.open(&app, "/").await;
    b.shows("main", "新入围").await;
    let month = app.clock.today().format("%Y-%m");
    let mut labels = Vec::new();
    for svg in b
        .client()
        .find_all(Locator::Css("svg.figure"))
        .await
        .expect("figures")
    {
        labels.push(
            svg.attr("aria-label")
                .await
                .expect("label")
                .unwrap_or_default(),
        );
    }
    let want = format!("{month}：新入围{approved}");
    assert!(
        labels.iter().any(|l| l.contains(&want)),
        "{want} in {labels:?}"
    );
    b.screenshot("home-office").await;
    b.close().await;
}

/// The Hongqi enterprises that pass screening, nominated, approved and published.
async fn hongqi_listed(app: &TestApp) -> Vec<String> {
    let (park, batch, usccs) = hongqi(app).await;
    let passed = nominated(app, &park, batch, &usccs).await;
    decide(app, "approve", &passed, "meets_criteria", "符合条件").await;
    let b = app
        .get(&format!("/api/v1/whitelist/batches/{batch}"), &app.admin)
        .await;
    let published = app
        .post(
            &format!("/api/v1/whitelist/batches/{batch}/publish"),
            &app.admin,
            json!({"version": b.body["version"]}),
        )
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.body);
    passed
        .iter()
        .filter_map(|e| e["uscc"].as_str().map(str::to_owned))
        .collect()
}

async fn a_bank_officer_creates_a_product_and_reads_its_matches(app: TestApp) {
    let listed = hongqi_listed(&app).await;
    app.person(
        "sun.boc",
        "孙经理",
        json!({"role": "bank", "bank": "boc"}),
        "bank-officer-pw",
    )
    .await;
    let b = Browser::start().await;
    b.sign_in(&app, "sun.boc", "bank-officer-pw").await;
    b.open(&app, "/products/new").await;
    b.type_into("name", "知惠贷").await;
    let c = b.client();
    for (id, value) in [
        ("amount_min", "10"),
        ("amount_max", "500"),
        ("rate_invention", "50"),
        ("rate_utility_model", "30"),
    ] {
        let field = c.find(Locator::Id(id)).await.expect(id);
        field.clear().await.expect("cleared");
        field.send_keys(value).await.expect("typed");
    }
    // The form's script asks for the count as the bank types; without it, the button does.
    b.shows("#preview", "家企业符合").await;
    let live = b.text().await;
    b.click("#preview-button").await;
    b.shows("#preview", "家企业符合").await;
    let count: u32 = c
        .find(Locator::Id("preview-count"))
        .await
        .expect("count")
        .text()
        .await
        .expect("text")
        .parse()
        .expect("a number");
    assert!(
        count >= 1 && count as usize <= listed.len(),
        "{count} of {}",
        listed.len()
    );
    assert!(
        live.contains(&format!("白名单中{count}家企业符合")),
        "the live count agrees: {live}"
    );
    b.screenshot("product-preview").await;
    b.click("#save").await;
    b.shows("#product-status", "草稿").await;
    b.click("#publish").await;
    b.shows("#product-status", "已发布").await;
    b.screenshot("product").await;
    b.click("#open-matches").await;
    b.shows("#match-total", &count.to_string()).await;
    b.screenshot("matches").await;
    b.download(&app, "#export").await;
    b.click("a.match").await;
    b.shows(".verdict", "授信额度").await;
    b.shows("main", "拟质押的知识产权").await;
    b.screenshot("match").await;
    b.open(&app, "/").await;
    b.shows("main table", "知惠贷").await;
    b.screenshot("home-bank").await;
    b.close().await;
}

async fn what_a_person_may_not_do_they_cannot(app: TestApp) {
    let (_, _, usccs) = hongqi(&app).await;
    app.park_official("zhou.xx", "周科长", "xxhtz", "xinxiang-2026-pw")
        .await;
    let b = Browser::start().await;
    b.sign_in(&app, "zhou.xx", "xinxiang-2026-pw").await;
    // Another park's enterprise reads as one nobody registered.
    b.open(&app, &format!("/enterprises/{}", usccs[0])).await;
    b.shows("main h1", "不存在").await;
    let other_park = b.text().await;
    b.open(&app, &format!("/enterprises/{}", helpers::uscc(999)))
        .await;
    b.shows("main h1", "不存在").await;
    let unknown = b.text().await;
    let strip = |t: &str| t.replace(&usccs[0], "X").replace(&helpers::uscc(999), "X");
    assert_eq!(strip(&other_park), strip(&unknown));
    for path in [
        format!("/enterprises/{}", usccs[0]),
        format!("/enterprises/{}", helpers::uscc(999)),
    ] {
        let res = app
            .client
            .get(format!("{}{path}", app.base))
            .header("cookie", b.cookie_header().await)
            .send()
            .await
            .expect("page");
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    // A park official has no review queue.
    b.open(&app, "/review").await;
    b.shows("main h1", "仅市知识产权局").await;
    // A form posted without its token is refused and changes nothing.
    let forged = app
        .client
        .post(format!("{}/logout", app.base))
        .header("cookie", b.cookie_header().await)
        .form(&[("csrf", "forged")])
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    b.open(&app, "/").await;
    b.shows("main h1", "你好").await;
    b.screenshot("refused").await;
    // Signing out ends the session: the old cookie opens nothing.
    let cookie = b.cookie_header().await;
    b.click(".account button").await;
    b.shows("main h1", "登录").await;
    let after = app
        .client
        .get(format!("{}/enterprises", app.base))
        .header("cookie", cookie)
        .send()
        .await
        .expect("page");
    assert!(after.url().path().ends_with("/login"), "{}", after.url());
    b.home_asks_to_sign_in(&app, "signed out").await;
    b.close().await;
}

async fn a_bank_reports_a_loan_and_the_office_reads_the_figures(app: TestApp) {
    hongqi_listed(&app).await;
    app.person(
        "sun.boc",
        "孙经理",
        json!({"role": "bank", "bank": "boc"}),
        "bank-officer-pw",
    )
    .await;
    app.officer().await;
    let bank = app.token("bank", None, Some("boc")).await;
    let p = app
        .post(
            "/api/v1/products",
            &bank,
            json!({"name": "知惠贷", "amount_min_fen": 10_000_000, "amount_max_fen": 5_000_000_000i64,
                   "max_term_months": 36, "rate_cap_over_lpr_bp": 80,
                   "pledge_rates_bp": {"invention": 5000, "utility_model": 3000},
                   "valid_from": "2026-01-01", "valid_until": "2028-12-31"}),
        )
        .await;
    assert_eq!(p.status, StatusCode::CREATED, "{}", p.body);
    let id = p.body["id"].as_i64().expect("product id");
    let published = app
        .post(
            &format!("/api/v1/products/{id}/publish"),
            &bank,
            json!({"version": 1}),
        )
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.body);
    let matches = app
        .get(&format!("/api/v1/products/{id}/matches"), &bank)
        .await;
    let uscc = matches.body["items"][0]["uscc"]
        .as_str()
        .expect("a match")
        .to_owned();

    let b = Browser::start().await;
    b.sign_in(&app, "sun.boc", "bank-officer-pw").await;
    b.open(&app, "/outcomes").await;
    b.type_into("outcome-uscc", &uscc).await;
    b.click("main form button[type=submit]").await;
    b.shows("#stage", "已对接").await;
    for (step, fields, stage) in [
        ("applied", vec![], "已申请"),
        (
            "approved",
            vec![
                ("step-amount", "100"),
                ("step-term", "12"),
                ("step-rate", "3.85"),
            ],
            "已审批",
        ),
        ("disbursed", vec![("step-amount", "100")], "已放款"),
    ] {
        b.click(&format!("#step-kind option[value={step}]")).await;
        for (field, value) in fields {
            b.type_into(field, value).await;
        }
        b.click("main form button[type=submit]").await;
        b.shows("#stage", stage).await;
    }
    b.shows("#steps", "年利率3.85%").await;
    b.screenshot("outcome").await;
    b.close().await;

    let b = Browser::start().await;
    b.sign_in(&app, "zhao.office", "office-one-pw").await;
    b.open(&app, "/stats?by=bank").await;
    b.shows("#total-disbursed", "100").await;
    b.shows("#stats-table", "中国银行").await;
    b.download(&app, "#stats-sheet").await;
    b.screenshot("stats").await;
    b.close().await;
}
