//! `pledge gen`: a deterministic national-shaped data set (parks, banks, products, enterprises
//! with patents, trademarks, appraisals, qualifications, risk flags and white-list entries),
//! loaded into an empty SQLite or PostgreSQL database in large transactions.

use anyhow::{Context, Result};
use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};
use pledge_domain::Actor;
use pledge_domain::{BankCode, Text};
use pledge_fixtures::synthetic::{DataSet, parks, products};
use pledge_store::{BankRecord, BulkCounts, ParkRecord};
use std::time::Instant;

/// Enterprises per transaction: about 5,000 patents and their appraisals.
const PER_TRANSACTION: usize = 1000;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub enterprises: usize,
    pub products: usize,
    pub seed: u64,
    pub as_of: NaiveDate,
}

fn text(s: &str) -> Result<Text> {
    Text::parse(s, 1, 200).map_err(|e| anyhow::anyhow!("{s}: {e}"))
}

/// The banks of `products` products: one for every ten, at least one.
pub fn banks(products: usize) -> Result<Vec<BankRecord>> {
    (1..=products.div_ceil(10).max(1))
        .map(|i| {
            Ok(BankRecord {
                code: BankCode::parse(&format!("bank{i:03}"))?,
                name: text(&format!("第{i}商业银行"))?,
            })
        })
        .collect()
}

/// Generates the data set into `store`, which must be empty.
pub async fn run(service: &crate::Service, o: Options) -> Result<BulkCounts> {
    let store = &service.store;
    let started = Instant::now();
    let actor = Actor::cli_on("gen", o.as_of);
    let parks: Vec<ParkRecord> = parks()
        .into_iter()
        .map(|(code, region)| {
            Ok(ParkRecord {
                name: text(&format!("{} 高新技术产业园区", &code.as_str()[1..]))?,
                code,
                region,
            })
        })
        .collect::<Result<_>>()?;
    let banks = banks(o.products)?;
    let products: Vec<_> = products(o.seed, o.products, o.as_of)
        .into_iter()
        .enumerate()
        .map(|(i, p)| (i % banks.len(), p.rules))
        .collect();
    let mut load = store
        .bulk_begin(&actor, &parks, &banks, &products)
        .await
        .context("writing parks, banks and products")?;
    let bar = ProgressBar::new(o.enterprises as u64).with_style(
        ProgressStyle::with_template(
            "{bar:40} {pos}/{len} enterprises  {elapsed} (about {eta} left)",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let plain = !std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut data = DataSet::new(o.seed, o.enterprises, o.as_of);
    let mut done = 0;
    loop {
        let chunk: Vec<_> = data.by_ref().take(PER_TRANSACTION).collect();
        if chunk.is_empty() {
            break;
        }
        store
            .bulk_add(&mut load, &chunk)
            .await
            .context("writing enterprises")?;
        done += chunk.len();
        bar.set_position(done as u64);
        if plain && (done % (PER_TRANSACTION * 100) == 0 || done == o.enterprises) {
            eprintln!("{done}/{} enterprises", o.enterprises);
        }
    }
    bar.finish_and_clear();
    let counts = store.bulk_finish(load).await?;
    eprintln!(
        "generated in {:.1?}: {} parks, {} banks, {} products",
        started.elapsed(),
        parks.len(),
        banks.len(),
        products.len()
    );
    Ok(counts)
}
