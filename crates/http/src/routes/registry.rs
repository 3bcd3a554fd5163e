//! Parks and banks.

use crate::AppState;
use crate::auth::Auth;
use crate::check::Check;
use crate::check::read_key;
use crate::error::{ApiError, ApiResult, ReadErrors, WriteErrors};
use crate::extract::ApiJson;
use crate::shape;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use pledge_domain::{BankCode, ParkCode, RegionCode, Text};
use pledge_service::{BankRecord, ParkRecord, Versioned};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_parks, create_park))
        .routes(routes!(get_park))
        .routes(routes!(list_banks, create_bank))
        .routes(routes!(get_bank))
}

/// A new park.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ParkInput {
    /// Short code, 2–32 letters, digits, `-`, `_` (e.g. `xxhtz`).
    #[schema(example = "xxhtz", value_type = shape::Code, inline)]
    #[validate(custom(function = shape::code))]
    code: String,
    #[schema(example = "新乡高新技术产业开发区", value_type = shape::Name, inline)]
    #[validate(custom(function = shape::name))]
    name: String,
    /// 行政区划代码.
    #[schema(example = "410702", value_type = shape::Region, inline)]
    #[validate(custom(function = shape::region))]
    region: String,
}

/// A park.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParkView {
    code: String,
    name: String,
    region: String,
    version: i64,
    created_at: DateTime<Utc>,
}

impl From<Versioned<ParkRecord>> for ParkView {
    fn from(p: Versioned<ParkRecord>) -> Self {
        Self {
            code: p.value.code.to_string(),
            name: p.value.name.to_string(),
            region: p.value.region.as_str().into(),
            version: p.version,
            created_at: p.created_at,
        }
    }
}

/// A new bank.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct BankInput {
    #[schema(example = "boc-xinxiang", value_type = shape::Code, inline)]
    #[validate(custom(function = shape::code))]
    code: String,
    #[schema(example = "中国银行新乡分行", value_type = shape::Name, inline)]
    #[validate(custom(function = shape::name))]
    name: String,
}

/// A bank.
#[derive(Debug, Serialize, ToSchema)]
pub struct BankView {
    code: String,
    name: String,
    version: i64,
    created_at: DateTime<Utc>,
}

impl From<Versioned<BankRecord>> for BankView {
    fn from(b: Versioned<BankRecord>) -> Self {
        Self {
            code: b.value.code.to_string(),
            name: b.value.name.to_string(),
            version: b.version,
            created_at: b.created_at,
        }
    }
}

/// Every park (any token).
#[utoipa::path(get, path = "/api/v1/parks", tag = "registry", security(("bearer" = [])), responses((status = 200, body = [ParkView]), ReadErrors))]
async fn list_parks(State(s): State<AppState>, Auth(cx): Auth) -> ApiResult<Json<Vec<ParkView>>> {
    Ok(Json(
        s.service
            .parks(&cx)
            .await?
            .into_iter()
            .map(ParkView::from)
            .collect(),
    ))
}

/// Creates a park (admin).
#[utoipa::path(post, path = "/api/v1/parks", tag = "registry", security(("bearer" = [])), request_body = ParkInput, responses((status = 201, body = ParkView), WriteErrors))]
async fn create_park(
    State(s): State<AppState>,
    Auth(cx): Auth,
    ApiJson(input): ApiJson<ParkInput>,
) -> ApiResult<(StatusCode, Json<ParkView>)> {
    cx.require_office()?;
    let mut c = Check::default();
    let code = c.field("code", ParkCode::parse(&input.code));
    let name = c.field("name", Text::parse(&input.name, 2, 100));
    let region = c.field("region", RegionCode::parse(&input.region));
    let (Some(code), Some(name), Some(region)) = (code, name, region) else {
        return Err(c.fail());
    };
    let rec = s
        .service
        .create_park(&cx, ParkRecord { code, name, region })
        .await?;
    Ok((StatusCode::CREATED, Json(rec.into())))
}

/// One park (any token).
#[utoipa::path(get, path = "/api/v1/parks/{code}", tag = "registry", security(("bearer" = [])), params(("code" = String, Path, pattern = "^[A-Za-z0-9_-]{2,32}$")), responses((status = 200, body = ParkView), ReadErrors))]
async fn get_park(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(code): Path<String>,
) -> ApiResult<Json<ParkView>> {
    let code = read_key(ParkCode::parse(&code).map_err(|e| ApiError::field("code", e)))?;
    let park = s.service.park(&cx, &code).await?;
    Ok(Json(park.into()))
}

/// Banks: all of them for the office and parks; a bank sees only itself.
#[utoipa::path(get, path = "/api/v1/banks", tag = "registry", security(("bearer" = [])), responses((status = 200, body = [BankView]), ReadErrors))]
async fn list_banks(State(s): State<AppState>, Auth(cx): Auth) -> ApiResult<Json<Vec<BankView>>> {
    let banks = s.service.banks(&cx).await?;
    Ok(Json(banks.into_iter().map(BankView::from).collect()))
}

/// Creates a bank (admin).
#[utoipa::path(post, path = "/api/v1/banks", tag = "registry", security(("bearer" = [])), request_body = BankInput, responses((status = 201, body = BankView), WriteErrors))]
async fn create_bank(
    State(s): State<AppState>,
    Auth(cx): Auth,
    ApiJson(input): ApiJson<BankInput>,
) -> ApiResult<(StatusCode, Json<BankView>)> {
    cx.require_office()?;
    let mut c = Check::default();
    let code = c.field("code", BankCode::parse(&input.code));
    let name = c.field("name", Text::parse(&input.name, 2, 100));
    let (Some(code), Some(name)) = (code, name) else {
        return Err(c.fail());
    };
    let rec = s
        .service
        .create_bank(&cx, BankRecord { code, name })
        .await?;
    Ok((StatusCode::CREATED, Json(rec.into())))
}

/// One bank; another bank is 404 to a bank token.
#[utoipa::path(get, path = "/api/v1/banks/{code}", tag = "registry", security(("bearer" = [])), params(("code" = String, Path, pattern = "^[A-Za-z0-9_-]{2,32}$")), responses((status = 200, body = BankView), ReadErrors))]
async fn get_bank(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(code): Path<String>,
) -> ApiResult<Json<BankView>> {
    let code = read_key(BankCode::parse(&code).map_err(|e| ApiError::field("code", e)))?;
    let bank = s.service.bank(&cx, &code).await?;
    Ok(Json(bank.into()))
}
