//! Pushes to banks (推送): subscriptions, the outbox, deliveries and their attempts. An event
//! is written to the outbox together with one delivery for each subscription that wants it,
//! in the transaction of the change it tells of; deliveries are then claimed by whichever
//! server gets there first (a lease), tried, and retried with backoff until they succeed or
//! run out of attempts.

use crate::audit::{self, Change};
use crate::connect::EVENT_DRAW_LOCK;
use crate::entities::{delivery, event_cursor, event_seen, outbox, webhook};
use crate::error::{Result, StoreError, corrupt};
use crate::{Actor, FeedPosition, Store};
use chrono::{DateTime, Utc};
use pledge_domain::BankCode;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

/// A listed enterprise newly eligible for one of the bank's products.
pub const EVENT_MATCH_GAINED: &str = "match.gained";
/// A listed enterprise no longer eligible for one of the bank's products.
pub const EVENT_MATCH_LOST: &str = "match.lost";
/// A white-list batch published (to every bank).
pub const EVENT_BATCH_PUBLISHED: &str = "batch.published";
/// Every event a bank may subscribe to.
pub const EVENTS: [&str; 3] = [EVENT_MATCH_GAINED, EVENT_MATCH_LOST, EVENT_BATCH_PUBLISHED];

/// A bank's subscription as kept (its secret is never read back out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookRecord {
    pub id: i64,
    pub bank: BankCode,
    pub url: String,
    pub events: Vec<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub removed_at: Option<DateTime<Utc>>,
    /// The receiver's own certificate authority (PEM), trusted for this subscription only.
    pub ca_certificate: Option<String>,
}

/// An event for a bank (`None`: for every bank).
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub bank: Option<BankCode>,
    pub event: &'static str,
    pub payload: Value,
}

/// An event as kept.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRecord {
    pub id: i64,
    pub event: String,
    pub payload: Value,
    pub created_at: DateTime<Utc>,
}

/// One delivery of one event to one subscription.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeliveryRecord {
    pub id: i64,
    pub webhook_id: i64,
    pub event: EventRecord,
    /// `pending`, `delivered` or `failed` (no attempt left).
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A delivery that is due, not yet claimed: whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingDelivery {
    pub id: i64,
    pub webhook_id: i64,
    pub bank_id: i64,
}

/// Live subscriptions a bank may keep at once.
pub const WEBHOOKS_PER_BANK: usize = 10;

/// What the sealing key of webhook secrets is derived for.
const SECRET_PURPOSE: &str = "webhook secret";

/// A delivery claimed for an attempt, with what it needs.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub id: i64,
    pub webhook_id: i64,
    pub attempts: i32,
    pub url: String,
    pub secret: String,
    /// The receiver's own certificate authority (PEM), if it has one.
    pub ca_certificate: Option<String>,
    pub event: EventRecord,
}

fn webhook_record(r: webhook::Model, banks: &HashMap<i64, BankCode>) -> Result<WebhookRecord> {
    Ok(WebhookRecord {
        id: r.id,
        bank: banks
            .get(&r.bank_id)
            .cloned()
            .ok_or_else(|| StoreError::corrupt("webhook bank"))?,
        url: r.url,
        events: corrupt(serde_json::from_value(r.events))?,
        created_by: r.created_by,
        created_at: r.created_at,
        removed_at: r.removed_at,
        ca_certificate: r.ca_certificate,
    })
}

fn event_record(r: outbox::Model) -> EventRecord {
    EventRecord {
        id: r.id,
        event: r.event,
        payload: r.payload,
        created_at: r.created_at,
    }
}

impl Store {
    async fn bank_id(&self, db: &impl ConnectionTrait, bank: &BankCode) -> Result<i64> {
        self.bank_codes(db)
            .await?
            .into_iter()
            .find_map(|(id, c)| (c == *bank).then_some(id))
            .ok_or_else(|| StoreError::NotFound {
                entity: "bank",
                key: bank.to_string(),
            })
    }

