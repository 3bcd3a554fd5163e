//! Rows turned into domain values, each bad cell reported with its sheet, Excel row number,
//! column, value, stable code and message. A row with any bad cell is rejected whole, and is
//! checked by the same domain rules the API applies.

use crate::columns::SheetKind;
use crate::directory::{Directory, Known, Unresolved};
use crate::sheets::Sheet;
use crate::values::{parse_amount_wan, parse_date, parse_legal_status, parse_yes_no};
use crate::{Cell, Row};
use chrono::{Days, Months, NaiveDate};
use pledge_domain::code;
use pledge_domain::statement::{
    AppraisalRow, EnterpriseRow, IpNumber, PatentRow, QualificationRow, Source, Stated, Statements,
    UNSTATED_APPRAISER, UNSTATED_PLEDGE,
};
use pledge_domain::{
    Appraisal, Contact, DomainError, Enterprise, FinancingNeed, IndustryCode, IpcClass, NiceClass,
    ParkCode, Patent, PatentApplicationNumber, PatentKind, PledgeRegistration, Qualification,
    QualificationKind, RegionCode, RiskFlag, RiskFlagKind, SizeClass, StrategicIndustry, Text,
    Trademark, TrademarkRegistrationNumber, Uscc, Violation,
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
    /// dated after it, and qualifications without an end date hold three years from it.
    pub today: NaiveDate,
}

/// Every good row of a file, by kind, and every rejected cell.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// The good rows, as the store applies them.
    pub statements: Statements,
    pub rejections: Vec<Rejection>,
    /// Rows taken with an assumption the official should confirm.
    pub warnings: Vec<Rejection>,
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
}

