//! What an import found, bad cells and assumptions, as many as a file holds, in memory that
//! does not grow with them: the first [`KEPT`] of each kind (by sheet and row) for the report,
//! a count of all, and every one written to a temporary file, from which the annotated copy
//! reads them row by row.

use crate::Rejection;
use std::collections::HashSet;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;

/// Findings of each kind an import's report lists (the first, by sheet and row); the counts
/// and the annotated copy hold them all.
pub const KEPT: usize = 2_000;

/// Characters of a cell's value a listed finding repeats (the annotated copy has the cell).
const VALUE_CHARS: usize = 200;

/// One finding as the annotated copy writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The column's header as written in the file (the template's, for a missing column).
    pub column: String,
    pub code: String,
    pub message: String,
    /// A bad cell (the row is rejected), or an assumption taken.
    pub bad: bool,
}

/// The findings on one row, written together.
#[derive(Debug, Clone, Copy)]
struct Batch {
    place: u32,
    row: u32,
    bad: bool,
    offset: u64,
    bytes: u32,
    count: u32,
}

/// The first findings of one kind, by sheet and row, and how many there were.
#[derive(Debug, Default)]
struct Kept {
    first: Vec<(u32, Rejection)>,
    count: u64,
}

impl Kept {
    fn add(&mut self, place: u32, r: &Rejection) {
        self.count += 1;
        if self.first.len() >= 2 * KEPT {
            self.trim();
        }
        if self.first.len() < 2 * KEPT {
            let mut r = r.clone();
            if r.value.chars().count() > VALUE_CHARS {
                r.value = r.value.chars().take(VALUE_CHARS).chain(['…']).collect();
            }
            self.first.push((place, r));
        }
    }

    /// Keeps the first [`KEPT`] by sheet and row (a row's findings in the order found).
    fn trim(&mut self) {
        self.first.sort_by_key(|(place, r)| (*place, r.row));
        self.first.truncate(KEPT);
    }
}

/// Every finding of an import. Findings are added a row at a time; the spill file is made at
/// the first one.
#[derive(Debug)]
pub struct Findings {
    /// Sheet names in the file's order.
    places: Vec<String>,
    rejections: Kept,
    warnings: Kept,
    batches: Vec<Batch>,
    spill: Option<BufWriter<std::fs::File>>,
    written: u64,
    /// Why the spill file could not be written: the annotated copy is then refused.
    broken: Option<String>,
}

impl Findings {
    /// Findings of a file whose sheets are `sheets`, in its order.
    pub fn new(sheets: Vec<String>) -> Self {
        Self {
            places: sheets,
            rejections: Kept::default(),
            warnings: Kept::default(),
            batches: Vec::new(),
            spill: None,
            written: 0,
            broken: None,
        }
    }

    fn place(&mut self, sheet: &str) -> u32 {
        match self.places.iter().position(|s| s == sheet) {
            Some(at) => at as u32,
            None => {
                self.places.push(sheet.to_owned());
                (self.places.len() - 1) as u32
            }
        }
    }

    /// Bad cells of one row.
    pub fn reject(&mut self, row: Vec<Rejection>) {
        self.add(row, true);
    }

    /// Assumptions taken on one row.
    pub fn warn(&mut self, row: Vec<Rejection>) {
        self.add(row, false);
    }

    fn add(&mut self, findings: Vec<Rejection>, bad: bool) {
        // A row's findings are one batch; findings of several rows are split by row.
        let mut rest = findings.as_slice();
        while let Some(first) = rest.first() {
            let same = rest
                .iter()
                .take_while(|r| r.sheet == first.sheet && r.row == first.row)
                .count();
            let (batch, after) = rest.split_at(same);
            self.add_row(batch, bad);
            rest = after;
        }
    }

