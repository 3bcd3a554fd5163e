//! What a use case can answer besides success. The faces map it: `http` to problem documents,
//! `cli` to messages and exit codes. Codes are the stable ones of `pledge_domain::codes`.

use pledge_domain::code;
use pledge_domain::{DomainError, Violation};
use pledge_store::StoreError;
use serde::{Deserialize, Serialize};

/// One invalid field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// The field, as the request spells it (`uscc`, `qualifications[0].kind`).
    pub field: String,
    /// A stable machine code (`uscc_check_character`).
    pub code: String,
    /// Why, in Chinese and English.
    pub message: String,
}

impl From<Violation> for FieldError {
    fn from(v: Violation) -> Self {
        Self {
            field: v.field,
            code: v.error.code().into(),
            message: v.error.to_string(),
        }
    }
}

/// Why a use case did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// No credentials, or not live ones.
    #[error("unauthorized")]
    Unauthorized,
    /// The caller's role or scope does not cover this.
    #[error("{code}: {detail}")]
    Forbidden { code: &'static str, detail: String },
    /// No such thing, or not one the caller may know of.
    #[error("not found: {detail}")]
    NotFound { detail: String },
    /// Duplicate, stale or missing version, or a state that forbids the change.
    #[error("{code}: {detail}")]
    Conflict {
        code: &'static str,
        detail: String,
        /// For a stale version: the version stored now, as read.
        current_version: Option<i64>,
    },
    /// Invalid input, every field named.
    #[error("invalid: {0:?}")]
    Invalid(Vec<FieldError>),
    /// The database does not answer.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A fault of ours: logged, never shown.
    #[error("internal: {0}")]
    Internal(String),
}

/// Use-case results.
pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

impl ServiceError {
    /// 403 for a caller whose role or scope does not cover the request.
    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Forbidden {
            code,
            detail: detail.into(),
        }
    }

    /// Invalid input, every field with its violation.
    pub fn invalid(violations: Vec<Violation>) -> Self {
        Self::Invalid(violations.into_iter().map(FieldError::from).collect())
    }

    /// Invalid input in one field.
    pub fn field(field: &str, error: DomainError) -> Self {
        Self::Invalid(vec![Violation::new(field, error).into()])
    }

    /// Not found, with a message in both languages.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::NotFound {
            detail: detail.into(),
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() {
            return Self::Unavailable(e.to_string());
        }
        match e {
            StoreError::NotFound { entity, key } => {
                Self::not_found(format!("{entity} {key} 不存在 / {entity} {key} not found"))
            }
            StoreError::Duplicate { entity, key } => Self::Conflict {
                code: code::DUPLICATE,
                detail: format!("{entity} {key} 已存在 / {entity} {key} already exists"),
                current_version: None,
            },
            StoreError::VersionConflict {
                entity,
                key,
                expected,
                current,
            } => Self::Conflict {
                code: code::VERSION_CONFLICT,
                detail: format!(
                    "{entity} {key} 已被他人修改（您的版本{expected}，当前版本{current}），请重新读取 / changed by someone else (your version {expected}, now {current}): read it again"
                ),
                current_version: Some(current),
            },
            StoreError::VersionRequired { entity, key } => Self::Conflict {
                code: code::VERSION_REQUIRED,
                detail: format!(
                    "{entity} {key} 已存在，修改时须提供读取到的version / {entity} {key} exists: send the version you read"
                ),
                current_version: None,
            },
            StoreError::OutOfScope { entity, key } => Self::forbidden(
                code::OUT_OF_SCOPE,
                format!("{entity} {key} 不属于您的园区 / {entity} {key} is outside your park"),
            ),
            StoreError::Invalid(v) => Self::Invalid(v.into_iter().map(FieldError::from).collect()),
            StoreError::Conflict { code, detail } => Self::Conflict {
                code,
                detail,
                current_version: None,
            },
            StoreError::Forbidden { code, detail } => Self::forbidden(code, detail),
            e @ (StoreError::Database(_) | StoreError::Corrupt(_)) => Self::Internal(e.to_string()),
        }
    }
}
