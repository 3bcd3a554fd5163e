//! A product's rules as the SQL a team would write without an engine: filters on the
//! enterprise row, EXISTS on the list and the JSON qualifications and risk flags, a count of
//! valid invention patents, and the credit line as the sum of pledge values of the IP that
//! may be pledged (latest valid appraisal × the product's pledge rate), capped at the maximum.
//! PostgreSQL only; the dates are written in.

use crate::Store;
use crate::error::Result;
use chrono::{Months, NaiveDate};
use pledge_domain::{LoanProduct, ParkCode};

fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn list(xs: impl IntoIterator<Item = String>) -> String {
    xs.into_iter().collect::<Vec<_>>().join(", ")
}

/// `expr` starts with one of `prefixes` (true when there are none), written as a range so
/// that a plain B-tree index serves it whatever the collation.
fn any_prefix(expr: &str, prefixes: &[String]) -> String {
    if prefixes.is_empty() {
        return "TRUE".into();
    }
    let ors: Vec<String> = prefixes
        .iter()
        .map(|p| {
            let mut next: Vec<char> = p.chars().collect();
            if let Some(last) = next.last_mut() {
                *last = char::from_u32(*last as u32 + 1).unwrap_or(*last);
            }
            let next: String = next.into_iter().collect();
            format!("({expr} >= {} AND {expr} < {})", quoted(p), quoted(&next))
        })
        .collect();
    format!("({})", ors.join(" OR "))
}

/// The term's end of a patent row `p`, by kind (designs filed from 2021-06-01: 15 years).
const EXPIRY: &str = "(p.filing_date + CASE WHEN p.kind IN ('invention', 'pct_invention') \
    THEN INTERVAL '20 years' WHEN p.kind = 'design' AND p.filing_date >= DATE '2021-06-01' \
    THEN INTERVAL '15 years' ELSE INTERVAL '10 years' END)::date";

