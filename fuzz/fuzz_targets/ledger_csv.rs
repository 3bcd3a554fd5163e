//! Any bytes as an uploaded CSV ledger (UTF-8, GB18030 or neither), read and classified.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pledge_ledger::{Limits, classify, read_csv};

fuzz_target!(|bytes: &[u8]| {
    let limits = Limits {
        memory_bytes: 16 * 1024 * 1024,
        ..Limits::default()
    };
    if let Ok(table) = read_csv("专利清单", bytes, &limits) {
        let _ = classify(vec![table], None);
    }
});
