//! The product rules as a GoRules zen-engine decision table, evaluated per (enterprise,
//! product) pair, beside the matching engine on the same generated data in the same process.
//! Bench only, in its own workspace: `cargo run --release --manifest-path bench-zen/Cargo.toml`
//! (sizes from `PLEDGE_BENCH_ENTERPRISES`, default 100000, and `PLEDGE_BENCH_PRODUCTS`,
//! default 1000; the data set is `pledge gen`'s with seed 42). Every workload of the engine is
//! measured here with its median and p99, beside zen-engine's median on the same data in the
//! same run; the engine's samples are taken in a loop of their own, not between zen-engine's
//! (whose work evicts the caches the engine's next sample would find).
//!
//! Each enterprise's facts are computed once, as a team feeding a rules engine would keep
//! them: list status, region, industry, qualifications and risk flags held, years in
//! operation, valid invention patents, and the appraised value of its pledgeable IP by kind.
//! Each product becomes one decision table whose first row holds the product's conditions and
//! computes the credit line; the table is compiled once.

use chrono::NaiveDate;
use pledge_domain::{Holding, IpKind, LoanProduct, QualificationKind, RiskFlagKind};
use pledge_fixtures::Rng;
use pledge_fixtures::synthetic::{DataSet, products, with_first_patent_flipped};
use pledge_matching::{Index, MatchQuery, Product, SortBy};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use zen_engine::model::GraphContent;
use zen_engine::{Decision, Variable};

/// The allocator the `pledge` binary uses, for both sides alike.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn yuan(fen: i64) -> f64 {
    fen as f64 / 100.0
}

/// The facts of an enterprise a decision table reads.
fn facts_of(h: &Holding, as_of: NaiveDate) -> Value {
    let e = &h.enterprise;
    let mut value = [0i64; 4];
    for p in &h.patents {
        if p.pledge_obstacles(&e.uscc, as_of, as_of).is_empty()
            && let Some(a) = p.valid_appraisal(as_of)
        {
            let i = match IpKind::of_patent(p.kind()) {
                IpKind::Invention => 0,
                IpKind::UtilityModel => 1,
                _ => 2,
            };
            value[i] += a.amount.fen();
        }
    }
    for t in &h.trademarks {
        if t.pledge_obstacles(&e.uscc, as_of, as_of).is_empty()
            && let Some(a) = t.valid_appraisal(as_of)
        {
            value[3] += a.amount.fen();
        }
    }
    let held: Vec<&str> = QualificationKind::ALL
        .iter()
        .filter(|k| e.has_qualification(**k, as_of))
        .map(|k| k.as_str())
        .collect();
    let flags: Vec<&str> = RiskFlagKind::ALL
        .iter()
        .filter(|k| e.has_risk_flag(**k, as_of))
        .map(|k| k.as_str())
        .collect();
    json!({
        "listed": h.listed,
        "region": e.region.as_str(),
        "industry": e.industry.as_str(),
        "qualifications": held,
        "riskFlags": flags,
        "years": e.years_in_operation(as_of),
        "validInventions": h.patents.iter().filter(|p| p.kind().is_invention() && p.is_valid(as_of)).count(),
        "inventionValue": yuan(value[0]),
        "utilityValue": yuan(value[1]),
        "designValue": yuan(value[2]),
        "trademarkValue": yuan(value[3]),
    })
}

