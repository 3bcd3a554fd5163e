//! The `pledge` binary itself: token management and the demo data set, on SQLite and, when
//! `PLEDGE_TEST_POSTGRES_URL` is set, on PostgreSQL.

use crate::server::pledge;
use pledge_service::testing::{
    Backend, TestDatabase, ledger as pledge_ledger, store as pledge_store,
};
use std::process::Command;

async fn tokens_are_printed_once_and_revoked(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let (ok, out, err) = pledge(
        &db.url,
        &["token", "create", "--role", "admin", "--name", "运维"],
    );
    assert!(ok, "{err}");
    let token = out.lines().last().expect("a last line").to_owned();
    assert!(
        token.starts_with("plg_") && !token.contains(' '),
        "the token alone on the last line: {out}"
    );
    let store = db.store().await;
    let who = store
        .authenticate(&token)
        .await
        .expect("auth")
        .expect("live");
    let id = who.token_id.expect("a token's principal names its token");
    let (ok, _, err) = pledge(&db.url, &["token", "revoke", &id.to_string()]);
    assert!(ok, "{err}");
    assert!(store.authenticate(&token).await.expect("auth").is_none());
    let (ok, _, err) = pledge(
        &db.url,
        &[
            "token", "create", "--role", "park", "--park", "nowhere", "--name", "x",
        ],
    );
    assert!(!ok);
    assert!(err.contains("park"), "{err}");
}

async fn the_demo_loads_once(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let (ok, first, err) = pledge(&db.url, &["demo"]);
    assert!(ok, "{err}");
    assert!(
        first.contains("added 5 parks, 3 banks, 300 enterprises"),
        "{first}"
    );
    let (ok, second, err) = pledge(&db.url, &["demo"]);
    assert!(ok, "{err}");
    assert_eq!(
        second.trim(),
        "added 0 parks, 0 banks, 0 enterprises, 0 patents, 0 trademarks, 0 appraisals, 0 white-list entries, 0 loan products, 0 outcomes"
    );
    assert!(first.contains("4 loan products"), "{first}");
    let outcomes: u32 = first
        .trim()
        .rsplit(", ")
        .next()
        .and_then(|o| o.strip_suffix(" outcomes"))
        .and_then(|n| n.parse().ok())
        .expect("a count of outcomes");
    assert!(
        outcomes >= 10,
        "the banks report what came of their matches: {first}"
    );
    let store = db.store().await;
    let page = store
        .list_enterprises(&Default::default(), None, 500)
        .await
        .expect("list");
    assert_eq!(page.items.len(), 300);
    let flagged = page
        .items
        .iter()
        .filter(|e| !e.value.risk_flags.is_empty())
        .count();
    assert!(
        (1..=30).contains(&flagged),
        "a few risk flags, not none and not many: {flagged}"
    );
}

