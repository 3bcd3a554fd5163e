//! A deterministic, nation-shaped synthetic data set for benchmarks: enterprises spread over
//! the provinces, industries with realistic shares, a skewed number of patents each (about 5
//! on average), legal statuses, pledges and appraisals as the register has them, and products
//! whose rules look like real ones. Same seed, same data.

use crate::{Product, Rng};
use chrono::{Datelike, Days, Months, NaiveDate};
use pledge_domain::{
    Appraisal, BasisPoints, Enterprise, FinancingNeed, HighValueFacts, Holding, IndustryCode,
    LegalStatus, LoanProduct, Money, NiceClass, ParkCode, Patent, PatentApplicationNumber,
    PledgeRates, PledgeRegistration, Qualification, QualificationKind, RegionCode, RiskFlag,
    RiskFlagKind, SizeClass, Text, Trademark, TrademarkRegistrationNumber, Uscc,
};
use std::collections::HashMap;

const PROVINCES: [u32; 31] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65,
];

/// Provinces weighted roughly by their number of patent-holding enterprises.
const HEAVY: [u32; 6] = [44, 32, 33, 37, 11, 41];

const TEXT_ERROR: &str = "fixed text is valid";

fn text(s: &str) -> Text {
    Text::parse(s, 1, 200).unwrap_or_else(|_| unreachable!("{TEXT_ERROR}"))
}

fn money_yuan(y: u64) -> Money {
    Money::from_yuan(y as i64).unwrap_or(Money::ZERO)
}

fn bp(v: u64) -> BasisPoints {
    BasisPoints::new(v.min(10_000) as i64).unwrap_or_else(|_| unreachable!("in range"))
}

fn region(rng: &mut Rng) -> String {
    let province = if rng.chance(55) {
        HEAVY[rng.below(HEAVY.len() as u64) as usize]
    } else {
        PROVINCES[rng.below(PROVINCES.len() as u64) as usize]
    };
    // Cities and districts numbered from 01; a few cities per province carry most firms.
    let city = if province == 41 && rng.chance(10) {
        7
    } else if rng.chance(60) {
        1 + rng.below(4)
    } else {
        1 + rng.below(17)
    };
    let district = 1 + rng.below(20);
    format!("{province:02}{city:02}{district:02}")
}

fn industry(rng: &mut Rng) -> String {
    let (section, lo, hi) = match rng.below(100) {
        0..55 => ('C', 13, 43),
        55..70 => ('I', 63, 65),
        70..85 => ('M', 73, 75),
        85..90 => ('N', 76, 79),
        90..95 => ('D', 44, 46),
        _ => ('E', 47, 50),
    };
    let division = lo + rng.below(hi - lo + 1);
    format!(
        "{section}{division}{}{}",
        1 + rng.below(9),
        1 + rng.below(9)
    )
}

fn uscc(rng: &mut Rng, region: &str, i: usize) -> Uscc {
    const CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    // The serial makes every code unique; the rest is noise.
    let mut n = i as u64;
    let mut org = [b'0'; 9];
    for slot in org.iter_mut().rev().take(6) {
        *slot = CHARS[(n % 31) as usize];
        n /= 31;
    }
    for slot in org.iter_mut().take(3) {
        *slot = CHARS[rng.below(31) as usize];
    }
    let body = format!("91{region}{}", String::from_utf8_lossy(&org));
    Uscc::from_body(&body).unwrap_or_else(|_| unreachable!("a generated USCC is valid"))
}

fn day(as_of: NaiveDate, back: u64) -> NaiveDate {
    as_of - Days::new(back)
}

fn appraisal(rng: &mut Rng, as_of: NaiveDate, base_yuan: u64) -> Appraisal {
    let appraised_on = day(as_of, rng.below(700));
    Appraisal {
        amount: money_yuan(base_yuan * (1 + rng.below(20))),
        appraised_on,
        valid_until: appraised_on
            .checked_add_months(Months::new(12))
            .unwrap_or(appraised_on),
        appraiser: "资产评估有限公司".into(),
    }
}

/// Application serials handed out in order per filing year and kind, as the office does, so
/// that every application number of a data set is unique.
#[derive(Debug, Default, Clone)]
pub struct Serials(HashMap<(i32, u64), u32>);

