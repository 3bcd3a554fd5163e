//! The demo data set: a believable Xinxiang (新乡) with its real districts and parks, a few
//! hundred enterprises in high-end equipment, biomedicine and new energy, their patents,
//! trademarks, appraisals, qualifications and risk flags, and three banks. Generated from a
//! fixed seed relative to `today`, and loaded through the store like any other change, so
//! loading it twice adds nothing the second time.

use anyhow::Result;
use chrono::{Datelike, Days, Months, NaiveDate};
use pledge_domain::Actor;
use pledge_domain::{
    Appraisal, BankCode, BasisPoints, Contact, Enterprise, FinancingNeed, HighValueFacts,
    IndustryCode, LegalStatus, Money, NiceClass, ParkCode, Patent, PatentApplicationNumber,
    PatentAward, PledgeRegistration, Qualification, QualificationKind, RegionCode, RiskFlag,
    RiskFlagKind, SizeClass, StrategicIndustry, Text, Trademark, TrademarkRegistrationNumber, Uscc,
};
use pledge_fixtures::Rng;
use pledge_store::{BankRecord, ParkRecord, Store};

/// How many enterprises the demo holds.
const ENTERPRISES: usize = 300;

/// What a load added.
#[derive(Debug, Default)]
pub struct Report {
    pub parks: usize,
    pub banks: usize,
    pub enterprises: usize,
    pub patents: usize,
    pub trademarks: usize,
    pub appraisals: usize,
    pub listed: usize,
    pub products: usize,
    pub outcomes: usize,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "added {} parks, {} banks, {} enterprises, {} patents, {} trademarks, {} appraisals, {} white-list entries, {} loan products, {} outcomes",
            self.parks,
            self.banks,
            self.enterprises,
            self.patents,
            self.trademarks,
            self.appraisals,
            self.listed,
            self.products,
            self.outcomes
        )
    }
}

const PARKS: [(&str, &str, &str); 5] = [
    ("xxhtz", "新乡高新技术产业开发区", "410702"),
    ("hqkfq", "红旗区先进制造业开发区", "410702"),
    ("xxjkq", "新乡经济技术开发区", "410721"),
    ("cyqz", "长垣市起重装备产业园", "410783"),
    ("hxgx", "辉县市高新技术产业园", "410782"),
];

const BANKS: [(&str, &str); 3] = [
    ("boc-xinxiang", "中国银行新乡分行"),
    ("icbc-xinxiang", "中国工商银行新乡分行"),
    ("xxrcb", "新乡农商银行"),
];

/// (industry code, strategic area, name stem, IPC main class, patent title stems)
const SECTORS: [(&str, StrategicIndustry, &str, &str, [&str; 3]); 8] = [
    (
        "C3435",
        StrategicIndustry::HighEndEquipment,
        "起重机械",
        "B66C 23/00",
        [
            "一种桥式起重机防摇摆装置",
            "一种起重机主梁焊接工装",
            "一种电动葫芦制动器",
        ],
    ),
    (
        "C3421",
        StrategicIndustry::HighEndEquipment,
        "数控机床",
        "B23Q 11/12",
        [
            "一种数控机床主轴冷却装置",
            "一种数控车床自动上料机构",
            "一种机床导轨防护罩",
        ],
    ),
    (
        "C3511",
        StrategicIndustry::HighEndEquipment,
        "矿山机械",
        "B02C 17/18",
        [
            "一种振动筛激振器",
            "一种矿用破碎机衬板",
            "一种筛分设备减振支座",
        ],
    ),
    (
        "C3841",
        StrategicIndustry::NewEnergy,
        "电池",
        "H01M 10/052",
        [
            "一种锂离子电池隔膜涂覆方法",
            "一种电池模组散热结构",
            "一种正极材料包覆工艺",
        ],
    ),
    (
        "C3985",
        StrategicIndustry::NewEnergyVehicles,
        "电子科技",
        "H02J 7/00",
        [
            "一种电动汽车充电桩控制电路",
            "一种车载电源管理系统",
            "一种电机控制器散热装置",
        ],
    ),
    (
        "C2710",
        StrategicIndustry::Biotech,
        "生物制药",
        "A61K 36/00",
        [
            "一种中药提取物的制备方法",
            "一种注射液灌装装置",
            "一种原料药结晶工艺",
        ],
    ),
    (
        "C2770",
        StrategicIndustry::Biotech,
        "医疗器械",
        "A61M 5/14",
        [
            "一种一次性输液器",
            "一种医用导管连接件",
            "一种体外诊断试剂盒",
        ],
    ),
    (
        "C2662",
        StrategicIndustry::NewMaterials,
        "新材料",
        "C08L 23/06",
        [
            "一种耐磨复合材料及其制备方法",
            "一种高分子阻燃母粒",
            "一种纳米涂层材料",
        ],
    ),
];

