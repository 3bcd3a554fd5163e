//! The matching index the server answers from, and how it follows the store: built at start,
//! then brought up to date from the audit log after every committed write (and before every
//! match query, which also picks up writes made by other processes such as the CLI). Only the
//! enterprises and products named by new audit records are reloaded.

use pledge_domain::ProductStatus;
use pledge_matching::{Index, Product};
use pledge_store::{FeedPosition, ProductRecord, Store, StoreError};
use std::sync::{Arc, RwLock, RwLockReadGuard};
use tokio::sync::Mutex;

/// The audit records read per round while catching up.
const ROUND: u64 = 5_000;

/// The shared index and the last audit record applied to it.
#[derive(Debug, Clone)]
pub struct Engine {
    index: Arc<RwLock<Index>>,
    applied: Arc<Mutex<FeedPosition>>,
}

fn engine_product(p: ProductRecord) -> Option<Product> {
    (p.status != ProductStatus::Withdrawn).then(|| Product {
        id: p.id,
        published: p.status == ProductStatus::Published,
        rules: p.rules,
    })
}

async fn build(
    store: &Store,
    as_of: chrono::NaiveDate,
) -> Result<(Index, FeedPosition), StoreError> {
    // Read the position first: what commits while loading is applied again, harmlessly.
    let last = store.last_change().await?;
    let holdings = store.all_holdings().await?;
    let products = store.products(None).await?;
    let index = Index::build(
        as_of,
        holdings,
        products.into_iter().filter_map(engine_product),
    );
    Ok((index, last))
}

impl Engine {
    /// Builds the index of everything in `store` as of `as_of`.
    pub async fn load(store: &Store, as_of: chrono::NaiveDate) -> Result<Self, StoreError> {
        let started = std::time::Instant::now();
        let (index, last) = build(store, as_of).await?;
        tracing::info!(
            enterprises = index.enterprises(),
            bytes = index.memory_bytes(),
            ms = started.elapsed().as_millis() as u64,
            "matching index built"
        );
        Ok(Self {
            index: Arc::new(RwLock::new(index)),
            applied: Arc::new(Mutex::new(last)),
        })
    }

    /// The index, for reading.
    pub fn read(&self) -> RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Rebuilds the index as of `today` when it is for another day (expiry, fees and
    /// appraisal validity depend on the day). The old index answers while the new one is
    /// built; changes committed meanwhile are applied after the swap.
    pub async fn roll_over(
        &self,
        store: &Store,
        today: chrono::NaiveDate,
    ) -> Result<bool, StoreError> {
        if self.read().as_of() == today {
            return Ok(false);
        }
        let (index, last) = build(store, today).await?;
        {
            let mut applied = self.applied.lock().await;
            *self.index.write().unwrap_or_else(|e| e.into_inner()) = index;
            *applied = last;
        }
        self.catch_up(store).await?;
        Ok(true)
    }

    /// Applies every change committed since the last call.
    pub async fn catch_up(&self, store: &Store) -> Result<(), StoreError> {
        let mut applied = self.applied.lock().await;
        loop {
            let changes = store.changes_since(*applied, ROUND).await?;
            if changes.last == *applied {
                return Ok(());
            }
            let usccs: Vec<_> = changes.enterprises.into_iter().collect();
            let holdings = store.holdings(&usccs).await?;
            let mut products = Vec::new();
            for id in &changes.products {
                products.push((*id, store.product(*id, None).await?));
            }
            let mut index = self.index.write().unwrap_or_else(|e| e.into_inner());
            for h in &holdings {
                let moved = index.upsert_enterprise(h);
                if !moved.is_empty() {
                    tracing::debug!(uscc = %h.enterprise.uscc, pairs = moved.len(), "eligibility changed");
                }
            }
            for (id, p) in products {
                match engine_product(p) {
                    Some(p) => index.upsert_product(p),
                    None => index.remove_product(id),
                }
            }
            *applied = changes.last;
        }
    }
}
