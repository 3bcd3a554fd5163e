//! `pledge bench`: the engine's workloads on a generated data set read from the store, side by
//! side in one run with the baselines: the reference evaluator (a plain loop over the pairs)
//! and, on PostgreSQL, the product rules as SQL. Median and p99 of each, and the ratios.
//! `pledge bench chart` draws query time against data size from several runs' JSON.

mod chart;

pub use chart::draw;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use pledge_domain::{Holding, ProductStatus};
use pledge_fixtures::Rng;
use pledge_fixtures::synthetic::with_first_patent_flipped;
use pledge_matching::{Index, MatchQuery, Product, SortBy, evaluate};
use pledge_store::Store;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// How long each kind of sample runs.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Samples of each engine workload.
    pub samples: usize,
    /// Samples of each reference and SQL workload (each one is slow).
    pub baseline_samples: usize,
    /// The day to match as of.
    pub as_of: NaiveDate,
}

/// Median and p99 of a workload, in microseconds.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Stats {
    pub median_us: f64,
    pub p99_us: f64,
    pub samples: usize,
}

impl Stats {
    fn of(mut samples: Vec<Duration>) -> Option<Self> {
        if samples.is_empty() {
            return None;
        }
        samples.sort();
        let n = samples.len();
        let at = |q: f64| samples[((n as f64 * q) as usize).min(n - 1)].as_secs_f64() * 1e6;
        Some(Self {
            median_us: at(0.5),
            p99_us: at(0.99),
            samples: n,
        })
    }
}

/// One workload: the engine, and the baselines where measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Workload {
    pub name: String,
    pub engine: Stats,
    pub reference: Option<Stats>,
    pub sql: Option<Stats>,
}

/// A whole run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub machine: String,
    pub backend: String,
    pub enterprises: usize,
    pub patents: usize,
    pub products: usize,
    pub eligible_pairs: usize,
    pub load_from_store_s: f64,
    pub index_build_s: f64,
    pub index_mib: f64,
    pub resident_mib: f64,
    /// The selective product's top 50 by credit line: (rows from SQL, rows from the engine,
    /// enterprises in both).
    pub sql_agreement: Option<(usize, usize, usize)>,
    pub workloads: Vec<Workload>,
}

fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let t = Instant::now();
    let out = f();
    (t.elapsed(), out)
}

fn resident_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{cpu}, {cores} cores")
}

/// A sample index below `n`.
fn pick(rng: &mut Rng, n: usize) -> usize {
    rng.below(n.max(1) as u64) as usize
}

/// The reference evaluator's top 50 of a product: every holding evaluated, the eligible
/// sorted by score.
fn reference_top(
    holdings: &[Holding],
    product: &Product,
    as_of: NaiveDate,
    park: Option<&pledge_domain::ParkCode>,
) -> usize {
    let mut hits: Vec<_> = holdings
        .iter()
        .filter(|h| park.is_none_or(|p| &h.enterprise.park == p))
        .map(|h| evaluate(h, product, as_of))
        .filter(|e| e.eligible)
        .collect();
    hits.sort_by_key(|e| std::cmp::Reverse(e.score.total));
    hits.truncate(50);
    hits.len()
}

/// The SQL baseline's top 50 of `rules` by credit line.
async fn sql_rows(
    store: &Store,
    rules: &pledge_domain::LoanProduct,
    as_of: NaiveDate,
    park: Option<&pledge_domain::ParkCode>,
) -> Result<Vec<(String, i64)>> {
    store
        .sql_top_by_credit_line(rules, as_of, park, 50)
        .await
        .with_context(|| format!("running the SQL baseline of {}", rules.name))
}

async fn sql_times(
    store: &Store,
    rules: &pledge_domain::LoanProduct,
    as_of: NaiveDate,
    park: Option<&pledge_domain::ParkCode>,
    n: usize,
) -> Result<Option<Stats>> {
    let mut out = Vec::new();
    for _ in 0..n {
        let t = Instant::now();
        sql_rows(store, rules, as_of, park).await?;
        out.push(t.elapsed());
    }
    Ok(Stats::of(out))
}

