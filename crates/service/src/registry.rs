//! The registry: parks, banks, enterprises and their patents, trademarks and appraisals.

use crate::error::{Result, ServiceError};
use crate::policy::not_published;
use crate::{Context, Service};
use pledge_domain::code;
use pledge_domain::{
    Appraisal, BankCode, Enterprise, NiceClass, ParkCode, Patent, PatentApplicationNumber,
    Trademark, TrademarkRegistrationNumber, Uscc,
};
use pledge_store::{
    AppraisalRecord, BankRecord, EnterpriseFilter, EnterpriseRecord, Lapsing, Page, ParkRecord,
    PatentRecord, TrademarkRecord, Upserted, Versioned,
};

fn not_registered(uscc: &Uscc) -> ServiceError {
    ServiceError::not_found(format!(
        "企业{uscc}未登记 / enterprise {uscc} is not registered"
    ))
}

/// An enterprise as the caller reads it: its contact in full, or masked where the policy
/// withholds it (from a bank without the enterprise's consent).
#[derive(Debug, Clone)]
pub struct EnterpriseSeen {
    pub record: EnterpriseRecord,
    /// The contact shown is masked.
    pub contact_withheld: bool,
}

impl Service {
    /// `records` as the caller may read them.
    async fn seen(
        &self,
        cx: &Context,
        mut records: Vec<EnterpriseRecord>,
    ) -> Result<Vec<EnterpriseSeen>> {
        let mut values: Vec<&mut Enterprise> = records.iter_mut().map(|r| &mut r.value).collect();
        let withheld = self.decide_contacts(cx, &mut values).await?;
        Ok(records
            .into_iter()
            .map(|record| EnterpriseSeen {
                contact_withheld: withheld.contains(&record.value.uscc),
                record,
            })
            .collect())
    }

    /// One record as the caller may read it.
    async fn seen_one(&self, cx: &Context, mut record: EnterpriseRecord) -> Result<EnterpriseSeen> {
        let withheld = self.decide_contacts(cx, &mut [&mut record.value]).await?;
        Ok(EnterpriseSeen {
            contact_withheld: !withheld.is_empty(),
            record,
        })
    }

    /// Every park (anyone).
    pub async fn parks(&self, _cx: &Context) -> Result<Vec<Versioned<ParkRecord>>> {
        Ok(self.store.list_parks().await?)
    }

