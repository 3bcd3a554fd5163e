//! A model-based property test of the white-list lifecycle on a real database: random
//! sequences of nominations, transitions and publications by random actors are applied to the
//! store and to a plain model; after every step the two must agree, the store must never hold
//! a state the lifecycle forbids, a nominator must never approve, and every successful step
//! must have left exactly one audit record per entry it moved.

use chrono::NaiveDate;
use pledge_domain::Actor;
use pledge_domain::{
    Enterprise, EntryStatus, IndustryCode, LegalStatus, ParkCode, Patent, PatentApplicationNumber,
    ReasonCode, RegionCode, SizeClass, Text, Transition, Uscc,
};
use pledge_store::testing::{Backend, TestDatabase};
use pledge_store::{AuditFilter, EntryFilter, ParkRecord, Store, StoreError, TransitionRequest};
use proptest::prelude::*;

const TODAY: (i32, u32, u32) = (2026, 11, 27);

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(TODAY.0, TODAY.1, TODAY.2).expect("date")
}

/// (token id, holder, park index): two admins, two park officials, and an admin token held by
/// the same person as the first park official.
const ACTORS: [(i64, &str, Option<usize>); 5] = [
    (1, "a", None),
    (2, "b", None),
    (3, "x", Some(0)),
    (4, "y", Some(1)),
    (5, "x", None),
];
/// Enterprises: (park index, holds a valid invention patent).
const ENTERPRISES: [(usize, bool); 4] = [(0, true), (0, true), (1, false), (1, true)];
const PARKS: [&str; 2] = ["xxhtz", "hqkfq"];
const STEPS: [Transition; 5] = [
    Transition::Approve,
    Transition::Reject,
    Transition::Suspend,
    Transition::Reinstate,
    Transition::Remove,
];

#[derive(Debug, Clone)]
enum Op {
    Nominate {
        actor: usize,
        enterprise: usize,
    },
    Step {
        actor: usize,
        entry: usize,
        step: usize,
        stale: bool,
        with_override: bool,
    },
    Publish {
        stale: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..5usize, 0..4usize).prop_map(|(actor, enterprise)| Op::Nominate { actor, enterprise }),
        6 => (0..5usize, 0..6usize, 0..5usize, prop::bool::weighted(0.15), any::<bool>())
            .prop_map(|(actor, entry, step, stale, with_override)| Op::Step { actor, entry, step, stale, with_override }),
        1 => prop::bool::weighted(0.2).prop_map(|stale| Op::Publish { stale }),
    ]
}

fn actor(i: usize) -> Actor {
    let (id, holder, _) = ACTORS[i];
    // One person per holder: the two tokens held by `x` are one person's.
    let person = ACTORS
        .iter()
        .position(|a| a.1 == holder)
        .map(|p| p as i64 + 1);
    Actor {
        token_id: Some(id),
        person_id: person,
        label: format!("actor{i}"),
        holder: holder.into(),
        ..Actor::cli_on("model", today())
    }
}

fn uscc(i: usize) -> Uscc {
    Uscc::from_body(&format!("91410702MA{:07}", i + 1)).expect("valid")
}

/// What the model expects of one entry.
#[derive(Debug, Clone)]
struct ModelEntry {
    id: i64,
    enterprise: usize,
    status: EntryStatus,
    version: i64,
    nominated_by: usize,
    /// Audit records this entry should have.
    audits: usize,
}

