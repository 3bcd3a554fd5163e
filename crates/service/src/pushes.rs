//! Pushes to banks (双向推送, city → banks): a bank subscribes a URL to events; each event is
//! delivered at least once, signed with HMAC-SHA256 under the subscription's secret, retried
//! with exponential backoff while the receiver fails, every attempt logged.
//!
//! Events: `batch.published` (written in the publishing transaction, to every bank);
//! `match.gained` / `match.lost` (a listed enterprise newly eligible, or no longer, for one of
//! the bank's products), drawn from the change feed as the live index applies it, once for the
//! feed whichever server draws first.
//!
//! Receivers are checked by [`crate::receivers`] (no delivery reaches an inner network the
//! operator has not named); deliveries run side by side, one at a time per subscription and
//! a few at a time per bank, so that one bank's slow receivers never hold another bank's.

use crate::error::{FieldError, Result, ServiceError};
use crate::live_index::Moved;
use crate::receivers::{Receivers, Refused};
use crate::{Context, Service};
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use pledge_domain::code;
use pledge_store::{
    DeliveryRecord, DueDelivery, EVENT_MATCH_GAINED, EVENT_MATCH_LOST, EVENTS, EventRecord,
    NewEvent, PendingDelivery, WebhookRecord,
};
use std::time::Duration;

/// How deliveries are made.
#[derive(Debug, Clone)]
pub struct Pushes {
    /// Accept `http://` receivers (for a closed network or tests); otherwise `https://` only.
    pub allow_http: bool,
    /// Inner networks (loopback, private, …) receivers may be in all the same: a closed bank
    /// network an operator names. None by default.
    pub allowed_networks: Vec<ipnet::IpNet>,
    /// Where receivers' host names are looked up (the system's, unless a fixed table is given).
    pub names: crate::receivers::Names,
    /// Whether this server delivers at all (off: subscriptions and events are kept, and
    /// another server, or this one restarted, delivers them).
    pub deliver: bool,
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
            allowed_networks: Vec::new(),
            names: crate::receivers::Names::System,
            deliver: true,
            poll: Duration::from_secs(1),
            retry_base: Duration::from_secs(10),
            max_attempts: 12,
            timeout: Duration::from_secs(10),
        }
    }
}

/// The longest URL accepted.
const MAX_URL: usize = 2_000;
/// The longest receiver CA (PEM) accepted, in bytes.
pub const MAX_CA: usize = 16 * 1024;
/// Due deliveries looked at per poll.
const LOOK_AT: u64 = 500;
/// Deliveries in flight at once on one server.
const IN_FLIGHT: usize = 32;
/// Deliveries in flight at once to one bank's receivers.
const PER_BANK: usize = 4;
/// The longest delay between two attempts.
const MAX_DELAY: Duration = Duration::from_secs(3_600);

/// The signature header's value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
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

impl Pushes {
    /// The rule receivers are checked by.
    pub fn receivers(&self) -> Receivers {
        Receivers {
            allow_http: self.allow_http,
            allowed: self.allowed_networks.clone().into(),
            names: self.names.clone(),
        }
    }
}

