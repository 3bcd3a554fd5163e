//! Ledgers in and out: an import, from the uploaded bytes to the report and the annotated
//! copy (read the sheets, look up the enterprises they name, read the rows, write the good
//! ones); the templates; the pages of an export.

use crate::error::{FieldError, Result, ServiceError};
use crate::{Context, Service};
use pledge_domain::ParkCode;
use pledge_domain::code;
use pledge_ledger::Rejection;
pub use pledge_ledger::{
    Column, EXPIRY_UNKNOWN, Limits, REASON_HEADER, SheetKind, columns, template_columns,
};
use pledge_store::{Counts, EnterpriseFilter, EnterpriseRecord, ImportMode, Page, PatentRecord};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What to import, and how.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// The file's name; `.csv` is read as CSV, anything else as `.xlsx`.
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// The kind of every sheet, when the sheet names do not say it.
    pub kind: Option<SheetKind>,
    pub mode: ImportMode,
    pub dry_run: bool,
}

/// A sheet that was read.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SheetRead {
    pub sheet: String,
    /// `enterprises`, `patents`, `trademarks`, `appraisals` or `qualifications`.
    pub kind: String,
    pub header_row: u32,
    pub data_rows: usize,
    /// Headers that match no column (ignored).
    pub ignored_columns: Vec<String>,
}

/// A sheet that was not read, and the required columns it lacks.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SheetSkipped {
    pub sheet: String,
    pub missing_columns: Vec<String>,
}

/// A rejected (or doubtful) cell.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RowProblem {
    pub sheet: String,
    /// The row number Excel shows.
    pub row: u32,
    pub column: String,
    pub value: String,
    pub code: String,
    pub message: String,
}

impl From<&Rejection> for RowProblem {
    fn from(r: &Rejection) -> Self {
        Self {
            sheet: r.sheet.clone(),
            row: r.row,
            column: r.column.clone(),
            value: r.value.clone(),
            code: r.code.into(),
            message: r.message.clone(),
        }
    }
}

/// Rows of one kind: inserted, updated, unchanged, rejected.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RowCounts {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
}

impl From<Counts> for RowCounts {
    fn from(c: Counts) -> Self {
        Self {
            inserted: c.inserted,
            updated: c.updated,
            unchanged: c.unchanged,
            rejected: c.rejected,
        }
    }
}

/// The report of an import.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportReport {
    pub file: String,
    /// `partial` or `all_or_nothing`.
    pub mode: String,
    pub dry_run: bool,
    /// Whether the rows were written (false for a dry run, and for an all-or-nothing import
    /// with a bad row: the counts then say what would have happened).
    pub committed: bool,
    pub sheets: Vec<SheetRead>,
    pub skipped_sheets: Vec<SheetSkipped>,
    /// By kind.
    pub counts: BTreeMap<String, RowCounts>,
    pub total: RowCounts,
    /// Bad cells found, however many: the annotated copy marks every one.
    #[serde(default)]
    pub rejection_count: u64,
    /// The first 2,000 bad cells, by sheet and row.
    #[cfg_attr(feature = "openapi", schema(max_items = 2000))]
    pub rejections: Vec<RowProblem>,
    /// Assumptions taken on rows that were imported, however many.
    #[serde(default)]
    pub warning_count: u64,
    /// The first 2,000 rows taken with an assumption to confirm (a pledge marked 是 without its
    /// number …), by sheet and row.
    #[cfg_attr(feature = "openapi", schema(max_items = 2000))]
    pub warnings: Vec<RowProblem>,
}

/// The report and the annotated copy of the file (none when it could not be written: the
/// report still says what was committed).
#[derive(Debug)]
pub struct Imported {
    pub report: ImportReport,
    pub annotated: Option<Vec<u8>>,
}

/// How this server takes ledgers in: the limits a file is read within, and how many imports
/// read, parse and write at once (the rest wait their turn), so that files never crowd out
/// the requests the async workers answer.
#[derive(Debug)]
pub struct Intake {
    limits: Limits,
    slots: tokio::sync::Semaphore,
}

/// Imports that work at once on one server: one (a 65 MB CSV of 200,000 rows, every cell bad,
/// takes the server from about 50 to 390 MiB while it is read, checked and annotated); the
/// others wait their turn.
const IMPORTS_AT_ONCE: usize = 1;

