//! Pushes to banks (双向推送, city → banks): a bank subscribes a URL to events; each event is
//! delivered at least once, signed with HMAC-SHA256 under the subscription's secret, retried
//! with exponential backoff while the receiver fails, every attempt logged.
//!
//! Events: `batch.published` (written in the publishing transaction, to every bank);
//! `match.gained` / `match.lost` (a listed enterprise newly eligible, or no longer, for one of
//! the bank's products), drawn from the change feed as the live index applies it, once for the
//! feed whichever server draws first.

use crate::error::{FieldError, Result, ServiceError};
use crate::live_index::Moved;
use crate::{Context, Service};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use pledge_domain::code;
use pledge_store::{
    DeliveryRecord, DueDelivery, EVENT_MATCH_GAINED, EVENT_MATCH_LOST, EVENTS, EventRecord,
    NewEvent, Role, WebhookRecord,
};
use std::time::Duration;

/// How deliveries are made.
#[derive(Debug, Clone)]
pub struct Pushes {
    /// Accept `http://` receivers (for a closed network or tests); otherwise `https://` only.
    pub allow_http: bool,
    /// How often due deliveries are looked for.
    pub poll: Duration,
    /// The first retry's delay; each further one doubles it, up to an hour.
    pub retry_base: Duration,
    /// Attempts before a delivery is given up (failed).
    pub max_attempts: i32,
    /// How long a receiver has to answer.
    pub timeout: Duration,
}

impl Default for Pushes {
    fn default() -> Self {
        Self {
            allow_http: false,
            poll: Duration::from_secs(1),
            retry_base: Duration::from_secs(10),
            max_attempts: 12,
            timeout: Duration::from_secs(10),
        }
    }
}

/// The longest URL accepted.
const MAX_URL: usize = 2_000;
/// Deliveries claimed per poll.
const CLAIM: u64 = 20;
/// The longest delay between two attempts.
const MAX_DELAY: Duration = Duration::from_secs(3_600);

/// The signature header's value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// The delay before attempt `attempts + 1`, after `attempts` failures.
fn backoff(base: Duration, attempts: i32) -> Duration {
    let factor = 1u32 << attempts.clamp(0, 20);
    base.saturating_mul(factor).min(MAX_DELAY)
}

fn invalid(field: &str, code: &str, message: String) -> ServiceError {
    ServiceError::Invalid(vec![FieldError {
        field: field.into(),
        code: code.into(),
        message,
    }])
}

impl Service {
    /// Subscribes the caller's bank: a receiver URL (`https://`, or `http://` where allowed),
    /// the events wanted, and the secret deliveries are signed with.
    pub async fn create_webhook(
        &self,
        cx: &Context,
        url: &str,
        events: Vec<String>,
        secret: &str,
    ) -> Result<WebhookRecord> {
        let bank = cx.reporting_bank()?;
        let url = url.trim();
        let scheme_ok =
            url.starts_with("https://") || (self.pushes.allow_http && url.starts_with("http://"));
        let parsed = reqwest::Url::parse(url);
        if !scheme_ok || url.len() > MAX_URL || parsed.as_ref().map_or(true, |u| u.host().is_none())
        {
            return Err(invalid(
                "url",
                code::FORMAT,
                format!(
                    "须为{}地址，最长{MAX_URL}字符 / an {} URL of at most {MAX_URL} characters",
                    if self.pushes.allow_http {
                        "http(s)://"
                    } else {
                        "https://"
                    },
                    if self.pushes.allow_http {
                        "http(s)"
                    } else {
                        "https"
                    },
                ),
            ));
        }
        if events.is_empty() {
            return Err(invalid(
                "events",
                code::REQUIRED,
                "至少订阅一种事件 / subscribe to at least one event".into(),
            ));
        }
        for (i, e) in events.iter().enumerate() {
            if !EVENTS.contains(&e.as_str()) {
                return Err(invalid(
                    &format!("events[{i}]"),
                    code::UNKNOWN_VALUE,
                    format!("可选：{} / one of {}", EVENTS.join(", "), EVENTS.join(", ")),
                ));
            }
            if events[..i].contains(e) {
                return Err(invalid(
                    &format!("events[{i}]"),
                    code::REPEATED,
                    "重复 / repeated".into(),
                ));
            }
        }
        let length = secret.chars().count();
        if !(16..=256).contains(&length) || secret.chars().any(char::is_control) {
            return Err(invalid(
                "secret",
                code::TEXT_LENGTH,
                "密钥须为16至256个可见字符 / the secret is 16 to 256 visible characters".into(),
            ));
        }
        Ok(self
            .store
            .create_webhook(&cx.actor, &bank, url, &events, secret)
            .await?)
    }

