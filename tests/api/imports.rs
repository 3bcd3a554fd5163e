//! Imports never hold other parks up: while one park dry-runs a large ledger, or checks one
//! to import all or nothing, another park's writes go through at once.

use crate::helpers::{TestApp, e2e, enterprise_body, finished_job, import, start_import};
use reqwest::StatusCode;

e2e!(a_large_check_holds_no_other_park_s_writes_up);

/// Patents in the large ledger: enough that checking them outlasts a heartbeat and another
/// park's writes, few enough that the workbook stays under the test server's upload limit.
const PATENTS: u32 = 40_000;

/// The sample patent ledger as a workbook of one sheet (far denser than its CSV).
fn workbook(csv: &str) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("专利清单").expect("name");
    for (r, line) in csv.lines().enumerate() {
        for (c, cell) in line.split(',').enumerate() {
            sheet.write_string(r as u32, c as u16, cell).expect("cell");
        }
    }
    book.save_to_buffer().expect("workbook")
}

/// How many of a job's counted rows are its check, of its total.
type Checked = fn(i64) -> i64;

/// Whether the job at `location` twice recorded its progress part-way through its check
/// (below `checked` of its `total`) while it ran; false when it ended first. Its server
/// records the progress every second, a write like any other: a check that held the write lock
/// would hold those records up (one stale record at most, once the lock is let go, and then
/// the end), so it could never be seen twice.
async fn checking(app: &TestApp, location: &str, token: &str, checked: Checked) -> bool {
    let mut first = None;
    for _ in 0..1200 {
        let job = app.get(location, token).await;
        if job.body["state"] != "running" {
            return false;
        }
        let done = job.body["done"].as_i64().unwrap_or(0);
        let total = job.body["total"].as_i64().unwrap_or(0);
        if done > 0 && done < checked(total) {
            match first {
                Some(d) if done > d => return true,
                None => first = Some(done),
                Some(_) => {}
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    unreachable!("the check did not get under way within a minute");
}

async fn a_large_check_holds_no_other_park_s_writes_up(app: TestApp) {
    app.seed().await;
    let park = app.token("park", Some("xxhtz"), None).await;
    let other = app.token("park", Some("hqkfq"), None).await;
    let (firms, patents) = pledge_ledger::sample_ledgers(200, PATENTS, "xxhtz");
    let patents = workbook(&patents);
    let job = import(&app, &park, "企业.csv", firms.into_bytes(), "").await;
    assert_eq!(job["state"], "done", "{job}");
    let mut next = 0;
    // A dry run is all check; an all-or-nothing import checks its rows, then writes them,
    // and counts both.
    let runs: [(&str, bool, Checked); 2] = [
        ("?dry_run=true", false, |total| total),
        ("?mode=all_or_nothing", true, |total| total / 2),
    ];
    for (query, committed, checked) in runs {
        // On a busy machine a check may end between two records, or before the other park's
        // writes are all answered: that shows nothing either way, and it is run again (an
        // all-or-nothing import finds its rows unchanged the second time). The writes are
        // answered 201 every time.
        let mut location = None;
        for _ in 0..3 {
            let started = start_import(&app, &park, "专利.xlsx", patents.clone(), query).await;
            if !checking(&app, &started, &park, checked).await {
                finished_job(&app, &started, &park, 6000).await;
                continue;
            }
            for _ in 0..5 {
                next += 1;
                let made = app
                    .post(
                        "/api/v1/enterprises",
                        &other,
                        enterprise_body(next, "hqkfq"),
                    )
                    .await;
                assert_eq!(made.status, StatusCode::CREATED, "{query}: {}", made.body);
            }
            // The writes came while the ledger was checked.
            if app.get(&started, &park).await.body["state"] == "running" {
                location = Some(started);
                break;
            }
            finished_job(&app, &started, &park, 6000).await;
        }
        let location = location.unwrap_or_else(|| {
            panic!(
                "{query}: three checks ended before the other park's writes were seen during one"
            )
        });
        let job = finished_job(&app, &location, &park, 6000).await;
        assert_eq!(job["state"], "done", "{query}: {job}");
        let report = &job["report"];
        assert_eq!(report["committed"], committed, "{query}: {report}");
        let patents = &report["counts"]["patents"];
        let read =
            patents["inserted"].as_u64().unwrap_or(0) + patents["unchanged"].as_u64().unwrap_or(0);
        assert_eq!(read, u64::from(PATENTS), "{query}: {patents}");
        let stored = app
            .store
            .count("SELECT COUNT(*) FROM patents")
            .await
            .expect("count");
        assert_eq!(
            stored,
            if committed { PATENTS.into() } else { 0 },
            "{query}"
        );
    }
    // What the check wrote is what is stored: every patent with its appraisal and its audit
    // records, under one commit.
    for sql in [
        "SELECT COUNT(*) FROM appraisals",
        "SELECT COUNT(*) FROM audit_log WHERE entity = 'patent' AND action = 'create'",
        "SELECT COUNT(*) FROM audit_log WHERE entity = 'appraisal'",
    ] {
        assert_eq!(
            app.store.count(sql).await.expect("count"),
            i64::from(PATENTS),
            "{sql}"
        );
    }
    let commits = "SELECT COUNT(DISTINCT commit_seq) FROM audit_log WHERE entity = 'patent'";
    assert_eq!(app.store.count(commits).await.expect("count"), 1);
    let first = pledge_ledger::sample_application_number(0);
    let patent = app.get(&format!("/api/v1/patents/{first}"), &park).await;
    assert_eq!(patent.status, StatusCode::OK, "{}", patent.body);
    let owner = pledge_ledger::sample_uscc(0).expect("a code").to_string();
    assert_eq!(patent.body["owner"], owner.as_str(), "{}", patent.body);
    // Stored rows changed all or nothing are changed, each one version on.
    let (firms, _) = pledge_ledger::sample_ledgers(200, 0, "xxhtz");
    let later = firms.replace(",2028-12-31,", ",2029-12-31,");
    let job = import(
        &app,
        &park,
        "企业.csv",
        later.into_bytes(),
        "?mode=all_or_nothing",
    )
    .await;
    assert_eq!(
        job["report"]["committed"], true,
        "{}",
        job["report"]["total"]
    );
    assert_eq!(
        job["report"]["counts"]["enterprises"]["updated"], 200,
        "{}",
        job["report"]["counts"]
    );
    let firm = app
        .get(&format!("/api/v1/enterprises/{owner}"), &park)
        .await;
    assert_eq!(firm.body["version"], 2, "{}", firm.body);
    assert_eq!(
        firm.body["qualifications"][0]["valid_until"], "2029-12-31",
        "{}",
        firm.body
    );
}
