//! A product's matches in pages: the ranked list (filters, order, paging, export to Excel),
//! one match's explanation (the bundle with titles, the credit line, the score's parts, the
//! items left out and why), and the near misses.

use super::{Frame, Oops, Page, Signed, page, wan};
use crate::AppState;
use crate::sheet::Format;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use pledge_domain::{Money, ParkCode, Uscc};
use pledge_matching::Place;
use pledge_service::{MatchCursor, MatchFilter, SortBy};
use serde::Deserialize;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/products/{id}/matches", get(list))
        .route("/products/{id}/matches.xlsx", get(export))
        .route("/products/{id}/matches/{uscc}", get(one))
        .route("/products/{id}/near-misses", get(near_misses))
}

/// The filters of the list as the address carries them (bookmarkable).
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    park: String,
    /// The least credit line, in 万元.
    #[serde(default)]
    min_wan: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    after: String,
    /// How many rows the earlier pages showed.
    #[serde(default)]
    from: usize,
}

struct Line {
    rank: usize,
    uscc: String,
    name: String,
    park: String,
    score: u16,
    credit_line: String,
    bundle: usize,
}

#[derive(Template)]
#[template(path = "matches.html")]
struct ListPage {
    f: Frame,
    id: i64,
    product: String,
    as_of: String,
    total: String,
    park: String,
    min_wan: String,
    by_credit_line: bool,
    lines: Vec<Line>,
    next: Option<String>,
    next_from: usize,
    sort: String,
    export: String,
    parks: Vec<String>,
}

/// The filters, or the field a person got wrong.
fn filter(q: &ListQuery) -> Result<MatchFilter, Oops> {
    let park = match q.park.trim() {
        "" => None,
        p => Some(ParkCode::parse(p).map_err(|_| Oops::invalid("park", "园区代码无效"))?),
    };
    let min_credit_line = match q.min_wan.trim() {
        "" => None,
        w => Some(Money::from_wan(w).map_err(|_| Oops::invalid("min_wan", "请填写万元数"))?),
    };
    Ok(MatchFilter {
        park,
        min_credit_line,
        sort: if q.sort == "credit_line" {
            SortBy::CreditLine
        } else {
            SortBy::Score
        },
        after: match q.after.trim() {
            "" => None,
            a => Some(MatchCursor::parse(a).map_err(|_| Oops::invalid("after", "翻页位置无效"))?),
        },
        limit: 50,
        ..Default::default()
    })
}

async fn list(
    State(s): State<AppState>,
    me: Signed,
    Path(raw): Path<String>,
    Query(q): Query<ListQuery>,
) -> Page {
    let id = super::path_id(&raw)?;
    let chosen = filter(&q)?;
    // The export selects the same rows, written from the values as read.
    let export = format!(
        "/products/{id}/matches.xlsx?park={}&min_wan={}&sort={}",
        chosen
            .park
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        chosen
            .min_credit_line
            .map(Money::as_wan)
            .unwrap_or_default(),
        if chosen.sort == SortBy::CreditLine {
            "credit_line"
        } else {
            "score"
        }
    );
    let listing = s.service.matches(&me.cx, id, chosen)?;
    let product = s.service.product(&me.cx, id)?;
    let lines: Vec<Line> = listing
        .items
        .iter()
        .enumerate()
        .map(|(i, m)| Line {
            rank: q.from + i + 1,
            uscc: m.evaluation.uscc.to_string(),
            name: m.name.clone().unwrap_or_default(),
            park: m.park.as_ref().map(ToString::to_string).unwrap_or_default(),
            score: m.evaluation.score.total,
            credit_line: wan(m.evaluation.credit_line.fen()),
            bundle: m.evaluation.bundle.items.len(),
        })
        .collect();
    // A park official sees their own park's matches only: nothing to choose.
    let parks = if !me.cx.may().choose_park {
        Vec::new()
    } else {
        s.service
            .parks(&me.cx)
            .await?
            .into_iter()
            .map(|p| p.value.code.to_string())
            .collect()
    };
    Ok(page(&ListPage {
        f: me.frame("/products"),
        id,
        product: product.rules.name.to_string(),
        as_of: listing.as_of.to_string(),
        total: listing
            .total
            .map_or_else(|| "很多".into(), |t| t.to_string()),
        park: q.park.trim().to_owned(),
        min_wan: q.min_wan.trim().to_owned(),
        by_credit_line: q.sort == "credit_line",
        next_from: q.from + lines.len(),
        sort: q.sort.clone(),
        lines,
        next: listing.next.as_ref().map(ToString::to_string),
        export,
        parks,
    }))
}

/// Every row the filters select as an Excel file, as the API exports it.
async fn export(
    State(s): State<AppState>,
    me: Signed,
    Path(raw): Path<String>,
    Query(q): Query<ListQuery>,
) -> Page {
    let id = super::path_id(&raw)?;
    let chosen = filter(&q)?;
    Ok(crate::sheet::matches::download(s, me.cx, Format::Xlsx, id, chosen).await?)
}