    /// Keeps a bank's subscription, with its audit record (the secret is not in it; it is
    /// kept sealed when the server was given its token key). A bank keeps at most
    /// [`WEBHOOKS_PER_BANK`] live.
    pub async fn create_webhook(
        &self,
        actor: &Actor,
        bank: &BankCode,
        url: &str,
        events: &[String],
        secret: &str,
        ca_certificate: Option<&str>,
    ) -> Result<WebhookRecord> {
        let kept = match &self.sealing_key {
            Some(key) => crate::sealed::seal(key, SECRET_PURPOSE, secret)?,
            None => secret.to_owned(),
        };
        let txn = self.write().await?;
        let bank_id = self.bank_id(&txn, bank).await?;
        let live = webhook::Entity::find()
            .filter(webhook::Column::BankId.eq(bank_id))
            .filter(webhook::Column::RemovedAt.is_null())
            .count(&txn)
            .await?;
        if live >= WEBHOOKS_PER_BANK as u64 {
            return Err(StoreError::Invalid(vec![pledge_domain::Violation::new(
                "url",
                pledge_domain::DomainError::TooMany {
                    max: WEBHOOKS_PER_BANK,
                },
            )]));
        }
        let row = webhook::Entity::insert(webhook::ActiveModel {
            id: NotSet,
            bank_id: Set(bank_id),
            url: Set(url.into()),
            events: Set(corrupt(serde_json::to_value(events))?),
            secret: Set(kept),
            created_by: Set(actor.label.clone()),
            created_at: Set(actor.now),
            removed_at: Set(None),
            ca_certificate: Set(ca_certificate.map(str::to_owned)),
        })
        .exec_with_returning(&txn)
        .await?;
        let rec = webhook_record(row, &self.bank_codes(&txn).await?)?;
        audit::record(
            &txn,
            actor,
            actor.now,
            Change {
                entity: "webhook",
                key: &rec.id.to_string(),
                action: "create",
                park_id: None,
                before: None,
                after: serde_json::to_value(&rec).ok(),
                reason: None,
            },
        )
        .await?;
        audit::commit(txn).await?;
        Ok(rec)
    }

