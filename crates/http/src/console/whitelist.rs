//! The white list in pages: batches (opened and published by the office), nominating many
//! enterprises into a draft batch (parks and the office), and the office's review queue with
//! four-eyes in view: who nominated, what screening found, approve or reject one or many.

use super::{Fields, Frame, Oops, Page, Posted, Signed, Uploaded, page};
use crate::AppState;
use crate::sheet::Format;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use pledge_domain::{BatchStatus, EntryStatus, ReasonCode, Text};
use pledge_service::{
    CriteriaAsk, EntryFilter, EntryRecord, Result as ServiceResult, ServiceError, decision,
    transition_asked,
};

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/whitelist", get(batches))
        .route("/whitelist/batches", post(create_batch))
        .route("/whitelist/batches/{id}", get(batch))
        .route("/whitelist/batches/{id}/list.xlsx", get(download))
        .route("/whitelist/current.xlsx", get(download_current))
        .route("/whitelist/batches/{id}/nominations", post(nominate))
        .route("/whitelist/batches/{id}/publish", post(publish))
        .route(
            "/whitelist/batches/{id}/nominations/upload",
            post(nominate_sheet).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/whitelist/criteria", get(criteria).post(set_criteria))
        .route("/review", get(review).post(decide))
}

struct BatchLine {
    id: i64,
    name: String,
    status: &'static str,
    draft: bool,
    valid_until: String,
    published_on: String,
}

#[derive(Template)]
#[template(path = "batches.html")]
struct BatchesPage {
    f: Frame,
    office: bool,
    batches: Vec<BatchLine>,
    errors: Vec<crate::FieldError>,
    default_until: String,
}

async fn batches_page(s: &AppState, me: &Signed, errors: Vec<crate::FieldError>) -> Page {
    let batches = s
        .service
        .batches(&me.cx)
        .await?
        .into_iter()
        .rev()
        .map(|b| BatchLine {
            id: b.id,
            name: b.name,
            status: b.status.label_zh(),
            draft: b.status == BatchStatus::Draft,
            valid_until: b.valid_until.to_string(),
            published_on: b.published_on.map(|d| d.to_string()).unwrap_or_default(),
        })
        .collect();
    let refused = !errors.is_empty();
    Ok(super::form_page(
        &BatchesPage {
            f: me.frame("/whitelist"),
            office: me.cx.may().administer,
            batches,
            errors,
            default_until: (me.cx.today() + chrono::Months::new(12)).to_string(),
        },
        refused,
    ))
}

async fn batches(State(s): State<AppState>, me: Signed) -> Page {
    batches_page(&s, &me, Vec::new()).await
}

async fn create_batch(State(s): State<AppState>, Posted { me, fields }: Posted) -> Page {
    let name = Text::parse(fields.get("name"), 1, 200);
    let until = chrono::NaiveDate::parse_from_str(fields.get("valid_until"), "%Y-%m-%d");
    let mut errors = Vec::new();
    if let Err(e) = &name {
        errors.extend(
            crate::error::ApiError::field("name", e.clone())
                .problem()
                .errors,
        );
    }
    if until.is_err() {
        errors.push(crate::FieldError {
            field: "valid_until".into(),
            code: pledge_domain::code::FORMAT.into(),
            message: "请填写有效期，格式为年-月-日 / valid_until is a date".into(),
        });
    }
    let (Ok(name), Ok(until)) = (name, until) else {
        return batches_page(&s, &me, errors).await;
    };
    match s.service.create_batch(&me.cx, &name, until).await {
        Ok(b) => Ok(Redirect::to(&format!("/whitelist/batches/{}", b.id)).into_response()),
        Err(e) => batches_page(&s, &me, super::field_errors(e)?).await,
    }
}

struct EntryLine {
    id: i64,
    version: i64,
    uscc: String,
    name: String,
    park: String,
    status: &'static str,
    nominated_by: String,
    passed: bool,
    failures: Vec<String>,
    reason: String,
}