/// Runs every workload on what `store` holds.
pub async fn run(service: &crate::Service, o: Options) -> Result<Report> {
    let store = &service.store;
    let as_of = o.as_of;
    eprintln!("reading the data set from the store");
    let (load_time, (holdings, products)) = {
        let t = Instant::now();
        let holdings = store.all_holdings().await?;
        let products: Vec<Product> = store
            .products(None)
            .await?
            .into_iter()
            .filter(|p| p.status == ProductStatus::Published)
            .map(|p| Product {
                id: p.id,
                published: true,
                rules: p.rules,
            })
            .collect();
        (t.elapsed(), (holdings, products))
    };
    anyhow::ensure!(
        !holdings.is_empty() && !products.is_empty(),
        "the database holds no enterprises or no published products: run `pledge gen` first"
    );
    let (build_time, mut index) =
        time(|| Index::build(as_of, holdings.iter().cloned(), products.iter().cloned()));
    let patents: usize = holdings.iter().map(|h| h.patents.len()).sum();
    eprintln!(
        "{} enterprises, {patents} patents, {} products: read in {load_time:.1?}, index built in {build_time:.1?}",
        holdings.len(),
        products.len()
    );
    let n = holdings.len();
    let mut picks = Rng(7);
    let top50 = MatchQuery {
        limit: 50,
        ..MatchQuery::default()
    };
    // The selective product: the one with the fewest eligible enterprises but at least 50,
    // or product 1 (the generator's 知惠贷) when present.
    let (pairs_time, pairs) = time(|| index.eligible_pairs());
    let eligible_pairs: usize = pairs.values().map(Vec::len).sum();
    let selective = products
        .iter()
        .find(|p| p.rules.name.as_str() == "知惠贷")
        .unwrap_or(&products[0])
        .clone();
    let park = holdings
        .iter()
        .find(|h| {
            pairs
                .get(&selective.id)
                .is_some_and(|v| v.contains(&h.enterprise.uscc))
        })
        .map(|h| h.enterprise.park.clone());
    let with_park = MatchQuery {
        park: park.clone(),
        ..top50.clone()
    };
    let by_credit = MatchQuery {
        sort: SortBy::CreditLine,
        ..top50.clone()
    };
    let repeat = |q: &MatchQuery, index: &Index, id: i64| -> Vec<Duration> {
        (0..o.samples)
            .map(|_| time(|| index.matches(id, q)).0)
            .collect()
    };
    let is_pg = store.is_postgres();
    let mut workloads = Vec::new();
    let mut add =
        |name: &str, engine: Vec<Duration>, reference: Vec<Duration>, sql: Option<Stats>| {
            if let Some(engine) = Stats::of(engine) {
                eprintln!("  {name}: engine median {:.1} µs", engine.median_us);
                workloads.push(Workload {
                    name: name.into(),
                    engine,
                    reference: Stats::of(reference),
                    sql,
                });
            }
        };

    // One product's top 50, with and without a park.
    let reference: Vec<Duration> = (0..o.baseline_samples)
        .map(|_| time(|| reference_top(&holdings, &selective, as_of, None)).0)
        .collect();
    let sql = if is_pg {
        sql_times(store, &selective.rules, as_of, None, o.baseline_samples).await?
    } else {
        None
    };
    add(
        "selective product, top 50",
        repeat(&top50, &index, selective.id),
        reference,
        sql,
    );
    let sql = if is_pg {
        sql_times(
            store,
            &selective.rules,
            as_of,
            park.as_ref(),
            o.baseline_samples,
        )
        .await?
    } else {
        None
    };
    let reference: Vec<Duration> = (0..o.baseline_samples)
        .map(|_| time(|| reference_top(&holdings, &selective, as_of, park.as_ref())).0)
        .collect();
    add(
        "selective product, top 50, one park",
        repeat(&with_park, &index, selective.id),
        reference,
        sql,
    );

    // Every product's top 50; the baselines on a sample of products.
    let all: Vec<Duration> = products
        .iter()
        .map(|p| time(|| index.matches(p.id, &top50)).0)
        .collect();
    let sampled: Vec<&Product> = (0..o.baseline_samples)
        .map(|_| &products[pick(&mut picks, products.len())])
        .collect();
    let reference: Vec<Duration> = sampled
        .iter()
        .map(|p| time(|| reference_top(&holdings, p, as_of, None)).0)
        .collect();
    let mut sql = Vec::new();
    if is_pg {
        for p in &sampled {
            let t = Instant::now();
            sql_rows(store, &p.rules, as_of, None).await?;
            sql.push(t.elapsed());
        }
    }
    add("every product, top 50", all, reference, Stats::of(sql));
    let all: Vec<Duration> = products
        .iter()
        .map(|p| time(|| index.matches(p.id, &by_credit)).0)
        .collect();
    add(
        "every product, top 50 by credit line",
        all,
        Vec::new(),
        None,
    );

    // One enterprise across every product: eligibility, with the credit line of the eligible.
    let standings: Vec<Duration> = (0..o.samples)
        .map(|_| {
            let u = holdings[pick(&mut picks, n)].enterprise.uscc;
            time(|| index.standings(&u, true)).0
        })
        .collect();
    add(
        "one enterprise × every product",
        standings,
        Vec::new(),
        None,
    );

    // One enterprise across every product, with the reasons of each failure.
    let mut view = Vec::new();
    for _ in 0..o.samples {
        let u = holdings[pick(&mut picks, n)].enterprise.uscc;
        view.push(time(|| index.enterprise_view(&u, true)).0);
    }
    let reference: Vec<Duration> = (0..o.baseline_samples * 10)
        .map(|_| {
            let h = &holdings[pick(&mut picks, n)];
            time(|| {
                products
                    .iter()
                    .map(|p| evaluate(h, p, as_of))
                    .collect::<Vec<_>>()
            })
            .0
        })
        .collect();
    add(
        "one enterprise × every product, with reasons",
        view,
        reference,
        None,
    );

    // One patent's status flips; the pairs gained and lost come back.
    let mut change = Vec::new();
    let mut reference = Vec::new();
    for i in 0..o.samples {
        let before = &holdings[pick(&mut picks, n)];
        let h = with_first_patent_flipped(before);
        change.push(time(|| index.upsert_enterprise(&h)).0);
        if i < o.baseline_samples * 10 {
            reference.push(
                time(|| {
                    products
                        .iter()
                        .filter(|p| {
                            evaluate(before, p, as_of).eligible != evaluate(&h, p, as_of).eligible
                        })
                        .count()
                })
                .0,
            );
        }
    }
    add(
        "one patent change, with gained/lost pairs",
        change,
        reference,
        None,
    );
    add(
        "all eligible pairs read (computed with the index)",
        vec![pairs_time],
        Vec::new(),
        None,
    );

    let sql_agreement = if is_pg {
        let from_sql = sql_rows(store, &selective.rules, as_of, None).await?;
        let engine: Vec<String> = index
            .matches(selective.id, &by_credit)
            .map(|p| p.items.iter().map(|(_, e)| e.uscc.to_string()).collect())
            .unwrap_or_default();
        let common = from_sql.iter().filter(|(u, _)| engine.contains(u)).count();
        Some((from_sql.len(), engine.len(), common))
    } else {
        None
    };
    Ok(Report {
        machine: machine(),
        backend: if is_pg { "PostgreSQL" } else { "SQLite" }.into(),
        enterprises: n,
        patents,
        products: products.len(),
        eligible_pairs,
        load_from_store_s: load_time.as_secs_f64(),
        index_build_s: build_time.as_secs_f64(),
        index_mib: index.memory_bytes() as f64 / (1 << 20) as f64,
        resident_mib: resident_mib(),
        sql_agreement,
        workloads,
    })
}