/// What a refused receiver URL is told.
fn refused_url(why: Refused, allow_http: bool) -> ServiceError {
    let (code, message) = match why {
        Refused::Scheme | Refused::NoHost => (
            code::FORMAT,
            if allow_http {
                format!("须为http(s)://地址，最长{MAX_URL}字符 / an http(s) URL of at most {MAX_URL} characters")
            } else {
                format!("须为https://地址，最长{MAX_URL}字符 / an https URL of at most {MAX_URL} characters")
            },
        ),
        Refused::Userinfo => (
            code::FORMAT,
            "地址中不得含用户名或密码 / no user name or password in the URL".into(),
        ),
        Refused::Control => (
            code::FORMAT,
            "地址中不得含控制字符、空格或不可见字符 / no control, space or invisible characters in the URL".into(),
        ),
        Refused::Inner(_) => (
            code::INNER_ADDRESS,
            "接收地址不得指向内部网络（本机、内网、链路本地、组播等） / the receiver may not be in an inner network (this host, private, link-local, multicast …)".into(),
        ),
    };
    invalid("url", code, message)
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
        ca_certificate: Option<&str>,
    ) -> Result<WebhookRecord> {
        let bank = cx.reporting_bank()?;
        let url = url.trim();
        if url.len() > MAX_URL {
            return Err(refused_url(Refused::Scheme, self.pushes.allow_http));
        }
        let parsed = self
            .pushes
            .receivers()
            .check_url(url)
            .map_err(|why| refused_url(why, self.pushes.allow_http))?;
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
        let ca_certificate = ca_certificate.map(str::trim).filter(|c| !c.is_empty());
        if let Some(pem) = ca_certificate {
            if pem.len() > MAX_CA || crate::receivers::receiver_ca(pem).is_none() {
                return Err(invalid(
                    "ca_certificate",
                    code::FORMAT,
                    format!(
                        "须为PEM格式的1至{n}张证书，最长{MAX_CA}字节 / one to {n} certificates in PEM, at most {MAX_CA} bytes",
                        n = crate::receivers::CA_CERTIFICATES
                    ),
                ));
            }
            if parsed.scheme() != "https" {
                return Err(invalid(
                    "ca_certificate",
                    code::NOT_ALLOWED,
                    "仅https://接收地址可指定根证书 / only an https:// receiver has a CA".into(),
                ));
            }
        }
        Ok(self
            .store
            .create_webhook(&cx.actor, &bank, url, &events, secret, ca_certificate)
            .await?)
    }

    /// The subscriptions the caller may see: a bank its own, the office all.
    pub async fn webhooks(&self, cx: &Context) -> Result<Vec<WebhookRecord>> {
        let own = cx.webhook_scope()?;
        Ok(self.store.webhooks(own.as_ref()).await?)
    }

    /// One subscription the caller may see (another bank's is 404).
    pub async fn webhook(&self, cx: &Context, id: i64) -> Result<WebhookRecord> {
        let unseen = || ServiceError::not_found(format!("没有订阅{id} / no webhook {id}"));
        let own = cx.webhook_scope()?;
        match self.store.webhook(id).await? {
            Some(w) if own.as_ref().is_none_or(|b| *b == w.bank) => Ok(w),
            _ => Err(unseen()),
        }
    }

    /// One live subscription the caller may see: one ended is 404 as well, as are its
    /// deliveries through the API (the console still shows an ended one's history).
    pub async fn live_webhook(&self, cx: &Context, id: i64) -> Result<WebhookRecord> {
        let w = self.webhook(cx, id).await?;
        if w.removed_at.is_some() {
            return Err(ServiceError::not_found(format!(
                "订阅{id}已取消 / webhook {id} was removed"
            )));
        }
        Ok(w)
    }

    /// Ends the bank's own subscription (again: as it stands).
    pub async fn remove_webhook(&self, cx: &Context, id: i64) -> Result<WebhookRecord> {
        cx.reporting_bank()?;
        self.webhook(cx, id).await?;
        Ok(self.store.remove_webhook(&cx.actor, id).await?)
    }

    /// The latest deliveries to a subscription the caller may see, ended or not (the
    /// console shows an ended one's history).
    pub async fn deliveries(
        &self,
        cx: &Context,
        id: i64,
        limit: u64,
    ) -> Result<Vec<DeliveryRecord>> {
        self.webhook(cx, id).await?;
        Ok(self.store.deliveries(id, limit).await?)
    }

    /// The latest deliveries to a live subscription the caller may see (one ended is 404,
    /// as it is itself).
    pub async fn live_deliveries(
        &self,
        cx: &Context,
        id: i64,
        limit: u64,
    ) -> Result<Vec<DeliveryRecord>> {
        self.live_webhook(cx, id).await?;
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

    /// Makes one attempt of a claimed delivery at `now` and records it. The stored URL is
    /// checked again first: an IP literal never reaches the client's resolver, and the
    /// networks an operator allows may have narrowed since it was subscribed.
    async fn attempt(&self, clients: &Clients, d: DueDelivery, now: DateTime<Utc>) -> Result<()> {
        if let Err(why) = self.pushes.receivers().check_url(&d.url) {
            tracing::warn!(delivery = d.id, ?why, "receiver refused before connecting");
            let error = Some("无法送达 / not delivered".to_owned());
            return Ok(self
                .store
                .record_attempt(d.id, now, None, error, None)
                .await?);
        }
        let body = serde_json::to_vec(&serde_json::json!({
            "id": d.event.id,
            "event": d.event.event,
            "occurred_at": d.event.created_at,
            "data": d.event.payload,
        }))
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let client = match clients.for_receiver(d.webhook_id, d.ca_certificate.as_deref()) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(delivery = d.id, error = %e, "no client for the receiver's CA");
                let error = Some("无法送达 / not delivered".to_owned());
                return Ok(self
                    .store
                    .record_attempt(d.id, now, None, error, None)
                    .await?);
            }
        };
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
            // What went wrong on the way is for the operator's log, never for the bank: it
            // would tell what answers at an address and what does not.
            Err(e) => {
                tracing::warn!(delivery = d.id, error = %e, "delivery not made");
                (None, Some("无法送达 / not delivered".to_owned()))
            }
        };
        let attempts = d.attempts + 1;
        let retry_at = (error.is_some() && attempts < self.pushes.max_attempts).then(|| {
            now + chrono::Duration::from_std(backoff(self.pushes.retry_base, d.attempts))
                .unwrap_or(chrono::Duration::hours(1))
        });
        self.store
            .record_attempt(d.id, now, status, error, retry_at)
            .await?;
        Ok(())
    }

    /// Delivers what is due, every poll interval, for as long as the server runs: each
    /// due delivery is claimed and tried in a task of its own, at most one at a time per
    /// subscription, [`PER_BANK`] per bank and [`IN_FLIGHT`] in all, the banks taken in turn.
    pub fn spawn_deliveries(&self) -> tokio::task::JoinHandle<()> {
        let service = self.clone();
        tokio::spawn(async move {
            match service.store.seal_webhook_secrets().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(subscriptions = n, "webhook secrets sealed"),
                Err(e) => tracing::warn!(error = %e, "webhook secrets could not be sealed"),
            }
            let client = match Clients::new(&service.pushes) {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(error = %e, "no HTTP client: nothing will be delivered");
                    return;
                }
            };
            let lease = chrono::Duration::from_std(service.pushes.timeout * 3)
                .unwrap_or(chrono::Duration::minutes(1));
            let busy = std::sync::Arc::new(std::sync::Mutex::new(InFlight::default()));
            let mut tick = tokio::time::interval(service.pushes.poll);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let pending = match service
                    .store
                    .pending_deliveries(service.clock.now(), LOOK_AT)
                    .await
                {
                    Ok(d) => d,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not look for due deliveries");
                        continue;
                    }
                };
                let chosen = lock(&busy).choose(take_turns(pending));
                for p in chosen {
                    let claimed = service
                        .store
                        .claim_delivery(p.id, service.clock.now(), lease)
                        .await;
                    let d = match claimed {
                        Ok(Some(d)) => d,
                        Ok(None) => {
                            lock(&busy).done(&p);
                            continue;
                        }
                        Err(e) => {
                            lock(&busy).done(&p);
                            tracing::warn!(error = %e, "could not claim a delivery");
                            continue;
                        }
                    };
                    let (service, clients, busy) = (service.clone(), client.clone(), busy.clone());
                    let now = service.clock.now();
                    tokio::spawn(async move {
                        if let Err(e) = service.attempt(&clients, d, now).await {
                            tracing::warn!(error = %e, "could not record a delivery attempt");
                        }
                        lock(&busy).done(&p);
                    });
                }
            }
        })
    }
}

