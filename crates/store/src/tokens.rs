use crate::audit::{self, Change};
use crate::entities::{api_token, bank, park, person};
use crate::error::{Result, StoreError};
use crate::{Actor, Store};
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use pledge_domain::{BankCode, ParkCode, Principal, Role, Violation};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;
use sha2::Sha256;

/// A token as listed: never its secret, only the visible prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenRecord {
    pub id: i64,
    /// The login of the person holding it.
    pub person: String,
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

pub(crate) fn keyed_hash(key: &[u8], token: &str) -> Result<String> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).map_err(StoreError::corrupt)?;
    mac.update(token.as_bytes());
    Ok(hex::encode(mac.finalize().into_bytes()))
}

impl Store {
    /// Creates a token for a new person named `name`, created by the actor's person (the
    /// four-eyes rule sees through it: it is not a second person for the actor's own
    /// nominations); returns its record and the secret, which is never shown again.
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
        let scope = self
            .scope_rows(&txn, role, park, bank, &mut violations)
            .await?;
        let Some(name) = name.filter(|_| violations.is_empty()) else {
            return Err(StoreError::Invalid(violations));
        };
        let login = format!("token-{}", random_hex(6));
        let person = self
            .insert_person(&txn, actor, &login, name.as_str(), role, &scope)
            .await?;
        let created = self
            .insert_token(&txn, actor, &person, name.as_str(), &key)
            .await?;
        crate::audit::commit(txn).await?;
        Ok(created)
    }

    /// Creates a token for the person `login` (their role and scope); returns its record and
    /// the secret, which is never shown again.
    pub async fn create_person_token(
        &self,
        actor: &Actor,
        login: &str,
        name: &str,
    ) -> Result<(TokenRecord, String)> {
        let name = pledge_domain::Text::parse(name, 1, 100)
            .map_err(|e| StoreError::Invalid(vec![Violation::new("name", e)]))?;
        let key = self.token_key().await?;
        let txn = self.write().await?;
        let person = self.person_row(&txn, login).await?;
        if person.disabled_at.is_some() {
            return Err(StoreError::Conflict {
                code: pledge_domain::code::ILLEGAL_TRANSITION,
                detail: format!("账号{login}已停用 / the account {login} is disabled"),
            });
        }
        let created = self
            .insert_token(&txn, actor, &person, name.as_str(), &key)
            .await?;
        crate::audit::commit(txn).await?;
        Ok(created)
    }

    async fn insert_token(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
        actor: &Actor,
        person: &person::Model,
        name: &str,
        key: &[u8],
    ) -> Result<(TokenRecord, String)> {
        let prefix = format!("plg_{}", random_hex(4));
        let secret = format!("{prefix}_{}", random_hex(24));
        let hash = keyed_hash(key, &secret)?;
        let now = actor.now;
        let row = api_token::Entity::insert(api_token::ActiveModel {
            id: NotSet,
            name: Set(name.into()),
            role: Set(person.role.clone()),
            park_id: Set(person.park_id),
            bank_id: Set(person.bank_id),
            prefix: Set(prefix),
            hash: Set(hash),
            created_at: Set(now),
            revoked_at: Set(None),
            person_id: Set(Some(person.id)),
        })
        .exec_with_returning(txn)
        .await?;
        let record = self.token_record(txn, row.clone()).await?;
        audit::record(
            txn,
            actor,
            now,
            Change {
                entity: "token",
                key: &row.id.to_string(),
                action: "create",
                park_id: row.park_id,
                reason: None,
                before: None,
                after: serde_json::to_value(&record).ok(),
            },
        )
        .await?;
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
        // A token works while its person is enabled.
        let Some(person) = (match row.person_id {
            Some(id) => person::Entity::find_by_id(id).one(&self.db).await?,
            None => None,
        })
        .filter(|p| p.disabled_at.is_none()) else {
            return Ok(None);
        };
        let (role, park, bank) = self
            .role_scope(&self.db, &row.role, row.park_id, row.bank_id)
            .await?;
        Ok(Some(Principal {
            token_id: Some(row.id),
            person_id: person.id,
            login: person.login,
            person_name: person.name,
            name: row.name,
            role,
            park: row.park_id.zip(park),
            bank: row.bank_id.zip(bank),
        }))
    }

    async fn token_record(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        row: api_token::Model,
    ) -> Result<TokenRecord> {
        let (role, park, bank) = self
            .role_scope(db, &row.role, row.park_id, row.bank_id)
            .await?;
        let person = self.login_of(db, row.person_id).await?.unwrap_or_default();
        Ok(TokenRecord {
            id: row.id,
            person,
            name: row.name,
            role,
            park,
            bank,
            prefix: row.prefix,
            created_at: row.created_at,
            revoked_at: row.revoked_at,
        })
    }

    /// A role and the codes of its park and bank, from a row's columns.
    pub(crate) async fn role_scope(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        role: &str,
        park_id: Option<i64>,
        bank_id: Option<i64>,
    ) -> Result<(Role, Option<ParkCode>, Option<BankCode>)> {
        let role = Role::parse(role).map_err(StoreError::corrupt)?;
        let park = match park_id {
            Some(id) => Some(self.park_code(db, id).await?),
            None => None,
        };
        let bank = match bank_id {
            Some(id) => Some(self.bank_code(db, id).await?),
            None => None,
        };
        Ok((role, park, bank))
    }

    /// The login of the person `id`.
    pub(crate) async fn login_of(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        id: Option<i64>,
    ) -> Result<Option<String>> {
        Ok(match id {
            Some(id) => person::Entity::find_by_id(id)
                .one(db)
                .await?
                .map(|p| p.login),
            None => None,
        })
    }

    pub(crate) async fn bank_code(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        id: i64,
    ) -> Result<BankCode> {
        let b = bank::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or_else(|| StoreError::corrupt("bank of a token or person"))?;
        BankCode::parse(&b.code).map_err(StoreError::corrupt)
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
