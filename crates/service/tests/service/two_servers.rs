//! Two servers on one database: a token revoked on one stops working on the other once the
//! other has followed the commit, though the other remembered the caller. On SQLite the
//! follower polls; on PostgreSQL it is woken by the commit's announcement (its poll is set to a
//! minute here, longer than the test waits, so only the announcement can make it pass).

use chrono::{NaiveDate, Utc};
use pledge_service::testing::{Backend, TestDatabase};
use pledge_service::{Context, Role, Service, ServiceError};
use std::time::Duration;

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 27).expect("day")
}

/// Polls `check` every 10 ms for up to five seconds.
async fn eventually(mut check: impl AsyncFnMut() -> bool) -> bool {
    for _ in 0..500 {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

async fn a_revocation_reaches_the_other_server(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let one = Service::on(db.store().await, crate::clock_on(day()))
        .await
        .expect("one");
    let two = Service::on(db.store().await, crate::clock_on(day()))
        .await
        .expect("two");
    two.spawn_follower(match backend {
        Backend::Sqlite => Duration::from_millis(20),
        Backend::Postgres => Duration::from_secs(60),
    });
    let office = Context::command_line_on("test", day());
    let (record, token) = one
        .create_token(&office, "银行经办人", Role::Office, None, None)
        .await
        .expect("token");
    // The other server knows the caller, and keeps it in memory.
    assert!(two.authenticate(&token, Utc::now()).await.is_ok());
    assert!(two.authenticate(&token, Utc::now()).await.is_ok());

    one.revoke_token(&office, record.id).await.expect("revoke");
    // The server that revoked it refuses it at once.
    assert!(matches!(
        one.authenticate(&token, Utc::now()).await,
        Err(ServiceError::Unauthorized)
    ));
    assert!(
        eventually(async || matches!(
            two.authenticate(&token, Utc::now()).await,
            Err(ServiceError::Unauthorized)
        ))
        .await,
        "the other server still takes the revoked token"
    );
}

#[tokio::test]
async fn a_revocation_reaches_the_other_server_sqlite() {
    a_revocation_reaches_the_other_server(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set PLEDGE_TEST_POSTGRES_URL and run with --include-ignored"]
async fn a_revocation_reaches_the_other_server_postgres() {
    a_revocation_reaches_the_other_server(Backend::Postgres).await;
}
