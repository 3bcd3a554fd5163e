//! Loan products (贷款产品): a bank's own products, their rules, their life from draft to
//! withdrawn, and the preview of a draft against the live list.

use crate::AppState;
use crate::auth::Auth;
use crate::check::{Check, parse_id};
use crate::error::{ApiError, ApiResult, ReadErrors, WriteErrors};
use crate::extract::ApiJson;
use crate::shape;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use pledge_domain::{
    BankCode, BasisPoints, DomainError, LoanProduct, Money, ProductStatus, UsualTerms,
};
use pledge_service::{Context, PledgeRatesAsk, ProductAsk, ProductRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_products, create_product))
        .routes(routes!(get_product, update_product))
        .routes(routes!(publish_product))
        .routes(routes!(withdraw_product))
        .routes(routes!(preview_product))
        .routes(routes!(get_usual_terms, set_usual_terms))
}

fn yes() -> bool {
    true
}

/// 质押率 per IP kind, in basis points (2500 = 25%); absent = the kind is not accepted.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct PledgeRatesBody {
    #[schema(example = 2500, minimum = 1, maximum = 10_000)]
    #[validate(range(min = 1, max = 10_000))]
    invention: Option<i64>,
    #[schema(example = 1500, minimum = 1, maximum = 10_000)]
    #[validate(range(min = 1, max = 10_000))]
    utility_model: Option<i64>,
    #[schema(minimum = 1, maximum = 10_000)]
    #[validate(range(min = 1, max = 10_000))]
    design: Option<i64>,
    #[schema(example = 5000, minimum = 1, maximum = 10_000)]
    #[validate(range(min = 1, max = 10_000))]
    trademark: Option<i64>,
}

/// A loan product's rules, as sent to create, replace or preview one, and as answered.
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ProductBody {
    /// The owning bank's code: answered always; sent only by the admin (a bank creates its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<shape::Code>, inline)]
    #[validate(custom(function = shape::code))]
    bank: Option<String>,
    /// The version read, required to replace; answered with the current one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 9_007_199_254_740_991_i64)]
    #[validate(range(min = 0, max = 9_007_199_254_740_991_i64))]
    version: Option<i64>,
    #[schema(example = "知惠贷", value_type = shape::Name, inline)]
    #[validate(custom(function = shape::name))]
    name: String,
    #[serde(default)]
    #[schema(value_type = Option<shape::Description>, inline)]
    #[validate(custom(function = shape::description))]
    description: Option<String>,
    #[schema(example = 100_000_000, minimum = 1, maximum = 100_000_000_000_000_i64)]
    #[validate(range(min = 1, max = 100_000_000_000_000_i64))]
    amount_min_fen: i64,
    #[schema(
        example = 3_000_000_000i64,
        minimum = 1,
        maximum = 100_000_000_000_000_i64
    )]
    #[validate(range(min = 1, max = 100_000_000_000_000_i64))]
    amount_max_fen: i64,
    #[schema(example = 36, minimum = 1, maximum = 360)]
    #[validate(range(min = 1, max = 360))]
    max_term_months: i64,
    /// 利率上限: bp over the one-year LPR.
    #[schema(example = 80, minimum = 0, maximum = 10_000)]
    #[validate(range(min = 0, max = 10_000))]
    rate_cap_over_lpr_bp: i64,
    #[validate(nested)]
    pledge_rates_bp: PledgeRatesBody,
    /// Months of protection a patent must have left after the loan ends.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 360)]
    #[validate(range(min = 0, max = 360))]
    min_remaining_months: i64,
    /// Only IP never pledged before.
    #[serde(default)]
    no_prior_pledge: bool,
    /// Qualifications required, all of them (`high_tech`, `specialized`, …).
    #[serde(default)]
    #[schema(value_type = Vec<shape::Qualification>, inline, max_items = 50)]
    #[validate(length(max = 50), custom(function = shape::qualifications))]
    qualifications_all: Vec<String>,
    /// Qualifications of which one is required.
    #[serde(default)]
    #[schema(value_type = Vec<shape::Qualification>, inline, max_items = 50)]
    #[validate(length(max = 50), custom(function = shape::qualifications))]
    qualifications_any: Vec<String>,
    /// Risk flags that exclude (`dishonest_debtor`, …).
    #[serde(default)]
    #[schema(value_type = Vec<shape::RiskFlag>, inline, max_items = 50)]
    #[validate(length(max = 50), custom(function = shape::risk_flags))]
    excluded_risk_flags: Vec<String>,
    /// Region code prefixes, e.g. `4107`.
    #[serde(default)]
    #[schema(value_type = Vec<shape::RegionPrefix>, inline, max_items = 50)]
    #[validate(length(max = 50), custom(function = shape::region_prefixes))]
    region_prefixes: Vec<String>,
    /// Industry code prefixes (GB/T 4754), e.g. `C35`.
    #[serde(default)]
    #[schema(value_type = Vec<shape::Industry>, inline, max_items = 50)]
    #[validate(length(max = 50), custom(function = shape::industries))]
    industry_prefixes: Vec<String>,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 200)]
    #[validate(range(min = 0, max = 200))]
    min_years_in_operation: i64,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10_000)]
    #[validate(range(min = 0, max = 10_000))]
    min_valid_invention_patents: i64,
    /// The least share of the loan the pledged IP must cover, bp.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 10_000)]
    #[validate(range(min = 1, max = 10_000))]
    min_ip_share_bp: Option<i64>,
    /// Lends only to white-listed enterprises (default yes).
    #[serde(default = "yes")]
    whitelist_required: bool,
    /// 贴息, as shown to enterprises.
    #[serde(default)]
    #[schema(value_type = Option<shape::Note>, inline)]
    #[validate(custom(function = shape::note))]
    interest_subsidy: Option<String>,
    /// Terms outside the usual ranges (`GET /api/v1/products/usual-terms`) are meant: without
    /// it such a product is refused, naming each term with its unit.
    #[serde(default, skip_serializing)]
    confirm_unusual: bool,
    /// Covered by the risk-compensation pool (风险补偿资金池).
    #[serde(default)]
    risk_pool: bool,
    valid_from: NaiveDate,
    #[serde(default)]
    valid_until: Option<NaiveDate>,
}

