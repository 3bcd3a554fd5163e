//! People: the accounts behind tokens. A person has a login (lower-case ASCII, so one login
//! never looks like another), a display name, a role with its park or bank, the person who
//! created them, and may be disabled (their tokens stop working at once).

use crate::audit::{self, Change};
use crate::entities::{bank, park, person};
use crate::error::{Result, StoreError};
use crate::{Actor, Role, Store};
use chrono::{DateTime, Utc};
use pledge_domain::{BankCode, DomainError, ParkCode, Text, Violation};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;

/// A person as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonRecord {
    pub id: i64,
    pub login: String,
    pub name: String,
    pub role: Role,
    pub park: Option<ParkCode>,
    pub bank: Option<BankCode>,
    /// The login of the person who created this one (`None`: the command line).
    pub created_by: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// The park or bank row a role is bound to.
pub(crate) type ScopeRows = (Option<park::Model>, Option<bank::Model>);

/// How far up the chain of creators the four-eyes rule looks.
const CREATOR_DEPTH: usize = 32;

/// A login: 2 to 64 of `a-z 0-9 . _ -`, starting with a letter or digit.
pub fn parse_login(input: &str) -> std::result::Result<String, DomainError> {
    let login = input.trim();
    let ok = (2..=64).contains(&login.len())
        && login
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        && login
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(login.to_owned())
    } else {
        Err(DomainError::Format {
            what: "a login is 2 to 64 of a-z, 0-9, '.', '_' and '-'",
        })
    }
}

impl Store {
    /// Creates a person (the office).
    pub async fn create_person(
        &self,
        actor: &Actor,
        login: &str,
        name: &str,
        role: Role,
        park: Option<&ParkCode>,
        bank: Option<&BankCode>,
    ) -> Result<PersonRecord> {
        let mut violations = Vec::new();
        let login = parse_login(login)
            .map_err(|e| violations.push(Violation::new("login", e)))
            .ok();
        let name = Text::parse(name, 1, 100)
            .map_err(|e| violations.push(Violation::new("name", e)))
            .ok();
        let txn = self.write().await?;
        let scope = self
            .scope_rows(&txn, role, park, bank, &mut violations)
            .await?;
        let (Some(login), Some(name)) = (login, name) else {
            return Err(StoreError::Invalid(violations));
        };
        if !violations.is_empty() {
            return Err(StoreError::Invalid(violations));
        }
        if person::Entity::find()
            .filter(person::Column::Login.eq(&login))
            .one(&txn)
            .await?
            .is_some()
        {
            return Err(StoreError::Duplicate {
                entity: "person",
                key: login,
            });
        }
        let row = self
            .insert_person(&txn, actor, &login, name.as_str(), role, &scope)
            .await?;
        let record = self.person_record(&txn, row).await?;
        crate::audit::commit(txn).await?;
        Ok(record)
    }

