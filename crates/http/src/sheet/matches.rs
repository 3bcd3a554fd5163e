//! A product's matches as the file a bank hands to its account managers: every row the
//! filters select, best first, with the enterprise's industry, need and contact (masked where
//! the policy withholds it) and the IP proposed for pledge with its titles; streamed a page of
//! the index at a time. The same for the API's `format=csv|xlsx` and the console's download.

use super::{Cell, Column, Format, stream_download};
use crate::AppState;
use crate::error::ApiResult;
use axum::response::Response;
use pledge_domain::{Holding, Uscc};
use pledge_service::{Context, MatchFilter, Shown};
use std::collections::HashMap;

/// Rows read from the index per page of an export.
const EXPORT_PAGE: usize = 1000;

const COLUMNS: [Column; 17] = [
    ("排名", 6.0),
    ("企业名称", 36.0),
    ("统一社会信用代码", 22.0),
    ("所属园区", 14.0),
    ("行业代码", 10.0),
    ("所属行业", 24.0),
    ("产品", 16.0),
    ("融资需求(万元)", 14.0),
    ("联系人", 10.0),
    ("联系电话", 16.0),
    ("评分", 8.0),
    ("测算授信额度(万元)", 18.0),
    ("拟质押合计(万元)", 16.0),
    ("拟质押件数", 10.0),
    ("拟质押专利/商标", 80.0),
    ("贷款到期日", 12.0),
    ("测算日", 12.0),
];

/// The title of a bundled patent or trademark, from the enterprise's holding.
fn title(h: &Holding, number: &str) -> Option<String> {
    h.patents
        .iter()
        .find(|p| p.application_number.to_string() == number)
        .map(|p| p.title.to_string())
        .or_else(|| {
            h.trademarks
                .iter()
                .find(|t| format!("{}/{}", t.registration_number, t.nice_class.get()) == number)
                .map(|t| t.name.to_string())
        })
}

fn row(rank: usize, m: &Shown, h: Option<&Holding>) -> Vec<Cell> {
    let e = h.map(|h| &h.enterprise);
    let v = &m.evaluation;
    let (contact_name, contact_phone) = e
        .and_then(|e| e.contact.as_ref())
        .map(|c| (c.name.clone(), c.phone.clone().unwrap_or_default()))
        .unwrap_or_default();
    let bundle = v
        .bundle
        .items
        .iter()
        .map(|b| {
            let number = b.ip.number();
            match h.and_then(|h| title(h, &number)) {
                Some(t) => format!("{number}（{t}）"),
                None => number,
            }
        })
        .collect::<Vec<_>>()
        .join("、");
    vec![
        Cell::Int(rank as i64),
        Cell::Text(m.name.clone().unwrap_or_default()),
        Cell::Text(v.uscc.to_string()),
        Cell::Text(m.park.as_ref().map(ToString::to_string).unwrap_or_default()),
        Cell::Text(
            e.map(|e| e.industry.as_str().to_owned())
                .unwrap_or_default(),
        ),
        Cell::Text(
            e.map(|e| e.industry.name_zh().to_owned())
                .unwrap_or_default(),
        ),
        Cell::Text(m.product_name.clone().unwrap_or_default()),
        e.and_then(|e| e.financing_need.as_ref())
            .map_or_else(|| Cell::Text(String::new()), |n| Cell::Wan(n.amount.fen())),
        Cell::Text(contact_name),
        Cell::Text(contact_phone),
        Cell::Int(i64::from(v.score.total)),
        Cell::Wan(v.credit_line.fen()),
        Cell::Wan(v.bundle.total.fen()),
        Cell::Int(v.bundle.items.len() as i64),
        Cell::Text(bundle),
        Cell::Date(Some(v.loan_end)),
        Cell::Date(Some(v.as_of)),
    ]
}

/// Every row `filter` selects of product `product_id`'s matches, as `format`. The first page
/// is read before the download starts, so that every refusal is answered as such.
pub async fn download(
    s: AppState,
    cx: Context,
    format: Format,
    product_id: i64,
    filter: MatchFilter,
) -> ApiResult<Response> {
    let filter = MatchFilter {
        after: None,
        limit: EXPORT_PAGE,
        ..filter
    };
    let first = s.service.matches(&cx, product_id, filter.clone())?;
    // (the page to write, rows before it); `None` once the list is done.
    let start = Some((first, 0usize));
    let pages = futures_util::stream::unfold(start, move |state| {
        let (s, cx, filter) = (s.clone(), cx.clone(), filter.clone());
        async move {
            let (page, shown_before) = state?;
            let holdings = match s.service.shown_holdings(&cx, &page.items).await {
                Ok(h) => h,
                Err(e) => return Some((Err(e.into()), None)),
            };
            let by_uscc: HashMap<Uscc, &Holding> =
                holdings.iter().map(|h| (h.enterprise.uscc, h)).collect();
            let rows: Vec<Vec<Cell>> = page
                .items
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    let h = by_uscc.get(&m.evaluation.uscc).copied();
                    row(shown_before + i + 1, m, h)
                })
                .collect();
            let shown_now = shown_before + rows.len();
            let next = match page.next {
                None => None,
                Some(after) => match s.service.matches(
                    &cx,
                    product_id,
                    MatchFilter {
                        after: Some(after),
                        ..filter
                    },
                ) {
                    Ok(p) => Some((p, shown_now)),
                    Err(e) => return Some((Err(e.into()), None)),
                },
            };
            Some((Ok(rows), next))
        }
    });
    stream_download(
        format,
        &format!("matches-product-{product_id}"),
        "匹配企业",
        COLUMNS.to_vec(),
        Box::pin(pages),
    )
    .await
}
