//! The use cases of pledge, one place for each: who may do what (`policy`), the registry, the
//! white list, loan products, matches, ledgers in and out, people and tokens, the loaders of
//! demo and generated data. The faces (`pledge-http`, the `pledge` command line) parse input,
//! call one use case with the caller's [`Context`], and render its answer.
//!
//! The clock is the application's [`Clock`], given when the application is built: read once,
//! at the edge, into the [`Context`] of a request or command, and by the background tasks.

mod applicants;
mod audit;
pub mod backups;
pub mod bench;
mod clock;
mod consents;
mod error;
mod import_jobs;
pub mod ledgers;
mod live_index;
pub mod loaders;
mod matches;
mod outcomes;
mod people;
mod policy;
pub use policy::May;
mod products;
mod pushes;
pub mod receivers;
mod registry;
mod rounds;
pub mod sign_in;
mod snapshot;
mod stats;
mod whitelist;
pub use whitelist::{CriteriaAsk, MANY, decision, transition_asked};

pub use applicants::{Checked, Listed, MAX_APPLICANTS};
pub use clock::Clock;
pub use error::{FieldError, Result, ServiceError};
pub use import_jobs::{ImportJob, JobFailure, JobState};
pub use live_index::{Live, LiveIndex};
pub use matches::{MatchCursor, MatchFilter, MatchListing, NearMisses, Shown};
pub use outcomes::{MAX_OUTCOME_ROWS, OutcomeNames, StepAsk};
pub use pledge_matching::SortBy;
pub use products::{PledgeRatesAsk, ProductAsk};
pub use pushes::{Pushes, signature};
pub use registry::EnterpriseSeen;
pub use snapshot::Snapshots;
pub use stats::{Dimension, Figures, KeyPart, Stats, StatsAsk, StatsRow};

// The records the use cases answer with, and the values they take.
pub use pledge_domain::{Actor, Principal, Role, business_day};
pub use pledge_store::{
    AppraisalRecord, AuditFilter, AuditRecord, BankRecord, BatchRecord, BulkCounts, ConsentRecord,
    DeliveryRecord, EVENTS, EnterpriseFilter, EnterpriseRecord, EntryFilter, EntryRecord,
    EventRecord, ExportRow, ImportMode, Lapse, Lapsing, NewConsent, NewOutcome, NewRound,
    OutcomeFilter, OutcomeRecord, Page, ParkRecord, PatentRecord, PersonRecord, ProductRecord,
    RescreenReport, RescreenReversal, RoundRecord, TokenRecord, TrademarkRecord, TransitionRequest,
    Upserted, Versioned, WebhookRecord,
};

use chrono::{DateTime, NaiveDate, Utc};
use pledge_store::Store;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Who is asking, and when: stamped once at the edge of every request or command.
#[derive(Debug, Clone)]
pub struct Context {
    /// The caller.
    pub principal: Principal,
    /// What the audit log records for the caller's changes, with the instant and business day.
    pub actor: Actor,
}

impl Context {
    /// A request by `principal` at `now`.
    pub fn new(principal: Principal, now: DateTime<Utc>) -> Self {
        let actor = principal.actor(now);
        Self { principal, actor }
    }

    /// The command line, acting for the city IP office.
    pub fn command_line(what: &str, now: DateTime<Utc>) -> Self {
        Self::for_actor(Actor::cli(what, now))
    }

    /// The command line on a given business day (loaders and tests that fix the day).
    pub fn command_line_on(what: &str, today: NaiveDate) -> Self {
        Self::for_actor(Actor::cli_on(what, today))
    }

    fn for_actor(actor: Actor) -> Self {
        Self {
            principal: Principal {
                token_id: None,
                person_id: 0,
                login: actor.holder.clone(),
                person_name: actor.label.clone(),
                name: actor.label.clone(),
                role: Role::Office,
                park: None,
                bank: None,
            },
            actor,
        }
    }

    /// The business day (China, UTC+8) dates default to.
    pub fn today(&self) -> NaiveDate {
        self.actor.today
    }

    /// The instant of the request.
    pub fn now(&self) -> DateTime<Utc> {
        self.actor.now
    }
}

/// What a metrics scrape reports of the service.
#[derive(Debug, Clone)]
pub struct Gauges {
    /// Commits the database holds that the index has not applied.
    pub index_lag_changes: i64,
    /// How long the index has been behind (0 when it is not).
    pub index_lag_seconds: f64,
    pub index_enterprises: usize,
    /// Import jobs by state.
    pub import_jobs: Vec<(String, i64)>,
    /// Database connections open, and idle.
    pub pool_size: u32,
    pub pool_idle: usize,
}

/// Principals of recently seen tokens, by the tokens' keyed hash; dropped whenever a token
/// changes anywhere (the change feed bumps the epoch).
#[derive(Debug, Default)]
struct Principals {
    epoch: i64,
    by_hash: HashMap<String, Principal>,
}

