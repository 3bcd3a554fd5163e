//! How much of a file pledge agrees to read: checked before the work and while it is done, so
//! a small hostile file (a zip bomb, a sheet that declares a million rows, a header of a
//! million columns) is refused with a reason instead of taking the server's memory.

use crate::ReadError;
use std::io::Read;

/// The limits a file is read within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Sheets in a workbook.
    pub sheets: usize,
    /// Rows of a sheet, counted as Excel numbers them (blank rows included).
    pub rows: u32,
    /// Columns of a sheet that hold anything.
    pub columns: u32,
    /// Characters in one cell (Excel's own limit is 32,767).
    pub cell_chars: usize,
    /// Entries in a workbook's archive.
    pub archive_entries: usize,
    /// Bytes a workbook's archive inflates to, all entries together.
    pub inflated_bytes: u64,
    /// How many times larger than its compressed form one entry may inflate.
    pub inflate_ratio: u64,
    /// Memory the cells read may take, estimated as they are read.
    pub memory_bytes: usize,
}

impl Default for Limits {
    /// Generous for any park's or city's ledger, small enough for a server.
    fn default() -> Self {
        Self {
            sheets: 32,
            rows: 200_000,
            columns: 256,
            cell_chars: 32_767,
            archive_entries: 1_000,
            inflated_bytes: 256 * 1024 * 1024,
            inflate_ratio: 200,
            memory_bytes: 256 * 1024 * 1024,
        }
    }
}

impl Limits {
    /// Refused: `what` passed `limit`.
    pub(crate) fn exceeded(what: &str, limit: impl std::fmt::Display) -> ReadError {
        ReadError::TooLarge(format!(
            "{what}超过上限{limit} / {what} over the limit of {limit}"
        ))
    }

    /// Checks a workbook's archive by inflating every entry into nothing, counting: the
    /// sizes an archive declares may lie, what comes out of it does not.
    pub(crate) fn check_archive(&self, bytes: &[u8]) -> Result<(), ReadError> {
        let unreadable = |e: zip::result::ZipError| ReadError::Workbook(e.to_string());
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(unreadable)?;
        if archive.len() > self.archive_entries {
            return Err(Self::exceeded("压缩包条目数", self.archive_entries));
        }
        let mut total = 0u64;
        for i in 0..archive.len() {
            let entry = archive.by_index(i).map_err(unreadable)?;
            let compressed = entry.compressed_size().max(1);
            let allowed = (self.inflated_bytes - total)
                .min(compressed.saturating_mul(self.inflate_ratio).max(64 * 1024));
            let inflated = count_inflated(entry, allowed)?;
            if inflated > allowed {
                return Err(if total + inflated > self.inflated_bytes {
                    Self::exceeded("解压后大小", self.inflated_bytes)
                } else {
                    Self::exceeded("压缩比", self.inflate_ratio)
                });
            }
            total += inflated;
        }
        Ok(())
    }

    /// Adds `bytes` to the memory `spent`, refusing past the budget.
    pub(crate) fn spend(&self, spent: &mut usize, bytes: usize) -> Result<(), ReadError> {
        *spent = spent.saturating_add(bytes);
        if *spent > self.memory_bytes {
            return Err(Self::exceeded(
                "读取所需内存",
                format!("{} MiB", self.memory_bytes / (1024 * 1024)),
            ));
        }
        Ok(())
    }
}

