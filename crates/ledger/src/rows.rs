//! Rows turned into domain values, each bad cell reported with its sheet, Excel row number,
//! column, value, stable code and message. A row with any bad cell is rejected whole, and is
//! checked by the same domain rules the API applies.

use crate::columns::SheetKind;
use crate::directory::{Directory, Known, Unresolved};
use crate::sheets::Sheet;
use crate::values::{parse_amount_wan, parse_date, parse_legal_status, parse_yes_no};
mod enterprise;
mod ip;

use crate::findings::Findings;
use crate::{Cell, Row};
use chrono::{Days, Months, NaiveDate};
pub use enterprise::EXPIRY_UNKNOWN;
use enterprise::{enterprise, qualification};
use ip::{appraisal, patent, trademark};
use pledge_domain::code;
use pledge_domain::statement::{
    AppraisalRow, EnterpriseRow, IpNumber, PatentRow, QualificationRow, Source, Stated, Statements,
    UNSTATED_APPRAISER,
};
use pledge_domain::{
    Appraisal, Contact, DomainError, Enterprise, FinancingNeed, IndustryCode, IpcClass,
    LegalStatus, NiceClass, ParkCode, Patent, PatentApplicationNumber, PatentKind,
    PledgeRegistration, PublicationNumber, Qualification, QualificationKind, RegionCode, RiskFlag,
    RiskFlagKind, SizeClass, StrategicIndustry, Text, Trademark, TrademarkRegistrationNumber, Uscc,
    Violation,
};
use std::collections::HashMap;
use std::sync::Arc;

/// A cell that could not be taken (or, among warnings, was taken with an assumption), as the
/// import report shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rejection {
    pub sheet: String,
    /// The row number Excel shows.
    pub row: u32,
    /// The column's header as written in the file (the template's, for a missing column).
    pub column: String,
    pub value: String,
    pub code: &'static str,
    pub message: String,
}

/// What an import assumes and may touch.
#[derive(Debug, Clone)]
pub struct Context {
    /// The importing official's park: new enterprises without a park column join it, owners
    /// written by name are looked for in it, and nothing outside it may change. `None` for
    /// the city IP office.
    pub scope: Option<ParkCode>,
    /// Every park code there is.
    pub parks: Vec<ParkCode>,
    /// The business day of the import: risk flags marked 是 are recorded on it, facts cannot be
    /// dated after it.
    pub today: NaiveDate,
}

/// Every good row of a file, by kind, and what was found on the others: bad cells, and rows
/// taken with an assumption the official should confirm.
#[derive(Debug)]
pub struct Parsed {
    /// The good rows, as the store applies them.
    pub statements: Statements,
    pub findings: Findings,
}

impl std::ops::Deref for Parsed {
    type Target = Statements;
    fn deref(&self) -> &Statements {
        &self.statements
    }
}

impl std::ops::DerefMut for Parsed {
    fn deref_mut(&mut self) -> &mut Statements {
        &mut self.statements
    }
}

/// Reads cells of one row, collecting every rejection.
struct RowReader<'a> {
    sheet: &'a Sheet,
    row: &'a Row,
    rejections: Vec<Rejection>,
    /// Its owner is no enterprise the importing official knows.
    other_owner: bool,
    /// The patent was transferred out to this owner, none of ours.
    transferred_out: Option<String>,
}

impl<'a> RowReader<'a> {
    fn new(sheet: &'a Sheet, row: &'a Row) -> Self {
        let mut r = Self {
            sheet,
            row,
            rejections: Vec::new(),
            other_owner: false,
            transferred_out: None,
        };
        // Bytes that fit neither UTF-8 nor GB18030 were read as U+FFFD: the row is refused
        // at its first such cell, and nothing else in it is judged.
        let unreadable = sheet.layout.found.iter().find_map(|(key, at)| {
            row.cells
                .get(*at)
                .map(Cell::text)
                .filter(|t| t.contains('\u{FFFD}'))
                .map(|t| (*key, t))
        });
        if let Some((key, text)) = unreadable {
            r.reject(
                key,
                text,
                code::ENCODING,
                "含无法识别的字符，请以UTF-8或GB18030编码保存 / unreadable characters: save as UTF-8 or GB18030".into(),
            );
        }
        r
    }