/// A name for this process that no other shares: its id and a random number.
fn runner_name() -> Arc<str> {
    use std::hash::{BuildHasher, Hasher};
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    format!("{}-{random:016x}", std::process::id()).into()
}

/// The tokens remembered at most; beyond, the cache starts afresh.
const PRINCIPALS_KEPT: usize = 100_000;

/// Everything the use cases share: the store, the live index, the principal cache.
#[derive(Debug, Clone)]
pub struct Service {
    store: Store,
    live: LiveIndex,
    principals: Arc<RwLock<Principals>>,
    imports: Arc<ledgers::Intake>,
    /// This process, as the import jobs it runs name it.
    runner: Arc<str>,
    /// How events are delivered to banks.
    pushes: Arc<Pushes>,
    /// What "now" is for the background tasks.
    clock: Clock,
}

impl Service {
    /// Connects to the database at `url` (migrating it when `migrate`) and builds the index as
    /// of the clock's day, or reads it from its snapshot file when there is one that may be
    /// used. The service and its background tasks read `clock`.
    pub async fn open(
        url: &str,
        token_key: Option<&str>,
        migrate: bool,
        clock: Clock,
        snapshots: Option<Snapshots>,
    ) -> Result<Self> {
        let store = Store::connect(url, token_key).await?;
        if migrate {
            store.migrate(clock.now()).await?;
        }
        match snapshots {
            None => Self::on(store, clock).await,
            Some(snapshots) => Self::on_kept(store, snapshots, clock).await,
        }
    }

    /// The service over an open store, its index read from the snapshot file when it may be
    /// used (built and written otherwise) as of the clock's day.
    pub async fn on_kept(store: Store, snapshots: Snapshots, clock: Clock) -> Result<Self> {
        let (live, _) = LiveIndex::load_kept(&store, clock.today(), snapshots, clock.now()).await?;
        Ok(Self::over(store, live, clock))
    }

    fn over(store: Store, live: LiveIndex, clock: Clock) -> Self {
        Self {
            live,
            store,
            principals: Default::default(),
            imports: Default::default(),
            runner: runner_name(),
            pushes: Default::default(),
            clock,
        }
    }

    /// Connects to the database at `url` without building the index: for commands that only
    /// write (imports, loaders, tokens).
    pub async fn open_unindexed(
        url: &str,
        token_key: Option<&str>,
        migrate: bool,
        clock: Clock,
    ) -> Result<Self> {
        let store = Store::connect(url, token_key).await?;
        if migrate {
            store.migrate(clock.now()).await?;
        }
        Ok(Self::open_unindexed_on(store, clock))
    }

    /// The service over an open store, without an index (for commands that only write,
    /// and for reading what the store keeps, such as import jobs).
    pub fn open_unindexed_on(store: Store, clock: Clock) -> Self {
        Self::over(store, LiveIndex::empty(), clock)
    }

    /// The service over an open store, with the index built as of the clock's day.
    pub async fn on(store: Store, clock: Clock) -> Result<Self> {
        let live = LiveIndex::load(&store, clock.today()).await?;
        Ok(Self::over(store, live, clock))
    }

    /// The same service reading ledgers within `limits` (the default suits a server).
    pub fn with_import_limits(mut self, limits: ledgers::Limits) -> Self {
        self.imports = Arc::new(ledgers::Intake::new(limits));
        self
    }

    /// The same service delivering events as `pushes` says.
    pub fn with_pushes(mut self, pushes: Pushes) -> Self {
        self.pushes = Arc::new(pushes);
        self
    }

    /// The application's clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The store the service writes to, for tests that check or break what it holds.
    #[cfg(feature = "testing")]
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The live index, for reading.
    pub fn live(&self) -> &LiveIndex {
        &self.live
    }

