//! A bank's applicant check in a page: upload its applicants' sheet, read for each what the
//! city knows and which of the bank's products it matches and why not.

use super::{Frame, Page, Signed, Uploaded, page, wan};
use crate::AppState;
use askama::Template;
use axum::extract::{DefaultBodyLimit, State};
use axum::routing::get;
use pledge_service::Checked;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route(
        "/applicants",
        get(form).post(check).layer(DefaultBodyLimit::disable()),
    )
}

/// One applicant as a line of the answer.
struct Line {
    code: String,
    status: &'static str,
    name: String,
    facts: String,
    products: Vec<String>,
}

#[derive(Template)]
#[template(path = "applicants.html")]
struct ChecksPage {
    f: Frame,
    checked: bool,
    lines: Vec<Line>,
}

async fn form(me: Signed) -> Page {
    me.cx.managing_bank(None)?;
    Ok(page(&ChecksPage {
        f: me.frame("/applicants"),
        checked: false,
        lines: Vec::new(),
    }))
}

async fn check(
    State(s): State<AppState>,
    Uploaded {
        me,
        file: (name, bytes),
        ..
    }: Uploaded,
) -> Page {
    me.cx.managing_bank(None)?;
    let codes = s.service.listed_usccs(name, bytes).await?;
    let lines = s
        .service
        .check_applicants(&me.cx, &codes)
        .await?
        .into_iter()
        .map(|(code, c)| match c {
            Checked::Unreadable(e) => Line {
                code,
                status: "代码有误",
                name: String::new(),
                facts: e.to_string(),
                products: Vec::new(),
            },
            Checked::NotListed(_) => Line {
                code,
                status: "不在白名单",
                name: String::new(),
                facts: String::new(),
                products: Vec::new(),
            },
            Checked::Listed(l) => Line {
                code,
                status: "在白名单",
                name: format!("{}（{}）", l.name, l.park),
                facts: format!(
                    "有效专利{}件，其中发明{}件，高价值{}件；资质：{}；风险：{}",
                    l.valid_patents,
                    l.valid_invention_patents,
                    l.high_value_patents,
                    if l.qualifications.is_empty() {
                        "无".into()
                    } else {
                        l.qualifications
                            .iter()
                            .map(|q| q.label_zh())
                            .collect::<Vec<_>>()
                            .join("、")
                    },
                    if l.risk_flags.is_empty() {
                        "无".into()
                    } else {
                        l.risk_flags
                            .iter()
                            .map(|q| q.label_zh())
                            .collect::<Vec<_>>()
                            .join("、")
                    },
                ),
                products: l
                    .products
                    .iter()
                    .map(|p| {
                        let name = p.product_name.clone().unwrap_or_default();
                        if p.evaluation.eligible {
                            format!(
                                "{name}：符合，授信额度{}",
                                wan(p.evaluation.credit_line.fen())
                            )
                        } else {
                            let why: Vec<String> = p
                                .evaluation
                                .reasons
                                .iter()
                                .map(|r| r.messages().0)
                                .collect();
                            format!("{name}：不符合（{}）", why.join("；"))
                        }
                    })
                    .collect(),
            },
        })
        .collect();
    Ok(page(&ChecksPage {
        f: me.frame("/applicants"),
        checked: true,
        lines,
    }))
}
