//! The matching index the service answers from, and how it follows the store. Built at start
//! (from the store in parts of enterprise ids, or read from its snapshot file and caught up);
//! then every change committed, by this process or another, is applied in commit order from
//! the change feed: at once after a write of this process, and within a poll interval for
//! other processes (the follower reads one counter row per interval, and the feed only when it
//! moved). A read never touches the database.
//!
//! Beside the engine's index it keeps what match pages show and access needs: every product
//! with its bank and status, and every enterprise's name.

use crate::snapshot::{self, Snapshots};
use chrono::{DateTime, Utc};
use pledge_domain::{ProductStatus, Uscc};
use pledge_matching::{Index, IndexBuilder, PairChange, Product};
use pledge_store::{FeedPosition, ProductRecord, Store, StoreError};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard};
use tokio::sync::Mutex;

/// The audit records read per round while catching up.
const ROUND: u64 = 5_000;

/// Enterprise ids per part when the index is built from PostgreSQL.
const PART: i64 = 50_000;

/// Enterprise ids per part on SQLite, whose driver hands every row over from the thread of its
/// connection: what a part decodes is freed on another thread, and the connection's thread,
/// idle once the index is built, never takes that memory back. Small parts keep it to a part.
const SQLITE_PART: i64 = 2_000;

/// What reads are answered from.
#[derive(Debug)]
pub struct Live {
    /// The engine's index.
    pub index: Index,
    /// Every product, withdrawn ones included, by id.
    pub products: HashMap<i64, ProductRecord>,
    /// Every enterprise's name.
    pub names: HashMap<Uscc, Box<str>>,
}

impl Live {
    /// The name of an enterprise.
    pub fn name(&self, uscc: &Uscc) -> Option<&str> {
        self.names.get(uscc).map(|n| &**n)
    }
}

/// Pairs that gained or lost eligibility as the index applied the change feed up to `upto`.
#[derive(Debug, Clone)]
pub struct Moved {
    pub upto: FeedPosition,
    pub pairs: Vec<PairChange>,
}

/// The shared index and the position of the change feed applied to it.
#[derive(Debug, Clone)]
pub struct LiveIndex {
    live: Arc<RwLock<Live>>,
    applied: Arc<Mutex<FeedPosition>>,
    /// The commit number applied, for the follower's cheap comparison.
    commit: Arc<AtomicI64>,
    /// Bumped whenever a token changed: principals cached before are no longer trusted.
    tokens_epoch: Arc<AtomicI64>,
    /// False for a service that answers no reads (a command that only writes).
    following: bool,
    /// Since when the follower has seen the database ahead of the index, while it is.
    behind_since: Arc<std::sync::Mutex<Option<std::time::Instant>>>,
    /// Where the index is kept on disk, if anywhere.
    file: Option<Arc<KeptFile>>,
    /// Woken whenever the index was rebuilt for a new day.
    rolled_over: Arc<tokio::sync::Notify>,
}

/// The snapshot file of an index and what was last written to it.
#[derive(Debug)]
struct KeptFile {
    snapshots: Snapshots,
    /// The database's identity, which the file names.
    database: String,
    /// The commit the file covers (-1: none written).
    written: AtomicI64,
}

fn engine_product(p: &ProductRecord) -> Option<Product> {
    (p.status != ProductStatus::Withdrawn).then(|| Product {
        id: p.id,
        published: p.status == ProductStatus::Published,
        rules: p.rules.clone(),
    })
}

async fn build(
    store: &Store,
    as_of: chrono::NaiveDate,
) -> Result<(Live, FeedPosition), StoreError> {
    let started = std::time::Instant::now();
    // Read the position first: what commits while loading is applied again, harmlessly.
    let last = store.last_change().await?;
    let products = store.products(None).await?;
    let mut builder = IndexBuilder::new(as_of);
    let mut names = HashMap::new();
    let part = if store.is_postgres() {
        PART
    } else {
        SQLITE_PART
    };
    if let Some((lo, hi)) = store.enterprise_id_span().await? {
        // Two parts in flight: the database produces one while the other is decoded and
        // indexed; no more than two parts' holdings are held at once.
        let read = |from: i64| {
            let store = store.clone();
            tokio::spawn(async move { store.holdings_between(from, from + part).await })
        };
        let mut from = lo;
        let mut pending = std::collections::VecDeque::new();
        while pending.len() < 2 && from <= hi {
            pending.push_back(read(from));
            from += part;
        }
        while let Some(reading) = pending.pop_front() {
            let holdings = reading
                .await
                .map_err(|e| StoreError::Corrupt(format!("reading holdings: {e}")))??;
            if from <= hi {
                pending.push_back(read(from));
                from += part;
            }
            for h in &holdings {
                builder.add(h);
                names.insert(h.enterprise.uscc, Box::from(h.enterprise.name.as_str()));
            }
        }
    }
    let engine: Vec<Product> = products.iter().filter_map(engine_product).collect();
    let index = tokio::task::spawn_blocking(move || builder.build(engine))
        .await
        .map_err(|e| StoreError::Corrupt(format!("building the index: {e}")))?;
    tracing::info!(
        enterprises = index.enterprises(),
        bytes = index.memory_bytes(),
        ms = started.elapsed().as_millis() as u64,
        "matching index built"
    );
    let products = products.into_iter().map(|p| (p.id, p)).collect();
    Ok((
        Live {
            index,
            products,
            names,
        },
        last,
    ))
}