/// The delivery clients: one for receivers the usual roots vouch for, and one for each
/// receiver with its own certificate authority, which trusts that CA only (built on first use,
/// again when the CA changes).
#[derive(Debug, Clone)]
struct Clients {
    pushes: Pushes,
    plain: reqwest::Client,
    own:
        std::sync::Arc<std::sync::Mutex<std::collections::HashMap<i64, (String, reqwest::Client)>>>,
}

/// Receivers' own clients kept at most; beyond, they are built again as needed.
const OWN_CLIENTS: usize = 1_000;

impl Clients {
    fn new(pushes: &Pushes) -> reqwest::Result<Self> {
        Ok(Self {
            pushes: pushes.clone(),
            plain: Self::builder(pushes).build()?,
            own: Default::default(),
        })
    }

    /// Every delivery client's settings: timeouts, no redirect, no proxy, the guarded resolver.
    fn builder(pushes: &Pushes) -> reqwest::ClientBuilder {
        reqwest::Client::builder()
            .timeout(pushes.timeout)
            .connect_timeout(pushes.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(pushes.receivers().resolver())
    }

    /// The client for subscription `webhook`, whose receiver's own CA is `ca` (if any).
    fn for_receiver(&self, webhook: i64, ca: Option<&str>) -> Result<reqwest::Client> {
        let Some(pem) = ca else {
            return Ok(self.plain.clone());
        };
        let mut own = lock(&self.own);
        if let Some((kept, client)) = own.get(&webhook)
            && kept == pem
        {
            return Ok(client.clone());
        }
        let certificates = crate::receivers::receiver_ca(pem)
            .ok_or_else(|| ServiceError::Internal("a stored CA does not parse".into()))?;
        let client = crate::receivers::trusting(Self::builder(&self.pushes), &certificates)
            .build()
            .map_err(|e| ServiceError::Internal(format!("client: {e}")))?;
        if own.len() >= OWN_CLIENTS {
            own.clear();
        }
        own.insert(webhook, (pem.to_owned(), client.clone()));
        Ok(client)
    }
}

/// The deliveries in flight on this server, by subscription and bank.
#[derive(Debug, Default)]
struct InFlight {
    hooks: std::collections::HashSet<i64>,
    banks: std::collections::HashMap<i64, usize>,
    total: usize,
}

impl InFlight {
    /// Of `pending` (in the order to consider), those that may start now, noted as started.
    fn choose(&mut self, pending: Vec<PendingDelivery>) -> Vec<PendingDelivery> {
        let mut chosen = Vec::new();
        for p in pending {
            if self.total >= IN_FLIGHT {
                break;
            }
            let bank = self.banks.entry(p.bank_id).or_default();
            if *bank >= PER_BANK || self.hooks.contains(&p.webhook_id) {
                continue;
            }
            *bank += 1;
            self.total += 1;
            self.hooks.insert(p.webhook_id);
            chosen.push(p);
        }
        chosen
    }