const STEMS: [&str; 24] = [
    "华锐", "豫北", "中原", "牧野", "卫源", "太行", "金宇", "科隆", "恒远", "博源", "新飞", "天力",
    "鼎盛", "长城", "凯达", "宏昌", "瑞丰", "卫华", "矿山", "银河", "正泰", "华洋", "九州", "启航",
];

const UNIVERSITIES: [&str; 3] = ["河南师范大学", "河南科技学院", "新乡医学院"];

/// The 31-character USCC alphabet, for the organisation-code part.
const USCC_CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn uscc(rng: &mut Rng, region: &str) -> Result<Uscc> {
    let mut body = format!("91{region}MA");
    for _ in 0..7 {
        body.push(USCC_CHARS[rng.below(31) as usize] as char);
    }
    Ok(Uscc::from_body(&body)?)
}

fn enterprise(rng: &mut Rng, i: usize, today: NaiveDate) -> Result<(Enterprise, usize)> {
    let (park, _, region) = PARKS[i % PARKS.len()];
    let uscc = uscc(rng, region)?;
    let sector = if park == "cyqz" {
        0
    } else {
        rng.below(SECTORS.len() as u64) as usize
    };
    let (industry, strategic, kind, _, _) = SECTORS[sector];
    let city = match region {
        "410783" => "长垣市",
        "410782" => "辉县市",
        _ => "新乡市",
    };
    let name = format!(
        "{city}{}{kind}{}有限公司",
        STEMS[i % STEMS.len()],
        ["", "科技", "股份", "制造"][(i / STEMS.len()) % 4]
    );
    let founded_on = date(
        2000 + rng.below(23) as i32,
        1 + rng.below(12) as u32,
        1 + rng.below(28) as u32,
    );
    let mut qualifications = Vec::new();
    for (kind, percent) in [
        (QualificationKind::HighTech, 45),
        (QualificationKind::TechSme, 55),
        (QualificationKind::Specialized, 22),
        (QualificationKind::LittleGiant, 5),
        (QualificationKind::ProvincialIpAdvantage, 10),
        (QualificationKind::IpManagementCertified, 15),
    ] {
        if rng.chance(percent) {
            let valid_until = today
                .checked_add_days(Days::new(rng.below(1100)))
                .unwrap_or(today)
                - Days::new(120);
            qualifications.push(Qualification {
                kind,
                certificate_number: Some(format!(
                    "{}{:06}",
                    &kind.as_str()[..2].to_uppercase(),
                    rng.below(1_000_000)
                )),
                valid_until: Some(valid_until),
            });
        }
    }
    let mut risk_flags = Vec::new();
    if rng.chance(4) {
        let kind = *rng.pick(&[
            RiskFlagKind::AbnormalOperation,
            RiskFlagKind::DishonestDebtor,
            RiskFlagKind::AbnormalPatentFiling,
        ]);
        risk_flags.push(RiskFlag {
            kind,
            recorded_on: today - Days::new(30 + rng.below(400)),
        });
    }
    let financing_need = rng.chance(60).then(|| FinancingNeed {
        amount: Money::from_yuan(1_000_000 * (1 + rng.below(30) as i64)).unwrap_or_default(),
        term_months: *rng.pick(&[12u16, 24, 36]),
    });
    let surname = rng.pick(&["王", "李", "张", "刘", "陈", "杨", "赵", "黄"]);
    let e = Enterprise {
        uscc,
        name: Text::parse(&name, 2, 100)?,
        former_names: Vec::new(),
        park: ParkCode::parse(park)?,
        region: RegionCode::parse(region)?,
        industry: IndustryCode::parse(industry)?,
        strategic_industry: Some(strategic),
        founded_on,
        size: *rng.pick(&[
            SizeClass::Micro,
            SizeClass::Small,
            SizeClass::Small,
            SizeClass::Medium,
        ]),
        qualifications,
        risk_flags,
        financing_need,
        contact: Some(Contact {
            name: format!("{surname}经理"),
            phone: Some(format!("0373-{:07}", 2_000_000 + rng.below(7_000_000))),
            email: None,
        }),
        contact_consent: rng.chance(70),
    };
    Ok((e, sector))
}