fn entry_line(e: EntryRecord) -> EntryLine {
    EntryLine {
        id: e.id,
        version: e.version,
        uscc: e.uscc.to_string(),
        name: e.enterprise_name,
        park: e.park.to_string(),
        status: e.status.label_zh(),
        nominated_by: e.nominated_by,
        passed: e.screening.passed,
        failures: e
            .screening
            .failures
            .iter()
            .map(|f| f.message.clone())
            .collect(),
        reason: e.reason,
    }
}

/// What became of one item of a request for many.
struct Outcome {
    key: String,
    done: bool,
    what: String,
}

fn outcomes<K: ToString>(results: Vec<(K, ServiceResult<EntryRecord>)>) -> Vec<Outcome> {
    results
        .into_iter()
        .map(|(k, r)| match r {
            Ok(e) => Outcome {
                key: format!("{}（{}）", e.enterprise_name, k.to_string()),
                done: true,
                what: e.status.label_zh().into(),
            },
            Err(err) => {
                let oops = Oops::from(err);
                Outcome {
                    key: k.to_string(),
                    done: false,
                    what: if oops.detail.is_empty() {
                        oops.title
                    } else {
                        format!("{} — {}", oops.title, oops.detail)
                    },
                }
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "batch.html")]
struct BatchPage {
    f: Frame,
    id: i64,
    name: String,
    status: &'static str,
    draft: bool,
    version: i64,
    valid_until: String,
    published_on: String,
    office: bool,
    entries: Vec<EntryLine>,
    outcomes: Vec<Outcome>,
}

async fn batch_page(s: &AppState, me: &Signed, raw: &str, outcomes: Vec<Outcome>) -> Page {
    let id = super::path_id(raw)?;
    let cx = &me.cx;
    let b = s.service.batch(cx, id).await?;
    let filter = EntryFilter {
        batch: Some(b.id),
        statuses: if me.cx.may().see_unlisted {
            Vec::new()
        } else {
            vec![EntryStatus::Published]
        },
        ..Default::default()
    };
    let entries = s
        .service
        .entries(cx, filter, None, 1000)
        .await?
        .items
        .into_iter()
        .map(entry_line)
        .collect();
    Ok(page(&BatchPage {
        f: me.frame("/whitelist"),
        id: b.id,
        name: b.name,
        status: b.status.label_zh(),
        draft: b.status == BatchStatus::Draft && me.cx.may().write_registry,
        version: b.version,
        valid_until: b.valid_until.to_string(),
        published_on: b.published_on.map(|d| d.to_string()).unwrap_or_default(),
        office: me.cx.may().administer,
        entries,
        outcomes,
    }))
}

async fn batch(State(s): State<AppState>, me: Signed, Path(raw): Path<String>) -> Page {
    batch_page(&s, &me, &raw, Vec::new()).await
}

async fn download(State(s): State<AppState>, me: Signed, Path(raw): Path<String>) -> Page {
    let id = super::path_id(&raw)?;
    let today = me.cx.today();
    Ok(crate::sheet::whitelist::batch(&s.service, &me.cx, id, Format::Xlsx, today).await?)
}

/// The white list in force today, as circulated.
async fn download_current(State(s): State<AppState>, me: Signed) -> Page {
    let today = me.cx.today();
    Ok(crate::sheet::whitelist::current(&s.service, &me.cx, Format::Xlsx, today).await?)
}

/// The codes of a list typed or pasted: one per line, or separated by commas or spaces.
fn listed_codes(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == ',' || c == '，' || c == '、' || c == ';')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn nominate(
    State(s): State<AppState>,
    Path(raw): Path<String>,
    Posted { me, fields }: Posted,
) -> Page {
    let id = super::path_id(&raw)?;
    let mut codes = listed_codes(fields.get("usccs"));
    codes.extend(fields.all("uscc").into_iter().map(str::to_owned));
    if codes.is_empty() {
        return Err(Oops::status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "请填写至少一个统一社会信用代码 / list at least one USCC",
        ));
    }
    let results = s.service.nominate_many(&me.cx, id, &codes).await?;
    batch_page(&s, &me, &raw, outcomes(results)).await
}

/// Nominates the enterprises a sheet lists (its 统一社会信用代码 column), each on its own.
async fn nominate_sheet(
    State(s): State<AppState>,
    Path(raw): Path<String>,
    Uploaded {
        me,
        file: (name, bytes),
        ..
    }: Uploaded,
) -> Page {
    let id = super::path_id(&raw)?;
    let codes = s.service.listed_usccs(name, bytes).await?;
    if codes.len() > pledge_service::MANY {
        return Err(Oops::status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "一次最多提名500家企业 / at most 500 enterprises at a time",
        ));
    }
    let results = s.service.nominate_many(&me.cx, id, &codes).await?;
    batch_page(&s, &me, &raw, outcomes(results)).await
}

