//! Events drawn from the change feed by several servers at once: each stretch of the feed is
//! written once, by whichever server comes first, and the other learns it without an error.

use chrono::Utc;
use pledge_store::testing::{Backend, TestDatabase};
use pledge_store::{EVENT_MATCH_GAINED, FeedPosition, NewEvent, Store};
use serde_json::json;

/// How many stretches the two servers race for.
const ROUNDS: i64 = 20;

async fn two_servers_draw_each_stretch_once(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let (a, b) = (db.store().await, db.store().await);
    let draw = |store: Store, round: i64| async move {
        let event = NewEvent {
            bank: None,
            event: EVENT_MATCH_GAINED,
            payload: json!({ "round": round }),
        };
        let upto = FeedPosition {
            commit: round,
            record: 0,
        };
        store.enqueue_drawn(Utc::now(), upto, vec![event]).await
    };
    for round in 1..=ROUNDS {
        let (first, second) = tokio::join!(
            tokio::spawn(draw(a.clone(), round)),
            tokio::spawn(draw(b.clone(), round))
        );
        let first = first
            .expect("joined")
            .expect("the first server drew without an error");
        let second = second
            .expect("joined")
            .expect("the second server drew without an error");
        assert!(
            first ^ second,
            "round {round}: exactly one server writes the stretch (first {first}, second {second})"
        );
    }
    let written = a
        .count("SELECT COUNT(*) FROM outbox")
        .await
        .expect("counted");
    assert_eq!(written, ROUNDS, "one event per stretch, none twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    two_servers_draw_each_stretch_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set PLEDGE_TEST_POSTGRES_URL and run with --include-ignored"]
async fn postgres() {
    two_servers_draw_each_stretch_once(Backend::Postgres).await;
}