struct Item {
    kind: &'static str,
    number: String,
    title: String,
    place: &'static str,
    reasons: Vec<String>,
}

struct BundleLine {
    number: String,
    title: String,
    appraised: String,
    rate: String,
    pledge_value: String,
    remaining: String,
}

#[derive(Template)]
#[template(path = "match.html")]
struct OnePage {
    f: Frame,
    id: i64,
    product: String,
    uscc: String,
    name: String,
    park: String,
    eligible: bool,
    reasons: Vec<String>,
    requested: String,
    credit_line: String,
    bundle_total: String,
    loan_end: String,
    as_of: String,
    score: Vec<(&'static str, u16)>,
    total: u16,
    bundle: Vec<BundleLine>,
    items: Vec<Item>,
}

async fn one(
    State(s): State<AppState>,
    me: Signed,
    Path((raw, raw_uscc)): Path<(String, String)>,
) -> Page {
    let id = super::path_id(&raw)?;
    let uscc = Uscc::parse(&raw_uscc).map_err(|_| Oops::not_found())?;
    let shown = s.service.explain(&me.cx, id, &uscc)?;
    let shown = s
        .service
        .with_items(&me.cx, vec![shown])
        .await?
        .pop()
        .ok_or_else(Oops::not_found)?;
    let e = &shown.evaluation;
    let title = |number: &str| {
        shown
            .items
            .iter()
            .find(|i| i.ip.number() == number)
            .map(|i| i.title.clone())
            .unwrap_or_default()
    };
    let bundle = e
        .bundle
        .items
        .iter()
        .map(|b| {
            let number = b.ip.number();
            BundleLine {
                title: title(&number),
                number,
                appraised: format!(
                    "{}（{}评估，至{}）",
                    wan(b.appraised_value.fen()),
                    b.appraised_on,
                    b.appraisal_valid_until
                ),
                rate: b.pledge_rate.to_string(),
                pledge_value: wan(b.pledge_value.fen()),
                remaining: b
                    .remaining_months_after_loan
                    .map_or_else(|| "可续展".into(), |m| format!("{m}个月")),
            }
        })
        .collect();
    let items = shown
        .items
        .iter()
        .filter(|i| i.place != Place::InBundle)
        .map(|i| Item {
            kind: if i.ip.kind_name() == "patent" {
                "专利"
            } else {
                "商标"
            },
            number: i.ip.number(),
            title: i.title.clone(),
            place: match i.place {
                Place::InBundle => "拟质押",
                Place::LeftFree => "可质押，未用（留作其他贷款）",
                Place::Out => "不可质押",
            },
            reasons: i.reasons.iter().map(|r| r.message.clone()).collect(),
        })
        .collect();
    let sc = e.score;
    Ok(page(&OnePage {
        f: me.frame("/products"),
        id,
        product: shown.product_name.clone().unwrap_or_default(),
        uscc: uscc.to_string(),
        name: shown.name.clone().unwrap_or_default(),
        park: shown
            .park
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        eligible: e.eligible,
        reasons: e.reasons.iter().map(|r| r.messages().0).collect(),
        requested: wan(e.requested.fen()),
        credit_line: wan(e.credit_line.fen()),
        bundle_total: wan(e.bundle.total.fen()),
        loan_end: e.loan_end.to_string(),
        as_of: e.as_of.to_string(),
        score: vec![
            ("质押覆盖", sc.coverage),
            ("高价值专利", sc.high_value),
            ("剩余保护期", sc.remaining_term),
            ("企业资质", sc.qualifications),
            ("评估时效", sc.appraisal_freshness),
        ],
        total: sc.total,
        bundle,
        items,
    }))
}

#[derive(Deserialize, Default)]
struct MissQuery {
    #[serde(default)]
    after: String,
}

struct Miss {
    uscc: String,
    name: String,
    park: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "near_misses.html")]
struct MissPage {
    f: Frame,
    id: i64,
    product: String,
    misses: Vec<Miss>,
    next: Option<String>,
}

async fn near_misses(
    State(s): State<AppState>,
    me: Signed,
    Path(raw): Path<String>,
    Query(q): Query<MissQuery>,
) -> Page {
    let id = super::path_id(&raw)?;
    let after = match q.after.trim() {
        "" => None,
        a => Some(Uscc::parse(a).map_err(|_| Oops::not_found())?),
    };
    let page_of = s.service.near_misses(&me.cx, id, after.as_ref(), 50)?;
    let product = s.service.product(&me.cx, id)?;
    Ok(page(&MissPage {
        f: me.frame("/products"),
        id,
        product: product.rules.name.to_string(),
        misses: page_of
            .items
            .into_iter()
            .map(|m| Miss {
                uscc: m.evaluation.uscc.to_string(),
                name: m.name.unwrap_or_default(),
                park: m.park.map(|p| p.to_string()).unwrap_or_default(),
                reason: m
                    .evaluation
                    .reasons
                    .iter()
                    .map(|r| r.messages().0)
                    .collect::<Vec<_>>()
                    .join("；"),
            })
            .collect(),
        next: page_of.next.map(|u| u.to_string()),
    }))
}
