//! Matchmaking rounds (周对接, 政银企对接会): kept by the office, read by those taking part.

use crate::AppState;
use crate::auth::Auth;
use crate::check::{Check, parse_id};
use crate::error::{ApiResult, ReadErrors, WriteErrors};
use crate::extract::ApiJson;
use crate::shape;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use pledge_domain::{BankCode, ParkCode, RoundKind, Text, Uscc};
use pledge_service::{NewRound, RoundRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_rounds, create_round))
        .routes(routes!(get_round))
}

/// A round to keep.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct RoundInput {
    #[schema(example = "2026年第48周知识产权质押融资周对接", value_type = shape::Name, inline)]
    #[validate(custom(function = shape::name))]
    name: String,
    /// `weekly` (周对接), `conference` (政银企对接会) or `other`.
    #[schema(value_type = shape::RoundKind, inline)]
    #[validate(custom(function = shape::round_kind))]
    kind: String,
    /// The day it is held (within a year of today).
    held_on: NaiveDate,
    /// The banks taking part (codes).
    #[serde(default)]
    #[schema(value_type = Vec<shape::Code>, inline, max_items = 100)]
    #[validate(length(max = 100), custom(function = shape::codes))]
    banks: Vec<String>,
    /// The products on offer (ids), of those banks.
    #[serde(default)]
    #[schema(value_type = Vec<shape::RecordId>, inline, max_items = 200)]
    #[validate(length(max = 200), custom(function = shape::record_ids))]
    products: Vec<i64>,
    /// The parks invited (codes).
    #[serde(default)]
    #[schema(value_type = Vec<shape::Code>, inline, max_items = 100)]
    #[validate(length(max = 100), custom(function = shape::codes))]
    parks: Vec<String>,
    /// The enterprises invited (USCCs).
    #[serde(default)]
    #[schema(value_type = Vec<shape::Uscc>, inline, max_items = 500)]
    #[validate(length(max = 500), custom(function = shape::usccs))]
    enterprises: Vec<String>,
}

/// A round as kept.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoundView {
    id: i64,
    name: String,
    kind: String,
    held_on: NaiveDate,
    banks: Vec<String>,
    products: Vec<i64>,
    parks: Vec<String>,
    enterprises: Vec<String>,
    created_by: String,
    created_at: DateTime<Utc>,
}

impl From<RoundRecord> for RoundView {
    fn from(r: RoundRecord) -> Self {
        let x = r.round;
        Self {
            id: r.id,
            name: x.name.to_string(),
            kind: x.kind.as_str().into(),
            held_on: x.held_on,
            banks: x.banks.iter().map(ToString::to_string).collect(),
            products: x.products,
            parks: x.parks.iter().map(ToString::to_string).collect(),
            enterprises: x.enterprises.iter().map(ToString::to_string).collect(),
            created_by: r.created_by,
            created_at: r.created_at,
        }
    }
}

/// The rounds the caller may see, latest first: the office all, a bank those it takes part
/// in, a park official those that invite their park or one of its enterprises.
#[utoipa::path(get, path = "/api/v1/rounds", tag = "whitelist", security(("bearer" = [])), responses((status = 200, body = [RoundView]), ReadErrors))]
async fn list_rounds(State(s): State<AppState>, Auth(cx): Auth) -> ApiResult<Json<Vec<RoundView>>> {
    let all = s.service.rounds(&cx).await?;
    Ok(Json(all.into_iter().map(RoundView::from).collect()))
}

/// Keeps a round (the office); outcomes may name it.
#[utoipa::path(post, path = "/api/v1/rounds", tag = "whitelist", security(("bearer" = [])), request_body = RoundInput, responses((status = 201, body = RoundView), WriteErrors))]
async fn create_round(
    State(s): State<AppState>,
    Auth(cx): Auth,
    ApiJson(input): ApiJson<RoundInput>,
) -> ApiResult<(StatusCode, Json<RoundView>)> {
    cx.require_office()?;
    let mut c = Check::default();
    let name = c.field("name", Text::parse(&input.name, 2, 100));
    let kind = c.field("kind", RoundKind::parse(&input.kind));
    let mut banks = Vec::new();
    for (i, b) in input.banks.iter().enumerate() {
        banks.extend(c.field(&format!("banks[{i}]"), BankCode::parse(b)));
    }
    let mut parks = Vec::new();
    for (i, p) in input.parks.iter().enumerate() {
        parks.extend(c.field(&format!("parks[{i}]"), ParkCode::parse(p)));
    }
    let mut enterprises = Vec::new();
    for (i, u) in input.enterprises.iter().enumerate() {
        enterprises.extend(c.field(&format!("enterprises[{i}]"), Uscc::parse(u)));
    }
    let (Some(name), Some(kind)) = (name, kind) else {
        return Err(c.fail());
    };
    c.finish()?;
    let r = NewRound {
        name,
        kind,
        held_on: input.held_on,
        banks,
        products: input.products,
        parks,
        enterprises,
    };
    let kept = s.service.create_round(&cx, r).await?;
    Ok((StatusCode::CREATED, Json(kept.into())))
}

/// One round the caller may see (any other is 404).
#[utoipa::path(get, path = "/api/v1/rounds/{id}", tag = "whitelist", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64)), responses((status = 200, body = RoundView), ReadErrors))]
async fn get_round(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<RoundView>> {
    let id = crate::check::read_key(parse_id("id", &id))?;
    Ok(Json(s.service.round(&cx, id).await?.into()))
}
