use crate::DomainError;
use serde::{Deserialize, Serialize};

/// An exact, non-negative amount of money in 分 (1/100 元). Never a float.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(try_from = "i64", into = "i64")]
pub struct Money(i64);

/// The largest amount accepted: 1万亿元, far above any single loan or appraisal.
const MAX_FEN: i64 = 100_000_000_000_000;

impl Money {
    /// Zero.
    pub const ZERO: Self = Self(0);

    /// An amount in 分; negative or absurd amounts are refused.
    pub fn from_fen(fen: i64) -> Result<Self, DomainError> {
        if (0..=MAX_FEN).contains(&fen) {
            Ok(Self(fen))
        } else {
            Err(DomainError::MoneyRange)
        }
    }

    /// An amount in whole 元.
    pub fn from_yuan(yuan: i64) -> Result<Self, DomainError> {
        yuan.checked_mul(100)
            .ok_or(DomainError::MoneyRange)
            .and_then(Self::from_fen)
    }

    /// An amount written in 万元 (`500`, `1200.5`, `0.000001`), exact to the 分: at most six
    /// decimals, no sign, no exponent.
    pub fn from_wan(text: &str) -> Result<Self, DomainError> {
        let fen = exact_decimal(text, 6).ok_or(DomainError::Format {
            what: "amount in 万元",
        })?;
        Self::from_fen(fen)
    }

    /// The amount in 万元 as typed back into a form: up to six decimals, no trailing zeros.
    pub fn as_wan(self) -> String {
        decimal_text(self.0, 6)
    }

    /// The amount in 分.
    pub fn fen(self) -> i64 {
        self.0
    }

    /// The sum, or `None` past the accepted range.
    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0
            .checked_add(other.0)
            .and_then(|f| Self::from_fen(f).ok())
    }

    /// This amount times a rate, rounded down to the 分.
    pub fn times(self, rate: BasisPoints) -> Self {
        // Both factors are non-negative and bounded (10^14 × 10^4 < 2^63): exact in i64.
        Self(self.0 * i64::from(rate.0) / 10_000)
    }
}

impl TryFrom<i64> for Money {
    type Error = DomainError;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Self::from_fen(value)
    }
}

impl From<Money> for i64 {
    fn from(value: Money) -> Self {
        value.0
    }
}

/// An amount in 分 as people read it: 万元 with two decimals (rounded half up) from 1万元
/// on, 元 with two decimals below (so that 2元 does not read as 0.00万元).
pub fn fen_for_people(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    if fen >= 1_000_000 {
        // Hundredths of a 万元 are 100元, 10,000分.
        let hundredths = (fen + 5_000) / 10_000;
        format!("{sign}{}.{:02}万元", hundredths / 100, hundredths % 100)
    } else {
        format!("{sign}{}.{:02}元", fen / 100, fen % 100)
    }
}

/// A non-negative decimal with at most `places` decimals, as a whole number of its smallest
/// unit (`"1.5"`, 2 places: 150); thousands separators and surrounding spaces are allowed.
pub fn exact_decimal(text: &str, places: usize) -> Option<i64> {
    let text = text.trim().replace([',', '，'], "");
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || whole.len() > 15
        || !digits(whole)
        || !digits(frac)
        || frac.len() > places
    {
        return None;
    }
    let scale = 10_i64.checked_pow(u32::try_from(places).ok()?)?;
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<places$}").parse().ok()?
    };
    whole
        .parse::<i64>()
        .ok()?
        .checked_mul(scale)?
        .checked_add(frac)
}

/// `value` in units of 10^-`places`, written with no trailing zeros (`150`, 2: `1.5`).
fn decimal_text(value: i64, places: u32) -> String {
    let scale = 10_i64.pow(places);
    let (whole, frac) = (value / scale, value % scale);
    if frac == 0 {
        return whole.to_string();
    }
    let frac = format!("{:0width$}", frac.abs(), width = places as usize);
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&fen_for_people(self.0))
    }
}

/// A rate in basis points (1bp = 0.01%), 0 to 10000: pledge rates (质押率), shares.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(try_from = "i64", into = "i64")]
pub struct BasisPoints(u16);

impl BasisPoints {
    /// A rate of 0..=10000 bp.
    pub fn new(bp: i64) -> Result<Self, DomainError> {
        u16::try_from(bp)
            .ok()
            .filter(|v| *v <= 10_000)
            .map(Self)
            .ok_or(DomainError::BasisPointsRange)
    }