/// A patent of `owner` filed in `year` with its legal history up to `today`.
fn patent(rng: &mut Rng, owner: &Uscc, sector: usize, today: NaiveDate) -> Result<Patent> {
    let (_, _, _, ipc, titles) = SECTORS[sector];
    let year = (2010 + rng.below(16) as i32).min(today.year() - 1);
    let type_digit = *rng.pick(&[1u8, 1, 2, 2, 2, 3]);
    let number = PatentApplicationNumber::from_digits(&format!(
        "{year}{type_digit}{:07}",
        rng.below(10_000_000)
    ))?;
    let filing_date = date(year, 1 + rng.below(12) as u32, 1 + rng.below(28) as u32);
    let grant_lag = if type_digit == 1 {
        500 + rng.below(700)
    } else {
        150 + rng.below(250)
    };
    let granted_on = filing_date + Days::new(grant_lag);
    let mut p = Patent {
        application_number: number,
        title: Text::parse(rng.pick::<&str>(&titles), 1, 200)?,
        owner: *owner,
        co_owners: Vec::new(),
        co_owners_consent: None,
        filing_date,
        grant_date: None,
        legal_status: LegalStatus::Pending,
        annual_fee_paid_until: None,
        pledges: Vec::new(),
        transferred_out_to: None,
        ipc_main: Some(pledge_domain::IpcClass::parse(ipc)?),
        publication_number: None,
        high_value: HighValueFacts::default(),
        same_day_double_filing: false,
        appraisals: Vec::new(),
    };
    if granted_on > today {
        return Ok(p);
    }
    p.grant_date = Some(granted_on);
    p.legal_status = LegalStatus::InForce;
    p.annual_fee_paid_until = Some(
        date(today.year(), filing_date.month(), filing_date.day().min(28))
            .checked_add_months(Months::new(if rng.chance(90) { 12 } else { 0 }))
            .unwrap_or(today)
            - Days::new(1),
    );
    if today >= p.expiry() {
        p.legal_status = LegalStatus::Expired;
        p.annual_fee_paid_until = None;
        return Ok(p);
    }
    let roll = rng.below(100);
    if roll < 8 {
        p.legal_status = LegalStatus::LapsedUnpaidFee;
        p.annual_fee_paid_until = Some(date(today.year() - 1, 1, 1));
    } else if roll < 9 {
        p.legal_status = LegalStatus::Invalidated;
    } else if roll < 10 {
        p.legal_status = LegalStatus::InvalidationRequested;
    }
    if rng.chance(10) {
        p.co_owners = vec![(*rng.pick(&UNIVERSITIES)).to_owned()];
        p.co_owners_consent = Some(rng.chance(50));
    }
    if rng.chance(8) {
        let on = today - Days::new(30 + rng.below(600));
        p.pledges = vec![PledgeRegistration::registered(
            format!("Y{}410000{:05}", on.year(), rng.below(100_000)),
            on,
            None,
        )];
    }
    if type_digit == 1 {
        p.high_value = HighValueFacts {
            strategic_emerging_industry: rng.chance(50),
            overseas_family: rng.chance(8),
            high_pledge_financing: rng.chance(3),
            award: rng.chance(2).then_some(PatentAward::ChinaPatentAward),
        };
    }
    if p.legal_status == LegalStatus::InForce && rng.chance(45) {
        let appraised_on = today - Days::new(rng.below(500));
        let per_kind = if type_digit == 1 { 2_000_000 } else { 300_000 };
        p.appraisals.push(Appraisal {
            amount: Money::from_yuan(per_kind * (1 + rng.below(10) as i64))?,
            appraised_on,
            valid_until: appraised_on
                .checked_add_months(Months::new(12))
                .unwrap_or(appraised_on),
            appraiser: (*rng.pick(&[
                "河南中原资产评估有限公司",
                "北京中和谊资产评估有限公司",
                "河南亚太联华资产评估有限公司",
            ]))
            .to_owned(),
        });
    }
    Ok(p)
}

