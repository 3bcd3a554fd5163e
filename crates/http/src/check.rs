//! Turning request fields into domain values, collecting every invalid field.

use crate::error::{ApiError, FieldError};
use pledge_domain::{DomainError, Violation};

/// Collects field errors while a request body is parsed into domain values.
#[derive(Debug, Default)]
pub struct Check {
    errors: Vec<FieldError>,
}

impl Check {
    /// Keeps the value, or records the error under `field`.
    pub fn field<T>(&mut self, field: &str, r: Result<T, DomainError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.push(Violation::new(field, e).into());
                None
            }
        }
    }

    /// Like [`field`](Self::field) for an optional input.
    pub fn optional<T, I>(
        &mut self,
        field: &str,
        input: Option<I>,
        parse: impl FnOnce(I) -> Result<T, DomainError>,
    ) -> Option<Option<T>> {
        match input {
            None => Some(None),
            Some(i) => self.field(field, parse(i)).map(Some),
        }
    }

    /// Records an error found another way.
    pub fn push(&mut self, field: &str, error: DomainError) {
        self.errors.push(Violation::new(field, error).into());
    }

    /// Adds the violations a domain value reports about itself.
    pub fn violations(&mut self, v: Vec<Violation>) {
        self.errors.extend(v.into_iter().map(FieldError::from));
    }

    /// 422 with every recorded field, or `Ok` when there were none.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }

    /// The error to answer when a value is missing although no field was recorded.
    pub fn fail(self) -> ApiError {
        if self.errors.is_empty() {
            ApiError::Internal("a parsed field went missing".into())
        } else {
            ApiError::Validation(self.errors)
        }
    }
}

/// Reads a cursor and a page size (1..=500, default 50).
pub fn paging(after: Option<&str>, limit: Option<&str>) -> Result<(Option<i64>, u64), ApiError> {
    let mut c = Check::default();
    let after = c
        .optional("after", after, |s| {
            s.parse::<i64>()
                .map_err(|_| DomainError::Format { what: "cursor" })
        })
        .flatten();
    let limit = c
        .optional("limit", limit, |s| {
            s.parse::<u64>()
                .ok()
                .filter(|l| (1..=500).contains(l))
                .ok_or(DomainError::OutOfRange { min: 1, max: 500 })
        })
        .flatten()
        .unwrap_or(50);
    c.finish()?;
    Ok((after, limit))
}

/// Reads a date parameter `YYYY-MM-DD`.
pub fn date(c: &mut Check, field: &str, s: Option<&str>) -> Option<Option<chrono::NaiveDate>> {
    c.optional(field, s, |s| {
        chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| DomainError::Format {
            what: "date YYYY-MM-DD",
        })
    })
}

/// An identifier in the path of a read: one that cannot be parsed names nothing, so it is
/// answered as an unknown one is (404), with what is wrong in the detail. (A write at such a
/// path keeps its 422: there the identifier is a value being recorded.)
pub fn read_key<T>(r: Result<T, ApiError>) -> Result<T, ApiError> {
    r.map_err(|e| match e {
        ApiError::Validation(fields) => ApiError::NotFound {
            detail: fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; "),
        },
        other => other,
    })
}

/// Reads a numeric id from a path segment.
pub fn parse_id(field: &str, raw: &str) -> Result<i64, ApiError> {
    raw.trim()
        .parse::<i64>()
        .map_err(|_| ApiError::field(field, DomainError::Format { what: "id" }))
}
