//! The service against real databases, in one test binary (one link instead of four).

use chrono::NaiveDate;
use pledge_service::Clock;

/// A clock reading 10:00 (Beijing) on `day`, and running on.
fn clock_on(day: NaiveDate) -> Clock {
    let at = day.and_hms_opt(2, 0, 0).expect("an instant").and_utc();
    Clock::starting_at(chrono::Utc::now, at)
}

mod backups;
mod commit_order;
mod error_codes;
mod snapshot;
mod two_servers;