    fn add_row(&mut self, row: &[Rejection], bad: bool) {
        let Some(first) = row.first() else { return };
        let place = self.place(&first.sheet);
        let kept = if bad {
            &mut self.rejections
        } else {
            &mut self.warnings
        };
        for r in row {
            kept.add(place, r);
        }
        let mut record = Vec::new();
        for r in row {
            for text in [r.column.as_str(), r.code, r.message.as_str()] {
                record.extend_from_slice(&(text.len() as u32).to_le_bytes());
                record.extend_from_slice(text.as_bytes());
            }
        }
        let offset = self.written;
        if self.write(&record) {
            self.batches.push(Batch {
                place,
                row: first.row,
                bad,
                offset,
                bytes: record.len() as u32,
                count: row.len() as u32,
            });
        }
    }

    fn write(&mut self, record: &[u8]) -> bool {
        if self.broken.is_some() {
            return false;
        }
        if self.spill.is_none() {
            match tempfile::tempfile() {
                Ok(f) => self.spill = Some(BufWriter::new(f)),
                Err(e) => {
                    self.broken = Some(e.to_string());
                    return false;
                }
            }
        }
        let written = self
            .spill
            .as_mut()
            .map(|s| s.write_all(record))
            .unwrap_or(Ok(()));
        match written {
            Ok(()) => {
                self.written += record.len() as u64;
                true
            }
            Err(e) => {
                self.broken = Some(e.to_string());
                false
            }
        }
    }

    /// The rows with a bad cell, by sheet place.
    fn rejected_rows(&self) -> HashSet<(u32, u32)> {
        self.batches
            .iter()
            .filter(|b| b.bad)
            .map(|b| (b.place, b.row))
            .collect()
    }

    /// Bad cells found.
    pub fn rejection_count(&self) -> u64 {
        self.rejections.count
    }

    /// Assumptions taken on rows that were not rejected (a doubt about a row rejected anyway
    /// is not worth a word).
    pub fn warning_count(&self) -> u64 {
        let rejected = self.rejected_rows();
        self.batches
            .iter()
            .filter(|b| !b.bad && !rejected.contains(&(b.place, b.row)))
            .map(|b| u64::from(b.count))
            .sum()
    }

    /// The first [`KEPT`] bad cells, by sheet (in the file's order) and row.
    pub fn rejections(&mut self) -> Vec<Rejection> {
        self.rejections.trim();
        self.rejections
            .first
            .iter()
            .map(|(_, r)| r.clone())
            .collect()
    }

    /// The first [`KEPT`] assumptions on rows that were not rejected, by sheet and row.
    pub fn warnings(&mut self) -> Vec<Rejection> {
        let rejected = self.rejected_rows();
        self.warnings.trim();
        self.warnings
            .first
            .iter()
            .filter(|(place, r)| !rejected.contains(&(*place, r.row)))
            .map(|(_, r)| r.clone())
            .collect()
    }

    /// The findings on the rows of `sheet`, row by row in order (bad cells first), read back
    /// from the spill file; assumptions on rejected rows are left out.
    pub fn rows_of(&mut self, sheet: &str) -> std::io::Result<RowsOf<'_>> {
        if let Some(why) = &self.broken {
            return Err(std::io::Error::other(why.clone()));
        }
        if let Some(spill) = self.spill.as_mut() {
            spill.flush()?;
        }
        let place = self
            .places
            .iter()
            .position(|s| s == sheet)
            .map(|p| p as u32);
        let mut batches: Vec<Batch> = self
            .batches
            .iter()
            .filter(|b| Some(b.place) == place)
            .copied()
            .collect();
        batches.sort_by_key(|b| (b.row, !b.bad, b.offset));
        let file = self.spill.as_ref().map(|s| s.get_ref());
        Ok(RowsOf {
            file,
            batches,
            at: 0,
        })
    }
}

/// The findings of one sheet, row by row.
#[derive(Debug)]
pub struct RowsOf<'f> {
    file: Option<&'f std::fs::File>,
    batches: Vec<Batch>,
    at: usize,
}