    /// Whether the database is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.store.is_postgres()
    }

    /// What a metrics scrape reports besides the requests.
    pub async fn gauges(&self) -> Result<Gauges> {
        let committed = self.store.last_commit().await?;
        let lag = (committed - self.live.applied_commit()).max(0);
        let (pool_size, pool_idle) = self.store.pool();
        let index_enterprises = self.live.read().index.enterprises();
        let import_jobs = self.store.import_jobs_by_state().await?;
        Ok(Gauges {
            index_lag_changes: lag,
            index_lag_seconds: if lag > 0 {
                self.live.behind_for().as_secs_f64()
            } else {
                0.0
            },
            index_enterprises,
            import_jobs,
            pool_size,
            pool_idle,
        })
    }

    /// Whether the database answers.
    pub async fn ready(&self) -> Result<()> {
        Ok(self.store.ping().await?)
    }

    /// Applies this process's committed writes to the index. A failure leaves the index
    /// behind, to be caught up by the next write or the follower; it is logged, not answered.
    pub(crate) async fn committed(&self) {
        match self.live.catch_up(&self.store).await {
            Ok(moved) => self.draw_events(moved, self.clock.now()).await,
            Err(e) => tracing::error!(error = %e, "the matching index could not follow the store"),
        }
    }

    /// Awaits a write of the store and applies it to the index: what every writing use case
    /// ends with.
    pub(crate) async fn written<T>(
        &self,
        write: impl std::future::Future<Output = std::result::Result<T, pledge_store::StoreError>>,
    ) -> Result<T> {
        let done = write.await?;
        self.committed().await;
        Ok(done)
    }

    /// The caller holding `token` at `now`.
    pub async fn authenticate(&self, token: &str, now: DateTime<Utc>) -> Result<Context> {
        let hash = self
            .store
            .token_hash(token)
            .await?
            .ok_or(ServiceError::Unauthorized)?;
        let epoch = self.live.tokens_epoch();
        {
            let cache = self.principals.read().unwrap_or_else(|e| e.into_inner());
            if cache.epoch == epoch
                && let Some(p) = cache.by_hash.get(&hash)
            {
                return Ok(Context::new(p.clone(), now));
            }
        }
        let principal = self
            .store
            .authenticate_hash(&hash)
            .await?
            .ok_or(ServiceError::Unauthorized)?;
        let mut cache = self.principals.write().unwrap_or_else(|e| e.into_inner());
        if cache.epoch != epoch || cache.by_hash.len() >= PRINCIPALS_KEPT {
            cache.by_hash.clear();
            cache.epoch = epoch;
        }
        // Only a principal read under the current epoch is kept: one read before a token
        // change was applied could be stale.
        if self.live.tokens_epoch() == epoch {
            cache.by_hash.insert(hash, principal.clone());
        }
        Ok(Context::new(principal, now))
    }

    /// Follows other processes' commits: at once when PostgreSQL announces one (LISTEN/NOTIFY),
    /// and every `every` in any case (on SQLite, the only way): one small read, and the change
    /// feed when it moved. Runs until the process ends.
    pub fn spawn_follower(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let service = self.clone();
        tokio::spawn(async move {
            let mut notices = match service.store.commit_notices().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "no commit announcements: following by polling");
                    None
                }
            };
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                let woken = match notices.as_mut() {
                    Some(n) => tokio::select! {
                        r = n.next() => r,
                        _ = tick.tick() => Ok(()),
                    },
                    None => {
                        tick.tick().await;
                        Ok(())
                    }
                };
                if let Err(e) = woken {
                    tracing::warn!(error = %e, "commit announcements lost: following by polling");
                    notices = None;
                }
                match service.live.follow(&service.store).await {
                    Ok(moved) => service.draw_events(moved, service.clock.now()).await,
                    Err(e) => tracing::warn!(error = %e, "could not follow the store's commits"),
                }
            }
        })
    }

    /// Writes the index's snapshot every so often while it moves (nothing without a snapshot
    /// file).
    pub fn spawn_snapshots(&self) -> Option<tokio::task::JoinHandle<()>> {
        let every = self.live.snapshot_every()?;
        let service = self.clone();
        Some(tokio::spawn(async move {
            let mut tick = tokio::time::interval(every.max(Duration::from_secs(1)));
            tick.tick().await;
            loop {
                tick.tick().await;
                service.live.write_snapshot(service.clock.now()).await;
            }
        }))
    }

    /// Keeps the index on the clock's business day: checks every minute, and at once when the
    /// clock is stepped, and rebuilds it in the background when the day has turned (UTC+8).
    pub fn spawn_day_rollover(&self) -> tokio::task::JoinHandle<()> {
        self.spawn_on_clock(Duration::from_secs(60), |service| async move {
            let today = service.clock.today();
            match service.live.roll_over(&service.store, today).await {
                Ok(true) => {
                    tracing::info!(as_of = %today, "matching index rebuilt for the new day");
                    service.live.write_snapshot(service.clock.now()).await;
                }
                Ok(false) => {}
                Err(e) => tracing::error!(error = %e, "the matching index could not roll over"),
            }
        })
    }

    /// Runs `work` at once, then every `period` and whenever the clock is stepped: the
    /// background tasks that act on what the clock says (the day's turn, silent imports).
    pub(crate) fn spawn_on_clock<W, F>(
        &self,
        period: Duration,
        work: W,
    ) -> tokio::task::JoinHandle<()>
    where
        W: Fn(Service) -> F + Send + 'static,
        F: std::future::Future<Output = ()> + Send,
    {
        let service = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.tick().await;
            loop {
                // Armed before the clock is read, so that a step taken meanwhile is not missed.
                let stepped = service.clock.stepped();
                tokio::pin!(stepped);
                stepped.as_mut().enable();
                work(service.clone()).await;
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = &mut stepped => {}
                }
            }
        })
    }
}

/// For tests of the faces, which check what a command left in the database: throw-away
/// databases, the store and the ledger reader.
#[cfg(feature = "testing")]
pub mod testing {
    pub use pledge_ledger as ledger;
    pub use pledge_store as store;
    pub use pledge_store::testing::{Backend, TestDatabase};
}
