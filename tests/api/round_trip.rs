//! Export, then import into an empty registry: every enterprise and patent comes back as it
//! was, field by field, for enterprises made at random (several qualifications, each with its
//! own end and certificate; needs, contacts, risk flags; patents of each kind).

use crate::helpers::{TestApp, e2e, spawn_app, uscc};
use reqwest::StatusCode;
use serde_json::{Value, json};

e2e!(an_export_imports_into_an_empty_registry_exactly);

/// A small deterministic generator (the cases are the same every run, and many).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }

    fn day(&mut self, from: i32, years: u64) -> String {
        format!(
            "{}-{:02}-{:02}",
            from + self.below(years) as i32,
            1 + self.below(12),
            1 + self.below(28)
        )
    }
}

const KINDS: [&str; 8] = [
    "high_tech",
    "specialized",
    "little_giant",
    "tech_sme",
    "national_ip_advantage",
    "national_ip_demonstration",
    "provincial_ip_advantage",
    "ip_management_certified",
];

fn enterprise(g: &mut Lcg, i: u32) -> Value {
    let mut kinds = KINDS.to_vec();
    let mut qualifications = Vec::new();
    for _ in 0..g.below(4) {
        let kind = kinds.remove(g.below(kinds.len() as u64) as usize);
        let mut q = json!({"kind": kind, "valid_until": g.day(2027, 5)});
        if g.below(2) == 0 {
            q["certificate_number"] = json!(format!("GR2023410{:05}", g.below(100_000)));
        }
        qualifications.push(q);
    }
    let mut flags = Vec::new();
    if g.below(5) == 0 {
        flags.push(json!({"kind": "abnormal_operation", "recorded_on": crate::helpers::day(-336)}));
    }
    let region = ["410702", "410711", "410721"][g.below(3) as usize];
    let industry = ["C3421", "C3511", "I6510"][g.below(3) as usize];
    let size = ["micro", "small", "medium", "large"][g.below(4) as usize];
    let mut e = json!({
        "uscc": uscc(i),
        "name": format!("新乡市往返{i}科技有限公司"),
        "park": "xxhtz",
        "region": region,
        "industry": industry,
        "founded_on": g.day(1995, 30),
        "size": size,
        "qualifications": qualifications,
        "risk_flags": flags,
        "contact_consent": g.below(2) == 0,
    });
    if g.below(3) > 0 {
        e["financing_need"] = json!({"amount_fen": (1 + g.below(5_000)) * 1_000_000, "term_months": 6 + 6 * g.below(6)});
    }
    if g.below(3) > 0 {
        e["contact"] = json!({"name": "李明", "phone": "13812345678", "email": "li@example.cn"});
    }
    e
}

fn patent(g: &mut Lcg, owner: u32, serial: u32) -> (String, Value) {
    let number = pledge_ledger::sample_application_number(serial);
    let year: u32 = number[..4].parse().expect("year");
    let mut p = json!({
        "owner": uscc(owner),
        "title": format!("一种往返{serial}号装置"),
        "filing_date": format!("{year}-03-05"),
        "grant_date": format!("{}-06-01", year + 2),
        "legal_status": "in_force",
        "annual_fee_paid_until": g.day(2027, 4),
        "co_owners_consent": false,
    });
    if g.below(2) == 0 {
        p["ipc_main"] = json!("B23Q 11/12");
    }
    if g.below(3) == 0 {
        p["co_owners"] = json!(["新乡学院"]);
        p["co_owners_consent"] = json!(true);
    }
    (number, p)
}

/// A record as read, without what the store adds (versions, instants).
fn facts(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        for k in ["version", "created_at", "updated_at", "id"] {
            o.remove(k);
        }
    }
    v
}

async fn an_export_imports_into_an_empty_registry_exactly(app: TestApp) {
    app.seed().await;
    let mut g = Lcg(0x5EED);
    let mut usccs = Vec::new();
    let mut numbers = Vec::new();
    for i in 1..=40 {
        let e = enterprise(&mut g, i);
        let a = app.post("/api/v1/enterprises", &app.admin, e).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        usccs.push(uscc(i));
        for s in 0..g.below(3) as u32 {
            let (number, p) = patent(&mut g, i, i * 10 + s);
            let a = app
                .put(&format!("/api/v1/patents/{number}"), &app.admin, p)
                .await;
            assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
            numbers.push(number);
        }
    }
    let park = app.token("park", Some("xxhtz"), None).await;
    let enterprises = app
        .download("/api/v1/exports/enterprises.xlsx", &park)
        .await;
    let patents = app.download("/api/v1/exports/patents.xlsx", &park).await;

    let empty = spawn_app(app.backend).await;
    empty.seed().await;
    let park_there = empty.token("park", Some("xxhtz"), None).await;
    for (name, bytes) in [("enterprises.xlsx", enterprises), ("patents.xlsx", patents)] {
        let job =
            crate::helpers::import(&empty, &park_there, name, bytes, "?mode=all_or_nothing").await;
        assert_eq!(job["report"]["committed"], true, "{job}");
        assert_eq!(job["report"]["total"]["rejected"], 0, "{job}");
    }
    for u in &usccs {
        let path = format!("/api/v1/enterprises/{u}");
        let (here, there) = (
            app.get(&path, &app.admin).await,
            empty.get(&path, &empty.admin).await,
        );
        assert_eq!(there.status, StatusCode::OK, "{u}: {}", there.body);
        assert_eq!(facts(there.body), facts(here.body), "{u}");
    }
    for n in &numbers {
        let path = format!("/api/v1/patents/{n}");
        let (here, there) = (
            app.get(&path, &app.admin).await,
            empty.get(&path, &empty.admin).await,
        );
        assert_eq!(there.status, StatusCode::OK, "{n}: {}", there.body);
        assert_eq!(facts(there.body), facts(here.body), "{n}");
    }
}