impl Intake {
    pub(crate) fn new(limits: Limits) -> Self {
        Self {
            limits,
            slots: tokio::sync::Semaphore::new(IMPORTS_AT_ONCE),
        }
    }

    /// A turn to read a file: waits while others read theirs.
    async fn slot(&self) -> Result<tokio::sync::SemaphorePermit<'_>> {
        self.slots
            .acquire()
            .await
            .map_err(|e| ServiceError::Internal(format!("import slots: {e}")))
    }
}

impl Default for Intake {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

/// Runs `work` on the blocking pool: reading, parsing and writing spreadsheets is CPU work
/// that would stall the async workers.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ServiceError::Internal(format!("import worker: {e}")))
}

impl Service {
    /// Runs an import for the caller within `scope` (a park; `None` for every park, which
    /// only the office may ask): a park official imports for their own park.
    pub async fn import(
        &self,
        cx: &Context,
        scope: Option<ParkCode>,
        req: ImportRequest,
        progress: &(dyn Fn(usize, usize) + Send + Sync),
    ) -> Result<Imported> {
        let scope = self.import_scope(cx, scope).await?;
        let imported = run(self, cx, scope.as_ref(), req, None, progress).await;
        self.committed().await;
        imported
    }

    /// The park an import by the caller is for, asked `scope`: a park official imports for
    /// their own park; the office for the park it names, or (`None`) for every park.
    pub(crate) async fn import_scope(
        &self,
        cx: &Context,
        scope: Option<ParkCode>,
    ) -> Result<Option<ParkCode>> {
        let own = cx.write_scope()?;
        let scope = match (own, scope) {
            (Some(own), Some(asked)) if own != asked => {
                return Err(ServiceError::forbidden(
                    code::OUT_OF_SCOPE,
                    "只能导入本园区数据 / you import for your own park only",
                ));
            }
            (Some(own), _) => Some(own),
            (None, asked) => asked,
        };
        if let Some(p) = &scope
            && self.store.park(p).await?.is_none()
        {
            return Err(ServiceError::field(
                "park",
                pledge_domain::DomainError::UnknownValue {
                    value: p.to_string(),
                    allowed: "a registered park".into(),
                },
            ));
        }
        Ok(scope)
    }

    /// One page of the enterprises an export holds (the office: every park; a park its own).
    pub async fn export_enterprises(
        &self,
        cx: &Context,
        after: Option<i64>,
        limit: u64,
    ) -> Result<Page<EnterpriseRecord>> {
        let filter = EnterpriseFilter {
            park: cx.list_scope()?,
            ..Default::default()
        };
        Ok(self.store.list_enterprises(&filter, after, limit).await?)
    }

    /// One page of the patents an export holds (the office: every park; a park its own).
    pub async fn export_patents(
        &self,
        cx: &Context,
        after: Option<i64>,
        limit: u64,
    ) -> Result<Page<PatentRecord>> {
        let park = cx.list_scope()?;
        Ok(self
            .store
            .patents_of_park(park.as_ref(), after, limit)
            .await?)
    }
}

/// A refusal of the uploaded file as a whole.
fn file_error(code: &str, message: String) -> ServiceError {
    ServiceError::Invalid(vec![FieldError {
        field: "file".into(),
        code: code.into(),
        message,
    }])
}

fn unreadable(e: pledge_ledger::ReadError) -> ServiceError {
    match e {
        pledge_ledger::ReadError::TooLarge(why) => file_error(code::FILE_TOO_LARGE, why),
        e => file_error(code::UNREADABLE_FILE, e.to_string()),
    }
}

impl Service {
    /// The USCCs a sheet lists (a park's list of enterprises to nominate): the values of its
    /// 统一社会信用代码 column (by any of that column's headers), in order, from the first sheet
    /// that has one. Read within the import limits, on the blocking pool.
    pub async fn listed_usccs(&self, file_name: String, bytes: Vec<u8>) -> Result<Vec<String>> {
        let _slot = self.imports.slot().await?;
        let limits = self.imports.limits;
        let found = blocking(move || {
            let tables = pledge_ledger::read_file(&file_name, &bytes, &limits)?;
            let uscc = columns(SheetKind::Enterprises)
                .into_iter()
                .find(|c| c.key == "uscc");
            let keys: Vec<String> = uscc
                .iter()
                .flat_map(|c| std::iter::once(c.header).chain(c.aliases.iter().copied()))
                .map(pledge_ledger::header_key)
                .collect();
            Ok::<_, pledge_ledger::ReadError>(tables.iter().find_map(|t| {
                let at = t
                    .headers
                    .iter()
                    .position(|h| keys.contains(&pledge_ledger::header_key(h)))?;
                Some(
                    t.data()
                        .filter_map(|r| r.cells.get(at).map(|c| c.text().trim().to_owned()))
                        .filter(|v| !v.is_empty())
                        .collect::<Vec<_>>(),
                )
            }))
        })
        .await?
        .map_err(unreadable)?;
        found.ok_or_else(|| {
            file_error(
                code::NO_KNOWN_SHEET,
                "文件中没有“统一社会信用代码”列 / no sheet has a 统一社会信用代码 column".into(),
            )
        })
    }
}