impl LiveIndex {
    /// Builds the index of everything in `store` as of `as_of`.
    pub async fn load(store: &Store, as_of: chrono::NaiveDate) -> Result<Self, StoreError> {
        let (live, last) = build(store, as_of).await?;
        Ok(Self::over(live, last, None))
    }

    fn over(live: Live, last: FeedPosition, file: Option<Arc<KeptFile>>) -> Self {
        Self {
            live: Arc::new(RwLock::new(live)),
            commit: Arc::new(AtomicI64::new(last.commit)),
            applied: Arc::new(Mutex::new(last)),
            tokens_epoch: Arc::new(AtomicI64::new(0)),
            following: true,
            behind_since: Default::default(),
            rolled_over: Default::default(),
            file,
        }
    }

    /// The index as of `as_of` from the snapshot file, brought up to date from the change
    /// feed; built from `store` when the file cannot be used, and then written (in the
    /// background). Answers whether the file was used.
    pub async fn load_kept(
        store: &Store,
        as_of: chrono::NaiveDate,
        snapshots: Snapshots,
        now: DateTime<Utc>,
    ) -> Result<(Self, bool), StoreError> {
        let started = std::time::Instant::now();
        let database = store.identity().await?;
        let committed = store.last_commit().await?;
        let (path, db) = (snapshots.path.clone(), database.clone());
        let read = tokio::task::spawn_blocking(move || {
            let expected = snapshot::Expected {
                as_of,
                database: &db,
                committed,
                now: now.timestamp(),
            };
            snapshot::read(&path, &expected)
        })
        .await
        .map_err(|e| StoreError::Corrupt(format!("reading the index snapshot: {e}")))?;
        let file = Arc::new(KeptFile {
            snapshots,
            database,
            written: AtomicI64::new(-1),
        });
        match read {
            Ok((index, names, at)) => {
                let read_ms = started.elapsed().as_millis() as u64;
                file.written.store(at.commit, Ordering::Release);
                let products = store.products(None).await?;
                let live = Live {
                    index,
                    products: products.into_iter().map(|p| (p.id, p)).collect(),
                    names,
                };
                let this = Self::over(live, at, Some(file));
                this.catch_up(store).await?;
                let live = this.read();
                tracing::info!(
                    enterprises = live.index.enterprises(),
                    bytes = live.index.memory_bytes(),
                    read_ms,
                    ms = started.elapsed().as_millis() as u64,
                    from = at.commit,
                    to = this.applied_commit(),
                    "matching index read from its snapshot and caught up"
                );
                drop(live);
                Ok((this, true))
            }
            Err(why) => {
                tracing::info!(path = %file.snapshots.path.display(), %why, "index snapshot not used: building from the store");
                let (live, last) = build(store, as_of).await?;
                let this = Self::over(live, last, Some(file));
                let writer = this.clone();
                tokio::spawn(async move {
                    writer.write_snapshot(now).await;
                });
                Ok((this, false))
            }
        }
    }

    /// Writes the index to its snapshot file, if it has one and moved since the last write.
    /// Changes wait meanwhile (reads do not): the feed position written is the index's.
    pub async fn write_snapshot(&self, now: DateTime<Utc>) {
        let Some(file) = self.file.clone() else {
            return;
        };
        let applied = self.applied.lock().await;
        let at = *applied;
        if file.written.load(Ordering::Acquire) >= at.commit {
            return;
        }
        let started = std::time::Instant::now();
        let (live, kept) = (self.live.clone(), file.clone());
        let written = tokio::task::spawn_blocking(move || {
            let live = live.read().unwrap_or_else(|e| e.into_inner());
            snapshot::write(
                &kept.snapshots.path,
                &live,
                at,
                &kept.database,
                now.timestamp(),
            )
        })
        .await;
        drop(applied);
        match written {
            Ok(Ok(bytes)) => {
                file.written.store(at.commit, Ordering::Release);
                tracing::info!(
                    path = %file.snapshots.path.display(),
                    bytes,
                    commit = at.commit,
                    ms = started.elapsed().as_millis() as u64,
                    "index snapshot written"
                );
            }
            Ok(Err(e)) => {
                tracing::warn!(path = %file.snapshots.path.display(), error = %e, "index snapshot not written")
            }
            Err(e) => tracing::warn!(error = %e, "index snapshot not written"),
        }
    }

    /// How often the snapshot is written while the index moves (`None`: no snapshot).
    pub fn snapshot_every(&self) -> Option<std::time::Duration> {
        self.file.as_ref().map(|f| f.snapshots.every)
    }