/// A choice of the criteria form: its stable name, its Chinese name, whether chosen.
struct Choice {
    value: &'static str,
    label: &'static str,
    chosen: bool,
}

#[derive(Template)]
#[template(path = "criteria.html")]
struct CriteriaPage {
    f: Frame,
    office: bool,
    version: i64,
    min_valid_invention_patents: String,
    min_valid_patents: String,
    min_years_in_operation: String,
    flags: Vec<Choice>,
    qualifications: Vec<Choice>,
    errors: Vec<crate::FieldError>,
}

async fn criteria_page(
    s: &AppState,
    me: &Signed,
    typed: Option<&Fields>,
    errors: Vec<crate::FieldError>,
) -> Page {
    let (c, version) = s.service.criteria(&me.cx).await?;
    let number = |name: &str, stored: u32| {
        typed.map_or_else(|| stored.to_string(), |f| f.get(name).to_owned())
    };
    let chosen = |name: &str, value: &str, stored: bool| {
        typed.map_or(stored, |f| f.all(name).contains(&value))
    };
    let refused = !errors.is_empty();
    Ok(super::form_page(
        &CriteriaPage {
            f: me.frame("/whitelist"),
            office: me.cx.may().administer,
            version,
            min_valid_invention_patents: number(
                "min_valid_invention_patents",
                c.min_valid_invention_patents,
            ),
            min_valid_patents: number("min_valid_patents", c.min_valid_patents),
            min_years_in_operation: number("min_years_in_operation", c.min_years_in_operation),
            flags: pledge_domain::RiskFlagKind::ALL
                .iter()
                .map(|k| Choice {
                    value: k.as_str(),
                    label: k.label_zh(),
                    chosen: chosen(
                        "excluded_risk_flags",
                        k.as_str(),
                        c.excluded_risk_flags.contains(k),
                    ),
                })
                .collect(),
            qualifications: pledge_domain::QualificationKind::ALL
                .iter()
                .map(|k| Choice {
                    value: k.as_str(),
                    label: k.label_zh(),
                    chosen: chosen(
                        "any_of_qualifications",
                        k.as_str(),
                        c.any_of_qualifications.contains(k),
                    ),
                })
                .collect(),
            errors,
        },
        refused,
    ))
}

async fn criteria(State(s): State<AppState>, me: Signed) -> Page {
    criteria_page(&s, &me, None, Vec::new()).await
}

