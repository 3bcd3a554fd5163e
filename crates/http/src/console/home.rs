//! Each role's home page: what needs doing, and the figures of its scope.

use super::{Frame, Page, Signed, figures, page, wan};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::routing::get;
use pledge_domain::{BatchStatus, EntryStatus, ProductStatus};
use pledge_service::{
    Context, EntryFilter, ImportJob, JobState, Lapse, MatchFilter, Role, Service,
};

/// How far ahead a park official is reminded of fees and appraisals ending.
const LAPSING_DAYS: u64 = 60;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/", get(home))
}

/// An import job as a line of a list.
pub struct JobLine {
    pub id: i64,
    pub file: String,
    pub state: &'static str,
    pub rejected: u64,
    pub started: String,
}

pub fn job_state_zh(state: JobState) -> &'static str {
    match state {
        JobState::Running => "进行中",
        JobState::Done => "已完成",
        JobState::Failed => "失败",
        JobState::Interrupted => "已中断",
    }
}

impl From<&ImportJob> for JobLine {
    fn from(j: &ImportJob) -> Self {
        Self {
            id: j.id,
            file: j.file.clone(),
            state: job_state_zh(j.state),
            rejected: j.report.as_ref().map_or(0, |r| r.total.rejected),
            started: super::local_time(j.started_at),
        }
    }
}

/// A rejected cell of the latest import.
pub struct Rejected {
    pub job: i64,
    pub sheet: String,
    pub row: u32,
    pub column: String,
    pub value: String,
    pub message: String,
}

/// An entry as a line of a list.
pub struct EntryLine {
    pub uscc: String,
    pub name: String,
    pub batch: String,
    pub reason: String,
}

/// How many entries of `status` the caller sees ("500+" past a page).
async fn count(s: &Service, cx: &Context, status: EntryStatus) -> Result<String, super::Oops> {
    let filter = EntryFilter {
        statuses: vec![status],
        ..Default::default()
    };
    let p = s.entries(cx, filter, None, 500).await?;
    Ok(if p.next.is_some() {
        "500+".into()
    } else {
        p.items.len().to_string()
    })
}

#[derive(Template)]
#[template(path = "home_park.html")]
struct ParkHome {
    f: Frame,
    registered: u32,
    listed: u32,
    matched: u32,
    nominated: String,
    jobs: Vec<JobLine>,
    rejected: Vec<Rejected>,
    suspended: Vec<EntryLine>,
    lapsing: Vec<LapsingLine>,
    /// Enterprises one criterion short of the list: (USCC, name, what is missing).
    one_short: Vec<(String, String, String)>,
}

/// A patent with a fee or an appraisal lapsing soon.
pub struct LapsingLine {
    pub uscc: String,
    pub enterprise: String,
    pub number: String,
    pub title: String,
    pub what: &'static str,
    pub on: String,
}

#[derive(Template)]
#[template(path = "home_office.html")]
struct OfficeHome {
    f: Frame,
    nominated: String,
    drafts: Vec<(i64, String, String)>,
    jobs: Vec<JobLine>,
    by_park: String,
    by_month: String,
    totals: (u32, u32, u32),
}

/// A product as a line of the bank's list.
pub struct ProductLine {
    pub id: i64,
    pub name: String,
    pub status: &'static str,
    pub amounts: String,
    pub matched: String,
}

#[derive(Template)]
#[template(path = "home_bank.html")]
struct BankHome {
    f: Frame,
    products: Vec<ProductLine>,
    by_park: String,
    news: Vec<News>,
}

/// One event since the person's last visit, as they read it.
struct News {
    at: String,
    what: String,
    link: Option<String>,
}

/// How many events a home page lists since the last visit.
const NEWS: u64 = 50;

/// The bank's events since the person last looked, newest first; they are then seen.
async fn news(svc: &Service, cx: &Context) -> Result<Vec<News>, super::Oops> {
    let mut out: Vec<News> = svc
        .new_events(cx, NEWS)
        .await?
        .into_iter()
        .map(|e| {
            let d = &e.payload;
            let text = |k: &str| d[k].as_str().unwrap_or("").to_string();
            let matched = |verb: &str| {
                (
                    format!(
                        "{}{verb}产品“{}”",
                        text("enterprise_name"),
                        text("product_name")
                    ),
                    Some(format!(
                        "/products/{}/matches/{}",
                        d["product_id"],
                        text("uscc")
                    )),
                )
            };
            let (what, link) = match e.event.as_str() {
                "match.gained" => matched("新匹配"),
                "match.lost" => matched("不再匹配"),
                _ => (
                    format!("白名单“{}”发布，{}家企业", text("name"), d["entries"]),
                    Some("/whitelist".to_string()),
                ),
            };
            News {
                at: super::local_time(e.created_at),
                what,
                link,
            }
        })
        .collect();
    out.reverse();
    Ok(out)
}