/// Loads the demo data set into `store`, adding only what is not there yet.
pub async fn load(service: &crate::Service, today: NaiveDate) -> Result<Report> {
    let store = &service.store;
    let actor = Actor::cli_on("demo", today);
    let mut report = Report::default();
    for (code, name, region) in PARKS {
        let code = ParkCode::parse(code)?;
        if store.park(&code).await?.is_none() {
            store
                .create_park(
                    &actor,
                    ParkRecord {
                        code,
                        name: Text::parse(name, 2, 100)?,
                        region: RegionCode::parse(region)?,
                    },
                )
                .await?;
            report.parks += 1;
        }
    }
    for (code, name) in BANKS {
        let code = BankCode::parse(code)?;
        if store.bank(&code).await?.is_none() {
            store
                .create_bank(
                    &actor,
                    BankRecord {
                        code,
                        name: Text::parse(name, 2, 100)?,
                    },
                )
                .await?;
            report.banks += 1;
        }
    }
    for i in 0..ENTERPRISES {
        // One stream per enterprise and per patent: what is drawn never depends on `today`.
        let mut rng = Rng(0x5EED_4107 ^ (i as u64).wrapping_mul(0x1_0000_01B3));
        let (e, sector) = enterprise(&mut rng, i, today)?;
        let owner = e.uscc;
        if store.enterprise(&owner).await?.is_none() {
            // An enterprise that consented signed the park's form for every bank.
            let consented = e.contact_consent.then(|| pledge_store::NewConsent {
                bank: None,
                valid_from: today - Days::new(30),
                valid_until: today.checked_add_months(Months::new(24)),
                evidence_reference: format!("SQ-{}-{:04}", e.park, i + 1),
                evidence_date: today - Days::new(30),
            });
            store.create_enterprise(&actor, e).await?;
            report.enterprises += 1;
            if let Some(c) = consented {
                store.record_consent(&actor, &owner, c).await?;
            }
        }
        let count = match rng.below(10) {
            0 => 0,
            1..=6 => 1 + rng.below(4),
            7 | 8 => 4 + rng.below(8),
            _ => 10 + rng.below(20),
        };
        for j in 0..count {
            let mut prng = Rng(rng.0 ^ (j + 1).wrapping_mul(0x9E37_79B9));
            let p = patent(&mut prng, &owner, sector, today)?;
            if store.patent(&p.application_number).await?.is_some() {
                continue;
            }
            let number = p.application_number;
            let appraisals = p.appraisals.clone();
            store.upsert_patent(&actor, p, None, None).await?;
            report.patents += 1;
            for a in appraisals {
                store.add_patent_appraisal(&actor, &number, a, None).await?;
                report.appraisals += 1;
            }
        }
        if rng.chance(25) {
            let registered_on = today - Days::new(200 + rng.below(4000));
            let t = Trademark {
                registration_number: TrademarkRegistrationNumber::parse(
                    &(10_000_000 + rng.below(60_000_000)).to_string(),
                )?,
                nice_class: NiceClass::new(*rng.pick(&[5i64, 7, 9, 10, 12]))?,
                name: Text::parse(STEMS[i % STEMS.len()], 1, 100)?,
                owner,
                registered_on,
                valid_until: registered_on
                    .checked_add_months(Months::new(120))
                    .unwrap_or(registered_on)
                    - Days::new(1),
                pledge: None,
                appraisals: Vec::new(),
            };
            if store
                .trademark(t.registration_number, t.nice_class)
                .await?
                .is_none()
            {
                store.upsert_trademark(&actor, t, None, None).await?;
                report.trademarks += 1;
            }
        }
    }
    report.listed = publish_first_batch(store, today).await?;
    report.products = publish_products(store, today).await?;
    service.committed().await;
    report.outcomes = report_outcomes(service, today).await?;
    service.committed().await;
    Ok(report)
}

