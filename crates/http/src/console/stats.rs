//! Financing figures in pages (融资统计): a period, a grouping, the table in 万元 and %, charts
//! by month, bank and park, and the sheet to send upwards.

use super::{Frame, Page, Signed, figures, wan_figure};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use pledge_service::{Dimension, Figures, OutcomeFilter, Stats, StatsAsk};

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/stats", axum::routing::get(stats))
        .route("/stats.xlsx", axum::routing::get(sheet))
}

/// One row of the table, as people read it.
struct Line {
    label: String,
    contacted: u64,
    applied: u64,
    approved: u64,
    approved_wan: String,
    disbursed: u64,
    disbursed_wan: String,
    pledges: u64,
    ip: u64,
    first_loans: String,
    conversion: String,
    median_days: String,
}

fn percent(bp: Option<u64>) -> String {
    bp.map_or("—".into(), |b| format!("{}.{:02}%", b / 100, b % 100))
}

fn line(label: String, f: &Figures) -> Line {
    Line {
        label,
        contacted: f.contacted,
        applied: f.applied,
        approved: f.approved,
        approved_wan: wan_figure(f.approved_fen),
        disbursed: f.disbursed,
        disbursed_wan: wan_figure(f.disbursed_fen),
        pledges: f.pledges_registered,
        ip: f.patents_pledged + f.trademarks_pledged,
        first_loans: f.first_loans.map_or("—".into(), |n| n.to_string()),
        conversion: percent(Figures::ratio_bp(f.disbursed, f.contacted)),
        median_days: f
            .median_days_to_disbursement()
            .map_or("—".into(), |d| d.to_string()),
    }
}

#[derive(Template)]
#[template(path = "stats.html")]
struct StatsPage {
    f: Frame,
    from: String,
    to: String,
    by: String,
    dimensions: Vec<(&'static str, &'static str)>,
    lines: Vec<Line>,
    total: Line,
    listed: String,
    matched: String,
    charts: Vec<String>,
    query: String,
}

/// Whole 万元 of each row's approvals and disbursements, for a chart.
async fn chart(
    s: &AppState,
    me: &Signed,
    title: &str,
    base: &Stats,
    by: Dimension,
) -> Result<String, super::Oops> {
    let stats = s
        .service
        .stats(
            &me.cx,
            base.from,
            base.to,
            vec![by],
            OutcomeFilter::default(),
        )
        .await?;
    let rows: Vec<(String, Vec<u64>)> = s
        .service
        .stats_rows(&me.cx, &stats)
        .await?
        .into_iter()
        .map(|row| {
            let whole = |fen: i64| (fen.max(0) as u64) / 1_000_000;
            let f = &row.figures;
            (
                row.label(),
                vec![whole(f.approved_fen), whole(f.disbursed_fen)],
            )
        })
        .collect();
    Ok(figures::bars(
        title,
        &["审批（万元）", "放款（万元）"],
        &rows,
    ))
}

async fn stats(
    State(s): State<AppState>,
    me: Signed,
    axum::extract::Query(q): axum::extract::Query<StatsAsk>,
) -> Page {
    let stats = s.service.stats_asked(&me.cx, &q).await?;
    let lines = s
        .service
        .stats_rows(&me.cx, &stats)
        .await?
        .iter()
        .map(|row| line(row.label(), &row.figures))
        .collect();
    let mut charts = vec![chart(&s, &me, "按月：审批与放款金额", &stats, Dimension::Month).await?];
    if me.cx.may().see_other_banks {
        charts.push(chart(&s, &me, "按银行：审批与放款金额", &stats, Dimension::Bank).await?);
    }
    if me.cx.may().choose_park {
        charts.push(chart(&s, &me, "按园区：审批与放款金额", &stats, Dimension::Park).await?);
    }
    let by = stats
        .by
        .iter()
        .map(|d| d.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let count = |n: Option<u64>| n.map_or("—".into(), |n| n.to_string());
    let page = StatsPage {
        f: me.frame("/stats"),
        from: stats.from.to_string(),
        to: stats.to.to_string(),
        query: format!("from={}&to={}&by={by}", stats.from, stats.to),
        by,
        dimensions: Dimension::ALL
            .iter()
            .map(|d| (d.as_str(), d.label_zh()))
            .collect(),
        lines,
        total: line("合计".into(), &stats.total),
        listed: count(stats.total.listed),
        matched: count(stats.total.matched),
        charts,
    };
    Ok(super::page(&page))
}

async fn sheet(
    State(s): State<AppState>,
    me: Signed,
    axum::extract::Query(q): axum::extract::Query<StatsAsk>,
) -> Page {
    let stats = s.service.stats_asked(&me.cx, &q).await?;
    let rows = s.service.stats_rows(&me.cx, &stats).await?;
    Ok(crate::sheet::stats::download(&stats, &rows).await?)
}
