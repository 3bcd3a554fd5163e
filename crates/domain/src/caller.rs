//! The caller (调用者): who asks, in what role and scope, and the business day their changes
//! are made on, as the audit log records them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::{BankCode, ParkCode};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The city IP office (市知识产权局): everything. Written `admin` on the wire, in tokens
    /// and in rows.
    #[serde(rename = "admin")]
    Office,
    /// A park official, bound to one park.
    Park,
    /// A bank officer, bound to one bank.
    Bank,
}

impl Role {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Office => "admin",
            Self::Park => "park",
            Self::Bank => "bank",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Result<Self, crate::DomainError> {
        match s.trim() {
            "admin" => Ok(Self::Office),
            "park" => Ok(Self::Park),
            "bank" => Ok(Self::Bank),
            other => Err(crate::DomainError::UnknownValue {
                value: other.into(),
                allowed: "admin, park, bank".into(),
            }),
        }
    }
}

/// The holder of a valid token, as the API sees it on each request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token used; `None` for a console session.
    pub token_id: Option<i64>,
    /// The person holding the token: id, login and the name shown.
    pub person_id: i64,
    pub login: String,
    pub person_name: String,
    /// The token's label.
    pub name: String,
    pub role: Role,
    /// The park a `park` token is bound to: (row id, code).
    pub park: Option<(i64, ParkCode)>,
    /// The bank a `bank` token is bound to: (row id, code).
    pub bank: Option<(i64, BankCode)>,
}

impl Principal {
    /// The actor the audit log records for this principal, acting on `today`.
    pub fn actor(&self, now: chrono::DateTime<chrono::Utc>) -> Actor {
        Actor {
            token_id: self.token_id,
            person_id: Some(self.person_id),
            label: format!("{}:{}", self.role.as_str(), self.person_name),
            holder: self.login.clone(),
            today: business_day(now),
            now,
        }
    }
}

/// Who makes a change, as the audit log records it, and the business day it is made on
/// (the day rules that depend on time, such as re-screening the white list, are judged for).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The API token used, if any (`None` for the command line).
    pub token_id: Option<i64>,
    /// The person holding the token (`None` for the command line); four-eyes compares it.
    pub person_id: Option<i64>,
    /// A readable label: role and the token's name, or `cli:…`.
    pub label: String,
    /// The person's login (`cli:…` for the command line).
    pub holder: String,
    /// The business day of the change (China's calendar date, UTC+8).
    pub today: NaiveDate,
    /// The instant of the change, read once at the edge; every timestamp the change writes.
    pub now: DateTime<Utc>,
}

impl Actor {
    /// The command line, acting for the city IP office.
    pub fn cli(what: &str, now: DateTime<Utc>) -> Self {
        Self {
            token_id: None,
            person_id: None,
            label: format!("cli:{what}"),
            holder: format!("cli:{what}"),
            today: business_day(now),
            now,
        }
    }
}

impl Actor {
    /// The command line acting on a given business day (loaders and tests that fix the day):
    /// the instant is noon of that day in China.
    pub fn cli_on(what: &str, today: NaiveDate) -> Self {
        let noon = today.and_hms_opt(4, 0, 0).unwrap_or_default().and_utc();
        Self::cli(what, noon)
    }
}

/// The business day of an instant: the calendar date in China (UTC+8).
pub fn business_day(now: DateTime<Utc>) -> NaiveDate {
    (now + chrono::Duration::hours(8)).date_naive()
}
