//! Import templates (导入模板), written from the same column definitions the importer reads.

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ReadErrors};
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use pledge_service::ledgers::SheetKind;
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
pub(crate) async fn template(_auth: Auth, Path(file): Path<String>) -> ApiResult<Response> {
    if file == "outcomes.xlsx" {
        return Ok(workbook(
            "outcomes-template.xlsx",
            pledge_service::ledgers::outcome_template()?,
        ));
    }
    let kind = file
        .strip_suffix(".xlsx")
        .and_then(SheetKind::parse)
        .ok_or_else(|| ApiError::NotFound {
            detail: format!(
                "没有模板{file}；可选：enterprises.xlsx、patents.xlsx、trademarks.xlsx、appraisals.xlsx、qualifications.xlsx、outcomes.xlsx / no template {file}"
            ),
        })?;
    let bytes = pledge_service::ledgers::template(kind)?;
    Ok(workbook(&format!("{}-template.xlsx", kind.as_str()), bytes))
}

/// A workbook as a download named `name`.
fn workbook(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}
