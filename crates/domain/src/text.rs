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
pub fn is_invisible(c: char) -> bool {
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

/// Characters a spreadsheet reads a cell as a formula (or a field separator) from when the
/// cell starts with one (OWASP's "CSV injection").
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether a CSV cell, once any leading apostrophes are set aside, would start a formula.
fn starts_formula(value: &str) -> bool {
    value.trim_start_matches('\'').starts_with(FORMULA_STARTS)
}

/// A text as a CSV cell that no spreadsheet runs: one that would start a formula (`=`, `+`,
/// `-`, `@`, tab, CR) is written behind an apostrophe, which Excel and WPS show as text; a
/// plain number (`-12.5`) is left as it is. [`csv_cell_read`] gives the text back exactly.
pub fn csv_cell_written(value: &str) -> std::borrow::Cow<'_, str> {
    if starts_formula(value) && value.parse::<f64>().is_err() {
        std::borrow::Cow::Owned(format!("'{value}"))
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

/// The text of a CSV cell that [`csv_cell_written`] guarded (the apostrophe it added set
/// aside); any other cell as it is.
pub fn csv_cell_read(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if starts_formula(rest) && rest.parse::<f64>().is_err() => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod csv_cell_tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_formula_is_written_as_text() {
        assert_eq!(
            csv_cell_written("=HYPERLINK(\"http://x\",\"点我\")"),
            "'=HYPERLINK(\"http://x\",\"点我\")"
        );
        for s in ["+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "'=x"] {
            assert!(csv_cell_written(s).starts_with('\''), "{s:?}");
        }
        for s in ["新乡市某某有限公司", "-12.5", "42", "a=b", "", "'plain"] {
            assert_eq!(csv_cell_written(s), s);
        }
    }

    proptest! {
        #[test]
        fn what_is_written_is_read_back_exactly(s in "['=+\\-@\t\r a-z0-9.]{0,8}") {
            let written = csv_cell_written(&s);
            prop_assert!(!written.starts_with(FORMULA_STARTS) || written.parse::<f64>().is_ok());
            prop_assert_eq!(csv_cell_read(&written), s.as_str());
        }
    }
}
