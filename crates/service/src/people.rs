//! People and their tokens: who holds which role, for which park or bank.

use crate::error::Result;
use crate::{Context, Service};
use pledge_domain::Role;
use pledge_domain::{BankCode, ParkCode};
use pledge_store::{PersonRecord, TokenRecord};

impl Service {
    /// Every token (the office).
    pub async fn tokens(&self, cx: &Context) -> Result<Vec<TokenRecord>> {
        cx.require_office()?;
        Ok(self.store.list_tokens().await?)
    }

    /// Issues a token to the person `name` (the office); the secret is answered once.
    pub async fn create_token(
        &self,
        cx: &Context,
        name: &str,
        role: Role,
        park: Option<&ParkCode>,
        bank: Option<&BankCode>,
    ) -> Result<(TokenRecord, String)> {
        cx.require_office()?;
        self.written(self.store.create_token(&cx.actor, name, role, park, bank))
            .await
    }

    /// Issues a token to the person `login` (the office); the secret is answered once.
    pub async fn create_person_token(
        &self,
        cx: &Context,
        login: &str,
        name: &str,
    ) -> Result<(TokenRecord, String)> {
        cx.require_office()?;
        self.written(self.store.create_person_token(&cx.actor, login, name))
            .await
    }

    /// Every person (the office).
    pub async fn people(&self, cx: &Context) -> Result<Vec<PersonRecord>> {
        cx.require_office()?;
        Ok(self.store.people().await?)
    }

    /// Creates a person (the office); they are created by the caller, which the four-eyes
    /// rule remembers.
    pub async fn create_person(
        &self,
        cx: &Context,
        login: &str,
        name: &str,
        role: Role,
        park: Option<&ParkCode>,
        bank: Option<&BankCode>,
    ) -> Result<PersonRecord> {
        cx.require_office()?;
        self.written(
            self.store
                .create_person(&cx.actor, login, name, role, park, bank),
        )
        .await
    }

    /// Disables a person (the office): their tokens stop working on the next request.
    pub async fn disable_person(
        &self,
        cx: &Context,
        login: &str,
        reason: Option<String>,
    ) -> Result<PersonRecord> {
        cx.require_office()?;
        self.written(self.store.disable_person(&cx.actor, login, reason))
            .await
    }

    /// Revokes a token (the office): it stops working on the next request.
    pub async fn revoke_token(&self, cx: &Context, id: i64) -> Result<TokenRecord> {
        cx.require_office()?;
        self.written(self.store.revoke_token(&cx.actor, id)).await
    }
}
