//! Patents and their appraisals.

use crate::AppState;
use crate::auth::Auth;
use crate::check::read_key;
use crate::check::{Check, date, paging};
use crate::error::{ApiError, ApiResult, ReadErrors, WriteErrors};
use crate::extract::{ApiJson, ApiQuery};
use crate::routes::Paged;
use crate::shape;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Months, NaiveDate, Utc};
use pledge_domain::{
    Appraisal, HighValueFacts, IpcClass, LegalStatus, Money, Patent, PatentApplicationNumber,
    PatentAward, PledgeRegistration, PublicationNumber, Text, Uscc,
};
use pledge_service::{AppraisalRecord, Upserted, Versioned};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_patent, put_patent))
        .routes(routes!(add_appraisal))
        .routes(routes!(list_patents))
}

/// A pledge registered with CNIPA (number and date), or one a ledger marks pledged without
/// giving its registration (both null): the IP is out of every bundle either way, and no
/// number or date is made up for the second.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct PledgeDto {
    /// CNIPA's registration number; null: not given.
    #[serde(default)]
    #[schema(value_type = Option<shape::Reference>, inline)]
    #[validate(custom(function = shape::reference))]
    pub registration_number: Option<String>,
    /// The day it was registered; null: not given.
    #[serde(default)]
    pub registered_on: Option<NaiveDate>,
    /// When released (注销), if it was.
    #[serde(default)]
    pub released_on: Option<NaiveDate>,
}

impl PledgeDto {
    pub fn to_domain(&self) -> PledgeRegistration {
        PledgeRegistration {
            registration_number: self.registration_number.clone(),
            registered_on: self.registered_on,
            released_on: self.released_on,
        }
    }

    pub fn from_domain(p: &PledgeRegistration) -> Self {
        Self {
            registration_number: p.registration_number.clone(),
            registered_on: p.registered_on,
            released_on: p.released_on,
        }
    }
}

/// An appraisal to add.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct AppraisalInput {
    /// Appraised value in 分.
    #[schema(example = 300000000, minimum = 1, maximum = 100_000_000_000_000_i64)]
    #[validate(range(min = 1, max = 100_000_000_000_000_i64))]
    pub amount_fen: i64,
    pub appraised_on: NaiveDate,
    pub valid_until: NaiveDate,
    #[schema(example = "河南中原资产评估有限公司", value_type = shape::Name, inline)]
    #[validate(custom(function = shape::name))]
    pub appraiser: String,
}

impl AppraisalInput {
    pub fn to_domain(&self) -> ApiResult<Appraisal> {
        let amount =
            Money::from_fen(self.amount_fen).map_err(|e| ApiError::field("amount_fen", e))?;
        Ok(Appraisal {
            amount,
            appraised_on: self.appraised_on,
            valid_until: self.valid_until,
            appraiser: self.appraiser.clone(),
        })
    }
}

/// An appraisal.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppraisalView {
    pub amount_fen: i64,
    pub appraised_on: NaiveDate,
    pub valid_until: NaiveDate,
    pub appraiser: String,
}

impl AppraisalView {
    pub fn from_domain(a: &Appraisal) -> Self {
        Self {
            amount_fen: a.amount.fen(),
            appraised_on: a.appraised_on,
            valid_until: a.valid_until,
            appraiser: a.appraiser.clone(),
        }
    }
}

impl From<AppraisalRecord> for AppraisalView {
    fn from(r: AppraisalRecord) -> Self {
        Self::from_domain(&r.appraisal)
    }
}