impl ProductBody {
    /// The rules as typed, for the service to read.
    fn ask(&self) -> ProductAsk {
        let r = &self.pledge_rates_bp;
        ProductAsk {
            name: self.name.clone(),
            description: self.description.clone(),
            amount_min_fen: self.amount_min_fen,
            amount_max_fen: self.amount_max_fen,
            max_term_months: self.max_term_months,
            rate_cap_over_lpr_bp: self.rate_cap_over_lpr_bp,
            pledge_rates_bp: PledgeRatesAsk {
                invention: r.invention,
                utility_model: r.utility_model,
                design: r.design,
                trademark: r.trademark,
            },
            min_remaining_months: self.min_remaining_months,
            no_prior_pledge: self.no_prior_pledge,
            qualifications_all: self.qualifications_all.clone(),
            qualifications_any: self.qualifications_any.clone(),
            excluded_risk_flags: self.excluded_risk_flags.clone(),
            region_prefixes: self.region_prefixes.clone(),
            industry_prefixes: self.industry_prefixes.clone(),
            min_years_in_operation: self.min_years_in_operation,
            min_valid_invention_patents: self.min_valid_invention_patents,
            min_ip_share_bp: self.min_ip_share_bp,
            whitelist_required: self.whitelist_required,
            interest_subsidy: self.interest_subsidy.clone(),
            risk_pool: self.risk_pool,
            valid_from: self.valid_from,
            valid_until: self.valid_until,
        }
    }

    /// The domain product, or every invalid field.
    fn rules(&self) -> ApiResult<LoanProduct> {
        Ok(self.ask().rules()?)
    }

