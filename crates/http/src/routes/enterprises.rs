//! Enterprises (企业).

use crate::AppState;
use crate::auth::Auth;
use crate::check::read_key;
use crate::check::{Check, paging};
use crate::error::{ApiError, ApiResult, ReadErrors, WriteErrors};
use crate::extract::{ApiJson, ApiQuery};
use crate::routes::Paged;
use crate::shape;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use pledge_domain::{
    Contact, DomainError, Enterprise, FinancingNeed, IndustryCode, Money, ParkCode, Qualification,
    QualificationKind, RegionCode, RiskFlag, RiskFlagKind, SizeClass, StrategicIndustry, Text,
    Uscc,
};
use pledge_service::{EnterpriseFilter, EnterpriseSeen};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_enterprises, create_enterprise))
        .routes(routes!(get_enterprise, update_enterprise))
}

/// A qualification (资质) with its validity end.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct QualificationDto {
    /// One of `high_tech`, `specialized`, `little_giant`, `tech_sme`, `national_ip_advantage`,
    /// `national_ip_demonstration`, `provincial_ip_advantage`, `ip_management_certified`
    /// (the Chinese names are accepted too).
    #[schema(example = "high_tech", value_type = shape::Qualification, inline)]
    #[validate(custom(function = shape::qualification))]
    pub kind: String,
    #[schema(value_type = Option<shape::Reference>, inline)]
    #[validate(custom(function = shape::reference))]
    pub certificate_number: Option<String>,
    /// The last day it holds; absent or null: not known (then it is not counted as held).
    #[serde(default)]
    pub valid_until: Option<NaiveDate>,
}

/// A risk flag (风险标记) and when it was recorded.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct RiskFlagDto {
    /// One of `dishonest_debtor`, `abnormal_operation`, `serious_violation`, `abnormal_patent_filing`.
    #[schema(example = "abnormal_operation", value_type = shape::RiskFlag, inline)]
    #[validate(custom(function = shape::risk_flag))]
    pub kind: String,
    pub recorded_on: NaiveDate,
}

/// The financing the enterprise says it needs.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct FinancingNeedDto {
    /// Amount in 分 (1/100 元).
    #[schema(example = 500000000, minimum = 0, maximum = 100_000_000_000_000_i64)]
    #[validate(range(min = 0, max = 100_000_000_000_000_i64))]
    pub amount_fen: i64,
    #[schema(example = 12, minimum = 1, maximum = 360)]
    #[validate(range(min = 1, max = 360))]
    pub term_months: i64,
}

/// The contact person (personal data).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ContactDto {
    #[schema(value_type = shape::ContactName, inline)]
    #[validate(custom(function = shape::contact_name))]
    pub name: String,
    #[schema(value_type = Option<shape::Phone>, inline)]
    #[validate(custom(function = shape::phone))]
    pub phone: Option<String>,
    #[schema(value_type = Option<shape::Email>, inline)]
    #[validate(custom(function = shape::email))]
    pub email: Option<String>,
}