async fn setup(store: &Store) -> i64 {
    let admin = Actor::cli_on("setup", today());
    for code in PARKS {
        let park = ParkRecord {
            code: ParkCode::parse(code).expect("code"),
            name: Text::parse("园区名称", 2, 100).expect("name"),
            region: RegionCode::parse("410702").expect("region"),
        };
        store.create_park(&admin, park).await.expect("park");
    }
    for (i, (park, valid)) in ENTERPRISES.iter().enumerate() {
        let e = Enterprise {
            uscc: uscc(i),
            name: Text::parse(&format!("测试企业{i}有限公司"), 2, 100).expect("name"),
            former_names: Vec::new(),
            park: ParkCode::parse(PARKS[*park]).expect("code"),
            region: RegionCode::parse("410702").expect("region"),
            industry: IndustryCode::parse("C35").expect("industry"),
            strategic_industry: None,
            founded_on: NaiveDate::from_ymd_opt(2010, 1, 1).expect("date"),
            size: SizeClass::Small,
            qualifications: vec![],
            risk_flags: vec![],
            financing_need: None,
            contact: None,
            contact_consent: false,
        };
        store
            .create_enterprise(&admin, e)
            .await
            .expect("enterprise");
        let number =
            PatentApplicationNumber::from_digits(&format!("20181{:07}", i + 1)).expect("number");
        let p = Patent {
            application_number: number,
            title: Text::parse("一种装置", 1, 200).expect("title"),
            owner: uscc(i),
            co_owners: vec![],
            co_owners_consent: None,
            filing_date: NaiveDate::from_ymd_opt(2018, 1, 1).expect("date"),
            grant_date: Some(NaiveDate::from_ymd_opt(2019, 1, 1).expect("date")),
            legal_status: if *valid {
                LegalStatus::InForce
            } else {
                LegalStatus::LapsedUnpaidFee
            },
            annual_fee_paid_until: Some(NaiveDate::from_ymd_opt(2027, 1, 1).expect("date")),
            pledges: Vec::new(),
            transferred_out_to: None,
            ipc_main: None,
            publication_number: None,
            high_value: Default::default(),
            same_day_double_filing: false,
            appraisals: vec![],
        };
        store
            .upsert_patent(&admin, p, None, None)
            .await
            .expect("patent");
    }
    store
        .create_batch(
            &admin,
            &Text::parse("2026年第一批", 2, 100).expect("name"),
            NaiveDate::from_ymd_opt(2027, 12, 31).expect("date"),
        )
        .await
        .expect("batch")
        .id
}