    fn of(bank: &BankCode, version: i64, p: &LoanProduct) -> Self {
        let codes = |xs: Vec<&'static str>| xs.into_iter().map(String::from).collect();
        let rate = |r: Option<BasisPoints>| r.map(|b| i64::from(b.get()));
        Self {
            bank: Some(bank.to_string()),
            version: Some(version),
            name: p.name.to_string(),
            description: p.description.clone(),
            amount_min_fen: p.amount_min.fen(),
            amount_max_fen: p.amount_max.fen(),
            max_term_months: i64::from(p.max_term_months),
            rate_cap_over_lpr_bp: i64::from(p.rate_cap_over_lpr.get()),
            pledge_rates_bp: PledgeRatesBody {
                invention: rate(p.pledge_rates.invention),
                utility_model: rate(p.pledge_rates.utility_model),
                design: rate(p.pledge_rates.design),
                trademark: rate(p.pledge_rates.trademark),
            },
            min_remaining_months: i64::from(p.min_remaining_months),
            no_prior_pledge: p.no_prior_pledge,
            qualifications_all: codes(p.qualifications_all.iter().map(|q| q.as_str()).collect()),
            qualifications_any: codes(p.qualifications_any.iter().map(|q| q.as_str()).collect()),
            excluded_risk_flags: codes(p.excluded_risk_flags.iter().map(|f| f.as_str()).collect()),
            region_prefixes: p.region_prefixes.clone(),
            industry_prefixes: p.industry_prefixes.clone(),
            min_years_in_operation: i64::from(p.min_years_in_operation),
            min_valid_invention_patents: i64::from(p.min_valid_invention_patents),
            min_ip_share_bp: p.min_ip_share.map(|b| i64::from(b.get())),
            whitelist_required: p.whitelist_required,
            interest_subsidy: p.interest_subsidy.clone(),
            confirm_unusual: false,
            risk_pool: p.risk_pool,
            valid_from: p.valid_from,
            valid_until: p.valid_until,
        }
    }
}

/// A stored loan product.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductView {
    id: i64,
    /// `draft`, `published` or `withdrawn`.
    status: String,
    published_on: Option<NaiveDate>,
    withdrawn_on: Option<NaiveDate>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    #[serde(flatten)]
    #[schema(schema_with = answered_rules)]
    rules: ProductBody,
}

/// The rules as a product answers them: the request's schema, open to the fields the answer
/// adds beside them (a request refuses fields it does not know; an answer has more).
fn answered_rules() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::{RefOr, schema::Schema};
    let mut schema = <ProductBody as utoipa::PartialSchema>::schema();
    if let RefOr::T(Schema::Object(object)) = &mut schema {
        object.additional_properties = None;
    }
    schema
}

impl From<ProductRecord> for ProductView {
    fn from(r: ProductRecord) -> Self {
        Self {
            id: r.id,
            status: r.status.as_str().into(),
            published_on: r.published_on,
            withdrawn_on: r.withdrawn_on,
            created_at: r.created_at,
            updated_at: r.updated_at,
            rules: ProductBody::of(&r.bank, r.version, &r.rules),
        }
    }
}

/// The product as the caller may see it: a bank only its own, a park official only published
/// ones; anything else is 404.
pub(crate) fn visible_product(s: &AppState, cx: &Context, raw: &str) -> ApiResult<ProductRecord> {
    let id = parse_id("id", raw)?;
    Ok(s.service.product(cx, id)?)
}

/// Products: a bank its own (every status), parks the published ones, the admin all.
#[utoipa::path(get, path = "/api/v1/products", tag = "products", security(("bearer" = [])), responses((status = 200, body = [ProductView]), ReadErrors))]
async fn list_products(
    State(s): State<AppState>,
    Auth(cx): Auth,
) -> ApiResult<Json<Vec<ProductView>>> {
    Ok(Json(
        s.service
            .products(&cx)
            .into_iter()
            .map(ProductView::from)
            .collect(),
    ))
}

/// Creates a draft product (a bank for itself; the admin names the bank).
#[utoipa::path(post, path = "/api/v1/products", tag = "products", security(("bearer" = [])), request_body = ProductBody, responses((status = 201, body = ProductView), WriteErrors))]
async fn create_product(
    State(s): State<AppState>,
    Auth(cx): Auth,
    ApiJson(body): ApiJson<ProductBody>,
) -> ApiResult<(StatusCode, Json<ProductView>)> {
    let bank = cx
        .managing_bank(body.bank.as_deref())?
        .ok_or_else(|| ApiError::field("bank", DomainError::Required { field: "bank" }))?;
    let rules = body.rules()?;
    let rec = s
        .service
        .create_product(&cx, Some(bank.as_str()), rules, body.confirm_unusual)
        .await?;
    Ok((StatusCode::CREATED, Json(rec.into())))
}

