//! Whether a large import holds other parks up: on a fresh SQLite file, one park imports a
//! sample ledger of patents (a dry run, then all or nothing) while another park registers an
//! enterprise every 100 ms. Prints, per run, how long the import took and how long the other
//! park's writes waited (the longest, and the median), and how many were refused.
//!
//! `cargo bench -p pledge --bench import_contention`; the ledger's size by
//! `PLEDGE_BENCH_IMPORT_PATENTS` (default 199,000 patents, the most a sheet may hold, of 1,990 enterprises: a CSV of about
//! 30 MB).

use pledge_domain::{Enterprise, IndustryCode, ParkCode, RegionCode, SizeClass, Text, Uscc};
use pledge_service::ledgers::ImportRequest;
use pledge_service::testing::ledger::{sample_ledgers, sample_uscc};
use pledge_service::{Clock, Context, ImportMode, ParkRecord, Service};
use std::time::{Duration, Instant};

fn fail(e: impl std::fmt::Display) -> ! {
    panic!("{e}")
}

fn size(var: &str, default: u32) -> u32 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn park(service: &Service, caller: &Context, code: &str, name: &str) {
    service
        .create_park(
            caller,
            ParkRecord {
                code: ParkCode::parse(code).unwrap_or_else(|e| fail(e)),
                name: Text::parse(name, 1, 100).unwrap_or_else(|e| fail(e)),
                region: RegionCode::parse("410702").unwrap_or_else(|e| fail(e)),
            },
        )
        .await
        .unwrap_or_else(|e| fail(e));
}

/// Enterprise `i` of the park that is not importing.
fn neighbour(i: u32) -> Enterprise {
    let uscc: Uscc = sample_uscc(900_000 + i).unwrap_or_else(|| fail("a code"));
    Enterprise {
        uscc,
        name: Text::parse(&format!("新乡市邻园{i}科技有限公司"), 2, 100)
            .unwrap_or_else(|e| fail(e)),
        former_names: Vec::new(),
        park: ParkCode::parse("xxhtz").unwrap_or_else(|e| fail(e)),
        region: RegionCode::parse("410702").unwrap_or_else(|e| fail(e)),
        industry: IndustryCode::parse("C3511").unwrap_or_else(|e| fail(e)),
        strategic_industry: None,
        founded_on: chrono::NaiveDate::from_ymd_opt(2015, 5, 1).unwrap_or_else(|| fail("a day")),
        size: SizeClass::Small,
        qualifications: Vec::new(),
        risk_flags: Vec::new(),
        financing_need: None,
        contact: None,
        contact_consent: false,
    }
}

/// Runs the import of `ledger` as `name` while the other park writes; prints the figures.
async fn contend(
    service: &Service,
    label: &str,
    ledger: &str,
    mode: ImportMode,
    dry_run: bool,
    next: &mut u32,
) {
    let caller = Context::command_line("bench", service.clock().now());
    let request = ImportRequest {
        file_name: "patents.csv".into(),
        bytes: ledger.as_bytes().to_vec(),
        kind: None,
        mode,
        dry_run,
    };
    let started = Instant::now();
    let importing = {
        let service = service.clone();
        let caller = caller.clone();
        tokio::spawn(async move { service.import(&caller, None, request, &|_, _| {}).await })
    };
    let mut waits = Vec::new();
    let mut refused = 0;
    while !importing.is_finished() {
        *next += 1;
        let asked = Instant::now();
        match service.create_enterprise(&caller, neighbour(*next)).await {
            Ok(_) => waits.push(asked.elapsed()),
            Err(e) => {
                refused += 1;
                eprintln!("refused after {:.1} s: {e}", asked.elapsed().as_secs_f64());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let took = started.elapsed();
    let imported = importing
        .await
        .unwrap_or_else(|e| fail(e))
        .unwrap_or_else(|e| fail(e));
    waits.sort();
    let longest = waits.last().copied().unwrap_or_default();
    let median = waits.get(waits.len() / 2).copied().unwrap_or_default();
    println!(
        "{label}: {:.1} s ({} rows, committed {}); the other park's writes: {} done, {refused} refused, longest wait {:.3} s, median {:.3} s",
        took.as_secs_f64(),
        imported.report.total.inserted
            + imported.report.total.unchanged
            + imported.report.total.updated,
        imported.report.committed,
        waits.len(),
        longest.as_secs_f64(),
        median.as_secs_f64(),
    );
}

#[tokio::main]
async fn main() {
    let patents = size("PLEDGE_BENCH_IMPORT_PATENTS", 199_000);
    let enterprises = (patents / 100).max(1);
    let dir = tempfile::tempdir().unwrap_or_else(|e| fail(e));
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let service =
        Service::open_unindexed(&url, Some("bench"), true, Clock::reading(chrono::Utc::now))
            .await
            .unwrap_or_else(|e| fail(e));
    let caller = Context::command_line("bench", service.clock().now());
    park(&service, &caller, "hqkfq", "红旗区先进制造业开发区").await;
    park(&service, &caller, "xxhtz", "新乡高新区").await;
    let (firms, ledger) = sample_ledgers(enterprises, patents, "hqkfq");
    println!(
        "import contention: {patents} patents of {enterprises} enterprises ({:.1} MB of CSV), on SQLite",
        ledger.len() as f64 / 1e6
    );
    let request = ImportRequest {
        file_name: "enterprises.csv".into(),
        bytes: firms.into_bytes(),
        kind: None,
        mode: ImportMode::Partial,
        dry_run: false,
    };
    service
        .import(&caller, None, request, &|_, _| {})
        .await
        .unwrap_or_else(|e| fail(e));
    let mut next = 0;
    contend(
        &service,
        "dry run",
        &ledger,
        ImportMode::AllOrNothing,
        true,
        &mut next,
    )
    .await;
    contend(
        &service,
        "all or nothing",
        &ledger,
        ImportMode::AllOrNothing,
        false,
        &mut next,
    )
    .await;
}