/// What the banks did with their first matches, as they would have reported it over the last
/// five months: a meeting (对接会) with every bank, and for each published product up to eight
/// of its best matches taken to a different step (declined, applied, approved, pledged and paid
/// out, repaid). Only when no outcome is recorded yet.
async fn report_outcomes(service: &crate::Service, today: NaiveDate) -> Result<usize> {
    use pledge_domain::{DeclineReason, Money, RoundKind, Step, TrademarkKey};
    use pledge_matching::IpRef;
    let store = &service.store;
    if !store.outcomes(&Default::default()).await?.is_empty() {
        return Ok(0);
    }
    let office = Actor::cli_on("demo-office", today);
    let banks: Vec<BankCode> = BANKS
        .iter()
        .map(|(c, _)| BankCode::parse(c))
        .collect::<std::result::Result<_, _>>()?;
    // The demo may run without a live index (the `demo` command): one is built for it.
    let index = crate::live_index::LiveIndex::load(store, today).await?;
    let products: Vec<(i64, BankCode)> = {
        let live = index.read();
        let mut p: Vec<_> = live
            .products
            .values()
            .filter(|p| p.status == pledge_domain::ProductStatus::Published)
            .map(|p| (p.id, p.bank.clone()))
            .collect();
        p.sort();
        p
    };
    let round = store
        .create_round(
            &office,
            pledge_store::NewRound {
                name: Text::parse("新乡市知识产权质押融资政银企对接会", 2, 100)?,
                kind: RoundKind::Conference,
                held_on: today - Days::new(120),
                banks: banks.clone(),
                products: products.iter().map(|(id, _)| *id).collect(),
                parks: PARKS
                    .iter()
                    .map(|(c, _, _)| ParkCode::parse(c))
                    .collect::<std::result::Result<_, _>>()?,
                enterprises: Vec::new(),
            },
        )
        .await?;
    let mut count = 0;
    for (product, bank) in products {
        let officer = Actor::cli_on("demo-bank", today);
        let best: Vec<pledge_matching::Evaluation> = index
            .read()
            .index
            .matches(
                product,
                &pledge_matching::MatchQuery {
                    listed_only: true,
                    limit: 8,
                    ..Default::default()
                },
            )
            .map(|page| page.items.into_iter().map(|(_, e)| e).collect())
            .unwrap_or_default();
        for (k, e) in best.iter().enumerate() {
            let start = today - Days::new(150 - 12 * k as u64);
            let Ok(o) = store
                .open_outcome(
                    &officer,
                    pledge_store::NewOutcome {
                        product_id: product,
                        bank: bank.clone(),
                        uscc: e.uscc,
                        round_id: (k % 2 == 0).then_some(round.id),
                        contacted_on: start,
                    },
                )
                .await
            else {
                continue;
            };
            count += 1;
            let on = |d: u64| start + Days::new(d);
            let line = e.credit_line;
            let (mut patents, mut trademarks) = (Vec::new(), Vec::new());
            for item in &e.bundle.items {
                match item.ip {
                    IpRef::Patent { application_number } => patents.push(application_number),
                    IpRef::Trademark {
                        registration_number,
                        nice_class,
                    } => trademarks.push(TrademarkKey {
                        registration_number,
                        nice_class,
                    }),
                }
            }
            let mut steps = match k % 5 {
                0 => vec![Step::Declined {
                    on: on(7),
                    reason_code: DeclineReason::NoNeed,
                }],
                1 => vec![Step::Applied { on: on(5) }],
                _ => vec![
                    Step::Applied { on: on(5) },
                    Step::Approved {
                        on: on(20),
                        amount_fen: line,
                        term_months: 12,
                        rate_bp: bp(385)?,
                    },
                ],
            };
            if k % 5 >= 3 {
                steps.push(Step::PledgeRegistered {
                    on: on(28),
                    registration_number: Text::parse(
                        &format!("Y{}41{:07}", today.format("%Y"), count),
                        1,
                        64,
                    )?,
                    patents,
                    trademarks,
                });
                steps.push(Step::Disbursed {
                    on: on(30),
                    amount_fen: Money::from_fen(line.fen() - line.fen() % 1_000_000)?,
                });
            }
            if k % 5 == 4 && k < 5 {
                steps.push(Step::Repaid { on: on(120) });
            }
            let mut version = o.version;
            for step in steps {
                // A pledge of IP another demo loan already took is refused: that loan stops there.
                match store
                    .take_outcome_step(&officer, o.id, Some(&bank), version, step)
                    .await
                {
                    Ok(after) => version = after.version,
                    Err(_) => break,
                }
            }
        }
    }
    Ok(count)
}