impl Serials {
    /// The next serial of `year` and `kind`, or `None` once its seven digits are spent.
    fn next(&mut self, year: i32, kind: u64) -> Option<u32> {
        let n = self.0.entry((year, kind)).or_insert(0);
        *n += 1;
        (*n < 10_000_000).then_some(*n)
    }
}

fn patent(rng: &mut Rng, owner: &Uscc, as_of: NaiveDate, serials: &mut Serials) -> Option<Patent> {
    let digit = match rng.below(100) {
        0..35 => 1,
        35..85 => 2,
        _ => 3,
    };
    let age_days = if rng.chance(60) {
        rng.below(365 * 6)
    } else {
        rng.below(365 * 22)
    };
    let filing_date = day(as_of, age_days);
    let serial = serials.next(filing_date.year(), digit);
    let number = PatentApplicationNumber::from_digits(&format!(
        "{}{digit}{:07}",
        filing_date.year(),
        serial.unwrap_or(0)
    ))
    .ok();
    let term_years: u64 = if digit == 1 { 20 } else { 10 };
    let expired = age_days >= term_years * 365;
    let legal_status = if expired {
        LegalStatus::Expired
    } else {
        match rng.below(1000) {
            0..100 if age_days < 900 => LegalStatus::Pending,
            100..200 => LegalStatus::LapsedUnpaidFee,
            200..210 => LegalStatus::Invalidated,
            210..220 => LegalStatus::InvalidationRequested,
            220..225 => LegalStatus::Suspended,
            _ => LegalStatus::InForce,
        }
    };
    let grant_date = (legal_status != LegalStatus::Pending).then(|| {
        filing_date
            + Days::new(if digit == 1 {
                600 + rng.below(600)
            } else {
                150 + rng.below(200)
            })
    });
    let grant_date = grant_date.map(|g| g.min(as_of));
    let pledge = match rng.below(100) {
        0..5 => Some(PledgeRegistration {
            registration_number: format!("Y{}", number.map(|n| n.to_string()).unwrap_or_default()),
            registered_on: day(as_of, 30 + rng.below(700)),
            released_on: None,
        }),
        5..10 => {
            let on = day(as_of, 400 + rng.below(1500));
            Some(PledgeRegistration {
                registration_number: format!(
                    "Y{}",
                    number.map(|n| n.to_string()).unwrap_or_default()
                ),
                registered_on: on,
                released_on: Some(on + Days::new(365)),
            })
        }
        _ => None,
    };
    let co_owned = rng.chance(8);
    let number = number.filter(|_| serial.is_some());
    let appraisals = if legal_status == LegalStatus::InForce && rng.chance(40) {
        let base = match digit {
            1 => 500_000,
            2 => 100_000,
            _ => 50_000,
        };
        vec![appraisal(rng, as_of, base)]
    } else {
        Vec::new()
    };
    Some(Patent {
        application_number: number?,
        title: text("一种装置及其控制方法"),
        owner: *owner,
        co_owners: if co_owned {
            vec!["某某大学".into()]
        } else {
            Vec::new()
        },
        co_owners_consent: co_owned && rng.chance(50),
        filing_date,
        grant_date,
        legal_status,
        annual_fee_paid_until: Some(if rng.chance(97) {
            as_of + Days::new(rng.below(365))
        } else {
            day(as_of, 1 + rng.below(60))
        }),
        pledge,
        ipc_main: None,
        publication_number: None,
        high_value: HighValueFacts {
            strategic_emerging_industry: rng.chance(35),
            overseas_family: rng.chance(5),
            high_pledge_financing: rng.chance(2),
            award: None,
        },
        same_day_double_filing: rng.chance(2),
        appraisals,
    })
}

/// The enterprises `0..n` of a data set, in order, with everything they hold; application
/// numbers are unique across the set.
#[derive(Debug, Clone)]
pub struct DataSet {
    seed: u64,
    as_of: NaiveDate,
    serials: Serials,
    next: usize,
    end: usize,
}

