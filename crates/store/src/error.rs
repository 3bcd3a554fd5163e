use pledge_domain::Violation;
use thiserror::Error;

/// What can go wrong in the store. Callers map each case to their own answer (HTTP status,
/// exit code); `Database` and `Corrupt` are internal faults.
#[derive(Debug, Error)]
pub enum StoreError {
    /// No record of `entity` under `key`.
    #[error("{entity} {key} not found")]
    NotFound { entity: &'static str, key: String },
    /// A record with the same unique key exists.
    #[error("{entity} {key} already exists")]
    Duplicate { entity: &'static str, key: String },
    /// The caller's version is not the stored one; nothing was changed.
    #[error("{entity} {key}: version {expected} is stale, the current version is {current}")]
    VersionConflict {
        entity: &'static str,
        key: String,
        expected: i64,
        current: i64,
    },
    /// The change needs the version the caller saw, and none was given.
    #[error("{entity} {key} exists: send the version you read to change it")]
    VersionRequired { entity: &'static str, key: String },
    /// The value refers to something that does not exist, or breaks a rule; per field.
    #[error("invalid: {0:?}")]
    Invalid(Vec<Violation>),
    /// The record, or the one it would become, lies outside the caller's park.
    #[error("{entity} {key} is outside your park")]
    OutOfScope { entity: &'static str, key: String },
    /// A rule of the field refuses the change in the current state (409).
    #[error("{code}: {detail}")]
    Conflict { code: &'static str, detail: String },
    /// A rule forbids this actor the change, whatever its role (403).
    #[error("{code}: {detail}")]
    Forbidden { code: &'static str, detail: String },
    /// A database error.
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// A stored row that no longer parses into the domain.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether the database did not answer (no connection, pool exhausted or closed, the
    /// connection broke, SQLite's write lock not had within the busy timeout): a passing
    /// fault, not a bug.
    pub fn is_unavailable(&self) -> bool {
        use sea_orm::DbErr;
        match self {
            Self::Database(DbErr::ConnectionAcquire(_) | DbErr::Conn(_)) => true,
            Self::Database(e @ (DbErr::Exec(_) | DbErr::Query(_))) => {
                let text = e.to_string();
                [
                    "error communicating with database",
                    "pool timed out",
                    "closed pool",
                    "database is locked",
                ]
                .iter()
                .any(|t| text.contains(t))
            }
            _ => false,
        }
    }

    pub(crate) fn corrupt(what: impl std::fmt::Display) -> Self {
        Self::Corrupt(what.to_string())
    }
}

/// Maps a stored value that no longer parses to `Corrupt`.
pub(crate) fn corrupt<T, E: std::fmt::Display>(r: std::result::Result<T, E>) -> Result<T> {
    r.map_err(StoreError::corrupt)
}

/// Store results.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
