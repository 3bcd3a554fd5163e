//! The application's clock: what "now" is for every use case, background task and face. The
//! system's in `serve` and the command line; in tests one that starts at a chosen instant and
//! is stepped forward, time flowing on from there at the real rate (so that retries and
//! timeouts still come due). Nothing below the faces reads the system time but through it.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use pledge_store::business_day;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Now, as the application sees it: the system time plus an offset that only tests set.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// Microseconds added to the system time.
    offset_micros: Arc<AtomicI64>,
    /// Woken whenever the clock is stepped, so that what waits for a day's turn looks again.
    stepped: Arc<tokio::sync::Notify>,
}

impl Clock {
    /// The system's time.
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that reads `at` now and runs on from there.
    pub fn starting_at(at: DateTime<Utc>) -> Self {
        let clock = Self::default();
        clock.set(at);
        clock
    }

    /// The instant now.
    pub fn now(&self) -> DateTime<Utc> {
        let offset = TimeDelta::microseconds(self.offset_micros.load(Ordering::Acquire));
        let system = Utc::now();
        system.checked_add_signed(offset).unwrap_or(system)
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
        let offset = at.signed_duration_since(Utc::now());
        let micros = offset.num_microseconds().unwrap_or(i64::MAX);
        self.offset_micros.store(micros, Ordering::Release);
        self.stepped.notify_waiters();
    }

    /// Resolves when the clock is next stepped (never, for the system's clock left alone).
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
        let clock = Clock::starting_at(at);
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
