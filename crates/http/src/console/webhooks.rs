//! Pushes in pages (推送订阅): a bank subscribes its receiver to events, ends a subscription,
//! and reads each delivery's attempts; the office reads them all.

use super::{Frame, Page, Posted, Signed, local_time, path_id};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use pledge_service::EVENTS;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/webhooks", get(list).post(create))
        .route("/webhooks/{id}", get(one))
        .route("/webhooks/{id}/remove", post(remove))
}

/// What each event is called.
fn event_zh(e: &str) -> &'static str {
    match e {
        "match.gained" => "新匹配企业",
        "match.lost" => "企业不再匹配",
        "batch.published" => "白名单发布",
        _ => "其他",
    }
}

struct Line {
    id: i64,
    bank: String,
    url: String,
    events: String,
    created_at: String,
    removed: bool,
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct ListPage {
    f: Frame,
    bank: bool,
    events: Vec<(&'static str, &'static str)>,
    lines: Vec<Line>,
    errors: Vec<crate::FieldError>,
}

async fn list_page(s: &AppState, me: &Signed, errors: Vec<crate::FieldError>) -> Page {
    let lines = s
        .service
        .webhooks(&me.cx)
        .await?
        .into_iter()
        .map(|w| Line {
            id: w.id,
            bank: w.bank.to_string(),
            url: w.url,
            events: w
                .events
                .iter()
                .map(|e| event_zh(e))
                .collect::<Vec<_>>()
                .join("、"),
            created_at: local_time(w.created_at),
            removed: w.removed_at.is_some(),
        })
        .collect();
    let refused = !errors.is_empty();
    Ok(super::form_page(
        &ListPage {
            f: me.frame("/webhooks"),
            bank: me.cx.may().report_outcomes,
            events: EVENTS.iter().map(|e| (*e, event_zh(e))).collect(),
            lines,
            errors,
        },
        refused,
    ))
}

async fn list(State(s): State<AppState>, me: Signed) -> Page {
    list_page(&s, &me, Vec::new()).await
}

async fn create(State(s): State<AppState>, Posted { me, fields }: Posted) -> Page {
    let events = fields
        .all("events")
        .into_iter()
        .map(str::to_owned)
        .collect();
    match s
        .service
        .create_webhook(
            &me.cx,
            fields.get("url"),
            events,
            fields.get("secret"),
            Some(fields.get("ca_certificate")),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to("/webhooks").into_response()),
        Err(pledge_service::ServiceError::Invalid(errors)) => list_page(&s, &me, errors).await,
        Err(e) => Err(e.into()),
    }
}

async fn remove(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { me, .. }: Posted,
) -> Page {
    s.service.remove_webhook(&me.cx, path_id(&id)?).await?;
    Ok(Redirect::to("/webhooks").into_response())
}

struct Delivery {
    at: String,
    event: &'static str,
    status: &'static str,
    attempts: i32,
    answer: String,
}

#[derive(Template)]
#[template(path = "webhook.html")]
struct OnePage {
    f: Frame,
    id: i64,
    url: String,
    deliveries: Vec<Delivery>,
}

/// How many deliveries a page shows.
const SHOWN: u64 = 100;

async fn one(State(s): State<AppState>, me: Signed, Path(id): Path<String>) -> Page {
    let id = path_id(&id)?;
    let w = s.service.webhook(&me.cx, id).await?;
    let deliveries = s
        .service
        .deliveries(&me.cx, id, SHOWN)
        .await?
        .into_iter()
        .map(|d| Delivery {
            at: local_time(d.event.created_at),
            event: event_zh(&d.event.event),
            status: match d.status.as_str() {
                "delivered" => "已送达",
                "pending" => "等待重试",
                _ => "已放弃",
            },
            attempts: d.attempts,
            answer: match (d.last_status_code, d.last_error) {
                (_, Some(e)) => e,
                (Some(code), None) => code.to_string(),
                (None, None) => String::new(),
            },
        })
        .collect();
    Ok(super::page(&OnePage {
        f: me.frame("/webhooks"),
        id,
        url: w.url,
        deliveries,
    }))
}