/// One product (a bank's own; published ones for parks).
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "products", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64)), responses((status = 200, body = ProductView), ReadErrors))]
async fn get_product(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ProductView>> {
    Ok(Json(visible_product(&s, &cx, &id)?.into()))
}

/// Replaces the rules of a draft or published product; send the `version` read.
#[utoipa::path(put, path = "/api/v1/products/{id}", tag = "products", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64)), request_body = ProductBody, responses((status = 200, body = ProductView), WriteErrors))]
async fn update_product(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ProductBody>,
) -> ApiResult<Json<ProductView>> {
    let id = parse_id("id", &id)?;
    cx.managing_bank(None)?;
    let version = body
        .version
        .ok_or_else(|| ApiError::field("version", DomainError::Required { field: "version" }))?;
    let rules = body.rules()?;
    let rec = s
        .service
        .update_product(&cx, id, version, rules, body.confirm_unusual)
        .await?;
    Ok(Json(rec.into()))
}

/// A status change.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// The version read.
    #[schema(minimum = 0, maximum = 9_007_199_254_740_991_i64)]
    #[validate(range(min = 0, max = 9_007_199_254_740_991_i64))]
    version: i64,
    /// Why (kept in the audit log).
    #[serde(default)]
    #[schema(value_type = Option<shape::Reason>, inline)]
    #[validate(custom(function = shape::reason))]
    reason: Option<String>,
}

async fn move_product(
    s: &AppState,
    cx: &Context,
    raw: &str,
    body: StatusBody,
    status: ProductStatus,
) -> ApiResult<Json<ProductView>> {
    let id = parse_id("id", raw)?;
    let reason = match &body.reason {
        Some(r) => Some(
            pledge_domain::Text::parse(r, 1, 500)
                .map_err(|e| ApiError::field("reason", e))?
                .to_string(),
        ),
        None => None,
    };
    let rec = s
        .service
        .set_product_status(cx, id, body.version, status, reason)
        .await?;
    Ok(Json(rec.into()))
}

/// Publishes a draft: it starts matching and enterprises see it.
#[utoipa::path(post, path = "/api/v1/products/{id}/publish", tag = "products", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64)), request_body = StatusBody, responses((status = 200, body = ProductView), WriteErrors))]
async fn publish_product(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<StatusBody>,
) -> ApiResult<Json<ProductView>> {
    move_product(&s, &cx, &id, body, ProductStatus::Published).await
}

/// Withdraws a published product: it matches nobody from now on; it stays on record.
#[utoipa::path(post, path = "/api/v1/products/{id}/withdraw", tag = "products", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64)), request_body = StatusBody, responses((status = 200, body = ProductView), WriteErrors))]
async fn withdraw_product(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<StatusBody>,
) -> ApiResult<Json<ProductView>> {
    move_product(&s, &cx, &id, body, ProductStatus::Withdrawn).await
}

/// Eligible enterprises of one park.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParkCount {
    park: String,
    eligible: u32,
}

/// What a draft would match today, without saving it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewView {
    as_of: NaiveDate,
    eligible: u32,
    /// Σ estimated credit lines of the eligible enterprises.
    credit_lines_fen: i64,
    by_park: Vec<ParkCount>,
}

/// Evaluates draft rules against the live list without saving (banks count white-listed
/// enterprises only).
#[utoipa::path(post, path = "/api/v1/products/preview", tag = "products", security(("bearer" = [])), request_body = ProductBody, responses((status = 200, body = PreviewView), WriteErrors))]
async fn preview_product(
    State(s): State<AppState>,
    Auth(cx): Auth,
    ApiJson(body): ApiJson<ProductBody>,
) -> ApiResult<Json<PreviewView>> {
    cx.managing_bank(None)?;
    let rules = body.rules()?;
    let (p, as_of) = s.service.preview(&cx, &rules, body.confirm_unusual).await?;
    Ok(Json(PreviewView {
        as_of,
        eligible: p.eligible,
        credit_lines_fen: p.credit_lines.fen(),
        by_park: p
            .by_park
            .into_iter()
            .map(|(park, eligible)| ParkCount {
                park: park.to_string(),
                eligible,
            })
            .collect(),
    }))
}