/// The contact person as shown: in full, or masked (`王**`, `037****4567`, no e-mail).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactView {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// An enterprise as written: create (no `version`) or replace (with the `version` read).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct EnterpriseInput {
    /// 统一社会信用代码.
    #[schema(example = "91410700MA3X0001XX", value_type = shape::Uscc, inline)]
    #[validate(custom(function = shape::uscc))]
    pub uscc: String,
    #[schema(example = "新乡市华锐数控机床有限公司", value_type = shape::Name, inline)]
    #[validate(custom(function = shape::name))]
    pub name: String,
    /// 曾用名: names it carried before, by which patent data may still name it.
    #[serde(default)]
    #[schema(value_type = Vec<shape::Name>, inline, max_items = 50)]
    #[validate(length(max = 50), custom(function = shape::names))]
    pub former_names: Vec<String>,
    /// Park code.
    #[schema(example = "xxhtz", value_type = shape::Code, inline)]
    #[validate(custom(function = shape::code))]
    pub park: String,
    /// 行政区划代码, 6 digits.
    #[schema(example = "410702", value_type = shape::Region, inline)]
    #[validate(custom(function = shape::region))]
    pub region: String,
    /// GB/T 4754-2017 code.
    #[schema(example = "C3421", value_type = shape::Industry, inline)]
    #[validate(custom(function = shape::industry))]
    pub industry: String,
    /// 战略性新兴产业 area.
    #[schema(value_type = Option<shape::StrategicIndustry>, inline)]
    #[validate(custom(function = shape::strategic_industry))]
    pub strategic_industry: Option<String>,
    pub founded_on: NaiveDate,
    /// `micro`, `small`, `medium` or `large`.
    #[schema(example = "small", value_type = shape::Size, inline)]
    #[validate(custom(function = shape::size))]
    pub size: String,
    #[serde(default)]
    #[schema(max_items = 50)]
    #[validate(length(max = 50), nested)]
    pub qualifications: Vec<QualificationDto>,
    #[serde(default)]
    #[schema(max_items = 50)]
    #[validate(length(max = 50), nested)]
    pub risk_flags: Vec<RiskFlagDto>,
    #[validate(nested)]
    pub financing_need: Option<FinancingNeedDto>,
    #[validate(nested)]
    pub contact: Option<ContactDto>,
    /// Consent to show the contact to banks.
    #[serde(default)]
    pub contact_consent: bool,
    /// The version read; required to replace, absent to create.
    #[schema(minimum = 0, maximum = 9_007_199_254_740_991_i64)]
    #[validate(range(min = 0, max = 9_007_199_254_740_991_i64))]
    pub version: Option<i64>,
}

/// An enterprise.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnterpriseView {
    pub uscc: String,
    pub name: String,
    /// 曾用名.
    pub former_names: Vec<String>,
    pub park: String,
    pub region: String,
    pub industry: String,
    pub strategic_industry: Option<String>,
    pub founded_on: NaiveDate,
    pub size: String,
    pub qualifications: Vec<QualificationDto>,
    pub risk_flags: Vec<RiskFlagDto>,
    pub financing_need: Option<FinancingNeedDto>,
    /// In full to the office, the enterprise's own park, and a bank under a consent in force
    /// for it (each such read audited); otherwise masked (`张**`, `138****5678`, no e-mail).
    pub contact: Option<ContactView>,
    /// True when the contact shown is masked.
    pub contact_withheld: bool,
    /// The park ledger's note that the enterprise consented (what a bank sees is decided by
    /// the consents recorded under `/enterprises/{uscc}/consents`).
    pub contact_consent: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl EnterpriseView {
    /// The view of an enterprise as the caller reads it (its contact masked where withheld).
    fn new(seen: EnterpriseSeen) -> Self {
        let (rec, contact_withheld) = (seen.record, seen.contact_withheld);
        let e = rec.value;
        Self {
            uscc: e.uscc.to_string(),
            name: e.name.to_string(),
            former_names: e.former_names.clone(),
            park: e.park.to_string(),
            region: e.region.as_str().into(),
            industry: e.industry.as_str().into(),
            strategic_industry: e.strategic_industry.map(|s| s.as_str().into()),
            founded_on: e.founded_on,
            size: e.size.as_str().into(),
            qualifications: e
                .qualifications
                .iter()
                .map(|q| QualificationDto {
                    kind: q.kind.as_str().into(),
                    certificate_number: q.certificate_number.clone(),
                    valid_until: q.valid_until,
                })
                .collect(),
            risk_flags: e
                .risk_flags
                .iter()
                .map(|f| RiskFlagDto {
                    kind: f.kind.as_str().into(),
                    recorded_on: f.recorded_on,
                })
                .collect(),
            financing_need: e.financing_need.as_ref().map(|n| FinancingNeedDto {
                amount_fen: n.amount.fen(),
                term_months: i64::from(n.term_months),
            }),
            contact_withheld,
            contact: e.contact.map(|c| ContactView {
                name: c.name,
                phone: c.phone,
                email: c.email,
            }),
            contact_consent: e.contact_consent,
            version: rec.version,
            created_at: rec.created_at,
            updated_at: rec.updated_at,
        }
    }
}

