use crate::DomainError;
use serde::{Deserialize, Serialize};

/// Maps full-width ASCII forms (ＡＢＣ１２３．) and the ideographic space to their half-width
/// characters, and the ideographic full stop to a dot, as Chinese input methods type them.
pub fn to_half_width(input: &str) -> String {
    input
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            '\u{3002}' => '.',
            _ => c,
        })
        .collect()
}

/// Characters that show nothing: zero-width spaces and joiners, direction marks and
/// overrides, the byte-order mark.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// A trimmed, non-control text whose length in characters lies within bounds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Text(String);

impl Text {
    /// Trims `input` and checks that it has `min..=max` characters and no control characters.
    pub fn parse(input: &str, min: usize, max: usize) -> Result<Self, DomainError> {
        let trimmed = input.trim();
        let found = trimmed.chars().count();
        if found < min || found > max {
            return Err(DomainError::TextLength { min, max, found });
        }
        if trimmed.chars().any(char::is_control) {
            return Err(DomainError::Format {
                what: "control character",
            });
        }
        // Zero-width and direction marks make one name look like another.
        if trimmed.chars().any(is_invisible) {
            return Err(DomainError::Format {
                what: "invisible or direction character",
            });
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_becomes_half_width() {
        assert_eq!(to_half_width("ＺＬ２０１７　１．３。"), "ZL2017 1.3.");
    }

    #[test]
    fn text_bounds_are_in_characters() {
        assert!(Text::parse("  新乡  ", 2, 2).is_ok());
        assert_eq!(
            Text::parse("新", 2, 10),
            Err(DomainError::TextLength {
                min: 2,
                max: 10,
                found: 1
            })
        );
        assert!(Text::parse("a\u{0007}b", 1, 10).is_err());
        assert!(Text::parse("\u{202E}\u{200B}\u{202E}", 1, 10).is_err());
        assert!(Text::parse("admin-one\u{200B}", 1, 20).is_err());
    }
}
