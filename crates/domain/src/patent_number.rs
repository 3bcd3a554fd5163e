use crate::{DomainError, to_half_width};
use serde::{Deserialize, Serialize};

const WEIGHTS: [u32; 12] = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5];

/// The kind of a patent, read from the type digit of its application number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatentKind {
    /// 发明专利 (type digit 1).
    Invention,
    /// 实用新型 (type digit 2).
    UtilityModel,
    /// 外观设计 (type digit 3).
    Design,
    /// PCT 发明 entering the Chinese national phase (type digit 8).
    PctInvention,
    /// PCT 实用新型 entering the Chinese national phase (type digit 9).
    PctUtilityModel,
}

impl PatentKind {
    /// All kinds, in type-digit order.
    pub const ALL: [Self; 5] = [
        Self::Invention,
        Self::UtilityModel,
        Self::Design,
        Self::PctInvention,
        Self::PctUtilityModel,
    ];

    fn from_digit(d: u8) -> Option<Self> {
        match d {
            b'1' => Some(Self::Invention),
            b'2' => Some(Self::UtilityModel),
            b'3' => Some(Self::Design),
            b'8' => Some(Self::PctInvention),
            b'9' => Some(Self::PctUtilityModel),
            _ => None,
        }
    }

    /// Invention patents, national or via PCT: the ones counted as 发明专利.
    pub fn is_invention(self) -> bool {
        matches!(self, Self::Invention | Self::PctInvention)
    }

    /// The kind a number of this kind is counted as in a patent database's 专利类型 column:
    /// a PCT invention is an invention, a PCT utility model a utility model.
    pub fn family(self) -> Self {
        match self {
            Self::PctInvention => Self::Invention,
            Self::PctUtilityModel => Self::UtilityModel,
            other => other,
        }
    }

    /// The stable name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invention => "invention",
            Self::UtilityModel => "utility_model",
            Self::Design => "design",
            Self::PctInvention => "pct_invention",
            Self::PctUtilityModel => "pct_utility_model",
        }
    }

    /// The Chinese name.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Invention => "发明",
            Self::UtilityModel => "实用新型",
            Self::Design => "外观设计",
            Self::PctInvention => "PCT发明",
            Self::PctUtilityModel => "PCT实用新型",
        }
    }
}

/// 专利申请号: a CNIPA application number with a valid check character, in one canonical
/// spelling (`201710601862.3`, or `90101673.X` for the form used before 2003-10-01). Kept
/// inline, zero-padded, so it is copied without the heap and orders as its text does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PatentApplicationNumber([u8; 14]);

impl PatentApplicationNumber {
    /// Parses any spelling met in practice: with `ZL` or `CN` in front, with spaces, with
    /// full-width digits and dot, with or without the dot, lower-case `x`.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let mut s: String = to_half_width(input)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        for prefix in ["ZL", "CN"] {
            if let Some(rest) = s.strip_prefix(prefix) {
                s = rest.to_owned();
                break;
            }
        }
        let (body, check) = match s.split_once('.') {
            Some((body, check)) => (body, check),
            None if s.len() > 1 && s.is_ascii() => s.split_at(s.len() - 1),
            None => return Err(DomainError::ApplicationNumberFormat),
        };
        let digits = body.as_bytes();
        if !matches!(digits.len(), 8 | 12)
            || !digits.iter().all(u8::is_ascii_digit)
            || check.len() != 1
        {
            return Err(DomainError::ApplicationNumberFormat);
        }
        let found = check.as_bytes()[0] as char;
        if !(found.is_ascii_digit() || found == 'X') {
            return Err(DomainError::ApplicationNumberFormat);
        }
        let type_digit = if digits.len() == 12 {
            let year = body[..4]
                .parse::<i32>()
                .map_err(|_| DomainError::ApplicationNumberFormat)?;
            if !(2003..=2099).contains(&year) {
                return Err(DomainError::ApplicationNumberYear { year });
            }
            digits[4]
        } else {
            let yy = body[..2]
                .parse::<i32>()
                .map_err(|_| DomainError::ApplicationNumberFormat)?;
            let year = if yy >= 85 { 1900 + yy } else { 2000 + yy };
            if year > 2003 {
                return Err(DomainError::ApplicationNumberYear { year });
            }
            digits[2]
        };
        if PatentKind::from_digit(type_digit).is_none() {
            return Err(DomainError::ApplicationNumberKind {
                digit: type_digit as char,
            });
        }
        let expected = check_character(digits);
        if expected != found {
            return Err(DomainError::ApplicationNumberCheck { expected, found });
        }
        let canonical = format!("{body}.{found}");
        let mut bytes = [0u8; 14];
        bytes[..canonical.len()].copy_from_slice(canonical.as_bytes());
        Ok(Self(bytes))
    }

    /// Builds a number from its digits (12, or 8 for the old form) by appending the check.
    pub fn from_digits(digits: &str) -> Result<Self, DomainError> {
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DomainError::ApplicationNumberFormat);
        }
        let check = check_character(digits.as_bytes());
        Self::parse(&format!("{digits}.{check}"))
    }

    /// The canonical spelling, e.g. `201710601862.3`.
    pub fn as_str(&self) -> &str {
        let len = self.0.iter().position(|b| *b == 0).unwrap_or(self.0.len());
        // Only the ASCII of a parsed number is ever stored.
        std::str::from_utf8(&self.0[..len]).unwrap_or_default()
    }

    /// The patent number (专利号): `ZL` and the application number.
    pub fn patent_number(&self) -> String {
        format!("ZL{}", self.as_str())
    }

    fn is_old_form(&self) -> bool {
        self.as_str().len() == 10
    }

    /// The kind of patent, from the type digit.
    pub fn kind(&self) -> PatentKind {
        let b = self.0;
        let digit = if self.is_old_form() { b[2] } else { b[4] };
        PatentKind::from_digit(digit).unwrap_or(PatentKind::Invention)
    }

    /// The filing year encoded in the number.
    pub fn filing_year(&self) -> i32 {
        if self.is_old_form() {
            let yy: i32 = self.as_str()[..2].parse().unwrap_or(0);
            if yy >= 85 { 1900 + yy } else { 2000 + yy }
        } else {
            self.as_str()[..4].parse().unwrap_or(0)
        }
    }
}

