//! Import templates, written from the column definitions: the headers, a filled example row,
//! drop-down lists for every column with fixed choices, and a notes sheet.

use crate::columns::{Shape, SheetKind, template_columns};
use rust_xlsxwriter::{DataValidation, Format, FormatAlign, Workbook, XlsxError};

/// The rows of a template that carry drop-down lists.
const VALIDATED_ROWS: u32 = 10_000;

/// The template workbook of `kind`, as `.xlsx` bytes.
pub fn template(kind: SheetKind) -> Result<Vec<u8>, XlsxError> {
    let cols = template_columns(kind);
    let mut wb = Workbook::new();
    let bold = Format::new()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_text_wrap()
        .set_background_color("#DDEBF7");
    let required = bold.clone().set_font_color("#C00000");
    let sheet = wb.add_worksheet();
    sheet.set_name(kind.label_zh())?;
    for (i, c) in cols.iter().enumerate() {
        let i = i as u16;
        let format = if c.required { &required } else { &bold };
        sheet.write_string_with_format(0, i, c.header, format)?;
        sheet.set_column_width(i, (c.header.chars().count() as f64 * 2.2).max(12.0))?;
        sheet.write_string(1, i, c.example)?;
        let choices = match &c.shape {
            Shape::OneOf(choices) => Some(choices),
            _ => None,
        };
        if let Some(choices) = choices {
            let v = DataValidation::new().allow_list_strings(choices)?;
            sheet.add_data_validation(1, i, VALIDATED_ROWS, i, &v)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    let notes = wb.add_worksheet();
    notes.set_name("填写说明")?;
    for (i, h) in ["列名", "英文名", "必填", "示例", "说明", "可选值"]
        .iter()
        .enumerate()
    {
        notes.write_string_with_format(0, i as u16, *h, &bold)?;
    }
    for (c, width) in [24.0, 28.0, 6.0, 30.0, 48.0, 60.0].iter().enumerate() {
        notes.set_column_width(c as u16, *width)?;
    }
    for (r, c) in cols.iter().enumerate() {
        let r = r as u32 + 1;
        let choices = match &c.shape {
            Shape::OneOf(x) | Shape::SomeOf(x) => x.join("、"),
            _ => String::new(),
        };
        notes.write_string(r, 0, c.header)?;
        notes.write_string(r, 1, c.key)?;
        notes.write_string(r, 2, if c.required { "是" } else { "否" })?;
        notes.write_string(r, 3, c.example)?;
        notes.write_string(r, 4, c.note)?;
        notes.write_string(r, 5, &choices)?;
    }
    notes.set_freeze_panes(1, 0)?;
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{RowKind, layout, read_xlsx};

    #[test]
    fn every_template_reads_back_by_its_own_definitions() {
        for kind in SheetKind::ALL {
            let bytes = template(kind).unwrap_or_else(|e| unreachable!("{e}"));
            let tables = read_xlsx(&bytes, &crate::Limits::default())
                .unwrap_or_else(|e| unreachable!("{e}"));
            assert_eq!(tables.len(), 2, "{kind:?}: the sheet and its notes");
            let sheet = &tables[0];
            assert_eq!(sheet.sheet, kind.label_zh());
            let cols = template_columns(kind);
            let found = layout(sheet, kind);
            assert!(
                found.missing.is_empty() && found.unknown.is_empty(),
                "{kind:?}: {found:?}"
            );
            assert_eq!(found.found.len(), cols.len());
            let example = &sheet.rows[0];
            assert_eq!(example.kind, RowKind::Data);
            for (i, c) in cols.iter().enumerate() {
                assert_eq!(
                    example.cells.get(i).map(|x| x.text()),
                    Some(c.example.to_owned())
                );
            }
            let notes = &tables[1];
            assert_eq!(notes.sheet, "填写说明");
            assert_eq!(notes.data().count(), cols.len());
        }
    }

    #[test]
    fn headers_match_however_they_are_written() {
        let table = crate::Table {
            above: Vec::new(),
            sheet: "x".into(),
            header_row: 1,
            headers: vec![
                "序号".into(),
                "统一社会\n信用代码 ".into(),
                "Name".into(),
                "融资需求（万元）".into(),
                "备用".into(),
            ],
            rows: Vec::new(),
        };
        let l = layout(&table, SheetKind::Enterprises);
        assert_eq!(l.position("uscc"), Some(1));
        assert_eq!(l.position("name"), Some(2));
        assert_eq!(l.position("financing_need"), Some(3));
        assert_eq!(l.missing, vec!["行业代码", "成立日期"]);
        assert_eq!(l.unknown, vec!["序号".to_owned(), "备用".to_owned()]);
    }
}