async fn run(store: Store, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let batch = setup(&store).await;
    let mut model: Vec<ModelEntry> = Vec::new();
    let mut batch_version = 1;
    let mut draft = true;
    for op in ops {
        match op {
            Op::Nominate {
                actor: a,
                enterprise,
            } => {
                let scope = ACTORS[a]
                    .2
                    .map(|p| ParkCode::parse(PARKS[p]).expect("code"));
                let in_scope = ACTORS[a].2.is_none_or(|p| p == ENTERPRISES[enterprise].0);
                let live = model
                    .iter()
                    .any(|m| m.enterprise == enterprise && m.status.is_live());
                let got = store
                    .nominate(&actor(a), batch, &uscc(enterprise), scope.as_ref())
                    .await;
                match got {
                    Ok(e) => {
                        prop_assert!(
                            draft && in_scope && !live,
                            "nomination should have been refused: draft {draft}, scope {in_scope}, live {live}"
                        );
                        prop_assert_eq!(e.screening.passed, ENTERPRISES[enterprise].1);
                        model.push(ModelEntry {
                            id: e.id,
                            enterprise,
                            status: EntryStatus::Nominated,
                            version: 1,
                            nominated_by: a,
                            audits: 1,
                        });
                    }
                    // Another park's enterprise is one the caller does not know.
                    Err(StoreError::NotFound { .. }) => prop_assert!(!in_scope),
                    Err(StoreError::Conflict {
                        code: "batch_not_draft",
                        ..
                    }) => prop_assert!(!draft && in_scope),
                    Err(StoreError::Conflict {
                        code: "already_listed",
                        ..
                    }) => prop_assert!(live && draft && in_scope),
                    Err(other) => prop_assert!(false, "unexpected {other:?}"),
                }
            }
            Op::Step {
                actor: a,
                entry,
                step,
                stale,
                with_override,
            } => {
                let Some(m) = model.get(entry).cloned() else {
                    continue;
                };
                let t = STEPS[step];
                let req = TransitionRequest {
                    transition: t,
                    version: if stale { m.version + 7 } else { m.version },
                    reason_code: ReasonCode::Other,
                    reason: "测试".into(),
                    override_reason: with_override.then(|| "特批".to_owned()),
                };
                let nominator = ACTORS[m.nominated_by].0 == ACTORS[a].0
                    || ACTORS[m.nominated_by].1 == ACTORS[a].1;
                let passes = ENTERPRISES[m.enterprise].1;
                let got = store.transition(&actor(a), m.id, req).await;
                let expected = if stale {
                    "version_conflict"
                } else if m.status.after(t).is_none() {
                    "illegal_transition"
                } else if t == Transition::Approve && nominator {
                    "four_eyes"
                } else if t == Transition::Approve && !passes && !with_override {
                    "screening_failed"
                } else {
                    "ok"
                };
                let code = match &got {
                    Ok(_) => "ok",
                    Err(StoreError::VersionConflict { .. }) => "version_conflict",
                    Err(StoreError::Conflict { code, .. })
                    | Err(StoreError::Forbidden { code, .. }) => code,
                    Err(other) => return Err(TestCaseError::fail(format!("unexpected {other:?}"))),
                };
                prop_assert_eq!(code, expected, "{:?} by {} on {:?}", t, a, m.status);
                if let Ok(e) = got {
                    prop_assert!(
                        !(t == Transition::Approve && nominator),
                        "a nominator approved"
                    );
                    let m = &mut model[entry];
                    m.status = m.status.after(t).expect("legal");
                    m.version += 1;
                    m.audits += 1;
                    prop_assert_eq!(e.status, m.status);
                }
            }
            Op::Publish { stale } => {
                let undecided = model.iter().any(|m| m.status == EntryStatus::Nominated);
                let got = store
                    .publish_batch(
                        &actor(0),
                        batch,
                        if stale {
                            batch_version + 3
                        } else {
                            batch_version
                        },
                    )
                    .await;
                match got {
                    Ok(_) => {
                        prop_assert!(!stale && draft && !undecided);
                        draft = false;
                        batch_version += 1;
                        for m in model
                            .iter_mut()
                            .filter(|m| m.status == EntryStatus::Approved)
                        {
                            m.status = EntryStatus::Published;
                            m.version += 1;
                            m.audits += 1;
                        }
                    }
                    Err(StoreError::VersionConflict { .. }) => prop_assert!(stale),
                    Err(StoreError::Conflict {
                        code: "batch_not_draft",
                        ..
                    }) => prop_assert!(!stale && !draft),
                    Err(StoreError::Conflict {
                        code: "undecided_entries",
                        ..
                    }) => prop_assert!(!stale && draft && undecided),
                    Err(other) => prop_assert!(false, "unexpected {other:?}"),
                }
            }
        }
        // The store agrees with the model, and holds at most one live entry per enterprise.
        let stored = store
            .entries(&EntryFilter::default(), None, 100)
            .await
            .expect("entries")
            .items;
        prop_assert_eq!(stored.len(), model.len());
        for (s, m) in stored.iter().zip(&model) {
            prop_assert_eq!((s.id, s.status, s.version), (m.id, m.status, m.version));
        }
        for i in 0..ENTERPRISES.len() {
            prop_assert!(
                stored
                    .iter()
                    .filter(|s| s.uscc == uscc(i) && s.status.is_live())
                    .count()
                    <= 1
            );
        }
    }
    for m in &model {
        let filter = AuditFilter {
            entity: Some("whitelist_entry".into()),
            entity_key: Some(m.id.to_string()),
            park_id: None,
            ..Default::default()
        };
        let n = store
            .audit_log(&filter, None, 1000)
            .await
            .expect("audit")
            .items
            .len();
        prop_assert_eq!(n, m.audits, "audit records of entry {}", m.id);
    }
    Ok(())
}

fn check(backend: Backend, cases: u32) {
    let config = ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(ops in proptest::collection::vec(op(), 1..40))| {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        rt.block_on(async {
            let db = TestDatabase::create(backend).await;
            run(db.store().await, ops).await
        })?;
    });
}

#[test]
fn the_lifecycle_holds_on_sqlite() {
    check(Backend::Sqlite, 24);
}

#[test]
#[ignore = "needs PostgreSQL: set PLEDGE_TEST_POSTGRES_URL and run with --include-ignored"]
fn the_lifecycle_holds_on_postgres() {
    check(Backend::Postgres, 12);
}
