//! The white list as officials circulate it: a batch, or the list in force on a day, titled
//! with what it is and the day its figures are for; the same for the API and the console.

use super::{Cell, Column, Format, titled_download};
use crate::error::ApiResult;
use axum::response::Response;
use chrono::NaiveDate;
use pledge_service::{Context, ExportRow, Service};

/// The columns officials circulate, with their widths.
const COLUMNS: [Column; 13] = [
    ("序号", 6.0),
    ("企业名称", 36.0),
    ("统一社会信用代码", 22.0),
    ("园区代码", 10.0),
    ("所属园区", 26.0),
    ("行业代码", 10.0),
    ("所属行业", 24.0),
    ("有效发明专利数", 14.0),
    ("高价值发明专利数", 16.0),
    ("资质", 40.0),
    ("入选日期", 12.0),
    ("批次", 36.0),
    ("状态", 10.0),
];

fn export_cells(rows: &[ExportRow]) -> Vec<Vec<Cell>> {
    rows.iter()
        .enumerate()
        .map(|(i, r)| {
            vec![
                Cell::Int(i as i64 + 1),
                Cell::Text(r.enterprise_name.clone()),
                Cell::Text(r.uscc.clone()),
                Cell::Text(r.park_code.clone()),
                Cell::Text(r.park_name.clone()),
                Cell::Text(r.industry.clone()),
                Cell::Text(r.industry_name.clone()),
                Cell::Int(i64::from(r.valid_invention_patents)),
                Cell::Int(i64::from(r.high_value_invention_patents)),
                Cell::Text(r.qualifications.join("、")),
                Cell::Date(r.listed_on),
                Cell::Text(r.batch_name.clone()),
                Cell::Text(r.status.label_zh().into()),
            ]
        })
        .collect()
}

/// A list of entries as a titled download. A list is of hundreds or thousands: read whole,
/// written out as exports are.
async fn list_download(
    format: Format,
    stem: &str,
    title: String,
    rows: &[ExportRow],
) -> ApiResult<Response> {
    let cells = export_cells(rows);
    let pages = futures_util::stream::once(async move { Ok(cells) });
    titled_download(
        format,
        stem,
        "白名单",
        Some(title),
        COLUMNS.to_vec(),
        Box::pin(pages),
    )
    .await
}

/// Batch `id` as the caller may see it (a bank: its published entries; a park: its own park's),
/// with patent counts as of `as_of`.
pub async fn batch(
    service: &Service,
    cx: &Context,
    id: i64,
    format: Format,
    as_of: NaiveDate,
) -> ApiResult<Response> {
    let (batch, rows) = service.batch_rows(cx, id, as_of).await?;
    let title = format!(
        "{}（第{}批，{}，有效期至{}，数据截至{as_of}）",
        batch.name,
        batch.id,
        batch.status.label_zh(),
        batch.valid_until
    );
    list_download(format, &format!("whitelist-{}", batch.id), title, &rows).await
}

/// Every entry in force on `as_of`, across batches, as the caller may see them.
pub async fn current(
    service: &Service,
    cx: &Context,
    format: Format,
    as_of: NaiveDate,
) -> ApiResult<Response> {
    let rows = service.current_rows(cx, as_of).await?;
    let title = format!(
        "知识产权金融普惠企业白名单（{as_of}在册，共{}家）",
        rows.len()
    );
    list_download(format, &format!("whitelist-{as_of}"), title, &rows).await
}