    fn cell(&self, key: &str) -> Option<&'a Cell> {
        self.sheet
            .layout
            .position(key)
            .and_then(|i| self.row.cells.get(i))
            .filter(|c| !c.is_empty())
    }

    fn text(&self, key: &str) -> Option<String> {
        self.cell(key).map(Cell::text)
    }

    fn reject(&mut self, key: &str, value: String, code: &'static str, message: String) {
        let r = self
            .sheet
            .rejection(self.row.number, key, value, code, message);
        self.rejections.push(r);
    }

    /// The parsed value of a cell, or `None` (recorded) when it is bad; `Some(None)` when empty.
    fn read<T, E: std::fmt::Display>(
        &mut self,
        key: &str,
        code: impl Fn(&E) -> &'static str,
        parse: impl FnOnce(&Cell) -> Result<T, E>,
    ) -> Option<Option<T>> {
        let Some(cell) = self.cell(key) else {
            return Some(None);
        };
        match parse(cell) {
            Ok(v) => Some(Some(v)),
            Err(e) => {
                self.reject(key, cell.text(), code(&e), e.to_string());
                None
            }
        }
    }

    /// Like [`read`](Self::read), for a domain parse of the cell's text.
    fn domain<T>(
        &mut self,
        key: &str,
        parse: impl FnOnce(&str) -> Result<T, DomainError>,
    ) -> Option<Option<T>> {
        self.read(key, DomainError::code, |c| parse(&c.text()))
    }

    fn date(&mut self, key: &str) -> Option<Option<NaiveDate>> {
        self.read(key, |_| code::DATE, parse_date)
    }

    fn required<T>(&mut self, key: &str, value: Option<Option<T>>) -> Option<T> {
        match value {
            Some(Some(v)) => Some(v),
            Some(None) => {
                self.reject(key, String::new(), code::REQUIRED, "必填 / required".into());
                None
            }
            None => None,
        }
    }

    /// A finding on the cell `key` of this row that does not refuse it: the row is taken
    /// (as the message says) and marked doubtful.
    fn doubt(&self, key: &str, code: &'static str, message: String) -> Rejection {
        let value = self.text(key).unwrap_or_default();
        self.sheet
            .rejection(self.row.number, key, value, code, message)
    }

    /// Reports the domain's violations against the columns they concern; `column` maps a
    /// violation's field to a column key.
    fn violations(&mut self, violations: Vec<Violation>, column: impl Fn(&str) -> String) {
        for v in violations {
            let key = column(&v.field);
            let value = self.text(&key).unwrap_or_default();
            self.reject(&key, value, v.error.code(), v.error.to_string());
        }
    }

    /// The owner of a patent or trademark: a USCC, or a name known within the scope; of
    /// several owners written in one cell (as patent databases export them), the first. A
    /// name none of ours, where the row says the patent moved and `holder` (in scope) holds
    /// it, is a transfer out: the holder is returned and the name kept as the new owner.
    fn owner(
        &mut self,
        directory: &Directory,
        ctx: &Context,
        holder: Option<&Known>,
    ) -> Option<Uscc> {
        let whole = self.text("owner")?;
        let text = split_owners(&whole).into_iter().next().unwrap_or(whole);
        let (known, by_name): (Result<&Known, Unresolved>, bool) = match Uscc::parse(&text) {
            Ok(u) => (directory.get(&u).ok_or(Unresolved::Unknown), false),
            // Eighteen letters and digits are a code with a typo, not a name.
            Err(e) if text.chars().count() == 18 && text.chars().all(|c| c.is_alphanumeric()) => {
                self.reject("owner", text, e.code(), e.to_string());
                return None;
            }
            Err(_) => (directory.by_name(&text, ctx.scope.as_ref()), true),
        };
        // An owner outside the caller's park is one it does not know.
        let known = known.and_then(|k| match &ctx.scope {
            Some(s) if s != &k.park => Err(Unresolved::Unknown),
            _ => Ok(k),
        });
        match known {
            Ok(k) => Some(k.uscc),
            Err(Unresolved::Unknown)
                if by_name
                    && let Some(h) =
                        holder.filter(|h| ctx.scope.as_ref().is_none_or(|s| s == &h.park)) =>
            {
                self.transferred_out = Some(text);
                Some(h.uscc)
            }
            Err(Unresolved::Unknown) => {
                self.other_owner = true;
                let message = if by_name {
                    "本园区内找不到该名称的企业，请先导入企业或改填统一社会信用代码 / no enterprise of this name in scope"
                } else {
                    "找不到该统一社会信用代码的企业，请先导入企业 / no enterprise with this code"
                };
                self.reject("owner", text, code::OWNER_UNKNOWN, message.into());
                None
            }
            Err(Unresolved::Ambiguous(n)) => {
                self.reject(
                    "owner",
                    text,
                    code::OWNER_AMBIGUOUS,
                    format!(
                        "有{n}家企业同名，请改填统一社会信用代码 / {n} enterprises carry this name: write the code"
                    ),
                );
                None
            }
        }
    }

    fn finish(self, out: &mut Parsed, source: Source) -> bool {
        if self.rejections.is_empty() {
            true
        } else {
            out.findings.reject(self.rejections);
            out.rejected.push((source, self.sheet.kind.as_str()));
            false
        }
    }
}