fn bp(v: i64) -> Result<BasisPoints> {
    Ok(BasisPoints::new(v)?)
}

/// The banks' products, modelled on real ones: 中国银行's 知惠贷, a 专精特新 loan, a rural
/// bank's general IP pledge loan (all published), and a draft. Only when there is none.
async fn publish_products(store: &Store, today: NaiveDate) -> Result<usize> {
    use pledge_domain::{LoanProduct, PledgeRates, ProductStatus};
    if !store.products(None).await?.is_empty() {
        return Ok(0);
    }
    let wan = |n: i64| Money::from_yuan(n * 10_000);
    let all_flags = RiskFlagKind::ALL.to_vec();
    let base = LoanProduct {
        name: Text::parse("知惠贷", 2, 100)?,
        description: Some(
            "知识产权质押贷款，最高3000万元，纳入新乡市知识产权质押融资风险补偿资金池".into(),
        ),
        amount_min: wan(100)?,
        amount_max: wan(3000)?,
        max_term_months: 36,
        rate_cap_over_lpr: bp(80)?,
        pledge_rates: PledgeRates {
            invention: Some(bp(2500)?),
            utility_model: Some(bp(1500)?),
            design: None,
            trademark: Some(bp(5000)?),
        },
        min_remaining_months: 24,
        no_prior_pledge: false,
        qualifications_all: Vec::new(),
        qualifications_any: vec![
            QualificationKind::HighTech,
            QualificationKind::Specialized,
            QualificationKind::TechSme,
        ],
        excluded_risk_flags: vec![
            RiskFlagKind::DishonestDebtor,
            RiskFlagKind::AbnormalOperation,
            RiskFlagKind::SeriousViolation,
        ],
        region_prefixes: vec!["4107".into()],
        industry_prefixes: Vec::new(),
        min_years_in_operation: 1,
        min_valid_invention_patents: 1,
        min_ip_share: None,
        whitelist_required: true,
        interest_subsidy: Some("按1年期LPR的50%贴息，每户每年最高50万元".into()),
        risk_pool: true,
        valid_from: date(today.year(), 1, 1),
        valid_until: Some(date(today.year() + 1, 12, 31)),
    };
    let products = [
        ("boc-xinxiang", base.clone(), true),
        (
            "icbc-xinxiang",
            LoanProduct {
                name: Text::parse("专精特新贷", 2, 100)?,
                description: Some("面向专精特新中小企业的知识产权质押贷款".into()),
                amount_min: wan(50)?,
                amount_max: wan(1000)?,
                max_term_months: 12,
                rate_cap_over_lpr: bp(100)?,
                pledge_rates: PledgeRates {
                    invention: Some(bp(3000)?),
                    utility_model: Some(bp(2000)?),
                    design: None,
                    trademark: None,
                },
                min_remaining_months: 12,
                qualifications_any: vec![
                    QualificationKind::Specialized,
                    QualificationKind::LittleGiant,
                ],
                excluded_risk_flags: all_flags.clone(),
                region_prefixes: Vec::new(),
                min_years_in_operation: 2,
                interest_subsidy: None,
                risk_pool: false,
                ..base.clone()
            },
            true,
        ),
        (
            "xxrcb",
            LoanProduct {
                name: Text::parse("知识产权质押贷", 2, 100)?,
                description: Some("专利、商标均可质押，未曾质押的知识产权优先".into()),
                amount_min: wan(10)?,
                amount_max: wan(500)?,
                max_term_months: 24,
                rate_cap_over_lpr: bp(150)?,
                pledge_rates: PledgeRates {
                    invention: Some(bp(2000)?),
                    utility_model: Some(bp(1000)?),
                    design: Some(bp(1000)?),
                    trademark: Some(bp(3000)?),
                },
                min_remaining_months: 0,
                no_prior_pledge: true,
                qualifications_any: Vec::new(),
                excluded_risk_flags: vec![RiskFlagKind::DishonestDebtor],
                industry_prefixes: vec!["C".into()],
                min_valid_invention_patents: 0,
                interest_subsidy: None,
                ..base.clone()
            },
            true,
        ),
        (
            "boc-xinxiang",
            LoanProduct {
                name: Text::parse("知惠贷（科创版）", 2, 100)?,
                qualifications_all: vec![QualificationKind::HighTech],
                min_valid_invention_patents: 3,
                min_ip_share: Some(bp(5000)?),
                ..base
            },
            false,
        ),
    ];
    let officer = Actor::cli_on("demo-bank", today);
    let mut count = 0;
    for (bank, rules, publish) in products {
        let p = store
            .create_product(&officer, &BankCode::parse(bank)?, rules)
            .await?;
        if publish {
            store
                .set_product_status(
                    &officer,
                    p.id,
                    p.version,
                    ProductStatus::Published,
                    None,
                    None,
                )
                .await?;
        }
        count += 1;
    }
    Ok(count)
}