/// Bytes `entry` inflates to, reading at most `allowed + 1`.
fn count_inflated<R: Read>(
    entry: zip::read::ZipFile<'_, R>,
    allowed: u64,
) -> Result<u64, ReadError> {
    let mut limited = entry.take(allowed + 1);
    std::io::copy(&mut limited, &mut std::io::sink())
        .map_err(|e| ReadError::Workbook(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{read_csv, read_xlsx};
    use std::io::Write;

    fn refused(r: Result<impl std::fmt::Debug, ReadError>) -> String {
        match r {
            Err(ReadError::TooLarge(why)) => why,
            other => unreachable!("expected a refusal, got {other:?}"),
        }
    }

    /// A 1.6 KB workbook whose sheet spans A1:XFD1048576: read densely it needs 512 GiB.
    #[test]
    fn a_cell_at_the_far_corner_is_refused_without_allocating_the_sheet() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        let written = sheet
            .set_name("专利清单")
            .and_then(|s| s.write_string(0, 0, "申请号"))
            .and_then(|s| s.write_string(0, 1, "专利名称"))
            .and_then(|s| s.write_string(1_048_575, 16_383, "x"))
            .map(|_| ());
        assert!(written.is_ok(), "{written:?}");
        let bytes = book.save_to_buffer().unwrap_or_default();
        assert!(bytes.len() < 8 * 1024, "{} bytes", bytes.len());
        let why = refused(read_xlsx(&bytes, &Limits::default()));
        assert!(why.contains("列数") || why.contains("行数"), "{why}");
    }

    fn zip_of(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, body) in entries {
            let written = zip
                .start_file(*name, options)
                .map_err(|e| e.to_string())
                .and_then(|_| zip.write_all(body).map_err(|e| e.to_string()));
            assert!(written.is_ok(), "{written:?}");
        }
        zip.finish().map(|c| c.into_inner()).unwrap_or_default()
    }

    #[test]
    fn an_entry_that_inflates_too_far_is_refused_before_the_workbook_is_opened() {
        let limits = Limits {
            inflated_bytes: 4 * 1024 * 1024,
            ..Limits::default()
        };
        // 8 MiB of one byte deflates to a few KiB: past the ratio and the total.
        let bomb = zip_of(&[("xl/worksheets/sheet1.xml", vec![b' '; 8 * 1024 * 1024])]);
        assert!(bomb.len() < 64 * 1024);
        let why = refused(read_xlsx(&bomb, &limits));
        assert!(
            why.contains("压缩比") || why.contains("解压后大小"),
            "{why}"
        );
        // Many entries, each modest, together past the total.
        let many: Vec<(String, Vec<u8>)> = (0..8)
            .map(|i| (format!("xl/media/{i}.bin"), vec![b'a'; 1024 * 1024]))
            .collect();
        let many: Vec<(&str, Vec<u8>)> =
            many.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
        let why = refused(read_xlsx(
            &zip_of(&many),
            &Limits {
                inflate_ratio: u64::MAX / 2,
                ..limits
            },
        ));
        assert!(why.contains("解压后大小"), "{why}");
        // Too many entries.
        let crowd: Vec<(String, Vec<u8>)> =
            (0..20).map(|i| (format!("x/{i}"), Vec::new())).collect();
        let crowd: Vec<(&str, Vec<u8>)> =
            crowd.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
        let why = refused(read_xlsx(
            &zip_of(&crowd),
            &Limits {
                archive_entries: 10,
                ..limits
            },
        ));
        assert!(why.contains("条目数"), "{why}");
    }

    #[test]
    fn a_csv_header_of_a_million_columns_is_refused() {
        let mut header = String::from("申请号,专利名称");
        for i in 0..1_000_000 {
            header.push_str(&format!(",c{i}"));
        }
        header.push('\n');
        let why = refused(read_csv("专利清单", header.as_bytes(), &Limits::default()));
        assert!(why.contains("列数"), "{why}");
        // A row of empty fields takes no column.
        let commas = format!("申请号,专利名称\n1,2{}\n", ",".repeat(10_000));
        let t = read_csv("专利清单", commas.as_bytes(), &Limits::default());
        assert!(t.is_ok(), "{t:?}");
    }

    #[test]
    fn rows_cells_and_memory_have_their_limits() {
        let small = Limits {
            rows: 100,
            ..Limits::default()
        };
        let mut rows = String::from("申请号,专利名称\n");
        for i in 0..200 {
            rows.push_str(&format!("{i},x\n"));
        }
        assert!(refused(read_csv("p", rows.as_bytes(), &small)).contains("行数"));
        let long = format!("申请号,专利名称\n1,{}\n", "长".repeat(40_000));
        assert!(refused(read_csv("p", long.as_bytes(), &Limits::default())).contains("字数"));
        let budget = Limits {
            memory_bytes: 64 * 1024,
            ..Limits::default()
        };
        let mut big = String::from("申请号,专利名称\n");
        for i in 0..1_000 {
            big.push_str(&format!("{i},{}\n", "x".repeat(100)));
        }
        assert!(refused(read_csv("p", big.as_bytes(), &budget)).contains("内存"));
        assert!(read_csv("p", big.as_bytes(), &Limits::default()).is_ok());
    }
}
