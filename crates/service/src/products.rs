//! Loan products: a bank publishes its own, with rules the domain validates; a preview says
//! what unsaved rules would match today.

use crate::error::{Result, ServiceError};
use crate::{Context, Live, Service};
use chrono::NaiveDate;
use pledge_domain::{
    BasisPoints, DomainError, LoanProduct, Money, PledgeRates, ProductStatus, QualificationKind,
    RiskFlagKind, Text, UsualTerms, Violations,
};
use pledge_matching::Preview;
use pledge_store::ProductRecord;

/// A loan product's rules as a caller types them (the API's body; a page's form with 万元 and
/// % turned into 分 and basis points). Read by [`ProductAsk::rules`].
#[derive(Debug, Clone)]
pub struct ProductAsk {
    pub name: String,
    pub description: Option<String>,
    pub amount_min_fen: i64,
    pub amount_max_fen: i64,
    pub max_term_months: i64,
    pub rate_cap_over_lpr_bp: i64,
    pub pledge_rates_bp: PledgeRatesAsk,
    pub min_remaining_months: i64,
    pub no_prior_pledge: bool,
    pub qualifications_all: Vec<String>,
    pub qualifications_any: Vec<String>,
    pub excluded_risk_flags: Vec<String>,
    pub region_prefixes: Vec<String>,
    pub industry_prefixes: Vec<String>,
    pub min_years_in_operation: i64,
    pub min_valid_invention_patents: i64,
    pub min_ip_share_bp: Option<i64>,
    pub whitelist_required: bool,
    pub interest_subsidy: Option<String>,
    pub risk_pool: bool,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
}

/// Pledge rates as typed, in basis points; `None`: the kind is not accepted.
#[derive(Debug, Clone, Default)]
pub struct PledgeRatesAsk {
    pub invention: Option<i64>,
    pub utility_model: Option<i64>,
    pub design: Option<i64>,
    pub trademark: Option<i64>,
}

fn small(c: &mut Violations, field: &str, v: i64, max: u16) -> u16 {
    match u16::try_from(v).ok().filter(|x| *x <= max) {
        Some(x) => x,
        None => {
            c.push(
                field,
                DomainError::OutOfRange {
                    min: 0,
                    max: i64::from(max),
                },
            );
            0
        }
    }
}

fn names<T>(
    c: &mut Violations,
    field: &str,
    xs: &[String],
    parse: impl Fn(&str) -> Result<T, DomainError>,
) -> Vec<T> {
    xs.iter()
        .enumerate()
        .filter_map(|(i, x)| c.field(&format!("{field}[{i}]"), parse(x)))
        .collect()
}

