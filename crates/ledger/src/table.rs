//! Sheets read into tables: the header row found below any title, every later row numbered as
//! Excel shows it and told apart as data, empty, total or note.

use crate::ReadError;
use crate::values::{from_serial, normalize_header};
use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;

/// One cell's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
}

impl Cell {
    fn of(d: &Data) -> Self {
        match d {
            Data::Empty => Self::Empty,
            Data::String(s) if s.trim().is_empty() => Self::Empty,
            Data::String(s) => Self::Text(s.clone()),
            Data::Float(f) => Self::Number(*f),
            Data::Int(i) => Self::Number(*i as f64),
            Data::Bool(b) => Self::Text(if *b { "是" } else { "否" }.into()),
            Data::DateTime(dt) => from_serial(dt.as_f64()).map_or(Self::Empty, Self::Date),
            Data::DateTimeIso(s) => NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d")
                .map_or_else(|_| Self::Text(s.clone()), Self::Date),
            Data::DurationIso(s) => Self::Text(s.clone()),
            Data::Error(e) => Self::Text(format!("#{e}")),
        }
    }

    fn from_text(s: &str) -> Self {
        if s.trim().is_empty() {
            Self::Empty
        } else {
            Self::Text(s.to_owned())
        }
    }

    /// The cell as text (numbers without a needless `.0`).
    pub fn text(&self) -> String {
        match self {
            Self::Empty => String::new(),
            Self::Text(t) => t.trim().to_owned(),
            Self::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Self::Number(n) => n.to_string(),
            Self::Date(d) => d.to_string(),
        }
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, Self::Empty)
    }
}

/// What a row below the header is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    Data,
    /// Nothing in it but, at most, a running number (序号).
    Empty,
    /// A 合计/总计/小计 row.
    Total,
    /// A 注/备注/说明 line.
    Note,
}

/// One row below the header.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The row number Excel shows (1-based); for CSV, the line's record number.
    pub number: u32,
    pub kind: RowKind,
    /// One cell per header column.
    pub cells: Vec<Cell>,
}

/// A sheet read as a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub sheet: String,
    /// The row number of the header.
    pub header_row: u32,
    /// The rows above the header (titles), from row 1.
    pub above: Vec<Vec<Cell>>,
    /// The headers as written.
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
}

impl Table {
    /// The column whose normalised header is one of `names` (themselves normalised).
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        let wanted: Vec<String> = names.iter().map(|n| normalize_header(n)).collect();
        self.headers
            .iter()
            .position(|h| wanted.contains(&normalize_header(h)))
    }

    /// The data rows.
    pub fn data(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| r.kind == RowKind::Data)
    }

    /// Finds the header among the first rows of `grid` (row numbers from `first`) and numbers
    /// the rest.
    fn from_grid(sheet: &str, grid: Vec<Vec<Cell>>, first: u32) -> Result<Self, ReadError> {
        let widest = grid
            .iter()
            .map(|r| r.iter().filter(|c| !c.is_empty()).count())
            .max()
            .unwrap_or(0);
        // The header: the first row, among the first ten, that fills most of the width with
        // text; a merged title above it fills one cell.
        let header_at = grid
            .iter()
            .take(10)
            .position(|r| {
                let filled = r.iter().filter(|c| !c.is_empty()).count();
                filled >= 2
                    && filled * 2 > widest
                    && r.iter().all(|c| matches!(c, Cell::Empty | Cell::Text(_)))
            })
            .ok_or_else(|| ReadError::NoHeader(sheet.to_owned()))?;
        let mut rows = grid.into_iter();
        let mut above: Vec<Vec<Cell>> = (1..first).map(|_| Vec::new()).collect();
        above.extend(rows.by_ref().take(header_at));
        let header = rows
            .next()
            .ok_or_else(|| ReadError::NoHeader(sheet.to_owned()))?;
        let width = header
            .iter()
            .rposition(|c| !c.is_empty())
            .map_or(0, |i| i + 1);
        let headers: Vec<String> = header[..width].iter().map(Cell::text).collect();
        let numbered = headers.first().is_some_and(|h| {
            matches!(normalize_header(h).as_str(), "序号" | "编号" | "no" | "no.")
        });
        let header_row = first + header_at as u32;
        let rows = rows
            .enumerate()
            .map(|(i, mut cells)| {
                cells.resize(width, Cell::Empty);
                cells.truncate(width);
                Row {
                    number: header_row + 1 + i as u32,
                    kind: kind_of(&cells, numbered),
                    cells,
                }
            })
            .collect();
        Ok(Self {
            sheet: sheet.to_owned(),
            header_row,
            above,
            headers,
            rows,
        })
    }
}

fn kind_of(cells: &[Cell], numbered: bool) -> RowKind {
    let filled: Vec<&Cell> = cells.iter().filter(|c| !c.is_empty()).collect();
    let first = filled.first().map(|c| normalize_header(&c.text()));
    let label = |prefixes: &[&str]| {
        first
            .as_deref()
            .is_some_and(|f| prefixes.iter().any(|p| f.starts_with(p)))
    };
    let only_a_number =
        numbered && filled.len() == 1 && cells[0].text().bytes().all(|b| b.is_ascii_digit());
    if label(&["合计", "总计", "小计", "total"]) {
        RowKind::Total
    } else if label(&["注", "备注", "说明", "note"]) && filled.len() <= 2 {
        RowKind::Note
    } else if filled.is_empty() || only_a_number {
        RowKind::Empty
    } else {
        RowKind::Data
    }
}