    /// The subscriptions the caller may see: a bank its own, the office all.
    pub async fn webhooks(&self, cx: &Context) -> Result<Vec<WebhookRecord>> {
        match cx.role() {
            Role::Admin => Ok(self.store.webhooks(None).await?),
            _ => Ok(self.store.webhooks(Some(&cx.reporting_bank()?)).await?),
        }
    }

    /// One subscription the caller may see (another bank's is 404).
    pub async fn webhook(&self, cx: &Context, id: i64) -> Result<WebhookRecord> {
        let unseen = || ServiceError::not_found(format!("没有订阅{id} / no webhook {id}"));
        let own = match cx.role() {
            Role::Admin => None,
            _ => Some(cx.reporting_bank()?),
        };
        match self.store.webhook(id).await? {
            Some(w) if own.as_ref().is_none_or(|b| *b == w.bank) => Ok(w),
            _ => Err(unseen()),
        }
    }

    /// Ends the bank's own subscription (again: as it stands).
    pub async fn remove_webhook(&self, cx: &Context, id: i64) -> Result<WebhookRecord> {
        cx.reporting_bank()?;
        self.webhook(cx, id).await?;
        Ok(self.store.remove_webhook(&cx.actor, id).await?)
    }

    /// The latest deliveries to a subscription the caller may see.
    pub async fn deliveries(
        &self,
        cx: &Context,
        id: i64,
        limit: u64,
    ) -> Result<Vec<DeliveryRecord>> {
        self.webhook(cx, id).await?;
        Ok(self.store.deliveries(id, limit).await?)
    }

    /// The events for the caller's bank after `after`, oldest first.
    pub async fn events(&self, cx: &Context, after: i64, limit: u64) -> Result<Vec<EventRecord>> {
        let bank = cx.reporting_bank()?;
        Ok(self.store.events_for(&bank, after, limit).await?)
    }

    /// The events for the caller's bank since the person last looked, newest last (at most
    /// `limit`), and notes them seen.
    pub async fn new_events(&self, cx: &Context, limit: u64) -> Result<Vec<EventRecord>> {
        let bank = cx.reporting_bank()?;
        let person = cx.principal.person_id;
        let seen = self.store.event_seen(person).await?;
        let events = self.store.events_for(&bank, seen, limit).await?;
        if let Some(last) = events.last() {
            self.store.see_events(person, last.id).await?;
        }
        Ok(events)
    }

    /// Writes the match events of pairs the index moved, unless another server drew them.
    pub(crate) async fn draw_events(&self, moved: Vec<Moved>, now: DateTime<Utc>) {
        for m in moved {
            let events: Vec<NewEvent> = {
                let live = self.live.read();
                m.pairs
                    .iter()
                    .filter_map(|p| {
                        let product = live.products.get(&p.product_id)?;
                        let park = live.index.enterprise(&p.uscc).map(|(park, _)| park.to_string());
                        Some(NewEvent {
                            bank: Some(product.bank.clone()),
                            event: if p.gained {
                                EVENT_MATCH_GAINED
                            } else {
                                EVENT_MATCH_LOST
                            },
                            payload: serde_json::json!({
                                "product_id": p.product_id,
                                "product_name": product.rules.name.to_string(),
                                "uscc": p.uscc.to_string(),
                                "enterprise_name": live.name(&p.uscc),
                                "park": park,
                                "explanation": format!("/api/v1/products/{}/matches/{}", p.product_id, p.uscc),
                            }),
                        })
                    })
                    .collect()
            };
            if let Err(e) = self.store.enqueue_drawn(now, m.upto, events).await {
                tracing::error!(error = %e, "match events could not be written");
            }
        }
    }

