//! Import throughput: a sample ledger of 10,000 enterprises and 100,000 patents (each with an
//! appraisal) imported into a fresh SQLite file, the way `pledge import` does it.
//!
//! `cargo bench -p pledge --bench import`; sizes by `PLEDGE_BENCH_IMPORT_ENTERPRISES` and
//! `PLEDGE_BENCH_IMPORT_PATENTS`; `PLEDGE_BENCH_DATABASE_URL` for another database.

use pledge_service::ledgers::ImportRequest;
use pledge_service::testing::ledger::sample_ledgers;
use pledge_service::{Context, ImportMode, ParkRecord, Service};
use std::time::Instant;

fn size(var: &str, default: u32) -> u32 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn import(service: &Service, name: &str, text: String, mode: ImportMode) -> (f64, String) {
    let started = Instant::now();
    let request = ImportRequest {
        file_name: name.into(),
        bytes: text.into_bytes(),
        kind: None,
        mode,
        dry_run: false,
    };
    let caller = Context::command_line("bench", chrono::Utc::now());
    let imported = service
        .import(&caller, None, request, &|_, _| {})
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let secs = started.elapsed().as_secs_f64();
    let r = &imported.report;
    assert!(r.rejections.is_empty(), "{:?}", &r.rejections[..1]);
    (
        secs,
        format!(
            "{} inserted, {} updated, {} unchanged",
            r.total.inserted, r.total.updated, r.total.unchanged
        ),
    )
}

#[tokio::main]
async fn main() {
    let enterprises = size("PLEDGE_BENCH_IMPORT_ENTERPRISES", 10_000);
    let patents = size("PLEDGE_BENCH_IMPORT_PATENTS", 100_000);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let url = std::env::var("PLEDGE_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let service = Service::open_unindexed(
        &url,
        Some("bench"),
        true,
        pledge_service::Clock::reading(chrono::Utc::now),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let caller = Context::command_line("bench", chrono::Utc::now());
    let park = pledge_domain::ParkCode::parse("hqkfq").unwrap_or_else(|e| panic!("{e}"));
    if service.park(&caller, &park).await.is_err() {
        service
            .create_park(
                &caller,
                ParkRecord {
                    code: park,
                    name: pledge_domain::Text::parse("红旗区先进制造业开发区", 1, 100)
                        .unwrap_or_else(|e| panic!("{e}")),
                    region: pledge_domain::RegionCode::parse("410702")
                        .unwrap_or_else(|e| panic!("{e}")),
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let (firms, ip) = sample_ledgers(enterprises, patents, "hqkfq");
    println!(
        "import bench: {enterprises} enterprises, {patents} patents, on {}",
        url.split(':').next().unwrap_or("")
    );
    let (s, what) = import(&service, "enterprises.csv", firms, ImportMode::Partial).await;
    println!(
        "enterprises: {s:.2} s ({what}), {:.0} rows/s",
        f64::from(enterprises) / s
    );
    let (s, what) = import(&service, "patents.csv", ip.clone(), ImportMode::Partial).await;
    println!(
        "patents: {s:.2} s ({what}), {:.0} rows/s",
        f64::from(patents) / s
    );
    let (s, what) = import(&service, "patents.csv", ip, ImportMode::Partial).await;
    println!(
        "patents again (idempotent): {s:.2} s ({what}), {:.0} rows/s",
        f64::from(patents) / s
    );
}
