//! Access tokens (admin only) and the caller's own identity.

use crate::AppState;
use crate::auth::Auth;
use crate::check::Check;
use crate::error::{ApiError, ApiResult, ReadErrors, WriteErrors};
use crate::extract::ApiJson;
use crate::shape;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use pledge_domain::{BankCode, ParkCode};
use pledge_service::{Role, TokenRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(me))
}

/// A token to create: for a person (`person`, their login), or for a new person of `role`
/// (created by the caller).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct TokenInput {
    /// The login of the person it is for.
    #[schema(value_type = Option<shape::Login>, inline)]
    #[validate(custom(function = shape::login))]
    person: Option<String>,
    /// For a new person: `admin`, `park` or `bank`.
    #[schema(example = "park", value_type = Option<shape::Role>, inline)]
    #[validate(custom(function = shape::role))]
    role: Option<String>,
    /// The park of a `park` token.
    #[schema(value_type = Option<shape::Code>, inline)]
    #[validate(custom(function = shape::code))]
    park: Option<String>,
    /// The bank of a `bank` token.
    #[schema(value_type = Option<shape::Code>, inline)]
    #[validate(custom(function = shape::code))]
    bank: Option<String>,
    /// A label: who holds it.
    #[schema(example = "高新区 张科长", value_type = shape::Label, inline)]
    #[validate(custom(function = shape::label))]
    name: String,
}

/// A token as listed (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    id: i64,
    /// The login of the person holding it.
    person: String,
    name: String,
    role: String,
    park: Option<String>,
    bank: Option<String>,
    /// The start of the token, to recognise it.
    prefix: String,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<TokenRecord> for TokenView {
    fn from(t: TokenRecord) -> Self {
        Self {
            id: t.id,
            person: t.person,
            name: t.name,
            role: t.role.as_str().into(),
            park: t.park.map(|p| p.to_string()),
            bank: t.bank.map(|b| b.to_string()),
            prefix: t.prefix,
            created_at: t.created_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// A new token: `token` is shown this once and never again.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    token: String,
    #[serde(flatten)]
    record: TokenView,
}

/// Every token (admin).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "access", security(("bearer" = [])), responses((status = 200, body = [TokenView]), ReadErrors))]
async fn list_tokens(State(s): State<AppState>, Auth(cx): Auth) -> ApiResult<Json<Vec<TokenView>>> {
    Ok(Json(
        s.service
            .tokens(&cx)
            .await?
            .into_iter()
            .map(TokenView::from)
            .collect(),
    ))
}

/// Creates a token (admin). The secret is in the answer only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "access", security(("bearer" = [])), request_body = TokenInput, responses((status = 201, body = CreatedToken), WriteErrors))]
async fn create_token(
    State(s): State<AppState>,
    Auth(cx): Auth,
    ApiJson(input): ApiJson<TokenInput>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    cx.require_office()?;
    let (record, token) = match (&input.person, &input.role) {
        (Some(login), None) if input.park.is_none() && input.bank.is_none() => {
            s.service
                .create_person_token(&cx, login, &input.name)
                .await?
        }
        (Some(_), _) => {
            return Err(ApiError::field(
                "person",
                pledge_domain::DomainError::Format {
                    what: "a token for a person takes its role, park and bank from the person",
                },
            ));
        }
        (None, role) => {
            let mut c = Check::default();
            let role = c.field("role", Role::parse(role.as_deref().unwrap_or_default()));
            let park = c.optional("park", input.park.as_deref(), ParkCode::parse);
            let bank = c.optional("bank", input.bank.as_deref(), BankCode::parse);
            let (Some(role), Some(park), Some(bank)) = (role, park, bank) else {
                return Err(c.fail());
            };
            s.service
                .create_token(&cx, &input.name, role, park.as_ref(), bank.as_ref())
                .await?
        }
    };
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token,
            record: record.into(),
        }),
    ))
}

/// Revokes a token (admin); it stops working at once.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "access", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64)), responses((status = 200, body = TokenView), WriteErrors))]
async fn revoke_token(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<TokenView>> {
    cx.require_office()?;
    let id = id.parse::<i64>().map_err(|_| {
        ApiError::field(
            "id",
            pledge_domain::DomainError::Format { what: "token id" },
        )
    })?;
    Ok(Json(s.service.revoke_token(&cx, id).await?.into()))
}

/// Who the caller is.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The token used (null for a console session).
    #[schema(minimum = 1, maximum = 9_007_199_254_740_991_i64)]
    token_id: Option<i64>,
    /// The person: login and id.
    person: String,
    person_id: i64,
    /// The token's label.
    name: String,
    role: String,
    park: Option<String>,
    bank: Option<String>,
}

/// The caller's own token: role and scope.
#[utoipa::path(get, path = "/api/v1/me", tag = "access", security(("bearer" = [])), responses((status = 200, body = Me), ReadErrors))]
async fn me(Auth(cx): Auth) -> Json<Me> {
    let p = cx.principal;
    Json(Me {
        token_id: p.token_id,
        person: p.login,
        person_id: p.person_id,
        name: p.name,
        role: p.role.as_str().into(),
        park: p.park.map(|(_, c)| c.to_string()),
        bank: p.bank.map(|(_, c)| c.to_string()),
    })
}
