//! The financing figures as the sheet an office sends upwards (万元, % and days), the same
//! for the API's `format=xlsx` and the console's download.

use super::{Cell, Column, Format, titled_download};
use crate::error::ApiResult;
use axum::response::Response;
use pledge_service::{Figures, Stats, StatsRow};

const FIGURE_COLUMNS: &[Column] = &[
    ("在库企业", 10.0),
    ("匹配企业", 10.0),
    ("对接", 8.0),
    ("申请", 8.0),
    ("审批", 8.0),
    ("审批金额（万元）", 16.0),
    ("放款", 8.0),
    ("放款金额（万元）", 16.0),
    ("质押登记", 10.0),
    ("质押专利", 10.0),
    ("质押商标", 10.0),
    ("还款", 8.0),
    ("违约", 8.0),
    ("未通过", 8.0),
    ("首贷", 8.0),
    ("申请率", 10.0),
    ("审批率", 10.0),
    ("放款率", 10.0),
    ("入库至放款天数（中位数）", 22.0),
];

fn percent(bp: Option<u64>) -> Cell {
    Cell::Text(bp.map_or(String::new(), |b| format!("{}.{:02}%", b / 100, b % 100)))
}

fn figure_cells(f: &Figures) -> Vec<Cell> {
    let opt = |v: Option<u64>| v.map_or(Cell::Text(String::new()), |n| Cell::Int(n as i64));
    vec![
        opt(f.listed),
        opt(f.matched),
        Cell::Int(f.contacted as i64),
        Cell::Int(f.applied as i64),
        Cell::Int(f.approved as i64),
        Cell::Wan(f.approved_fen),
        Cell::Int(f.disbursed as i64),
        Cell::Wan(f.disbursed_fen),
        Cell::Int(f.pledges_registered as i64),
        Cell::Int(f.patents_pledged as i64),
        Cell::Int(f.trademarks_pledged as i64),
        Cell::Int(f.repaid as i64),
        Cell::Int(f.defaulted as i64),
        Cell::Int(f.declined as i64),
        opt(f.first_loans),
        percent(Figures::ratio_bp(f.applied, f.contacted)),
        percent(Figures::ratio_bp(f.approved, f.applied)),
        percent(Figures::ratio_bp(f.disbursed, f.approved)),
        Cell::Text(
            f.median_days_to_disbursement()
                .map_or(String::new(), |d| d.to_string()),
        ),
    ]
}

/// The sheet an office sends upwards: a title with the period, one row a group, the total.
pub async fn download(stats: &Stats, rows: &[StatsRow]) -> ApiResult<Response> {
    let mut columns: Vec<Column> = stats.by.iter().map(|d| (d.label_zh(), 18.0)).collect();
    columns.extend_from_slice(FIGURE_COLUMNS);
    let mut cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|row| {
            let mut r: Vec<Cell> = row
                .key
                .iter()
                .map(|k| Cell::Text(k.label.clone()))
                .collect();
            r.extend(figure_cells(&row.figures));
            r
        })
        .collect();
    let mut total: Vec<Cell> = stats
        .by
        .iter()
        .enumerate()
        .map(|(i, _)| {
            Cell::Text(if i == 0 {
                "合计".into()
            } else {
                String::new()
            })
        })
        .collect();
    total.extend(figure_cells(&stats.total));
    cells.push(total);
    let title = format!("知识产权质押融资统计（{}至{}）", stats.from, stats.to);
    let pages = futures_util::stream::once(async move { Ok(cells) });
    titled_download(
        Format::Xlsx,
        &format!("stats-{}-{}", stats.from, stats.to),
        "融资统计",
        Some(title),
        columns,
        Box::pin(pages),
    )
    .await
}
