//! Sample ledgers of any size, valid row by row, for benchmarks and tests of large imports.

use pledge_domain::Uscc;
use std::fmt::Write;

/// The USCC of sample enterprise `i` (registered in 红旗区, 410702).
pub fn sample_uscc(i: u32) -> Option<Uscc> {
    Uscc::from_body(&format!("91410702MB{i:07}")).ok()
}

/// The application number of sample patent `i` (filed 2015–2024, inventions and utility
/// models), with its check character.
pub fn sample_application_number(i: u32) -> String {
    let year = 2015 + i % 10;
    let kind = if i.is_multiple_of(3) { 1 } else { 2 };
    let body = format!("{year}{kind}{:07}", i % 10_000_000);
    let weights = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5];
    let sum: u32 = body
        .bytes()
        .zip(weights)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let check = match sum % 11 {
        10 => 'X',
        n => char::from(b'0' + n as u8),
    };
    format!("{body}.{check}")
}

/// Two CSV ledgers: `enterprises` enterprises of `park`, and `patents` patents spread over
/// them, each with an appraisal.
pub fn sample_ledgers(enterprises: u32, patents: u32, park: &str) -> (String, String) {
    let mut firms = String::from(
        "统一社会信用代码,企业名称,园区代码,行业代码,成立日期,企业资质,资质有效期至,融资需求(万元)\n",
    );
    for i in 0..enterprises {
        let Some(uscc) = sample_uscc(i) else { continue };
        let _ = writeln!(
            firms,
            "{uscc},新乡市样本{i}科技有限公司,{park},C35{:02},2012-05-01,高新技术企业,2028-12-31,{}",
            i % 100,
            100 + i % 900
        );
    }
    let mut ip = String::from(
        "申请号,专利名称,专利权人,申请日,授权日,法律状态,年费缴至,评估价值(万元),评估基准日,评估机构\n",
    );
    for i in 0..patents {
        let number = sample_application_number(i);
        let Some(owner) = sample_uscc(i % enterprises.max(1)) else {
            continue;
        };
        let year = &number[..4];
        let _ = writeln!(
            ip,
            "{number},一种样本装置{i},{owner},{year}-03-01,2026-01-10,有效,2027-02-28,{},2026-03-01,河南中原资产评估有限公司",
            50 + i % 950
        );
    }
    (firms, ip)
}

/// Files that are small to send and expensive to read, as a hostile or careless uploader
/// makes them; every row of each is rejected. For the memory tests and `scripts/import-memory.sh`.
pub mod heavy {
    use crate::columns::{SheetKind, columns};
    use std::fmt::Write;

    /// The headers of the patent template's required columns, then of its others, `n` of
    /// them at least and as many as are required.
    fn patent_headers(n: usize) -> Vec<&'static str> {
        let (required, others): (Vec<_>, Vec<_>) = columns(SheetKind::Patents)
            .into_iter()
            .partition(|c| c.required);
        let n = n.max(required.len());
        required
            .into_iter()
            .chain(others)
            .map(|c| c.header)
            .take(n)
            .collect()
    }

    /// A patent ledger as CSV of `rows` rows, each rejected: an application number that is
    /// none, a title, an owner nobody knows, a day that is none, an unknown legal status.
    pub fn rejected_csv(rows: u32) -> String {
        let mut csv = patent_headers(5).join(",");
        csv.push('\n');
        for i in 0..rows {
            let _ = writeln!(csv, "CN{i:09}X,一种拒收装置{i},无名公司{i},2020-13-45,未知");
        }
        csv
    }

    /// A patent ledger as CSV of `rows` rows of `width` cells (at least the required columns),
    /// each cell `chars` characters or so that no column accepts but the free-text ones: at
    /// 199,999 rows of 12 cells of 22 characters, a file just under the default upload limit.
    pub fn wide_csv(rows: u32, width: u16, chars: usize) -> String {
        let headers = patent_headers(usize::from(width));
        let mut csv = headers.join(",");
        csv.push('\n');
        let filler = "x".repeat(chars.saturating_sub(12));
        for i in 0..rows {
            for c in 0..headers.len() {
                let sep = if c + 1 == headers.len() { '\n' } else { ',' };
                let _ = write!(csv, "无效{i:010}{filler}{sep}");
            }
        }
        csv
    }

    /// A patent workbook of `rows` rows of `width` cells (at most the template's columns)
    /// under a header of the required columns at least, whose text is drawn from `strings`
    /// distinct shared strings none of which is a valid value: a workbook of a few MB that
    /// holds millions of rejected cells.
    pub fn shared_strings_workbook(
        rows: u32,
        width: u16,
        strings: u32,
    ) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name("专利清单")?;
        for (c, h) in patent_headers(usize::from(width)).iter().enumerate() {
            sheet.write_string(0, c as u16, *h)?;
        }
        let strings = strings.max(1);
        for r in 0..rows {
            for c in 0..width {
                let s = (r.wrapping_mul(31).wrapping_add(u32::from(c) * 7919)) % strings;
                sheet.write_string(r + 1, c, format!("无效{s}"))?;
            }
        }
        book.save_to_buffer()
    }
}
