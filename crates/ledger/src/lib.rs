//! The spreadsheets park offices keep (台账), read as they really are: a merged title above the
//! headers, headers with line breaks and stray spaces, empty, total (合计) and note (注) rows at
//! the bottom, CSV in UTF-8 with or without BOM or in GB18030, and cell values in the many
//! spellings people type. Every row keeps the number Excel shows, so reports can point at it.

mod annotate;
mod columns;
mod directory;
mod events;
mod findings;
mod limits;
mod outcome_sheet;
mod rows;
#[cfg(any(test, feature = "sample"))]
mod sample;
mod sheets;
mod table;
mod template;
mod values;

pub use annotate::{REASON_HEADER, annotate};
pub use columns::{
    Column, Layout, Shape, SheetKind, columns, header_key, layout, template_columns,
};
pub use directory::{Directory, Known, References, Unresolved, references};
pub use findings::{Finding, Findings, KEPT, RowsOf};
pub use limits::Limits;
pub use outcome_sheet::{
    CellProblem, OUTCOME_COLUMNS, OUTCOME_SHEET, OutcomeRow, outcome_rows, outcome_table,
    outcome_template,
};
pub use pledge_domain::statement::{
    AppraisalRow, EnterpriseRow, IpNumber, PatentRow, QualificationRow, Source, Stated, Statements,
    UNSTATED_APPRAISER, merged_trademark, name_key,
};
pub use rows::{Context, EXPIRY_UNKNOWN, Parsed, Rejection, parse};
#[cfg(any(test, feature = "sample"))]
pub use sample::{heavy, sample_application_number, sample_ledgers, sample_uscc};
pub use sheets::{Sheet, classify, read_file};
pub use table::{Cell, Row, RowKind, Table, read_csv, read_xlsx};
pub use template::template;
pub use values::{
    ValueError, normalize_header, parse_amount_wan, parse_date, parse_legal_status, parse_yes_no,
};

/// Why a file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("不是可读取的Excel工作簿 / not a readable Excel workbook: {0}")]
    Workbook(String),
    #[error("不是可读取的CSV文件 / not a readable CSV file: {0}")]
    Csv(String),
    #[error("工作表“{0}”中找不到表头行 / no header row found in sheet {0}")]
    NoHeader(String),
    #[error("{0}")]
    TooLarge(String),
}