    /// A rate written as a percentage (`25`, `1.5`, `0.01`): at most two decimals.
    pub fn from_percent(text: &str) -> Result<Self, DomainError> {
        let bp = exact_decimal(text, 2).ok_or(DomainError::Format { what: "percentage" })?;
        Self::new(bp)
    }

    /// The rate as a percentage typed back into a form: `25`, `1.5`.
    pub fn as_percent(self) -> String {
        decimal_text(i64::from(self.0), 2)
    }

    /// The rate in basis points.
    pub fn get(self) -> u16 {
        self.0
    }
}

impl TryFrom<i64> for BasisPoints {
    type Error = DomainError;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl std::fmt::Display for BasisPoints {
    /// As a percentage: 2500bp is `25.00%`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:02}%", self.0 / 100, self.0 % 100)
    }
}

impl From<BasisPoints> for i64 {
    fn from(value: BasisPoints) -> Self {
        i64::from(value.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn amounts_and_rates_are_read_exactly_as_typed() {
        assert_eq!(Money::from_wan("500").map(Money::fen), Ok(500_000_000));
        assert_eq!(
            Money::from_wan("1,200.5").map(Money::fen),
            Ok(1_200_500_000)
        );
        assert_eq!(Money::from_wan("0.000001").map(Money::fen), Ok(1));
        for bad in [
            "",
            "-1",
            "1e3",
            "0.0000001",
            "5万",
            ".5",
            "1.2.3",
            "99999999999999999",
        ] {
            assert!(Money::from_wan(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            BasisPoints::from_percent("1.5").map(BasisPoints::get),
            Ok(150)
        );
        assert_eq!(
            BasisPoints::from_percent("100").map(BasisPoints::get),
            Ok(10_000)
        );
        assert!(BasisPoints::from_percent("100.01").is_err());
        assert!(BasisPoints::from_percent("0.001").is_err());
        assert_eq!(
            Money::from_fen(1_200_500_000).map(Money::as_wan),
            Ok("1200.5".into())
        );
        assert_eq!(
            BasisPoints::new(2500).map(BasisPoints::as_percent),
            Ok("25".into())
        );
        assert_eq!(
            BasisPoints::new(5).map(BasisPoints::as_percent),
            Ok("0.05".into())
        );
    }

    proptest! {
        #[test]
        fn a_typed_back_amount_reads_as_itself(fen in 0i64..=MAX_FEN) {
            let m = Money::from_fen(fen).expect("in range");
            prop_assert_eq!(Money::from_wan(&m.as_wan()), Ok(m));
        }
    }

    #[test]
    fn money_is_exact_and_bounded() {
        let m = Money::from_yuan(30_000_000).expect("3000万元");
        assert_eq!(m.fen(), 3_000_000_000);
        assert_eq!(m.to_string(), "3000.00万元");
        assert_eq!(fen_for_people(180_000_000), "180.00万元");
        assert_eq!(fen_for_people(1_234_567_890), "1234.57万元");
        assert_eq!(fen_for_people(200), "2.00元");
        assert_eq!(fen_for_people(999_999), "9999.99元");
        assert_eq!(fen_for_people(-150_000_000), "-150.00万元");
        assert_eq!(Money::from_fen(-1), Err(DomainError::MoneyRange));
        assert_eq!(Money::from_yuan(i64::MAX), Err(DomainError::MoneyRange));
        assert_eq!(
            Money::from_fen(MAX_FEN).and_then(|m| m
                .checked_add(Money::from_fen(1)?)
                .ok_or(DomainError::MoneyRange)),
            Err(DomainError::MoneyRange)
        );
    }

    #[test]
    fn pledge_value_rounds_down() {
        let appraisal = Money::from_fen(1_000_001).expect("valid");
        let rate = BasisPoints::new(2500).expect("25%");
        assert_eq!(appraisal.times(rate).fen(), 250_000);
        assert_eq!(BasisPoints::new(10_001), Err(DomainError::BasisPointsRange));
        assert_eq!(BasisPoints::new(-1), Err(DomainError::BasisPointsRange));
    }

    proptest! {
        #[test]
        fn a_rate_never_raises_the_amount(fen in 0i64..=MAX_FEN, bp in 0i64..=10_000) {
            let m = Money::from_fen(fen).expect("in range");
            let r = BasisPoints::new(bp).expect("in range");
            prop_assert!(m.times(r) <= m);
            prop_assert_eq!(m.times(r).fen(), (i128::from(fen) * i128::from(bp) / 10_000) as i64);
        }
    }
}
