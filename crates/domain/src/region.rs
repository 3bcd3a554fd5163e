use crate::DomainError;
use serde::{Deserialize, Serialize};

/// Province-level prefixes of GB/T 2260 (11 北京 … 82 澳门).
const PROVINCES: [u8; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

/// 行政区划代码: a 6-digit administrative division code (GB/T 2260), e.g. `410702` 红旗区.
/// Kept inline as its six digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode([u8; 6]);

impl RegionCode {
    /// Parses 6 digits whose first two are a province code.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let s = crate::to_half_width(input).trim().to_owned();
        let b = s.as_bytes();
        if b.len() != 6 || !b.iter().all(u8::is_ascii_digit) {
            return Err(DomainError::RegionCode);
        }
        let province = (b[0] - b'0') * 10 + (b[1] - b'0');
        if !PROVINCES.contains(&province) {
            return Err(DomainError::RegionCode);
        }
        let mut code = [0u8; 6];
        code.copy_from_slice(b);
        Ok(Self(code))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// Whether this region lies within `prefix` (`41` Henan, `4107` Xinxiang, `410702`).
    pub fn is_within(&self, prefix: &str) -> bool {
        self.as_str().starts_with(prefix)
    }
}

impl TryFrom<String> for RegionCode {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<RegionCode> for String {
    fn from(value: RegionCode) -> Self {
        value.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xinxiang_districts_parse_and_nest() {
        for code in [
            "410702", "410703", "410704", "410711", "410721", "410781", "410783",
        ] {
            let r = RegionCode::parse(code).expect("valid");
            assert!(r.is_within("4107"));
            assert!(r.is_within("41"));
            assert!(!r.is_within("4108"));
        }
    }

    #[test]
    fn bad_codes_are_refused() {
        for code in ["41070", "4107021", "41070a", "990702", "", "00000"] {
            assert_eq!(
                RegionCode::parse(code),
                Err(DomainError::RegionCode),
                "{code}"
            );
        }
    }
}
