//! How much memory the server takes to import files that are small to send and expensive to
//! read: a CSV of 199,000 rejected rows, a workbook of 100,000 shared strings in 199,999 rows of
//! 12 cells (a header and as many rows as a sheet may have), one of 199,999 rows of one cell,
//! and a CSV just under the default upload limit (199,999 rows of 12 bad cells). Each file goes
//! to a fresh `pledge serve` (a child process under an 8 GiB address-space limit, SQLite);
//! printed is the server's peak resident memory (`VmHWM`) before the upload and once the job
//! has ended.
//!
//! `cargo bench -p pledge --bench import_memory` (or `scripts/import-memory.sh`); a scale by
//! `PLEDGE_BENCH_MEMORY_ROWS` (default 200,000 rows).

#[allow(dead_code)]
#[path = "../tests/cli/server.rs"]
mod server;

use pledge_service::testing::ledger::heavy;
use std::time::Instant;

fn rows() -> u32 {
    std::env::var("PLEDGE_BENCH_MEMORY_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000)
}

#[tokio::main]
async fn main() {
    let rows = rows();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "rejected.csv",
            heavy::rejected_csv(rows - rows / 200).into_bytes(),
        ),
        (
            "shared-strings.xlsx",
            heavy::shared_strings_workbook(rows - 1, 12, rows / 2).expect("a workbook"),
        ),
        (
            "one-cell.xlsx",
            heavy::shared_strings_workbook(rows - 1, 1, rows).expect("a workbook"),
        ),
        (
            "upload-limit.csv",
            heavy::wide_csv(rows - 1, 12, 22).into_bytes(),
        ),
    ];
    for (name, bytes) in cases {
        let dir = tempfile::tempdir().expect("a folder");
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("memory.db").display()
        );
        let token = server::office_token(&url);
        let server = server::serve_within(&url, &[], Some(8 << 30)).await;
        let before = server.peak_kib().unwrap_or_default();
        let size = bytes.len();
        let started = Instant::now();
        let job = server::import(&server, &token, name, bytes, "").await;
        let peak = server.peak_kib().unwrap_or_default();
        println!(
            "{name}: {:.1} MB, {} in {:.1} s ({} rejected); peak {} MiB (at rest {} MiB)",
            size as f64 / 1e6,
            job["state"].as_str().unwrap_or("?"),
            started.elapsed().as_secs_f64(),
            job["report"]["total"]["rejected"],
            peak / 1024,
            before / 1024,
        );
        if job["state"] != "done" {
            let mut job = job.clone();
            job["report"] = serde_json::Value::Null;
            println!("  {job}");
        }
    }
}
