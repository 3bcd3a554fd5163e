//! Signing in to the console: a person's password (an argon2id hash), sessions that end after
//! 30 minutes idle or 12 hours in all, and the form token each session carries. API tokens stay
//! for machines.

use crate::error::{Result, ServiceError};
use crate::{Context, FieldError, Service};
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Duration, Utc};
use pledge_domain::Actor;
use pledge_domain::code;

/// A session ends after this long without a request.
pub const IDLE: Duration = Duration::minutes(30);
/// A session ends this long after it was opened, however busy.
pub const ABSOLUTE: Duration = Duration::hours(12);
/// How often a session's last use is written (not on every request).
const TOUCH_EVERY: Duration = Duration::minutes(1);

/// A signed-in session: the secret for the cookie and the token its forms carry.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub secret: String,
    pub csrf: String,
}

/// Compared against when the login is unknown, so that an unknown login costs as much time
/// as a wrong password (the answer does not tell which).
static NOBODY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    Argon2::default()
        .hash_password(b"nobody signs in with this")
        .map(|h| h.to_string())
        .unwrap_or_default()
});

fn invalid_password(message: &str) -> ServiceError {
    ServiceError::Invalid(vec![FieldError {
        field: "password".into(),
        code: code::TEXT_LENGTH.into(),
        message: message.into(),
    }])
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ServiceError::Internal(format!("password worker: {e}")))
}

impl Service {
    /// Sets or resets a person's password (the office, or the command line): 10 to 200
    /// characters, kept only as its argon2id hash.
    pub async fn set_password(&self, cx: &Context, login: &str, password: &str) -> Result<()> {
        cx.require_office()?;
        let n = password.chars().count();
        if !(10..=200).contains(&n) {
            return Err(invalid_password(
                "密码应为10至200个字符 / a password has 10 to 200 characters",
            ));
        }
        let password = password.to_owned();
        let hash = blocking(move || {
            Argon2::default()
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
        })
        .await?
        .map_err(|e| ServiceError::Internal(format!("hashing: {e}")))?;
        if self.store.set_password_hash(&cx.actor, login, hash).await? {
            Ok(())
        } else {
            Err(ServiceError::not_found(format!(
                "没有启用的用户{login} / no enabled person {login}"
            )))
        }
    }

    /// Signs a person in: a new session, or `Unauthorized` (recorded in the audit log) for an
    /// unknown login, a disabled person, a person without a password or a wrong password.
    pub async fn sign_in(
        &self,
        login: &str,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<SignedIn> {
        let found = self.store.password_hash(login).await?;
        let hash = found
            .as_ref()
            .map_or_else(|| NOBODY.clone(), |(_, h)| h.clone());
        let attempt = password.to_owned();
        let matches = blocking(move || {
            Argon2::default()
                .verify_password(attempt.as_bytes(), hash.as_str())
                .is_ok()
        })
        .await?;
        let principal = match found {
            Some((id, _)) if matches => self.store.person_principal(id).await?,
            _ => None,
        };
        let Some(principal) = principal else {
            let mut actor = Actor::cli("console", now);
            actor.label = "console:sign-in".into();
            actor.holder = login.chars().take(64).collect();
            self.store
                .record_failed_sign_in(&actor, &actor.holder.clone())
                .await?;
            return Err(ServiceError::Unauthorized);
        };
        let opened = self
            .store
            .open_session(&principal.actor(now), principal.person_id)
            .await?;
        Ok(SignedIn {
            secret: opened.secret,
            csrf: opened.csrf,
        })
    }

    /// The caller a session secret stands for, and its form token; `None` when the session
    /// is unknown, idle too long, too old, or its person disabled (then it is ended).
    pub async fn session_context(
        &self,
        secret: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(Context, String)>> {
        let Some(s) = self.store.session(secret).await? else {
            return Ok(None);
        };
        let principal = if now - s.last_seen_at > IDLE || now - s.created_at > ABSOLUTE {
            None
        } else {
            self.store.person_principal(s.person_id).await?
        };
        let Some(principal) = principal else {
            self.store.end_session(secret).await?;
            return Ok(None);
        };
        if now - s.last_seen_at > TOUCH_EVERY {
            self.store.touch_session(secret, now).await?;
        }
        Ok(Some((Context::new(principal, now), s.csrf)))
    }

    /// Ends a session.
    pub async fn sign_out(&self, secret: &str) -> Result<()> {
        Ok(self.store.end_session(secret).await?)
    }
}
