//! Tables handed out as files: CSV (UTF-8 with BOM, which Excel and WPS open as such) or XLSX
//! (bold header row, frozen, column widths, dates and money in 万元 as real cells), streamed a page of
//! rows at a time so that no export is held whole in memory.

pub mod matches;
pub mod stats;
pub mod whitelist;

use crate::error::{ApiError, ApiResult};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};

/// A workbook as a download named `name`.
pub fn workbook(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// One cell.
#[derive(Debug, Clone)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// Money in 分, shown in 万元 (as ledgers write it), exact.
    Wan(i64),
    Date(Option<NaiveDate>),
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Self::Text(s) => s.clone(),
            Self::Int(n) => n.to_string(),
            Self::Wan(f) => {
                let frac = format!("{:06}", f % 1_000_000);
                let frac = frac.trim_end_matches('0');
                if frac.is_empty() {
                    (f / 1_000_000).to_string()
                } else {
                    format!("{}.{frac}", f / 1_000_000)
                }
            }
            Self::Date(d) => d.map(|d| d.to_string()).unwrap_or_default(),
        }
    }
}

/// A column: its header and width in characters.
pub type Column = (&'static str, f64);

/// The file formats a table is offered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// Parses `csv` or `xlsx`.
    pub fn parse(s: &str) -> Result<Self, pledge_domain::DomainError> {
        match s.trim() {
            "csv" => Ok(Self::Csv),
            "xlsx" => Ok(Self::Xlsx),
            other => Err(pledge_domain::DomainError::UnknownValue {
                value: other.into(),
                allowed: "xlsx, csv".into(),
            }),
        }
    }
}

/// Records as CSV text, no cell of which a spreadsheet would run as a formula.
fn csv_records<'a>(records: impl Iterator<Item = Vec<String>> + 'a) -> ApiResult<Vec<u8>> {
    let internal = |e: csv::Error| ApiError::Internal(format!("csv: {e}"));
    let mut out = Vec::new();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        for r in records {
            w.write_record(
                r.iter()
                    .map(|c| pledge_domain::csv_cell_written(c).into_owned()),
            )
            .map_err(internal)?;
        }
        w.flush()
            .map_err(|e| ApiError::Internal(format!("csv: {e}")))?;
    }
    Ok(out)
}

/// Rows arriving page by page, as a streamed export reads them from the store.
pub type Pages =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = ApiResult<Vec<Vec<Cell>>>> + Send + 'static>>;

/// The rows of `pages` as a download that never holds the whole table in memory: CSV is
/// written out page by page; XLSX is written in constant-memory mode to a temporary file,
/// which is then sent in chunks.
pub async fn stream_download(
    format: Format,
    stem: &str,
    sheet_name: &'static str,
    columns: Vec<Column>,
    pages: Pages,
) -> ApiResult<Response> {
    titled_download(format, stem, sheet_name, None, columns, pages).await
}