/// A patent as written. The application number is the path.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct PatentInput {
    /// 专利权人: the USCC of a registered enterprise.
    #[schema(value_type = shape::Uscc, inline)]
    #[validate(custom(function = shape::uscc))]
    pub owner: String,
    #[schema(example = "一种数控机床主轴冷却装置", value_type = shape::Title, inline)]
    #[validate(custom(function = shape::title))]
    pub title: String,
    /// The patentee of record, by name, when the patent was transferred to someone who is
    /// none of our enterprises; `owner` is then the last of ours that held it, and the patent
    /// counts for none of them.
    #[serde(default)]
    #[schema(value_type = Option<shape::Name>, inline)]
    #[validate(custom(function = shape::name))]
    pub transferred_out_to: Option<String>,
    pub filing_date: NaiveDate,
    pub grant_date: Option<NaiveDate>,
    /// `pending`, `in_force`, `lapsed_unpaid_fee`, `expired`, `invalidated`, `ended` (失效,
    /// its cause not given), `invalidation_requested` or `suspended`.
    #[schema(example = "in_force", value_type = shape::LegalStatus, inline)]
    #[validate(custom(function = shape::legal_status))]
    pub legal_status: String,
    /// Annual fees paid until this day.
    pub annual_fee_paid_until: Option<NaiveDate>,
    /// Other patentees (共有人), by name.
    #[serde(default)]
    #[schema(value_type = Vec<shape::Name>, inline, max_items = 50)]
    #[validate(length(max = 50), custom(function = shape::names))]
    pub co_owners: Vec<String>,
    /// Whether every co-owner consented to pledging; null or absent: not known (a pledge of
    /// a co-owned patent needs it).
    #[serde(default)]
    pub co_owners_consent: Option<bool>,
    /// IPC main class, e.g. `B23Q 11/12`.
    #[schema(value_type = Option<shape::Ipc>, inline)]
    #[validate(custom(function = shape::ipc))]
    pub ipc_main: Option<String>,
    /// e.g. `CN107356125A`.
    #[schema(value_type = Option<shape::PublicationNumber>, inline)]
    #[validate(custom(function = shape::publication_number))]
    pub publication_number: Option<String>,
    #[serde(default)]
    pub strategic_emerging_industry: bool,
    #[serde(default)]
    pub overseas_family: bool,
    #[serde(default)]
    pub high_pledge_financing: bool,
    /// `state_science_technology` or `china_patent_award`.
    #[schema(value_type = Option<shape::Award>, inline)]
    #[validate(custom(function = shape::award))]
    pub award: Option<String>,
    #[serde(default)]
    pub same_day_double_filing: bool,
    /// Every pledge registered (or marked), oldest first: the patent's pledge history.
    #[serde(default)]
    #[schema(max_items = 50)]
    #[validate(length(max = 50), nested)]
    pub pledges: Vec<PledgeDto>,
    /// The version read; required to replace an existing patent.
    #[schema(minimum = 0, maximum = 9_007_199_254_740_991_i64)]
    #[validate(range(min = 0, max = 9_007_199_254_740_991_i64))]
    pub version: Option<i64>,
}

/// A reason a pledge would be refused.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObstacleView {
    /// The ground's number in 《专利权质押登记办法》 (1–12).
    pub ground: u8,
    pub code: String,
    pub message: String,
}

/// Facts computed for a date.
#[derive(Debug, Serialize, ToSchema)]
pub struct PatentAsOf {
    pub as_of: NaiveDate,
    /// The loan end the pledge obstacles are judged for.
    pub loan_end: NaiveDate,
    pub expiry: NaiveDate,
    pub remaining_months: u32,
    /// The status the facts give on `as_of`: the recorded one, or `annual_fee_grace` (in
    /// force, not pledgeable), `lapsed_unpaid_fee`, `expired`; the stricter of the two counts.
    pub derived_status: String,
    /// Where the record says in force and the facts say ended: what to correct.
    pub status_warning: Option<String>,
    /// 有效专利.
    pub valid: bool,
    /// Why it is a high-value invention patent; empty when it is not.
    pub high_value_grounds: Vec<String>,
    pub pledged: bool,
    pub valid_appraisal: Option<AppraisalView>,
    /// Every ground on which a pledge would be refused; empty: it can be pledged.
    pub pledge_obstacles: Vec<ObstacleView>,
}

