//! The server's memory under files that are small to send and expensive to read, every row
//! of them rejected: each file goes to a fresh `pledge serve` child process (under a 4 GiB
//! address-space limit, so that a regression cannot take the machine), and the server's peak
//! resident memory (`VmHWM`) is read once the job has ended. These tests run one at a time.
//! The full-size files (200,000 rows) are measured by `scripts/import-memory.sh`.

use crate::server::{import, office_token, serve_within};
use pledge_service::testing::ledger::{KEPT, heavy};
use pledge_service::testing::{Backend, TestDatabase};

/// One memory test at a time: each reads its own server's peak, and the machine is shared.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Rows of each file: enough that, kept in memory, their findings would take hundreds of MiB.
const ROWS: u32 = 20_000;

/// The server's peak while importing any of these files (it idles at about 50 MiB). Before
/// the findings were bounded, these files took 350 to 650 MiB.
const PEAK_MIB: u64 = 200;

/// Imports `bytes` as `name` on a fresh server: the job as it ended, and the server's peak in
/// MiB.
async fn peak_importing(name: &str, bytes: Vec<u8>) -> (serde_json::Value, u64) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let db = TestDatabase::create(Backend::Sqlite).await;
    let token = office_token(&db.url);
    let mut server = serve_within(&db.url, &[], Some(4 << 30)).await;
    let job = import(&server, &token, name, bytes, "").await;
    assert!(server.running(), "the server survived the import");
    let peak = server.peak_kib().expect("the server's peak") / 1024;
    eprintln!("{name}: peak {peak} MiB");
    (job, peak)
}

/// Every row rejected, the first [`KEPT`] findings listed (those of the first rows), all
/// counted (as many on each row as on the first), the copy marked.
fn all_rejected(job: &serde_json::Value, rows: u32) {
    assert_eq!(job["state"], "done", "{}", job["problem"]);
    let report = &job["report"];
    assert_eq!(report["total"]["rejected"], u64::from(rows));
    let listed = report["rejections"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        listed.len(),
        KEPT,
        "the report lists the first findings only"
    );
    assert_eq!(listed[0]["row"], 2, "the first, by row");
    let per_row = listed.iter().filter(|r| r["row"] == 2).count() as u64;
    assert!(per_row >= 1);
    assert_eq!(report["rejection_count"], u64::from(rows) * per_row);
    assert!(job["annotated_url"].is_string(), "an annotated copy");
}

#[tokio::test]
async fn a_csv_of_rejected_rows_stays_within_its_memory_bound() {
    let rows = ROWS - ROWS / 200;
    let (job, peak) = peak_importing("rejected.csv", heavy::rejected_csv(rows).into_bytes()).await;
    assert!(peak < PEAK_MIB, "peak {peak} MiB");
    all_rejected(&job, rows);
}

#[tokio::test]
async fn a_workbook_of_shared_strings_stays_within_its_memory_bound() {
    let book = heavy::shared_strings_workbook(ROWS, 12, ROWS / 2).expect("a workbook");
    let (job, peak) = peak_importing("shared-strings.xlsx", book).await;
    assert!(peak < PEAK_MIB, "peak {peak} MiB");
    all_rejected(&job, ROWS);
}

#[tokio::test]
async fn a_workbook_of_one_cell_rows_stays_within_its_memory_bound() {
    let book = heavy::shared_strings_workbook(ROWS, 1, ROWS).expect("a workbook");
    let (job, peak) = peak_importing("one-cell.xlsx", book).await;
    assert!(peak < PEAK_MIB, "peak {peak} MiB");
    all_rejected(&job, ROWS);
}
