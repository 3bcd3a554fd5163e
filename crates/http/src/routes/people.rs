//! People (accounts): the office creates them and disables them; tokens belong to them.

use crate::AppState;
use crate::auth::Auth;
use crate::check::Check;
use crate::error::{ApiResult, ReadErrors, WriteErrors};
use crate::extract::ApiJson;
use crate::shape;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use pledge_domain::{BankCode, ParkCode};
use pledge_service::{PersonRecord, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_people, create_person))
        .routes(routes!(disable_person))
}

/// A person to create.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    /// 2 to 64 of `a-z 0-9 . _ -`.
    #[schema(example = "zhang.kz", value_type = shape::Login, inline)]
    #[validate(custom(function = shape::login))]
    login: String,
    /// The name shown.
    #[schema(example = "张科长", value_type = shape::Label, inline)]
    #[validate(custom(function = shape::label))]
    name: String,
    /// `admin`, `park` or `bank`.
    #[schema(example = "park", value_type = shape::Role, inline)]
    #[validate(custom(function = shape::role))]
    role: String,
    /// The park of a park official.
    #[schema(value_type = Option<shape::Code>, inline)]
    #[validate(custom(function = shape::code))]
    park: Option<String>,
    /// The bank of a bank officer.
    #[schema(value_type = Option<shape::Code>, inline)]
    #[validate(custom(function = shape::code))]
    bank: Option<String>,
}

/// A person as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonView {
    id: i64,
    login: String,
    name: String,
    role: String,
    park: Option<String>,
    bank: Option<String>,
    /// The login of the person who created this one (none: the command line).
    created_by: Option<String>,
    disabled_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<PersonRecord> for PersonView {
    fn from(p: PersonRecord) -> Self {
        Self {
            id: p.id,
            login: p.login,
            name: p.name,
            role: p.role.as_str().into(),
            park: p.park.map(|c| c.to_string()),
            bank: p.bank.map(|c| c.to_string()),
            created_by: p.created_by,
            disabled_at: p.disabled_at,
            created_at: p.created_at,
        }
    }
}

/// Every person (admin).
#[utoipa::path(get, path = "/api/v1/people", tag = "access", security(("bearer" = [])), responses((status = 200, body = [PersonView]), ReadErrors))]
async fn list_people(
    State(s): State<AppState>,
    Auth(cx): Auth,
) -> ApiResult<Json<Vec<PersonView>>> {
    Ok(Json(
        s.service
            .people(&cx)
            .await?
            .into_iter()
            .map(PersonView::from)
            .collect(),
    ))
}

/// Creates a person (admin).
#[utoipa::path(post, path = "/api/v1/people", tag = "access", security(("bearer" = [])), request_body = PersonInput, responses((status = 201, body = PersonView), WriteErrors))]
async fn create_person(
    State(s): State<AppState>,
    Auth(cx): Auth,
    ApiJson(input): ApiJson<PersonInput>,
) -> ApiResult<(StatusCode, Json<PersonView>)> {
    cx.require_office()?;
    let mut c = Check::default();
    let role = c.field("role", Role::parse(&input.role));
    let park = c.optional("park", input.park.as_deref(), ParkCode::parse);
    let bank = c.optional("bank", input.bank.as_deref(), BankCode::parse);
    let (Some(role), Some(park), Some(bank)) = (role, park, bank) else {
        return Err(c.fail());
    };
    let person = s
        .service
        .create_person(
            &cx,
            &input.login,
            &input.name,
            role,
            park.as_ref(),
            bank.as_ref(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(person.into())))
}

/// Why a person is disabled.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct DisableInput {
    /// Kept in the audit log.
    #[serde(default)]
    #[schema(value_type = Option<shape::Reason>, inline)]
    #[validate(custom(function = shape::reason))]
    reason: Option<String>,
}

/// Disables a person (admin): every token of theirs stops working at once.
#[utoipa::path(post, path = "/api/v1/people/{login}/disable", tag = "access", security(("bearer" = [])), params(("login" = String, Path, pattern = "^[a-z0-9][a-z0-9._-]{1,63}$")), request_body = DisableInput, responses((status = 200, body = PersonView), WriteErrors))]
async fn disable_person(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(login): Path<String>,
    ApiJson(input): ApiJson<DisableInput>,
) -> ApiResult<Json<PersonView>> {
    let reason = match &input.reason {
        Some(r) => Some(
            pledge_domain::Text::parse(r, 1, 500)
                .map_err(|e| crate::error::ApiError::field("reason", e))?
                .to_string(),
        ),
        None => None,
    };
    Ok(Json(
        s.service.disable_person(&cx, &login, reason).await?.into(),
    ))
}