#[tokio::test]
async fn tokens_on_sqlite() {
    tokens_are_printed_once_and_revoked(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set PLEDGE_TEST_POSTGRES_URL and run with --include-ignored"]
async fn tokens_on_postgres() {
    tokens_are_printed_once_and_revoked(Backend::Postgres).await;
}

#[tokio::test]
async fn demo_on_sqlite() {
    the_demo_loads_once(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set PLEDGE_TEST_POSTGRES_URL and run with --include-ignored"]
async fn demo_on_postgres() {
    the_demo_loads_once(Backend::Postgres).await;
}

#[test]
fn templates_are_written_and_read_back() {
    let dir = std::env::temp_dir().join(format!("pledge-template-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("patents.xlsx");
    let (ok, out, err) = pledge(
        "sqlite::memory:",
        &["template", "patents", "--out", path.to_str().expect("path")],
    );
    assert!(ok, "{err}");
    assert_eq!(out.trim(), path.display().to_string());
    let bytes = std::fs::read(&path).expect("written");
    let tables =
        pledge_ledger::read_xlsx(&bytes, &pledge_ledger::Limits::default()).expect("a workbook");
    assert_eq!(tables[0].sheet, "专利清单");
    let layout = pledge_ledger::layout(&tables[0], pledge_ledger::SheetKind::Patents);
    assert!(
        layout.missing.is_empty() && layout.unknown.is_empty(),
        "{layout:?}"
    );
    let (ok, _, err) = pledge("sqlite::memory:", &["template", "loans"]);
    assert!(!ok && err.contains("loans"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Counts rows of `table` straight from the database.
async fn count(store: &pledge_store::Store, sql: &str) -> i64 {
    store.count(sql).await.expect("count")
}

/// A park, 200 enterprises imported, and a file of `patents` patents to import next.
async fn large_import_setup(
    db: &TestDatabase,
    dir: &std::path::Path,
    patents: u32,
) -> std::path::PathBuf {
    let store = db.store().await;
    store
        .create_park(
            &pledge_domain::Actor::cli_on(
                "test",
                chrono::NaiveDate::from_ymd_opt(2026, 11, 27).expect("day"),
            ),
            pledge_store::ParkRecord {
                code: pledge_domain::ParkCode::parse("hqkfq").expect("code"),
                name: pledge_domain::Text::parse("红旗区先进制造业开发区", 1, 100).expect("name"),
                region: pledge_domain::RegionCode::parse("410702").expect("region"),
            },
        )
        .await
        .expect("park");
    let (firms, ip) = pledge_ledger::sample_ledgers(200, patents, "hqkfq");
    let firms_path = dir.join("enterprises.csv");
    std::fs::write(&firms_path, firms).expect("write");
    let (ok, out, err) = pledge(&db.url, &["import", firms_path.to_str().expect("path")]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("enterprises: 200 inserted"), "{out}");
    let path = dir.join("patents.csv");
    std::fs::write(&path, ip).expect("write");
    path
}

/// Starts `pledge import FILE ARGS…`, waits until the rows it reports done, of its total,
/// are `enough`, and kills it.
fn kill_during_import(
    url: &str,
    file: &std::path::Path,
    args: &[&str],
    enough: fn(usize, usize) -> bool,
) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_pledge"))
        .arg("import")
        .arg(file)
        .args(args)
        .env("PLEDGE_DATABASE_URL", url)
        .env("PLEDGE_TOKEN_KEY", "test-key")
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    for line in BufReader::new(stderr).lines() {
        let line = line.expect("line");
        let counts = line.split_once('/').and_then(|(d, t)| {
            let total = t.split_whitespace().next()?.parse::<usize>().ok()?;
            Some((d.trim().parse::<usize>().ok()?, total))
        });
        if counts.is_some_and(|(done, total)| enough(done, total)) {
            break;
        }
    }
    assert!(
        child.try_wait().expect("status").is_none(),
        "still importing when killed"
    );
    child.kill().expect("kill");
    child.wait().expect("reaped");
}

async fn a_killed_import_leaves_whole_rows(backend: Backend) {
    // All or nothing: killed as it writes, it leaves every row or none. On an SQLite file
    // its rows are first checked on a copy (its count runs over the check, then the write)
    // and written back in one short transaction: killed as the check ends, either that
    // transaction was under way (nothing is left) or it had committed (everything is).
    let db = TestDatabase::create(backend).await;
    let dir = tempfile::tempdir().expect("dir");
    let file = large_import_setup(&db, dir.path(), 20_000).await;
    let store = db.store().await;
    let audit_before = count(&store, "SELECT COUNT(*) FROM audit_log").await;
    kill_during_import(&db.url, &file, &["--all-or-nothing"], |done, total| {
        done >= total.saturating_sub(20_000).max(1000)
    });
    let patents = count(&store, "SELECT COUNT(*) FROM patents").await;
    let audit = count(&store, "SELECT COUNT(*) FROM audit_log").await;
    assert!(
        (patents, audit) == (0, audit_before)
            || (patents, audit) == (20_000, audit_before + 40_000),
        "all or nothing: {patents} patents, {} audit records",
        audit - audit_before
    );
    let db = TestDatabase::create(backend).await;
    let file = large_import_setup(&db, dir.path(), 20_000).await;
    let store = db.store().await;
    // Partial: killed after some batches committed, whole rows only: every patent with its
    // appraisal and its audit records, in whole batches.
    kill_during_import(&db.url, &file, &[], |done, _| done >= 1000);
    let patents = count(&store, "SELECT COUNT(*) FROM patents").await;
    assert!((1000..20_000).contains(&patents), "{patents}");
    assert_eq!(patents % 500, 0, "whole batches: {patents}");
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM appraisals").await,
        patents
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM audit_log WHERE entity = 'patent'"
        )
        .await,
        patents
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM audit_log WHERE entity = 'appraisal'"
        )
        .await,
        patents
    );
    // Importing the file again completes it, leaving the committed rows unchanged.
    let (ok, out, err) = pledge(&db.url, &["import", file.to_str().expect("path")]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains(&format!(
            "patents: {} inserted, 0 updated, {patents} unchanged, 0 rejected",
            20_000 - patents
        )),
        "{out}"
    );
}

#[tokio::test]
async fn killed_import_on_sqlite() {
    a_killed_import_leaves_whole_rows(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set PLEDGE_TEST_POSTGRES_URL and run with --include-ignored"]
async fn killed_import_on_postgres() {
    a_killed_import_leaves_whole_rows(Backend::Postgres).await;
}

/// An import job whose server is killed as it writes says exactly what it committed (the
/// count is written with the rows), and another server marks it interrupted.
async fn a_job_cut_off_with_its_server_says_what_it_committed(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let dir = tempfile::tempdir().expect("dir");
    let file = large_import_setup(&db, dir.path(), 20_000).await;
    let token = crate::server::office_token(&db.url);
    let server = crate::server::serve(&db.url, &[]).await;
    let client = reqwest::Client::new();
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(std::fs::read(&file).expect("file"))
            .file_name("patents.csv"),
    );
    let started = client
        .post(format!("{}/api/v1/imports", server.base()))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(started.status().as_u16(), 202);
    let location = started.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let job_of = |base: String| {
        let (client, token, location) = (client.clone(), token.clone(), location.clone());
        async move {
            client
                .get(format!("{base}{location}"))
                .bearer_auth(&token)
                .send()
                .await
                .expect("job")
                .json::<serde_json::Value>()
                .await
                .expect("json")
        }
    };
    // Killed once a few batches are in, as the job says with each batch's commit (read every
    // 20 ms, at most a minute).
    let mut seen = serde_json::Value::Null;
    for _ in 0..3000 {
        seen = job_of(server.base()).await;
        if seen["committed_rows"].as_i64().unwrap_or(0) >= 2000 || seen["state"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(seen["state"], "running", "still importing: {seen}");
    drop(server);
    let store = db.store().await;
    let patents = count(&store, "SELECT COUNT(*) FROM patents").await;
    let id = seen["id"].as_i64().expect("id");
    let job = store.import_job(id).await.expect("read").expect("the job");
    assert!((2000..20_000).contains(&patents), "{patents}");
    assert_eq!(job.committed_rows, patents, "exactly what was committed");
    // Another server finds it silent and marks it interrupted (a guard of a minute).
    let other = crate::server::serve(&db.url, &[]).await;
    let mut ended = serde_json::Value::Null;
    for _ in 0..600 {
        ended = job_of(other.base()).await;
        if ended["state"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(ended["state"], "interrupted", "{ended}");
    assert_eq!(ended["committed_rows"], patents, "{ended}");
}

#[tokio::test]
async fn cut_off_job_on_sqlite() {
    a_job_cut_off_with_its_server_says_what_it_committed(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set PLEDGE_TEST_POSTGRES_URL and run with --include-ignored"]
async fn cut_off_job_on_postgres() {
    a_job_cut_off_with_its_server_says_what_it_committed(Backend::Postgres).await;
}

/// `pledge backup` writes a checked copy and refuses to overwrite one; `pledge restore` puts
/// it back (the tokens made after the copy are gone) under a new identity.
async fn backup_and_restore(backend: Backend) {
    if backend == Backend::Postgres {
        // Never an "ok" that did not run: without the client tools this test fails, saying so.
        assert!(
            Command::new("pg_dump").arg("--version").output().is_ok(),
            "the PostgreSQL client tools (pg_dump, pg_restore) are needed"
        );
    }
    let db = TestDatabase::create(backend).await;
    let token = crate::server::office_token(&db.url);
    let store = db.store().await;
    let identity = store.identity().await.expect("identity");
    let dir = tempfile::tempdir().expect("dir");
    let copy = dir.path().join("copy");
    let copy_arg = copy.to_str().expect("path");
    let (ok, out, err) = pledge(&db.url, &["backup", copy_arg]);
    assert!(ok && out.contains("backed up"), "{out}{err}");
    let (ok, _, err) = crate::server::pledge(&db.url, &["backup", copy_arg]);
    assert!(
        !ok && err.contains("exists"),
        "a copy is never overwritten: {err}"
    );
    pledge(
        &db.url,
        &["token", "create", "--role", "admin", "--name", "后来"],
    );
    let tokens = count(&store, "SELECT COUNT(*) FROM api_tokens").await;
    store.close().await.expect("closed");
    let (ok, out, err) = pledge(&db.url, &["restore", copy_arg]);
    assert!(ok && out.contains("restored"), "{out}{err}");
    let store = db.store().await;
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM api_tokens").await,
        tokens - 1,
        "the token made after the copy is gone"
    );
    assert_ne!(store.identity().await.expect("identity"), identity);
    assert!(!token.is_empty());
}

#[tokio::test]
async fn backup_and_restore_on_sqlite() {
    backup_and_restore(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set PLEDGE_TEST_POSTGRES_URL and run with --include-ignored"]
async fn backup_and_restore_on_postgres() {
    backup_and_restore(Backend::Postgres).await;
}

/// The generator's data set, read back through the store (which parses every row into the
/// domain types, as it does real data), is exactly the one generated in memory.
async fn generated_data_reads_back_as_generated(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).expect("a day");
    let (ok, out, err) = pledge(
        &db.url,
        &[
            "gen",
            "--enterprises",
            "400",
            "--products",
            "25",
            "--seed",
            "7",
            "--as-of",
            "2026-11-27",
        ],
    );
    assert!(ok, "{err}");
    let expected: Vec<_> = pledge_fixtures::synthetic::DataSet::new(7, 400, as_of).collect();
    let patents: usize = expected.iter().map(|h| h.patents.len()).sum();
    assert!(
        out.contains("400 enterprises") && out.contains(&format!("{patents} patents")),
        "{out}"
    );
    let store = db.store().await;
    let stored = store.all_holdings().await.expect("holdings");
    assert_eq!(stored.len(), expected.len());
    for (s, e) in stored.iter().zip(&expected) {
        assert_eq!(format!("{s:?}"), format!("{e:?}"), "{}", e.enterprise.uscc);
    }
    // Read in parts of uneven size, as the index is built, the same holdings come back.
    let (lo, hi) = store
        .enterprise_id_span()
        .await
        .expect("span")
        .expect("enterprises");
    let mut parts = Vec::new();
    let mut from = lo;
    for size in [1, 37, 128].into_iter().cycle() {
        if from > hi {
            break;
        }
        parts.extend(
            store
                .holdings_between(from, from + size)
                .await
                .expect("a part"),
        );
        from += size;
    }
    assert_eq!(format!("{parts:?}"), format!("{stored:?}"), "read in parts");
    let products = store.products(None).await.expect("products");
    assert_eq!(products.len(), 25);
    assert_eq!(
        products
            .iter()
            .filter(|p| p.rules.name.as_str() == "知惠贷")
            .count(),
        1
    );
    assert_eq!(store.list_banks().await.expect("banks").len(), 3);
    // A second load into the same database is refused and changes nothing.
    let (ok, _, err) = pledge(&db.url, &["gen", "--enterprises", "5"]);
    assert!(!ok);
    assert!(err.contains("database_not_empty"), "{err}");
    assert_eq!(store.all_holdings().await.expect("holdings").len(), 400);
}

#[tokio::test]
async fn gen_on_sqlite() {
    generated_data_reads_back_as_generated(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set PLEDGE_TEST_POSTGRES_URL and run with --include-ignored"]
async fn gen_on_postgres() {
    generated_data_reads_back_as_generated(Backend::Postgres).await;
}

/// `pledge bench run` with few samples on the database at `url`: its stdout and its JSON.
fn bench_run(url: &str) -> (String, serde_json::Value) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let json = dir.path().join("run.json");
    let (ok, out, err) = pledge(
        url,
        &[
            "bench",
            "run",
            "--samples",
            "3",
            "--baseline-samples",
            "1",
            "--as-of",
            "2026-11-27",
            "--json",
            &json.display().to_string(),
        ],
    );
    assert!(ok, "{err}");
    let report = serde_json::from_slice(&std::fs::read(&json).expect("the JSON")).expect("JSON");
    (out, report)
}

/// `pledge bench run` measures every workload on a generated data set, and `pledge bench
/// chart` draws runs of two sizes.
#[tokio::test]
async fn bench_runs_and_charts_on_sqlite() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut runs = Vec::new();
    for n in [120, 360] {
        let db = dir.path().join(format!("{n}.db"));
        let url = format!("sqlite://{}", db.display());
        let (ok, _, err) = pledge(
            &url,
            &[
                "gen",
                "--enterprises",
                &n.to_string(),
                "--products",
                "20",
                "--as-of",
                "2026-11-27",
                "--out",
                &db.display().to_string(),
            ],
        );
        assert!(ok, "{err}");
        let (out, report) = bench_run(&url);
        assert!(out.contains("| selective product, top 50 |"), "{out}");
        let json = dir.path().join(format!("{n}.json"));
        std::fs::write(&json, report.to_string()).expect("the JSON written");
        assert_eq!(report["enterprises"], n);
        assert_eq!(report["products"], 20);
        let workloads = report["workloads"].as_array().expect("workloads");
        assert_eq!(workloads.len(), 8, "{workloads:?}");
        for w in workloads {
            assert!(w["engine"]["median_us"].as_f64().expect("a median") > 0.0);
        }
        // The reference evaluator ran beside the engine; SQL only on PostgreSQL.
        assert!(workloads[0]["reference"]["median_us"].as_f64().is_some());
        assert!(workloads[0]["sql"].is_null());
        runs.push(json.display().to_string());
    }
    let svg = dir.path().join("chart.svg");
    let mut args = vec!["bench", "chart", "--out"];
    let svg_path = svg.display().to_string();
    args.push(&svg_path);
    args.extend(runs.iter().map(String::as_str));
    let (ok, _, err) = pledge("sqlite://unused.db", &args);
    assert!(ok, "{err}");
    let drawn = std::fs::read_to_string(&svg).expect("the chart");
    assert!(drawn.starts_with("<svg"));
    assert_eq!(drawn.matches("<polyline").count(), 5, "{drawn}");
    let (ok, _, err) = pledge(
        "sqlite://unused.db",
        &["bench", "chart", "--out", &svg_path, &runs[0]],
    );
    assert!(!ok && err.contains("at least two sizes"), "{err}");
}

/// On PostgreSQL the product rules also run as SQL, and its top 50 is compared with the
/// engine's.
#[tokio::test]
#[ignore = "needs PostgreSQL: set PLEDGE_TEST_POSTGRES_URL and run with --include-ignored"]
async fn bench_runs_the_sql_baseline_on_postgres() {
    let db = TestDatabase::create(Backend::Postgres).await;
    let (ok, _, err) = pledge(
        &db.url,
        &[
            "gen",
            "--enterprises",
            "3000",
            "--products",
            "10",
            "--as-of",
            "2026-11-27",
        ],
    );
    assert!(ok, "{err}");
    let (out, report) = bench_run(&db.url);
    assert_eq!(report["backend"], "PostgreSQL");
    let workloads = report["workloads"].as_array().expect("workloads");
    for w in &workloads[..3] {
        assert!(
            w["sql"]["median_us"].as_f64().expect("SQL timed") > 0.0,
            "{w}"
        );
    }
    // Both sides list the same enterprises, in number at least.
    let agreement = report["sql_agreement"].as_array().expect("an agreement");
    assert_eq!(agreement[0], agreement[1], "{out}");
}
