//! Consents (授权) of an enterprise to show its contact to banks: recorded with their evidence
//! by the office or the enterprise's park, withdrawn at once.

use crate::AppState;
use crate::auth::Auth;
use crate::check::{parse_id, read_key};
use crate::error::{ApiError, ApiResult, ReadErrors, WriteErrors};
use crate::extract::ApiJson;
use crate::shape;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use pledge_domain::{BankCode, Uscc};
use pledge_service::{ConsentRecord, NewConsent};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_consents, record_consent))
        .routes(routes!(withdraw_consent))
}

/// A consent to record.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ConsentInput {
    /// The bank it is for; absent: every bank.
    #[schema(value_type = Option<shape::Code>, inline)]
    #[validate(custom(function = shape::code))]
    bank: Option<String>,
    /// The first day it is in force.
    valid_from: NaiveDate,
    /// The last day (absent: until withdrawn).
    valid_until: Option<NaiveDate>,
    /// The signed form's reference (授权书编号).
    #[schema(example = "HQ-SQ-2026-0137", value_type = shape::Reference, inline)]
    #[validate(custom(function = shape::reference))]
    evidence_reference: String,
    /// The day the form was signed (not after today).
    evidence_date: NaiveDate,
}

/// A consent as recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentView {
    id: i64,
    uscc: String,
    /// Absent: every bank.
    bank: Option<String>,
    valid_from: NaiveDate,
    valid_until: Option<NaiveDate>,
    /// Absent only for a ledger's flag from before consents were recorded one by one.
    evidence_reference: Option<String>,
    evidence_date: Option<NaiveDate>,
    recorded_by: String,
    created_at: DateTime<Utc>,
    /// When it was withdrawn (from then on it opens nothing).
    withdrawn_at: Option<DateTime<Utc>>,
    withdrawn_by: Option<String>,
}

impl From<ConsentRecord> for ConsentView {
    fn from(c: ConsentRecord) -> Self {
        Self {
            id: c.id,
            uscc: c.uscc.to_string(),
            bank: c.bank.map(|b| b.to_string()),
            valid_from: c.valid_from,
            valid_until: c.valid_until,
            evidence_reference: c.evidence_reference,
            evidence_date: c.evidence_date,
            recorded_by: c.recorded_by,
            created_at: c.created_at,
            withdrawn_at: c.withdrawn_at,
            withdrawn_by: c.withdrawn_by,
        }
    }
}

fn uscc(raw: &str) -> ApiResult<Uscc> {
    read_key(Uscc::parse(raw).map_err(|e| ApiError::field("uscc", e)))
}

/// Every consent of an enterprise, withdrawn ones too (the office, and its park).
#[utoipa::path(get, path = "/api/v1/enterprises/{uscc}/consents", tag = "registry", security(("bearer" = [])), params(("uscc" = String, Path, pattern = "^[0-9A-Za-z]{18}$", description = "统一社会信用代码")), responses((status = 200, body = [ConsentView]), ReadErrors))]
async fn list_consents(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(raw): Path<String>,
) -> ApiResult<Json<Vec<ConsentView>>> {
    let uscc = uscc(&raw)?;
    let all = s.service.consents(&cx, &uscc).await?;
    Ok(Json(all.into_iter().map(ConsentView::from).collect()))
}

/// Records an enterprise's consent for one bank or every bank (the office, or its park): from
/// then on that bank sees the contact unmasked within the period, each read audited.
#[utoipa::path(post, path = "/api/v1/enterprises/{uscc}/consents", tag = "registry", security(("bearer" = [])), params(("uscc" = String, Path, pattern = "^[0-9A-Za-z]{18}$", description = "统一社会信用代码")), request_body = ConsentInput, responses((status = 201, body = ConsentView), WriteErrors))]
async fn record_consent(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(raw): Path<String>,
    ApiJson(input): ApiJson<ConsentInput>,
) -> ApiResult<(StatusCode, Json<ConsentView>)> {
    cx.write_scope()?;
    let uscc = uscc(&raw)?;
    let bank = input
        .bank
        .as_deref()
        .map(BankCode::parse)
        .transpose()
        .map_err(|e| ApiError::field("bank", e))?;
    let c = NewConsent {
        bank,
        valid_from: input.valid_from,
        valid_until: input.valid_until,
        evidence_reference: input.evidence_reference,
        evidence_date: input.evidence_date,
    };
    let recorded = s.service.record_consent(&cx, &uscc, c).await?;
    Ok((StatusCode::CREATED, Json(recorded.into())))
}

/// Withdraws a consent at once (the office, or the enterprise's park); again: as it stands.
#[utoipa::path(delete, path = "/api/v1/enterprises/{uscc}/consents/{id}", tag = "registry", security(("bearer" = [])), params(("uscc" = String, Path, pattern = "^[0-9A-Za-z]{18}$", description = "统一社会信用代码"), ("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64)), responses((status = 200, body = ConsentView), WriteErrors))]
async fn withdraw_consent(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path((raw, id)): Path<(String, String)>,
) -> ApiResult<Json<ConsentView>> {
    cx.write_scope()?;
    let uscc = uscc(&raw)?;
    let id = parse_id("id", &id)?;
    let withdrawn = s.service.withdraw_consent(&cx, &uscc, id, None).await?;
    Ok(Json(withdrawn.into()))
}
