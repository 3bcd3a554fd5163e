use crate::audit::{self, Change};
use crate::entities::{api_token, bank, park};
use crate::error::{Result, StoreError};
use crate::{Actor, Store};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use pledge_domain::{BankCode, DomainError, ParkCode, Violation};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;
use sha2::Sha256;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The city IP office: everything.
    Admin,
    /// A park official, bound to one park.
    Park,
    /// A bank officer, bound to one bank.
    Bank,
}

impl Role {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Park => "park",
            Self::Bank => "bank",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s.trim() {
            "admin" => Ok(Self::Admin),
            "park" => Ok(Self::Park),
            "bank" => Ok(Self::Bank),
            other => Err(DomainError::UnknownValue {
                value: other.into(),
                allowed: "admin, park, bank".into(),
            }),
        }
    }
}

/// The holder of a valid token, as the API sees it on each request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub token_id: i64,
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
            token_id: Some(self.token_id),
            label: format!("{}:{}", self.role.as_str(), self.name),
            holder: self.name.trim().to_lowercase(),
            today: crate::records::business_day(now),
            now,
        }
    }
}

/// A token as listed: never its secret, only the visible prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenRecord {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub park: Option<ParkCode>,
    pub bank: Option<BankCode>,
    /// The start of the token (`plg_xxxxxxxx`), to recognise it.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // The operating system's generator failing is not recoverable for a server.
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut buf).expect("the operating system's random generator");
    hex::encode(buf)
}

fn keyed_hash(key: &[u8], token: &str) -> Result<String> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).map_err(StoreError::corrupt)?;
    mac.update(token.as_bytes());
    Ok(hex::encode(mac.finalize().into_bytes()))
}

impl Store {
    /// Creates a token; returns its record and the secret, which is never shown again.
    pub async fn create_token(
        &self,
        actor: &Actor,
        name: &str,
        role: Role,
        park: Option<&ParkCode>,
        bank: Option<&BankCode>,
    ) -> Result<(TokenRecord, String)> {
        let mut violations = Vec::new();
        let name = pledge_domain::Text::parse(name, 1, 100)
            .map_err(|e| violations.push(Violation::new("name", e)))
            .ok();
        // Before the write transaction: making the key may need a write of its own.
        let key = self.token_key().await?;
        let txn = self.write().await?;
        let mut park_row = None;
        let mut bank_row = None;
        match (role, park, bank) {
            (Role::Admin, None, None) => {}
            (Role::Park, Some(code), None) => {
                park_row = park::Entity::find()
                    .filter(park::Column::Code.eq(code.as_str()))
                    .one(&txn)
                    .await?;
                if park_row.is_none() {
                    violations.push(Violation::new(
                        "park",
                        DomainError::UnknownValue {
                            value: code.to_string(),
                            allowed: "an existing park".into(),
                        },
                    ));
                }
            }
            (Role::Bank, None, Some(code)) => {
                bank_row = bank::Entity::find()
                    .filter(bank::Column::Code.eq(code.as_str()))
                    .one(&txn)
                    .await?;
                if bank_row.is_none() {
                    violations.push(Violation::new(
                        "bank",
                        DomainError::UnknownValue {
                            value: code.to_string(),
                            allowed: "an existing bank".into(),
                        },
                    ));
                }
            }
            (role, park, bank) => {
                if (role == Role::Park) != park.is_some() {
                    let e = if role == Role::Park {
                        DomainError::Required { field: "park" }
                    } else {
                        DomainError::NotAllowed { field: "park" }
                    };
                    violations.push(Violation::new("park", e));
                }
                if (role == Role::Bank) != bank.is_some() {
                    let e = if role == Role::Bank {
                        DomainError::Required { field: "bank" }
                    } else {
                        DomainError::NotAllowed { field: "bank" }
                    };
                    violations.push(Violation::new("bank", e));
                }
            }
        }
        let Some(name) = name.filter(|_| violations.is_empty()) else {
            return Err(StoreError::Invalid(violations));
        };
        let prefix = format!("plg_{}", random_hex(4));
        let secret = format!("{prefix}_{}", random_hex(24));
        let hash = keyed_hash(&key, &secret)?;
        let now = actor.now;
        let row = api_token::Entity::insert(api_token::ActiveModel {
            id: NotSet,
            name: Set(name.as_str().into()),
            role: Set(role.as_str().into()),
            park_id: Set(park_row.as_ref().map(|p| p.id)),
            bank_id: Set(bank_row.as_ref().map(|b| b.id)),
            prefix: Set(prefix),
            hash: Set(hash),
            created_at: Set(now),
            revoked_at: Set(None),
        })
        .exec_with_returning(&txn)
        .await?;
        let record = TokenRecord {
            id: row.id,
            name: row.name.clone(),
            role,
            park: park.cloned(),
            bank: bank.cloned(),
            prefix: row.prefix.clone(),
            created_at: now,
            revoked_at: None,
        };
        let after = serde_json::to_value(&record).ok();
        audit::record(
            &txn,
            actor,
            now,
            Change {
                entity: "token",
                key: &row.id.to_string(),
                action: "create",
                park_id: row.park_id,
                reason: None,
                before: None,
                after,
            },
        )
        .await?;
        crate::audit::commit(txn).await?;
        Ok((record, secret))
    }