impl ProductAsk {
    /// The domain product, or every invalid field.
    pub fn rules(&self) -> Result<LoanProduct> {
        let mut c = Violations::default();
        let name = c.field("name", Text::parse(&self.name, 2, 100));
        let amount_min = c.field("amount_min_fen", Money::from_fen(self.amount_min_fen));
        let amount_max = c.field("amount_max_fen", Money::from_fen(self.amount_max_fen));
        let rate_cap = c.field(
            "rate_cap_over_lpr_bp",
            BasisPoints::new(self.rate_cap_over_lpr_bp),
        );
        let mut rate = |kind: &str, v: Option<i64>| {
            v.and_then(|bp| c.field(&format!("pledge_rates_bp.{kind}"), BasisPoints::new(bp)))
        };
        let r = &self.pledge_rates_bp;
        let pledge_rates = PledgeRates {
            invention: rate("invention", r.invention),
            utility_model: rate("utility_model", r.utility_model),
            design: rate("design", r.design),
            trademark: rate("trademark", r.trademark),
        };
        let min_ip_share = self
            .min_ip_share_bp
            .and_then(|bp| c.field("min_ip_share_bp", BasisPoints::new(bp)));
        let max_term_months = small(&mut c, "max_term_months", self.max_term_months, 360);
        let min_remaining_months = small(
            &mut c,
            "min_remaining_months",
            self.min_remaining_months,
            360,
        );
        let min_years_in_operation = small(
            &mut c,
            "min_years_in_operation",
            self.min_years_in_operation,
            200,
        );
        let min_valid_invention_patents = small(
            &mut c,
            "min_valid_invention_patents",
            self.min_valid_invention_patents,
            10_000,
        );
        let qualifications_all = names(
            &mut c,
            "qualifications_all",
            &self.qualifications_all,
            QualificationKind::parse,
        );
        let qualifications_any = names(
            &mut c,
            "qualifications_any",
            &self.qualifications_any,
            QualificationKind::parse,
        );
        let excluded_risk_flags = names(
            &mut c,
            "excluded_risk_flags",
            &self.excluded_risk_flags,
            RiskFlagKind::parse,
        );
        let trimmed = |xs: &[String], upper: bool| -> Vec<String> {
            xs.iter()
                .map(|x| {
                    let x = pledge_domain::to_half_width(x).trim().to_owned();
                    if upper { x.to_uppercase() } else { x }
                })
                .collect()
        };
        let (Some(name), Some(amount_min), Some(amount_max), Some(rate_cap_over_lpr)) =
            (name, amount_min, amount_max, rate_cap)
        else {
            return Err(ServiceError::invalid(c.finish().err().unwrap_or_default()));
        };
        let product = LoanProduct {
            name,
            description: self.description.clone(),
            amount_min,
            amount_max,
            max_term_months,
            rate_cap_over_lpr,
            pledge_rates,
            min_remaining_months,
            no_prior_pledge: self.no_prior_pledge,
            qualifications_all,
            qualifications_any,
            excluded_risk_flags,
            region_prefixes: trimmed(&self.region_prefixes, false),
            industry_prefixes: trimmed(&self.industry_prefixes, true),
            min_years_in_operation,
            min_valid_invention_patents,
            min_ip_share,
            whitelist_required: self.whitelist_required,
            interest_subsidy: self.interest_subsidy.clone(),
            risk_pool: self.risk_pool,
            valid_from: self.valid_from,
            valid_until: self.valid_until,
        };
        let mut wrong = c.finish().err().unwrap_or_default();
        wrong.extend(product.violations());
        if wrong.is_empty() {
            Ok(product)
        } else {
            Err(ServiceError::invalid(wrong))
        }
    }
}

fn no_product(id: i64) -> ServiceError {
    ServiceError::not_found(format!("产品{id}不存在 / no product {id}"))
}

impl Service {
    /// Whether the caller may see `p`: a bank its own, a park official published ones, the
    /// office every one.
    fn may_see(cx: &Context, p: &ProductRecord) -> bool {
        cx.sees_product(&p.bank, p.status)
    }