    /// An index of nothing that follows nothing, for commands that only write.
    pub fn empty() -> Self {
        let live = Live {
            index: Index::build(chrono::NaiveDate::MIN, Vec::new(), Vec::new()),
            products: HashMap::new(),
            names: HashMap::new(),
        };
        Self {
            live: Arc::new(RwLock::new(live)),
            applied: Arc::new(Mutex::new(FeedPosition::default())),
            commit: Arc::new(AtomicI64::new(0)),
            tokens_epoch: Arc::new(AtomicI64::new(0)),
            following: false,
            behind_since: Default::default(),
            rolled_over: Default::default(),
            file: None,
        }
    }

    /// The index and its catalogue, for reading.
    pub fn read(&self) -> RwLockReadGuard<'_, Live> {
        self.live.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The commit number applied so far.
    pub fn applied_commit(&self) -> i64 {
        self.commit.load(Ordering::Acquire)
    }

    /// Changes whenever a token was created or revoked.
    pub fn tokens_epoch(&self) -> i64 {
        self.tokens_epoch.load(Ordering::Acquire)
    }

    /// Rebuilds the index as of `today` when it is for another day (expiry, fees and
    /// appraisal validity depend on the day). The old index answers while the new one is
    /// built; changes committed meanwhile are applied after the swap.
    pub async fn roll_over(
        &self,
        store: &Store,
        today: chrono::NaiveDate,
    ) -> Result<bool, StoreError> {
        if !self.following || self.read().index.as_of() == today {
            return Ok(false);
        }
        let (live, last) = build(store, today).await?;
        {
            let mut applied = self.applied.lock().await;
            *self.live.write().unwrap_or_else(|e| e.into_inner()) = live;
            *applied = last;
            self.commit.store(last.commit, Ordering::Release);
            if let Some(file) = &self.file {
                // The file is of the day before: it is written anew whatever the commit.
                file.written.store(-1, Ordering::Release);
            }
        }
        self.catch_up(store).await?;
        self.rolled_over.notify_waiters();
        Ok(true)
    }

    /// Waits until the index answers as of `day` or later: the signal that a day's rebuild
    /// has completed (for a test that steps the clock over a day's turn).
    pub async fn rolled_over_to(&self, day: chrono::NaiveDate) {
        loop {
            let rolled = self.rolled_over.notified();
            tokio::pin!(rolled);
            rolled.as_mut().enable();
            if self.read().index.as_of() >= day {
                return;
            }
            rolled.await;
        }
    }

    /// Applies every change committed since the last call, in commit order; answers the
    /// pairs that moved on the way (enterprise changes only: a product's own edit moves no
    /// pair, and a day's rebuild none either).
    pub async fn catch_up(&self, store: &Store) -> Result<Vec<Moved>, StoreError> {
        let mut out = Vec::new();
        if !self.following {
            return Ok(out);
        }
        let mut applied = self.applied.lock().await;
        // Every commit up to this number is visible to the reads below (a commit without
        // records, too, which the feed never shows).
        let committed = store.last_commit().await?;
        loop {
            let changes = store.changes_since(*applied, ROUND).await?;
            if changes.last == *applied {
                self.commit
                    .fetch_max(committed.max(applied.commit), Ordering::AcqRel);
                return Ok(out);
            }
            let usccs: Vec<_> = changes.enterprises.into_iter().collect();
            let holdings = store.holdings(&usccs).await?;
            let mut products = Vec::new();
            for id in &changes.products {
                products.push(store.product(*id, None).await?);
            }
            let mut pairs = Vec::new();
            {
                let mut live = self.live.write().unwrap_or_else(|e| e.into_inner());
                for h in &holdings {
                    let moved = live.index.upsert_enterprise(h);
                    if !moved.is_empty() {
                        tracing::debug!(uscc = %h.enterprise.uscc, pairs = moved.len(), "eligibility changed");
                    }
                    pairs.extend(moved);
                    live.names
                        .insert(h.enterprise.uscc, Box::from(h.enterprise.name.as_str()));
                }
                for p in products {
                    match engine_product(&p) {
                        Some(e) => live.index.upsert_product(e),
                        None => live.index.remove_product(p.id),
                    }
                    live.products.insert(p.id, p);
                }
            }
            if changes.tokens {
                self.tokens_epoch.fetch_add(1, Ordering::AcqRel);
            }
            *applied = changes.last;
            if !pairs.is_empty() {
                out.push(Moved {
                    upto: changes.last,
                    pairs,
                });
            }
        }
    }

    /// Applies what other processes committed, if anything: one small read when nothing did.
    pub async fn follow(&self, store: &Store) -> Result<Vec<Moved>, StoreError> {
        let mut moved = Vec::new();
        if store.last_commit().await? > self.applied_commit() {
            self.behind_since
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get_or_insert_with(std::time::Instant::now);
            moved = self.catch_up(store).await?;
            *self.behind_since.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
        Ok(moved)
    }

    /// How long the index has been behind the database, as the follower saw it.
    pub fn behind_for(&self) -> std::time::Duration {
        self.behind_since
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .map(|t| t.elapsed())
            .unwrap_or_default()
    }
}
