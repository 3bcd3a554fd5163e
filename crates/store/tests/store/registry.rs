//! The store against real databases: SQLite always, PostgreSQL when
//! `PLEDGE_TEST_POSTGRES_URL` is set. Every test runs on both.

use chrono::NaiveDate;
use pledge_domain::{Actor, Role};
use pledge_domain::{
    Enterprise, IndustryCode, LegalStatus, ParkCode, Patent, PatentApplicationNumber, RegionCode,
    SizeClass, Text, Uscc,
};
use pledge_store::testing::{Backend, TestDatabase};
use pledge_store::{AuditFilter, EnterpriseFilter, ParkRecord, Store, StoreError, Upserted};

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                use super::*;

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let db = TestDatabase::create(Backend::Sqlite).await;
                    super::$name(db.store().await).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = "needs PostgreSQL: set PLEDGE_TEST_POSTGRES_URL and run with --include-ignored"]
                async fn postgres() {
                    let db = TestDatabase::create(Backend::Postgres).await;
                    super::$name(db.store().await).await;
                }
            }
        )*
    };
}

on_both!(
    migrations_are_idempotent,
    a_newer_build_s_database_is_refused,
    every_change_has_one_audit_record,
    a_duplicate_changes_nothing,
    a_stale_version_changes_nothing,
    racing_writers_exactly_one_wins,
    patents_upsert_by_canonical_number,
    park_scope_is_enforced_in_the_transaction,
    revoked_tokens_stop_working,
    listings_page_without_gaps,
    old_stand_ins_become_marked_pledges,
);

/// Rows written before a marked pledge was its own state carried a stand-in number and the
/// import's day: migration 7 turns them into marked pledges, with no number or date.
async fn old_stand_ins_become_marked_pledges(store: Store) {
    let p = park(&store, "xxhtz").await;
    store
        .create_enterprise(&actor(), enterprise(1, &p))
        .await
        .expect("created");
    for (number, registration, on) in [
        (
            "201710601862.3",
            pledge_migrations::PLEDGE_STAND_IN,
            d(2026, 11, 1),
        ),
        ("201810601862.8", "Y2026410000123", d(2026, 10, 1)),
    ] {
        let mut p = patent(&uscc(1), number);
        p.pledges = vec![pledge_domain::PledgeRegistration::registered(
            registration.into(),
            on,
            None,
        )];
        store
            .upsert_patent(&actor(), p, None, None)
            .await
            .expect("written as an earlier import wrote it");
    }
    pledge_migrations::mark_stand_ins(store.connection())
        .await
        .expect("migrated");
    let number = PatentApplicationNumber::parse("201710601862.3").expect("number");
    let (marked, _) = store.patent(&number).await.expect("read").expect("there");
    assert_eq!(
        marked.value.pledges,
        [pledge_domain::PledgeRegistration::marked()],
        "no number and no date made up"
    );
    assert!(
        marked.value.is_pledged(d(2026, 12, 1)),
        "still out of bundles"
    );
    let number = PatentApplicationNumber::parse("201810601862.8").expect("number");
    let (kept, _) = store.patent(&number).await.expect("read").expect("there");
    assert!(
        kept.value.pledges.iter().all(|p| p.is_registered()) && kept.value.ever_pledged(),
        "a registered pledge is left as it is"
    );
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("test date")
}

fn actor() -> Actor {
    Actor::cli_on(
        "test",
        chrono::NaiveDate::from_ymd_opt(2026, 11, 27).expect("date"),
    )
}

fn uscc(i: u32) -> Uscc {
    Uscc::from_body(&format!("91410702MA{i:07}")).expect("valid body")
}

async fn park(store: &Store, code: &str) -> ParkCode {
    let code = ParkCode::parse(code).expect("valid");
    store
        .create_park(
            &actor(),
            ParkRecord {
                code: code.clone(),
                name: Text::parse("新乡高新区", 2, 100).expect("valid"),
                region: RegionCode::parse("410702").expect("valid"),
            },
        )
        .await
        .expect("park created");
    code
}

fn enterprise(i: u32, park: &ParkCode) -> Enterprise {
    Enterprise {
        uscc: uscc(i),
        name: Text::parse(&format!("新乡市测试{i}机械有限公司"), 2, 100).expect("valid"),
        former_names: Vec::new(),
        park: park.clone(),
        region: RegionCode::parse("410702").expect("valid"),
        industry: IndustryCode::parse("C3421").expect("valid"),
        strategic_industry: None,
        founded_on: d(2015, 5, 1),
        size: SizeClass::Small,
        qualifications: vec![],
        risk_flags: vec![],
        financing_need: None,
        contact: None,
        contact_consent: false,
    }
}

