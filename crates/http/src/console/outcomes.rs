//! Outcomes in pages (对接结果): a bank opens one when it contacts a listed enterprise and
//! reports each step in 万元 and %; the office and the enterprise's park read them.

use super::{Fields, Frame, Page, Posted, Signed, path_id, wan, wan_figure};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use pledge_domain::{
    BasisPoints, DeclineReason, DomainError, Money, OutcomeStage, ProductStatus, Step, Uscc,
};
use pledge_service::{OutcomeFilter, OutcomeRecord, StepAsk};

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/outcomes", get(list).post(open))
        .route("/outcomes/{id}", get(one))
        .route("/outcomes/{id}/steps", post(take_step))
        .route(
            "/outcomes/import",
            post(import).layer(axum::extract::DefaultBodyLimit::disable()),
        )
}

/// One row of an imported sheet, as people read it.
struct Imported {
    row: u32,
    recorded: bool,
    what: String,
}

/// How many outcomes a page lists.
const PAGE: u64 = 100;

struct Line {
    id: i64,
    contacted_on: String,
    enterprise: String,
    uscc: String,
    park: String,
    bank: String,
    product: String,
    stage: &'static str,
    disbursed: String,
}

#[derive(Template)]
#[template(path = "outcome_list.html")]
struct ListPage {
    f: Frame,
    bank: bool,
    products: Vec<(i64, String)>,
    rounds: Vec<(i64, String)>,
    lines: Vec<Line>,
    next: Option<i64>,
    errors: Vec<crate::FieldError>,
    today: String,
    imported: Vec<Imported>,
}

async fn list_page(
    s: &AppState,
    me: &Signed,
    after: Option<i64>,
    errors: Vec<crate::FieldError>,
) -> Page {
    list_with(s, me, after, errors, Vec::new()).await
}

async fn list_with(
    s: &AppState,
    me: &Signed,
    after: Option<i64>,
    errors: Vec<crate::FieldError>,
    imported: Vec<Imported>,
) -> Page {
    let page = s
        .service
        .outcomes(&me.cx, OutcomeFilter::default(), after, PAGE)
        .await?;
    let lines = page
        .items
        .iter()
        .map(|o| (o, s.service.outcome_names(o)))
        .map(|(o, names)| Line {
            id: o.id,
            contacted_on: o.outcome.contacted_on.to_string(),
            enterprise: names.enterprise,
            uscc: o.uscc.to_string(),
            park: o.park.to_string(),
            bank: o.bank.to_string(),
            product: names.product,
            stage: o.stage.label_zh(),
            disbursed: o
                .outcome
                .disbursed()
                .map_or(String::new(), |(_, m)| wan_figure(m.fen())),
        })
        .collect();
    let bank = me.cx.may().report_outcomes;
    let products = if bank {
        s.service
            .products(&me.cx)
            .into_iter()
            .filter(|p| p.status == ProductStatus::Published)
            .map(|p| (p.id, p.rules.name.to_string()))
            .collect()
    } else {
        Vec::new()
    };
    let rounds = if bank {
        s.service
            .rounds(&me.cx)
            .await?
            .into_iter()
            .map(|r| (r.id, format!("{} {}", r.round.held_on, r.round.name)))
            .collect()
    } else {
        Vec::new()
    };
    let refused = !errors.is_empty();
    Ok(super::form_page(
        &ListPage {
            f: me.frame("/outcomes"),
            bank,
            products,
            rounds,
            lines,
            next: page.next,
            errors,
            today: me.cx.today().to_string(),
            imported,
        },
        refused,
    ))
}

async fn import(
    State(s): State<AppState>,
    super::Uploaded {
        me,
        file: (name, bytes),
        ..
    }: super::Uploaded,
) -> Page {
    me.cx.reporting_bank()?;
    let rows = s.service.import_outcomes(&me.cx, name, bytes).await?;
    let imported = rows
        .into_iter()
        .map(|(row, r)| match r {
            Ok(o) => Imported {
                row,
                recorded: true,
                what: format!("已记录 #{}（{}）", o.id, o.stage.label_zh()),
            },
            Err(e) => Imported {
                row,
                recorded: false,
                what: super::reasons(e),
            },
        })
        .collect();
    list_with(&s, &me, None, Vec::new(), imported).await
}

