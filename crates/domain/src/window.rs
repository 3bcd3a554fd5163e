//! The plausible window of the field's dates: an enterprise founded before the People's
//! Republic, a patent filed before the Patent Law took effect, or a validity running past a
//! generation ahead is a typing error, not a fact, and is refused where it is entered.

use crate::Violation;
use chrono::{Months, NaiveDate};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

/// The earliest founding date (中华人民共和国成立, 1949-10-01).
pub fn earliest_founding() -> NaiveDate {
    day(1949, 10, 1)
}

/// The earliest filing date (《专利法》施行, 1985-04-01); also the earliest date of anything
/// that happens to a patent or trademark.
pub fn earliest_filing() -> NaiveDate {
    day(1985, 4, 1)
}

/// The latest end of a validity (a qualification, an appraisal, a batch, a fee paid ahead)
/// recorded on `today`: thirty years on.
pub fn latest_validity(today: NaiveDate) -> NaiveDate {
    today
        .checked_add_months(Months::new(30 * 12))
        .unwrap_or(today)
}

/// The violations of a span of IP's life recorded on `today`: it begins (`start`, a past
/// fact) after the Patent Law and not after today, and ends (`end`) within the validity window.
pub fn span(
    start: (&'static str, NaiveDate),
    end: (&'static str, NaiveDate),
    today: NaiveDate,
) -> Vec<Violation> {
    let mut v = Vec::new();
    v.extend(Violation::if_future(start.0, Some(start.1), today));
    v.extend(Violation::if_before(
        start.0,
        Some(start.1),
        earliest_filing(),
        today,
    ));
    v.extend(Violation::if_outside(
        end.0,
        Some(end.1),
        earliest_filing(),
        latest_validity(today),
    ));
    v
}

/// Items a list of a record may hold (co-owners, qualifications, flags).
pub const MAX_LIST_ITEMS: usize = 50;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_the_field_s() {
        assert_eq!(earliest_founding().to_string(), "1949-10-01");
        assert_eq!(earliest_filing().to_string(), "1985-04-01");
        assert_eq!(latest_validity(day(2026, 12, 1)).to_string(), "2056-12-01");
    }
}