/// As [`stream_download`], with a title row above the header (a list's name, batch, validity
/// and day), as offices head the sheets they circulate; importers skip it.
pub async fn titled_download(
    format: Format,
    stem: &str,
    sheet_name: &'static str,
    title: Option<String>,
    columns: Vec<Column>,
    pages: Pages,
) -> ApiResult<Response> {
    use futures_util::StreamExt;
    let (body, mime, ext) = match format {
        Format::Csv => {
            let mut head = b"\xEF\xBB\xBF".to_vec();
            if let Some(t) = &title {
                head.extend(csv_records(std::iter::once(vec![t.clone()]))?);
            }
            head.extend(csv_records(std::iter::once(
                columns.iter().map(|c| c.0.to_owned()).collect(),
            ))?);
            let rows = pages.map(|page| {
                let page = page.inspect_err(|e| tracing::error!(error = ?e, "export stopped"))?;
                let text = csv_records(
                    page.iter()
                        .map(|r| r.iter().map(Cell::text).collect::<Vec<_>>()),
                )?;
                Ok::<_, ApiError>(axum::body::Bytes::from(text))
            });
            let first = futures_util::stream::once(async move {
                Ok::<_, ApiError>(axum::body::Bytes::from(head))
            });
            let body = axum::body::Body::from_stream(
                first
                    .chain(rows)
                    .map(|r| r.map_err(|e| std::io::Error::other(format!("{e:?}")))),
            );
            (body, "text/csv; charset=utf-8", "csv")
        }
        Format::Xlsx => {
            let file = xlsx_file(sheet_name, title, columns, pages).await?;
            let file = tokio::fs::File::from_std(file);
            let chunks = futures_util::stream::unfold(file, |mut f| async move {
                use tokio::io::AsyncReadExt;
                let mut buf = vec![0u8; 64 * 1024];
                match f.read(&mut buf).await {
                    Ok(0) => None,
                    Ok(n) => {
                        buf.truncate(n);
                        Some((Ok(axum::body::Bytes::from(buf)), f))
                    }
                    Err(e) => Some((Err(e), f)),
                }
            });
            (
                axum::body::Body::from_stream(chunks),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            )
        }
    };
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{stem}.{ext}\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// Writes the pages into an anonymous temporary file on a blocking thread, a page at a time.
async fn xlsx_file(
    sheet_name: &'static str,
    title: Option<String>,
    columns: Vec<Column>,
    mut pages: Pages,
) -> ApiResult<std::fs::File> {
    use futures_util::StreamExt;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Vec<Cell>>>(2);
    let writer = tokio::task::spawn_blocking(move || -> ApiResult<std::fs::File> {
        use rust_xlsxwriter::{ExcelDateTime, FormatAlign, Workbook};
        use std::io::{Seek, SeekFrom};
        let internal = |e: rust_xlsxwriter::XlsxError| ApiError::Internal(format!("xlsx: {e}"));
        let mut wb = Workbook::new();
        let sheet = wb.add_worksheet_with_constant_memory().map_err(internal)?;
        sheet.set_name(sheet_name).map_err(internal)?;
        let bold = rust_xlsxwriter::Format::new()
            .set_bold()
            .set_align(FormatAlign::Center)
            .set_background_color("#DDEBF7");
        let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        let wan = rust_xlsxwriter::Format::new().set_num_format("#,##0.00####");
        let header_row = u32::from(title.is_some());
        if let Some(t) = &title {
            let big = rust_xlsxwriter::Format::new()
                .set_bold()
                .set_font_size(14)
                .set_align(FormatAlign::Center);
            let last = columns.len().saturating_sub(1) as u16;
            sheet
                .merge_range(0, 0, 0, last, t, &big)
                .map_err(internal)?;
        }
        for (c, (h, width)) in columns.iter().enumerate() {
            sheet.set_column_width(c as u16, *width).map_err(internal)?;
            sheet
                .write_string_with_format(header_row, c as u16, *h, &bold)
                .map_err(internal)?;
        }
        sheet
            .set_freeze_panes(header_row + 1, 0)
            .map_err(internal)?;
        let mut row = header_row;
        while let Some(page) = rx.blocking_recv() {
            for r in page {
                row += 1;
                for (c, cell) in r.iter().enumerate() {
                    let c = c as u16;
                    match cell {
                        Cell::Text(s) if s.is_empty() => {}
                        Cell::Text(s) => {
                            sheet.write_string(row, c, s).map_err(internal)?;
                        }
                        Cell::Int(n) => {
                            sheet.write_number(row, c, *n as f64).map_err(internal)?;
                        }
                        Cell::Wan(f) => {
                            sheet
                                .write_number_with_format(row, c, *f as f64 / 1_000_000.0, &wan)
                                .map_err(internal)?;
                        }
                        Cell::Date(Some(d)) => {
                            let x = ExcelDateTime::from_ymd(
                                d.year() as u16,
                                d.month() as u8,
                                d.day() as u8,
                            )
                            .map_err(internal)?;
                            sheet
                                .write_datetime_with_format(row, c, &x, &date)
                                .map_err(internal)?;
                        }
                        Cell::Date(None) => {}
                    }
                }
            }
        }
        let mut file =
            tempfile::tempfile().map_err(|e| ApiError::Internal(format!("temp file: {e}")))?;
        wb.save_to_writer(&mut file).map_err(internal)?;
        file.seek(SeekFrom::Start(0))
            .map_err(|e| ApiError::Internal(format!("temp file: {e}")))?;
        Ok(file)
    });
    let mut failed = None;
    while let Some(page) = pages.next().await {
        match page {
            Ok(p) => {
                if tx.send(p).await.is_err() {
                    break;
                }
            }
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    drop(tx);
    let file = writer
        .await
        .map_err(|e| ApiError::Internal(format!("xlsx writer: {e}")))??;
    match failed {
        Some(e) => Err(e),
        None => Ok(file),
    }
}