/// A patent with its appraisals and the facts as of a date.
#[derive(Debug, Serialize, ToSchema)]
pub struct PatentView {
    /// Canonical 申请号.
    pub application_number: String,
    /// 专利号 (`ZL` + 申请号).
    pub patent_number: String,
    /// `invention`, `utility_model`, `design`, `pct_invention`, `pct_utility_model`.
    pub kind: String,
    pub owner: String,
    /// The patentee of record when it is none of our enterprises (transferred out).
    pub transferred_out_to: Option<String>,
    pub title: String,
    pub filing_date: NaiveDate,
    pub grant_date: Option<NaiveDate>,
    pub legal_status: String,
    pub annual_fee_paid_until: Option<NaiveDate>,
    pub co_owners: Vec<String>,
    /// null: not known.
    pub co_owners_consent: Option<bool>,
    pub ipc_main: Option<String>,
    pub publication_number: Option<String>,
    pub strategic_emerging_industry: bool,
    pub overseas_family: bool,
    pub high_pledge_financing: bool,
    pub award: Option<String>,
    pub same_day_double_filing: bool,
    /// Every pledge registered (or marked), oldest first; `computed.pledged` says whether one
    /// is in force.
    pub pledges: Vec<PledgeDto>,
    pub appraisals: Vec<AppraisalView>,
    pub computed: PatentAsOf,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl PatentView {
    fn new(rec: Versioned<Patent>, as_of: NaiveDate, loan_end: NaiveDate) -> Self {
        let p = &rec.value;
        let computed = PatentAsOf {
            as_of,
            loan_end,
            expiry: p.expiry(),
            remaining_months: p.remaining_months(as_of),
            derived_status: p.status_on(as_of).as_str().into(),
            status_warning: p.status_disagreement(as_of),
            valid: p.is_valid(as_of),
            high_value_grounds: p
                .high_value_grounds(as_of)
                .into_iter()
                .map(|g| g.as_str().to_owned())
                .collect(),
            pledged: p.is_pledged(as_of),
            valid_appraisal: p.valid_appraisal(as_of).map(AppraisalView::from_domain),
            pledge_obstacles: p
                .pledge_obstacles(&p.owner, as_of, loan_end)
                .into_iter()
                .map(|o| ObstacleView {
                    ground: o.ground(),
                    code: o.code().into(),
                    message: o.message(),
                })
                .collect(),
        };
        Self {
            application_number: p.application_number.to_string(),
            patent_number: p.application_number.patent_number(),
            kind: p.kind().as_str().into(),
            owner: p.owner.to_string(),
            transferred_out_to: p.transferred_out_to.clone(),
            title: p.title.to_string(),
            filing_date: p.filing_date,
            grant_date: p.grant_date,
            legal_status: p.legal_status.as_str().into(),
            annual_fee_paid_until: p.annual_fee_paid_until,
            co_owners: p.co_owners.clone(),
            co_owners_consent: p.co_owners_consent,
            ipc_main: p.ipc_main.as_ref().map(|c| c.as_str().into()),
            publication_number: p.publication_number.as_ref().map(|c| c.as_str().into()),
            strategic_emerging_industry: p.high_value.strategic_emerging_industry,
            overseas_family: p.high_value.overseas_family,
            high_pledge_financing: p.high_value.high_pledge_financing,
            award: p.high_value.award.map(|a| a.as_str().into()),
            same_day_double_filing: p.same_day_double_filing,
            pledges: p.pledges.iter().map(PledgeDto::from_domain).collect(),
            appraisals: p
                .appraisals
                .iter()
                .map(AppraisalView::from_domain)
                .collect(),
            computed,
            version: rec.version,
            created_at: rec.created_at,
            updated_at: rec.updated_at,
        }
    }
}

fn parse_number(raw: &str) -> ApiResult<PatentApplicationNumber> {
    PatentApplicationNumber::parse(raw).map_err(|e| ApiError::field("application_number", e))
}

fn parse_patent(
    number: PatentApplicationNumber,
    input: PatentInput,
    today: NaiveDate,
) -> ApiResult<(Patent, Option<i64>)> {
    let mut c = Check::default();
    let owner = c.field("owner", Uscc::parse(&input.owner));
    let title = c.field("title", Text::parse(&input.title, 1, 200));
    let status = c.field("legal_status", LegalStatus::parse(&input.legal_status));
    let ipc = c.optional("ipc_main", input.ipc_main.as_deref(), IpcClass::parse);
    let publication = c.optional(
        "publication_number",
        input.publication_number.as_deref(),
        PublicationNumber::parse,
    );
    let award = c.optional("award", input.award.as_deref(), PatentAward::parse);
    let (
        Some(owner),
        Some(title),
        Some(legal_status),
        Some(ipc_main),
        Some(publication_number),
        Some(award),
    ) = (owner, title, status, ipc, publication, award)
    else {
        return Err(c.fail());
    };
    let p = Patent {
        application_number: number,
        title,
        owner,
        co_owners: input
            .co_owners
            .iter()
            .map(|n| n.trim().to_owned())
            .collect(),
        co_owners_consent: input.co_owners_consent,
        filing_date: input.filing_date,
        grant_date: input.grant_date,
        legal_status,
        annual_fee_paid_until: input.annual_fee_paid_until,
        pledges: input.pledges.iter().map(PledgeDto::to_domain).collect(),
        transferred_out_to: input
            .transferred_out_to
            .as_ref()
            .map(|n| n.trim().to_owned()),
        ipc_main,
        publication_number,
        high_value: HighValueFacts {
            strategic_emerging_industry: input.strategic_emerging_industry,
            overseas_family: input.overseas_family,
            high_pledge_financing: input.high_pledge_financing,
            award,
        },
        same_day_double_filing: input.same_day_double_filing,
        appraisals: Vec::new(),
    };
    c.violations(p.violations(today));
    c.finish()?;
    Ok((p, input.version))
}

/// The date the computed facts are for, and the loan end the pledge rules judge.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// Default today (China time).
    #[param(value_type = Option<NaiveDate>)]
    #[validate(custom(function = shape::date))]
    as_of: Option<String>,
    /// Default one year after `as_of`.
    #[param(value_type = Option<NaiveDate>)]
    #[validate(custom(function = shape::date))]
    loan_end: Option<String>,
}