/// The products the caller sees, each with how many listed enterprises it matches now.
pub fn product_lines(s: &Service, cx: &Context) -> Vec<ProductLine> {
    s.products(cx)
        .into_iter()
        .map(|p| {
            let matched = if p.status == ProductStatus::Published {
                let q = MatchFilter {
                    limit: 1,
                    ..Default::default()
                };
                s.matches(cx, p.id, q)
                    .ok()
                    .and_then(|m| m.total)
                    .map_or_else(|| "—".into(), |t| t.to_string())
            } else {
                "—".into()
            };
            ProductLine {
                id: p.id,
                name: p.rules.name.to_string(),
                status: p.status.label_zh(),
                amounts: format!(
                    "{} – {}",
                    wan(p.rules.amount_min.fen()),
                    wan(p.rules.amount_max.fen())
                ),
                matched,
            }
        })
        .collect()
}

fn entry_line(e: pledge_service::EntryRecord) -> EntryLine {
    EntryLine {
        uscc: e.uscc.to_string(),
        name: e.enterprise_name,
        batch: e.batch_name,
        reason: e.reason,
    }
}

async fn home(State(s): State<AppState>, me: Signed) -> Page {
    let f = me.frame("/");
    let cx = &me.cx;
    let svc = &s.service;
    match me.role() {
        Role::Park => {
            let figures = svc.park_figures(cx, None)?;
            let own = figures.values().copied().next().unwrap_or_default();
            let jobs = svc.recent_imports(cx, 5).await?;
            let rejected = jobs
                .iter()
                .find_map(|j| j.report.as_ref().map(|r| (j.id, r)))
                .map(|(job, r)| {
                    r.rejections
                        .iter()
                        .take(20)
                        .map(|p| Rejected {
                            job,
                            sheet: p.sheet.clone(),
                            row: p.row,
                            column: p.column.clone(),
                            value: p.value.clone(),
                            message: p.message.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let suspended = svc
                .entries(
                    cx,
                    EntryFilter {
                        statuses: vec![EntryStatus::Suspended],
                        ..Default::default()
                    },
                    None,
                    50,
                )
                .await?
                .items
                .into_iter()
                .map(entry_line)
                .collect();
            let lapsing = svc
                .lapsing_soon(cx, LAPSING_DAYS)
                .await?
                .into_iter()
                .map(|l| LapsingLine {
                    uscc: l.uscc,
                    enterprise: l.enterprise,
                    number: l.number,
                    title: l.title,
                    what: match l.lapse {
                        Lapse::AnnualFee => "年费缴至",
                        Lapse::Appraisal => "评估有效期至",
                    },
                    on: l.on.to_string(),
                })
                .collect();
            let one_short = svc
                .criteria_near_misses(cx, 20)
                .await?
                .into_iter()
                .map(|(uscc, name, f)| {
                    let zh = f.message.split(" / ").next().unwrap_or_default().to_owned();
                    (uscc.to_string(), name, zh)
                })
                .collect();
            Ok(page(&ParkHome {
                f,
                registered: own.registered,
                listed: own.listed,
                matched: own.matched,
                nominated: count(svc, cx, EntryStatus::Nominated).await?,
                jobs: jobs.iter().map(JobLine::from).collect(),
                rejected,
                suspended,
                lapsing,
                one_short,
            }))
        }
        Role::Office => {
            let figures = svc.park_figures(cx, None)?;
            let totals = figures.values().fold((0, 0, 0), |t, f| {
                (t.0 + f.registered, t.1 + f.listed, t.2 + f.matched)
            });
            let rows: Vec<(String, Vec<u64>)> = figures
                .iter()
                .map(|(p, f)| (p.to_string(), vec![f.listed.into(), f.matched.into()]))
                .collect();
            let drafts = svc
                .batches(cx)
                .await?
                .into_iter()
                .filter(|b| b.status == BatchStatus::Draft)
                .map(|b| (b.id, b.name.to_string(), b.valid_until.to_string()))
                .collect();
            let jobs = svc.recent_imports(cx, 5).await?;
            let months: Vec<(String, Vec<u64>)> = svc
                .published_by_month(cx)
                .await?
                .into_iter()
                .map(|(m, n)| (m, vec![n]))
                .collect();
            Ok(page(&OfficeHome {
                by_month: figures::bars("近十二个月每月新入围企业数", &["新入围"], &months),
                f,
                nominated: count(svc, cx, EntryStatus::Nominated).await?,
                drafts,
                jobs: jobs.iter().map(JobLine::from).collect(),
                by_park: figures::bars(
                    "各园区入围与匹配企业数",
                    &["入围白名单", "匹配至少一款产品"],
                    &rows,
                ),
                totals,
            }))
        }
        Role::Bank => {
            let figures = svc.park_figures(cx, None)?;
            let rows: Vec<(String, Vec<u64>)> = figures
                .iter()
                .filter(|(_, f)| f.listed > 0)
                .map(|(p, f)| (p.to_string(), vec![f.listed.into(), f.matched.into()]))
                .collect();
            Ok(page(&BankHome {
                f,
                news: news(svc, cx).await?,
                products: product_lines(svc, cx),
                by_park: figures::bars(
                    "各园区白名单企业与本行产品匹配数",
                    &["入围白名单", "匹配本行产品"],
                    &rows,
                ),
            }))
        }
    }
}