/// Every sheet of an `.xlsx` workbook that has a header row, in workbook order.
pub fn read_xlsx(bytes: &[u8]) -> Result<Vec<Table>, ReadError> {
    let mut book = Xlsx::new(std::io::Cursor::new(bytes.to_vec()))
        .map_err(|e| ReadError::Workbook(e.to_string()))?;
    let mut tables = Vec::new();
    for name in book.sheet_names() {
        let range = book
            .worksheet_range(&name)
            .map_err(|e| ReadError::Workbook(e.to_string()))?;
        let Some((row0, col0)) = range.start() else {
            continue;
        };
        // Cells left of the used range count as empty, so columns keep their places.
        let grid: Vec<Vec<Cell>> = range
            .rows()
            .map(|r| {
                std::iter::repeat_n(Cell::Empty, col0 as usize)
                    .chain(r.iter().map(Cell::of))
                    .collect()
            })
            .collect();
        match Table::from_grid(&name, grid, row0 + 1) {
            Ok(t) => tables.push(t),
            Err(ReadError::NoHeader(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(tables)
}

/// A CSV file in UTF-8 (with or without BOM) or GB18030, as Chinese Excel writes it. Files
/// pieced together from both are read line by line, each line in the encoding it is valid in;
/// bytes valid in neither become U+FFFD, and those rows are refused one by one.
pub fn read_csv(name: &str, bytes: &[u8]) -> Result<Table, ReadError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(body) {
        Ok(t) => t.to_owned(),
        Err(_) => {
            let mut text = String::with_capacity(body.len() * 3 / 2);
            for line in body.split_inclusive(|b| *b == b'\n') {
                match std::str::from_utf8(line) {
                    Ok(l) => text.push_str(l),
                    Err(_) => {
                        text.push_str(&encoding_rs::GB18030.decode_without_bom_handling(line).0)
                    }
                }
            }
            text
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut grid = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ReadError::Csv(e.to_string()))?;
        grid.push(record.iter().map(Cell::from_text).collect());
    }
    Table::from_grid(name, grid, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ledger as a park office keeps it (see `test-data/`).
    fn fixture() -> Vec<u8> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../test-data/park-ledger-hongqi.xlsx"
        );
        std::fs::read(path).unwrap_or_else(|e| unreachable!("{path}: {e}"))
    }

    #[test]
    fn the_park_ledger_reads_as_two_tables() {
        let bytes = fixture();
        let tables = read_xlsx(&bytes).unwrap_or_else(|e| unreachable!("{e}"));
        let names: Vec<&str> = tables.iter().map(|t| t.sheet.as_str()).collect();
        assert_eq!(names, vec!["企业台账", "专利清单"]);
        let firms = &tables[0];
        assert_eq!(firms.header_row, 2, "the merged title is row 1");
        assert_eq!(firms.column(&["统一社会信用代码"]), Some(2));
        assert_eq!(firms.column(&["融资需求(万元)"]), Some(11));
        let kinds: Vec<(u32, RowKind)> = firms
            .rows
            .iter()
            .filter(|r| r.kind != RowKind::Data)
            .map(|r| (r.number, r.kind))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (44, RowKind::Empty),
                (45, RowKind::Total),
                (46, RowKind::Note)
            ]
        );
        assert_eq!(firms.data().count(), 41);
        assert_eq!(firms.data().next().map(|r| r.number), Some(3));
        let firm_layout = crate::layout(firms, crate::SheetKind::Enterprises);
        assert!(firm_layout.missing.is_empty(), "{firm_layout:?}");
        assert_eq!(firm_layout.position("financing_need"), Some(11));
        let patents = &tables[1];
        let patent_layout = crate::layout(patents, crate::SheetKind::Patents);
        assert!(patent_layout.missing.is_empty(), "{patent_layout:?}");
        assert_eq!(patent_layout.unknown, vec!["序号".to_owned()]);
        assert_eq!(patents.header_row, 1);
        assert!(patents.column(&["专利号", "申请号"]).is_some());
        assert!(patents.data().all(|r| r.number >= 2));
    }

    #[test]
    fn csv_in_gb18030_and_with_a_bom() {
        let text = "企业台账\n序号,企业名称,统一社会信用代码\n1,新乡市某某有限公司,91410702MA0000001X\n合计,1家,\n";
        let (gbk, _, _) = encoding_rs::GB18030.encode(text);
        let t = read_csv("x.csv", &gbk).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(t.header_row, 2);
        assert_eq!(t.headers[1], "企业名称");
        assert_eq!(t.rows[0].cells[1], Cell::Text("新乡市某某有限公司".into()));
        assert_eq!(t.rows[1].kind, RowKind::Total);
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        let utf8 = read_csv("x.csv", &bom).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(utf8.rows, t.rows);
        // A UTF-8 file with one line saved in GB18030 is read whole; bytes valid in neither
        // encoding mark their line alone.
        let mut mixed = text.as_bytes().to_vec();
        mixed.extend_from_slice(&encoding_rs::GB18030.encode("2,河南某某有限公司,x\n").0);
        mixed.extend_from_slice(b"3,\xFF\xFE,x\n");
        let t = read_csv("x.csv", &mixed).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(t.rows[0].cells[1], Cell::Text("新乡市某某有限公司".into()));
        assert_eq!(t.rows[2].cells[1], Cell::Text("河南某某有限公司".into()));
        assert!(t.rows[3].cells[1].text().contains('\u{FFFD}'));
    }
}
