//! The console's sign-in: people's passwords (argon2id hashes, made and checked by the
//! service) and the sessions they open, stored by the keyed hash of their secret with the
//! token every form of the session carries.

use crate::audit::{self, Change};
use crate::entities::{person, session};
use crate::error::Result;
use crate::tokens::{keyed_hash, random_hex};
use crate::{Actor, Store};
use chrono::{DateTime, Utc};
use pledge_domain::Principal;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

/// A session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub person_id: i64,
    /// The token every form of the session carries (CSRF).
    pub csrf: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// A session just opened: the secret for the cookie (never stored) and the form token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionOpened {
    pub secret: String,
    pub csrf: String,
}

impl Store {
    /// Sets (or resets) an enabled person's password hash, with its audit record; `false` for
    /// an unknown or disabled login.
    pub async fn set_password_hash(
        &self,
        actor: &Actor,
        login: &str,
        hash: String,
    ) -> Result<bool> {
        let txn = self.write().await?;
        let Some(p) = person::Entity::find()
            .filter(person::Column::Login.eq(login))
            .filter(person::Column::DisabledAt.is_null())
            .one(&txn)
            .await?
        else {
            return Ok(false);
        };
        person::Entity::update(person::ActiveModel {
            id: Set(p.id),
            password_hash: Set(Some(hash)),
            version: Set(p.version + 1),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        // The record says that it changed, never what it is.
        let change = Change {
            entity: "person",
            key: login,
            action: "password",
            park_id: p.park_id,
            reason: None,
            before: None,
            after: None,
        };
        audit::record(&txn, actor, actor.now, change).await?;
        audit::commit(txn).await?;
        Ok(true)
    }

    /// An enabled person's id and password hash, if one is set.
    pub async fn password_hash(&self, login: &str) -> Result<Option<(i64, String)>> {
        Ok(person::Entity::find()
            .filter(person::Column::Login.eq(login))
            .filter(person::Column::DisabledAt.is_null())
            .one(&self.db)
            .await?
            .and_then(|p| p.password_hash.map(|h| (p.id, h))))
    }

    /// Records a failed sign-in (the login tried, as written).
    pub async fn record_failed_sign_in(&self, actor: &Actor, login: &str) -> Result<()> {
        let txn = self.write().await?;
        let change = Change {
            entity: "session",
            key: login,
            action: "sign_in_failed",
            park_id: None,
            reason: None,
            before: None,
            after: None,
        };
        audit::record(&txn, actor, actor.now, change).await?;
        audit::commit(txn).await
    }

    /// Opens a session for a person, with its audit record.
    pub async fn open_session(&self, actor: &Actor, person_id: i64) -> Result<SessionOpened> {
        let secret = format!("pls_{}", random_hex(32));
        let csrf = random_hex(32);
        let key = keyed_hash(&self.token_key().await?, &secret)?;
        let txn = self.write().await?;
        session::Entity::insert(session::ActiveModel {
            key_hash: Set(key),
            person_id: Set(person_id),
            csrf: Set(csrf.clone()),
            created_at: Set(actor.now),
            last_seen_at: Set(actor.now),
        })
        .exec(&txn)
        .await?;
        let change = Change {
            entity: "session",
            key: &actor.holder,
            action: "sign_in",
            park_id: None,
            reason: None,
            before: None,
            after: None,
        };
        audit::record(&txn, actor, actor.now, change).await?;
        audit::commit(txn).await?;
        Ok(SessionOpened { secret, csrf })
    }

    /// The session a secret opens, if it is stored.
    pub async fn session(&self, secret: &str) -> Result<Option<SessionRecord>> {
        if !secret.starts_with("pls_") || secret.len() > 100 {
            return Ok(None);
        }
        let key = keyed_hash(&self.token_key().await?, secret)?;
        Ok(session::Entity::find_by_id(key)
            .one(&self.db)
            .await?
            .map(|s| SessionRecord {
                person_id: s.person_id,
                csrf: s.csrf,
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
            }))
    }

    /// Marks a session seen at `now`.
    pub async fn touch_session(&self, secret: &str, now: DateTime<Utc>) -> Result<()> {
        let key = keyed_hash(&self.token_key().await?, secret)?;
        session::Entity::update_many()
            .col_expr(
                session::Column::LastSeenAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(session::Column::KeyHash.eq(key))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Ends a session (signing out, or expiry).
    pub async fn end_session(&self, secret: &str) -> Result<()> {
        let key = keyed_hash(&self.token_key().await?, secret)?;
        session::Entity::delete_by_id(key).exec(&self.db).await?;
        Ok(())
    }

    /// The principal a session stands for: its person, while enabled, with the person's role
    /// and scope.
    pub async fn person_principal(&self, person_id: i64) -> Result<Option<Principal>> {
        let Some(p) = person::Entity::find_by_id(person_id)
            .filter(person::Column::DisabledAt.is_null())
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let (role, park, bank) = self
            .role_scope(&self.db, &p.role, p.park_id, p.bank_id)
            .await?;
        Ok(Some(Principal {
            token_id: None,
            person_id: p.id,
            login: p.login,
            person_name: p.name.clone(),
            name: p.name,
            role,
            park: p.park_id.zip(park),
            bank: p.bank_id.zip(bank),
        }))
    }
}
