//! Enterprises: the list a park official or the office searches, and one enterprise's page
//! with its IP (derived status and reasons), appraisals, white-list history and every
//! product's verdict with what is missing.

use super::{Frame, Oops, Page, Posted, Signed, page, wan};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use chrono::NaiveDate;
use pledge_domain::{DerivedStatus, Patent, Uscc};
use pledge_service::{EnterpriseFilter, EntryFilter};
use serde::Deserialize;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/enterprises", get(list))
        .route("/enterprises/{uscc}", get(one))
        .route("/enterprises/{uscc}/consents", post(record_consent))
        .route(
            "/enterprises/{uscc}/consents/{id}/withdraw",
            post(withdraw_consent),
        )
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    q: String,
    /// The office: one park.
    #[serde(default)]
    park: String,
    /// An industry code prefix (GB/T 4754: `C`, `C35`).
    #[serde(default)]
    industry: String,
    /// A region code prefix (`4107`).
    #[serde(default)]
    region: String,
    #[serde(default)]
    after: Option<i64>,
}

struct Line {
    uscc: String,
    name: String,
    park: String,
    industry: String,
    founded: String,
}

#[derive(Template)]
#[template(path = "enterprises.html")]
struct ListPage {
    f: Frame,
    q: String,
    park: String,
    industry: String,
    region: String,
    parks: Vec<String>,
    lines: Vec<Line>,
    next: Option<i64>,
}

async fn list(State(s): State<AppState>, me: Signed, Query(q): Query<ListQuery>) -> Page {
    let q_text = q.q.trim().to_owned();
    if let Ok(uscc) = Uscc::parse(&q_text) {
        return Ok(Redirect::to(&format!("/enterprises/{uscc}")).into_response());
    }
    let bad = |field: &str| Oops::invalid(field, "只能填写字母和数字 / letters and digits only");
    let prefix = |field: &str, v: &str| -> Result<Option<String>, Oops> {
        let v = v.trim();
        if v.is_empty() {
            Ok(None)
        } else if v.len() <= 12 && v.chars().all(|c| c.is_ascii_alphanumeric()) {
            Ok(Some(v.to_ascii_uppercase()))
        } else {
            Err(bad(field))
        }
    };
    let park = match q.park.trim() {
        "" => None,
        p => Some(pledge_domain::ParkCode::parse(p).map_err(|_| bad("park"))?),
    };
    let filter = EnterpriseFilter {
        name_contains: Some(q_text.clone()).filter(|t| !t.is_empty()),
        park,
        industry_prefix: prefix("industry", &q.industry)?,
        region_prefix: prefix("region", &q.region)?,
    };
    let parks = super::park_choices(&s, &me).await?;
    let p = s.service.enterprises(&me.cx, filter, q.after, 50).await?;
    let lines = p
        .items
        .into_iter()
        .map(|r| {
            let e = r.record.value;
            Line {
                uscc: e.uscc.to_string(),
                name: e.name.to_string(),
                park: e.park.to_string(),
                industry: format!("{} {}", e.industry.as_str(), e.industry.name_zh()),
                founded: e.founded_on.to_string(),
            }
        })
        .collect();
    Ok(page(&ListPage {
        f: me.frame("/enterprises"),
        q: q_text,
        park: q.park.trim().to_owned(),
        industry: q.industry.trim().to_owned(),
        region: q.region.trim().to_owned(),
        parks,
        lines,
        next: p.next,
    }))
}

/// A patent's status on a day, in words.
fn status_zh(s: DerivedStatus) -> String {
    match s {
        DerivedStatus::Recorded(l) => l.label_zh().into(),
        DerivedStatus::FeeGrace { grace_ends, .. } => {
            format!("年费宽限期内（{grace_ends}前须补缴），不可质押")
        }
        DerivedStatus::FeeLapsed { lapsed_on, .. } => format!("未缴年费终止（{lapsed_on}）"),
        DerivedStatus::TermEnded { expiry } => format!("期限届满（{expiry}）"),
    }
}

struct PatentLine {
    number: String,
    title: String,
    kind: &'static str,
    status: String,
    fee_paid_until: String,
    appraisal: String,
    pledged: bool,
    why_not: String,
}

