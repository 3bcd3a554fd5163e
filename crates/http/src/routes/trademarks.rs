//! Trademarks (商标) and their appraisals.

use crate::AppState;
use crate::auth::Auth;
use crate::check::read_key;
use crate::check::{Check, paging};
use crate::error::{ApiError, ApiResult, ReadErrors, WriteErrors};
use crate::extract::{ApiJson, ApiQuery};
use crate::routes::Paged;
use crate::routes::patents::{AppraisalInput, AppraisalView, PledgeDto};
use crate::shape;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use pledge_domain::code;
use pledge_domain::{NiceClass, Text, Trademark, TrademarkRegistrationNumber, Uscc};
use pledge_service::{Upserted, Versioned};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_trademark, put_trademark))
        .routes(routes!(add_trademark_appraisal))
        .routes(routes!(list_trademarks))
}

/// A trademark registration as written; number and class are the path.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct TrademarkInput {
    /// 注册人: the USCC of a registered enterprise.
    #[schema(value_type = shape::Uscc, inline)]
    #[validate(custom(function = shape::uscc))]
    pub owner: String,
    #[schema(example = "华锐", value_type = shape::Label, inline)]
    #[validate(custom(function = shape::label))]
    pub name: String,
    pub registered_on: NaiveDate,
    /// End of the current 10-year period (renewals move it on).
    pub valid_until: NaiveDate,
    #[validate(nested)]
    pub pledge: Option<PledgeDto>,
    /// The version read; required to replace.
    #[schema(minimum = 0, maximum = 9_007_199_254_740_991_i64)]
    #[validate(range(min = 0, max = 9_007_199_254_740_991_i64))]
    pub version: Option<i64>,
}

/// A trademark registration.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrademarkView {
    pub registration_number: String,
    pub nice_class: u8,
    pub owner: String,
    pub name: String,
    pub registered_on: NaiveDate,
    pub valid_until: NaiveDate,
    /// Registered and not lapsed today.
    pub valid: bool,
    pub pledge: Option<PledgeDto>,
    pub appraisals: Vec<AppraisalView>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TrademarkView {
    /// The registration as it stands on `today`.
    fn new(rec: Versioned<Trademark>, today: NaiveDate) -> Self {
        let t = rec.value;
        Self {
            registration_number: t.registration_number.to_string(),
            nice_class: t.nice_class.get(),
            owner: t.owner.to_string(),
            name: t.name.to_string(),
            registered_on: t.registered_on,
            valid_until: t.valid_until,
            valid: t.is_valid(today),
            pledge: t.pledge.as_ref().map(PledgeDto::from_domain),
            appraisals: t
                .appraisals
                .iter()
                .map(AppraisalView::from_domain)
                .collect(),
            version: rec.version,
            created_at: rec.created_at,
            updated_at: rec.updated_at,
        }
    }
}

fn parse_key(number: &str, class: &str) -> ApiResult<(TrademarkRegistrationNumber, NiceClass)> {
    let mut c = Check::default();
    let n = c.field(
        "registration_number",
        TrademarkRegistrationNumber::parse(number),
    );
    let class = c.field(
        code::NICE_CLASS,
        class
            .trim()
            .parse::<i64>()
            .map_err(|_| pledge_domain::DomainError::NiceClass { found: 0 })
            .and_then(NiceClass::new),
    );
    let (Some(n), Some(class)) = (n, class) else {
        return Err(c.fail());
    };
    Ok((n, class))
}

/// One trademark registration (admin, or the owner's park).
#[utoipa::path(get, path = "/api/v1/trademarks/{number}/{class}", tag = "ip", security(("bearer" = [])), params(("number" = String, Path, max_length = 64, description = "注册号"), ("class" = u8, Path, minimum = 1, maximum = 45, description = "尼斯分类 1–45")), responses((status = 200, body = TrademarkView), ReadErrors))]
async fn get_trademark(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path((number, class)): Path<(String, String)>,
) -> ApiResult<Json<TrademarkView>> {
    let (number, class) = read_key(parse_key(&number, &class))?;
    let rec = s.service.trademark(&cx, number, class).await?;
    Ok(Json(TrademarkView::new(rec, cx.today())))
}