    /// Notes a chosen delivery finished (or not started after all).
    fn done(&mut self, p: &PendingDelivery) {
        self.hooks.remove(&p.webhook_id);
        if let Some(n) = self.banks.get_mut(&p.bank_id) {
            *n = n.saturating_sub(1);
        }
        self.total = self.total.saturating_sub(1);
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Due deliveries (oldest first) reordered so that banks take turns: every bank's oldest,
/// then every bank's second, and so on.
fn take_turns(pending: Vec<PendingDelivery>) -> Vec<PendingDelivery> {
    let mut by_bank: Vec<(i64, std::collections::VecDeque<PendingDelivery>)> = Vec::new();
    for p in pending {
        match by_bank.iter_mut().find(|(b, _)| *b == p.bank_id) {
            Some((_, q)) => q.push_back(p),
            None => by_bank.push((p.bank_id, std::collections::VecDeque::from([p]))),
        }
    }
    let mut out = Vec::new();
    while by_bank.iter().any(|(_, q)| !q.is_empty()) {
        for (_, q) in &mut by_bank {
            if let Some(p) = q.pop_front() {
                out.push(p);
            }
        }
    }
    out
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

    fn pending(id: i64, webhook_id: i64, bank_id: i64) -> PendingDelivery {
        PendingDelivery {
            id,
            webhook_id,
            bank_id,
        }
    }

    #[test]
    fn banks_take_turns_and_one_bank_never_takes_every_slot() {
        // Bank 1 has 40 due deliveries to ten receivers, bank 2 one, due last.
        let mut due: Vec<PendingDelivery> = (0..40).map(|i| pending(i, 100 + i % 10, 1)).collect();
        due.push(pending(99, 200, 2));
        let order = take_turns(due);
        assert_eq!(order[1].bank_id, 2, "bank 2's one is tried second");
        let mut busy = InFlight::default();
        let chosen = busy.choose(order.clone());
        assert!(chosen.iter().any(|p| p.bank_id == 2));
        assert_eq!(chosen.iter().filter(|p| p.bank_id == 1).count(), PER_BANK);
        // One at a time per receiver: nothing more until one finishes.
        assert!(busy.choose(order.clone()).is_empty());
        busy.done(&chosen[0]);
        assert_eq!(busy.choose(order).len(), 1);
    }

    #[test]
    fn retries_back_off_to_an_hour() {
        let base = Duration::from_secs(10);
        assert_eq!(backoff(base, 0), Duration::from_secs(10));
        assert_eq!(backoff(base, 3), Duration::from_secs(80));
        assert_eq!(backoff(base, 30), MAX_DELAY);
    }
}