fn dates(q: &AsOfQuery, today: NaiveDate) -> ApiResult<(NaiveDate, NaiveDate)> {
    let mut c = Check::default();
    let as_of = date(&mut c, "as_of", q.as_of.as_deref())
        .flatten()
        .unwrap_or(today);
    let loan_end = date(&mut c, "loan_end", q.loan_end.as_deref()).flatten();
    c.finish()?;
    let loan_end =
        loan_end.unwrap_or_else(|| as_of.checked_add_months(Months::new(12)).unwrap_or(as_of));
    Ok((as_of, loan_end))
}

/// A patent by application number in any spelling (`ZL2017106018623`, full-width, no dot).
#[utoipa::path(get, path = "/api/v1/patents/{number}", tag = "ip", security(("bearer" = [])), params(("number" = String, Path, max_length = 64, description = "申请号 or 专利号"), AsOfQuery), responses((status = 200, body = PatentView), ReadErrors))]
async fn get_patent(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(number): Path<String>,
    ApiQuery(q): ApiQuery<AsOfQuery>,
) -> ApiResult<Json<PatentView>> {
    let number = read_key(parse_number(&number))?;
    let (as_of, loan_end) = dates(&q, cx.today())?;
    let rec = s.service.patent(&cx, &number).await?;
    Ok(Json(PatentView::new(rec, as_of, loan_end)))
}