/// Creates or replaces a trademark registration (replacing needs the `version` read).
#[utoipa::path(put, path = "/api/v1/trademarks/{number}/{class}", tag = "ip", security(("bearer" = [])), params(("number" = String, Path, max_length = 64), ("class" = u8, Path, minimum = 1, maximum = 45)), request_body = TrademarkInput, responses((status = 201, body = TrademarkView, description = "created"), (status = 200, body = TrademarkView, description = "replaced or unchanged"), WriteErrors))]
async fn put_trademark(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path((number, class)): Path<(String, String)>,
    ApiJson(input): ApiJson<TrademarkInput>,
) -> ApiResult<(StatusCode, Json<TrademarkView>)> {
    cx.write_scope()?;
    let (registration_number, nice_class) = parse_key(&number, &class)?;
    let mut c = Check::default();
    let owner = c.field("owner", Uscc::parse(&input.owner));
    let name = c.field("name", Text::parse(&input.name, 1, 100));
    let (Some(owner), Some(name)) = (owner, name) else {
        return Err(c.fail());
    };
    let t = Trademark {
        registration_number,
        nice_class,
        name,
        owner,
        registered_on: input.registered_on,
        valid_until: input.valid_until,
        pledge: input.pledge.as_ref().map(PledgeDto::to_domain),
        appraisals: vec![],
    };
    c.violations(t.violations(cx.today()));
    c.finish()?;
    let (rec, what) = s.service.put_trademark(&cx, t, input.version).await?;
    let status = if what == Upserted::Created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(TrademarkView::new(rec, cx.today()))))
}

/// Adds an appraisal to a trademark registration.
#[utoipa::path(post, path = "/api/v1/trademarks/{number}/{class}/appraisals", tag = "ip", security(("bearer" = [])), params(("number" = String, Path, max_length = 64), ("class" = u8, Path, minimum = 1, maximum = 45)), request_body = AppraisalInput, responses((status = 201, body = AppraisalView), WriteErrors))]
async fn add_trademark_appraisal(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path((number, class)): Path<(String, String)>,
    ApiJson(input): ApiJson<AppraisalInput>,
) -> ApiResult<(StatusCode, Json<AppraisalView>)> {
    cx.write_scope()?;
    let (number, class) = parse_key(&number, &class)?;
    let a = input.to_domain()?;
    let rec = s
        .service
        .add_trademark_appraisal(&cx, number, class, a)
        .await?;
    Ok((StatusCode::CREATED, Json(rec.into())))
}

/// Paging.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<shape::Id>, inline)]
    #[validate(custom(function = shape::id))]
    after: Option<String>,
    /// Page size (default 50).
    #[param(value_type = Option<shape::PageSize>, inline)]
    #[validate(custom(function = shape::page_size))]
    limit: Option<String>,
}

/// The trademarks of an enterprise (admin, or its park).
#[utoipa::path(get, path = "/api/v1/enterprises/{uscc}/trademarks", tag = "ip", security(("bearer" = [])), params(("uscc" = String, Path, pattern = "^[0-9A-Za-z]{18}$"), PageQuery), responses((status = 200, body = Paged<TrademarkView>), ReadErrors))]
async fn list_trademarks(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(uscc): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<TrademarkView>>> {
    let (after, limit) = paging(q.after.as_deref(), q.limit.as_deref())?;
    let uscc = read_key(Uscc::parse(&uscc).map_err(|e| ApiError::field("uscc", e)))?;
    let page = s.service.trademarks_of(&cx, &uscc, after, limit).await?;
    Ok(Json(Paged::from_page(page, |t| {
        TrademarkView::new(t, cx.today())
    })))
}