fn us(x: f64) -> String {
    if x >= 1e6 {
        format!("{:.2} s", x / 1e6)
    } else if x >= 1e3 {
        format!("{:.2} ms", x / 1e3)
    } else {
        format!("{x:.1} µs")
    }
}

fn ratio(base: Option<Stats>, engine: &Stats) -> String {
    base.map_or("–".into(), |b| {
        format!(
            "{} ({:.0}×)",
            us(b.median_us),
            b.median_us / engine.median_us.max(1e-3)
        )
    })
}

/// The report as Markdown: the data set, then a table of workloads and ratios.
pub fn markdown(r: &Report) -> String {
    let mut s = format!(
        "{} enterprises, {} patents, {} products on {} ({}); {} eligible pairs.\n\n\
         Index built from the store in {:.1} s (reading {:.1} s, building {:.1} s); index {:.0} MiB, \
         process resident {:.0} MiB (the holdings kept for the reference evaluator included).\n\n",
        r.enterprises,
        r.patents,
        r.products,
        r.backend,
        r.machine,
        r.eligible_pairs,
        r.load_from_store_s + r.index_build_s,
        r.load_from_store_s,
        r.index_build_s,
        r.index_mib,
        r.resident_mib,
    );
    s.push_str(
        "| workload | engine median | engine p99 | reference median (×) | SQL median (×) |\n\
         |---|---:|---:|---:|---:|\n",
    );
    for w in &r.workloads {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            w.name,
            us(w.engine.median_us),
            us(w.engine.p99_us),
            ratio(w.reference, &w.engine),
            ratio(w.sql, &w.engine),
        ));
    }
    if let Some((sql, engine, common)) = r.sql_agreement {
        s.push_str(&format!(
            "\nThe selective product's top 50 by credit line: {sql} rows from SQL, {engine} from \
             the engine, {common} enterprises in both.\n"
        ));
    }
    s
}
