//! Bearer tokens and what each role may see and change.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};
use pledge_domain::ParkCode;
use pledge_store::{Principal, Role};

/// The caller, authenticated by `Authorization: Bearer plg_…`.
#[derive(Debug, Clone)]
pub struct Auth(pub Principal);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or(ApiError::Unauthorized)?;
        let principal = state
            .store
            .authenticate(token)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        tracing::Span::current().record("actor", principal.token_id);
        Ok(Self(principal))
    }
}

impl Auth {
    /// Only the city IP office.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        match self.0.role {
            Role::Admin => Ok(()),
            _ => Err(ApiError::forbidden(
                "admin_only",
                "仅市知识产权局可操作 / only the city IP office (admin) may do this",
            )),
        }
    }

    /// The park a write is limited to: `None` for the admin (every park), the token's park
    /// for a park official; banks do not write the registry.
    pub fn write_scope(&self) -> Result<Option<&ParkCode>, ApiError> {
        match (&self.0.role, &self.0.park) {
            (Role::Admin, _) => Ok(None),
            (Role::Park, Some((_, code))) => Ok(Some(code)),
            _ => Err(ApiError::forbidden(
                "read_only_role",
                "银行不能修改企业登记信息 / a bank token cannot change the registry",
            )),
        }
    }

    /// Whether the caller may read the enterprises (and their IP) of `park`. Banks see no
    /// enterprise until the white list publishes them.
    pub fn read_enterprise(&self, park: &ParkCode) -> Result<(), ApiError> {
        match (&self.0.role, &self.0.park) {
            (Role::Admin, _) => Ok(()),
            (Role::Park, Some((_, own))) if own == park => Ok(()),
            (Role::Park, _) => Err(ApiError::forbidden(
                "out_of_scope",
                "该企业不属于您的园区 / this enterprise is outside your park",
            )),
            _ => Err(ApiError::forbidden(
                "not_published",
                "银行只能查看已发布白名单中的企业 / banks see only enterprises on a published white list",
            )),
        }
    }

    /// The park a listing of enterprises is limited to.
    pub fn list_scope(&self) -> Result<Option<&ParkCode>, ApiError> {
        match (&self.0.role, &self.0.park) {
            (Role::Admin, _) => Ok(None),
            (Role::Park, Some((_, own))) => Ok(Some(own)),
            _ => Err(ApiError::forbidden(
                "not_published",
                "银行只能查看已发布白名单中的企业 / banks see only enterprises on a published white list",
            )),
        }
    }

    /// Whether personal contact data of an enterprise of `park` may be shown: to the office
    /// and to the park that collected it; to a bank (which sees published enterprises only)
    /// when the enterprise consented.
    pub fn sees_contact(&self, park: &ParkCode, consent: bool) -> bool {
        match (&self.0.role, &self.0.park) {
            (Role::Admin, _) => true,
            (Role::Park, Some((_, own))) => own == park,
            (Role::Bank, _) => consent,
            _ => false,
        }
    }
}
