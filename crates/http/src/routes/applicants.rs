//! Applicant checks (banks → city): a bank uploads its applicants' USCCs and learns, for
//! each, what the city knows of it and which of its products it matches and why not.

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, WriteErrors};
use crate::routes::imports::UploadForm;
use crate::upload::{file_part, multipart};
use axum::Json;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use chrono::NaiveDate;
use pledge_service::{Checked, Listed};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(check_applicants))
        // The handler counts the file against the server's upload limit itself.
        .layer(DefaultBodyLimit::disable())
}

/// Why a rule failed, with what it needs and what there is.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonView {
    code: String,
    /// Chinese, then English.
    message: String,
}

/// One of the bank's products for an applicant.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductVerdict {
    product_id: i64,
    product_name: String,
    eligible: bool,
    /// The credit line when eligible, in 分.
    credit_line_fen: i64,
    /// Every rule it fails; empty when eligible.
    reasons: Vec<ReasonView>,
}

/// What the city knows of a listed applicant on the day.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListedView {
    name: String,
    park: String,
    valid_patents: u32,
    valid_invention_patents: u32,
    high_value_patents: u32,
    /// Risk flags recorded by the day (`dishonest_debtor`, …).
    risk_flags: Vec<String>,
    /// Qualifications in force on the day (`high_tech`, …).
    qualifications: Vec<String>,
    /// Each of the caller's published products.
    products: Vec<ProductVerdict>,
}

/// One applicant, in the order sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicantView {
    /// The code as the sheet gives it.
    code: String,
    /// `listed`, `not_listed` (not on the published white list, or not known to the city: a
    /// bank is not told which) or `unreadable` (not a USCC).
    status: &'static str,
    /// Why the code is not a USCC.
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<ReasonView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    listed: Option<ListedView>,
}

/// The answer to a check.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicantChecks {
    /// The day the facts are for.
    as_of: NaiveDate,
    listed: usize,
    not_listed: usize,
    unreadable: usize,
    items: Vec<ApplicantView>,
}

fn listed_view(l: Listed) -> ListedView {
    ListedView {
        name: l.name,
        park: l.park,
        valid_patents: l.valid_patents,
        valid_invention_patents: l.valid_invention_patents,
        high_value_patents: l.high_value_patents,
        risk_flags: l.risk_flags.iter().map(|k| k.as_str().into()).collect(),
        qualifications: l.qualifications.iter().map(|k| k.as_str().into()).collect(),
        products: l
            .products
            .into_iter()
            .map(|s| ProductVerdict {
                product_id: s.evaluation.product_id,
                product_name: s.product_name.unwrap_or_default(),
                eligible: s.evaluation.eligible,
                credit_line_fen: s.evaluation.credit_line.fen(),
                reasons: s
                    .evaluation
                    .reasons
                    .iter()
                    .map(|r| {
                        let (zh, en) = r.messages();
                        ReasonView {
                            code: r.code().into(),
                            message: format!("{zh} / {en}"),
                        }
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Checks a bank's applicants (banks; the office for every bank's products): a sheet with a
/// 统一社会信用代码 column (.xlsx or .csv, any header it is known by), at most 2,000 rows. Each
/// code comes back in the order sent: listed (with its valid, invention and high-value
/// patents, risk flags, qualifications, and each of the bank's products with every rule it
/// fails), not listed, or unreadable with why. Nothing is stored.
#[utoipa::path(post, path = "/api/v1/applicant-checks", tag = "matching", security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 200, body = ApplicantChecks), WriteErrors))]
async fn check_applicants(
    State(s): State<AppState>,
    Auth(cx): Auth,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<Json<ApplicantChecks>> {
    cx.managing_bank(None)?;
    let mut form = multipart(form)?;
    let (name, bytes) = file_part(&mut form, s.upload_limit).await?;
    let codes = s.service.listed_usccs(name, bytes).await?;
    let checked = s.service.check_applicants(&cx, &codes).await?;
    let mut out = ApplicantChecks {
        as_of: cx.today(),
        listed: 0,
        not_listed: 0,
        unreadable: 0,
        items: Vec::with_capacity(checked.len()),
    };
    for (code, c) in checked {
        let item = match c {
            Checked::Unreadable(e) => {
                out.unreadable += 1;
                let problem = crate::error::ApiError::field("uscc", e).problem();
                let first = problem.errors.into_iter().next();
                ApplicantView {
                    code,
                    status: "unreadable",
                    problem: first.map(|f| ReasonView {
                        code: f.code,
                        message: f.message,
                    }),
                    listed: None,
                }
            }
            Checked::NotListed(_) => {
                out.not_listed += 1;
                ApplicantView {
                    code,
                    status: "not_listed",
                    problem: None,
                    listed: None,
                }
            }
            Checked::Listed(l) => {
                out.listed += 1;
                ApplicantView {
                    code,
                    status: "listed",
                    problem: None,
                    listed: Some(listed_view(*l)),
                }
            }
        };
        out.items.push(item);
    }
    Ok(Json(out))
}
