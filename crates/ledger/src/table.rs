//! Sheets read into tables: the header row found below any title, every later row numbered as
//! Excel shows it and told apart as data, empty, total or note.

use crate::ReadError;
use crate::limits::Limits;
use crate::values::{from_serial, normalize_header};
use calamine::{DataRef, Reader, Xlsx};
use chrono::NaiveDate;
use std::collections::HashMap;
use std::sync::Arc;

/// One cell's value. Text is shared: the cells of a workbook that repeat one of its shared
/// strings hold that one string.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(Arc<str>),
    Number(f64),
    Date(NaiveDate),
}

/// The workbook's shared strings as cells hold them, each made once (keyed by where the
/// reader holds it).
#[derive(Default)]
struct Interned(HashMap<(usize, usize), Arc<str>>);

impl Interned {
    /// The cell of shared string `s`, and the bytes it newly takes (none when met before).
    fn cell(&mut self, s: &str) -> (Cell, usize) {
        let key = (s.as_ptr() as usize, s.len());
        if let Some(text) = self.0.get(&key) {
            return (Cell::Text(text.clone()), 0);
        }
        let cell = Cell::from_text(s);
        if let Cell::Text(text) = &cell {
            self.0.insert(key, text.clone());
        }
        let bytes = cell.text_bytes();
        (cell, bytes)
    }
}

impl Cell {
    /// The cell of `d`, and the bytes its text takes (shared strings are looked up in
    /// `shared`, and take nothing more once met).
    fn of(d: &DataRef<'_>, shared: &mut Interned) -> (Self, usize) {
        let cell = match d {
            DataRef::SharedString(s) => return shared.cell(s),
            DataRef::Empty => Self::Empty,
            DataRef::String(s) => Self::from_text(s),
            DataRef::Float(f) => Self::Number(*f),
            DataRef::Int(i) => Self::Number(*i as f64),
            DataRef::Bool(b) => Self::Text(if *b { "是" } else { "否" }.into()),
            DataRef::DateTime(dt) => from_serial(dt.as_f64()).map_or(Self::Empty, Self::Date),
            DataRef::DateTimeIso(s) => {
                NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d")
                    .map_or_else(|_| Self::Text(s.as_str().into()), Self::Date)
            }
            DataRef::DurationIso(s) => Self::Text(s.as_str().into()),
            DataRef::Error(e) => Self::Text(format!("#{e}").into()),
        };
        let bytes = cell.text_bytes();
        (cell, bytes)
    }

    /// The bytes the cell's text takes beside the cell (with its shared count).
    fn text_bytes(&self) -> usize {
        match self {
            Self::Text(t) => t.len() + 2 * std::mem::size_of::<usize>(),
            _ => 0,
        }
    }

