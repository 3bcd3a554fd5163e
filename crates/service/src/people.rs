//! People and their tokens: who holds which role, for which park or bank.

use crate::error::Result;
use crate::{Context, Service};
use pledge_domain::{BankCode, ParkCode};
use pledge_store::{Role, TokenRecord};

impl Service {
    /// Every token (the office).
    pub async fn tokens(&self, cx: &Context) -> Result<Vec<TokenRecord>> {
        cx.require_admin()?;
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
        cx.require_admin()?;
        self.written(self.store.create_token(&cx.actor, name, role, park, bank))
            .await
    }

    /// Revokes a token (the office): it stops working on the next request.
    pub async fn revoke_token(&self, cx: &Context, id: i64) -> Result<TokenRecord> {
        cx.require_admin()?;
        self.written(self.store.revoke_token(&cx.actor, id)).await
    }
}
