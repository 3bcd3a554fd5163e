//! The index kept on disk: written, changed behind it, read back and caught up, it answers
//! exactly as an index built afresh from the store; a file of another day, of another database
//! or damaged is not used, and the index is built instead.

use chrono::{DateTime, NaiveDate, Utc};
use pledge_domain::{ProductStatus, RiskFlag, RiskFlagKind, Uscc};
use pledge_matching::{MatchQuery, SortBy};
use pledge_service::loaders::demo;
use pledge_service::testing::{Backend, TestDatabase};
use pledge_service::{Context, LiveIndex, Service, Snapshots};

pub(crate) fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 27).expect("day")
}

pub(crate) fn now() -> DateTime<Utc> {
    day().and_hms_opt(2, 0, 0).expect("time").and_utc()
}

/// A snapshot path in a directory of its own (removed with the returned guard).
pub(crate) fn snapshots() -> (Snapshots, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("dir");
    let files = Snapshots {
        path: dir.path().join("index.snapshot"),
        every: std::time::Duration::from_secs(600),
    };
    (files, dir)
}

/// Every answer of `a` equals `b`'s: the match table, each product's pages in both orders
/// with and without unlisted enterprises, every enterprise's standings and full view, and the
/// catalogue.
pub(crate) fn same_answers(a: &LiveIndex, b: &LiveIndex) {
    let (a, b) = (a.read(), b.read());
    assert_eq!(
        a.index.eligible_pairs(),
        b.index.eligible_pairs(),
        "match table"
    );
    assert_eq!(a.names, b.names, "names");
    let mut ids: Vec<&i64> = a.products.keys().collect();
    ids.sort();
    let mut other: Vec<&i64> = b.products.keys().collect();
    other.sort();
    assert_eq!(ids, other, "catalogue");
    for id in ids {
        for sort in [SortBy::Score, SortBy::CreditLine] {
            for listed_only in [false, true] {
                let mut q = MatchQuery {
                    sort,
                    listed_only,
                    limit: 7,
                    ..MatchQuery::default()
                };
                loop {
                    let (pa, pb) = (a.index.matches(*id, &q), b.index.matches(*id, &q));
                    let (Some(pa), Some(pb)) = (pa, pb) else {
                        assert!(
                            a.index.product(*id).is_none() && b.index.product(*id).is_none(),
                            "product {id} in one index only"
                        );
                        break;
                    };
                    assert_eq!(pa.items, pb.items, "product {id} page");
                    assert_eq!(pa.total, pb.total, "product {id} total");
                    assert_eq!(pa.next, pb.next, "product {id} next");
                    match pa.next {
                        Some(k) => q.after = Some(k),
                        None => break,
                    }
                }
            }
        }
    }
    let usccs: Vec<Uscc> = a.names.keys().copied().collect();
    for u in &usccs {
        assert_eq!(
            a.index.standings(u, true),
            b.index.standings(u, true),
            "standings of {u}"
        );
        assert_eq!(
            a.index.enterprise_view(u, true),
            b.index.enterprise_view(u, true),
            "view of {u}"
        );
    }
}

async fn a_snapshot_caught_up_equals_a_fresh_build(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let store = db.store().await;
    let service = Service::on(store.clone(), crate::clock_on(day()))
        .await
        .expect("service");
    demo::load(&service, day()).await.expect("demo");
    let (files, _dir) = snapshots();

    let (first, used) = LiveIndex::load_kept(&store, day(), files.clone(), now())
        .await
        .expect("first start");
    assert!(!used, "no file yet: built from the store");
    first.write_snapshot(now()).await;
    assert!(files.path.exists(), "written after the build");

    // Changes behind the file's back: an enterprise flagged, a product withdrawn, another's
    // rules changed.
    let cx = Context::command_line_on("tester", day());
    let pairs = first.read().index.eligible_pairs();
    let (flagged, _) = pairs
        .iter()
        .find_map(|(id, list)| list.first().map(|u| (*u, *id)))
        .expect("an eligible pair");
    let e = store
        .enterprise(&flagged)
        .await
        .expect("read")
        .expect("one");
    let mut changed = e.value.clone();
    changed.risk_flags.push(RiskFlag {
        kind: RiskFlagKind::DishonestDebtor,
        recorded_on: day(),
    });
    service
        .update_enterprise(&cx, changed, e.version)
        .await
        .expect("flag");
    let products = store.products(None).await.expect("products");
    let published: Vec<_> = products
        .iter()
        .filter(|p| p.status == ProductStatus::Published)
        .collect();
    assert!(published.len() >= 2, "two published demo products");
    service
        .set_product_status(
            &cx,
            published[0].id,
            published[0].version,
            ProductStatus::Withdrawn,
            Some("测试".into()),
        )
        .await
        .expect("withdraw");
    let mut rules = published[1].rules.clone();
    rules.min_years_in_operation = rules.min_years_in_operation.saturating_add(2);
    service
        .update_product(&cx, published[1].id, published[1].version, rules, true)
        .await
        .expect("change rules");

    let (back, used) = LiveIndex::load_kept(&store, day(), files.clone(), now())
        .await
        .expect("second start");
    assert!(used, "the file is read");
    let fresh = LiveIndex::load(&store, day()).await.expect("fresh build");
    assert_ne!(
        first.read().index.eligible_pairs(),
        fresh.read().index.eligible_pairs(),
        "the changes moved pairs, so catching up had something to do"
    );
    same_answers(&back, &fresh);

    // Another day: not used, built instead, and it answers as a fresh build of that day.
    let tomorrow = day().succ_opt().expect("tomorrow");
    let (other_day, used) = LiveIndex::load_kept(&store, tomorrow, files.clone(), now())
        .await
        .expect("next day");
    assert!(!used, "a file of another day is not read");
    same_answers(
        &other_day,
        &LiveIndex::load(&store, tomorrow).await.expect("fresh"),
    );
    other_day.write_snapshot(now()).await;

    // Older than a day: not used.
    let later = now() + chrono::Duration::hours(25);
    let (stale, used) = LiveIndex::load_kept(&store, tomorrow, files.clone(), later)
        .await
        .expect("stale");
    assert!(!used, "a file older than a day is not read");
    // Built instead, it writes the file anew in the background: let that finish first.
    stale.write_snapshot(later).await;

    // Damaged: one byte flipped in the body.
    let mut bytes = std::fs::read(&files.path).expect("file");
    let at = bytes.len() / 3;
    bytes[at] ^= 0x40;
    std::fs::write(&files.path, &bytes).expect("damage");
    let (damaged, used) = LiveIndex::load_kept(&store, tomorrow, files.clone(), now())
        .await
        .expect("damaged");
    assert!(!used, "a damaged file is not read");
    same_answers(
        &damaged,
        &LiveIndex::load(&store, tomorrow).await.expect("fresh"),
    );

    // Of another database: not used.
    damaged.write_snapshot(now()).await;
    let elsewhere = TestDatabase::create(backend).await;
    let (_, used) = LiveIndex::load_kept(&elsewhere.store().await, tomorrow, files, now())
        .await
        .expect("another database");
    assert!(!used, "a file of another database is not read");
}

#[tokio::test]
async fn a_snapshot_caught_up_equals_a_fresh_build_sqlite() {
    a_snapshot_caught_up_equals_a_fresh_build(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set PLEDGE_TEST_POSTGRES_URL and run with --include-ignored"]
async fn a_snapshot_caught_up_equals_a_fresh_build_postgres() {
    a_snapshot_caught_up_equals_a_fresh_build(Backend::Postgres).await;
}