/// The top `limit` eligible enterprises of a product by credit line, as (USCC, credit line
/// in 分), optionally within one park.
fn top_by_credit_line(
    p: &LoanProduct,
    as_of: NaiveDate,
    park: Option<&ParkCode>,
    limit: usize,
) -> String {
    let day = |d: NaiveDate| format!("DATE '{d}'");
    let loan_end = p.loan_end(as_of);
    let founded_by = as_of
        .checked_sub_months(Months::new(12 * u32::from(p.min_years_in_operation)))
        .unwrap_or(as_of);
    let mut filters = vec![
        any_prefix("e.region", &p.region_prefixes),
        any_prefix("e.industry", &p.industry_prefixes),
        format!("e.founded_on <= {}", day(founded_by)),
    ];
    if let Some(park) = park {
        filters.push(format!(
            "e.park_id IN (SELECT id FROM parks WHERE code = {})",
            quoted(park.as_str())
        ));
    }
    if p.whitelist_required {
        filters.push(format!(
            "EXISTS (SELECT 1 FROM whitelist_entries w \
                 JOIN whitelist_batches b ON b.id = w.batch_id \
                 WHERE w.live_enterprise_id = e.id AND w.status = 'published' \
                 AND b.valid_until >= {})",
            day(as_of)
        ));
    }
    let held = |k: &str| {
        format!(
            "EXISTS (SELECT 1 FROM json_array_elements(e.qualifications::json) q \
             WHERE q->>'kind' = {} AND (q->>'valid_until')::date >= {})",
            quoted(k),
            day(as_of)
        )
    };
    for k in &p.qualifications_all {
        filters.push(held(k.as_str()));
    }
    if !p.qualifications_any.is_empty() {
        let any: Vec<String> = p
            .qualifications_any
            .iter()
            .map(|k| held(k.as_str()))
            .collect();
        filters.push(format!("({})", any.join(" OR ")));
    }
    if !p.excluded_risk_flags.is_empty() {
        filters.push(format!(
            "NOT EXISTS (SELECT 1 FROM json_array_elements(e.risk_flags::json) f \
             WHERE f->>'kind' IN ({}) AND (f->>'recorded_on')::date <= {})",
            list(p.excluded_risk_flags.iter().map(|k| quoted(k.as_str()))),
            day(as_of)
        ));
    }
    if p.min_valid_invention_patents > 0 {
        filters.push(format!(
            "(SELECT COUNT(*) FROM patents p WHERE p.enterprise_id = e.id \
             AND p.kind IN ('invention', 'pct_invention') \
             AND p.legal_status IN ('in_force', 'invalidation_requested', 'suspended') \
             AND p.grant_date <= {d} AND p.annual_fee_paid_until >= {d} AND {EXPIRY} > {d}) >= {}",
            p.min_valid_invention_patents,
            d = day(as_of)
        ));
    }
    let rate = |kinds: &str, r: Option<pledge_domain::BasisPoints>| {
        r.map(|r| format!("WHEN p.kind IN ({kinds}) THEN {}", r.get()))
    };
    let rates: Vec<String> = [
        rate("'invention', 'pct_invention'", p.pledge_rates.invention),
        rate(
            "'utility_model', 'pct_utility_model'",
            p.pledge_rates.utility_model,
        ),
        rate("'design'", p.pledge_rates.design),
    ]
    .into_iter()
    .flatten()
    .collect();
    let latest_appraisal = |owner: &str| {
        format!(
            "(SELECT a.amount_fen FROM appraisals a WHERE a.{owner} AND a.appraised_on <= {d} \
             AND a.valid_until >= {d} ORDER BY a.appraised_on DESC, a.id DESC LIMIT 1)",
            d = day(as_of)
        )
    };
    let prior = |t: &str| {
        // Never pledged: neither registered nor marked by a ledger.
        let never = format!("({t}.pledge_registration_number IS NULL AND NOT {t}.pledge_marked)");
        if p.no_prior_pledge {
            never
        } else {
            format!("({never} OR {t}.pledge_released_on <= {})", day(as_of))
        }
    };
    let mut values = vec![format!(
        "SELECT p.enterprise_id, {appraisal} * CASE {rates} ELSE 0 END / 10000 AS value \
         FROM patents p JOIN candidates c ON c.id = p.enterprise_id \
         WHERE p.legal_status = 'in_force' AND p.grant_date <= {d} \
         AND p.annual_fee_paid_until >= {d} AND p.same_day_double_filing = FALSE \
         AND (p.co_owners::text = '[]' OR p.co_owners_consent) AND {prior} \
         AND {EXPIRY} > {end} \
         AND {EXPIRY} >= ({end} + INTERVAL '{months} months')::date",
        appraisal = latest_appraisal("patent_id = p.id"),
        rates = if rates.is_empty() {
            "WHEN FALSE THEN 0".into()
        } else {
            rates.join(" ")
        },
        d = day(as_of),
        end = day(loan_end),
        months = p.min_remaining_months,
        prior = prior("p"),
    )];
    if let Some(r) = p.pledge_rates.trademark {
        values.push(format!(
            "SELECT t.enterprise_id, {appraisal} * {} / 10000 AS value \
             FROM trademarks t JOIN candidates c ON c.id = t.enterprise_id \
             WHERE t.registered_on <= {d} AND t.valid_until >= {end} AND {prior}",
            r.get(),
            appraisal = latest_appraisal("trademark_id = t.id"),
            d = day(as_of),
            end = day(loan_end),
            prior = prior("t"),
        ));
    }
    format!(
        "WITH candidates AS (SELECT e.id, e.uscc FROM enterprises e WHERE {filters}), \
         ip AS ({values}) \
         SELECT c.uscc, LEAST(SUM(ip.value), {max})::bigint AS credit_line \
         FROM candidates c JOIN ip ON ip.enterprise_id = c.id WHERE ip.value > 0 \
         GROUP BY c.id, c.uscc HAVING LEAST(SUM(ip.value), {max}) >= {min} \
         ORDER BY credit_line DESC, c.uscc LIMIT {limit}",
        filters = filters.join(" AND "),
        values = values.join(" UNION ALL "),
        max = p.amount_max.fen(),
        min = p.amount_min.fen(),
    )
}

impl Store {
    /// The SQL baseline of the benchmark: the top `limit` eligible enterprises of a product's
    /// rules `p` by credit line, as (USCC, credit line in 分), optionally within one park,
    /// answered by the query above (PostgreSQL only).
    pub async fn sql_top_by_credit_line(
        &self,
        p: &LoanProduct,
        as_of: NaiveDate,
        park: Option<&ParkCode>,
        limit: usize,
    ) -> Result<Vec<(String, i64)>> {
        self.uscc_amounts(&top_by_credit_line(p, as_of, park, limit))
            .await
    }
}
