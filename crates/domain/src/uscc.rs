use crate::{DomainError, to_half_width};
use serde::{Deserialize, Serialize};

/// The 31 characters of GB 32100-2015, valued 0..30 in this order (no I, O, S, V, Z).
const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights of positions 1..17: 3^(i-1) mod 31.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

fn value_of(c: u8) -> Option<u32> {
    CHARSET.iter().position(|&x| x == c).map(|v| v as u32)
}

/// 统一社会信用代码: the 18-character unified social credit code of GB 32100-2015, valid by
/// construction (length, character set and check character). Kept inline as its 18 ASCII
/// bytes, so it is copied, compared and hashed without touching the heap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Uscc([u8; 18]);

impl Uscc {
    /// Parses a code: surrounding spaces, full-width forms and lower case are accepted.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let s = to_half_width(input).trim().to_uppercase();
        let found = s.chars().count();
        if found != 18 {
            return Err(DomainError::UsccLength { found });
        }
        let bytes = s.as_bytes();
        for (i, c) in s.chars().enumerate() {
            let position = i + 1;
            if matches!(c, 'I' | 'O' | 'S' | 'V' | 'Z') {
                return Err(DomainError::UsccForbiddenLetter {
                    position,
                    letter: c,
                });
            }
            if !c.is_ascii() || value_of(c as u8).is_none() {
                return Err(DomainError::UsccInvalidCharacter {
                    position,
                    character: c,
                });
            }
        }
        let expected = Self::check_character_of(&bytes[..17]);
        let found = bytes[17] as char;
        if expected != found {
            return Err(DomainError::UsccCheckCharacter { expected, found });
        }
        let mut code = [0u8; 18];
        code.copy_from_slice(bytes);
        Ok(Self(code))
    }

    /// Builds a code from its first 17 characters by appending the check character.
    pub fn from_body(body: &str) -> Result<Self, DomainError> {
        let body = body.trim().to_uppercase();
        let found = body.chars().count() + 1;
        if found != 18 {
            return Err(DomainError::UsccLength { found });
        }
        if let Some((i, c)) = body
            .chars()
            .enumerate()
            .find(|&(_, c)| !c.is_ascii() || value_of(c as u8).is_none())
        {
            return Err(DomainError::UsccInvalidCharacter {
                position: i + 1,
                character: c,
            });
        }
        let check = Self::check_character_of(body.as_bytes());
        Self::parse(&format!("{body}{check}"))
    }

    /// The check character of 17 valid characters.
    fn check_character_of(body: &[u8]) -> char {
        let sum: u32 = body
            .iter()
            .zip(WEIGHTS)
            .map(|(&c, w)| value_of(c).unwrap_or(0) * w)
            .sum();
        CHARSET[((31 - sum % 31) % 31) as usize] as char
    }

    /// The code, upper case.
    pub fn as_str(&self) -> &str {
        // Only ASCII characters of the charset are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// Positions 3–8: the administrative division code of the registering authority.
    pub fn division_code(&self) -> &str {
        &self.as_str()[2..8]
    }
}

impl TryFrom<String> for Uscc {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Uscc> for String {
    fn from(value: Uscc) -> Self {
        value.as_str().to_owned()
    }
}

impl std::fmt::Display for Uscc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn examples_from_the_standard_are_valid() {
        for code in ["91110000600037341L", "91350100M000100Y43"] {
            assert_eq!(
                Uscc::parse(code).map(|u| u.to_string()),
                Ok(code.to_owned())
            );
        }
    }

    #[test]
    fn spaces_lower_case_and_full_width_are_accepted() {
        let u = Uscc::parse("  91350100m000100y43 ").expect("valid");
        assert_eq!(u.as_str(), "91350100M000100Y43");
        let u = Uscc::parse("９１１１００００６０００３７３４１Ｌ").expect("valid");
        assert_eq!(u.as_str(), "91110000600037341L");
        assert_eq!(u.division_code(), "110000");
    }

    #[test]
    fn each_failure_has_its_own_error() {
        assert_eq!(
            Uscc::parse("91110000600037341"),
            Err(DomainError::UsccLength { found: 17 })
        );
        assert_eq!(
            Uscc::parse("9111000060003734IL"),
            Err(DomainError::UsccForbiddenLetter {
                position: 17,
                letter: 'I'
            })
        );
        assert_eq!(
            Uscc::parse("91110000600037341-"),
            Err(DomainError::UsccInvalidCharacter {
                position: 18,
                character: '-'
            })
        );
        assert_eq!(
            Uscc::parse("91110000600037341M"),
            Err(DomainError::UsccCheckCharacter {
                expected: 'L',
                found: 'M'
            })
        );
        for letter in ['I', 'O', 'S', 'V', 'Z'] {
            let code = format!("9{letter}110000600037341L");
            assert_eq!(
                Uscc::parse(&code),
                Err(DomainError::UsccForbiddenLetter {
                    position: 2,
                    letter
                })
            );
        }
    }

    #[test]
    fn from_body_appends_the_check_character() {
        assert_eq!(
            Uscc::from_body("91110000600037341").map(|u| u.to_string()),
            Ok("91110000600037341L".into())
        );
        assert!(Uscc::from_body("9111000060003734").is_err());
    }

    fn body() -> impl Strategy<Value = String> {
        proptest::collection::vec(0usize..31, 17)
            .prop_map(|v| v.into_iter().map(|i| CHARSET[i] as char).collect())
    }

    proptest! {
        #[test]
        fn generated_codes_round_trip(body in body()) {
            let code = Uscc::from_body(&body).expect("any body gets a check character");
            prop_assert_eq!(Uscc::parse(&code.as_str().to_lowercase()), Ok(code));
        }

        #[test]
        fn any_single_substitution_is_detected(body in body(), pos in 0usize..18, delta in 1usize..31) {
            let code = Uscc::from_body(&body).expect("valid");
            let mut bytes = code.as_str().as_bytes().to_vec();
            let v = value_of(bytes[pos]).expect("in set") as usize;
            bytes[pos] = CHARSET[(v + delta) % 31];
            let changed = String::from_utf8(bytes).expect("ascii");
            prop_assert!(Uscc::parse(&changed).is_err());
        }

        #[test]
        fn whatever_parses_is_canonical(s in "[0-9A-Za-z ]{16,20}") {
            if let Ok(u) = Uscc::parse(&s) {
                prop_assert_eq!(u.as_str().len(), 18);
                prop_assert_eq!(Uscc::parse(u.as_str()), Ok(u));
            }
        }
    }
}
