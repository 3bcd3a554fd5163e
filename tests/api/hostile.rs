//! Hostile and unlucky files: bombs refused with a problem before they take memory, nothing
//! written; a job's state is the truth of what it committed; jobs outlive their server.

use crate::helpers::{TestApp, e2e};
use reqwest::StatusCode;
use serde_json::Value;

e2e!(
    bombs_are_refused_and_write_nothing,
    an_import_is_done_when_its_rows_are_written_whatever_becomes_of_the_copy,
    jobs_outlive_their_server,
    a_long_text_part_beside_the_file_is_refused,
);

/// An upload's text parts are read within a bound (4 KiB): a longer part is a 400 that names
/// it, and no job starts. (The part is 192 KiB, not megabytes: a server that answers before
/// the client has sent everything resets the connection, and the client would see that
/// instead of the answer.)
async fn a_long_text_part_beside_the_file_is_refused(app: TestApp) {
    app.seed().await;
    let park = app.token("park", Some("hqkfq"), None).await;
    let form = reqwest::multipart::Form::new()
        .text("note", "备".repeat(64 * 1024))
        .part(
            "file",
            reqwest::multipart::Part::bytes(crate::helpers::fixture()).file_name("台账.xlsx"),
        );
    let res = app
        .client
        .post(format!("{}/api/v1/imports", app.base))
        .bearer_auth(&park)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let problem: Value = res.json().await.expect("problem");
    assert_eq!(problem["code"], "bad_multipart");
    assert!(
        problem["detail"].as_str().unwrap_or("").contains("note"),
        "{problem}"
    );
    let jobs = app.store.import_jobs_by_state().await.expect("jobs");
    assert!(jobs.is_empty(), "no job started: {jobs:?}");
}

async fn import(app: &TestApp, token: &str, name: &str, bytes: Vec<u8>) -> Value {
    crate::helpers::import(app, token, name, bytes, "").await
}

/// The peak resident memory of this process, in bytes.
fn peak_memory() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn refused_as_too_large(job: &Value) {
    assert_eq!(job["state"], "failed", "{job}");
    assert_eq!(job["committed_rows"], 0, "{job}");
    let problem = &job["problem"];
    assert_eq!(problem["code"], "validation_failed", "{job}");
    assert_eq!(problem["status"], 422, "{job}");
    assert_eq!(problem["errors"][0]["field"], "file", "{job}");
    assert_eq!(problem["errors"][0]["code"], "file_too_large", "{job}");
}

async fn bombs_are_refused_and_write_nothing(app: TestApp) {
    app.seed().await;
    let park = app.token("park", Some("xxhtz"), None).await;
    let before = app.audit_len().await;
    // 1. A workbook of a few KB whose patent sheet reaches XFD1048576: read densely, 512 GiB.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("专利清单").expect("name");
    sheet.write_string(0, 0, "申请号").expect("cell");
    sheet.write_string(0, 1, "专利名称").expect("cell");
    sheet.write_string(1_048_575, 16_383, "x").expect("cell");
    let corner = book.save_to_buffer().expect("workbook");
    assert!(corner.len() < 8 * 1024);
    refused_as_too_large(&import(&app, &park, "corner.xlsx", corner).await);
    // 2. An archive entry that inflates a thousandfold.
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("xl/worksheets/sheet1.xml", deflated)
        .expect("entry");
    std::io::Write::write_all(&mut zip, &vec![b' '; 64 * 1024 * 1024]).expect("write");
    let bomb = zip.finish().expect("zip").into_inner();
    assert!(bomb.len() < 1024 * 1024, "{}", bomb.len());
    refused_as_too_large(&import(&app, &park, "bomb.xlsx", bomb).await);
    // 3. A CSV of 16,400 columns (its annotated copy would pass Excel's own limits).
    let mut wide = String::from("申请号,专利名称,专利类型,权利人");
    for i in 0..16_400 {
        wide.push_str(&format!(",列{i}"));
    }
    wide.push_str("\nCN201710123456.X,一种装置,发明,新乡市测试1机械有限公司\n");
    refused_as_too_large(&import(&app, &park, "专利清单.csv", wide.into_bytes()).await);
    // 4. A header of a million columns.
    let mut million = String::from("申请号,专利名称");
    for _ in 0..1_000_000 {
        million.push_str(",x");
    }
    million.push('\n');
    assert!(million.len() < 2 * 1024 * 1024);
    refused_as_too_large(&import(&app, &park, "专利清单.csv", million.into_bytes()).await);
    assert_eq!(app.audit_len().await, before, "nothing was written");
    // The server answers as before, and this whole process never came near a gigabyte.
    assert_eq!(app.get("/api/v1/me", &park).await.status, StatusCode::OK);
    let peak = peak_memory();
    assert!(peak > 0, "no /proc/self/status");
    assert!(peak < 1024 * 1024 * 1024, "peak memory {peak} bytes");
}

