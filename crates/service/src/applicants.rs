//! Applicant checks (banks → city): a bank sends the USCCs of its own applicants and learns,
//! for each, what the city knows of it: on the published white list or not, its valid patents,
//! invention patents and high-value patents, risk flags and qualifications on the day, and
//! which of the bank's products it matches and why not. A code that is not a USCC is reported
//! with why; an enterprise off the list is reported as such, with nothing else (a bank learns
//! nothing of an enterprise off the list, not even whether the city has it).

use crate::error::{Result, ServiceError};
use crate::matches::Shown;
use crate::{Context, Service};
use pledge_domain::{DomainError, QualificationKind, RiskFlagKind, Uscc};
use std::collections::HashMap;

/// The most applicants one check takes.
pub const MAX_APPLICANTS: usize = 2_000;

/// What the city knows of one applicant.
#[derive(Debug, Clone)]
pub enum Checked {
    /// Not a USCC: why.
    Unreadable(DomainError),
    /// Not on the published white list (or not known to the city).
    NotListed(Uscc),
    /// On the list, with its facts and the bank's products.
    Listed(Box<Listed>),
}

/// A listed applicant's facts on the day.
#[derive(Debug, Clone)]
pub struct Listed {
    pub uscc: Uscc,
    pub name: String,
    pub park: String,
    pub valid_patents: u32,
    pub valid_invention_patents: u32,
    pub high_value_patents: u32,
    pub risk_flags: Vec<RiskFlagKind>,
    pub qualifications: Vec<QualificationKind>,
    /// Each of the bank's published products (the office: every one), eligible or not, with
    /// every rule it fails.
    pub products: Vec<Shown>,
}

impl Service {
    /// Checks `codes` (a bank's applicants, in the order sent) against what the city knows on
    /// the day (banks and the office).
    pub async fn check_applicants(
        &self,
        cx: &Context,
        codes: &[String],
    ) -> Result<Vec<(String, Checked)>> {
        cx.managing_bank(None)?;
        if codes.len() > MAX_APPLICANTS {
            return Err(ServiceError::field(
                "file",
                DomainError::TooMany {
                    max: MAX_APPLICANTS,
                },
            ));
        }
        let today = cx.today();
        let parsed: Vec<(String, std::result::Result<Uscc, DomainError>)> =
            codes.iter().map(|c| (c.clone(), Uscc::parse(c))).collect();
        let listed: Vec<Uscc> = parsed
            .iter()
            .filter_map(|(_, u)| u.as_ref().ok().copied())
            .filter(|u| self.listed(u))
            .collect();
        let holdings: HashMap<Uscc, pledge_domain::Holding> = self
            .store
            .holdings(&listed)
            .await?
            .into_iter()
            .map(|h| (h.enterprise.uscc, h))
            .collect();
        let mut out = Vec::with_capacity(parsed.len());
        for (code, u) in parsed {
            let checked = match u {
                Err(e) => Checked::Unreadable(e),
                Ok(u) => match holdings.get(&u) {
                    None => Checked::NotListed(u),
                    Some(h) => Checked::Listed(Box::new(self.listed_facts(cx, h, today)?)),
                },
            };
            out.push((code, checked));
        }
        Ok(out)
    }

    fn listed_facts(
        &self,
        cx: &Context,
        h: &pledge_domain::Holding,
        today: chrono::NaiveDate,
    ) -> Result<Listed> {
        let e = &h.enterprise;
        let valid: Vec<&pledge_domain::Patent> =
            h.patents.iter().filter(|p| p.is_valid(today)).collect();
        let products = self
            .enterprise_view_for_bank(cx, &e.uscc)?
            .into_iter()
            .collect();
        Ok(Listed {
            uscc: e.uscc,
            name: e.name.to_string(),
            park: e.park.to_string(),
            valid_patents: valid.len() as u32,
            valid_invention_patents: valid
                .iter()
                .filter(|p| p.application_number.kind().is_invention())
                .count() as u32,
            high_value_patents: valid.iter().filter(|p| p.is_high_value(today)).count() as u32,
            risk_flags: RiskFlagKind::ALL
                .iter()
                .copied()
                .filter(|k| e.has_risk_flag(*k, today))
                .collect(),
            qualifications: QualificationKind::ALL
                .iter()
                .copied()
                .filter(|k| e.has_qualification(*k, today))
                .collect(),
            products,
        })
    }

    /// Every published product's evaluation of a listed enterprise that the caller manages
    /// (a bank: its own; the office: every one), with the products' names.
    fn enterprise_view_for_bank(&self, cx: &Context, uscc: &Uscc) -> Result<Vec<Shown>> {
        let live = self.live.read();
        let evaluations = live.index.enterprise_view(uscc, false).unwrap_or_default();
        Ok(evaluations
            .into_iter()
            .filter_map(|ev| {
                let p = live.products.get(&ev.product_id)?;
                let mine = cx.manages_products_of(&p.bank);
                mine.then(|| crate::matches::shown(&live, ev, Some(p.rules.name.to_string())))
            })
            .collect())
    }
}