fn check_character(digits: &[u8]) -> char {
    let sum: u32 = digits
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d.saturating_sub(b'0')) * w)
        .sum();
    match sum % 11 {
        10 => 'X',
        n => char::from(b'0' + n as u8),
    }
}

impl TryFrom<String> for PatentApplicationNumber {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PatentApplicationNumber> for String {
    fn from(value: PatentApplicationNumber) -> Self {
        value.as_str().to_owned()
    }
}

impl std::fmt::Display for PatentApplicationNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// 公开(公告)号: `CN`, 9 digits and a kind code (A, B, U, S; older C, Y, D).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PublicationNumber(String);

impl PublicationNumber {
    /// Parses `CN107356125A`; spaces, lower case and full-width forms are accepted.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let s: String = to_half_width(input)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        let ok = s.len() == 12
            && s.starts_with("CN")
            && s.as_bytes()[2..11].iter().all(u8::is_ascii_digit)
            && matches!(
                s.as_bytes()[11],
                b'A' | b'B' | b'U' | b'S' | b'C' | b'Y' | b'D'
            );
        if ok {
            Ok(Self(s))
        } else {
            Err(DomainError::PublicationNumberFormat)
        }
    }

    /// The kind code, e.g. `A`.
    pub fn kind_code(&self) -> char {
        self.0.chars().last().unwrap_or('A')
    }

    /// Whether this publication announces a grant (B, U, S; older C, Y, D), not an
    /// application (A).
    pub fn is_grant(&self) -> bool {
        self.kind_code() != 'A'
    }

    /// The kind of patent the kind code belongs to (A, B, C: invention; U, Y: utility model;
    /// S, D: design).
    pub fn patent_kind(&self) -> PatentKind {
        match self.kind_code() {
            'U' | 'Y' => PatentKind::UtilityModel,
            'S' | 'D' => PatentKind::Design,
            _ => PatentKind::Invention,
        }
    }

    /// The number, e.g. `CN107356125A`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PublicationNumber {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PublicationNumber> for String {
    fn from(value: PublicationNumber) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn canon(s: &str) -> Result<String, DomainError> {
        PatentApplicationNumber::parse(s).map(|n| n.to_string())
    }

    #[test]
    fn examples_from_the_domain_are_valid() {
        assert_eq!(canon("201710601862.3"), Ok("201710601862.3".into()));
        assert_eq!(canon("90101673.X"), Ok("90101673.X".into()));
        assert_eq!(canon("97101765.4"), Ok("97101765.4".into()));
    }

