//! Any bytes as an uploaded workbook: read within small limits, classified, parsed. Nothing
//! may panic, and nothing may take memory beyond the limits (libFuzzer's -rss_limit_mb).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pledge_ledger::{Limits, classify, read_xlsx};

fuzz_target!(|bytes: &[u8]| {
    let limits = Limits {
        inflated_bytes: 16 * 1024 * 1024,
        memory_bytes: 16 * 1024 * 1024,
        ..Limits::default()
    };
    if let Ok(tables) = read_xlsx(bytes, &limits) {
        let _ = classify(tables, None);
    }
});
