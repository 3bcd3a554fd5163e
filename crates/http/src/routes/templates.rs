//! Import templates (导入模板), written from the same column definitions the importer reads.

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, ReadErrors};
use crate::sheet::workbook;
use axum::extract::Path;
use axum::response::Response;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(template))
}

/// The import template of a kind of sheet: headers, a filled example row, drop-down lists for
/// fixed choices, and a notes sheet (any role).
#[utoipa::path(get, path = "/api/v1/templates/{file}", tag = "ledger", security(("bearer" = [])), params(("file" = String, Path, pattern = "^(enterprises|patents|trademarks|appraisals|qualifications|outcomes)[.]xlsx$", description = "`enterprises.xlsx`, `patents.xlsx`, `trademarks.xlsx`, `appraisals.xlsx`, `qualifications.xlsx`, or `outcomes.xlsx` (a bank's outcome sheet)")), responses(
    (status = 200, description = "the template", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ReadErrors
))]
async fn template(_auth: Auth, Path(file): Path<String>) -> ApiResult<Response> {
    let (name, bytes) = pledge_service::ledgers::template_file(&file)?;
    Ok(workbook(&name, bytes))
}
