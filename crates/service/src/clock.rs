//! The application's clock: what "now" is for every use case, background task and face. It
//! reads the time source it is given where the application is built (the system's, in `serve`
//! and the command line); in tests it starts at a chosen instant and is stepped forward, time
//! flowing on from there at the real rate (so that retries and timeouts still come due).
//! Nothing below the faces reads a time but through it.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use pledge_domain::business_day;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Now, as the application sees it: its time source plus an offset that only tests set.
#[derive(Debug, Clone)]
pub struct Clock {
    /// Where the time comes from (`chrono::Utc::now` where the application is built).
    source: fn() -> DateTime<Utc>,
    /// Microseconds added to the system time.
    offset_micros: Arc<AtomicI64>,
    /// Woken whenever the clock is stepped, so that what waits for a day's turn looks again.
    stepped: Arc<tokio::sync::Notify>,
}

impl Clock {
    /// A clock that reads `source` as it is.
    pub fn reading(source: fn() -> DateTime<Utc>) -> Self {
        Self {
            source,
            offset_micros: Default::default(),
            stepped: Default::default(),
        }
    }

    /// A clock over `source` that reads `at` now and runs on from there.
    pub fn starting_at(source: fn() -> DateTime<Utc>, at: DateTime<Utc>) -> Self {
        let clock = Self::reading(source);
        clock.set(at);
        clock
    }

    /// The instant now.
    pub fn now(&self) -> DateTime<Utc> {
        let offset = TimeDelta::microseconds(self.offset_micros.load(Ordering::Acquire));
        let source = (self.source)();
        source.checked_add_signed(offset).unwrap_or(source)
    }

    /// The business day now (China, UTC+8).
    pub fn today(&self) -> NaiveDate {
        business_day(self.now())
    }

    /// Steps the clock forward (or back) by `by`, for every holder of it at once.
    pub fn advance(&self, by: TimeDelta) {
        let micros = by.num_microseconds().unwrap_or(i64::MAX);
        // Saturating: a step past what the clock can tell stops at its end.
        let _ = self
            .offset_micros
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |o| {
                Some(o.saturating_add(micros))
            });
        self.stepped.notify_waiters();
    }

    /// Sets the clock to read `at` now.
    pub fn set(&self, at: DateTime<Utc>) {
        let offset = at.signed_duration_since((self.source)());
        let micros = offset.num_microseconds().unwrap_or(i64::MAX);
        self.offset_micros.store(micros, Ordering::Release);
        self.stepped.notify_waiters();
    }

    /// Resolves when the clock is next stepped (never, for a clock left alone).
    pub fn stepped(&self) -> tokio::sync::futures::Notified<'_> {
        self.stepped.notified()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stepped_clock_moves_its_holders_and_runs_on() {
        let at = DateTime::parse_from_rfc3339("2026-11-27T01:00:00Z")
            .expect("instant")
            .with_timezone(&Utc);
        let clock = Clock::starting_at(Utc::now, at);
        let holder = clock.clone();
        let read = holder.now();
        assert!(read >= at && read - at < TimeDelta::minutes(1), "{read}");
        assert_eq!(
            holder.today(),
            NaiveDate::from_ymd_opt(2026, 11, 27).expect("day")
        );
        clock.advance(TimeDelta::days(400));
        let stepped = holder.now();
        assert!(stepped - at >= TimeDelta::days(400), "{stepped}");
        assert_eq!(
            holder.today(),
            NaiveDate::from_ymd_opt(2028, 1, 1).expect("day")
        );
    }
}