/// Creates or replaces a patent under its canonical application number. Replacing needs the
/// `version` read; a replacement that changes nothing answers 200 with the same version.
#[utoipa::path(put, path = "/api/v1/patents/{number}", tag = "ip", security(("bearer" = [])), params(("number" = String, Path, max_length = 64, description = "申请号 in any accepted spelling")), request_body = PatentInput, responses((status = 201, body = PatentView, description = "created"), (status = 200, body = PatentView, description = "replaced or unchanged"), WriteErrors))]
async fn put_patent(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(number): Path<String>,
    ApiJson(input): ApiJson<PatentInput>,
) -> ApiResult<(StatusCode, Json<PatentView>)> {
    cx.write_scope()?;
    let number = parse_number(&number)?;
    let as_of = cx.today();
    let (patent, version) = parse_patent(number, input, as_of)?;
    let (rec, what) = s.service.put_patent(&cx, patent, version).await?;
    let status = if what == Upserted::Created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(PatentView::new(
            rec,
            as_of,
            as_of.checked_add_months(Months::new(12)).unwrap_or(as_of),
        )),
    ))
}

/// Adds an appraisal (评估) to a patent. Appraisals are never changed; add a new one.
#[utoipa::path(post, path = "/api/v1/patents/{number}/appraisals", tag = "ip", security(("bearer" = [])), params(("number" = String, Path, max_length = 64)), request_body = AppraisalInput, responses((status = 201, body = AppraisalView), WriteErrors))]
async fn add_appraisal(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(number): Path<String>,
    ApiJson(input): ApiJson<AppraisalInput>,
) -> ApiResult<(StatusCode, Json<AppraisalView>)> {
    cx.write_scope()?;
    let number = parse_number(&number)?;
    let a = input.to_domain()?;
    let rec = s.service.add_patent_appraisal(&cx, &number, a).await?;
    Ok((StatusCode::CREATED, Json(rec.into())))
}

/// Paging and the date of the computed facts.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct PatentListQuery {
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<shape::Id>, inline)]
    #[validate(custom(function = shape::id))]
    after: Option<String>,
    /// Page size (default 50).
    #[param(value_type = Option<shape::PageSize>, inline)]
    #[validate(custom(function = shape::page_size))]
    limit: Option<String>,
    /// Default today (China time).
    #[param(value_type = Option<NaiveDate>)]
    #[validate(custom(function = shape::date))]
    as_of: Option<String>,
    /// Default one year after `as_of`.
    #[param(value_type = Option<NaiveDate>)]
    #[validate(custom(function = shape::date))]
    loan_end: Option<String>,
}

/// The patents of an enterprise (admin, or its park).
#[utoipa::path(get, path = "/api/v1/enterprises/{uscc}/patents", tag = "ip", security(("bearer" = [])), params(("uscc" = String, Path, pattern = "^[0-9A-Za-z]{18}$"), PatentListQuery), responses((status = 200, body = Paged<PatentView>), ReadErrors))]
async fn list_patents(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(uscc): Path<String>,
    ApiQuery(q): ApiQuery<PatentListQuery>,
) -> ApiResult<Json<Paged<PatentView>>> {
    let (after, limit) = paging(q.after.as_deref(), q.limit.as_deref())?;
    let (as_of, loan_end) = dates(
        &AsOfQuery {
            as_of: q.as_of,
            loan_end: q.loan_end,
        },
        cx.today(),
    )?;
    let uscc = read_key(Uscc::parse(&uscc).map_err(|e| ApiError::field("uscc", e)))?;
    // Banks see the patents that count: the valid ones.
    let page = s
        .service
        .patents_of(&cx, &uscc, after, limit, as_of)
        .await?;
    Ok(Json(Paged::from_page(page, |p| {
        PatentView::new(p, as_of, loan_end)
    })))
}