impl Service {
    /// The rows of a bank's outcome sheet (.xlsx or .csv, the template's columns), each read
    /// or with the problems of its cells; at most `max` rows.
    pub(crate) async fn outcome_rows(
        &self,
        file_name: String,
        bytes: Vec<u8>,
        max: usize,
    ) -> Result<
        Vec<(
            u32,
            std::result::Result<pledge_ledger::OutcomeRow, Vec<pledge_ledger::CellProblem>>,
        )>,
    > {
        let _slot = self.imports.slot().await?;
        let limits = self.imports.limits;
        let rows = blocking(move || {
            let tables = pledge_ledger::read_file(&file_name, &bytes, &limits)?;
            Ok::<_, pledge_ledger::ReadError>(
                pledge_ledger::outcome_table(&tables).map(pledge_ledger::outcome_rows),
            )
        })
        .await?
        .map_err(unreadable)?
        .ok_or_else(|| {
            file_error(
                code::NO_KNOWN_SHEET,
                "文件中没有“产品编号”和“统一社会信用代码”列 / no sheet has the outcome template's 产品编号 and 统一社会信用代码 columns".into(),
            )
        })?;
        if rows.len() > max {
            return Err(ServiceError::field(
                "file",
                pledge_domain::DomainError::TooMany { max },
            ));
        }
        Ok(rows)
    }
}

/// The template of a bank's outcome sheet, as an `.xlsx` workbook.
pub fn outcome_template() -> Result<Vec<u8>> {
    pledge_ledger::outcome_template().map_err(|e| ServiceError::Internal(format!("template: {e}")))
}

/// The import template of a kind, as an `.xlsx` workbook.
pub fn template(kind: SheetKind) -> Result<Vec<u8>> {
    pledge_ledger::template(kind).map_err(|e| ServiceError::Internal(format!("template: {e}")))
}

/// The template a file name asks for (`patents.xlsx`, …, `outcomes.xlsx`, a bank's outcome
/// sheet), as (the name to download it under, the workbook); 404 for any other name.
pub fn template_file(file: &str) -> Result<(String, Vec<u8>)> {
    if file == "outcomes.xlsx" {
        return Ok(("outcomes-template.xlsx".into(), outcome_template()?));
    }
    let kind = file
        .strip_suffix(".xlsx")
        .and_then(SheetKind::parse)
        .ok_or_else(|| {
            ServiceError::not_found(format!(
                "没有模板{file}；可选：enterprises.xlsx、patents.xlsx、trademarks.xlsx、appraisals.xlsx、qualifications.xlsx、outcomes.xlsx / no template {file}"
            ))
        })?;
    Ok((format!("{}-template.xlsx", kind.as_str()), template(kind)?))
}

