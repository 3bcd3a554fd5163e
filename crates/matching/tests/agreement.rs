//! The fast index and the reference evaluator must give the same answer for every pair: the
//! verdict, every reason with its figures, the bundle, the credit line and the score; the
//! ranked lists, the previews and the gained/lost pairs after a change must follow from it.
//! Data is random, with dates packed around the evaluation day: patents expiring just before or
//! after the loan ends, annual fees paid until around today, appraisals ending around today.

use chrono::{Days, Months, NaiveDate};
use pledge_domain::{
    Appraisal, BasisPoints, Enterprise, FinancingNeed, HighValueFacts, IndustryCode, LegalStatus,
    LoanProduct, Money, NiceClass, ParkCode, Patent, PatentApplicationNumber, PledgeRates,
    PledgeRegistration, Qualification, QualificationKind, RegionCode, RiskFlag, RiskFlagKind,
    SizeClass, Text, Trademark, TrademarkRegistrationNumber, Uscc,
};
use pledge_fixtures::Rng;
use pledge_matching::{
    Evaluation, Holding, Index, IndexParts, MatchQuery, PairChange, Product, RankKey, SortBy,
    Standing, evaluate,
};
use proptest::prelude::*;
use std::cmp::Reverse;

/// A day within `spread` days either side of `around`.
fn near(rng: &mut Rng, around: NaiveDate, spread: u64) -> NaiveDate {
    let off = rng.below(2 * spread + 1);
    if off >= spread {
        around + Days::new(off - spread)
    } else {
        around - Days::new(spread - off)
    }
}

const REGIONS: [&str; 6] = ["410702", "410703", "410711", "410782", "411102", "320506"];
const INDUSTRIES: [&str; 6] = ["C3511", "C35", "C3911", "I6510", "M7320", "C2614"];
const PARKS: [&str; 3] = ["xxhtz", "hongqi", "suzhou"];

fn uscc(rng: &mut Rng, region: &str) -> Uscc {
    const CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    loop {
        let org: String = (0..9)
            .map(|_| CHARS[rng.below(31) as usize] as char)
            .collect();
        if let Ok(u) = Uscc::from_body(&format!("91{region}{org}")) {
            return u;
        }
    }
}

fn money(yuan: u64) -> Money {
    Money::from_yuan(yuan as i64).unwrap_or(Money::ZERO)
}

fn appraisals(rng: &mut Rng, as_of: NaiveDate) -> Vec<Appraisal> {
    (0..1 + rng.below(2))
        .map(|_| {
            let appraised_on = near(rng, as_of - Days::new(200), 250);
            Appraisal {
                amount: money(if rng.chance(3) {
                    0
                } else {
                    100_000 + rng.below(5_000_000)
                }),
                appraised_on,
                valid_until: appraised_on + Days::new(150 + rng.below(750)),
                appraiser: "某评估公司".into(),
            }
        })
        .collect()
}

fn pledge(rng: &mut Rng, as_of: NaiveDate) -> Option<PledgeRegistration> {
    rng.chance(12).then(|| {
        let registered_on = near(rng, as_of, 400);
        let released = rng
            .chance(50)
            .then(|| registered_on + Days::new(rng.below(600)));
        if rng.chance(10) {
            // Marked by a ledger, registration not given.
            PledgeRegistration {
                released_on: released,
                ..PledgeRegistration::marked()
            }
        } else {
            PledgeRegistration::registered(
                format!("Y2026{}", rng.below(1_000_000)),
                registered_on,
                released,
            )
        }
    })
}