    /// Makes one attempt of a claimed delivery and records it.
    async fn attempt(&self, client: &reqwest::Client, d: DueDelivery) -> Result<()> {
        let now = Utc::now();
        let body = serde_json::to_vec(&serde_json::json!({
            "id": d.event.id,
            "event": d.event.event,
            "occurred_at": d.event.created_at,
            "data": d.event.payload,
        }))
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let sent = client
            .post(&d.url)
            .header("content-type", "application/json")
            .header("pledge-event", &d.event.event)
            .header("pledge-event-id", d.event.id.to_string())
            .header("pledge-delivery", d.id.to_string())
            .header(
                "pledge-signature",
                signature(&d.secret, now.timestamp(), &body),
            )
            .body(body)
            .send()
            .await;
        let (status, error) = match sent {
            Ok(r) if r.status().is_success() => (Some(r.status().as_u16()), None),
            Ok(r) => (
                Some(r.status().as_u16()),
                Some(format!(
                    "接收方答复{} / the receiver answered {}",
                    r.status(),
                    r.status()
                )),
            ),
            Err(e) => (None, Some(format!("无法送达 / not delivered: {e}"))),
        };
        let attempts = d.attempts + 1;
        let retry_at = (error.is_some() && attempts < self.pushes.max_attempts).then(|| {
            now + chrono::Duration::from_std(backoff(self.pushes.retry_base, d.attempts))
                .unwrap_or(chrono::Duration::hours(1))
        });
        if let Some(e) = &error {
            tracing::warn!(delivery = d.id, attempts, error = %e, "delivery failed");
        }
        self.store
            .record_attempt(d.id, Utc::now(), status, error, retry_at)
            .await?;
        Ok(())
    }

    /// Delivers what is due, every poll interval, for as long as the server runs.
    pub fn spawn_deliveries(&self) -> tokio::task::JoinHandle<()> {
        let service = self.clone();
        tokio::spawn(async move {
            let client = match reqwest::Client::builder()
                .timeout(service.pushes.timeout)
                .redirect(reqwest::redirect::Policy::none())
                .build()
            {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(error = %e, "no HTTP client: nothing will be delivered");
                    return;
                }
            };
            let lease = chrono::Duration::from_std(service.pushes.timeout * 3)
                .unwrap_or(chrono::Duration::minutes(1));
            let mut tick = tokio::time::interval(service.pushes.poll);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let due = match service
                    .store
                    .claim_deliveries(Utc::now(), lease, CLAIM)
                    .await
                {
                    Ok(d) => d,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not look for due deliveries");
                        continue;
                    }
                };
                for d in due {
                    if let Err(e) = service.attempt(&client, d).await {
                        tracing::warn!(error = %e, "could not record a delivery attempt");
                    }
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_and_body() {
        // Computed apart (Python's hmac module) for key "Jefe" and "0.what do ya want for nothing?".
        assert_eq!(
            signature("Jefe", 0, b"what do ya want for nothing?"),
            "t=0,v1=37f471929915ccd2cbbe79feb84ffcff4f2bb25e15fc41c2506687331ae179cc"
        );
    }

    #[test]
    fn retries_back_off_to_an_hour() {
        let base = Duration::from_secs(10);
        assert_eq!(backoff(base, 0), Duration::from_secs(10));
        assert_eq!(backoff(base, 3), Duration::from_secs(80));
        assert_eq!(backoff(base, 30), MAX_DELAY);
    }
}
