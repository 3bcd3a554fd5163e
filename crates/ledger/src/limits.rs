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
    /// Strings of a workbook's shared string table (read whole before any sheet).
    pub shared_strings: usize,
    /// Memory the shared strings and the cells read may take, all sheets together, estimated
    /// as they are read.
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
            shared_strings: 1_000_000,
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
    /// sizes an archive declares may lie, what comes out of it does not. The shared string
    /// table, which the reader holds whole, is counted in strings and charged to the memory
    /// budget: what it takes is returned, the start of the budget's spending.
    pub(crate) fn check_archive(&self, bytes: &[u8]) -> Result<usize, ReadError> {
        let unreadable = |e: zip::result::ZipError| ReadError::Workbook(e.to_string());
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(unreadable)?;
        if archive.len() > self.archive_entries {
            return Err(Self::exceeded("压缩包条目数", self.archive_entries));
        }
        let mut total = 0u64;
        let mut spent = 0usize;
        for i in 0..archive.len() {
            let entry = archive.by_index(i).map_err(unreadable)?;
            let compressed = entry.compressed_size().max(1);
            let allowed = (self.inflated_bytes - total)
                .min(compressed.saturating_mul(self.inflate_ratio).max(64 * 1024));
            let shared = entry
                .name()
                .is_ok_and(|n| n.to_ascii_lowercase().ends_with("sharedstrings.xml"));
            let (inflated, strings) = count_inflated(entry, allowed, shared)?;
            if strings > self.shared_strings {
                return Err(Self::exceeded("共享字符串数", self.shared_strings));
            }
            if shared {
                // Each string is held with its header; its text takes no more than its XML.
                let held = strings.saturating_mul(std::mem::size_of::<String>() + 8);
                self.spend(&mut spent, held.saturating_add(inflated as usize))?;
            }
            if inflated > allowed {
                return Err(if total + inflated > self.inflated_bytes {
                    Self::exceeded("解压后大小", self.inflated_bytes)
                } else {
                    Self::exceeded("压缩比", self.inflate_ratio)
                });
            }
            total += inflated;
        }
        Ok(spent)
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

/// Bytes `entry` inflates to, reading at most `allowed + 1`, and, when `strings` is asked,
/// how many `<si>` elements (shared strings) they hold.
fn count_inflated<R: Read>(
    entry: zip::read::ZipFile<'_, R>,
    allowed: u64,
    strings: bool,
) -> Result<(u64, usize), ReadError> {
    let mut limited = entry.take(allowed + 1);
    let mut counter = StringCounter::default();
    let mut buf = vec![0u8; 64 * 1024];
    let mut inflated = 0u64;
    loop {
        let n = limited
            .read(&mut buf)
            .map_err(|e| ReadError::Workbook(e.to_string()))?;
        if n == 0 {
            break;
        }
        inflated += n as u64;
        if strings {
            counter.feed(&buf[..n]);
        }
    }
    Ok((inflated, counter.count))
}

/// Counts `<si>` elements (with or without a namespace prefix, attributes or content) in
/// XML fed in pieces: the opening tags whose local name is `si`.
#[derive(Default)]
struct StringCounter {
    /// The name of the tag being read (up to its first 16 bytes), once a `<` is met.
    name: Option<Vec<u8>>,
    count: usize,
}

impl StringCounter {
    fn feed(&mut self, piece: &[u8]) {
        for &b in piece {
            if b == b'<' {
                self.name = Some(Vec::new());
                continue;
            }
            let Some(name) = self.name.as_mut() else {
                continue;
            };
            if matches!(b, b'>' | b'/' | b' ' | b'\t' | b'\r' | b'\n') && !name.is_empty() {
                let local = name.rsplit(|c| *c == b':').next().unwrap_or_default();
                if local == b"si" && name.first() != Some(&b'/') {
                    self.count += 1;
                }
                self.name = None;
            } else if name.len() < 16 {
                name.push(b);
            } else {
                self.name = None;
            }
        }
    }
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
    fn shared_strings_are_counted_and_charged_before_any_sheet_is_read() {
        // 5,000 distinct strings in 5,000 rows of one cell, a workbook of a few dozen KB.
        let bytes = crate::sample::heavy::shared_strings_workbook(5_000, 1, 5_000)
            .unwrap_or_else(|e| unreachable!("{e}"));
        let why = refused(read_xlsx(
            &bytes,
            &Limits {
                shared_strings: 4_000,
                ..Limits::default()
            },
        ));
        assert!(why.contains("共享字符串数"), "{why}");
        assert!(read_xlsx(&bytes, &Limits::default()).is_ok());
        // The shared strings are charged to the memory budget with the cells.
        let budget = |kib: usize| Limits {
            memory_bytes: kib * 1024,
            ..Limits::default()
        };
        assert!(read_xlsx(&bytes, &budget(4096)).is_ok());
        assert!(refused(read_xlsx(&bytes, &budget(200))).contains("内存"));
        // A row's cells are charged once, as it is held: 1,000 rows of 12 cells drawn from
        // 500 strings take about 360 KB (charged once per cell added, 1.9 MB).
        let wide = crate::sample::heavy::shared_strings_workbook(1_000, 12, 500)
            .unwrap_or_else(|e| unreachable!("{e}"));
        let read = read_xlsx(&wide, &budget(1024));
        assert!(read.is_ok(), "{read:?}");
    }

    #[test]
    fn strings_are_counted_across_the_pieces_they_are_read_in() {
        let xml = b"<sst><si><t>a</t></si><x:si><t>b</t></x:si><si/><si \n/><sig/></sst>";
        for split in 0..xml.len() {
            let mut c = StringCounter::default();
            c.feed(&xml[..split]);
            c.feed(&xml[split..]);
            assert_eq!(c.count, 4, "split at {split}");
        }
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
