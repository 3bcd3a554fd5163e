use crate::DomainError;
use serde::{Deserialize, Serialize};

/// GB/T 4754-2017 sections (门类) with their range of two-digit divisions (大类).
const SECTIONS: [(u8, u8, u8); 20] = [
    (b'A', 1, 5),
    (b'B', 6, 12),
    (b'C', 13, 43),
    (b'D', 44, 46),
    (b'E', 47, 50),
    (b'F', 51, 52),
    (b'G', 53, 60),
    (b'H', 61, 62),
    (b'I', 63, 65),
    (b'J', 66, 69),
    (b'K', 70, 70),
    (b'L', 71, 72),
    (b'M', 73, 75),
    (b'N', 76, 79),
    (b'O', 80, 82),
    (b'P', 83, 83),
    (b'Q', 84, 85),
    (b'R', 86, 90),
    (b'S', 91, 96),
    (b'T', 97, 97),
];

/// 国民经济行业分类代码 (GB/T 4754-2017): a section letter and 0, 2, 3 or 4 digits whose
/// division belongs to that section, e.g. `C`, `C35`, `C351`, `C3511`.
/// Kept inline, zero-padded, so it orders as its text does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IndustryCode([u8; 5]);

impl IndustryCode {
    /// Parses a code; lower case and spaces around it are accepted.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let s = crate::to_half_width(input).trim().to_uppercase();
        let b = s.as_bytes();
        let Some((&letter, digits)) = b.split_first() else {
            return Err(DomainError::IndustryCode);
        };
        let Some(&(_, lo, hi)) = SECTIONS.iter().find(|(l, _, _)| *l == letter) else {
            return Err(DomainError::IndustryCode);
        };
        if !matches!(digits.len(), 0 | 2 | 3 | 4) || !digits.iter().all(u8::is_ascii_digit) {
            return Err(DomainError::IndustryCode);
        }
        if digits.len() >= 2 {
            let division = (digits[0] - b'0') * 10 + (digits[1] - b'0');
            if !(lo..=hi).contains(&division) {
                return Err(DomainError::IndustryCode);
            }
        }
        let mut code = [0u8; 5];
        code[..b.len()].copy_from_slice(b);
        Ok(Self(code))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        let len = self.0.iter().position(|b| *b == 0).unwrap_or(self.0.len());
        // Only the ASCII of a parsed code is ever stored.
        std::str::from_utf8(&self.0[..len]).unwrap_or_default()
    }

    /// Whether this code lies under `prefix` (`C` manufacturing, `C35` special equipment).
    pub fn is_within(&self, prefix: &str) -> bool {
        let own = self.as_str();
        own.len() >= prefix.len()
            && own.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
    }
}

impl TryFrom<String> for IndustryCode {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<IndustryCode> for String {
    fn from(value: IndustryCode) -> Self {
        value.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_of_every_level_parse() {
        for code in ["C", "c35", "C351", "C3511", "I65", "A01", "T97"] {
            assert!(IndustryCode::parse(code).is_ok(), "{code}");
        }
        let c = IndustryCode::parse("C3511").expect("valid");
        assert!(c.is_within("C35") && c.is_within("c") && !c.is_within("C36"));
    }

    #[test]
    fn divisions_must_belong_to_their_section() {
        for code in ["C05", "A13", "Z01", "C3", "C35111", "35", "", "CX5"] {
            assert_eq!(
                IndustryCode::parse(code),
                Err(DomainError::IndustryCode),
                "{code}"
            );
        }
    }
}
