//! Matchmaking rounds in pages: the office keeps them; banks and parks read the rounds they
//! take part in or are invited to.

use super::{Frame, Page, Posted, Signed};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use pledge_domain::{BankCode, ParkCode, RoundKind, Text, Uscc};
use pledge_service::NewRound;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/rounds", get(rounds).post(create))
}

struct Line {
    name: String,
    kind: &'static str,
    held_on: String,
    banks: String,
    products: usize,
    invited: String,
}

#[derive(Template)]
#[template(path = "rounds.html")]
struct RoundsPage {
    f: Frame,
    office: bool,
    kinds: Vec<(&'static str, &'static str)>,
    lines: Vec<Line>,
    errors: Vec<crate::FieldError>,
    today: String,
}

async fn rounds_page(s: &AppState, me: &Signed, errors: Vec<crate::FieldError>) -> Page {
    let lines = s
        .service
        .rounds(&me.cx)
        .await?
        .into_iter()
        .map(|r| {
            let x = r.round;
            let mut invited: Vec<String> = x.parks.iter().map(ToString::to_string).collect();
            if !x.enterprises.is_empty() {
                invited.push(format!("{}家企业", x.enterprises.len()));
            }
            Line {
                name: x.name.to_string(),
                kind: x.kind.label_zh(),
                held_on: x.held_on.to_string(),
                banks: x
                    .banks
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("、"),
                products: x.products.len(),
                invited: invited.join("、"),
            }
        })
        .collect();
    let refused = !errors.is_empty();
    Ok(super::form_page(
        &RoundsPage {
            f: me.frame("/rounds"),
            office: me.cx.may().administer,
            kinds: RoundKind::ALL
                .iter()
                .map(|k| (k.as_str(), k.label_zh()))
                .collect(),
            lines,
            errors,
            today: me.cx.today().to_string(),
        },
        refused,
    ))
}

async fn rounds(State(s): State<AppState>, me: Signed) -> Page {
    rounds_page(&s, &me, Vec::new()).await
}

async fn create(State(s): State<AppState>, Posted { me, fields }: Posted) -> Page {
    me.cx.require_office()?;
    let mut errors = Vec::new();
    let mut wrong = |field: String, e: pledge_domain::DomainError| {
        errors.extend(crate::error::ApiError::field(&field, e).problem().errors);
    };
    let name = Text::parse(fields.get("name"), 2, 100)
        .map_err(|e| wrong("name".into(), e))
        .ok();
    let kind = RoundKind::parse(fields.get("kind"))
        .map_err(|e| wrong("kind".into(), e))
        .ok();
    let held_on = chrono::NaiveDate::parse_from_str(fields.get("held_on"), "%Y-%m-%d")
        .map_err(|_| {
            wrong(
                "held_on".into(),
                pledge_domain::DomainError::Format { what: "date" },
            )
        })
        .ok();
    let mut parsed =
        |field: &str, parse: &dyn Fn(&str) -> Result<(), pledge_domain::DomainError>| {
            for (i, w) in fields.words(field).iter().enumerate() {
                if let Err(e) = parse(w) {
                    wrong(format!("{field}[{i}]"), e);
                }
            }
        };
    parsed("banks", &|w| BankCode::parse(w).map(drop));
    parsed("parks", &|w| ParkCode::parse(w).map(drop));
    parsed("enterprises", &|w| Uscc::parse(w).map(drop));
    parsed("products", &|w| {
        w.parse::<i64>()
            .map(drop)
            .map_err(|_| pledge_domain::DomainError::Format { what: "product id" })
    });
    let (Some(name), Some(kind), Some(held_on), true) = (name, kind, held_on, errors.is_empty())
    else {
        return rounds_page(&s, &me, errors).await;
    };
    let r = NewRound {
        name,
        kind,
        held_on,
        banks: fields
            .words("banks")
            .iter()
            .filter_map(|w| BankCode::parse(w).ok())
            .collect(),
        products: fields
            .words("products")
            .iter()
            .filter_map(|w| w.parse().ok())
            .collect(),
        parks: fields
            .words("parks")
            .iter()
            .filter_map(|w| ParkCode::parse(w).ok())
            .collect(),
        enterprises: fields
            .words("enterprises")
            .iter()
            .filter_map(|w| Uscc::parse(w).ok())
            .collect(),
    };
    match s.service.create_round(&me.cx, r).await {
        Ok(_) => Ok(Redirect::to("/rounds").into_response()),
        Err(e) => rounds_page(&s, &me, super::field_errors(e)?).await,
    }
}