    /// A product of `live` as the caller may see it; anything else is unknown to them.
    pub(crate) fn visible_product<'a>(
        cx: &Context,
        live: &'a Live,
        id: i64,
    ) -> Result<&'a ProductRecord> {
        live.products
            .get(&id)
            .filter(|p| Self::may_see(cx, p))
            .ok_or_else(|| no_product(id))
    }

    /// A product as the caller may see it, from memory.
    pub fn product(&self, cx: &Context, id: i64) -> Result<ProductRecord> {
        Self::visible_product(cx, &self.live.read(), id).cloned()
    }

    /// The products the caller may see, by id.
    pub fn products(&self, cx: &Context) -> Vec<ProductRecord> {
        let live = self.live.read();
        let mut out: Vec<ProductRecord> = live
            .products
            .values()
            .filter(|p| Self::may_see(cx, p))
            .cloned()
            .collect();
        out.sort_by_key(|p| p.id);
        out
    }

    /// The usual ranges of a product's terms, and their version (0: the defaults).
    pub async fn usual_terms(&self) -> Result<(UsualTerms, i64)> {
        Ok(self.store.usual_terms().await?)
    }

    /// Replaces the usual ranges (the office) with the version read.
    pub async fn set_usual_terms(
        &self,
        cx: &Context,
        terms: UsualTerms,
        version: i64,
    ) -> Result<(UsualTerms, i64)> {
        cx.require_office()?;
        let violations: Vec<crate::FieldError> =
            terms.violations().into_iter().map(Into::into).collect();
        if !violations.is_empty() {
            return Err(ServiceError::Invalid(violations));
        }
        Ok(self
            .store
            .set_usual_terms(&cx.actor, terms, version)
            .await?)
    }

    /// Terms outside the usual ranges are refused, each named with its unit, unless the bank
    /// confirms them.
    async fn usual(&self, rules: &LoanProduct, confirmed: bool) -> Result<()> {
        if confirmed {
            return Ok(());
        }
        let (terms, _) = self.store.usual_terms().await?;
        let unusual: Vec<crate::FieldError> =
            terms.unusual(rules).into_iter().map(Into::into).collect();
        if unusual.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Invalid(unusual))
        }
    }

    /// Creates a draft product for the bank the caller manages (`bank` names it for the
    /// office); `confirmed`: terms outside the usual ranges are meant.
    pub async fn create_product(
        &self,
        cx: &Context,
        bank: Option<&str>,
        rules: LoanProduct,
        confirmed: bool,
    ) -> Result<ProductRecord> {
        validity_window(cx, &rules)?;
        let bank = cx.managing_bank(bank)?.ok_or_else(|| {
            ServiceError::field(
                "bank",
                pledge_domain::DomainError::Required { field: "bank" },
            )
        })?;
        self.usual(&rules, confirmed).await?;
        self.written(self.store.create_product(&cx.actor, &bank, rules))
            .await
    }

    /// Replaces a product's rules with the version read.
    pub async fn update_product(
        &self,
        cx: &Context,
        id: i64,
        version: i64,
        rules: LoanProduct,
        confirmed: bool,
    ) -> Result<ProductRecord> {
        let scope = cx.managing_bank(None)?;
        validity_window(cx, &rules)?;
        self.usual(&rules, confirmed).await?;
        self.written(
            self.store
                .update_product(&cx.actor, id, version, rules, scope.as_ref()),
        )
        .await
    }

    /// Publishes or withdraws a product with the version read.
    pub async fn set_product_status(
        &self,
        cx: &Context,
        id: i64,
        version: i64,
        status: ProductStatus,
        reason: Option<String>,
    ) -> Result<ProductRecord> {
        let scope = cx.managing_bank(None)?;
        self.written(self.store.set_product_status(
            &cx.actor,
            id,
            version,
            status,
            reason,
            scope.as_ref(),
        ))
        .await
    }

    /// What unsaved rules would match today (banks count white-listed enterprises only), and
    /// the day it is for.
    pub async fn preview(
        &self,
        cx: &Context,
        rules: &LoanProduct,
        confirmed: bool,
    ) -> Result<(Preview, chrono::NaiveDate)> {
        cx.managing_bank(None)?;
        validity_window(cx, rules)?;
        self.usual(rules, confirmed).await?;
        let live = self.live.read();
        Ok((
            live.index.preview(rules, !cx.may().see_unlisted),
            live.index.as_of(),
        ))
    }
}

/// A product's validity lies in the field's window: from after the Patent Law, ending at most
/// thirty years ahead.
fn validity_window(cx: &Context, rules: &LoanProduct) -> Result<()> {
    use pledge_domain::{Violation, window};
    let (earliest, latest) = (
        window::earliest_filing(),
        window::latest_validity(cx.today()),
    );
    let violations: Vec<crate::FieldError> = [
        Violation::if_outside("valid_from", Some(rules.valid_from), earliest, latest),
        Violation::if_outside("valid_until", rules.valid_until, earliest, latest),
    ]
    .into_iter()
    .flatten()
    .map(Into::into)
    .collect();
    if violations.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Invalid(violations))
    }
}
