//! Pushes to banks: a bank subscribes a URL to events and reads what was delivered; events can
//! also be read by polling.

use crate::AppState;
use crate::auth::Auth;
use crate::check::{paging, parse_id, read_key};
use crate::error::{ApiResult, ReadErrors, WriteErrors};
use crate::extract::{ApiJson, ApiQuery};
use crate::shape;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use pledge_service::{DeliveryRecord, EventRecord, WebhookRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(get_webhook, remove_webhook))
        .routes(routes!(list_deliveries))
        .routes(routes!(list_events))
}

/// A subscription to make.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// The receiver: `https://…` (`http://` only where the server allows it), never in an
    /// inner network the operator has not allowed (the example, a documentation address, is
    /// refused as one).
    #[schema(
        example = "https://192.0.2.10/pledge/events",
        min_length = 8,
        max_length = 2000
    )]
    #[validate(length(min = 8, max = 2000))]
    url: String,
    /// `match.gained`, `match.lost`, `batch.published`.
    #[schema(value_type = Vec<shape::Event>, inline, min_items = 1, max_items = 3)]
    #[validate(length(min = 1, max = 3), custom(function = shape::events))]
    events: Vec<String>,
    /// Deliveries carry `Pledge-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
    /// under this secret; it is never shown again.
    #[schema(min_length = 16, max_length = 256)]
    #[validate(length(min = 16, max = 256))]
    secret: String,
    /// The receiver's own certificate authority (PEM, one to eight certificates), for an
    /// `https://` receiver in a closed network: trusted for this subscription only, in place
    /// of the usual roots.
    #[schema(max_length = 16384)]
    #[validate(length(max = 16384))]
    #[serde(default)]
    ca_certificate: Option<String>,
}

/// A subscription (without its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    id: i64,
    bank: String,
    url: String,
    events: Vec<String>,
    created_by: String,
    created_at: DateTime<Utc>,
    /// When it was ended (null: live).
    removed_at: Option<DateTime<Utc>>,
    /// The receiver's own certificate authority (PEM), if it has one.
    ca_certificate: Option<String>,
}

impl From<WebhookRecord> for WebhookView {
    fn from(w: WebhookRecord) -> Self {
        Self {
            id: w.id,
            bank: w.bank.to_string(),
            url: w.url,
            events: w.events,
            created_by: w.created_by,
            created_at: w.created_at,
            removed_at: w.removed_at,
            ca_certificate: w.ca_certificate,
        }
    }
}

/// An event, as delivered and as polled.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    id: i64,
    event: String,
    occurred_at: DateTime<Utc>,
    #[schema(value_type = Object)]
    data: serde_json::Value,
}

impl From<EventRecord> for EventView {
    fn from(e: EventRecord) -> Self {
        Self {
            id: e.id,
            event: e.event,
            occurred_at: e.created_at,
            data: e.payload,
        }
    }
}

/// One delivery and its attempts.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    id: i64,
    event: EventView,
    /// `pending`, `delivered` or `failed` (no attempt left, or the subscription ended).
    status: String,
    attempts: i32,
    next_attempt_at: DateTime<Utc>,
    last_status_code: Option<i32>,
    last_error: Option<String>,
    delivered_at: Option<DateTime<Utc>>,
}

impl From<DeliveryRecord> for DeliveryView {
    fn from(d: DeliveryRecord) -> Self {
        Self {
            id: d.id,
            event: d.event.into(),
            status: d.status,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            delivered_at: d.delivered_at,
        }
    }
}

/// A page size.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct LimitQuery {
    /// At most this many (default 50).
    #[param(value_type = Option<shape::PageSize>, inline)]
    #[validate(custom(function = shape::page_size))]
    limit: Option<String>,
}

/// Paging of events.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// The id of the last event already read (default: from the first).
    #[param(value_type = Option<shape::Id>, inline)]
    #[validate(custom(function = shape::id))]
    after: Option<String>,
    /// At most this many (default 50).
    #[param(value_type = Option<shape::PageSize>, inline)]
    #[validate(custom(function = shape::page_size))]
    limit: Option<String>,
}

const PATH_ID: &str = "id";

/// The subscriptions the caller may see: a bank its own, the office all.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "outcomes", security(("bearer" = [])), responses((status = 200, body = [WebhookView]), ReadErrors))]
async fn list_webhooks(
    State(s): State<AppState>,
    Auth(cx): Auth,
) -> ApiResult<Json<Vec<WebhookView>>> {
    let all = s.service.webhooks(&cx).await?;
    Ok(Json(all.into_iter().map(WebhookView::from).collect()))
}

/// Subscribes the caller's bank to events, delivered at least once, signed, retried with
/// backoff while the receiver fails.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "outcomes", security(("bearer" = [])), request_body = WebhookInput, responses((status = 201, body = WebhookView), WriteErrors))]
async fn create_webhook(
    State(s): State<AppState>,
    Auth(cx): Auth,
    ApiJson(input): ApiJson<WebhookInput>,
) -> ApiResult<(StatusCode, Json<WebhookView>)> {
    let w = s
        .service
        .create_webhook(
            &cx,
            &input.url,
            input.events,
            &input.secret,
            input.ca_certificate.as_deref(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(w.into())))
}

/// One live subscription (another bank's, or one ended, is 404; the list keeps ended ones).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "outcomes", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64)), responses((status = 200, body = WebhookView), ReadErrors))]
async fn get_webhook(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<WebhookView>> {
    let id = read_key(parse_id(PATH_ID, &id))?;
    Ok(Json(s.service.live_webhook(&cx, id).await?.into()))
}

/// Ends a subscription at once: its pending deliveries are dropped.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "outcomes", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64)), responses((status = 200, body = WebhookView), WriteErrors))]
async fn remove_webhook(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<WebhookView>> {
    let id = read_key(parse_id(PATH_ID, &id))?;
    Ok(Json(s.service.remove_webhook(&cx, id).await?.into()))
}

/// The latest deliveries to a live subscription, newest first: status, attempts, the
/// receiver's last answer (one ended is 404, as it is itself).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "outcomes", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64), LimitQuery), responses((status = 200, body = [DeliveryView]), ReadErrors))]
async fn list_deliveries(
    State(s): State<AppState>,
    Auth(cx): Auth,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<LimitQuery>,
) -> ApiResult<Json<Vec<DeliveryView>>> {
    let id = read_key(parse_id(PATH_ID, &id))?;
    let (_, limit) = paging(None, q.limit.as_deref())?;
    let all = s.service.live_deliveries(&cx, id, limit).await?;
    Ok(Json(all.into_iter().map(DeliveryView::from).collect()))
}

/// The caller's bank's events after `after`, oldest first: for a bank that polls instead of
/// receiving.
#[utoipa::path(get, path = "/api/v1/events", tag = "outcomes", security(("bearer" = [])), params(EventQuery), responses((status = 200, body = [EventView]), ReadErrors))]
async fn list_events(
    State(s): State<AppState>,
    Auth(cx): Auth,
    ApiQuery(q): ApiQuery<EventQuery>,
) -> ApiResult<Json<Vec<EventView>>> {
    let (after, limit) = paging(q.after.as_deref(), q.limit.as_deref())?;
    let all = s.service.events(&cx, after.unwrap_or(0), limit).await?;
    Ok(Json(all.into_iter().map(EventView::from).collect()))
}
