//! The annotated copy of an imported file: every sheet as it was read, at the same row
//! numbers, with the bad cells marked red (yellow for an assumption taken), a note on each,
//! and a reason column after the last one. The official fixes it and imports it again.

use crate::findings::{Finding, Findings};
use crate::{Cell, Table};
use rust_xlsxwriter::{Color, ExcelDateTime, Format, Note, Workbook, XlsxError};

/// Cells of a sheet that get a note (the first ones marked); every marked cell is coloured and
/// every finding is in its row's reason column, however many there are.
const NOTES_PER_SHEET: usize = 1_000;

/// The header of the reason column added to each sheet.
pub const REASON_HEADER: &str = "错误原因";

fn write_cell(
    sheet: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
    format: Option<&Format>,
    date: &Format,
) -> Result<(), XlsxError> {
    let plain = Format::new();
    let f = format.unwrap_or(&plain);
    match cell {
        Cell::Empty => {
            if format.is_some() {
                sheet.write_blank(row, col, f)?;
            }
        }
        Cell::Text(t) => {
            sheet.write_string_with_format(row, col, &**t, f)?;
        }
        Cell::Number(n) => {
            sheet.write_number_with_format(row, col, *n, f)?;
        }
        Cell::Date(d) => {
            let f = format.map_or_else(|| date.clone(), |f| f.clone().set_num_format("yyyy-mm-dd"));
            use chrono::Datelike;
            let day = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?;
            sheet.write_date_with_format(row, col, &day, &f)?;
        }
    }
    Ok(())
}

/// Writes `tables` with the bad cells of `findings` (red) and its assumptions (yellow) marked.
pub fn annotate(tables: &[&Table], findings: &mut Findings) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bad = Format::new().set_background_color(Color::RGB(0xFFC7CE));
    let doubtful = Format::new().set_background_color(Color::RGB(0xFFEB9C));
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let bold = Format::new().set_bold();
    let reason = Format::new()
        .set_font_color(Color::RGB(0x9C0006))
        .set_text_wrap();
    for table in tables {
        // The findings come row by row from where they wait, as the rows are written.
        let mut found_rows = findings.rows_of(&table.sheet)?;
        let mut pending = found_rows.next_row()?;
        // Rows are written in order, each to a temporary file as it is done: the copy of a
        // file of 200,000 rows takes no more memory than one of 200.
        let sheet = book.add_worksheet_with_constant_memory()?;
        sheet.set_name(&table.sheet)?;
        let mut notes = 0usize;
        for (i, cells) in table.above.iter().enumerate() {
            for (c, cell) in cells.iter().enumerate() {
                write_cell(sheet, i as u32, c as u16, cell, None, &date)?;
            }
        }
        let header_at = table.header_row - 1;
        for (c, h) in table.headers.iter().enumerate() {
            sheet.write_string_with_format(header_at, c as u16, h, &bold)?;
            sheet.set_column_width(c as u16, 14)?;
        }
        let reason_col = table.headers.len() as u16;
        sheet.write_string_with_format(header_at, reason_col, REASON_HEADER, &bold)?;
        sheet.set_column_width(reason_col, 60)?;
        sheet.set_freeze_panes(header_at + 1, 0)?;
        for row in &table.rows {
            // Findings on rows the table does not have (the header's) are passed over.
            while pending.as_ref().is_some_and(|(r, _)| *r < row.number) {
                pending = found_rows.next_row()?;
            }
            let mut on_row = match pending.take_if(|(r, _)| *r == row.number) {
                Some((_, f)) => {
                    pending = found_rows.next_row()?;
                    f
                }
                None => Vec::new(),
            };
            let at = row.number - 1;
            let mut reasons = Vec::new();
            for (c, cell) in row.cells.iter().enumerate() {
                let header = table.headers.get(c).map_or("", String::as_str);
                let found: Vec<Finding> = on_row.extract_if(.., |f| f.column == header).collect();
                let format = match found.first() {
                    Some(f) if f.bad => Some(&bad),
                    Some(_) => Some(&doubtful),
                    None => None,
                };
                write_cell(sheet, at, c as u16, cell, format, &date)?;
                if !found.is_empty() && notes < NOTES_PER_SHEET {
                    notes += 1;
                    let text: Vec<String> = found
                        .iter()
                        .map(|f| format!("[{}] {}", f.code, f.message))
                        .collect();
                    sheet.insert_note(at, c as u16, &Note::new(text.join("\n")))?;
                }
                reasons.extend(
                    found
                        .iter()
                        .map(|f| format!("{}：{}", header.replace('\n', ""), f.message)),
                );
            }
            // Findings on a column the file lacks.
            let missing = on_row
                .iter()
                .map(|f| format!("{}：{}", f.column, f.message));
            reasons.extend(missing);
            if !reasons.is_empty() {
                sheet.write_string_with_format(at, reason_col, reasons.join("；"), &reason)?;
            }
        }
    }
    if tables.is_empty() {
        book.add_worksheet();
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read_xlsx;

    #[test]
    fn the_copy_keeps_row_numbers_and_says_why() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../test-data/park-ledger-hongqi.xlsx"
        );
        let bytes = std::fs::read(path).unwrap_or_else(|e| unreachable!("{path}: {e}"));
        let tables =
            read_xlsx(&bytes, &crate::Limits::default()).unwrap_or_else(|e| unreachable!("{e}"));
        let mut findings = Findings::new(tables.iter().map(|t| t.sheet.clone()).collect());
        findings.reject(vec![crate::Rejection {
            sheet: "企业台账".into(),
            row: 43,
            column: tables[0].headers[2].clone(),
            value: String::new(),
            code: "uscc_check_character",
            message: "校验码错误".into(),
        }]);
        let copy = annotate(&tables.iter().collect::<Vec<_>>(), &mut findings)
            .unwrap_or_else(|e| unreachable!("{e}"));
        let again =
            read_xlsx(&copy, &crate::Limits::default()).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(again.len(), 2);
        assert_eq!(again[0].header_row, tables[0].header_row);
        assert_eq!(
            again[0].headers.last().map(String::as_str),
            Some(REASON_HEADER)
        );
        let row43 = again[0].rows.iter().find(|r| r.number == 43);
        let reason = row43.and_then(|r| r.cells.last()).map(Cell::text);
        assert_eq!(reason.as_deref(), Some("统一社会信用代码：校验码错误"));
        let first = |t: &Table| {
            t.rows
                .first()
                .map(|r| r.cells[..t.headers.len().min(r.cells.len())].to_vec())
        };
        let kept = again[1]
            .rows
            .iter()
            .filter(|r| r.cells.last().is_some_and(|c| !c.is_empty()))
            .count();
        assert_eq!(kept, 0, "no reasons on a sheet without findings");
        assert_eq!(
            first(&again[1]).map(|c| c[..13].to_vec()),
            first(&tables[1]),
            "cells copied as read"
        );
    }
}