    fn from_text(s: &str) -> Self {
        if s.trim().is_empty() {
            Self::Empty
        } else {
            Self::Text(s.into())
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
        // text; a merged title above it fills one cell. A sheet one column wide (a list of
        // codes) has its header in its first text row.
        let header_at = grid
            .iter()
            .take(10)
            .position(|r| {
                let filled = r.iter().filter(|c| !c.is_empty()).count();
                (filled >= 2 || widest == 1)
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

/// A sheet's non-empty cells gathered into rows, within the limits: rows are as Excel
/// numbers them (from 0 here), each as wide as its last non-empty cell.
struct Grid<'l> {
    limits: &'l Limits,
    sheet: String,
    rows: Vec<Vec<Cell>>,
    /// Cells of the widest row so far.
    widest: usize,
    spent: usize,
}

impl<'l> Grid<'l> {
    /// A grid of `sheet` whose cells are charged to the budget after `spent` bytes.
    fn new(limits: &'l Limits, sheet: &str, spent: usize) -> Self {
        Self {
            limits,
            sheet: sheet.to_owned(),
            rows: Vec::new(),
            widest: 0,
            spent,
        }
    }

    /// Puts `cell`, whose text takes `text_bytes` more, at `row`, `col`.
    fn put(&mut self, row: u32, col: u32, cell: Cell, text_bytes: usize) -> Result<(), ReadError> {
        if cell.is_empty() {
            return Ok(());
        }
        let where_ = |what: &str| format!("工作表“{}”的{what}", self.sheet);
        if row >= self.limits.rows {
            return Err(Limits::exceeded(&where_("行数"), self.limits.rows));
        }
        if col >= self.limits.columns {
            return Err(Limits::exceeded(&where_("列数"), self.limits.columns));
        }
        if let Cell::Text(t) = &cell
            && t.chars().count() > self.limits.cell_chars
        {
            return Err(Limits::exceeded(
                &where_("单元格字数"),
                self.limits.cell_chars,
            ));
        }
        let (row, col) = (row as usize, col as usize);
        let cell_size = std::mem::size_of::<Cell>();
        if row >= self.rows.len() {
            let added = row + 1 - self.rows.len();
            self.limits
                .spend(&mut self.spent, added * std::mem::size_of::<Vec<Cell>>())?;
            self.rows.resize_with(row + 1, Vec::new);
        }
        let cells = &mut self.rows[row];
        if col >= cells.len() {
            // As wide as the widest row so far at once: rows are held at the size they have.
            let wanted = (col + 1).max(self.widest);
            let held = cells.capacity();
            if wanted > held {
                self.limits
                    .spend(&mut self.spent, (wanted - held) * cell_size)?;
                cells.reserve_exact(wanted - cells.len());
            }
            cells.resize(col + 1, Cell::Empty);
            self.widest = self.widest.max(col + 1);
        }
        self.limits.spend(&mut self.spent, text_bytes)?;
        cells[col] = cell;
        Ok(())
    }

    /// The table, its rows numbered from the first that holds anything.
    fn into_table(self) -> Result<Table, ReadError> {
        let skip = self.rows.iter().take_while(|r| r.is_empty()).count();
        let grid: Vec<Vec<Cell>> = self.rows.into_iter().skip(skip).collect();
        Table::from_grid(&self.sheet, grid, skip as u32 + 1)
    }
}

/// Every sheet of an `.xlsx` workbook that has a header row, in workbook order. The archive
/// is checked first, then each sheet is read cell by cell: only cells that hold something
/// take memory, whatever size the sheet declares.
pub fn read_xlsx(bytes: &[u8], limits: &Limits) -> Result<Vec<Table>, ReadError> {
    // One budget for the shared strings and every sheet's cells.
    let mut spent = limits.check_archive(bytes)?;
    let mut book: Xlsx<_> =
        Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| ReadError::Workbook(e.to_string()))?;
    let names = book.sheet_names();
    if names.len() > limits.sheets {
        return Err(Limits::exceeded("工作表数", limits.sheets));
    }
    let mut tables = Vec::new();
    let mut shared = Interned::default();
    for name in names {
        let mut grid = Grid::new(limits, &name, spent);
        let mut cells = book
            .worksheet_cells_reader(&name)
            .map_err(|e| ReadError::Workbook(e.to_string()))?;
        while let Some(cell) = cells
            .next_cell()
            .map_err(|e| ReadError::Workbook(e.to_string()))?
        {
            let (row, col) = cell.get_position();
            let (value, bytes) = Cell::of(cell.get_value(), &mut shared);
            grid.put(row, col, value, bytes)?;
        }
        spent = grid.spent;
        match grid.into_table() {
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
pub fn read_csv(name: &str, bytes: &[u8], limits: &Limits) -> Result<Table, ReadError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(body) {
        Ok(t) => std::borrow::Cow::Borrowed(t),
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
            std::borrow::Cow::Owned(text)
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut grid = Grid::new(limits, name, 0);
    let mut record = csv::StringRecord::new();
    let mut row = 0u32;
    while reader
        .read_record(&mut record)
        .map_err(|e| ReadError::Csv(e.to_string()))?
    {
        if row >= limits.rows {
            return Err(Limits::exceeded(
                &format!("工作表“{name}”的行数"),
                limits.rows,
            ));
        }
        if record.len() > limits.columns as usize {
            // Empty trailing fields (a row of commas) take no column.
            let used = record
                .iter()
                .enumerate()
                .filter(|(_, f)| !f.trim().is_empty())
                .last()
                .map_or(0, |(i, _)| i + 1);
            if used > limits.columns as usize {
                return Err(Limits::exceeded(
                    &format!("工作表“{name}”的列数"),
                    limits.columns,
                ));
            }
        }
        for (col, field) in record.iter().enumerate() {
            let value = Cell::from_text(pledge_domain::csv_cell_read(field));
            let bytes = value.text_bytes();
            grid.put(row, col as u32, value, bytes)?;
        }
        row += 1;
    }
    // Blank lines keep their numbers: the grid counts every record read.
    if (grid.rows.len() as u32) < row {
        grid.rows.resize_with(row as usize, Vec::new);
    }
    grid.into_table()
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
        let tables = read_xlsx(&bytes, &Limits::default()).unwrap_or_else(|e| unreachable!("{e}"));
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
        let t = read_csv("x.csv", &gbk, &Limits::default()).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(t.header_row, 2);
        assert_eq!(t.headers[1], "企业名称");
        assert_eq!(t.rows[0].cells[1], Cell::Text("新乡市某某有限公司".into()));
        assert_eq!(t.rows[1].kind, RowKind::Total);
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        let utf8 =
            read_csv("x.csv", &bom, &Limits::default()).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(utf8.rows, t.rows);
        // A UTF-8 file with one line saved in GB18030 is read whole; bytes valid in neither
        // encoding mark their line alone.
        let mut mixed = text.as_bytes().to_vec();
        mixed.extend_from_slice(&encoding_rs::GB18030.encode("2,河南某某有限公司,x\n").0);
        mixed.extend_from_slice(b"3,\xFF\xFE,x\n");
        let t =
            read_csv("x.csv", &mixed, &Limits::default()).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(t.rows[0].cells[1], Cell::Text("新乡市某某有限公司".into()));
        assert_eq!(t.rows[2].cells[1], Cell::Text("河南某某有限公司".into()));
        assert!(t.rows[3].cells[1].text().contains('\u{FFFD}'));
    }
}