fn quoted(xs: impl IntoIterator<Item = String>) -> String {
    xs.into_iter()
        .map(|x| format!("'{x}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A product as a one-table decision: the first row holds every condition, the second says
/// not eligible.
fn decision(p: &LoanProduct) -> Decision {
    let rate = |r: Option<pledge_domain::BasisPoints>| r.map_or(0.0, |r| f64::from(r.get()) / 1e4);
    let credit = format!(
        "min([inventionValue * {} + utilityValue * {} + designValue * {} + trademarkValue * {}, {}])",
        rate(p.pledge_rates.invention),
        rate(p.pledge_rates.utility_model),
        rate(p.pledge_rates.design),
        rate(p.pledge_rates.trademark),
        yuan(p.amount_max.fen())
    );
    let prefixes = |xs: &[String]| {
        if xs.is_empty() {
            String::new()
        } else {
            format!("some([{}], startsWith($, #))", quoted(xs.iter().cloned()))
        }
    };
    let all = p
        .qualifications_all
        .iter()
        .map(|k| format!("contains($, '{}')", k.as_str()))
        .collect::<Vec<_>>()
        .join(" and ");
    let any = if p.qualifications_any.is_empty() {
        String::new()
    } else {
        format!(
            "some($, # in [{}])",
            quoted(p.qualifications_any.iter().map(|k| k.as_str().to_owned()))
        )
    };
    let flags = if p.excluded_risk_flags.is_empty() {
        String::new()
    } else {
        format!(
            "none($, # in [{}])",
            quoted(p.excluded_risk_flags.iter().map(|k| k.as_str().to_owned()))
        )
    };
    let inputs = json!([
        { "id": "listed", "name": "Listed", "field": "listed" },
        { "id": "region", "name": "Region", "field": "region" },
        { "id": "industry", "name": "Industry", "field": "industry" },
        { "id": "all", "name": "Qualifications (all)", "field": "qualifications" },
        { "id": "any", "name": "Qualifications (any)", "field": "qualifications" },
        { "id": "flags", "name": "Risk flags", "field": "riskFlags" },
        { "id": "years", "name": "Years", "field": "years" },
        { "id": "inventions", "name": "Valid inventions", "field": "validInventions" },
        { "id": "credit", "name": "Credit line", "field": credit },
    ]);
    let outputs = json!([
        { "id": "eligible", "name": "Eligible", "field": "eligible" },
        { "id": "creditLine", "name": "Credit line", "field": "creditLine" },
    ]);
    let rules = json!([
        {
            "_id": "eligible",
            "listed": if p.whitelist_required { "true" } else { "" },
            "region": prefixes(&p.region_prefixes),
            "industry": prefixes(&p.industry_prefixes),
            "all": all,
            "any": any,
            "flags": flags,
            "years": format!(">= {}", p.min_years_in_operation),
            "inventions": format!(">= {}", p.min_valid_invention_patents),
            "credit": format!(">= {}", yuan(p.amount_min.fen())),
            "eligible": "true",
            "creditLine": credit,
        },
        {
            "_id": "not", "listed": "", "region": "", "industry": "", "all": "", "any": "",
            "flags": "", "years": "", "inventions": "", "credit": "",
            "eligible": "false", "creditLine": "0",
        }
    ]);
    let graph: GraphContent = serde_json::from_value(json!({
        "nodes": [
            { "id": "in", "name": "request", "type": "inputNode", "content": {} },
            { "id": "dt", "name": "product", "type": "decisionTableNode", "content": {
                "hitPolicy": "first", "inputs": inputs, "outputs": outputs, "rules": rules,
                "passThrough": false
            } },
            { "id": "out", "name": "response", "type": "outputNode", "content": {} }
        ],
        "edges": [
            { "id": "e1", "sourceId": "in", "targetId": "dt" },
            { "id": "e2", "sourceId": "dt", "targetId": "out" }
        ]
    }))
    .expect("a well-formed decision graph");
    let mut d = Decision::from(graph);
    d.compile();
    d
}

/// Evaluates one pair: (eligible, credit line in 元).
async fn decide(d: &Decision, facts: &Variable) -> (bool, f64) {
    let out = d
        .evaluate(facts.clone())
        .await
        .expect("the decision evaluates");
    let v = Value::from(out.result);
    (
        v["eligible"].as_bool().unwrap_or(false),
        v["creditLine"].as_f64().unwrap_or(0.0),
    )
}

/// The top 50 by credit line, and how many were eligible in all.
async fn top50(d: &Decision, facts: &[(usize, Variable)]) -> (Vec<usize>, usize) {
    let mut hits = Vec::new();
    for (i, f) in facts {
        let (ok, credit) = decide(d, f).await;
        if ok {
            hits.push((credit, *i));
        }
    }
    let eligible = hits.len();
    hits.sort_by(|a, b| b.0.total_cmp(&a.0));
    hits.truncate(50);
    (hits.into_iter().map(|(_, i)| i).collect(), eligible)
}

/// Median and p99 of some samples.
#[derive(Clone, Copy)]
struct Stats {
    median: Duration,
    p99: Duration,
}

fn stats(mut xs: Vec<Duration>) -> Stats {
    xs.sort();
    let at = |q: f64| {
        xs.get(((xs.len() as f64 * q) as usize).min(xs.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Stats {
        median: at(0.5),
        p99: at(0.99),
    }
}

fn median(xs: Vec<Duration>) -> Duration {
    stats(xs).median
}

fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let t = Instant::now();
    let out = f();
    (t.elapsed(), out)
}

async fn time_async<T>(f: impl std::future::Future<Output = T>) -> (Duration, T) {
    let t = Instant::now();
    let out = f.await;
    (t.elapsed(), out)
}

fn row(name: &str, engine: Stats, zen: Option<Duration>, note: &str) {
    let ratio = zen.map_or("–".to_owned(), |z| {
        format!(
            "{:.0}×",
            z.as_secs_f64() / engine.median.as_secs_f64().max(1e-9)
        )
    });
    println!(
        "| {name} | {:.1?} | {:.1?} | {:.1}× | {} | {ratio} | {note} |",
        engine.median,
        engine.p99,
        engine.p99.as_secs_f64() / engine.median.as_secs_f64().max(1e-9),
        zen.map_or("–".to_owned(), |z| format!("{z:.1?}")),
    );
}

/// One figure that is not a distribution (a build, a total).
fn once(name: &str, engine: Duration, zen: Option<Duration>, note: &str) {
    row(
        name,
        Stats {
            median: engine,
            p99: engine,
        },
        zen,
        note,
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let n = env("PLEDGE_BENCH_ENTERPRISES", 100_000);
    let p = env("PLEDGE_BENCH_PRODUCTS", 1_000);
    let zen_samples = env("PLEDGE_BENCH_ZEN_SAMPLES", 3);
    let samples = env("PLEDGE_BENCH_SAMPLES", 2_000);
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap_or_default();
    let holdings: Vec<Holding> = DataSet::new(42, n, as_of).collect();
    let products: Vec<Product> = products(42, p, as_of);
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    // The build a server does: rows, then every product's eligible enterprises and kept
    // lists on every core.
    let (index_time, built) =
        time(|| Index::build(as_of, holdings.iter().cloned(), products.iter().cloned()));
    let index_bytes = built.memory_bytes();
    drop(built);
    // The same index again, the products added one by one on one thread: what computing
    // every eligible pair (and filling the kept lists) costs a single core.
    let (rows_time, mut index) = time(|| Index::build(as_of, holdings.iter().cloned(), []));
    let (pairs_time, ()) = time(|| {
        for product in &products {
            index.upsert_product(product.clone());
        }
    });
    let (zen_build, (decisions, facts)) = time(|| {
        let decisions: Vec<Decision> = products.iter().map(|p| decision(&p.rules)).collect();
        let facts: Vec<(usize, Variable)> = holdings
            .iter()
            .enumerate()
            .map(|(i, h)| (i, Variable::from(facts_of(h, as_of))))
            .collect();
        (decisions, facts)
    });
    let patents: usize = holdings.iter().map(|h| h.patents.len()).sum();
    println!(
        "{n} enterprises, {patents} patents, {} products (seed 42, as of {as_of}); one thread per query; index {} MiB.\n",
        products.len(),
        index_bytes >> 20
    );
    println!(
        "| workload | engine median | engine p99 | p99 / median | zen-engine median | zen-engine / engine | measured as |"
    );
    println!("|---|---:|---:|---:|---:|---:|---|");
    once(
        "build: index / compiled tables and facts",
        index_time,
        Some(zen_build),
        &format!(
            "index on {threads} cores: rows, every pair, kept lists; zen-engine: 1,000 tables compiled, facts of every enterprise"
        ),
    );
    let (read_time, pairs) = time(|| index.eligible_pairs());
    let eligible: usize = pairs.values().map(Vec::len).sum();
    let sample = 20_000.min(n);
    let (t, _) = time_async(async {
        for (_, f) in facts.iter().take(sample) {
            decide(&decisions[0], f).await;
        }
    })
    .await;
    let per_pair = t.as_secs_f64() / sample as f64;
    let all = Duration::from_secs_f64(per_pair * n as f64 * products.len() as f64);
    once(
        "all eligible pairs computed",
        pairs_time,
        Some(all),
        &format!(
            "{eligible} eligible of {} pairs, one thread, kept lists filled too (rows alone: {rows_time:.1?}); zen-engine: {:.1} µs a pair (from {sample} timed)",
            n * products.len(),
            per_pair * 1e6,
        ),
    );
    once(
        "all eligible pairs read",
        read_time,
        None,
        "the match table read from the enterprises' rows",
    );
    let top = MatchQuery {
        limit: 50,
        ..MatchQuery::default()
    };
    let selective = &products[0];
    let engine = stats(
        (0..samples)
            .map(|_| time(|| index.matches(selective.id, &top)).0)
            .collect(),
    );
    let mut zen = Vec::new();
    let mut agree = 0;
    for _ in 0..zen_samples {
        let (t, (_, eligible)) = time_async(top50(&decisions[0], &facts)).await;
        zen.push(t);
        agree = eligible;
    }
    row(
        "selective product, top 50",
        engine,
        Some(median(zen)),
        &format!(
            "zen-engine: every enterprise evaluated; {agree} eligible (engine: {})",
            pairs.get(&selective.id).map_or(0, Vec::len)
        ),
    );
    let park = index
        .matches(selective.id, &top)
        .and_then(|page| page.items.first().map(|(_, e)| e.uscc))
        .and_then(|u| holdings.iter().find(|h| h.enterprise.uscc == u))
        .map(|h| h.enterprise.park.clone());
    let in_park: Vec<(usize, Variable)> = facts
        .iter()
        .filter(|(i, _)| park.as_ref() == Some(&holdings[*i].enterprise.park))
        .cloned()
        .collect();
    let q = MatchQuery {
        park: park.clone(),
        ..top.clone()
    };
    let engine = stats(
        (0..samples)
            .map(|_| time(|| index.matches(selective.id, &q)).0)
            .collect(),
    );
    let mut zen = Vec::new();
    for _ in 0..zen_samples {
        zen.push(time_async(top50(&decisions[0], &in_park)).await.0);
    }
    row(
        "selective product, top 50, one park",
        engine,
        Some(median(zen)),
        &format!("zen-engine: the park's {} enterprises evaluated", in_park.len()),
    );
    let mut rng = Rng(11);
    let mut every = Vec::new();
    for _ in 0..2 {
        every.extend(
            products
                .iter()
                .map(|p| time(|| index.matches(p.id, &top)).0),
        );
    }
    let mut zen = Vec::new();
    let (mut zen_eligible, mut engine_eligible) = (0, 0);
    for _ in 0..zen_samples {
        let i = rng.below(products.len() as u64) as usize;
        let (t, (_, eligible)) = time_async(top50(&decisions[i], &facts)).await;
        zen.push(t);
        zen_eligible += eligible;
        engine_eligible += pairs.get(&products[i].id).map_or(0, Vec::len);
    }
    row(
        "every product, top 50",
        stats(every),
        Some(median(zen)),
        &format!(
            "each product twice; zen-engine: {zen_samples} products drawn at random, {zen_eligible} eligible (engine: {engine_eligible})"
        ),
    );
    let by_credit = MatchQuery {
        sort: SortBy::CreditLine,
        listed_only: true,
        ..top.clone()
    };
    let mut every = Vec::new();
    for _ in 0..2 {
        every.extend(
            products
                .iter()
                .map(|p| time(|| index.matches(p.id, &by_credit)).0),
        );
    }
    row(
        "every product, top 50 by credit line, listed only",
        stats(every),
        None,
        "what a bank's page asks",
    );
    let picks: Vec<usize> = (0..samples).map(|_| rng.below(n as u64) as usize).collect();
    let engine = stats(
        picks
            .iter()
            .map(|i| time(|| index.standings(&holdings[*i].enterprise.uscc, true)).0)
            .collect(),
    );
    let mut zen = Vec::new();
    for i in picks.iter().take(50) {
        let f = &facts[*i].1;
        zen.push(
            time_async(async {
                for d in &decisions {
                    decide(d, f).await;
                }
            })
            .await
            .0,
        );
    }
    let zen_view = median(zen);
    row(
        "one enterprise × every product",
        engine,
        Some(zen_view),
        "eligibility of every product, credit line and score of the eligible; zen-engine: every table, eligibility and credit line",
    );
    let engine = stats(
        picks
            .iter()
            .take(samples / 4)
            .map(|i| time(|| index.enterprise_view(&holdings[*i].enterprise.uscc, true)).0)
            .collect(),
    );
    row(
        "one enterprise × every product, with every reason",
        engine,
        Some(zen_view),
        "every product explained in full (zen-engine gives no reasons)",
    );
    let changed: Vec<Holding> = (0..samples)
        .map(|_| with_first_patent_flipped(&holdings[rng.below(n as u64) as usize]))
        .collect();
    let timed: Vec<Duration> = changed
        .iter()
        .map(|h| time(|| index.upsert_enterprise(h)).0)
        .collect();
    if std::env::var("PLEDGE_BENCH_SLOWEST").is_ok() {
        let mut by_time: Vec<(Duration, &Holding)> = timed.iter().copied().zip(&changed).collect();
        by_time.sort_by_key(|(t, _)| std::cmp::Reverse(*t));
        for (t, h) in by_time.iter().take(12).chain(by_time.iter().skip(by_time.len() / 2).take(3)) {
            let eligible = index.standings(&h.enterprise.uscc, true).map_or(0, |v| v.iter().filter(|s| s.eligible).count());
            eprintln!("{t:?}: {} patents, {} trademarks, listed {}, eligible for {eligible}", h.patents.len(), h.trademarks.len(), h.listed);
        }
    }
    let engine = stats(timed);
    let mut zen = Vec::new();
    for h in changed.iter().take(50) {
        zen.push(
            time_async(async {
                let f = Variable::from(facts_of(h, as_of));
                for d in &decisions {
                    decide(d, &f).await;
                }
            })
            .await
            .0,
        );
    }
    row(
        "one patent change, with gained/lost pairs",
        engine,
        Some(median(zen)),
        "zen-engine: facts recomputed, every table evaluated",
    );
}