fn patent(owner: &Uscc, number: &str) -> Patent {
    let number = PatentApplicationNumber::parse(number).expect("valid");
    Patent {
        filing_date: d(number.filing_year(), 3, 5),
        grant_date: Some(d(number.filing_year() + 1, 6, 1)),
        application_number: number,
        title: Text::parse("一种数控机床主轴冷却装置", 1, 200).expect("valid"),
        owner: *owner,
        co_owners: vec![],
        co_owners_consent: None,
        legal_status: LegalStatus::InForce,
        annual_fee_paid_until: Some(d(2027, 3, 4)),
        pledges: Vec::new(),
        transferred_out_to: None,
        ipc_main: None,
        publication_number: None,
        high_value: Default::default(),
        same_day_double_filing: false,
        appraisals: vec![],
    }
}

async fn audit_count(store: &Store, entity: &str) -> usize {
    let filter = AuditFilter {
        entity: Some(entity.into()),
        ..Default::default()
    };
    store
        .audit_log(&filter, None, 500)
        .await
        .expect("audit")
        .items
        .len()
}

async fn migrations_are_idempotent(store: Store) {
    store
        .migrate(chrono::DateTime::UNIX_EPOCH)
        .await
        .expect("second migration is a no-op");
    let (a, b) = tokio::join!(
        store.migrate(chrono::DateTime::UNIX_EPOCH),
        store.migrate(chrono::DateTime::UNIX_EPOCH)
    );
    a.expect("concurrent migration");
    b.expect("concurrent migration");
    let p = park(&store, "xxhtz").await;
    assert_eq!(
        store.park(&p).await.expect("read").map(|r| r.value.code),
        Some(p)
    );
}

/// Every migration is recorded once, under its file's name; a database that records one this
/// build does not know (a newer build's) is refused, and nothing is applied or recorded.
async fn a_newer_build_s_database_is_refused(store: Store) {
    let recorded = "SELECT COUNT(*) FROM seaql_migrations";
    let known = i64::try_from(pledge_migrations::MIGRATIONS.len()).expect("a few");
    assert_eq!(store.count(recorded).await.expect("counted"), known);
    assert_eq!(
        store
            .count(
                "SELECT COUNT(*) FROM seaql_migrations WHERE version = 'm20261127_000001_registry'"
            )
            .await
            .expect("counted"),
        1
    );
    use sea_orm::ConnectionTrait;
    store
        .connection()
        .execute_unprepared(
            "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m20991231_000099_future', 0)",
        )
        .await
        .expect("recorded as a newer build would");
    let refused = store
        .migrate(chrono::DateTime::UNIX_EPOCH)
        .await
        .expect_err("refused");
    assert!(
        refused.to_string().contains("m20991231_000099_future"),
        "{refused}"
    );
    assert_eq!(store.count(recorded).await.expect("counted"), known + 1);
}

async fn every_change_has_one_audit_record(store: Store) {
    let p = park(&store, "xxhtz").await;
    let rec = store
        .create_enterprise(&actor(), enterprise(1, &p))
        .await
        .expect("created");
    let mut changed = rec.value.clone();
    changed.name = Text::parse("新乡市改名机械有限公司", 2, 100).expect("valid");
    let updated = store
        .update_enterprise(&actor(), changed.clone(), rec.version)
        .await
        .expect("updated");
    assert_eq!(updated.version, rec.version + 1);
    let unchanged = store
        .update_enterprise(&actor(), changed, updated.version)
        .await
        .expect("no-op update");
    assert_eq!(
        unchanged.version, updated.version,
        "an update that changes nothing keeps the version"
    );
    let log = store
        .audit_log(
            &AuditFilter {
                entity: Some("enterprise".into()),
                ..Default::default()
            },
            None,
            50,
        )
        .await
        .expect("audit");
    let actions: Vec<&str> = log.items.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, vec!["create", "update"]);
    let before = log.items[1].before.as_ref().expect("before");
    let after = log.items[1].after.as_ref().expect("after");
    assert_eq!(before["name"], "新乡市测试1机械有限公司");
    assert_eq!(after["name"], "新乡市改名机械有限公司");
    assert_eq!(log.items[1].actor, "cli:test");
}