    /// One park (anyone).
    pub async fn park(&self, _cx: &Context, code: &ParkCode) -> Result<Versioned<ParkRecord>> {
        self.store
            .park(code)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("园区{code}不存在 / no park {code}")))
    }

    /// Registers a park (the office).
    pub async fn create_park(&self, cx: &Context, p: ParkRecord) -> Result<Versioned<ParkRecord>> {
        cx.require_office()?;
        Ok(self.store.create_park(&cx.actor, p).await?)
    }

    /// Banks: every one for the office and parks; a bank sees only itself.
    pub async fn banks(&self, cx: &Context) -> Result<Vec<Versioned<BankRecord>>> {
        let banks = self.store.list_banks().await?;
        Ok(banks
            .into_iter()
            .filter(|b| cx.may().see_other_banks || Some(&b.value.code) == cx.own_bank())
            .collect())
    }

    /// One bank; another bank is unknown to a bank officer.
    pub async fn bank(&self, cx: &Context, code: &BankCode) -> Result<Versioned<BankRecord>> {
        let hidden = !cx.may().see_other_banks && cx.own_bank() != Some(code);
        let bank = if hidden {
            None
        } else {
            self.store.bank(code).await?
        };
        bank.ok_or_else(|| ServiceError::not_found(format!("银行{code}不存在 / no bank {code}")))
    }

    /// Registers a bank (the office).
    pub async fn create_bank(&self, cx: &Context, b: BankRecord) -> Result<Versioned<BankRecord>> {
        cx.require_office()?;
        Ok(self.store.create_bank(&cx.actor, b).await?)
    }

    /// A page of enterprises: the office all, a park official their own park's.
    pub async fn enterprises(
        &self,
        cx: &Context,
        mut filter: EnterpriseFilter,
        after: Option<i64>,
        limit: u64,
    ) -> Result<Page<EnterpriseSeen>> {
        let scope = cx.list_scope()?;
        if let (Some(own), Some(asked)) = (&scope, &filter.park)
            && own != asked
        {
            return Err(ServiceError::forbidden(
                code::OUT_OF_SCOPE,
                "只能查看本园区企业 / you see only your own park",
            ));
        }
        filter.park = scope.or(filter.park);
        let page = self.store.list_enterprises(&filter, after, limit).await?;
        Ok(Page {
            items: self.seen(cx, page.items).await?,
            next: page.next,
        })
    }

    /// Registers an enterprise (the office, or the park it belongs to).
    pub async fn create_enterprise(&self, cx: &Context, e: Enterprise) -> Result<EnterpriseSeen> {
        let scope = cx.write_scope()?;
        if scope.as_ref().is_some_and(|own| own != &e.park) {
            return Err(ServiceError::forbidden(
                code::OUT_OF_SCOPE,
                "只能登记本园区企业 / you register enterprises of your own park only",
            ));
        }
        let record = self
            .written(self.store.create_enterprise(&cx.actor, e))
            .await?;
        self.seen_one(cx, record).await
    }

    /// Whether the caller may read the enterprise `uscc` of `park` and its IP: banks while it
    /// is on a published white list (as the live index knows), the office, its park.
    fn check_visible(
        &self,
        cx: &Context,
        uscc: &Uscc,
        park: &ParkCode,
        unseen: impl FnOnce() -> ServiceError,
    ) -> Result<()> {
        cx.read_listed(park, self.listed(uscc), unseen)
    }

    /// Whether an enterprise is on a published white list, as the live index knows.
    pub(crate) fn listed(&self, uscc: &Uscc) -> bool {
        self.live
            .read()
            .index
            .enterprise(uscc)
            .is_some_and(|(_, listed)| listed)
    }

    /// An enterprise the caller may see.
    pub async fn enterprise(&self, cx: &Context, uscc: &Uscc) -> Result<EnterpriseSeen> {
        let record = self.readable_enterprise(cx, uscc).await?;
        self.seen_one(cx, record).await
    }

    /// One enterprise the caller may read, its contact as stored: for the use cases that
    /// read it on the caller's behalf.
    pub(crate) async fn readable_enterprise(
        &self,
        cx: &Context,
        uscc: &Uscc,
    ) -> Result<EnterpriseRecord> {
        // A bank learns nothing of an enterprise off the list, not even whether it exists.
        if !cx.may().see_unlisted && !self.listed(uscc) {
            return Err(not_published());
        }
        let rec = self
            .store
            .enterprise(uscc)
            .await?
            .ok_or_else(|| not_registered(uscc))?;
        self.check_visible(cx, uscc, &rec.value.park, || not_registered(uscc))?;
        Ok(rec)
    }

    /// Replaces an enterprise with the version read. A park official cannot move it to
    /// another park.
    pub async fn update_enterprise(
        &self,
        cx: &Context,
        e: Enterprise,
        version: i64,
    ) -> Result<EnterpriseSeen> {
        let scope = cx.write_scope()?;
        let current = self
            .store
            .enterprise(&e.uscc)
            .await?
            .ok_or_else(|| not_registered(&e.uscc))?;
        if scope.as_ref().is_some_and(|own| own != &current.value.park) {
            return Err(not_registered(&e.uscc));
        }
        if let Some(own) = &scope
            && own != &e.park
        {
            return Err(ServiceError::forbidden(
                code::OUT_OF_SCOPE,
                "不能把企业移到其他园区 / you cannot move an enterprise to another park",
            ));
        }
        let record = self
            .written(self.store.update_enterprise(&cx.actor, e, version))
            .await?;
        self.seen_one(cx, record).await
    }

    /// A patent the caller may see.
    pub async fn patent(
        &self,
        cx: &Context,
        number: &PatentApplicationNumber,
    ) -> Result<PatentRecord> {
        // What the caller may not see, a bank included (an enterprise off the list, a patent
        // no longer valid, which its list of the enterprise's patents leaves out), is
        // answered as a patent that does not exist.
        let unseen = || {
            ServiceError::not_found(format!(
                "专利{number}未登记 / patent {number} is not registered"
            ))
        };
        let (rec, park) = self.store.patent(number).await?.ok_or_else(unseen)?;
        self.check_visible(cx, &rec.value.owner, &park, unseen)
            .map_err(|_| unseen())?;
        if !cx.may().see_unlisted && !rec.value.is_valid(cx.today()) {
            return Err(unseen());
        }
        Ok(rec)
    }

    /// Creates or replaces a patent (replacing needs the version read).
    pub async fn put_patent(
        &self,
        cx: &Context,
        p: Patent,
        version: Option<i64>,
    ) -> Result<(PatentRecord, Upserted)> {
        let scope = cx.write_scope()?;
        self.written(
            self.store
                .upsert_patent(&cx.actor, p, version, scope.as_ref()),
        )
        .await
    }

    /// Adds an appraisal to a patent.
    pub async fn add_patent_appraisal(
        &self,
        cx: &Context,
        number: &PatentApplicationNumber,
        a: Appraisal,
    ) -> Result<AppraisalRecord> {
        let scope = cx.write_scope()?;
        self.written(
            self.store
                .add_patent_appraisal(&cx.actor, number, a, scope.as_ref()),
        )
        .await
    }

    /// A page of an enterprise's patents; banks see the valid ones as of `as_of`.
    pub async fn patents_of(
        &self,
        cx: &Context,
        uscc: &Uscc,
        after: Option<i64>,
        limit: u64,
        as_of: chrono::NaiveDate,
    ) -> Result<Page<PatentRecord>> {
        let e = self.readable_enterprise(cx, uscc).await?;
        let mut page = self.store.list_patents(&e.value.uscc, after, limit).await?;
        if !cx.may().see_unlisted {
            page.items.retain(|p| p.value.is_valid(as_of));
        }
        Ok(page)
    }

    /// A trademark registration the caller may see.
    pub async fn trademark(
        &self,
        cx: &Context,
        number: TrademarkRegistrationNumber,
        class: NiceClass,
    ) -> Result<TrademarkRecord> {
        let unseen = || {
            ServiceError::not_found(format!(
                "商标{number}/{}未登记 / trademark not registered",
                class.get()
            ))
        };
        let (rec, park) = self
            .store
            .trademark(number, class)
            .await?
            .ok_or_else(unseen)?;
        self.check_visible(cx, &rec.value.owner, &park, unseen)
            .map_err(|_| unseen())?;
        Ok(rec)
    }

    /// Creates or replaces a trademark registration (replacing needs the version read).
    pub async fn put_trademark(
        &self,
        cx: &Context,
        t: Trademark,
        version: Option<i64>,
    ) -> Result<(TrademarkRecord, Upserted)> {
        let scope = cx.write_scope()?;
        self.written(
            self.store
                .upsert_trademark(&cx.actor, t, version, scope.as_ref()),
        )
        .await
    }

    /// Adds an appraisal to a trademark registration.
    pub async fn add_trademark_appraisal(
        &self,
        cx: &Context,
        number: TrademarkRegistrationNumber,
        class: NiceClass,
        a: Appraisal,
    ) -> Result<AppraisalRecord> {
        let scope = cx.write_scope()?;
        self.written(self.store.add_trademark_appraisal(
            &cx.actor,
            number,
            class,
            a,
            scope.as_ref(),
        ))
        .await
    }

    /// A page of an enterprise's trademarks.
    pub async fn trademarks_of(
        &self,
        cx: &Context,
        uscc: &Uscc,
        after: Option<i64>,
        limit: u64,
    ) -> Result<Page<TrademarkRecord>> {
        let e = self.readable_enterprise(cx, uscc).await?;
        Ok(self
            .store
            .list_trademarks(&e.value.uscc, after, limit)
            .await?)
    }

    /// Patents in force whose annual fee or latest appraisal ends within `days` from today,
    /// soonest first (the office all, a park official their park's; at most 100).
    pub async fn lapsing_soon(&self, cx: &Context, days: u64) -> Result<Vec<Lapsing>> {
        let scope = cx.list_scope()?;
        let today = cx.today();
        let until = today + chrono::Days::new(days);
        Ok(self
            .store
            .lapsing(scope.as_ref(), today, until, 100)
            .await?)
    }
}