fn patent_line(p: &Patent, today: NaiveDate) -> PatentLine {
    PatentLine {
        number: p.application_number.to_string(),
        title: p.title.to_string(),
        kind: p.application_number.kind().label_zh(),
        status: status_zh(p.status_on(today)),
        fee_paid_until: p
            .annual_fee_paid_until
            .map_or_else(|| "未知".into(), |d| d.to_string()),
        appraisal: p.valid_appraisal(today).map_or_else(
            || "无有效评估".into(),
            |a| {
                format!(
                    "{}（{}，至{}）",
                    wan(a.amount.fen()),
                    a.appraiser,
                    a.valid_until
                )
            },
        ),
        pledged: p.is_pledged(today),
        why_not: p.not_valid_because(today).unwrap_or_default(),
    }
}

struct TrademarkLine {
    number: String,
    name: String,
    valid_until: String,
    appraisal: String,
    pledged: bool,
}

struct HistoryLine {
    batch_id: i64,
    batch: String,
    status: &'static str,
    nominated_by: String,
    reason: String,
    published_on: String,
}

struct Verdict {
    product_id: i64,
    product: String,
    eligible: bool,
    credit_line: String,
    missing: Vec<String>,
}

/// A consent as a line of the enterprise's page.
struct ConsentLine {
    id: i64,
    bank: String,
    period: String,
    evidence: String,
    withdrawn: Option<String>,
}

#[derive(Template)]
#[template(path = "enterprise.html")]
struct OnePage {
    f: Frame,
    consents: Vec<ConsentLine>,
    /// Whether the person may record and withdraw consents (the office, the park).
    writes: bool,
    uscc: String,
    name: String,
    park: String,
    region: String,
    industry: String,
    founded: String,
    size: &'static str,
    need: String,
    contact: String,
    qualifications: Vec<String>,
    risks: Vec<String>,
    patents: Vec<PatentLine>,
    trademarks: Vec<TrademarkLine>,
    history: Vec<HistoryLine>,
    verdicts: Vec<Verdict>,
    today: String,
}