/// The ranges a product's terms usually lie in: a product outside them is refused unless it
/// says `confirm_unusual: true` (a slip of unit, 元 for 万元 or bp for %, is caught so).
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct UsualTermsBody {
    #[schema(example = 10_000_000, minimum = 1, maximum = 100_000_000_000_000_i64)]
    #[validate(range(min = 1, max = 100_000_000_000_000_i64))]
    amount_min_fen: i64,
    #[schema(
        example = 50_000_000_000_i64,
        minimum = 1,
        maximum = 100_000_000_000_000_i64
    )]
    #[validate(range(min = 1, max = 100_000_000_000_000_i64))]
    amount_max_fen: i64,
    #[schema(example = 1000, minimum = 1, maximum = 10_000)]
    #[validate(range(min = 1, max = 10_000))]
    pledge_rate_min_bp: i64,
    #[schema(example = 8000, minimum = 1, maximum = 10_000)]
    #[validate(range(min = 1, max = 10_000))]
    pledge_rate_max_bp: i64,
    #[schema(example = 3, minimum = 1, maximum = 360)]
    #[validate(range(min = 1, max = 360))]
    term_min_months: i64,
    #[schema(example = 60, minimum = 1, maximum = 360)]
    #[validate(range(min = 1, max = 360))]
    term_max_months: i64,
    /// The version read (0 for the defaults); answered with the current one.
    #[schema(minimum = 0, maximum = 9_007_199_254_740_991_i64)]
    #[validate(range(min = 0, max = 9_007_199_254_740_991_i64))]
    version: i64,
}

impl UsualTermsBody {
    fn from_domain(t: UsualTerms, version: i64) -> Self {
        Self {
            amount_min_fen: t.amount_min.fen(),
            amount_max_fen: t.amount_max.fen(),
            pledge_rate_min_bp: i64::from(t.pledge_rate_min),
            pledge_rate_max_bp: i64::from(t.pledge_rate_max),
            term_min_months: i64::from(t.term_min_months),
            term_max_months: i64::from(t.term_max_months),
            version,
        }
    }

    fn to_domain(&self) -> ApiResult<UsualTerms> {
        let mut c = Check::default();
        let amount_min = c.field("amount_min_fen", Money::from_fen(self.amount_min_fen));
        let amount_max = c.field("amount_max_fen", Money::from_fen(self.amount_max_fen));
        let rate_min = c.field(
            "pledge_rate_min_bp",
            BasisPoints::new(self.pledge_rate_min_bp),
        );
        let rate_max = c.field(
            "pledge_rate_max_bp",
            BasisPoints::new(self.pledge_rate_max_bp),
        );
        let term =
            |v: i64| u16::try_from(v).map_err(|_| DomainError::OutOfRange { min: 1, max: 360 });
        let term_min = c.field("term_min_months", term(self.term_min_months));
        let term_max = c.field("term_max_months", term(self.term_max_months));
        match (
            amount_min, amount_max, rate_min, rate_max, term_min, term_max,
        ) {
            (
                Some(amount_min),
                Some(amount_max),
                Some(pledge_rate_min),
                Some(pledge_rate_max),
                Some(term_min_months),
                Some(term_max_months),
            ) => Ok(UsualTerms {
                amount_min,
                amount_max,
                pledge_rate_min,
                pledge_rate_max,
                term_min_months,
                term_max_months,
            }),
            _ => Err(c.fail()),
        }
    }
}

/// The usual ranges of a product's terms (everyone who may see products).
#[utoipa::path(get, path = "/api/v1/products/usual-terms", tag = "products", security(("bearer" = [])), responses((status = 200, body = UsualTermsBody), ReadErrors))]
async fn get_usual_terms(
    State(s): State<AppState>,
    _auth: Auth,
) -> ApiResult<Json<UsualTermsBody>> {
    let (terms, version) = s.service.usual_terms().await?;
    Ok(Json(UsualTermsBody::from_domain(terms, version)))
}

/// Changes the usual ranges (the office), with the version read.
#[utoipa::path(put, path = "/api/v1/products/usual-terms", tag = "products", security(("bearer" = [])), request_body = UsualTermsBody, responses((status = 200, body = UsualTermsBody), WriteErrors))]
async fn set_usual_terms(
    State(s): State<AppState>,
    Auth(cx): Auth,
    ApiJson(body): ApiJson<UsualTermsBody>,
) -> ApiResult<Json<UsualTermsBody>> {
    let terms = body.to_domain()?;
    let (terms, version) = s.service.set_usual_terms(&cx, terms, body.version).await?;
    Ok(Json(UsualTermsBody::from_domain(terms, version)))
}
