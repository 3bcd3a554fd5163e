//! Exports (导出) of the registry: enterprises and patents as `.xlsx` or `.csv`, with the
//! columns of the import templates, so an exported sheet can be edited and imported again.
//! The city office exports every park, a park official their own. Streamed page by page.

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ReadErrors};
use crate::sheet::{Cell, Column, Format, Pages, stream_download};
use axum::extract::{Path, State};
use axum::response::Response;
use pledge_domain::{Enterprise, Patent, RiskFlagKind};
use pledge_service::Context;
use pledge_service::ledgers::{SheetKind, template_columns};
use utoipa_axum::{router::OpenApiRouter, routes};

/// Rows read from the store per page.
const PAGE: u64 = 1000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export))
}

fn yes_no(b: bool) -> Cell {
    Cell::Text(if b { "是" } else { "否" }.into())
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

/// The cell of column `key` of an enterprise.
fn enterprise_cell(key: &str, e: &Enterprise) -> Cell {
    // Marked, and since when, as the importer reads it back.
    let flag = |kind: RiskFlagKind| match e.risk_flags.iter().find(|f| f.kind == kind) {
        Some(f) => text(format!("是（{}）", f.recorded_on)),
        None => yes_no(false),
    };
    match key {
        "uscc" => text(e.uscc.as_str()),
        "name" => text(e.name.to_string()),
        "former_names" => text(e.former_names.join("、")),
        "park" => text(e.park.as_str()),
        "region" => text(e.region.as_str()),
        "industry" => text(e.industry.as_str()),
        "founded_on" => Cell::Date(Some(e.founded_on)),
        "size" => text(e.size.label_zh()),
        "strategic_industry" => text(e.strategic_industry.map_or("", |s| s.label_zh())),
        // Each with its own end and certificate, as the importer reads them back.
        "qualifications" => text(
            e.qualifications
                .iter()
                .map(|q| {
                    let until = q.valid_until.map_or_else(
                        || pledge_service::ledgers::EXPIRY_UNKNOWN.to_owned(),
                        |d| format!("至{d}"),
                    );
                    match &q.certificate_number {
                        Some(n) => format!("{}（{until}，证书{n}）", q.kind.label_zh()),
                        None => format!("{}（{until}）", q.kind.label_zh()),
                    }
                })
                .collect::<Vec<_>>()
                .join("、"),
        ),
        // For the reader: the earliest end, the one that matters first.
        "qualifications_valid_until" => {
            Cell::Date(e.qualifications.iter().filter_map(|q| q.valid_until).min())
        }
        "dishonest_debtor" => flag(RiskFlagKind::DishonestDebtor),
        "abnormal_operation" => flag(RiskFlagKind::AbnormalOperation),
        "financing_need" => e
            .financing_need
            .as_ref()
            .map_or_else(|| text(""), |n| Cell::Wan(n.amount.fen())),
        "financing_term_months" => e
            .financing_need
            .as_ref()
            .map_or_else(|| text(""), |n| Cell::Int(i64::from(n.term_months))),
        "contact_name" => text(e.contact.as_ref().map_or("", |c| c.name.as_str())),
        "contact_phone" => text(
            e.contact
                .as_ref()
                .and_then(|c| c.phone.clone())
                .unwrap_or_default(),
        ),
        "contact_email" => text(
            e.contact
                .as_ref()
                .and_then(|c| c.email.clone())
                .unwrap_or_default(),
        ),
        "contact_consent" => yes_no(e.contact_consent),
        _ => text(""),
    }
}

/// The cell of column `key` of a patent; the appraisal shown is the latest.
fn patent_cell(key: &str, p: &Patent) -> Cell {
    let pledge = p.latest_pledge();
    let latest = p.appraisals.iter().max_by_key(|a| a.appraised_on);
    match key {
        "application_number" => text(p.application_number.to_string()),
        "title" => text(p.title.to_string()),
        "owner" => text(p.owner.as_str()),
        "kind" => text(p.kind().label_zh()),
        "filing_date" => Cell::Date(Some(p.filing_date)),
        "grant_date" => Cell::Date(p.grant_date),
        "legal_status" => text(p.legal_status.label_zh()),
        "annual_fee_paid_until" => Cell::Date(p.annual_fee_paid_until),
        "co_owners" => text(p.co_owners.join("、")),
        "co_owners_consent" => p.co_owners_consent.map_or_else(|| text(""), yes_no),
        "ipc_main" => text(p.ipc_main.as_ref().map_or("", |c| c.as_str())),
        "publication_number" => text(p.publication_number.as_ref().map_or("", |c| c.as_str())),
        "pledge_registration_number" => text(
            pledge
                .and_then(|x| x.registration_number.as_deref())
                .unwrap_or(""),
        ),
        "pledge_registered_on" => Cell::Date(pledge.and_then(|x| x.registered_on)),
        "pledge_released_on" => Cell::Date(pledge.and_then(|x| x.released_on)),
        "pledged" => yes_no(pledge.is_some_and(|x| x.released_on.is_none())),
        "appraisal_amount" => latest.map_or_else(|| text(""), |a| Cell::Wan(a.amount.fen())),
        "appraised_on" => Cell::Date(latest.map(|a| a.appraised_on)),
        "appraiser" => text(latest.map_or("", |a| a.appraiser.as_str())),
        _ => text(""),
    }
}

/// The template's columns of `kind`, with widths.
fn sheet_columns(kind: SheetKind) -> Vec<Column> {
    template_columns(kind)
        .into_iter()
        .map(|c| {
            let width = match c.key {
                "name" | "title" | "appraiser" => 30.0,
                "uscc" | "application_number" | "owner" => 22.0,
                _ => 14.0,
            };
            (c.header, width)
        })
        .collect()
}

/// Pages of rows: `fetch(after)` answers the rows after the cursor and the next cursor.
fn pages<F, Fut>(fetch: F) -> Pages
where
    F: Fn(Option<i64>) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ApiResult<(Vec<Vec<Cell>>, Option<i64>)>> + Send + 'static,
{
    let stream = futures_util::stream::unfold(Some(None), move |cursor| {
        let next = cursor.map(&fetch);
        async move {
            let (rows, after) = match next?.await {
                Ok(page) => page,
                Err(e) => return Some((Err(e), None)),
            };
            Some((Ok(rows), after.map(Some)))
        }
    });
    Box::pin(stream)
}

fn enterprise_pages(s: AppState, cx: Context) -> Pages {
    let keys: Vec<&'static str> = template_columns(SheetKind::Enterprises)
        .iter()
        .map(|c| c.key)
        .collect();
    pages(move |after| {
        let (s, cx, keys) = (s.clone(), cx.clone(), keys.clone());
        async move {
            let page = s.service.export_enterprises(&cx, after, PAGE).await?;
            let rows = page
                .items
                .iter()
                .map(|e| keys.iter().map(|k| enterprise_cell(k, &e.value)).collect())
                .collect();
            Ok((rows, page.next))
        }
    })
}

fn patent_pages(s: AppState, cx: Context) -> Pages {
    let keys: Vec<&'static str> = template_columns(SheetKind::Patents)
        .iter()
        .map(|c| c.key)
        .collect();
    pages(move |after| {
        let (s, cx, keys) = (s.clone(), cx.clone(), keys.clone());
        async move {
            let page = s.service.export_patents(&cx, after, PAGE).await?;
            let rows = page
                .items
                .iter()
                .map(|p| keys.iter().map(|k| patent_cell(k, &p.value)).collect())
                .collect();
            Ok((rows, page.next))
        }
    })
}

/// Enterprises or patents as a spreadsheet with the import template's columns (the city
/// office: every park; a park official: their own). `file` is `enterprises.xlsx`,
/// `enterprises.csv`, `patents.xlsx` or `patents.csv`.
#[utoipa::path(get, path = "/api/v1/exports/{file}", tag = "ledger", security(("bearer" = [])),
    params(("file" = String, Path, pattern = "^(enterprises|patents)[.](xlsx|csv)$", description = "`enterprises.xlsx`, `enterprises.csv`, `patents.xlsx` or `patents.csv`")),
    responses(
        (status = 200, description = "the sheet, streamed", content(
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ("text/csv")
        )),
        ReadErrors
    ))]
async fn export(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(file): Path<String>,
) -> ApiResult<Response> {
    cx.list_scope()?;
    let unknown = || ApiError::NotFound {
        detail: format!(
            "没有导出{file}；可选 enterprises.xlsx、enterprises.csv、patents.xlsx、patents.csv / no export {file}"
        ),
    };
    let (stem, ext) = file.rsplit_once('.').ok_or_else(unknown)?;
    let format = Format::parse(ext).map_err(|_| unknown())?;
    let kind = match stem {
        "enterprises" => SheetKind::Enterprises,
        "patents" => SheetKind::Patents,
        _ => return Err(unknown()),
    };
    let rows = match kind {
        SheetKind::Enterprises => enterprise_pages(s, cx),
        _ => patent_pages(s, cx),
    };
    stream_download(format, stem, kind.label_zh(), sheet_columns(kind), rows).await
}
