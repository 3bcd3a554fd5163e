//! Tables handed out as files: CSV (UTF-8 with BOM, which Excel and WPS open as such) or XLSX
//! (bold header row, frozen, column widths, dates and money as real cells).

use crate::error::{ApiError, ApiResult};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};

/// One cell.
#[derive(Debug, Clone)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// Money in 分, shown in 元 with two decimals.
    Fen(i64),
    Date(Option<NaiveDate>),
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Self::Text(s) => s.clone(),
            Self::Int(n) => n.to_string(),
            Self::Fen(f) => format!("{}.{:02}", f / 100, f % 100),
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

fn csv(columns: &[Column], rows: &[Vec<Cell>]) -> ApiResult<Vec<u8>> {
    let internal = |e: csv::Error| ApiError::Internal(format!("csv: {e}"));
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(columns.iter().map(|c| c.0))
            .map_err(internal)?;
        for r in rows {
            w.write_record(r.iter().map(Cell::text)).map_err(internal)?;
        }
        w.flush()
            .map_err(|e| ApiError::Internal(format!("csv: {e}")))?;
    }
    Ok(out)
}

fn xlsx(sheet_name: &str, columns: &[Column], rows: &[Vec<Cell>]) -> ApiResult<Vec<u8>> {
    use rust_xlsxwriter::{ExcelDateTime, FormatAlign, Workbook};
    let internal = |e: rust_xlsxwriter::XlsxError| ApiError::Internal(format!("xlsx: {e}"));
    let mut wb = Workbook::new();
    let sheet = wb.add_worksheet();
    sheet.set_name(sheet_name).map_err(internal)?;
    let bold = rust_xlsxwriter::Format::new()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_background_color("#DDEBF7");
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    let money = rust_xlsxwriter::Format::new().set_num_format("#,##0.00");
    for (c, (h, width)) in columns.iter().enumerate() {
        let c = c as u16;
        sheet
            .write_string_with_format(0, c, *h, &bold)
            .map_err(internal)?;
        sheet.set_column_width(c, *width).map_err(internal)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(internal)?;
    for (i, r) in rows.iter().enumerate() {
        let row = (i + 1) as u32;
        for (c, cell) in r.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(s) => {
                    sheet.write_string(row, c, s).map_err(internal)?;
                }
                Cell::Int(n) => {
                    sheet.write_number(row, c, *n as f64).map_err(internal)?;
                }
                Cell::Fen(f) => {
                    sheet
                        .write_number_with_format(row, c, *f as f64 / 100.0, &money)
                        .map_err(internal)?;
                }
                Cell::Date(Some(d)) => {
                    let x =
                        ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
                            .map_err(internal)?;
                    sheet
                        .write_datetime_with_format(row, c, &x, &date)
                        .map_err(internal)?;
                }
                Cell::Date(None) => {}
            }
        }
    }
    wb.save_to_buffer().map_err(internal)
}

/// The table as a download named `stem` plus the format's extension.
pub fn download(
    format: Format,
    stem: &str,
    sheet_name: &str,
    columns: &[Column],
    rows: &[Vec<Cell>],
) -> ApiResult<Response> {
    let (bytes, mime, ext) = match format {
        Format::Csv => (csv(columns, rows)?, "text/csv; charset=utf-8", "csv"),
        Format::Xlsx => (
            xlsx(sheet_name, columns, rows)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    };
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{stem}.{ext}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