impl<'a> RowReader<'a> {
    fn new(sheet: &'a Sheet, row: &'a Row) -> Self {
        let mut r = Self {
            sheet,
            row,
            rejections: Vec::new(),
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

    /// Reports the domain's violations against the columns they concern; `column` maps a
    /// violation's field to a column key.
    fn violations(&mut self, violations: Vec<Violation>, column: impl Fn(&str) -> String) {
        for v in violations {
            let key = column(&v.field);
            let value = self.text(&key).unwrap_or_default();
            self.reject(&key, value, v.error.code(), v.error.to_string());
        }
    }

    /// The owner of a patent or trademark: a USCC, or a name known within the scope.
    fn owner(&mut self, directory: &Directory, ctx: &Context) -> Option<Uscc> {
        let text = self.text("owner")?;
        let (known, by_name): (Result<&Known, Unresolved>, bool) = match Uscc::parse(&text) {
            Ok(u) => (directory.get(&u).ok_or(Unresolved::Unknown), false),
            // Eighteen letters and digits are a code with a typo, not a name.
            Err(e) if text.chars().count() == 18 && text.chars().all(|c| c.is_alphanumeric()) => {
                self.reject("owner", text, e.code(), e.to_string());
                return None;
            }
            Err(_) => (directory.by_name(&text, ctx.scope.as_ref()), true),
        };
        match known {
            Ok(k) if ctx.scope.as_ref().is_some_and(|s| s != &k.park) => {
                self.reject(
                    "owner",
                    text,
                    code::OUT_OF_SCOPE,
                    format!(
                        "该企业属于园区{}，不在本园区 / the enterprise belongs to park {}",
                        k.park, k.park
                    ),
                );
                None
            }
            Ok(k) => Some(k.uscc),
            Err(Unresolved::Unknown) => {
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
            out.rejections.extend(self.rejections);
            out.rejected.push((source, self.sheet.kind.as_str()));
            false
        }
    }
}

/// Items separated by 、 , ， ; ； or /, without blanks and 无.
fn split_list(text: &str) -> Vec<String> {
    text.split(['、', ',', '，', ';', '；', '/'])
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
    let mut out = Parsed::default();
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
        let stated: Stated = sheet.layout.found.iter().map(|(k, _)| *k).collect();
        for row in sheet.table.data() {
            let source = Source {
                sheet: i,
                row: row.number,
            };
            let mut r = RowReader::new(sheet, row);
            if !r.rejections.is_empty() {
                r.finish(&mut out, source);
                continue;
            }
            match sheet.kind {
                SheetKind::Enterprises => {
                    let e = enterprise(&mut r, ctx, directory);
                    if let Some(e) = &e {
                        enterprises.check(&mut r, i, e.enterprise.uscc, "uscc");
                    }
                    if r.finish(&mut out, source)
                        && let Some(e) = e
                    {
                        directory.insert(Known {
                            uscc: e.enterprise.uscc,
                            name: e.enterprise.name.to_string(),
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
                    let p = patent(&mut r, ctx, directory, &mut out.warnings);
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
        }
    }
    out
}

/// The park of an enterprise row: as stated (it must exist and be in scope), else the one it
/// is stored in, else the importing official's.
fn park_of(r: &mut RowReader<'_>, ctx: &Context, known: Option<&Known>) -> Option<ParkCode> {
    let stated = r.domain("park", ParkCode::parse)?;
    if let Some(p) = &stated
        && !ctx.parks.contains(p)
    {
        r.reject(
            "park",
            p.to_string(),
            code::PARK_UNKNOWN,
            "没有这个园区代码 / no park has this code".into(),
        );
        return None;
    }
    if let (Some(scope), Some(k)) = (&ctx.scope, known)
        && &k.park != scope
    {
        r.reject(
            "uscc",
            k.uscc.to_string(),
            code::OUT_OF_SCOPE,
            format!(
                "该企业属于园区{}，不在本园区 / the enterprise belongs to park {}",
                k.park, k.park
            ),
        );
        return None;
    }
    if let (Some(scope), Some(p)) = (&ctx.scope, &stated)
        && p != scope
    {
        r.reject(
            "park",
            p.to_string(),
            code::OUT_OF_SCOPE,
            "只能导入本园区的企业 / only enterprises of your own park".into(),
        );
        return None;
    }
    match stated
        .or_else(|| known.map(|k| k.park.clone()))
        .or_else(|| ctx.scope.clone())
    {
        Some(p) => Some(p),
        None => {
            r.reject(
                "park",
                String::new(),
                code::REQUIRED,
                "新企业须填写园区代码 / a new enterprise needs a park code".into(),
            );
            None
        }
    }
}

fn enterprise(
    r: &mut RowReader<'_>,
    ctx: &Context,
    directory: &Directory,
) -> Option<EnterpriseRow> {
    let uscc = r.domain("uscc", Uscc::parse);
    let uscc = r.required("uscc", uscc);
    let name = r.domain("name", |s| Text::parse(s, 2, 100));
    let name = r.required("name", name);
    let park = match &uscc {
        Some(u) => park_of(r, ctx, directory.get(u)),
        None => None,
    };
    let region = match r.domain("region", RegionCode::parse) {
        Some(Some(region)) => Some(region),
        // The registering authority's division, positions 3–8 of the code.
        Some(None) => match &uscc {
            Some(u) => match RegionCode::parse(u.division_code()) {
                Ok(region) => Some(region),
                Err(e) => {
                    r.reject(
                        "region",
                        u.division_code().to_owned(),
                        e.code(),
                        e.to_string(),
                    );
                    None
                }
            },
            None => None,
        },
        None => None,
    };
    let industry = r.domain("industry", IndustryCode::parse);
    let industry = r.required("industry", industry);
    let founded = r.date("founded_on");
    let founded_on = r.required("founded_on", founded);
    let size = r
        .domain("size", SizeClass::parse)
        .map(|s| s.unwrap_or(SizeClass::Small));
    let strategic = r.domain("strategic_industry", StrategicIndustry::parse);
    let quals_until = r.date("qualifications_valid_until");
    let qualifications = r.read("qualifications", DomainError::code, |c| {
        split_list(&c.text())
            .iter()
            .map(|q| QualificationKind::parse(q))
            .collect::<Result<Vec<_>, _>>()
    });
    let mut flags = Vec::new();
    for (key, kind) in [
        ("dishonest_debtor", RiskFlagKind::DishonestDebtor),
        ("abnormal_operation", RiskFlagKind::AbnormalOperation),
    ] {
        if r.read(key, |_| code::YES_NO, parse_yes_no) == Some(Some(true)) {
            flags.push(RiskFlag {
                kind,
                recorded_on: ctx.today,
            });
        }
    }
    let need = r.read("financing_need", |_| "amount", parse_amount_wan);
    let term = r.read(
        "financing_term_months",
        |_| code::WHOLE_NUMBER,
        |c| {
            c.text()
                .parse::<u16>()
                .map_err(|_| DomainError::OutOfRange { min: 1, max: 360 })
        },
    );
    let consent = r.read("contact_consent", |_| code::YES_NO, parse_yes_no);
    let contact_name = r.text("contact_name");
    let phone = r.text("contact_phone");
    let email = r.text("contact_email");
    let (
        Some(uscc),
        Some(name),
        Some(park),
        Some(region),
        Some(industry),
        Some(founded_on),
        Some(size),
        Some(strategic_industry),
        Some(until),
        Some(qualifications),
        Some(need),
        Some(term),
        Some(consent),
    ) = (
        uscc,
        name,
        park,
        region,
        industry,
        founded_on,
        size,
        strategic,
        quals_until,
        qualifications,
        need,
        term,
        consent,
    )
    else {
        return None;
    };
    let default_until = ctx
        .today
        .checked_add_months(Months::new(36))
        .unwrap_or(ctx.today);
    let e = Enterprise {
        uscc,
        name,
        park,
        region,
        industry,
        strategic_industry,
        founded_on,
        size,
        qualifications: qualifications
            .unwrap_or_default()
            .into_iter()
            .map(|kind| Qualification {
                kind,
                certificate_number: None,
                valid_until: until.unwrap_or(default_until),
            })
            .collect(),
        risk_flags: flags,
        financing_need: need.map(|amount| FinancingNeed {
            amount,
            term_months: term.unwrap_or(12),
        }),
        contact: contact_name.map(|name| Contact { name, phone, email }),
        contact_consent: consent.unwrap_or(false),
    };
    r.violations(e.violations(ctx.today), |field| {
        let key = field.split(['.', '[']).next().unwrap_or("");
        match key {
            "financing_need" => "financing_term_months".to_owned(),
            "contact" => format!("contact_{}", field.rsplit('.').next().unwrap_or("name")),
            other => other.to_owned(),
        }
    });
    Some(EnterpriseRow {
        enterprise: e,
        stated: Arc::new([]),
        qualifications_until: until,
    })
}

fn patent(
    r: &mut RowReader<'_>,
    ctx: &Context,
    directory: &Directory,
    warnings: &mut Vec<Rejection>,
) -> Option<PatentRow> {
    let number = r.domain("application_number", PatentApplicationNumber::parse);
    let number = r.required("application_number", number);
    let title = r.domain("title", |s| Text::parse(s, 1, 200));
    let title = r.required("title", title);
    let owner = match r.cell("owner") {
        Some(_) => r.owner(directory, ctx),
        None => r.required("owner", Some(None)),
    };
    let kind = r.read(
        "kind",
        |_: &DomainError| code::UNKNOWN_VALUE,
        |c| {
            let t = c.text();
            PatentKind::ALL
                .into_iter()
                .find(|k| t.starts_with(k.label_zh()) || t == k.as_str())
                .ok_or(DomainError::UnknownValue {
                    value: t,
                    allowed: "发明、实用新型、外观设计".into(),
                })
        },
    );
    if let (Some(n), Some(Some(k))) = (&number, &kind)
        && n.kind() != *k
    {
        let value = r.text("kind").unwrap_or_default();
        r.reject(
            "kind",
            value,
            code::KIND_MISMATCH,
            format!(
                "申请号表明是{} / the application number is of a {}",
                n.kind().label_zh(),
                n.kind().as_str()
            ),
        );
    }
    let filing = r.date("filing_date");
    let filing_date = r.required("filing_date", filing);
    let grant_date = r.date("grant_date");
    let status = r.read(
        "legal_status",
        |_: &DomainError| code::UNKNOWN_VALUE,
        |c| parse_legal_status(&c.text()),
    );
    let legal_status = r.required("legal_status", status);
    let fee = r.date("annual_fee_paid_until");
    let co_owners = r
        .text("co_owners")
        .map(|t| split_list(&t))
        .unwrap_or_default();
    let consent = r.read("co_owners_consent", |_| code::YES_NO, parse_yes_no);
    let ipc = r.domain("ipc_main", IpcClass::parse);
    let pledge_number = r.text("pledge_registration_number");
    let pledged_on = r.date("pledge_registered_on");
    let released_on = r.date("pledge_released_on");
    let pledged = r.read("pledged", |_| code::YES_NO, parse_yes_no);
    let amount = r.read("appraisal_amount", |_| "amount", parse_amount_wan);
    let appraised_on = r.date("appraised_on");
    let appraiser = r.text("appraiser");
    let (
        Some(number),
        Some(title),
        Some(owner),
        Some(filing_date),
        Some(grant_date),
        Some(legal_status),
        Some(fee),
        Some(consent),
        Some(ipc),
        Some(pledged_on),
        Some(released_on),
        Some(pledged),
        Some(amount),
        Some(appraised_on),
    ) = (
        number,
        title,
        owner,
        filing_date,
        grant_date,
        legal_status,
        fee,
        consent,
        ipc,
        pledged_on,
        released_on,
        pledged,
        amount,
        appraised_on,
    )
    else {
        return None;
    };
    let pledge = match (pledge_number, pledged_on) {
        (Some(registration_number), Some(registered_on)) => Some(PledgeRegistration {
            registration_number,
            registered_on,
            released_on,
        }),
        (Some(_), None) => {
            r.reject(
                "pledge_registered_on",
                String::new(),
                code::REQUIRED,
                "填写质押登记号时须填写登记日 / a pledge needs its registration date".into(),
            );
            return None;
        }
        (None, Some(_)) => {
            r.reject(
                "pledge_registration_number",
                String::new(),
                code::REQUIRED,
                "填写质押登记日时须填写登记号 / a pledge needs its registration number".into(),
            );
            return None;
        }
        (None, None) if pledged == Some(true) => {
            warnings.push(r.sheet.rejection(
                r.row.number,
                "pledged",
                "是".into(),
                code::PLEDGE_DETAILS_MISSING,
                "已按已质押处理（不会推荐给银行）；请补充质押登记号和登记日 / taken as pledged: add the registration number and date".into(),
            ));
            Some(PledgeRegistration {
                registration_number: UNSTATED_PLEDGE.into(),
                registered_on: ctx.today,
                released_on: None,
            })
        }
        (None, None) => None,
    };
    let appraisal = match (amount, appraised_on) {
        (Some(amount), Some(on)) => Some(Appraisal {
            amount,
            appraised_on: on,
            valid_until: one_year_from(on),
            appraiser: appraiser.unwrap_or_else(|| UNSTATED_APPRAISER.into()),
        }),
        (Some(_), None) => {
            r.reject(
                "appraised_on",
                String::new(),
                code::REQUIRED,
                "填写评估价值时须填写评估基准日 / an appraised value needs its date".into(),
            );
            return None;
        }
        (None, Some(_)) => {
            r.reject(
                "appraisal_amount",
                String::new(),
                code::REQUIRED,
                "填写评估基准日时须填写评估价值 / an appraisal date needs its value".into(),
            );
            return None;
        }
        (None, None) => None,
    };
    let p = Patent {
        application_number: number,
        title,
        owner,
        co_owners,
        co_owners_consent: consent.unwrap_or(false),
        filing_date,
        grant_date,
        legal_status,
        annual_fee_paid_until: fee,
        pledge,
        ipc_main: ipc,
        publication_number: None,
        high_value: Default::default(),
        same_day_double_filing: false,
        appraisals: appraisal.iter().cloned().collect(),
    };
    r.violations(p.violations(ctx.today), |field| {
        let key = field.split(['[', '.']).next().unwrap_or("");
        match key {
            "appraisals" => {
                if field.ends_with("appraised_on") {
                    "appraised_on".into()
                } else if field.ends_with("appraiser") {
                    "appraiser".into()
                } else {
                    "appraisal_amount".into()
                }
            }
            "pledge" => format!(
                "pledge_{}",
                field.rsplit('.').next().unwrap_or("registered_on")
            ),
            "co_owners" => "co_owners".into(),
            other => other.into(),
        }
    });
    let mut patent = p;
    patent.appraisals.clear();
    Some(PatentRow {
        patent,
        stated: Arc::new([]),
        appraisal,
    })
}

fn trademark(r: &mut RowReader<'_>, ctx: &Context, directory: &Directory) -> Option<Trademark> {
    let number = r.domain("registration_number", TrademarkRegistrationNumber::parse);
    let number = r.required("registration_number", number);
    let class = r.domain("nice_class", |s| {
        s.parse::<i64>()
            .map_err(|_| DomainError::NiceClass { found: 0 })
            .and_then(NiceClass::new)
    });
    let class = r.required("nice_class", class);
    let name = r.domain("name", |s| Text::parse(s, 1, 100));
    let name = r.required("name", name);
    let owner = match r.cell("owner") {
        Some(_) => r.owner(directory, ctx),
        None => r.required("owner", Some(None)),
    };
    let registered = r.date("registered_on");
    let registered_on = r.required("registered_on", registered);
    let until = r.date("valid_until");
    let valid_until = r.required("valid_until", until);
    let (
        Some(number),
        Some(class),
        Some(name),
        Some(owner),
        Some(registered_on),
        Some(valid_until),
    ) = (number, class, name, owner, registered_on, valid_until)
    else {
        return None;
    };
    let t = Trademark {
        registration_number: number,
        nice_class: class,
        name,
        owner,
        registered_on,
        valid_until,
        pledge: None,
        appraisals: Vec::new(),
    };
    r.violations(t.violations(ctx.today), |field| {
        field.split('.').next().unwrap_or("").to_owned()
    });
    Some(t)
}

fn qualification(
    r: &mut RowReader<'_>,
    ctx: &Context,
    directory: &Directory,
) -> Option<QualificationRow> {
    let uscc = r.domain("uscc", Uscc::parse);
    let uscc = r.required("uscc", uscc);
    let kind = r.domain("kind", QualificationKind::parse);
    let kind = r.required("kind", kind);
    let certificate = r.domain("certificate_number", |s| Text::parse(s, 1, 64));
    let until = r.date("valid_until");
    let valid_until = r.required("valid_until", until);
    let (Some(uscc), Some(kind), Some(certificate), Some(valid_until)) =
        (uscc, kind, certificate, valid_until)
    else {
        return None;
    };
    match directory.get(&uscc) {
        None => {
            r.reject(
                "uscc",
                uscc.to_string(),
                code::ENTERPRISE_UNKNOWN,
                "找不到该企业，请先导入企业 / no enterprise with this code".into(),
            );
            return None;
        }
        Some(k) if ctx.scope.as_ref().is_some_and(|s| s != &k.park) => {
            r.reject(
                "uscc",
                uscc.to_string(),
                code::OUT_OF_SCOPE,
                format!(
                    "该企业属于园区{}，不在本园区 / the enterprise belongs to park {}",
                    k.park, k.park
                ),
            );
            return None;
        }
        Some(_) => {}
    }
    Some(QualificationRow {
        uscc,
        qualification: Qualification {
            kind,
            certificate_number: certificate.map(|c| c.to_string()),
            valid_until,
        },
    })
}

fn appraisal(r: &mut RowReader<'_>, ctx: &Context) -> Option<AppraisalRow> {
    let ip = r.read("number", DomainError::code, |c| {
        let text = c.text();
        match text.split_once(['/', '类']) {
            Some((n, class)) if !class.trim().is_empty() => Ok(IpNumber::Trademark(
                TrademarkRegistrationNumber::parse(n)?,
                NiceClass::new(
                    class
                        .trim()
                        .trim_start_matches('第')
                        .trim_end_matches('类')
                        .parse()
                        .map_err(|_| DomainError::NiceClass { found: 0 })?,
                )?,
            )),
            _ => PatentApplicationNumber::parse(&text).map(IpNumber::Patent),
        }
    });
    let ip = r.required("number", ip);
    let amount = r.read("amount", |_| "amount", parse_amount_wan);
    let amount = r.required("amount", amount);
    let on = r.date("appraised_on");
    let appraised_on = r.required("appraised_on", on);
    let until = r.date("valid_until");
    let appraiser = r.text("appraiser");
    let appraiser = r.required("appraiser", Some(appraiser));
    let (Some(ip), Some(amount), Some(appraised_on), Some(until), Some(appraiser)) =
        (ip, amount, appraised_on, until, appraiser)
    else {
        return None;
    };
    let a = Appraisal {
        amount,
        appraised_on,
        valid_until: until.unwrap_or_else(|| one_year_from(appraised_on)),
        appraiser,
    };
    r.violations(a.violations(ctx.today), |field| match field {
        "appraised_on" | "valid_until" | "appraiser" => field.to_owned(),
        _ => "amount".to_owned(),
    });
    Some(AppraisalRow { ip, appraisal: a })
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
        let tables = read_xlsx(&bytes).unwrap_or_else(|e| unreachable!("{e}"));
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
        let parsed = parse(&sheets, &context(), &mut directory);
        let bad: Vec<(&str, u32, &str)> = parsed
            .rejections
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
            "{:#?}",
            parsed.rejections
        );
        assert_eq!(parsed.rejections[0].column, "统一社会\n信用代码");
        assert_eq!(parsed.rejections[1].column, "授权公告日");
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
        // 是否已质押=是 without particulars: pledged, with a warning to complete it.
        assert_eq!(
            first
                .patent
                .pledge
                .as_ref()
                .map(|p| p.registration_number.as_str()),
            Some(UNSTATED_PLEDGE)
        );
        assert!(
            parsed
                .warnings
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
            park: park("xxgx"),
        });
        let mut sheets = sheets;
        // A second copy of the first enterprise row, and a row of another park's enterprise.
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
        let parsed = parse(&sheets, &context(), &mut directory);
        let codes: Vec<(u32, &str)> = parsed
            .rejections
            .iter()
            .filter(|r| r.sheet == "企业台账")
            .map(|r| (r.row, r.code))
            .collect();
        assert_eq!(
            codes,
            vec![
                (43, "uscc_check_character"),
                (last + 1, "duplicate_row"),
                (last + 2, "out_of_scope")
            ]
        );
    }
}
