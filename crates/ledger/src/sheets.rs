//! A file read as sheets of known kinds: each table told apart by its sheet name or, failing
//! that, by the columns it has.

use crate::columns::{Layout, SheetKind, columns, layout};
use crate::{Cell, Limits, ReadError, Rejection, Table, read_csv, read_xlsx};

/// A table of a known kind, with where its columns sit.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub kind: SheetKind,
    pub table: Table,
    pub layout: Layout,
}

impl Sheet {
    /// The header of the column `key` as the file writes it, or the template's header when
    /// the file lacks the column.
    pub fn header(&self, key: &str) -> String {
        self.layout
            .position(key)
            .and_then(|i| self.table.headers.get(i))
            .cloned()
            .or_else(|| {
                columns(self.kind)
                    .into_iter()
                    .find(|c| c.key == key)
                    .map(|c| c.header.to_owned())
            })
            .unwrap_or_else(|| key.to_owned())
    }

    /// The text of the cell in Excel row `row`, column `key` (empty if there is none).
    pub fn value(&self, row: u32, key: &str) -> String {
        let Some(at) = self.layout.position(key) else {
            return String::new();
        };
        row.checked_sub(self.table.header_row + 1)
            .and_then(|i| self.table.rows.get(i as usize))
            .filter(|r| r.number == row)
            .and_then(|r| r.cells.get(at))
            .map(Cell::text)
            .unwrap_or_default()
    }

    /// A rejection of the cell in `row`, column `key`.
    pub fn rejection(
        &self,
        row: u32,
        key: &str,
        value: String,
        code: &'static str,
        message: String,
    ) -> Rejection {
        Rejection {
            sheet: self.table.sheet.clone(),
            row,
            column: self.header(key),
            value,
            code,
            message,
        }
    }
}

/// How well `table` fits `kind`: columns found, or `None` when a required one is missing.
fn fit(table: &Table, kind: SheetKind) -> Option<(usize, Layout)> {
    let l = layout(table, kind);
    l.missing.is_empty().then_some((l.found.len(), l))
}

/// The kind of each table: named by its sheet name, the one `kind` names, or the kind whose
/// required columns it has and whose columns it fills best. Tables that fit no kind are
/// returned apart, with what they lack.
pub fn classify(
    tables: Vec<Table>,
    kind: Option<SheetKind>,
) -> (Vec<Sheet>, Vec<(Table, Vec<&'static str>)>) {
    let mut sheets = Vec::new();
    let mut unknown = Vec::new();
    for table in tables {
        let named = SheetKind::parse(&table.sheet);
        let chosen = match kind.or(named) {
            Some(k) => {
                let l = layout(&table, k);
                if l.missing.is_empty() {
                    Some((k, l))
                } else {
                    let missing = l.missing.clone();
                    unknown.push((table, missing));
                    continue;
                }
            }
            None => SheetKind::ALL
                .into_iter()
                .filter_map(|k| fit(&table, k).map(|(n, l)| (n, k, l)))
                .max_by_key(|(n, _, _)| *n)
                .map(|(_, k, l)| (k, l)),
        };
        match chosen {
            Some((kind, layout)) => sheets.push(Sheet {
                kind,
                table,
                layout,
            }),
            None => {
                // What the closest template lacks: the kind whose columns it has most of (the
                // enterprise ledger, the first, when it has none of any).
                let closest = SheetKind::ALL
                    .into_iter()
                    .rev()
                    .map(|k| layout(&table, k))
                    .max_by_key(|l| l.found.len())
                    .map(|l| l.missing)
                    .unwrap_or_default();
                unknown.push((table, closest));
            }
        }
    }
    (sheets, unknown)
}

/// Reads a file by its name's extension: `.csv` as CSV, anything else as an `.xlsx` workbook.
pub fn read_file(name: &str, bytes: &[u8], limits: &Limits) -> Result<Vec<Table>, ReadError> {
    if name.to_ascii_lowercase().ends_with(".csv") {
        let sheet = std::path::Path::new(name)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or(name);
        Ok(vec![read_csv(sheet, bytes, limits)?])
    } else {
        read_xlsx(bytes, limits)
    }
}