/// Parses a request body into an enterprise, naming every invalid field.
fn parse_enterprise(input: EnterpriseInput, today: NaiveDate) -> ApiResult<Enterprise> {
    let mut c = Check::default();
    let uscc = c.field("uscc", Uscc::parse(&input.uscc));
    let name = c.field("name", Text::parse(&input.name, 2, 100));
    let park = c.field("park", ParkCode::parse(&input.park));
    let region = c.field("region", RegionCode::parse(&input.region));
    let industry = c.field("industry", IndustryCode::parse(&input.industry));
    let strategic = c.optional(
        "strategic_industry",
        input.strategic_industry.as_deref(),
        StrategicIndustry::parse,
    );
    let size = c.field("size", SizeClass::parse(&input.size));
    let mut qualifications = Vec::new();
    for (i, q) in input.qualifications.into_iter().enumerate() {
        if let Some(kind) = c.field(
            &format!("qualifications[{i}].kind"),
            QualificationKind::parse(&q.kind),
        ) {
            qualifications.push(Qualification {
                kind,
                certificate_number: q.certificate_number,
                valid_until: q.valid_until,
            });
        }
    }
    let mut risk_flags = Vec::new();
    for (i, f) in input.risk_flags.into_iter().enumerate() {
        if let Some(kind) = c.field(
            &format!("risk_flags[{i}].kind"),
            RiskFlagKind::parse(&f.kind),
        ) {
            risk_flags.push(RiskFlag {
                kind,
                recorded_on: f.recorded_on,
            });
        }
    }
    let need = c.optional("financing_need", input.financing_need, |n| {
        let term_months = u16::try_from(n.term_months)
            .map_err(|_| DomainError::OutOfRange { min: 1, max: 360 })?;
        Ok(FinancingNeed {
            amount: Money::from_fen(n.amount_fen)?,
            term_months,
        })
    });
    let (
        Some(uscc),
        Some(name),
        Some(park),
        Some(region),
        Some(industry),
        Some(strategic_industry),
        Some(size),
        Some(financing_need),
    ) = (uscc, name, park, region, industry, strategic, size, need)
    else {
        return Err(c.fail());
    };
    let e = Enterprise {
        uscc,
        name,
        former_names: input
            .former_names
            .iter()
            .map(|n| n.trim().to_owned())
            .collect(),
        park,
        region,
        industry,
        strategic_industry,
        founded_on: input.founded_on,
        size,
        qualifications,
        risk_flags,
        financing_need,
        contact: input.contact.map(|c| Contact {
            name: c.name.trim().into(),
            phone: c.phone,
            email: c.email,
        }),
        contact_consent: input.contact_consent,
    };
    c.violations(e.violations(today));
    c.finish()?;
    Ok(e)
}

/// Filters and paging of the listing.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct EnterpriseQuery {
    /// Park code (a park token sees only its own park).
    #[param(value_type = Option<shape::Code>, inline)]
    #[validate(custom(function = shape::code))]
    park: Option<String>,
    /// Region code prefix, e.g. `4107`.
    #[param(value_type = Option<shape::RegionPrefix>, inline)]
    #[validate(custom(function = shape::region_prefix))]
    region: Option<String>,
    /// Industry code prefix, e.g. `C35`.
    #[param(value_type = Option<shape::Industry>, inline)]
    #[validate(custom(function = shape::industry))]
    industry: Option<String>,
    /// Part of the name.
    #[param(value_type = Option<shape::Search>, inline)]
    #[validate(custom(function = shape::search))]
    q: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<shape::Id>, inline)]
    #[validate(custom(function = shape::id))]
    after: Option<String>,
    /// Page size (default 50).
    #[param(value_type = Option<shape::PageSize>, inline)]
    #[validate(custom(function = shape::page_size))]
    limit: Option<String>,
}