    /// Revokes a token at once. Revoking a revoked token changes nothing.
    pub async fn revoke_token(&self, actor: &Actor, id: i64) -> Result<TokenRecord> {
        let txn = self.write().await?;
        let row =
            api_token::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or(StoreError::NotFound {
                    entity: "token",
                    key: id.to_string(),
                })?;
        if row.revoked_at.is_none() {
            let before = self.token_record(&txn, row.clone()).await?;
            let now = actor.now;
            api_token::Entity::update_many()
                .col_expr(
                    api_token::Column::RevokedAt,
                    sea_orm::sea_query::Expr::value(now),
                )
                .filter(api_token::Column::Id.eq(id))
                .exec(&txn)
                .await?;
            let mut after = before.clone();
            after.revoked_at = Some(now);
            audit::record(
                &txn,
                actor,
                now,
                Change {
                    entity: "token",
                    key: &id.to_string(),
                    action: "revoke",
                    park_id: row.park_id,
                    reason: None,
                    before: serde_json::to_value(&before).ok(),
                    after: serde_json::to_value(&after).ok(),
                },
            )
            .await?;
            crate::audit::commit(txn).await?;
            return Ok(after);
        }
        self.token_record(&txn, row).await
    }

    /// Every token, newest last.
    pub async fn list_tokens(&self) -> Result<Vec<TokenRecord>> {
        let rows = api_token::Entity::find()
            .order_by_asc(api_token::Column::Id)
            .all(&self.db)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(self.token_record(&self.db, r).await?);
        }
        Ok(out)
    }

    /// The principal holding `token`, if it is a live token.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Principal>> {
        match self.token_hash(token).await? {
            Some(hash) => self.authenticate_hash(&hash).await,
            None => Ok(None),
        }
    }

    /// The keyed hash a token is stored under (`None` for what cannot be a token): callers
    /// that cache principals key them by it, never by the secret.
    pub async fn token_hash(&self, token: &str) -> Result<Option<String>> {
        if !token.starts_with("plg_") || token.len() > 100 {
            return Ok(None);
        }
        Ok(Some(keyed_hash(&self.token_key().await?, token)?))
    }

    /// The principal holding the live token stored under `hash`.
    pub async fn authenticate_hash(&self, hash: &str) -> Result<Option<Principal>> {
        let Some(row) = api_token::Entity::find()
            .filter(api_token::Column::Hash.eq(hash))
            .filter(api_token::Column::RevokedAt.is_null())
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let rec = self.token_record(&self.db, row.clone()).await?;
        Ok(Some(Principal {
            token_id: row.id,
            name: row.name,
            role: rec.role,
            park: row.park_id.zip(rec.park),
            bank: row.bank_id.zip(rec.bank),
        }))
    }

    async fn token_record(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        row: api_token::Model,
    ) -> Result<TokenRecord> {
        let role = Role::parse(&row.role).map_err(StoreError::corrupt)?;
        let park = match row.park_id {
            Some(id) => Some(self.park_code(db, id).await?),
            None => None,
        };
        let bank = match row.bank_id {
            Some(id) => {
                let b = bank::Entity::find_by_id(id)
                    .one(db)
                    .await?
                    .ok_or_else(|| StoreError::corrupt("token bank"))?;
                Some(BankCode::parse(&b.code).map_err(StoreError::corrupt)?)
            }
            None => None,
        };
        Ok(TokenRecord {
            id: row.id,
            name: row.name,
            role,
            park,
            bank,
            prefix: row.prefix,
            created_at: row.created_at,
            revoked_at: row.revoked_at,
        })
    }

    pub(crate) async fn park_code(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        id: i64,
    ) -> Result<ParkCode> {
        let p = park::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or_else(|| StoreError::corrupt("missing park"))?;
        ParkCode::parse(&p.code).map_err(StoreError::corrupt)
    }
}