fn patent(rng: &mut Rng, owner: &Uscc, as_of: NaiveDate) -> Option<Patent> {
    let digit = *rng.pick(&[1u8, 1, 1, 2, 2, 3, 8, 9]);
    let term_years: u32 = match digit {
        1 | 8 => 20,
        _ => 10,
    };
    // Expiry lands within a few years of the evaluation day, so loan ends straddle it.
    let expiry = near(rng, as_of + Months::new(60), 1100);
    let filing_date = expiry.checked_sub_months(Months::new(term_years * 12))?;
    let serial = rng.below(10_000_000);
    let number = PatentApplicationNumber::from_digits(&format!(
        "{}{digit}{serial:07}",
        filing_date.format("%Y")
    ))
    .ok()?;
    let legal_status = *rng.pick(&[
        LegalStatus::InForce,
        LegalStatus::InForce,
        LegalStatus::InForce,
        LegalStatus::InForce,
        LegalStatus::InForce,
        LegalStatus::InForce,
        LegalStatus::InForce,
        LegalStatus::InForce,
        LegalStatus::Pending,
        LegalStatus::LapsedUnpaidFee,
        LegalStatus::Expired,
        LegalStatus::Invalidated,
        LegalStatus::InvalidationRequested,
        LegalStatus::Suspended,
        LegalStatus::Ended,
    ]);
    // A right that ended may come without its grant date.
    let grant_date = (legal_status != LegalStatus::Pending
        && (legal_status != LegalStatus::Ended || rng.below(2) == 0))
        .then(|| filing_date + Days::new(200 + rng.below(1500)))
        .map(|g| {
            if rng.chance(5) {
                near(rng, as_of, 20)
            } else {
                g
            }
        });
    let co_owners = if rng.chance(15) {
        vec!["另一共有人公司".to_owned()]
    } else {
        Vec::new()
    };
    Some(Patent {
        application_number: number,
        title: Text::parse("一种装置", 1, 200).ok()?,
        owner: if rng.chance(3) {
            uscc(rng, "410702")
        } else {
            *owner
        },
        co_owners,
        co_owners_consent: Some(rng.chance(50)),
        filing_date,
        grant_date,
        legal_status,
        annual_fee_paid_until: rng.chance(95).then(|| near(rng, as_of + Days::new(45), 60)),
        pledges: pledge(rng, as_of).into_iter().collect(),
        transferred_out_to: None,
        ipc_main: None,
        publication_number: None,
        high_value: HighValueFacts {
            strategic_emerging_industry: rng.chance(30),
            overseas_family: rng.chance(10),
            high_pledge_financing: false,
            award: None,
        },
        same_day_double_filing: rng.chance(3),
        appraisals: appraisals(rng, as_of),
    })
}

fn trademark(rng: &mut Rng, owner: &Uscc, as_of: NaiveDate) -> Option<Trademark> {
    let valid_until = near(rng, as_of + Months::new(24), 900);
    let registered_on = valid_until.checked_sub_months(Months::new(120))?;
    Some(Trademark {
        registration_number: TrademarkRegistrationNumber::parse(
            &(1 + rng.below(99_999_999)).to_string(),
        )
        .ok()?,
        nice_class: NiceClass::new(1 + rng.below(45) as i64).ok()?,
        name: Text::parse("某商标", 1, 100).ok()?,
        owner: *owner,
        registered_on,
        valid_until,
        pledge: pledge(rng, as_of),
        appraisals: appraisals(rng, as_of),
    })
}