/// The owners written in one cell, in order: patent databases join them with `;`, `；`, `|`
/// or `、` (never a comma: it may be part of a name).
pub(crate) fn split_owners(text: &str) -> Vec<String> {
    text.split([';', '；', '|', '、'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Items separated by 、 , ， ; ； or /, without blanks and 无; a separator inside brackets
/// belongs to its item (`高新技术企业（至2027-12-31，证书…）`).
fn split_list(text: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut item = String::new();
    let mut depth = 0u32;
    for c in text.chars() {
        match c {
            '（' | '(' => depth += 1,
            '）' | ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth == 0 && matches!(c, '、' | ',' | '，' | ';' | '；' | '/') {
            items.push(std::mem::take(&mut item));
        } else {
            item.push(c);
        }
    }
    items.push(item);
    items
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty() && s != "无")
        .collect()
}

/// The first key, in a sheet, of each row value: a later row with the same key is refused.
struct FirstSeen<K>(HashMap<K, (usize, u32)>);

impl<K: std::hash::Hash + Eq> FirstSeen<K> {
    fn new() -> Self {
        Self(HashMap::new())
    }

    fn check(&mut self, r: &mut RowReader<'_>, sheet: usize, key: K, column: &str) {
        match self.0.get(&key) {
            Some((s, first)) => {
                let value = r.text(column).unwrap_or_default();
                let message = if *s == sheet {
                    format!("与第{first}行重复 / repeats row {first}")
                } else {
                    format!("与另一工作表第{first}行重复 / repeats row {first} of another sheet")
                };
                r.reject(column, value, code::DUPLICATE_ROW, message);
            }
            None => {
                self.0.insert(key, (sheet, r.row.number));
            }
        }
    }
}

/// The last day of an appraisal that states no validity: one year from its date.
fn one_year_from(day: NaiveDate) -> NaiveDate {
    day.checked_add_months(Months::new(12))
        .and_then(|d| d.checked_sub_days(Days::new(1)))
        .unwrap_or(day)
}

/// Reads every sheet: enterprises first (so later sheets find the enterprises the file brings),
/// then qualifications, patents, trademarks and appraisals. `directory` holds the stored
/// enterprises the file refers to; the file's own are added to it.
pub fn parse(sheets: &[Sheet], ctx: &Context, directory: &mut Directory) -> Parsed {
    let mut out = Parsed {
        statements: Statements::default(),
        findings: Findings::new(sheets.iter().map(|s| s.table.sheet.clone()).collect()),
    };
    let mut order: Vec<usize> = (0..sheets.len()).collect();
    order.sort_by_key(|i| {
        SheetKind::ALL
            .iter()
            .position(|k| *k == sheets[*i].kind)
            .unwrap_or(usize::MAX)
    });
    let mut enterprises = FirstSeen::new();
    let mut patents = FirstSeen::new();
    let mut trademarks = FirstSeen::new();
    let mut qualifications = FirstSeen::new();
    for i in order {
        let sheet = &sheets[i];
        // A column nobody's template has is set aside; when it speaks of something a bank or
        // the office would miss, that is said, never silently done.
        for header in &sheet.layout.unknown {
            if let Some(concern) = crate::columns::concern_of(header) {
                out.findings.warn(vec![Rejection {
                    sheet: sheet.table.sheet.clone(),
                    row: sheet.table.header_row,
                    column: header.clone(),
                    value: String::new(),
                    code: code::COLUMN_IGNORED,
                    message: format!(
                        "未识别的列“{header}”涉及{concern}，其内容未导入：请改用模板的列名 / the column “{header}” is about {concern} but matches no template column: its content was not imported"
                    ),
                }]);
            }
        }
        let stated: Stated = sheet.layout.found.iter().map(|(k, _)| *k).collect();
        // Patent rows read, and of those whose owner is no enterprise the official knows.
        let (mut patent_rows, mut other_owners) = (0usize, 0usize);
        for row in sheet.table.data() {
            let source = Source {
                sheet: i,
                row: row.number,
            };
            let mut r = RowReader::new(sheet, row);
            // Assumptions taken on the row, said once it is read.
            let mut warnings = Vec::new();
            if !r.rejections.is_empty() {
                r.finish(&mut out, source);
                continue;
            }
            match sheet.kind {
                SheetKind::Enterprises => {
                    let e = enterprise(&mut r, ctx, directory, &mut warnings);
                    if let Some(e) = &e {
                        enterprises.check(&mut r, i, e.enterprise.uscc, "uscc");
                    }
                    if r.finish(&mut out, source)
                        && let Some(e) = e
                    {
                        // A sheet without 曾用名 leaves the stored former names in force.
                        let former_names = if stated.contains(&"former_names") {
                            e.enterprise.former_names.clone()
                        } else {
                            directory
                                .get(&e.enterprise.uscc)
                                .map(|k| k.former_names.clone())
                                .unwrap_or_default()
                        };
                        directory.insert(Known {
                            uscc: e.enterprise.uscc,
                            name: e.enterprise.name.to_string(),
                            former_names,
                            park: e.enterprise.park.clone(),
                        });
                        out.enterprises.push((
                            source,
                            EnterpriseRow {
                                stated: stated.clone(),
                                ..e
                            },
                        ));
                    }
                }
                SheetKind::Patents => {
                    let p = patent(&mut r, ctx, directory, &mut warnings);
                    patent_rows += 1;
                    other_owners += usize::from(r.other_owner);
                    if let Some(p) = &p {
                        patents.check(&mut r, i, p.patent.application_number, "application_number");
                    }
                    if r.finish(&mut out, source)
                        && let Some(p) = p
                    {
                        out.patents.push((
                            source,
                            PatentRow {
                                stated: stated.clone(),
                                ..p
                            },
                        ));
                    }
                }
                SheetKind::Trademarks => {
                    let t = trademark(&mut r, ctx, directory);
                    if let Some(t) = &t {
                        let key = (t.registration_number, t.nice_class);
                        trademarks.check(&mut r, i, key, "registration_number");
                    }
                    if r.finish(&mut out, source)
                        && let Some(t) = t
                    {
                        out.trademarks.push((source, t));
                    }
                }
                SheetKind::Qualifications => {
                    let q = qualification(&mut r, ctx, directory);
                    if let Some(q) = &q {
                        let key = (q.uscc, q.qualification.kind);
                        qualifications.check(&mut r, i, key, "kind");
                    }
                    if r.finish(&mut out, source)
                        && let Some(q) = q
                    {
                        out.qualifications.push((source, q));
                    }
                }
                SheetKind::Appraisals => {
                    let a = appraisal(&mut r, ctx);
                    if r.finish(&mut out, source)
                        && let Some(a) = a
                    {
                        out.appraisals.push((source, a));
                    }
                }
            }
            out.findings.warn(warnings);
        }
        // A list mostly of other owners' patents (another park's, or a whole database's
        // export) is said once, at its header, beside each row's own refusal.
        if patent_rows > 0 && other_owners * 2 > patent_rows {
            let column = sheet
                .layout
                .position("owner")
                .and_then(|at| sheet.table.headers.get(at))
                .cloned()
                .unwrap_or_default();
            out.findings.warn(vec![Rejection {
                sheet: sheet.table.sheet.clone(),
                row: sheet.table.header_row,
                column,
                value: String::new(),
                code: code::MOSTLY_OTHER_OWNERS,
                message: format!(
                    "本表{patent_rows}条专利中{other_owners}条的权利人不是本园区已登记的企业：是否导出了其他园区或整个数据库的专利？/ {other_owners} of {patent_rows} patents belong to owners that are not enterprises registered in your park: is this another park's list, or a whole database's export?"
                ),
            }]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Directory, classify, read_xlsx};

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    fn park(code: &str) -> ParkCode {
        ParkCode::parse(code).unwrap_or_else(|e| unreachable!("{e}"))
    }

    fn fixture() -> Vec<Sheet> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../test-data/park-ledger-hongqi.xlsx"
        );
        let bytes = std::fs::read(path).unwrap_or_else(|e| unreachable!("{path}: {e}"));
        let tables =
            read_xlsx(&bytes, &crate::Limits::default()).unwrap_or_else(|e| unreachable!("{e}"));
        let (sheets, unknown) = classify(tables, None);
        assert!(unknown.is_empty());
        sheets
    }

    fn context() -> Context {
        Context {
            scope: Some(park("hqkfq")),
            parks: vec![park("hqkfq"), park("xxgx")],
            today: day(2026, 11, 27),
        }
    }

    #[test]
    fn the_park_ledger_yields_every_good_row_and_names_the_bad_ones() {
        let sheets = fixture();
        let mut directory = Directory::default();
        let mut parsed = parse(&sheets, &context(), &mut directory);
        let rejections = parsed.findings.rejections();
        let warnings = parsed.findings.warnings();
        let bad: Vec<(&str, u32, &str)> = rejections
            .iter()
            .map(|b| (b.sheet.as_str(), b.row, b.code))
            .collect();
        assert_eq!(
            bad,
            vec![
                ("企业台账", 43, "uscc_check_character"),
                ("专利清单", 70, "date_in_future"),
                ("专利清单", 88, "application_number_check"),
                ("专利清单", 88, "owner_unknown"),
            ],
            "{rejections:#?}"
        );
        assert_eq!(rejections[0].column, "统一社会\n信用代码");
        assert_eq!(rejections[1].column, "授权公告日");
        assert_eq!(parsed.enterprises.len(), 40);
        assert_eq!(parsed.patents.len(), 87 - 2);
        let second = &parsed.enterprises[1].1.enterprise;
        assert_eq!(
            second.uscc.as_str(),
            "91410702EL8DHXT2NX",
            "full-width code"
        );
        assert_eq!(second.region.as_str(), "410702", "region from the code");
        assert_eq!(
            second.financing_need.as_ref().map(|n| n.amount.fen()),
            Some(1_500_000_000),
            "1500万元"
        );
        // Owners named by 企业名称 are found among the file's enterprises.
        let first = &parsed.patents[0].1;
        assert_eq!(
            directory.get(&first.patent.owner).map(|k| k.name.as_str()),
            Some("河南宏业宏业新材料有限公司")
        );
        assert_eq!(first.patent.legal_status.as_str(), "lapsed_unpaid_fee");
        assert_eq!(
            first.patent.application_number.to_string(),
            "200828864766.5"
        );
        // 是否已质押=是 without particulars: marked pledged, no number or date made up, with a
        // warning to complete it.
        assert_eq!(
            first.patent.pledges,
            [pledge_domain::PledgeRegistration::marked()]
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.row == 2 && w.code == "pledge_details_missing")
        );
        let appraisal = first
            .appraisal
            .as_ref()
            .map(|a| (a.amount.fen(), a.appraised_on));
        assert_eq!(appraisal, Some((800 * 1_000_000, day(2026, 4, 21))));
        // Full-width 专利号 and 专利权维持.
        let full_width = parsed
            .patents
            .iter()
            .find(|(s, _)| s.row == 16)
            .map(|(_, p)| {
                (
                    p.patent.application_number.to_string(),
                    p.patent.legal_status,
                )
            });
        assert_eq!(
            full_width,
            Some(("202238264142.5".into(), pledge_domain::LegalStatus::InForce))
        );
    }

    #[test]
    fn scope_duplicates_and_unknown_owners_are_rejected() {
        let sheets = fixture();
        let mut directory = Directory::default();
        directory.insert(Known {
            uscc: Uscc::parse("91410702MA44X7JG2R").unwrap_or_else(|e| unreachable!("{e}")),
            name: "新乡市别园企业有限公司".into(),
            former_names: Vec::new(),
            park: park("xxgx"),
        });
        let mut sheets = sheets;
        // A second copy of the first enterprise row, and a row of another park's enterprise
        // (taken, whoever holds it).
        let at = sheets[0].layout.position("uscc").unwrap_or(0);
        let firms = &mut sheets[0].table;
        let copy = firms.rows[0].clone();
        let mut other = firms.rows[0].clone();
        other.cells[at] = Cell::Text("91410702MA44X7JG2R".into());
        let last = firms.rows.last().map_or(0, |r| r.number);
        firms.rows.push(Row {
            number: last + 1,
            ..copy
        });
        firms.rows.push(Row {
            number: last + 2,
            ..other
        });
        let mut parsed = parse(&sheets, &context(), &mut directory);
        let codes: Vec<(u32, &str)> = parsed
            .findings
            .rejections()
            .iter()
            .filter(|r| r.sheet == "企业台账")
            .map(|r| (r.row, r.code))
            .collect();
        assert_eq!(
            codes,
            vec![
                (43, "uscc_check_character"),
                (last + 1, "duplicate_row"),
                (last + 2, "duplicate")
            ]
        );
    }

    #[test]
    fn several_owners_in_one_cell_come_apart_in_order() {
        assert_eq!(
            split_owners("新乡市华锐机械有限公司; 郑州某某大学；河南某研究院 | 张三、李四"),
            [
                "新乡市华锐机械有限公司",
                "郑州某某大学",
                "河南某研究院",
                "张三",
                "李四"
            ]
        );
        assert_eq!(split_owners(" 一家公司 "), ["一家公司"]);
        assert_eq!(
            split_owners("甲, 乙有限公司"),
            ["甲, 乙有限公司"],
            "a comma may be part of a name"
        );
        assert!(split_owners(" ; ").is_empty());
    }
}
