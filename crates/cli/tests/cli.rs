//! The `pledge` binary itself: token management and the demo data set, on SQLite and, when
//! `PLEDGE_TEST_POSTGRES_URL` is set, on PostgreSQL.

use pledge_store::testing::{Backend, TestDatabase};
use std::process::Command;

fn pledge(url: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pledge"))
        .args(args)
        .env("PLEDGE_DATABASE_URL", url)
        .env("PLEDGE_TOKEN_KEY", "test-key")
        .env_remove("RUST_LOG")
        .output()
        .expect("run pledge");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn tokens_are_printed_once_and_revoked(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else {
        return;
    };
    let (ok, out, err) = pledge(
        &db.url,
        &["token", "create", "--role", "admin", "--name", "运维"],
    );
    assert!(ok, "{err}");
    let token = out.lines().last().expect("a last line").to_owned();
    assert!(
        token.starts_with("plg_") && !token.contains(' '),
        "the token alone on the last line: {out}"
    );
    let store = db.store().await;
    let who = store
        .authenticate(&token)
        .await
        .expect("auth")
        .expect("live");
    let (ok, _, err) = pledge(&db.url, &["token", "revoke", &who.token_id.to_string()]);
    assert!(ok, "{err}");
    assert!(store.authenticate(&token).await.expect("auth").is_none());
    let (ok, _, err) = pledge(
        &db.url,
        &[
            "token", "create", "--role", "park", "--park", "nowhere", "--name", "x",
        ],
    );
    assert!(!ok);
    assert!(err.contains("park"), "{err}");
}

async fn the_demo_loads_once(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else {
        return;
    };
    let (ok, first, err) = pledge(&db.url, &["demo"]);
    assert!(ok, "{err}");
    assert!(
        first.contains("added 5 parks, 3 banks, 300 enterprises"),
        "{first}"
    );
    let (ok, second, err) = pledge(&db.url, &["demo"]);
    assert!(ok, "{err}");
    assert_eq!(
        second.trim(),
        "added 0 parks, 0 banks, 0 enterprises, 0 patents, 0 trademarks, 0 appraisals, 0 white-list entries, 0 loan products"
    );
    assert!(first.contains("4 loan products"), "{first}");
    let store = db.store().await;
    let page = store
        .list_enterprises(&Default::default(), None, 500)
        .await
        .expect("list");
    assert_eq!(page.items.len(), 300);
    let flagged = page
        .items
        .iter()
        .filter(|e| !e.value.risk_flags.is_empty())
        .count();
    assert!(
        (1..=30).contains(&flagged),
        "a few risk flags, not none and not many: {flagged}"
    );
}

#[tokio::test]
async fn tokens_on_sqlite() {
    tokens_are_printed_once_and_revoked(Backend::Sqlite).await;
}

#[tokio::test]
async fn tokens_on_postgres() {
    tokens_are_printed_once_and_revoked(Backend::Postgres).await;
}

#[tokio::test]
async fn demo_on_sqlite() {
    the_demo_loads_once(Backend::Sqlite).await;
}

#[tokio::test]
async fn demo_on_postgres() {
    the_demo_loads_once(Backend::Postgres).await;
}

#[test]
fn templates_are_written_and_read_back() {
    let dir = std::env::temp_dir().join(format!("pledge-template-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("patents.xlsx");
    let (ok, out, err) = pledge(
        "sqlite::memory:",
        &["template", "patents", "--out", path.to_str().expect("path")],
    );
    assert!(ok, "{err}");
    assert_eq!(out.trim(), path.display().to_string());
    let bytes = std::fs::read(&path).expect("written");
    let tables = pledge_ledger::read_xlsx(&bytes).expect("a workbook");
    assert_eq!(tables[0].sheet, "专利清单");
    let layout = pledge_ledger::layout(&tables[0], pledge_ledger::SheetKind::Patents);
    assert!(
        layout.missing.is_empty() && layout.unknown.is_empty(),
        "{layout:?}"
    );
    let (ok, _, err) = pledge("sqlite::memory:", &["template", "loans"]);
    assert!(!ok && err.contains("loans"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