fn holding(rng: &mut Rng, as_of: NaiveDate) -> Holding {
    let region = *rng.pick(&REGIONS);
    let u = uscc(rng, region);
    let mut qualifications = Vec::new();
    for k in QualificationKind::ALL {
        if rng.chance(35) {
            qualifications.push(Qualification {
                kind: *k,
                certificate_number: None,
                valid_until: Some(near(rng, as_of, 200)),
            });
        }
    }
    let mut risk_flags = Vec::new();
    for k in RiskFlagKind::ALL {
        if rng.chance(8) {
            risk_flags.push(RiskFlag {
                kind: *k,
                recorded_on: near(rng, as_of, 100),
            });
        }
    }
    let enterprise = Enterprise {
        uscc: u,
        name: Text::parse("新乡市某某科技有限公司", 2, 100).unwrap_or_else(|_| unreachable!()),
        former_names: Vec::new(),
        park: ParkCode::parse(rng.pick::<&str>(&PARKS)).unwrap_or_else(|_| unreachable!()),
        region: RegionCode::parse(region).unwrap_or_else(|_| unreachable!()),
        industry: IndustryCode::parse(rng.pick::<&str>(&INDUSTRIES))
            .unwrap_or_else(|_| unreachable!()),
        strategic_industry: None,
        founded_on: near(rng, as_of - Days::new(3650), 3600),
        size: SizeClass::Small,
        qualifications,
        risk_flags,
        financing_need: rng.chance(50).then(|| FinancingNeed {
            amount: money(200_000 + rng.below(30_000_000)),
            term_months: 12,
        }),
        contact: None,
        contact_consent: false,
    };
    let patents = (0..1 + rng.below(8))
        .filter_map(|_| patent(rng, &u, as_of))
        .collect();
    let trademarks = (0..rng.below(3))
        .filter_map(|_| trademark(rng, &u, as_of))
        .collect();
    Holding {
        enterprise,
        // Some lists ended a few days before the day: no longer listed.
        listed_until: rng.chance(75).then(|| near(rng, as_of + Days::new(20), 30)),
        patents,
        trademarks,
    }
}