async fn an_import_is_done_when_its_rows_are_written_whatever_becomes_of_the_copy(app: TestApp) {
    app.seed().await;
    let park = app.token("park", Some("xxhtz"), None).await;
    let before = app.audit_len().await;
    // `[` is not allowed in an Excel sheet name: the annotated copy of a CSV named so cannot
    // be written. The rows are.
    let text = format!(
        "统一社会信用代码,企业名称,园区代码,行业代码,成立日期\n{},新乡市方括号科技有限公司,xxhtz,C3511,2015-03-01\n",
        crate::helpers::uscc(1)
    );
    let job = import(&app, &park, "企业台账[1].csv", text.into_bytes()).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["report"]["committed"], true, "{job}");
    assert_eq!(job["report"]["total"]["inserted"], 1, "{job}");
    assert_eq!(job["committed_rows"], 1, "{job}");
    assert!(job.get("annotated_url").is_none(), "{job}");
    assert_eq!(app.audit_len().await, before + 1);
    let copy = app
        .get(
            &format!("/api/v1/imports/{}/annotated.xlsx", job["id"]),
            &park,
        )
        .await;
    copy.problem(409, "no_annotated_copy");
}

async fn jobs_outlive_their_server(app: TestApp) {
    app.seed().await;
    let park = app.token("park", Some("xxhtz"), None).await;
    let text = format!(
        "统一社会信用代码,企业名称,园区代码,行业代码,成立日期\n{},新乡市重启科技有限公司,xxhtz,C3511,2015-03-01\n",
        crate::helpers::uscc(2)
    );
    let job = import(&app, &park, "企业台账.csv", text.into_bytes()).await;
    assert_eq!(job["state"], "done", "{job}");
    let id = job["id"].as_i64().expect("id");
    // Another server on the same database (or this one after a restart) answers for it.
    let other = pledge_service::Service::open_unindexed_on(app.store.clone(), app.clock.clone());
    let admin = other
        .authenticate(&app.admin, app.clock.now())
        .await
        .expect("admin");
    let again = other.import_job(&admin, id).await.expect("the job");
    assert_eq!(again.state, pledge_service::JobState::Done);
    assert_eq!(
        again.report.map(|r| r.total.inserted),
        Some(1),
        "the report was kept"
    );
    // Another park's official does not learn it exists.
    let other_park = app.token("park", Some("hqkfq"), None).await;
    app.get(&format!("/api/v1/imports/{id}"), &other_park)
        .await
        .problem(404, "not_found");
    // A job whose server fell silent eleven seconds ago reads as interrupted, with what it
    // wrote (the rows its import recorded as it committed them; here none).
    let gone = pledge_domain::Actor::cli(
        "gone server",
        app.clock.now() - chrono::Duration::seconds(11),
    );
    let cut = app
        .store
        .start_import_job(&gone, "cut.xlsx", None, "gone")
        .await
        .expect("job");
    assert!(cut.id > id, "ids are never handed out twice");
    app.store
        .import_job_progress(cut.id, 300, 1000, gone.now)
        .await
        .expect("progress");
    // Reading it writes nothing: it reads as running, silent since its last heartbeat.
    let path = format!("/api/v1/imports/{}", cut.id);
    let seen = app.get(&path, &app.admin).await;
    assert_eq!(seen.status, StatusCode::OK, "{}", seen.body);
    assert_eq!(seen.body["state"], "running", "{}", seen.body);
    assert_eq!(seen.body["silent"], true, "{}", seen.body);
    assert_eq!(seen.body["done"], 300, "{}", seen.body);
    // The sweep marks it interrupted (woken at once by a step of the clock; the guard only
    // bounds the wait).
    app.clock.advance(chrono::Duration::seconds(1));
    let seen = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        loop {
            let seen = app.get(&path, &app.admin).await;
            if seen.body["state"] != "running" {
                return seen;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the sweep marks the silent job");
    assert_eq!(seen.body["state"], "interrupted", "{}", seen.body);
    assert_eq!(seen.body["silent"], false, "{}", seen.body);
    assert_eq!(seen.body["done"], 300, "{}", seen.body);
}

/// A write that cannot have SQLite's write lock within the busy timeout is refused with 503
/// and `Retry-After`, writes nothing, and goes through once the lock is free.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_kept_from_sqlite_s_lock_is_503_with_retry_after() {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    let app = crate::helpers::spawn_app(pledge_store::testing::Backend::Sqlite).await;
    app.seed().await;
    let held = app
        .store
        .connection()
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await
        .expect("the write lock");
    let body = crate::helpers::enterprise_body(1, "xxhtz");
    let refused = app
        .post("/api/v1/enterprises", &app.admin, body.clone())
        .await;
    refused.problem(503, "unavailable");
    assert_eq!(
        refused
            .headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("5"),
        "{:?}",
        refused.headers
    );
    held.rollback().await.expect("released");
    let path = format!("/api/v1/enterprises/{}", crate::helpers::uscc(1));
    app.get(&path, &app.admin).await.problem(404, "not_found");
    let made = app.post("/api/v1/enterprises", &app.admin, body).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
}

e2e!(guessing_tokens_marks_the_address_for_sign_ins);

async fn guessing_tokens_marks_the_address_for_sign_ins(app: TestApp) {
    app.seed().await;
    app.park_official("qian.kz", "钱科长", "xxhtz", "qian-password-1")
        .await;
    app.park_official("sun.kz", "孙科员", "xxhtz", "sun-password-1")
        .await;
    let from = |address: &'static str, token: Option<String>| {
        let mut req = app
            .client
            .get(format!("{}/api/v1/me", app.base))
            .header("x-forwarded-for", format!("10.9.8.7, {address}"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        async move { req.send().await.expect("request") }
    };
    // Forgetting the token is not guessing: it is never counted.
    for _ in 0..40 {
        assert_eq!(
            from("203.0.113.7", None).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let bad = |i: usize| format!("plg_00000000_{i:048}");
    for i in 0..29 {
        assert_eq!(
            from("203.0.113.7", Some(bad(i))).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let (status, _, _) = app
        .sign_in_from("203.0.113.7", "sun.kz", "sun-password-1")
        .await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "29 failures: under the limit"
    );
    assert_eq!(
        from("203.0.113.7", Some(bad(29))).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // A bad token is always checked and answered 401; past the limit, the address is marked.
    let more = from(
        "203.0.113.7",
        Some("plg_00000000_".to_owned() + &"9".repeat(48)),
    )
    .await;
    assert_eq!(more.status(), StatusCode::UNAUTHORIZED);
    // A valid token from the same address is never refused for the failures beside it.
    assert_eq!(
        from("203.0.113.7", Some(app.admin.clone())).await.status(),
        StatusCode::OK
    );
    // Sign-ins from the marked address wait for its minute's end, the right password too,
    // but for a login that signed in from there before (a colleague behind the same NAT).
    let (status, _, _) = app
        .sign_in_from("203.0.113.7", "sun.kz", "sun-password-1")
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, wait, _) = app
        .sign_in_from("203.0.113.7", "qian.kz", "qian-password-1")
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let wait = wait.expect("Retry-After");
    assert!((1..=60).contains(&wait), "{wait}");
    // Another address is not held back.
    let (status, _, _) = app
        .sign_in_from("198.51.100.1", "qian.kz", "qian-password-1")
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // Once the minute has passed on the application's clock, the address signs in.
    app.clock.advance(chrono::TimeDelta::seconds(61));
    let (status, _, _) = app
        .sign_in_from("203.0.113.7", "qian.kz", "qian-password-1")
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}