    #[test]
    fn every_spelling_reaches_the_canonical_form() {
        for s in [
            "ZL201710601862.3",
            "zl 2017 1060 1862.3",
            "CN201710601862.3",
            "2017106018623",
            "ＺＬ２０１７１０６０１８６２．３",
            "２０１７１０６０１８６２。３",
            " ZL2017106018623 ",
        ] {
            assert_eq!(canon(s), Ok("201710601862.3".into()), "{s}");
        }
        assert_eq!(canon("ZL90101673x"), Ok("90101673.X".into()));
    }

    #[test]
    fn kind_and_year_come_from_the_number() {
        let n = PatentApplicationNumber::parse("201710601862.3").expect("valid");
        assert_eq!(n.kind(), PatentKind::Invention);
        assert_eq!(n.filing_year(), 2017);
        assert_eq!(n.patent_number(), "ZL201710601862.3");
        let old = PatentApplicationNumber::parse("97101765.4").expect("valid");
        assert_eq!(old.kind(), PatentKind::Invention);
        assert_eq!(old.filing_year(), 1997);
        for (digit, kind) in [
            ('1', PatentKind::Invention),
            ('2', PatentKind::UtilityModel),
            ('3', PatentKind::Design),
            ('8', PatentKind::PctInvention),
            ('9', PatentKind::PctUtilityModel),
        ] {
            let n = PatentApplicationNumber::from_digits(&format!("2020{digit}0000001"))
                .expect("valid");
            assert_eq!(n.kind(), kind);
        }
    }

    #[test]
    fn failures_are_named() {
        assert_eq!(
            canon("201710601862.4"),
            Err(DomainError::ApplicationNumberCheck {
                expected: '3',
                found: '4'
            })
        );
        assert_eq!(
            canon("20171060186.3"),
            Err(DomainError::ApplicationNumberFormat)
        );
        assert_eq!(
            canon("2017A0601862.3"),
            Err(DomainError::ApplicationNumberFormat)
        );
        assert_eq!(canon(""), Err(DomainError::ApplicationNumberFormat));
        assert_eq!(canon("."), Err(DomainError::ApplicationNumberFormat));
        assert_eq!(
            canon("201740601862.3"),
            Err(DomainError::ApplicationNumberKind { digit: '4' })
        );
        assert_eq!(
            canon("199910601862.3"),
            Err(DomainError::ApplicationNumberYear { year: 1999 })
        );
        assert_eq!(
            canon("05101673.X"),
            Err(DomainError::ApplicationNumberYear { year: 2005 })
        );
        assert_eq!(
            canon("201710601862.33"),
            Err(DomainError::ApplicationNumberFormat)
        );
    }

    #[test]
    fn publication_numbers() {
        assert_eq!(
            PublicationNumber::parse("cn 107356125 a").map(|p| p.as_str().to_owned()),
            Ok("CN107356125A".into())
        );
        assert!(PublicationNumber::parse("CN107356125Q").is_err());
        let grant = PublicationNumber::parse("CN207356125U").expect("a grant");
        assert!(grant.is_grant());
        assert_eq!(grant.patent_kind(), PatentKind::UtilityModel);
        let published = PublicationNumber::parse("CN107356125A").expect("an application");
        assert!(!published.is_grant());
        assert_eq!(published.patent_kind(), PatentKind::Invention);
        assert_eq!(PatentKind::PctInvention.family(), PatentKind::Invention);
        assert!(PublicationNumber::parse("US107356125A").is_err());
    }

    fn digits() -> impl Strategy<Value = String> {
        (
            2003u32..2099,
            prop::sample::select(vec![1u32, 2, 3, 8, 9]),
            0u32..10_000_000,
        )
            .prop_map(|(y, t, n)| format!("{y}{t}{n:07}"))
    }

    proptest! {
        #[test]
        fn generated_numbers_round_trip_in_every_spelling(d in digits()) {
            let n = PatentApplicationNumber::from_digits(&d).expect("valid");
            let check = &n.as_str()[13..];
            prop_assert_eq!(PatentApplicationNumber::parse(&format!("ZL{d}{check}")), Ok(n));
            prop_assert_eq!(PatentApplicationNumber::parse(&format!("CN {d}.{}", check.to_lowercase())), Ok(n));
        }

        #[test]
        fn a_changed_digit_is_detected(d in digits(), pos in 0usize..12, delta in 1u8..10) {
            let n = PatentApplicationNumber::from_digits(&d).expect("valid");
            let mut b = n.as_str().as_bytes().to_vec();
            b[pos] = b'0' + (b[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(b).expect("ascii");
            prop_assert!(PatentApplicationNumber::parse(&changed).is_err());
        }
    }
}