async fn one(State(s): State<AppState>, me: Signed, Path(raw): Path<String>) -> Page {
    // An unreadable code is as unknown as one nobody registered.
    let uscc = Uscc::parse(&raw).map_err(|_| Oops::not_found())?;
    let cx = &me.cx;
    let today = cx.today();
    let seen = s.service.enterprise(cx, &uscc).await?;
    let withheld = seen.contact_withheld;
    let e = seen.record.value;
    let patents = s
        .service
        .patents_of(cx, &uscc, None, 500, today)
        .await?
        .items
        .iter()
        .map(|p| patent_line(&p.value, today))
        .collect();
    let trademarks = s
        .service
        .trademarks_of(cx, &uscc, None, 500)
        .await?
        .items
        .iter()
        .map(|t| {
            let t = &t.value;
            TrademarkLine {
                number: format!("{}/{}", t.registration_number, t.nice_class.get()),
                name: t.name.to_string(),
                valid_until: t.valid_until.to_string(),
                appraisal: t.valid_appraisal(today).map_or_else(
                    || "无有效评估".into(),
                    |a| format!("{}（至{}）", wan(a.amount.fen()), a.valid_until),
                ),
                pledged: t.pledge.is_some(),
            }
        })
        .collect();
    let (history, verdicts) = if !me.cx.may().see_unlisted {
        (Vec::new(), Vec::new())
    } else {
        let filter = EntryFilter {
            enterprise: Some(uscc),
            ..Default::default()
        };
        let history = s
            .service
            .entries(cx, filter, None, 100)
            .await?
            .items
            .into_iter()
            .map(|h| HistoryLine {
                batch_id: h.batch_id,
                batch: h.batch_name,
                status: h.status.label_zh(),
                nominated_by: h.nominated_by,
                reason: h.reason,
                published_on: h.published_on.map(|d| d.to_string()).unwrap_or_default(),
            })
            .collect();
        let verdicts = s
            .service
            .enterprise_matches(cx, &uscc)?
            .into_iter()
            .map(|v| Verdict {
                product_id: v.evaluation.product_id,
                product: v.product_name.unwrap_or_default(),
                eligible: v.evaluation.eligible,
                credit_line: wan(v.evaluation.credit_line.fen()),
                missing: v
                    .evaluation
                    .reasons
                    .iter()
                    .map(|r| r.messages().0)
                    .collect(),
            })
            .collect();
        (history, verdicts)
    };
    let contact = e.contact.as_ref().map_or_else(
        || "未提供".into(),
        |c| {
            let phone = c.phone.clone().unwrap_or_default();
            if withheld {
                format!("{} {phone}（未获企业授权）", c.name)
            } else {
                format!("{} {phone}", c.name)
            }
        },
    );
    let consents = if !me.cx.may().see_unlisted {
        Vec::new()
    } else {
        s.service
            .consents(cx, &uscc)
            .await?
            .into_iter()
            .map(|c| ConsentLine {
                id: c.id,
                bank: c.bank.map_or_else(|| "全部银行".into(), |b| b.to_string()),
                period: format!(
                    "{} 至 {}",
                    c.valid_from,
                    c.valid_until
                        .map_or_else(|| "撤回为止".into(), |d| d.to_string())
                ),
                evidence: match (c.evidence_reference, c.evidence_date) {
                    (Some(r), Some(d)) => format!("{r}（{d}签署）"),
                    _ => "台账标注，凭证未登记".into(),
                },
                withdrawn: c.withdrawn_at.map(|t| {
                    format!(
                        "{} 由 {} 撤回",
                        super::local_time(t),
                        c.withdrawn_by.unwrap_or_default()
                    )
                }),
            })
            .collect()
    };
    Ok(page(&OnePage {
        f: me.frame("/enterprises"),
        consents,
        writes: me.cx.may().write_registry,
        today: today.to_string(),
        uscc: uscc.to_string(),
        name: e.name.to_string(),
        park: e.park.to_string(),
        region: e.region.as_str().to_owned(),
        industry: format!("{} {}", e.industry.as_str(), e.industry.name_zh()),
        founded: e.founded_on.to_string(),
        size: e.size.label_zh(),
        need: e.financing_need.as_ref().map_or_else(
            || "未填报".into(),
            |n| format!("{}，{}个月", wan(n.amount.fen()), n.term_months),
        ),
        contact,
        qualifications: e
            .qualifications
            .iter()
            .map(|q| {
                format!(
                    "{}（{}）",
                    q.kind.label_zh(),
                    q.valid_until
                        .map_or_else(|| "有效期未知".into(), |d| format!("至{d}"))
                )
            })
            .collect(),
        risks: e
            .risk_flags
            .iter()
            .map(|r| format!("{}（{}记录）", r.kind.label_zh(), r.recorded_on))
            .collect(),
        patents,
        trademarks,
        history,
        verdicts,
    }))
}

async fn record_consent(
    State(s): State<AppState>,
    Path(raw): Path<String>,
    Posted { me, fields }: Posted,
) -> Page {
    let uscc = Uscc::parse(&raw).map_err(|_| Oops::not_found())?;
    let day = |name: &str| chrono::NaiveDate::parse_from_str(fields.get(name), "%Y-%m-%d");
    let bank = fields
        .some("bank")
        .map(pledge_domain::BankCode::parse)
        .transpose()
        .map_err(|_| Oops::invalid("bank", "银行代码无效"))?;
    let c = pledge_service::NewConsent {
        bank,
        valid_from: day("valid_from").map_err(|_| Oops::invalid("valid_from", "请填写起始日期"))?,
        valid_until: match fields.some("valid_until") {
            None => None,
            Some(_) => Some(
                day("valid_until")
                    .map_err(|_| Oops::invalid("valid_until", "截止日期格式为年-月-日"))?,
            ),
        },
        evidence_reference: fields.get("evidence_reference").to_owned(),
        evidence_date: day("evidence_date")
            .map_err(|_| Oops::invalid("evidence_date", "请填写授权书签署日期"))?,
    };
    s.service.record_consent(&me.cx, &uscc, c).await?;
    Ok(Redirect::to(&format!("/enterprises/{uscc}#consents")).into_response())
}

async fn withdraw_consent(
    State(s): State<AppState>,
    Path((raw, id)): Path<(String, String)>,
    Posted { me, fields }: Posted,
) -> Page {
    let uscc = Uscc::parse(&raw).map_err(|_| Oops::not_found())?;
    let id = super::path_id(&id)?;
    let reason = fields.some("reason").map(str::to_owned);
    s.service
        .withdraw_consent(&me.cx, &uscc, id, reason)
        .await?;
    Ok(Redirect::to(&format!("/enterprises/{uscc}#consents")).into_response())
}