impl DataSet {
    /// The `n` enterprises of `seed` as of a day.
    pub fn new(seed: u64, n: usize, as_of: NaiveDate) -> Self {
        Self {
            seed,
            as_of,
            serials: Serials::default(),
            next: 0,
            end: n,
        }
    }
}

impl Iterator for DataSet {
    type Item = Holding;

    fn next(&mut self) -> Option<Holding> {
        (self.next < self.end).then(|| {
            self.next += 1;
            holding(self.seed, self.next - 1, self.as_of, &mut self.serials)
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.end - self.next;
        (left, Some(left))
    }
}

/// The enterprise number `i` with everything it holds, numbering its patents from `serials`.
pub fn holding(seed: u64, i: usize, as_of: NaiveDate, serials: &mut Serials) -> Holding {
    let mut rng = Rng(seed ^ (i as u64).wrapping_mul(0x1000_0000_01B3));
    let region = region(&mut rng);
    let u = uscc(&mut rng, &region, i);
    let mut qualifications = Vec::new();
    for (kind, percent) in [
        (QualificationKind::HighTech, 40),
        (QualificationKind::Specialized, 15),
        (QualificationKind::LittleGiant, 2),
        (QualificationKind::TechSme, 40),
        (QualificationKind::NationalIpAdvantage, 3),
        (QualificationKind::NationalIpDemonstration, 1),
        (QualificationKind::ProvincialIpAdvantage, 6),
        (QualificationKind::IpManagementCertified, 10),
    ] {
        if rng.chance(percent) {
            qualifications.push(Qualification {
                kind,
                certificate_number: None,
                valid_until: day(as_of, 200) + Days::new(rng.below(1300)),
            });
        }
    }
    let mut risk_flags = Vec::new();
    for kind in RiskFlagKind::ALL {
        if rng.chance(2) {
            risk_flags.push(RiskFlag {
                kind: *kind,
                recorded_on: day(as_of, rng.below(900)),
            });
        }
    }
    let enterprise = Enterprise {
        uscc: u,
        name: text("某某科技有限公司"),
        park: ParkCode::parse(&format!("p{}", &region[..4]))
            .unwrap_or_else(|_| unreachable!("a generated park code is valid")),
        region: RegionCode::parse(&region)
            .unwrap_or_else(|_| unreachable!("a generated region is valid")),
        industry: IndustryCode::parse(&industry(&mut rng))
            .unwrap_or_else(|_| unreachable!("a generated industry is valid")),
        strategic_industry: None,
        founded_on: day(as_of, 365 + rng.below(365 * 25)),
        size: SizeClass::Small,
        qualifications,
        risk_flags,
        financing_need: rng.chance(50).then(|| FinancingNeed {
            amount: money_yuan(1_000_000 * (1 + rng.below(30))),
            term_months: 12,
        }),
        contact: None,
        contact_consent: false,
    };
    let count = match rng.below(100) {
        0..10 => 0,
        10..60 => 1 + rng.below(3),
        60..88 => 4 + rng.below(5),
        88..98 => 9 + rng.below(12),
        _ => 21 + rng.below(80),
    };
    let patents = (0..count)
        .filter_map(|_| patent(&mut rng, &u, as_of, serials))
        .collect();
    let trademarks = if rng.chance(20) {
        (0..1 + rng.below(3))
            .filter_map(|j| {
                let registered_on = day(as_of, 100 + rng.below(3000));
                Some(Trademark {
                    registration_number: TrademarkRegistrationNumber::parse(
                        &(1 + (i as u64 * 4 + j) % 999_999_999).to_string(),
                    )
                    .ok()?,
                    nice_class: NiceClass::new(1 + rng.below(45) as i64).ok()?,
                    name: text("某某"),
                    owner: u,
                    registered_on,
                    valid_until: registered_on
                        .checked_add_months(Months::new(120))
                        .unwrap_or(registered_on),
                    pledge: None,
                    appraisals: if rng.chance(50) {
                        vec![appraisal(&mut rng, as_of, 200_000)]
                    } else {
                        Vec::new()
                    },
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    Holding {
        enterprise,
        listed: rng.chance(25),
        patents,
        trademarks,
    }
}

/// Every park a data set's enterprises may belong to: one per city, coded `p` and the
/// city's four digits, with the city's region code.
pub fn parks() -> Vec<(ParkCode, RegionCode)> {
    PROVINCES
        .iter()
        .flat_map(|p| (1..=17).map(move |c| format!("{p:02}{c:02}")))
        .filter_map(|city| {
            Some((
                ParkCode::parse(&format!("p{city}")).ok()?,
                RegionCode::parse(&format!("{city}00")).ok()?,
            ))
        })
        .collect()
}

/// The `n` products of a data set: the selective [`selective_product`] first (id 1), then
/// [`product`]s with ids from 2.
pub fn products(seed: u64, n: usize, as_of: NaiveDate) -> Vec<Product> {
    let mut out = vec![selective_product(1, as_of)];
    out.extend((2..=n as i64).map(|id| product(seed, id, as_of)));
    out.truncate(n);
    out
}

/// The benchmarks' change: the holding with its first patent's status flipped between in
/// force and lapsed for unpaid fees.
pub fn with_first_patent_flipped(h: &Holding) -> Holding {
    let mut h = h.clone();
    if let Some(p) = h.patents.first_mut() {
        p.legal_status = if p.legal_status == LegalStatus::InForce {
            LegalStatus::LapsedUnpaidFee
        } else {
            LegalStatus::InForce
        };
    }
    h
}

/// A city's 知惠贷: Xinxiang (4107), manufacturers (C), high-tech or 专精特新.
pub fn selective_product(id: i64, as_of: NaiveDate) -> Product {
    Product {
        id,
        published: true,
        rules: LoanProduct {
            name: text("知惠贷"),
            description: None,
            amount_min: money_yuan(1_000_000),
            amount_max: money_yuan(30_000_000),
            max_term_months: 36,
            rate_cap_over_lpr: bp(80),
            pledge_rates: PledgeRates {
                invention: Some(bp(2500)),
                utility_model: Some(bp(1500)),
                design: None,
                trademark: Some(bp(5000)),
            },
            min_remaining_months: 24,
            no_prior_pledge: false,
            qualifications_all: Vec::new(),
            qualifications_any: vec![QualificationKind::HighTech, QualificationKind::Specialized],
            excluded_risk_flags: RiskFlagKind::ALL.to_vec(),
            region_prefixes: vec!["4107".into()],
            industry_prefixes: vec!["C".into()],
            min_years_in_operation: 1,
            min_valid_invention_patents: 1,
            min_ip_share: None,
            whitelist_required: true,
            interest_subsidy: None,
            risk_pool: true,
            valid_from: day(as_of, 100),
            valid_until: Some(as_of + Days::new(600)),
        },
    }
}

/// Product `id` of a bank, with rules drawn like real ones.
pub fn product(seed: u64, id: i64, as_of: NaiveDate) -> Product {
    let mut rng = Rng(seed ^ 0xC0FF_EE00 ^ (id as u64).wrapping_mul(0x9E37_79B9));
    let amount_min = [100_000, 500_000, 1_000_000, 2_000_000][rng.below(4) as usize];
    let amount_max =
        [1_000_000, 5_000_000, 10_000_000, 30_000_000][rng.below(4) as usize].max(amount_min * 2);
    let region_prefixes = match rng.below(10) {
        0..4 => Vec::new(),
        4..7 => vec![format!("{:02}", HEAVY[rng.below(6) as usize])],
        _ => vec![region(&mut rng)[..4].to_owned()],
    };
    let industry_prefixes = match rng.below(10) {
        0..7 => Vec::new(),
        7..9 => vec!["C".into()],
        _ => vec![industry(&mut rng)[..3].to_owned()],
    };
    Product {
        id,
        published: true,
        rules: LoanProduct {
            name: text("知识产权质押贷"),
            description: None,
            amount_min: money_yuan(amount_min),
            amount_max: money_yuan(amount_max),
            max_term_months: [12, 24, 36][rng.below(3) as usize],
            rate_cap_over_lpr: bp(50 + rng.below(100)),
            pledge_rates: PledgeRates {
                invention: Some(bp(1000 * (2 + rng.below(5)))),
                utility_model: rng.chance(70).then(|| bp(1000 * (1 + rng.below(3)))),
                design: rng.chance(20).then(|| bp(1000)),
                trademark: rng.chance(30).then(|| bp(1000 * (3 + rng.below(3)))),
            },
            min_remaining_months: [0, 12, 24, 60][rng.below(4) as usize],
            no_prior_pledge: rng.chance(20),
            qualifications_all: if rng.chance(15) {
                vec![QualificationKind::HighTech]
            } else {
                Vec::new()
            },
            qualifications_any: if rng.chance(50) {
                vec![
                    QualificationKind::HighTech,
                    QualificationKind::Specialized,
                    QualificationKind::TechSme,
                ]
            } else {
                Vec::new()
            },
            excluded_risk_flags: vec![
                RiskFlagKind::DishonestDebtor,
                RiskFlagKind::AbnormalOperation,
                RiskFlagKind::SeriousViolation,
            ],
            region_prefixes,
            industry_prefixes,
            min_years_in_operation: rng.below(4) as u16,
            min_valid_invention_patents: rng.below(3) as u16,
            min_ip_share: rng.chance(10).then(|| bp(5000)),
            whitelist_required: rng.chance(80),
            interest_subsidy: None,
            risk_pool: rng.chance(50),
            valid_from: day(as_of, 100),
            valid_until: Some(as_of + Days::new(300)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn as_of() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap_or_default()
    }

    #[test]
    fn a_data_set_passes_the_checks_real_data_gets() {
        let today = as_of();
        let mut numbers = HashSet::new();
        let mut usccs = HashSet::new();
        let mut trademarks = HashSet::new();
        let (mut patents, mut listed, mut flagged) = (0, 0, 0);
        for h in DataSet::new(9, 3000, today) {
            let e = &h.enterprise;
            assert!(e.violations(today).is_empty(), "{:?}", e.violations(today));
            assert_eq!(Uscc::parse(&e.uscc.to_string()).ok(), Some(e.uscc));
            assert!(usccs.insert(e.uscc), "USCC {} twice", e.uscc);
            listed += usize::from(h.listed);
            flagged += usize::from(!e.risk_flags.is_empty());
            for p in &h.patents {
                assert!(p.violations(today).is_empty(), "{:?}", p.violations(today));
                let text = p.application_number.to_string();
                assert_eq!(
                    PatentApplicationNumber::parse(&text).ok(),
                    Some(p.application_number)
                );
                assert!(numbers.insert(p.application_number), "{text} twice");
                for a in &p.appraisals {
                    assert!(a.violations(today).is_empty());
                }
                patents += 1;
            }
            for t in &h.trademarks {
                assert!(t.violations(today).is_empty(), "{:?}", t.violations(today));
                assert!(trademarks.insert((t.registration_number, t.nice_class)));
            }
        }
        // About five patents each, a quarter listed, a few per cent flagged.
        assert!((3.5..6.5).contains(&(patents as f64 / 3000.0)), "{patents}");
        assert!((600..900).contains(&listed), "{listed}");
        assert!((100..900).contains(&flagged), "{flagged}");
    }

    #[test]
    fn the_same_seed_gives_the_same_data() {
        let a: Vec<_> = DataSet::new(5, 200, as_of()).collect();
        let b: Vec<_> = DataSet::new(5, 200, as_of()).collect();
        let c: Vec<_> = DataSet::new(6, 200, as_of()).collect();
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert_ne!(format!("{a:?}"), format!("{c:?}"));
    }

    #[test]
    fn every_enterprise_belongs_to_a_listed_park() {
        let parks: HashSet<ParkCode> = parks().into_iter().map(|(code, _)| code).collect();
        assert!(parks.len() > 500);
        for h in DataSet::new(2, 2000, as_of()) {
            assert!(parks.contains(&h.enterprise.park), "{}", h.enterprise.park);
        }
    }

    #[test]
    fn products_pass_the_checks_a_saved_product_gets() {
        for id in 1..300 {
            let p = product(3, id, as_of());
            assert!(
                p.rules.violations().is_empty(),
                "{:?}",
                p.rules.violations()
            );
        }
        assert!(selective_product(1, as_of()).rules.violations().is_empty());
    }
}