/// Lists enterprises (admin: all; park: its own).
#[utoipa::path(get, path = "/api/v1/enterprises", tag = "registry", security(("bearer" = [])), params(EnterpriseQuery), responses((status = 200, body = Paged<EnterpriseView>), ReadErrors))]
async fn list_enterprises(
    State(s): State<AppState>,
    Auth(cx): Auth,
    ApiQuery(q): ApiQuery<EnterpriseQuery>,
) -> ApiResult<Json<Paged<EnterpriseView>>> {
    cx.list_scope()?;
    let (after, limit) = paging(q.after.as_deref(), q.limit.as_deref())?;
    let mut c = Check::default();
    let park = c
        .optional("park", q.park.as_deref(), ParkCode::parse)
        .flatten();
    let region = q.region.filter(|r| !r.is_empty());
    if let Some(r) = &region
        && (r.len() > 6 || !r.bytes().all(|b| b.is_ascii_digit()))
    {
        c.push("region", DomainError::RegionCode);
    }
    c.finish()?;
    let filter = EnterpriseFilter {
        park,
        region_prefix: region,
        industry_prefix: q.industry.filter(|i| !i.is_empty()),
        name_contains: q.q.filter(|n| !n.is_empty()),
    };
    let page = s.service.enterprises(&cx, filter, after, limit).await?;
    Ok(Json(Paged::from_page(page, EnterpriseView::new)))
}

/// Registers an enterprise (admin, or the park it belongs to).
#[utoipa::path(post, path = "/api/v1/enterprises", tag = "registry", security(("bearer" = [])), request_body = EnterpriseInput, responses((status = 201, body = EnterpriseView), WriteErrors))]
async fn create_enterprise(
    State(s): State<AppState>,
    Auth(cx): Auth,
    ApiJson(input): ApiJson<EnterpriseInput>,
) -> ApiResult<(StatusCode, Json<EnterpriseView>)> {
    cx.write_scope()?;
    if input.version.is_some_and(|v| v != 0) {
        return Err(ApiError::field(
            "version",
            DomainError::NotAllowed { field: "version" },
        ));
    }
    let e = parse_enterprise(input, cx.today())?;
    let seen = s.service.create_enterprise(&cx, e).await?;
    Ok((StatusCode::CREATED, Json(EnterpriseView::new(seen))))
}

fn parse_uscc(raw: &str) -> ApiResult<Uscc> {
    Uscc::parse(raw).map_err(|e| ApiError::field("uscc", e))
}

/// One enterprise (admin, or its park).
#[utoipa::path(get, path = "/api/v1/enterprises/{uscc}", tag = "registry", security(("bearer" = [])), params(("uscc" = String, Path, pattern = "^[0-9A-Za-z]{18}$", description = "统一社会信用代码")), responses((status = 200, body = EnterpriseView), ReadErrors))]
async fn get_enterprise(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(uscc): Path<String>,
) -> ApiResult<Json<EnterpriseView>> {
    let uscc = read_key(parse_uscc(&uscc))?;
    Ok(Json(EnterpriseView::new(
        s.service.enterprise(&cx, &uscc).await?,
    )))
}

/// Replaces an enterprise; send the `version` you read (stale → 409). A park official cannot
/// move an enterprise to another park.
#[utoipa::path(put, path = "/api/v1/enterprises/{uscc}", tag = "registry", security(("bearer" = [])), params(("uscc" = String, Path, pattern = "^[0-9A-Za-z]{18}$", description = "统一社会信用代码")), request_body = EnterpriseInput, responses((status = 200, body = EnterpriseView), WriteErrors))]
async fn update_enterprise(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(uscc): Path<String>,
    ApiJson(input): ApiJson<EnterpriseInput>,
) -> ApiResult<Json<EnterpriseView>> {
    cx.write_scope()?;
    let uscc = parse_uscc(&uscc)?;
    let Some(version) = input.version else {
        return Err(ApiError::field(
            "version",
            DomainError::Required { field: "version" },
        ));
    };
    let e = parse_enterprise(input, cx.today())?;
    if e.uscc != uscc {
        return Err(ApiError::field(
            "uscc",
            DomainError::Format {
                what: "the USCC of the path",
            },
        ));
    }
    let seen = s.service.update_enterprise(&cx, e, version).await?;
    Ok(Json(EnterpriseView::new(seen)))
}