    /// Ends a subscription: nothing more is delivered to it (pending deliveries fail).
    pub async fn remove_webhook(&self, actor: &Actor, id: i64) -> Result<WebhookRecord> {
        let txn = self.write().await?;
        let row = webhook::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: "webhook",
                key: id.to_string(),
            })?;
        let banks = self.bank_codes(&txn).await?;
        let before = webhook_record(row.clone(), &banks)?;
        if before.removed_at.is_some() {
            return Ok(before);
        }
        webhook::Entity::update(webhook::ActiveModel {
            id: sea_orm::ActiveValue::Unchanged(id),
            removed_at: Set(Some(actor.now)),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        delivery::Entity::update_many()
            .col_expr(delivery::Column::Status, "failed".into())
            .col_expr(
                delivery::Column::LastError,
                Some("订阅已取消 / the subscription was removed".to_string()).into(),
            )
            .filter(delivery::Column::WebhookId.eq(id))
            .filter(delivery::Column::Status.eq("pending"))
            .exec(&txn)
            .await?;
        let after = WebhookRecord {
            removed_at: Some(actor.now),
            ..before.clone()
        };
        audit::record(
            &txn,
            actor,
            actor.now,
            Change {
                entity: "webhook",
                key: &id.to_string(),
                action: "remove",
                park_id: None,
                before: serde_json::to_value(&before).ok(),
                after: serde_json::to_value(&after).ok(),
                reason: None,
            },
        )
        .await?;
        audit::commit(txn).await?;
        Ok(after)
    }

    /// The subscriptions of a bank (of all banks when `None`), removed ones included.
    pub async fn webhooks(&self, bank: Option<&BankCode>) -> Result<Vec<WebhookRecord>> {
        let banks = self.bank_codes(&self.db).await?;
        let mut q = webhook::Entity::find().order_by_asc(webhook::Column::Id);
        if let Some(b) = bank {
            q = q.filter(webhook::Column::BankId.eq(self.bank_id(&self.db, b).await?));
        }
        q.all(&self.db)
            .await?
            .into_iter()
            .map(|r| webhook_record(r, &banks))
            .collect()
    }

    /// One subscription.
    pub async fn webhook(&self, id: i64) -> Result<Option<WebhookRecord>> {
        let banks = self.bank_codes(&self.db).await?;
        webhook::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .map(|r| webhook_record(r, &banks))
            .transpose()
    }

    /// Writes events to the outbox inside `db`'s transaction, each with a delivery for every
    /// live subscription of its bank (every bank's, for an event to all) that wants it.
    pub(crate) async fn enqueue(
        &self,
        db: &impl ConnectionTrait,
        now: DateTime<Utc>,
        events: Vec<NewEvent>,
    ) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let banks = self.bank_codes(db).await?;
        let ids: HashMap<BankCode, i64> = banks.iter().map(|(i, c)| (c.clone(), *i)).collect();
        let hooks = webhook::Entity::find()
            .filter(webhook::Column::RemovedAt.is_null())
            .all(db)
            .await?;
        for e in events {
            let bank_id = e.bank.as_ref().and_then(|b| ids.get(b).copied());
            let id = outbox::Entity::insert(outbox::ActiveModel {
                id: NotSet,
                bank_id: Set(bank_id),
                event: Set(e.event.into()),
                payload: Set(e.payload),
                created_at: Set(now),
            })
            .exec(db)
            .await?
            .last_insert_id;
            for h in &hooks {
                let wants = serde_json::from_value::<Vec<String>>(h.events.clone())
                    .is_ok_and(|ev| ev.iter().any(|x| x == e.event));
                if wants && bank_id.is_none_or(|b| b == h.bank_id) {
                    delivery::Entity::insert(delivery::ActiveModel {
                        id: NotSet,
                        webhook_id: Set(h.id),
                        outbox_id: Set(id),
                        status: Set("pending".into()),
                        attempts: Set(0),
                        next_attempt_at: Set(now),
                        lease_until: Set(None),
                        last_status_code: Set(None),
                        last_error: Set(None),
                        delivered_at: Set(None),
                        created_at: Set(now),
                    })
                    .exec(db)
                    .await?;
                }
            }
        }
        Ok(())
    }

    /// Writes events drawn from the change feed up to `upto`, unless another server already
    /// drew them that far (then nothing is written: the feed's events are drawn once by
    /// whoever is first). Answers whether they were written.
    pub async fn enqueue_drawn(
        &self,
        now: DateTime<Utc>,
        upto: FeedPosition,
        events: Vec<NewEvent>,
    ) -> Result<bool> {
        let txn = self.write().await?;
        // Two servers that read the cursor at once would both write the stretch.
        self.serialize_on_postgres(&txn, EVENT_DRAW_LOCK).await?;
        let cursor = event_cursor::Entity::find_by_id(1).one(&txn).await?;
        let ahead = cursor
            .as_ref()
            .is_some_and(|c| (c.commit_seq, c.record) >= (upto.commit, upto.record));
        if ahead {
            return Ok(false);
        }
        let row = event_cursor::ActiveModel {
            id: Set(1),
            commit_seq: Set(upto.commit),
            record: Set(upto.record),
        };
        if cursor.is_some() {
            event_cursor::Entity::update(row).exec(&txn).await?;
        } else {
            event_cursor::Entity::insert(row).exec(&txn).await?;
        }
        self.enqueue(&txn, now, events).await?;
        // No audit record: the events restate changes the log already holds.
        txn.commit().await?;
        Ok(true)
    }

    /// Deliveries due at `now` and not leased to anyone, oldest first, at most `limit`:
    /// whose they are, for the deliverer to choose fairly among banks before it claims.
    pub async fn pending_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<PendingDelivery>> {
        let due = delivery::Entity::find()
            .filter(delivery::Column::Status.eq("pending"))
            .filter(delivery::Column::NextAttemptAt.lte(now))
            .filter(
                Condition::any()
                    .add(delivery::Column::LeaseUntil.is_null())
                    .add(delivery::Column::LeaseUntil.lt(now)),
            )
            .order_by_asc(delivery::Column::NextAttemptAt)
            .order_by_asc(delivery::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        let hooks: HashMap<i64, i64> = webhook::Entity::find()
            .filter(webhook::Column::Id.is_in(due.iter().map(|d| d.webhook_id)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|h| (h.id, h.bank_id))
            .collect();
        Ok(due
            .into_iter()
            .filter_map(|d| {
                Some(PendingDelivery {
                    id: d.id,
                    webhook_id: d.webhook_id,
                    bank_id: *hooks.get(&d.webhook_id)?,
                })
            })
            .collect())
    }

    /// Claims one due delivery for `lease` (so no other server tries it meanwhile), with
    /// what its attempt needs; `None` when another server claimed it first.
    pub async fn claim_delivery(
        &self,
        id: i64,
        now: DateTime<Utc>,
        lease: chrono::Duration,
    ) -> Result<Option<DueDelivery>> {
        let claimed = delivery::Entity::update_many()
            .col_expr(delivery::Column::LeaseUntil, Some(now + lease).into())
            .filter(delivery::Column::Id.eq(id))
            .filter(delivery::Column::Status.eq("pending"))
            .filter(
                Condition::any()
                    .add(delivery::Column::LeaseUntil.is_null())
                    .add(delivery::Column::LeaseUntil.lt(now)),
            )
            .exec(&self.db)
            .await?;
        if claimed.rows_affected != 1 {
            return Ok(None);
        }
        let Some(d) = delivery::Entity::find_by_id(id).one(&self.db).await? else {
            return Ok(None);
        };
        let (Some(hook), Some(event)) = (
            webhook::Entity::find_by_id(d.webhook_id)
                .one(&self.db)
                .await?,
            outbox::Entity::find_by_id(d.outbox_id)
                .one(&self.db)
                .await?,
        ) else {
            return Ok(None);
        };
        let secret =
            crate::sealed::open(self.sealing_key.as_deref(), SECRET_PURPOSE, &hook.secret)?;
        Ok(Some(DueDelivery {
            id: d.id,
            webhook_id: d.webhook_id,
            attempts: d.attempts,
            url: hook.url,
            secret,
            ca_certificate: hook.ca_certificate,
            event: event_record(event),
        }))
    }

    /// Seals the secrets of subscriptions kept in clear (before the server was given its
    /// token key); answers how many. Without a key, nothing is sealed.
    pub async fn seal_webhook_secrets(&self) -> Result<usize> {
        let Some(key) = self.sealing_key.clone() else {
            return Ok(0);
        };
        let plain: Vec<webhook::Model> = webhook::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .filter(|h| !crate::sealed::is_sealed(&h.secret))
            .collect();
        for h in &plain {
            webhook::Entity::update_many()
                .col_expr(
                    webhook::Column::Secret,
                    crate::sealed::seal(&key, SECRET_PURPOSE, &h.secret)?.into(),
                )
                .filter(webhook::Column::Id.eq(h.id))
                .filter(webhook::Column::Secret.eq(h.secret.clone()))
                .exec(&self.db)
                .await?;
        }
        Ok(plain.len())
    }

    /// Records an attempt: delivered, or to be retried at `retry_at` (`None`: no attempt
    /// left, failed).
    pub async fn record_attempt(
        &self,
        id: i64,
        now: DateTime<Utc>,
        status_code: Option<u16>,
        error: Option<String>,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let delivered = error.is_none();
        let status = match (delivered, retry_at) {
            (true, _) => "delivered",
            (false, Some(_)) => "pending",
            (false, None) => "failed",
        };
        delivery::Entity::update_many()
            .col_expr(delivery::Column::Attempts, {
                use sea_orm::sea_query::ExprTrait as _;
                sea_orm::sea_query::Expr::col(delivery::Column::Attempts).add(1)
            })
            .col_expr(delivery::Column::Status, status.into())
            .col_expr(
                delivery::Column::LastStatusCode,
                status_code.map(i32::from).into(),
            )
            .col_expr(delivery::Column::LastError, error.into())
            .col_expr(delivery::Column::LeaseUntil, None::<DateTime<Utc>>.into())
            .col_expr(
                delivery::Column::NextAttemptAt,
                retry_at.unwrap_or(now).into(),
            )
            .col_expr(
                delivery::Column::DeliveredAt,
                delivered.then_some(now).into(),
            )
            .filter(delivery::Column::Id.eq(id))
            .filter(delivery::Column::Status.eq("pending"))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// The deliveries to one subscription, latest first, at most `limit`.
    pub async fn deliveries(&self, webhook_id: i64, limit: u64) -> Result<Vec<DeliveryRecord>> {
        let rows = delivery::Entity::find()
            .filter(delivery::Column::WebhookId.eq(webhook_id))
            .order_by_desc(delivery::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        let events: HashMap<i64, outbox::Model> = outbox::Entity::find()
            .filter(outbox::Column::Id.is_in(rows.iter().map(|r| r.outbox_id)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
        rows.into_iter()
            .map(|r| {
                let event = events
                    .get(&r.outbox_id)
                    .cloned()
                    .ok_or_else(|| StoreError::corrupt("delivery event"))?;
                Ok(DeliveryRecord {
                    id: r.id,
                    webhook_id: r.webhook_id,
                    event: event_record(event),
                    status: r.status,
                    attempts: r.attempts,
                    next_attempt_at: r.next_attempt_at,
                    last_status_code: r.last_status_code,
                    last_error: r.last_error,
                    delivered_at: r.delivered_at,
                })
            })
            .collect()
    }

    /// The events for `bank` (its own and those for every bank) after `after`, oldest first,
    /// at most `limit`.
    pub async fn events_for(
        &self,
        bank: &BankCode,
        after: i64,
        limit: u64,
    ) -> Result<Vec<EventRecord>> {
        let id = self.bank_id(&self.db, bank).await?;
        Ok(outbox::Entity::find()
            .filter(outbox::Column::Id.gt(after))
            .filter(
                Condition::any()
                    .add(outbox::Column::BankId.eq(id))
                    .add(outbox::Column::BankId.is_null()),
            )
            .order_by_asc(outbox::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(event_record)
            .collect())
    }

    /// The last event a person has seen (0: none).
    pub async fn event_seen(&self, person_id: i64) -> Result<i64> {
        Ok(event_seen::Entity::find_by_id(person_id)
            .one(&self.db)
            .await?
            .map_or(0, |r| r.outbox_id))
    }

    /// Notes that a person has seen the events up to `outbox_id`.
    pub async fn see_events(&self, person_id: i64, outbox_id: i64) -> Result<()> {
        let row = event_seen::ActiveModel {
            id: Set(person_id),
            outbox_id: Set(outbox_id),
        };
        event_seen::Entity::insert(row)
            .on_conflict(
                sea_orm::sea_query::OnConflict::column(event_seen::Column::Id)
                    .update_column(event_seen::Column::OutboxId)
                    .to_owned(),
            )
            .exec(&self.db)
            .await?;
        Ok(())
    }
}
