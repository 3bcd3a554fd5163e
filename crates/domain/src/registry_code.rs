use crate::DomainError;
use serde::{Deserialize, Serialize};

fn parse_code(input: &str) -> Result<String, DomainError> {
    let s = input.trim();
    let ok = (2..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(DomainError::CodeFormat)
    }
}

macro_rules! code_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses a code: 2 to 32 ASCII letters, digits, `-` or `_`, stored in lower case.
            pub fn parse(input: &str) -> Result<Self, DomainError> {
                parse_code(input).map(Self)
            }

            /// The code.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = DomainError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

code_type!(
    /// The short code of an industrial park (园区), e.g. `xxhtz` for 新乡高新区.
    ParkCode
);
code_type!(
    /// The short code of a bank, e.g. `boc-xinxiang`.
    BankCode
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_lower_case_and_bounded() {
        assert_eq!(
            ParkCode::parse(" XXHTZ ").map(|c| c.to_string()),
            Ok("xxhtz".into())
        );
        assert_eq!(BankCode::parse("a"), Err(DomainError::CodeFormat));
        assert_eq!(BankCode::parse("中国银行"), Err(DomainError::CodeFormat));
        assert!(BankCode::parse(&"x".repeat(33)).is_err());
    }
}