#[derive(serde::Deserialize)]
struct After {
    after: Option<String>,
}

async fn list(
    State(s): State<AppState>,
    me: Signed,
    axum::extract::Query(q): axum::extract::Query<After>,
) -> Page {
    let after = q.after.as_deref().map(path_id).transpose()?;
    list_page(&s, &me, after, Vec::new()).await
}

fn day(
    fields: &Fields,
    name: &str,
    errors: &mut Vec<crate::FieldError>,
) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(fields.get(name), "%Y-%m-%d")
        .map_err(|_| {
            errors.extend(
                crate::error::ApiError::field(name, DomainError::Format { what: "YYYY-MM-DD" })
                    .problem()
                    .errors,
            )
        })
        .ok()
}

async fn open(State(s): State<AppState>, Posted { me, fields }: Posted) -> Page {
    me.cx.reporting_bank()?;
    let mut errors = Vec::new();
    let mut wrong = |field: &str, e: DomainError| {
        errors.extend(crate::error::ApiError::field(field, e).problem().errors);
    };
    let product = fields
        .get("product_id")
        .parse::<i64>()
        .map_err(|_| wrong("product_id", DomainError::Format { what: "product" }))
        .ok();
    let uscc = Uscc::parse(fields.get("uscc"))
        .map_err(|e| wrong("uscc", e))
        .ok();
    let round = match fields.some("round_id") {
        None => Some(None),
        Some(r) => r
            .parse::<i64>()
            .map(Some)
            .map_err(|_| wrong("round_id", DomainError::Format { what: "round" }))
            .ok(),
    };
    let on = day(&fields, "contacted_on", &mut errors);
    let (Some(product), Some(uscc), Some(round), Some(on), true) =
        (product, uscc, round, on, errors.is_empty())
    else {
        return list_page(&s, &me, None, errors).await;
    };
    match s
        .service
        .open_outcome(&me.cx, product, uscc, round, on)
        .await
    {
        Ok(o) => Ok(Redirect::to(&format!("/outcomes/{}", o.id)).into_response()),
        Err(pledge_service::ServiceError::Invalid(errors)) => {
            list_page(&s, &me, None, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

struct StepLine {
    stage: &'static str,
    on: String,
    details: String,
}

#[derive(Template)]
#[template(path = "outcome.html")]
struct OutcomePage {
    f: Frame,
    o: OutcomeRecord,
    enterprise: String,
    product: String,
    steps: Vec<StepLine>,
    next: Vec<(&'static str, &'static str)>,
    reasons: Vec<(&'static str, &'static str)>,
    may_step: bool,
    errors: Vec<crate::FieldError>,
    today: String,
}

fn details(step: &Step) -> String {
    match step {
        Step::Approved {
            amount_fen,
            term_months,
            rate_bp,
            ..
        } => format!(
            "{}，{}个月，年利率{}%",
            wan(amount_fen.fen()),
            term_months,
            rate_bp.as_percent()
        ),
        Step::Disbursed { amount_fen, .. } => wan(amount_fen.fen()),
        Step::PledgeRegistered {
            registration_number,
            patents,
            trademarks,
            ..
        } => {
            let mut items: Vec<String> = patents.iter().map(ToString::to_string).collect();
            items.extend(trademarks.iter().map(|t| {
                format!(
                    "商标{}（第{}类）",
                    t.registration_number,
                    i64::from(t.nice_class)
                )
            }));
            format!("登记号{registration_number}：{}", items.join("、"))
        }
        Step::Declined { reason_code, .. } => reason_code.label_zh().to_string(),
        Step::Applied { .. } | Step::Repaid { .. } | Step::Defaulted { .. } => String::new(),
    }
}

async fn outcome_page(s: &AppState, me: &Signed, id: i64, errors: Vec<crate::FieldError>) -> Page {
    let o = s.service.outcome(&me.cx, id).await?;
    let mut steps = vec![StepLine {
        stage: OutcomeStage::Contacted.label_zh(),
        on: o.outcome.contacted_on.to_string(),
        details: String::new(),
    }];
    steps.extend(o.outcome.steps.iter().map(|st| StepLine {
        stage: st.stage().label_zh(),
        on: st.on().to_string(),
        details: details(st),
    }));
    let may_step = me.cx.may().report_outcomes && !o.outcome.is_closed();
    let names = s.service.outcome_names(&o);
    let refused = !errors.is_empty();
    Ok(super::form_page(
        &OutcomePage {
            f: me.frame("/outcomes"),
            enterprise: names.enterprise,
            product: names.product,
            steps,
            next: o
                .outcome
                .allowed()
                .iter()
                .map(|st| (st.as_str(), st.label_zh()))
                .collect(),
            reasons: DeclineReason::ALL
                .iter()
                .map(|r| (r.as_str(), r.label_zh()))
                .collect(),
            may_step,
            o,
            errors,
            today: me.cx.today().to_string(),
        },
        refused,
    ))
}

async fn one(State(s): State<AppState>, me: Signed, Path(id): Path<String>) -> Page {
    outcome_page(&s, &me, path_id(&id)?, Vec::new()).await
}

/// The step a form asks for, 万元 turned into 分 and % into basis points.
fn step_input(fields: &Fields, errors: &mut Vec<crate::FieldError>) -> Option<(i64, StepAsk)> {
    let mut wrong = |field: &str, e: DomainError| {
        errors.extend(crate::error::ApiError::field(field, e).problem().errors);
    };
    let version = fields
        .get("version")
        .parse::<i64>()
        .map_err(|_| wrong("version", DomainError::Format { what: "version" }))
        .ok();
    let on = chrono::NaiveDate::parse_from_str(fields.get("on"), "%Y-%m-%d")
        .map_err(|_| wrong("on", DomainError::Format { what: "YYYY-MM-DD" }))
        .ok();
    let amount = match fields.some("amount_wan") {
        None => Some(None),
        Some(w) => Money::from_wan(w)
            .map(|m| Some(m.fen()))
            .map_err(|e| wrong("amount_wan", e))
            .ok(),
    };
    let rate = match fields.some("rate_percent") {
        None => Some(None),
        Some(p) => BasisPoints::from_percent(p)
            .map(|r| Some(i64::from(r.get())))
            .map_err(|e| wrong("rate_percent", e))
            .ok(),
    };
    let term = match fields.some("term_months") {
        None => Some(None),
        Some(t) => t
            .parse::<i64>()
            .map(Some)
            .map_err(|_| wrong("term_months", DomainError::Format { what: "months" }))
            .ok(),
    };
    let mut trademarks = Vec::new();
    for (i, w) in fields.words("trademarks").iter().enumerate() {
        match w.split_once(['/', ':', '：']) {
            Some((n, c)) if c.parse::<i64>().is_ok() => {
                trademarks.push((n.to_string(), c.parse().unwrap_or(0)));
            }
            _ => wrong(
                &format!("trademarks[{i}]"),
                DomainError::Format {
                    what: "注册号/类别 registration number/class",
                },
            ),
        }
    }
    let (Some(version), Some(on), Some(amount_fen), Some(rate_bp), Some(term_months)) =
        (version, on, amount, rate, term)
    else {
        return None;
    };
    Some((
        version,
        StepAsk {
            step: fields.get("step").to_string(),
            on,
            amount_fen,
            term_months,
            rate_bp,
            registration_number: fields.some("registration_number").map(str::to_owned),
            patents: fields.words("patents"),
            trademarks,
            reason_code: fields.some("reason_code").map(str::to_owned),
        },
    ))
}

async fn take_step(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { me, fields }: Posted,
) -> Page {
    let id = path_id(&id)?;
    me.cx.reporting_bank()?;
    let mut errors = Vec::new();
    let input = step_input(&fields, &mut errors);
    let Some((version, input)) = input.filter(|_| errors.is_empty()) else {
        return outcome_page(&s, &me, id, errors).await;
    };
    let step = match input.step() {
        Ok(step) => step,
        Err(pledge_service::ServiceError::Invalid(errors)) => {
            return outcome_page(&s, &me, id, errors).await;
        }
        Err(e) => return Err(e.into()),
    };
    match s.service.take_outcome_step(&me.cx, id, version, step).await {
        Ok(_) => Ok(Redirect::to(&format!("/outcomes/{id}")).into_response()),
        Err(pledge_service::ServiceError::Invalid(errors)) => {
            outcome_page(&s, &me, id, errors).await
        }
        Err(e) => Err(e.into()),
    }
}