impl RowsOf<'_> {
    /// The next row with findings, and its findings.
    pub fn next_row(&mut self) -> std::io::Result<Option<(u32, Vec<Finding>)>> {
        let Some(first) = self.batches.get(self.at).copied() else {
            return Ok(None);
        };
        let mut found = Vec::new();
        while let Some(b) = self.batches.get(self.at).copied()
            && b.row == first.row
        {
            self.at += 1;
            // An assumption on a row with a bad cell is left out.
            if !b.bad && found.iter().any(|f: &Finding| f.bad) {
                continue;
            }
            let Some(file) = self.file else { break };
            let mut record = vec![0u8; b.bytes as usize];
            // Read at its offset, leaving the file's position to the writer.
            file.read_exact_at(&mut record, b.offset)?;
            let mut texts = Texts(&record);
            for _ in 0..b.count {
                let (column, code, message) = (texts.next()?, texts.next()?, texts.next()?);
                found.push(Finding {
                    column,
                    code,
                    message,
                    bad: b.bad,
                });
            }
        }
        Ok(Some((first.row, found)))
    }
}

/// Length-prefixed texts of a spilled record.
struct Texts<'a>(&'a [u8]);

impl Texts<'_> {
    fn next(&mut self) -> std::io::Result<String> {
        let corrupt = || std::io::Error::other("a findings record is cut short");
        let (len, rest) = self.0.split_at_checked(4).ok_or_else(corrupt)?;
        let len = u32::from_le_bytes(len.try_into().map_err(|_| corrupt())?) as usize;
        let (text, rest) = rest.split_at_checked(len).ok_or_else(corrupt)?;
        self.0 = rest;
        String::from_utf8(text.to_vec()).map_err(|_| corrupt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(sheet: &str, row: u32, column: &str, message: &str) -> Rejection {
        Rejection {
            sheet: sheet.into(),
            row,
            column: column.into(),
            value: "v".repeat(300),
            code: pledge_domain::code::REQUIRED,
            message: message.into(),
        }
    }

    #[test]
    fn the_report_keeps_the_first_and_the_copy_reads_every_one() {
        let mut f = Findings::new(vec!["企业".into(), "专利".into()]);
        // Found out of order: the patents sheet's rows first, then the enterprises'.
        for row in (3..10_003).rev() {
            f.reject(vec![
                finding("专利", row, "申请号", &format!("坏{row}")),
                finding("专利", row, "专利名称", "缺"),
            ]);
        }
        f.warn(vec![finding("专利", 5, "法律状态", "假定有效")]);
        f.warn(vec![finding("企业", 4, "成立日期", "假定")]);
        f.reject(vec![finding("企业", 9, "统一社会信用代码", "校验码错误")]);
        assert_eq!(f.rejection_count(), 20_001);
        assert_eq!(
            f.warning_count(),
            1,
            "the warning on a rejected row is not counted"
        );
        let listed = f.rejections();
        assert_eq!(listed.len(), KEPT);
        assert_eq!(listed[0].sheet, "企业");
        assert_eq!((listed[1].row, listed[1].column.as_str()), (3, "申请号"));
        assert_eq!((listed[2].row, listed[2].column.as_str()), (3, "专利名称"));
        assert_eq!(listed[0].value.chars().count(), VALUE_CHARS + 1);
        assert_eq!(f.warnings().len(), 1);
        let mut rows = f.rows_of("专利").unwrap_or_else(|e| unreachable!("{e}"));
        let mut seen = 0;
        let mut last = 0;
        while let Some((row, found)) = rows.next_row().unwrap_or_else(|e| unreachable!("{e}")) {
            assert!(row > last, "rows in order");
            last = row;
            seen += 1;
            assert_eq!(found.len(), 2, "row {row}: the warning is left out");
            assert_eq!(found[0].message, format!("坏{row}"));
            assert!(found.iter().all(|f| f.bad));
        }
        assert_eq!(seen, 10_000);
        let mut rows = f.rows_of("企业").unwrap_or_else(|e| unreachable!("{e}"));
        let first = rows.next_row().unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(first.map(|(r, f)| (r, f[0].bad)), Some((4, false)));
    }
}