/// An import within a scope already decided, recording its rows on `job` as they commit;
/// the caller then has the service follow what was committed.
pub(crate) async fn run(
    service: &Service,
    cx: &Context,
    scope: Option<&ParkCode>,
    req: ImportRequest,
    job: Option<i64>,
    progress: &(dyn Fn(usize, usize) + Send + Sync),
) -> Result<Imported> {
    let _slot = service.imports.slot().await?;
    let limits = service.imports.limits;
    let (file_name, bytes, kind) = (req.file_name.clone(), req.bytes, req.kind);
    let (sheets, skipped, order, refs) = blocking(move || {
        let tables = pledge_ledger::read_file(&file_name, &bytes, &limits)?;
        drop(bytes);
        let order: Vec<String> = tables.iter().map(|t| t.sheet.clone()).collect();
        let (sheets, skipped) = pledge_ledger::classify(tables, kind);
        let refs = pledge_ledger::references(&sheets);
        Ok::<_, pledge_ledger::ReadError>((sheets, skipped, order, refs))
    })
    .await?
    .map_err(unreadable)?;
    if sheets.is_empty() {
        let each: Vec<String> = skipped
            .iter()
            .map(|(t, missing)| {
                format!(
                    "工作表“{}”缺少必填列：{}；该表的列为：{} / sheet “{}” lacks {}; its headers are {}",
                    t.sheet,
                    missing.join("、"),
                    t.headers.join("、"),
                    t.sheet,
                    missing.join(", "),
                    t.headers.join(", ")
                )
            })
            .collect();
        return Err(file_error(
            code::NO_KNOWN_SHEET,
            format!(
                "文件中没有可识别的工作表 / no sheet has the columns of a template: {}",
                each.join("; ")
            ),
        ));
    }

    let usccs: Vec<_> = refs.usccs.iter().copied().collect();
    let names: Vec<_> = refs.names.iter().cloned().collect();
    let patents: Vec<_> = refs.patents.iter().copied().collect();
    let referenced = service
        .store
        .referenced_enterprises(&usccs, &names, &patents, scope)
        .await?;
    let mut directory = pledge_ledger::Directory::default();
    for (uscc, name, former_names, park) in referenced.enterprises {
        directory.insert(pledge_ledger::Known {
            uscc,
            name,
            former_names,
            park,
        });
    }
    for (number, holder) in referenced.holders {
        directory.insert_holder(number, holder);
    }
    let ctx = pledge_ledger::Context {
        scope: scope.cloned(),
        parks: referenced.parks,
        today: cx.today(),
    };
    let (sheets, parsed) = blocking(move || {
        let parsed = pledge_ledger::parse(&sheets, &ctx, &mut directory);
        (sheets, parsed)
    })
    .await?;
    let outcome = service
        .store
        .import(
            &cx.actor,
            &parsed.statements,
            req.mode,
            req.dry_run,
            scope,
            job,
            progress,
        )
        .await?;
    let mut findings = parsed.findings;
    for r in &outcome.rejections {
        let sheet = &sheets[r.source.sheet];
        let value = sheet.value(r.source.row, &r.key);
        findings.reject(vec![sheet.rejection(
            r.source.row,
            &r.key,
            value,
            r.code,
            r.message.clone(),
        )]);
    }
    let mut total = RowCounts::default();
    let counts = outcome
        .counts
        .iter()
        .map(|(k, c)| {
            total.inserted += c.inserted;
            total.updated += c.updated;
            total.unchanged += c.unchanged;
            total.rejected += c.rejected;
            ((*k).to_owned(), RowCounts::from(*c))
        })
        .collect();
    let report = ImportReport {
        file: req.file_name,
        mode: match req.mode {
            ImportMode::Partial => "partial",
            ImportMode::AllOrNothing => "all_or_nothing",
        }
        .into(),
        dry_run: req.dry_run,
        committed: outcome.committed,
        sheets: sheets
            .iter()
            .map(|s| SheetRead {
                sheet: s.table.sheet.clone(),
                kind: s.kind.as_str().into(),
                header_row: s.table.header_row,
                data_rows: s.table.data().count(),
                ignored_columns: s.layout.unknown.clone(),
            })
            .collect(),
        skipped_sheets: skipped
            .iter()
            .map(|(t, missing)| SheetSkipped {
                sheet: t.sheet.clone(),
                missing_columns: missing.iter().map(|m| (*m).to_owned()).collect(),
            })
            .collect(),
        counts,
        total,
        rejection_count: findings.rejection_count(),
        rejections: findings.rejections().iter().map(RowProblem::from).collect(),
        warning_count: findings.warning_count(),
        warnings: findings.warnings().iter().map(RowProblem::from).collect(),
    };
    // The annotated copy is written last: whatever becomes of it, the report stands.
    let annotated = blocking(move || {
        let mut tables: Vec<&pledge_ledger::Table> = sheets
            .iter()
            .map(|s| &s.table)
            .chain(skipped.iter().map(|(t, _)| t))
            .collect();
        tables.sort_by_key(|t| order.iter().position(|o| *o == t.sheet));
        pledge_ledger::annotate(&tables, &mut findings)
    })
    .await
    .and_then(|r| r.map_err(|e| ServiceError::Internal(e.to_string())));
    let annotated = match annotated {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            tracing::warn!(error = %e, "no annotated copy of an import");
            None
        }
    };
    Ok(Imported { report, annotated })
}
