use pledge_domain::{Actor, Role};
use pledge_http::{Application, HttpConfig, Settings};
use pledge_service::Clock;
use pledge_store::Store;
use pledge_store::testing::{Backend, TestDatabase};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

/// Runs each named `async fn(TestApp)` on SQLite and on PostgreSQL.
macro_rules! e2e {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name(crate::helpers::spawn_app(pledge_store::testing::Backend::Sqlite).await).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = "needs PostgreSQL: set PLEDGE_TEST_POSTGRES_URL and run with --include-ignored"]
                async fn postgres() {
                    super::$name(crate::helpers::spawn_app(pledge_store::testing::Backend::Postgres).await).await;
                }
            }
        )*
    };
}
pub(crate) use e2e;

/// A running server with its own database and an admin token.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Store,
    /// The server's use cases (for tests that look at its index).
    pub service: pledge_service::Service,
    /// The server's clock.
    pub clock: Clock,
    pub admin: String,
    /// The database kind it runs on.
    pub backend: Backend,
    _shutdown: tokio::sync::oneshot::Sender<()>,
    _db: TestDatabase,
}

/// An answer: status, headers and the body as JSON (Null when it is not JSON).
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts a problem document with this status and code, and returns it.
    pub fn problem(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.content_type(), "application/problem+json");
        assert_eq!(self.body["code"], code, "body: {}", self.body);
        assert_eq!(self.body["status"], status);
        assert!(
            self.body["type"]
                .as_str()
                .is_some_and(|t| t.ends_with(code))
        );
        &self.body
    }

    /// The codes of the invalid fields, as (field, code).
    pub fn field_errors(&self) -> Vec<(String, String)> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| {
                        (
                            e["field"].as_str().unwrap_or("").to_owned(),
                            e["code"].as_str().unwrap_or("").to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The instant every test server starts at (10:00 in Beijing): the suite passes on any day.
/// A test that needs another day steps `TestApp::clock`.
pub fn pinned_instant() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-12-07T02:00:00Z")
        .expect("an instant")
        .with_timezone(&chrono::Utc)
}

/// The business day the test servers start on.
pub fn today() -> chrono::NaiveDate {
    pledge_service::business_day(pinned_instant())
}

/// The day `offset` days from the pinned day (negative: before it).
pub fn day(offset: i64) -> chrono::NaiveDate {
    today() + chrono::Duration::days(offset)
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    let db = TestDatabase::create(backend).await;
    let settings = Settings {
        database_url: db.url.clone(),
        token_key: Some(pledge_store::testing::TOKEN_KEY.into()),
        http: HttpConfig {
            body_limit: 64 * 1024,
            request_timeout: Duration::from_secs(20),
            upload_limit: 2 * 1024 * 1024,
            trust_forwarded_for: true,
            failed_auth_per_minute: 30,
        },
        pushes: pledge_service::Pushes {
            allow_http: true,
            // The tests' receivers listen on this host.
            allowed_networks: vec!["127.0.0.0/8".parse().expect("a network")],
            // Names resolve from this table only: no name server is asked.
            names: pledge_service::receivers::Names::fixed([(
                "receiver.test".to_owned(),
                std::net::IpAddr::from([127, 0, 0, 1]),
            )]),
            deliver: true,
            poll: Duration::from_millis(20),
            retry_base: Duration::from_millis(100),
            max_attempts: 8,
            timeout: Duration::from_secs(5),
        },
        snapshots: None,
        // Writes by other processes (here: the test, through the store) are followed as a
        // server follows them.
        follow_every: Duration::from_millis(20),
    };
    let clock = Clock::starting_at(chrono::Utc::now, pinned_instant());
    let Application { service, router } = Application::build(&settings, clock.clone())
        .await
        .expect("the application");
    // The server's own store: what a test writes or breaks there, the server sees.
    let store = service.store().clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(pledge_http::serve(
        listener,
        router,
        pledge_http::Edge::default(),
        async {
            let _ = rx.await;
        },
    ));
    let (_, admin) = store
        .create_token(
            &Actor::cli_on(
                "test",
                chrono::NaiveDate::from_ymd_opt(2026, 11, 27).expect("date"),
            ),
            "test admin",
            Role::Office,
            None,
            None,
        )
        .await
        .expect("admin token");
    TestApp {
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        store,
        service,
        clock,
        admin,
        backend,
        _shutdown: tx,
        _db: db,
    }
}

impl TestApp {
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("body");
        Answer {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Answer {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    /// Downloads `path` as bytes, asserting 200.
    pub async fn download(&self, path: &str, token: &str) -> Vec<u8> {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("download");
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        res.bytes().await.expect("bytes").to_vec()
    }

    pub async fn delete(&self, path: &str, token: &str) -> Answer {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// A new token over the API.
    pub async fn token(&self, role: &str, park: Option<&str>, bank: Option<&str>) -> String {
        let a = self
            .post(
                "/api/v1/tokens",
                &self.admin,
                json!({"role": role, "park": park, "bank": bank, "name": format!("{role} tester")}),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        a.body["token"].as_str().expect("token").to_owned()
    }

    /// Two parks (xxhtz, hqkfq) and two banks (boc, icbc).
    pub async fn seed(&self) {
        for (code, name) in [("xxhtz", "新乡高新区"), ("hqkfq", "红旗区先进制造业开发区")]
        {
            let a = self
                .post(
                    "/api/v1/parks",
                    &self.admin,
                    json!({"code": code, "name": name, "region": "410702"}),
                )
                .await;
            assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        }
        for (code, name) in [("boc", "中国银行新乡分行"), ("icbc", "工商银行新乡分行")]
        {
            let a = self
                .post(
                    "/api/v1/banks",
                    &self.admin,
                    json!({"code": code, "name": name}),
                )
                .await;
            assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        }
    }

    /// A park official of `park` who signs in to the console with `password`.
    pub async fn park_official(&self, login: &str, name: &str, park: &str, password: &str) {
        self.person(login, name, json!({"role": "park", "park": park}), password)
            .await;
    }

    /// An officer of the city office, `zhao.office` (赵处长), who signs in with
    /// `office-one-pw`.
    pub async fn officer(&self) {
        self.person(
            "zhao.office",
            "赵处长",
            json!({"role": "admin"}),
            "office-one-pw",
        )
        .await;
    }

    /// A person created by the office's token (`scope`: their role and park or bank) who
    /// signs in to the console with `password`.
    pub async fn person(&self, login: &str, name: &str, scope: Value, password: &str) {
        let mut body = json!({"login": login, "name": name});
        if let (Some(b), Some(s)) = (body.as_object_mut(), scope.as_object()) {
            b.extend(s.clone());
        }
        let person = self.post("/api/v1/people", &self.admin, body).await;
        assert_eq!(person.status, StatusCode::CREATED, "{}", person.body);
        self.service
            .set_password(
                &pledge_service::Context::command_line("test", self.clock.now()),
                login,
                password,
            )
            .await
            .expect("password");
    }

    /// A console sign-in, from `address` (as the trusted balancer says) or this machine: the
    /// sign-in form fetched, then posted with its token.
    pub async fn post_sign_in(
        &self,
        address: Option<&str>,
        login: &str,
        password: &str,
    ) -> reqwest::Response {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let form = client
            .get(format!("{}/login", self.base))
            .send()
            .await
            .expect("login page");
        let (cookie, _) = set_cookie(&form, "pledge_sign_in").expect("form cookie");
        let token = form_token(&form.text().await.expect("html"));
        let mut post = client
            .post(format!("{}/login", self.base))
            .header("cookie", cookie);
        if let Some(address) = address {
            post = post.header("x-forwarded-for", address);
        }
        post.form(&[
            ("csrf", token.as_str()),
            ("login", login),
            ("password", password),
        ])
        .send()
        .await
        .expect("sign in")
    }

    /// A sign-in from `address`: its status, `Retry-After` and page.
    pub async fn sign_in_from(
        &self,
        address: &str,
        login: &str,
        password: &str,
    ) -> (StatusCode, Option<u64>, String) {
        let res = self.post_sign_in(Some(address), login, password).await;
        let status = res.status();
        let wait = res
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        (status, wait, res.text().await.expect("html"))
    }

    /// A draft batch of the white list, opened by the office: its id.
    pub async fn draft_batch(&self, name: &str) -> i64 {
        let b = self
            .post(
                "/api/v1/whitelist/batches",
                &self.admin,
                json!({"name": name, "valid_until": day(389)}),
            )
            .await;
        assert_eq!(b.status, StatusCode::CREATED, "{}", b.body);
        b.body["id"].as_i64().expect("batch id")
    }

    /// Registers test enterprise `i` of each `(i, park)`.
    pub async fn enterprises(&self, which: &[(u32, &str)]) {
        for (i, park) in which {
            let a = self
                .post(
                    "/api/v1/enterprises",
                    &self.admin,
                    enterprise_body(*i, park),
                )
                .await;
            assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        }
    }

    /// How many audit records the log holds.
    pub async fn audit_len(&self) -> usize {
        self.store
            .audit_log(&Default::default(), None, 10_000)
            .await
            .expect("audit")
            .items
            .len()
    }
}

/// A valid USCC for test enterprise `i`.
pub fn uscc(i: u32) -> String {
    pledge_domain::Uscc::from_body(&format!("91410702MA{i:07}"))
        .expect("valid")
        .to_string()
}

/// The body of a new enterprise of `park`.
pub fn enterprise_body(i: u32, park: &str) -> Value {
    json!({
        "uscc": uscc(i),
        "name": format!("新乡市测试{i}机械有限公司"),
        "park": park,
        "region": "410702",
        "industry": "C3421",
        "founded_on": "2015-05-01",
        "size": "small",
        "qualifications": [{"kind": "high_tech", "certificate_number": "GR202341000123", "valid_until": day(389)}],
        "risk_flags": [],
        "financing_need": {"amount_fen": 500_000_000, "term_months": 12},
        "contact": {"name": "王经理", "phone": "0373-1234567", "email": "wang@example.cn"},
        "contact_consent": false
    })
}

/// The body of an in-force invention patent owned by test enterprise `owner`.
pub fn patent_body(owner: u32) -> Value {
    json!({
        "owner": uscc(owner),
        "title": "一种数控机床主轴冷却装置",
        "filing_date": "2017-03-05",
        "grant_date": "2019-06-01",
        "legal_status": "in_force",
        "annual_fee_paid_until": "2030-03-04",
        "ipc_main": "B23Q 11/12",
        "strategic_emerging_industry": true
    })
}

/// Uploads `bytes` as `name` and waits for the job to finish; returns the finished job.
pub async fn import(app: &TestApp, token: &str, name: &str, bytes: Vec<u8>, query: &str) -> Value {
    let location = start_import(app, token, name, bytes, query).await;
    finished_job(app, &location, token, 600).await
}

/// Uploads `bytes` as `name`: the job's location, the job running in the background.
pub async fn start_import(
    app: &TestApp,
    token: &str,
    name: &str,
    bytes: Vec<u8>,
    query: &str,
) -> String {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
    );
    let res = app
        .client
        .post(format!("{}/api/v1/imports{query}", app.base))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    res.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned()
}

/// The job at `location` once it is no longer running, read every 50 ms at most `reads`
/// times (a guard, not a measure).
pub async fn finished_job(app: &TestApp, location: &str, token: &str, reads: u32) -> Value {
    for _ in 0..reads {
        let job = app.get(location, token).await;
        assert_eq!(job.status, StatusCode::OK, "{}", job.body);
        if job.body["state"] != "running" {
            return job.body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    unreachable!("the import did not finish after {reads} reads");
}

/// The Hongqi park's ledger as the park keeps it (with its bad rows).
pub fn fixture() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/test-data/park-ledger-hongqi.xlsx"
    ))
    .expect("fixture")
}

/// The hidden form token of a page.
pub fn form_token(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

/// The `name=value` of a cookie the answer sets, and the whole header.
pub fn set_cookie(res: &reqwest::Response, name: &str) -> Option<(String, String)> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| {
            (
                v.split(';').next().unwrap_or_default().to_owned(),
                v.to_owned(),
            )
        })
}
