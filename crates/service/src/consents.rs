//! Consents (授权) and the contact data they open: a park official records an enterprise's
//! authorisation for one bank or every bank, a period and its evidence, and withdraws it at
//! once when the enterprise says so. A bank sees an enterprise's contact person and phone only
//! under a consent in force for it that day, and every such read is audited.

use crate::error::{FieldError, Result, ServiceError};
use crate::{Context, Service};
use pledge_domain::{Enterprise, ParkCode, Text, Uscc, Violation, code, window};
use pledge_store::{ConsentRecord, NewConsent};
use std::collections::HashSet;

fn invalid(field: &str, code: &str, message: String) -> ServiceError {
    ServiceError::Invalid(vec![FieldError {
        field: field.into(),
        code: code.into(),
        message,
    }])
}

impl Service {
    /// The consents of an enterprise (the office, and its park; others are not told).
    pub async fn consents(&self, cx: &Context, uscc: &Uscc) -> Result<Vec<ConsentRecord>> {
        cx.list_scope()?;
        self.readable_enterprise(cx, uscc).await?;
        Ok(self.store.consents(uscc).await?)
    }

    /// Records a consent of the enterprise `uscc` (the office, or its park): its period lies
    /// in order, its evidence is dated no later than today, a bank it names exists.
    pub async fn record_consent(
        &self,
        cx: &Context,
        uscc: &Uscc,
        mut c: NewConsent,
    ) -> Result<ConsentRecord> {
        cx.write_scope()?;
        self.readable_enterprise(cx, uscc).await?;
        let today = cx.today();
        let reference = Text::parse(&c.evidence_reference, 1, 64)
            .map_err(|e| ServiceError::field("evidence_reference", e))?;
        c.evidence_reference = reference.to_string();
        // The same window as the rest of the field's dates: from the Patent Law on, a period
        // ending at most thirty years ahead, evidence dated no later than today.
        let (earliest, latest) = (window::earliest_filing(), window::latest_validity(today));
        let mut violations: Vec<FieldError> = [
            Violation::if_future("evidence_date", Some(c.evidence_date), today),
            Violation::if_before("evidence_date", Some(c.evidence_date), earliest, today),
            Violation::if_outside("valid_from", Some(c.valid_from), earliest, latest),
            Violation::if_outside("valid_until", c.valid_until, earliest, latest),
        ]
        .into_iter()
        .flatten()
        .map(Into::into)
        .collect();
        if let Some(until) = c.valid_until
            && until < c.valid_from
        {
            violations.push(FieldError {
                field: "valid_until".into(),
                code: code::DATE_ORDER.into(),
                message: format!(
                    "授权截止日{until}早于起始日{} / valid_until {until} is before valid_from {}",
                    c.valid_from, c.valid_from
                ),
            });
        }
        if !violations.is_empty() {
            return Err(ServiceError::Invalid(violations));
        }
        if let Some(bank) = &c.bank
            && self.store.bank(bank).await?.is_none()
        {
            return Err(invalid(
                "bank",
                code::UNKNOWN_VALUE,
                format!("没有银行{bank} / no bank {bank}"),
            ));
        }
        Ok(self.store.record_consent(&cx.actor, uscc, c).await?)
    }

    /// Withdraws consent `id` of the enterprise `uscc` at once (the office, or its park).
    pub async fn withdraw_consent(
        &self,
        cx: &Context,
        uscc: &Uscc,
        id: i64,
        reason: Option<String>,
    ) -> Result<ConsentRecord> {
        cx.write_scope()?;
        self.readable_enterprise(cx, uscc).await?;
        Ok(self
            .store
            .withdraw_consent(&cx.actor, uscc, id, reason)
            .await?)
    }

    /// Which of `enterprises` (each with its park) show their contact to the caller, as the
    /// policy decides ([`Context::sees_contact`]) under the consents in force for a bank
    /// today. A bank's every unmasked read is audited here, one record per enterprise.
    async fn contact_visible(
        &self,
        cx: &Context,
        enterprises: &[(Uscc, ParkCode)],
    ) -> Result<HashSet<Uscc>> {
        let consented = match cx.own_bank() {
            Some(bank) => {
                let usccs: Vec<Uscc> = enterprises.iter().map(|(u, _)| *u).collect();
                self.store.consented(bank, &usccs, cx.today()).await?
            }
            _ => HashSet::new(),
        };
        let visible: HashSet<Uscc> = enterprises
            .iter()
            .filter(|(u, park)| cx.sees_contact(park, consented.contains(u)))
            .map(|(u, _)| *u)
            .collect();
        if cx.own_bank().is_some() && !visible.is_empty() {
            let mut read: Vec<Uscc> = visible.iter().copied().collect();
            read.sort();
            self.store.record_contact_reads(&cx.actor, &read).await?;
        }
        Ok(visible)
    }

    /// Masks, in place, the contact of each of `enterprises` that the caller may not read in
    /// full; answers those whose contact was withheld.
    pub(crate) async fn decide_contacts(
        &self,
        cx: &Context,
        enterprises: &mut [&mut Enterprise],
    ) -> Result<HashSet<Uscc>> {
        let with_contact: Vec<(Uscc, ParkCode)> = enterprises
            .iter()
            .filter(|e| e.contact.is_some())
            .map(|e| (e.uscc, e.park.clone()))
            .collect();
        if with_contact.is_empty() {
            return Ok(HashSet::new());
        }
        let visible = self.contact_visible(cx, &with_contact).await?;
        let mut withheld = HashSet::new();
        for e in enterprises.iter_mut() {
            if let Some(c) = &e.contact
                && !visible.contains(&e.uscc)
            {
                e.contact = Some(c.masked());
                withheld.insert(e.uscc);
            }
        }
        Ok(withheld)
    }
}