async fn a_duplicate_changes_nothing(store: Store) {
    let p = park(&store, "xxhtz").await;
    store
        .create_enterprise(&actor(), enterprise(1, &p))
        .await
        .expect("created");
    let mut again = enterprise(1, &p);
    again.name = Text::parse("另一家公司", 2, 100).expect("valid");
    let err = store
        .create_enterprise(&actor(), again)
        .await
        .expect_err("duplicate USCC");
    assert!(
        matches!(
            err,
            StoreError::Duplicate {
                entity: "enterprise",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(audit_count(&store, "enterprise").await, 1);
    let stored = store
        .enterprise(&uscc(1))
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(stored.value.name.as_str(), "新乡市测试1机械有限公司");
    let dup_park = store
        .create_park(
            &actor(),
            ParkRecord {
                code: p.clone(),
                name: Text::parse("重复", 2, 100).expect("valid"),
                region: RegionCode::parse("410702").expect("valid"),
            },
        )
        .await;
    assert!(matches!(
        dup_park,
        Err(StoreError::Duplicate { entity: "park", .. })
    ));
}

/// The version a stale write of `e` (read at version 1) is told is stored now.
async fn stale_write_sees(store: &Store, mut e: Enterprise) -> i64 {
    e.size = SizeClass::Large;
    match store.update_enterprise(&actor(), e, 1).await {
        Err(StoreError::VersionConflict {
            expected: 1,
            current,
            ..
        }) => current,
        other => panic!("a stale write: {other:?}"),
    }
}

async fn a_stale_version_changes_nothing(store: Store) {
    let p = park(&store, "xxhtz").await;
    let rec = store
        .create_enterprise(&actor(), enterprise(1, &p))
        .await
        .expect("created");
    let mut first = rec.value.clone();
    first.size = SizeClass::Medium;
    store
        .update_enterprise(&actor(), first, rec.version)
        .await
        .expect("first update");
    assert_eq!(stale_write_sees(&store, rec.value.clone()).await, 2);
    let stored = store
        .enterprise(&uscc(1))
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(stored.value.size, SizeClass::Medium);
    assert_eq!(stored.version, 2);
    assert_eq!(audit_count(&store, "enterprise").await, 2);

    // Moved twice since it was read: the conflict names the version stored, not a guess.
    let mut second = stored.value.clone();
    second.size = SizeClass::Small;
    store
        .update_enterprise(&actor(), second, 2)
        .await
        .expect("second update");
    assert_eq!(stale_write_sees(&store, rec.value.clone()).await, 3);
}

async fn racing_writers_exactly_one_wins(store: Store) {
    let p = park(&store, "xxhtz").await;
    let rec = store
        .create_enterprise(&actor(), enterprise(1, &p))
        .await
        .expect("created");
    let mut tasks = Vec::new();
    for i in 0..6u32 {
        let store = store.clone();
        let mut e = rec.value.clone();
        e.name = Text::parse(&format!("并发写入{i}有限公司"), 2, 100).expect("valid");
        tasks.push(tokio::spawn(async move {
            store
                .update_enterprise(
                    &Actor::cli_on(
                        "racer",
                        chrono::NaiveDate::from_ymd_opt(2026, 11, 27).expect("date"),
                    ),
                    e,
                    1,
                )
                .await
        }));
    }
    let mut wins = 0;
    for t in tasks {
        match t.await.expect("task") {
            Ok(r) => {
                wins += 1;
                assert_eq!(r.version, 2);
            }
            Err(StoreError::VersionConflict { .. }) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(wins, 1);
    assert_eq!(
        store
            .enterprise(&uscc(1))
            .await
            .expect("read")
            .expect("exists")
            .version,
        2
    );
    assert_eq!(audit_count(&store, "enterprise").await, 2);
}

async fn patents_upsert_by_canonical_number(store: Store) {
    let p = park(&store, "xxhtz").await;
    store
        .create_enterprise(&actor(), enterprise(1, &p))
        .await
        .expect("created");
    let (rec, what) = store
        .upsert_patent(&actor(), patent(&uscc(1), "ZL2017106018623"), None, None)
        .await
        .expect("created");
    assert_eq!(what, Upserted::Created);
    assert_eq!(rec.value.application_number.as_str(), "201710601862.3");
    let same = patent(&uscc(1), "２０１７１０６０１８６２．３");
    let err = store
        .upsert_patent(&actor(), same.clone(), None, None)
        .await
        .expect_err("needs version");
    assert!(matches!(err, StoreError::VersionRequired { .. }), "{err:?}");
    let (_, what) = store
        .upsert_patent(&actor(), same.clone(), Some(1), None)
        .await
        .expect("unchanged");
    assert_eq!(what, Upserted::Unchanged);
    let mut lapsed = same;
    lapsed.legal_status = LegalStatus::LapsedUnpaidFee;
    let (rec, what) = store
        .upsert_patent(&actor(), lapsed, Some(1), None)
        .await
        .expect("updated");
    assert_eq!((what, rec.version), (Upserted::Updated, 2));
    assert_eq!(audit_count(&store, "patent").await, 2);
    let unknown_owner = patent(&uscc(99), "201810601862.8");
    assert!(
        matches!(store.upsert_patent(&actor(), unknown_owner, None, None).await, Err(StoreError::Invalid(v)) if v[0].field == "owner")
    );
}

async fn park_scope_is_enforced_in_the_transaction(store: Store) {
    let mine = park(&store, "xxhtz").await;
    let other = park(&store, "hqkfq").await;
    store
        .create_enterprise(&actor(), enterprise(1, &mine))
        .await
        .expect("created");
    store
        .create_enterprise(&actor(), enterprise(2, &other))
        .await
        .expect("created");
    let foreign = patent(&uscc(2), "201710601862.3");
    let err = store
        .upsert_patent(&actor(), foreign, None, Some(&mine))
        .await
        .expect_err("other park");
    assert!(
        matches!(&err, StoreError::Invalid(v) if v[0].field == "owner"),
        "another park's enterprise is an unknown owner: {err:?}"
    );
    assert_eq!(audit_count(&store, "patent").await, 0);
    store
        .upsert_patent(
            &actor(),
            patent(&uscc(1), "201710601862.3"),
            None,
            Some(&mine),
        )
        .await
        .expect("own park");
    let moved = patent(&uscc(2), "201710601862.3");
    let err = store
        .upsert_patent(&actor(), moved, Some(1), Some(&other))
        .await
        .expect_err("cannot take another park's patent");
    assert!(
        matches!(
            err,
            StoreError::Duplicate {
                entity: "patent",
                ..
            }
        ),
        "a number registered in another park is taken, whoever holds it: {err:?}"
    );
}

async fn revoked_tokens_stop_working(store: Store) {
    let p = park(&store, "xxhtz").await;
    let (rec, secret) = store
        .create_token(&actor(), "张科长", Role::Park, Some(&p), None)
        .await
        .expect("token");
    assert!(secret.starts_with(&rec.prefix));
    let who = store
        .authenticate(&secret)
        .await
        .expect("auth")
        .expect("live");
    assert_eq!(
        (who.role, who.park.map(|(_, c)| c)),
        (Role::Park, Some(p.clone()))
    );
    assert!(
        store
            .authenticate(&format!("{secret}x"))
            .await
            .expect("auth")
            .is_none()
    );
    store.revoke_token(&actor(), rec.id).await.expect("revoked");
    assert!(store.authenticate(&secret).await.expect("auth").is_none());
    let missing_park = store
        .create_token(&actor(), "no park", Role::Park, None, None)
        .await;
    assert!(matches!(missing_park, Err(StoreError::Invalid(v)) if v[0].field == "park"));
    let stored: Vec<String> = store
        .list_tokens()
        .await
        .expect("list")
        .into_iter()
        .map(|t| t.prefix)
        .collect();
    assert!(
        stored.iter().all(|p| !secret.eq(p)),
        "the secret is never stored or listed"
    );
}

async fn listings_page_without_gaps(store: Store) {
    let p = park(&store, "xxhtz").await;
    for i in 1..=5 {
        store
            .create_enterprise(&actor(), enterprise(i, &p))
            .await
            .expect("created");
    }
    let filter = EnterpriseFilter {
        park: Some(p),
        ..Default::default()
    };
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .list_enterprises(&filter, after, 2)
            .await
            .expect("page");
        assert!(page.items.len() <= 2);
        seen.extend(page.items.into_iter().map(|e| e.value.uscc));
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    assert_eq!(seen, (1..=5).map(uscc).collect::<Vec<_>>());
    let none = store
        .list_enterprises(
            &EnterpriseFilter {
                industry_prefix: Some("C27".into()),
                ..Default::default()
            },
            None,
            10,
        )
        .await
        .expect("page");
    assert!(none.items.is_empty());
}