async fn set_criteria(State(s): State<AppState>, Posted { me, fields }: Posted) -> Page {
    let mut errors = Vec::new();
    let mut number = |name: &str| match fields.get(name).parse::<u32>() {
        Ok(n) => n,
        Err(_) => {
            errors.push(crate::FieldError {
                field: name.into(),
                code: pledge_domain::code::FORMAT.into(),
                message: "请填写非负整数 / a whole number".into(),
            });
            0
        }
    };
    let asked = CriteriaAsk {
        min_valid_invention_patents: number("min_valid_invention_patents"),
        min_valid_patents: number("min_valid_patents"),
        min_years_in_operation: number("min_years_in_operation"),
        excluded_risk_flags: fields
            .all("excluded_risk_flags")
            .into_iter()
            .map(str::to_owned)
            .collect(),
        any_of_qualifications: fields
            .all("any_of_qualifications")
            .into_iter()
            .map(str::to_owned)
            .collect(),
    };
    if !errors.is_empty() {
        return criteria_page(&s, &me, Some(&fields), errors).await;
    }
    let version = fields.get("version").parse::<i64>().unwrap_or(-1);
    match s.service.set_criteria(&me.cx, &asked, version).await {
        Ok(_) => Ok(Redirect::to("/whitelist/criteria").into_response()),
        Err(ServiceError::Invalid(errors)) => criteria_page(&s, &me, Some(&fields), errors).await,
        Err(e) => Err(e.into()),
    }
}

async fn publish(
    State(s): State<AppState>,
    Path(raw): Path<String>,
    Posted { me, fields }: Posted,
) -> Page {
    let id = super::path_id(&raw)?;
    let version = fields.get("version").parse::<i64>().unwrap_or(-1);
    s.service.publish_batch(&me.cx, id, version).await?;
    Ok(Redirect::to(&format!("/whitelist/batches/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage {
    f: Frame,
    entries: Vec<EntryLine>,
    me: String,
    reasons: Vec<(&'static str, &'static str)>,
    outcomes: Vec<Outcome>,
}

async fn review_page(s: &AppState, me: &Signed, outcomes: Vec<Outcome>) -> Page {
    me.cx.require_office()?;
    let filter = EntryFilter {
        statuses: vec![EntryStatus::Nominated],
        ..Default::default()
    };
    let entries = s
        .service
        .entries(&me.cx, filter, None, 500)
        .await?
        .items
        .into_iter()
        .map(entry_line)
        .collect();
    Ok(page(&ReviewPage {
        f: me.frame("/review"),
        entries,
        me: me.cx.principal.person_name.clone(),
        reasons: ReasonCode::ALL
            .iter()
            .map(|r| (r.as_str(), r.label_zh()))
            .collect(),
        outcomes,
    }))
}

async fn review(State(s): State<AppState>, me: Signed) -> Page {
    review_page(&s, &me, Vec::new()).await
}

/// `id:version` pairs of the entries a decision is for: the row's own button, or the ticked.
fn chosen(fields: &Fields) -> Vec<(i64, i64)> {
    let one = fields.some("one").map(|v| vec![v]);
    one.unwrap_or_else(|| fields.all("entry"))
        .into_iter()
        .filter_map(|v| {
            let (id, version) = v.split_once(':')?;
            Some((id.parse().ok()?, version.parse().ok()?))
        })
        .collect()
}

async fn decide(State(s): State<AppState>, Posted { me, fields }: Posted) -> Page {
    me.cx.require_office()?;
    // A row's own button approves that row; the buttons below the list act on the ticked.
    let action = if fields.some("one").is_some() {
        "approve"
    } else {
        fields.get("action")
    };
    let t = decision(action)?;
    let entries = chosen(&fields);
    if entries.is_empty() {
        return Err(Oops::status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "请勾选至少一个条目 / tick at least one entry",
        ));
    }
    let default_code = if action == "approve" {
        "meets_criteria"
    } else {
        "fails_criteria"
    };
    let code = fields.some("reason_code").unwrap_or(default_code);
    let default_reason = if action == "approve" {
        "经审核符合入选条件"
    } else {
        ""
    };
    let reason = fields.some("reason").unwrap_or(default_reason);
    let step = transition_asked(t, 0, code, reason, fields.some("override_reason"))?;
    let results = s.service.decide_many(&me.cx, &entries, step).await?;
    review_page(&s, &me, outcomes(results)).await
}
