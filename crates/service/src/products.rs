//! Loan products: a bank publishes its own, with rules the domain validates; a preview says
//! what unsaved rules would match today.

use crate::error::{Result, ServiceError};
use crate::{Context, Live, Service};
use pledge_domain::{LoanProduct, ProductStatus, UsualTerms};
use pledge_matching::Preview;
use pledge_store::{ProductRecord, Role};

fn no_product(id: i64) -> ServiceError {
    ServiceError::not_found(format!("产品{id}不存在 / no product {id}"))
}

impl Service {
    /// Whether the caller may see `p`: a bank its own, a park official published ones, the
    /// office every one.
    fn may_see(cx: &Context, p: &ProductRecord) -> bool {
        match cx.role() {
            Role::Admin => true,
            Role::Bank => cx.own_bank() == Some(&p.bank),
            Role::Park => p.status == ProductStatus::Published,
        }
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
        cx.require_admin()?;
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
            live.index.preview(rules, cx.role() == Role::Bank),
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