    /// Disables a person: every token of theirs stops working at once. Disabling a
    /// disabled person changes nothing.
    pub async fn disable_person(
        &self,
        actor: &Actor,
        login: &str,
        reason: Option<String>,
    ) -> Result<PersonRecord> {
        let txn = self.write().await?;
        let row = self.person_row(&txn, login).await?;
        if row.disabled_at.is_some() {
            return self.person_record(&txn, row).await;
        }
        let before = self.person_record(&txn, row.clone()).await?;
        let updated = person::Entity::update(person::ActiveModel {
            id: Set(row.id),
            disabled_at: Set(Some(actor.now)),
            version: Set(row.version + 1),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        let after = self.person_record(&txn, updated).await?;
        audit::record(
            &txn,
            actor,
            actor.now,
            Change {
                entity: "person",
                key: login,
                action: "disable",
                park_id: row.park_id,
                reason,
                before: serde_json::to_value(&before).ok(),
                after: serde_json::to_value(&after).ok(),
            },
        )
        .await?;
        crate::audit::commit(txn).await?;
        Ok(after)
    }

    /// Every person, oldest first.
    pub async fn people(&self) -> Result<Vec<PersonRecord>> {
        let rows = person::Entity::find()
            .order_by_asc(person::Column::Id)
            .all(&self.db)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(self.person_record(&self.db, r).await?);
        }
        Ok(out)
    }

    /// The people who created `id`, their creators in turn, nearest first.
    pub(crate) async fn creators_of(&self, db: &impl ConnectionTrait, id: i64) -> Result<Vec<i64>> {
        let mut chain = Vec::new();
        let mut at = id;
        while chain.len() < CREATOR_DEPTH {
            let Some(by) = person::Entity::find_by_id(at)
                .one(db)
                .await?
                .and_then(|p| p.created_by)
            else {
                break;
            };
            if chain.contains(&by) {
                break;
            }
            chain.push(by);
            at = by;
        }
        Ok(chain)
    }

    pub(crate) async fn person_row(
        &self,
        db: &impl ConnectionTrait,
        login: &str,
    ) -> Result<person::Model> {
        person::Entity::find()
            .filter(person::Column::Login.eq(login.trim()))
            .one(db)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: "person",
                key: login.to_owned(),
            })
    }

    pub(crate) async fn insert_person(
        &self,
        db: &impl ConnectionTrait,
        actor: &Actor,
        login: &str,
        name: &str,
        role: Role,
        scope: &ScopeRows,
    ) -> Result<person::Model> {
        let row = person::Entity::insert(person::ActiveModel {
            id: NotSet,
            login: Set(login.into()),
            name: Set(name.into()),
            role: Set(role.as_str().into()),
            park_id: Set(scope.0.as_ref().map(|p| p.id)),
            bank_id: Set(scope.1.as_ref().map(|b| b.id)),
            created_by: Set(actor.person_id),
            disabled_at: Set(None),
            created_at: Set(actor.now),
            version: Set(1),
            password_hash: Set(None),
        })
        .exec_with_returning(db)
        .await?;
        let record = self.person_record(db, row.clone()).await?;
        audit::record(
            db,
            actor,
            actor.now,
            Change {
                entity: "person",
                key: login,
                action: "create",
                park_id: row.park_id,
                reason: None,
                before: None,
                after: serde_json::to_value(&record).ok(),
            },
        )
        .await?;
        Ok(row)
    }

    /// The park or bank `role` is bound to, checked: a park official names an existing park
    /// and no bank, a bank officer an existing bank and no park, the office neither.
    pub(crate) async fn scope_rows(
        &self,
        db: &impl ConnectionTrait,
        role: Role,
        park: Option<&ParkCode>,
        bank: Option<&BankCode>,
        violations: &mut Vec<Violation>,
    ) -> Result<ScopeRows> {
        let mut rows: ScopeRows = (None, None);
        match (role, park, bank) {
            (Role::Office, None, None) => {}
            (Role::Park, Some(code), None) => {
                rows.0 = park::Entity::find()
                    .filter(park::Column::Code.eq(code.as_str()))
                    .one(db)
                    .await?;
                if rows.0.is_none() {
                    violations.push(unknown("park", code.as_str(), "an existing park"));
                }
            }
            (Role::Bank, None, Some(code)) => {
                rows.1 = bank::Entity::find()
                    .filter(bank::Column::Code.eq(code.as_str()))
                    .one(db)
                    .await?;
                if rows.1.is_none() {
                    violations.push(unknown("bank", code.as_str(), "an existing bank"));
                }
            }
            (role, park, bank) => {
                for (field, bound, given) in [
                    ("park", Role::Park, park.is_some()),
                    ("bank", Role::Bank, bank.is_some()),
                ] {
                    if (role == bound) != given {
                        let e = if role == bound {
                            DomainError::Required { field }
                        } else {
                            DomainError::NotAllowed { field }
                        };
                        violations.push(Violation::new(field, e));
                    }
                }
            }
        }
        Ok(rows)
    }

    async fn person_record(
        &self,
        db: &impl ConnectionTrait,
        row: person::Model,
    ) -> Result<PersonRecord> {
        let (role, park, bank) = self
            .role_scope(db, &row.role, row.park_id, row.bank_id)
            .await?;
        let created_by = self.login_of(db, row.created_by).await?;
        Ok(PersonRecord {
            id: row.id,
            login: row.login,
            name: row.name,
            role,
            park,
            bank,
            created_by,
            disabled_at: row.disabled_at,
            created_at: row.created_at,
        })
    }
}

fn unknown(field: &str, value: &str, allowed: &str) -> Violation {
    Violation::new(
        field,
        DomainError::UnknownValue {
            value: value.into(),
            allowed: allowed.into(),
        },
    )
}
