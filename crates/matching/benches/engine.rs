//! The engine's workloads on synthetic national-shaped data, side by side with the reference
//! evaluator. `cargo bench -p pledge-matching` (sizes from
//! `PLEDGE_BENCH_ENTERPRISES`, default 100000, and `PLEDGE_BENCH_PRODUCTS`, default 1000).
//! Reports median and p99 per workload; one thread per query.

use chrono::NaiveDate;
use pledge_fixtures::Rng;
use pledge_fixtures::synthetic::{DataSet, products, with_first_patent_flipped};
use pledge_matching::{Index, MatchQuery, evaluate};
use std::time::{Duration, Instant};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Stats {
    median: Duration,
    p99: Duration,
    n: usize,
}

fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort();
    let n = samples.len();
    let at = |q: f64| samples[((n as f64 * q) as usize).min(n - 1)];
    Stats {
        median: at(0.5),
        p99: at(0.99),
        n,
    }
}

fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let t = Instant::now();
    let out = f();
    (t.elapsed(), out)
}

fn row(name: &str, s: &Stats) {
    println!(
        "| {name:<44} | {:>12.1?} | {:>12.1?} | {:>7} |",
        s.median, s.p99, s.n
    );
}

fn main() {
    let n = env("PLEDGE_BENCH_ENTERPRISES", 100_000);
    let p = env("PLEDGE_BENCH_PRODUCTS", 1_000);
    let seed = 42;
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap_or_default();
    let (gen_time, holdings) = time(|| DataSet::new(seed, n, as_of).collect::<Vec<_>>());
    let patents: usize = holdings.iter().map(|h| h.patents.len()).sum();
    let products = products(seed, p, as_of);
    let (build_time, mut index) =
        time(|| Index::build(as_of, holdings.iter().cloned(), products.iter().cloned()));
    println!(
        "{n} enterprises, {patents} patents, {} products; generated in {gen_time:.1?}; index built in {build_time:.1?}, ~{} MiB",
        products.len(),
        index.memory_bytes() / (1 << 20)
    );
    let (pairs_time, pairs) = time(|| index.eligible_pairs());
    let eligible: usize = pairs.values().map(Vec::len).sum();
    let selective_hits = pairs.get(&1).map_or(0, Vec::len);
    println!(
        "eligible pairs: {eligible} ({:.2}% of all), materialised in {pairs_time:.1?}; the selective product matches {selective_hits}",
        100.0 * eligible as f64 / (n as f64 * products.len() as f64)
    );
    println!("| workload | median | p99 | samples |\n|---|---:|---:|---:|");

    let top50 = MatchQuery {
        limit: 50,
        ..MatchQuery::default()
    };
    let selective: Vec<Duration> = (0..200)
        .map(|_| time(|| index.matches(1, &top50)).0)
        .collect();
    let selective = stats(selective);
    row("selective product, top 50", &selective);
    let with_park = MatchQuery {
        park: holdings
            .iter()
            .find(|h| h.enterprise.region.is_within("4107"))
            .map(|h| h.enterprise.park.clone()),
        ..top50.clone()
    };
    row(
        "selective product, top 50, one park",
        &stats(
            (0..200)
                .map(|_| time(|| index.matches(1, &with_park)).0)
                .collect(),
        ),
    );
    let all: Vec<Duration> = products
        .iter()
        .map(|pr| time(|| index.matches(pr.id, &top50)).0)
        .collect();
    if std::env::var("PLEDGE_BENCH_SLOWEST").is_ok() {
        let mut slow: Vec<(Duration, usize)> = all.iter().copied().zip(0..).collect();
        slow.sort();
        for (d, i) in slow.iter().rev().take(8) {
            let r = &products[*i].rules;
            let page = index.matches(products[*i].id, &top50);
            println!(
                "  {d:.1?}: regions {:?} industries {:?} list {} any {:?} all {:?} inventions {} min {} share {:?} -> {:?} rows, total {:?}",
                r.region_prefixes,
                r.industry_prefixes,
                r.whitelist_required,
                r.qualifications_any.len(),
                r.qualifications_all.len(),
                r.min_valid_invention_patents,
                r.amount_min,
                r.min_ip_share,
                page.as_ref().map(|p| p.items.len()),
                page.as_ref().map(|p| p.total)
            );
        }
    }
    row("every product, top 50", &stats(all));

    let by_credit = MatchQuery {
        sort: pledge_matching::SortBy::CreditLine,
        ..top50.clone()
    };
    let credit: Vec<Duration> = products
        .iter()
        .map(|pr| time(|| index.matches(pr.id, &by_credit)).0)
        .collect();
    row("every product, top 50 by credit line", &stats(credit));

    let mut rng = Rng(7);
    if std::env::var("PLEDGE_BENCH_PROFILE_VIEW").is_ok() {
        // A long run of the enterprise view alone, for a profiler.
        for _ in 0..20_000 {
            let u = &holdings[rng.below(n as u64) as usize].enterprise.uscc;
            std::hint::black_box(index.enterprise_view(u, true));
        }
        return;
    }
    let views: Vec<Duration> = (0..500)
        .map(|_| {
            let u = &holdings[rng.below(n as u64) as usize].enterprise.uscc;
            time(|| index.enterprise_view(u, true)).0
        })
        .collect();
    row(
        "one enterprise x every product, with reasons",
        &stats(views),
    );
    let standings: Vec<Duration> = (0..2_000)
        .map(|_| {
            let u = &holdings[rng.below(n as u64) as usize].enterprise.uscc;
            time(|| index.standings(u, true)).0
        })
        .collect();
    row(
        "one enterprise x every product, standings",
        &stats(standings),
    );

    let changes: Vec<Duration> = (0..2_000)
        .map(|_| {
            let h = with_first_patent_flipped(&holdings[rng.below(n as u64) as usize]);
            time(|| index.upsert_enterprise(&h)).0
        })
        .collect();
    row("one patent change, with gained/lost pairs", &stats(changes));

    let reference: Vec<Duration> = (0..3)
        .map(|_| {
            time(|| {
                let mut hits: Vec<_> = holdings
                    .iter()
                    .map(|h| evaluate(h, &products[0], as_of))
                    .filter(|e| e.eligible)
                    .collect();
                hits.sort_by_key(|e| std::cmp::Reverse(e.score.total));
                hits.truncate(50);
                hits.len()
            })
            .0
        })
        .collect();
    let reference = stats(reference);
    row("reference evaluator: selective product, top 50", &reference);
    println!(
        "\nselective top 50: index {:.1?} vs reference {:.1?} median = {:.0}x",
        selective.median,
        reference.median,
        reference.median.as_secs_f64() / selective.median.as_secs_f64().max(1e-9)
    );
}