/// The first white-list batch, as the parks and the office would have decided it: every
/// enterprise nominated by its park, those that pass screening approved by the office (the
/// others rejected with their reasons), and the batch published. Only when there is no batch.
async fn publish_first_batch(store: &Store, today: NaiveDate) -> Result<usize> {
    use pledge_domain::{EntryStatus, ReasonCode, Transition};
    use pledge_store::{EntryFilter, TransitionRequest};
    if !store.batches().await?.is_empty() {
        return Ok(0);
    }
    let park_official = Actor {
        holder: "园区经办人".into(),
        ..Actor::cli_on("demo-park", today)
    };
    let reviewer = Actor {
        holder: "市知识产权局审核员".into(),
        ..Actor::cli_on("demo-office", today)
    };
    let name = Text::parse(
        &format!("{}年第一批知识产权金融普惠企业白名单", today.year()),
        2,
        100,
    )?;
    let valid_until = today.checked_add_months(Months::new(12)).unwrap_or(today);
    let batch = store.create_batch(&reviewer, &name, valid_until).await?;
    let mut after = None;
    let mut usccs = Vec::new();
    loop {
        let page = store
            .list_enterprises(&Default::default(), after, 500)
            .await?;
        usccs.extend(page.items.into_iter().map(|e| e.value.uscc));
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    for uscc in &usccs {
        let entry = store.nominate(&park_official, batch.id, uscc, None).await?;
        let (transition, reason_code, reason) = if entry.screening.passed {
            (
                Transition::Approve,
                ReasonCode::MeetsCriteria,
                "经复核符合入选条件".to_owned(),
            )
        } else {
            (
                Transition::Reject,
                ReasonCode::FailsCriteria,
                entry.screening.summary(),
            )
        };
        let req = TransitionRequest {
            transition,
            version: entry.version,
            reason_code,
            reason,
            override_reason: None,
        };
        store.transition(&reviewer, entry.id, req).await?;
    }
    store
        .publish_batch(&reviewer, batch.id, batch.version)
        .await?;
    let filter = EntryFilter {
        statuses: vec![EntryStatus::Published],
        batch: Some(batch.id),
        ..Default::default()
    };
    Ok(store.entries(&filter, None, 10_000).await?.items.len())
}