/// With `percent` chance, up to `max` distinct picks of `xs`.
fn some<T: Copy + PartialEq>(rng: &mut Rng, percent: u64, xs: &[T], max: u64) -> Vec<T> {
    let mut out = Vec::new();
    let n = if rng.chance(percent) {
        1 + rng.below(max)
    } else {
        0
    };
    for _ in 0..n {
        let x = *rng.pick(xs);
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}

fn rate(rng: &mut Rng, percent: u64) -> Option<BasisPoints> {
    rng.chance(percent)
        .then(|| BasisPoints::new(1000 + rng.below(5001) as i64).ok())
        .flatten()
}

fn product(rng: &mut Rng, id: i64, as_of: NaiveDate) -> Product {
    let amount_min = 100_000 + rng.below(2_000_000);
    let valid_from = if rng.chance(90) {
        as_of - Days::new(rng.below(300))
    } else {
        as_of + Days::new(1 + rng.below(30))
    };
    let rules = LoanProduct {
        name: Text::parse("知惠贷", 2, 100).unwrap_or_else(|_| unreachable!()),
        description: None,
        amount_min: money(amount_min),
        amount_max: money(amount_min + rng.below(30_000_000)),
        max_term_months: 6 + rng.below(55) as u16,
        rate_cap_over_lpr: BasisPoints::new(80).unwrap_or_else(|_| unreachable!()),
        pledge_rates: PledgeRates {
            invention: rate(rng, 90),
            utility_model: rate(rng, 70),
            design: rate(rng, 30),
            trademark: rate(rng, 40),
        },
        min_remaining_months: if rng.chance(50) {
            0
        } else {
            rng.below(36) as u16
        },
        no_prior_pledge: rng.chance(20),
        qualifications_all: some(rng, 25, QualificationKind::ALL, 1),
        qualifications_any: some(rng, 35, QualificationKind::ALL, 3),
        excluded_risk_flags: some(rng, 70, RiskFlagKind::ALL, 4),
        region_prefixes: some(rng, 40, &["41", "4107", "410702", "3205", "411102"], 2)
            .into_iter()
            .map(String::from)
            .collect(),
        industry_prefixes: some(rng, 40, &["C", "C35", "I", "M73", "C39"], 2)
            .into_iter()
            .map(String::from)
            .collect(),
        min_years_in_operation: rng.below(4) as u16,
        min_valid_invention_patents: rng.below(2) as u16,
        min_ip_share: rng
            .chance(25)
            .then(|| BasisPoints::new(3000 + rng.below(7001) as i64).ok())
            .flatten(),
        whitelist_required: rng.chance(80),
        interest_subsidy: None,
        risk_pool: false,
        valid_from,
        valid_until: rng
            .chance(50)
            .then(|| near(rng, as_of + Days::new(200), 220).max(valid_from)),
    };
    Product {
        id,
        published: rng.chance(80),
        rules,
    }
}

struct World {
    as_of: NaiveDate,
    holdings: Vec<Holding>,
    products: Vec<Product>,
}

fn world(seed: u64, enterprises: usize, products: usize) -> World {
    let mut rng = Rng(seed);
    let as_of = near(
        &mut rng,
        NaiveDate::from_ymd_opt(2026, 6, 15).unwrap_or_default(),
        500,
    );
    World {
        as_of,
        holdings: (0..enterprises).map(|_| holding(&mut rng, as_of)).collect(),
        products: (0..products)
            .map(|i| product(&mut rng, i as i64 + 1, as_of))
            .collect(),
    }
}

fn key(sort: SortBy, e: &Evaluation) -> RankKey {
    let (s, c) = (i64::from(e.score.total), e.credit_line.fen());
    let (primary, secondary) = match sort {
        SortBy::Score => (s, c),
        SortBy::CreditLine => (c, s),
    };
    RankKey {
        primary,
        secondary,
        uscc: Reverse(e.uscc),
    }
}

/// Every pair explained alike, every enterprise's standings and the whole match table read
/// alike, and every ranked list paged alike, by `index` and by `ordered` (broad lists read in
/// score order from the first slot on, and answered from kept lists; the same index so set up
/// when `None`).
fn check_agreement(w: &World, index: &Index, ordered: Option<&Index>, rng: &mut Rng) {
    let ordered = ordered.cloned().unwrap_or_else(|| {
        let mut o = index.clone();
        o.set_ordered_scan_from(0);
        o
    });
    let mut pairs: std::collections::BTreeMap<i64, Vec<Uscc>> = Default::default();
    for h in &w.holdings {
        let uscc = &h.enterprise.uscc;
        let drafts_too = rng.chance(50);
        let standings = index
            .standings(uscc, drafts_too)
            .unwrap_or_else(|| unreachable!("{uscc} is indexed"));
        let expected: Vec<Standing> = w
            .products
            .iter()
            .filter(|p| drafts_too || p.published)
            .map(|p| {
                let e = evaluate(h, p, w.as_of);
                Standing {
                    product_id: p.id,
                    eligible: e.eligible,
                    credit_line: if e.eligible {
                        e.credit_line
                    } else {
                        Money::ZERO
                    },
                    score: if e.eligible { e.score.total } else { 0 },
                }
            })
            .collect();
        let mut standings = standings;
        standings.sort_by_key(|s| s.product_id);
        let mut expected = expected;
        expected.sort_by_key(|s| s.product_id);
        assert_eq!(standings, expected, "standings of {uscc}");
    }
    for p in &w.products {
        let mut expected: Vec<Evaluation> = Vec::new();
        for h in &w.holdings {
            let reference = evaluate(h, p, w.as_of);
            let fast = index.explain(p.id, &h.enterprise.uscc);
            assert_eq!(fast.as_ref(), Some(&reference), "product {}", p.id);
            if reference.eligible {
                expected.push(reference);
            }
        }
        let mut table: Vec<Uscc> = expected.iter().map(|e| e.uscc).collect();
        table.sort();
        pairs.insert(p.id, table);
        assert_eq!(
            index.preview(&p.rules, false).eligible as usize,
            expected.len(),
            "preview of product {}",
            p.id
        );
        let sort = if rng.chance(50) {
            SortBy::Score
        } else {
            SortBy::CreditLine
        };
        let listed_only = rng.chance(50);
        if listed_only {
            expected.retain(|e| {
                w.holdings
                    .iter()
                    .any(|h| h.enterprise.uscc == e.uscc && h.listed_on(w.as_of))
            });
        }
        expected.sort_by_key(|e| Reverse(key(sort, e)));
        let limit = 1 + rng.below(7) as usize;
        for (index, counted) in [(index, true), (&ordered, false)] {
            let mut q = MatchQuery {
                sort,
                limit,
                listed_only,
                ..MatchQuery::default()
            };
            let mut got = Vec::new();
            loop {
                let page = index
                    .matches(p.id, &q)
                    .unwrap_or_else(|| unreachable!("product {} is indexed", p.id));
                if counted {
                    assert_eq!(page.total, Some(expected.len() as u32));
                }
                got.extend(page.items.into_iter().map(|(_, e)| e));
                assert_eq!(
                    page.next.is_some(),
                    got.len() < expected.len(),
                    "a next page exactly when rows remain"
                );
                match page.next {
                    Some(k) => q.after = Some(k),
                    None => break,
                }
            }
            assert_eq!(got, expected, "ranked list of product {}", p.id);
        }
    }
    assert_eq!(index.eligible_pairs(), pairs, "the match table");
    assert_eq!(ordered.eligible_pairs(), pairs, "the match table, ordered");
    let mut matched = 0;
    for h in w.holdings.iter().filter(|h| h.listed_on(w.as_of)) {
        let offered = |p: &&Product| p.rules.offered_on(w.as_of);
        matched += usize::from(
            w.products
                .iter()
                .filter(offered)
                .any(|p| evaluate(h, p, w.as_of).eligible),
        );
    }
    let figures = index.park_figures(None);
    assert_eq!(
        figures.values().map(|f| f.matched as usize).sum::<usize>(),
        matched,
        "listed enterprises matched"
    );
}

/// The index written as a snapshot would be, and read back.
fn round_trip(index: &Index) -> Index {
    let bytes = postcard::to_allocvec(&index.parts()).unwrap_or_else(|e| panic!("written: {e}"));
    let parts: IndexParts =
        postcard::from_bytes(&bytes).unwrap_or_else(|e| panic!("read back: {e}"));
    Index::from_parts(parts).unwrap_or_else(|e| panic!("whole: {e}"))
}

fn eligible_ids(h: &Holding, products: &[Product], as_of: NaiveDate) -> Vec<i64> {
    products
        .iter()
        .filter(|p| evaluate(h, p, as_of).eligible)
        .map(|p| p.id)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn index_agrees_with_the_reference(seed in any::<u64>()) {
        let w = world(seed, 60, 12);
        let index = Index::build(w.as_of, w.holdings.clone(), w.products.clone());
        let mut rng = Rng(seed ^ 0xABCD);
        check_agreement(&w, &index, None, &mut rng);
    }

    #[test]
    fn changes_report_exactly_the_pairs_that_moved(seed in any::<u64>()) {
        let mut w = world(seed, 40, 10);
        let mut index = Index::build(w.as_of, w.holdings.clone(), w.products.clone());
        let mut rng = Rng(seed ^ 0x1234);
        // Beside it, one whose broad lists are kept, so short that changes thin them out.
        let mut ordered = index.clone();
        ordered.set_ordered_scan_from(0);
        ordered.set_kept_rows(1 + rng.below(4) as usize);
        for _ in 0..16 {
            if rng.chance(20) {
                // A product saved anew, added or withdrawn.
                let at = rng.below(w.products.len() as u64 + 1) as usize;
                if at < w.products.len() && rng.chance(30) {
                    let id = w.products.remove(at).id;
                    index.remove_product(id);
                    ordered.remove_product(id);
                } else {
                    let next = w.products.iter().map(|p| p.id).max().unwrap_or(0) + 1;
                    let id = w.products.get(at).map_or(next, |p| p.id);
                    let fresh = product(&mut rng, id, w.as_of);
                    index.upsert_product(fresh.clone());
                    ordered.upsert_product(fresh.clone());
                    match w.products.get_mut(at) {
                        Some(p) => *p = fresh,
                        None => w.products.push(fresh),
                    }
                }
                continue;
            }
            let i = rng.below(w.holdings.len() as u64 + 1) as usize;
            let fresh = holding(&mut rng, w.as_of);
            let mut changed = match w.holdings.get(i) {
                Some(old) => {
                    let mut h = old.clone();
                    match rng.below(7) {
                        0 => h.listed_until = match h.listed_until {
                            Some(_) => None,
                            None => Some(w.as_of),
                        },
                        1 => h.enterprise.risk_flags.push(RiskFlag {
                            kind: *rng.pick(RiskFlagKind::ALL),
                            recorded_on: w.as_of,
                        }),
                        2 => h.enterprise.region = fresh.enterprise.region,
                        3 => { h.patents.pop(); }
                        5 => h.enterprise.industry = fresh.enterprise.industry,
                        4 => h.patents = fresh.patents.iter().map(|p| Patent { owner: h.enterprise.uscc, ..p.clone() }).collect(),
                        _ => h.enterprise.qualifications = fresh.enterprise.qualifications.clone(),
                    }
                    h
                }
                None => fresh,
            };
            let before = w.holdings.get(i).map(|h| eligible_ids(h, &w.products, w.as_of)).unwrap_or_default();
            let after = eligible_ids(&changed, &w.products, w.as_of);
            let mut expected: Vec<PairChange> = w.products.iter().filter_map(|p| {
                let (b, a) = (before.contains(&p.id), after.contains(&p.id));
                (a != b).then_some(PairChange { product_id: p.id, uscc: changed.enterprise.uscc, gained: a })
            }).collect();
            expected.sort_by_key(|c| c.product_id);
            prop_assert_eq!(index.upsert_enterprise(&changed), expected.clone());
            prop_assert_eq!(ordered.upsert_enterprise(&changed), expected);
            if rng.chance(10) {
                changed.listed_until = Some(w.as_of + Days::new(1));
            }
            index.upsert_enterprise(&changed);
            ordered.upsert_enterprise(&changed);
            if i < w.holdings.len() { w.holdings[i] = changed; } else { w.holdings.push(changed); }
        }
        check_agreement(&w, &index, Some(&ordered), &mut rng);
        // Written and read back, both answer alike.
        let restored = round_trip(&index);
        let restored_ordered = round_trip(&ordered);
        check_agreement(&w, &restored, Some(&restored_ordered), &mut rng);
    }

    #[test]
    fn damaged_parts_are_refused_or_harmless(seed in any::<u64>(), flips in 1usize..6) {
        let w = world(seed, 20, 6);
        let mut index = Index::build(w.as_of, w.holdings.clone(), w.products.clone());
        index.set_ordered_scan_from(0);
        let mut bytes = postcard::to_allocvec(&index.parts()).unwrap_or_default();
        let mut rng = Rng(seed ^ 0x77);
        let cut = rng.below(bytes.len() as u64 + 1) as usize;
        if rng.chance(30) {
            bytes.truncate(cut);
        }
        for _ in 0..flips {
            if !bytes.is_empty() {
                let at = rng.below(bytes.len() as u64) as usize;
                bytes[at] ^= 1 << rng.below(8);
            }
        }
        // Whatever comes back is either refused or an index that answers without panicking.
        if let Ok(parts) = postcard::from_bytes::<IndexParts>(&bytes)
            && let Ok(back) = Index::from_parts(parts)
        {
            for p in &w.products {
                let _ = back.matches(p.id, &MatchQuery { limit: 5, listed_only: rng.chance(50), ..MatchQuery::default() });
            }
            for h in &w.holdings {
                let _ = back.standings(&h.enterprise.uscc, true);
                let _ = back.enterprise_view(&h.enterprise.uscc, true);
            }
            let _ = back.eligible_pairs();
            let mut back = back;
            for h in w.holdings.iter().take(3) {
                back.upsert_enterprise(h);
            }
        }
    }
}
