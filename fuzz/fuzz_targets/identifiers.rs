//! Any text through every identifier parser and the ledger's value readers: an error is
//! fine, a panic is a bug, and what parses prints back to something that parses the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pledge_domain::{
    BankCode, IndustryCode, ParkCode, PatentApplicationNumber, RegionCode, Text, Uscc,
};

fuzz_target!(|text: &str| {
    if let Ok(u) = Uscc::parse(text) {
        assert_eq!(Uscc::parse(u.as_str()).ok(), Some(u));
    }
    if let Ok(n) = PatentApplicationNumber::parse(text) {
        assert_eq!(PatentApplicationNumber::parse(&n.to_string()).ok(), Some(n));
    }
    let _ = RegionCode::parse(text);
    let _ = IndustryCode::parse(text);
    let _ = ParkCode::parse(text);
    let _ = BankCode::parse(text);
    let _ = Text::parse(text, 1, 100);
    let cell = pledge_ledger::Cell::Text(text.to_owned());
    let _ = pledge_ledger::parse_date(&cell);
    let _ = pledge_ledger::parse_amount_wan(&cell);
    let _ = pledge_ledger::parse_legal_status(text);
    let _ = pledge_ledger::parse_yes_no(&cell);
});
