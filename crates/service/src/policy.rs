//! Who may do what: one answer per family of use cases, decided here and nowhere else.

use crate::Context;
use crate::error::{Result, ServiceError};
use pledge_domain::Role;
use pledge_domain::code;
use pledge_domain::{BankCode, BatchStatus, EntryStatus, ParkCode, ProductStatus, Uscc};
use pledge_store::{EntryFilter, OutcomeFilter, RoundRecord};

/// The refusal banks get for an enterprise not on a published white list.
pub(crate) fn not_published() -> ServiceError {
    ServiceError::forbidden(
        code::NOT_PUBLISHED,
        "银行只能查看已发布白名单中的企业 / banks see only enterprises on a published white list",
    )
}

/// What the caller may do, for a page to offer only what would be allowed and for the use
/// cases to decide the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct May {
    /// Decide entries, open and publish batches, set the criteria, hold rounds, manage people,
    /// read everyone's audit records and act for any bank: the city office.
    pub administer: bool,
    /// Change the registry and nominate enterprises: the office and park officials.
    pub write_registry: bool,
    /// Create and change loan products: banks and the office.
    pub manage_products: bool,
    /// Report outcomes, subscribe to pushes and check applicants: banks.
    pub report_outcomes: bool,
    /// See what lies beyond the published list (unlisted enterprises, expired IP, an
    /// enterprise's history, gap analysis and consents): the office and park officials.
    pub see_unlisted: bool,
    /// Choose among parks: everyone but a park official, who has theirs.
    pub choose_park: bool,
    /// See other banks (their names, their figures): everyone but a bank.
    pub see_other_banks: bool,
}

impl Context {
    /// What the caller may do.
    pub fn may(&self) -> May {
        let role = self.principal.role;
        May {
            administer: role == Role::Office,
            write_registry: role != Role::Bank,
            manage_products: role != Role::Park,
            report_outcomes: role == Role::Bank,
            see_unlisted: role != Role::Bank,
            choose_park: role != Role::Park,
            see_other_banks: role != Role::Bank,
        }
    }

    /// Whether the caller manages the products of `bank`: its own officers and the office.
    pub fn manages_products_of(&self, bank: &BankCode) -> bool {
        self.principal.role == Role::Office || self.own_bank() == Some(bank)
    }

    /// Whether the caller may read an enterprise of `park`, `listed` or not: a bank while it
    /// is on a published white list, a park official their park's (another's is `unseen`), the
    /// office every one.
    pub fn read_listed(
        &self,
        park: &ParkCode,
        listed: bool,
        unseen: impl FnOnce() -> ServiceError,
    ) -> Result<()> {
        match self.principal.role {
            Role::Bank if listed => Ok(()),
            Role::Bank => Err(not_published()),
            _ => self.read_enterprise(park, unseen),
        }
    }

    /// Only the office and park officials (an enterprise's matches across products).
    pub fn require_office_or_park(&self) -> Result<()> {
        if self.may().see_unlisted {
            Ok(())
        } else {
            Err(ServiceError::forbidden(
                code::ADMIN_OR_PARK,
                "企业的全部产品匹配仅对市知识产权局和所在园区开放 / only the city IP office and the enterprise's park see its matches across products",
            ))
        }
    }

    /// Whether the caller sees a product of `bank` in `status`: a bank its own, a park
    /// official published ones, the office every one.
    pub fn sees_product(&self, bank: &BankCode, status: ProductStatus) -> bool {
        match self.principal.role {
            Role::Office => true,
            Role::Bank => self.own_bank() == Some(bank),
            Role::Park => status == ProductStatus::Published,
        }
    }

    /// The entries a listing may show: the office all, a park official their park's, a bank
    /// the published ones (asking for others is refused).
    pub fn entry_scope(&self, mut filter: EntryFilter) -> Result<EntryFilter> {
        match self.principal.role {
            Role::Office => {}
            Role::Park => filter.park = self.park_filter(filter.park.take())?,
            Role::Bank => {
                if filter.statuses.iter().any(|s| *s != EntryStatus::Published) {
                    return Err(ServiceError::forbidden(
                        code::NOT_PUBLISHED,
                        "银行只能查看已发布条目 / banks see published entries only",
                    ));
                }
                filter.statuses = vec![EntryStatus::Published];
            }
        }
        Ok(filter)
    }

    /// Whether the caller sees an entry of `park` in `status`.
    pub fn sees_entry(&self, park: &ParkCode, status: EntryStatus) -> bool {
        match self.principal.role {
            Role::Office => true,
            Role::Park => self.own_park() == Some(park),
            Role::Bank => status == EntryStatus::Published,
        }
    }

    /// The entries of a batch in `status` the caller exports: a draft's nominated and approved
    /// ones for the office and parks, the published ones otherwise.
    pub fn exported_statuses(&self, batch: BatchStatus) -> Vec<EntryStatus> {
        if self.may().see_unlisted && batch == BatchStatus::Draft {
            vec![EntryStatus::Nominated, EntryStatus::Approved]
        } else {
            vec![EntryStatus::Published]
        }
    }

    /// The bank whose subscriptions the caller sees: `None` for the office (all), a bank
    /// its own; park officials none.
    pub fn webhook_scope(&self) -> Result<Option<BankCode>> {
        match self.principal.role {
            Role::Office => Ok(None),
            _ => Ok(Some(self.reporting_bank()?)),
        }
    }

    /// Whether the caller sees round `r`: the office every one, a bank those it takes part
    /// in, a park official those that invite their park or one of its enterprises (`in_park`
    /// says whether an enterprise is of a park).
    pub fn sees_round(&self, r: &RoundRecord, in_park: impl Fn(&Uscc, &ParkCode) -> bool) -> bool {
        match self.principal.role {
            Role::Office => true,
            Role::Bank => self.own_bank().is_some_and(|b| r.round.banks.contains(b)),
            Role::Park => match self.own_park() {
                None => false,
                Some(own) => {
                    r.round.parks.contains(own)
                        || r.round.enterprises.iter().any(|u| in_park(u, own))
                }
            },
        }
    }

    /// The park whose audit records the caller reads: `None` for the office (all), a park
    /// official their park's; banks none.
    pub fn audit_scope(&self) -> Result<Option<i64>> {
        match (&self.principal.role, &self.principal.park) {
            (Role::Office, _) => Ok(None),
            (Role::Park, Some((id, _))) => Ok(Some(*id)),
            _ => Err(ServiceError::forbidden(
                code::ADMIN_ONLY,
                "银行不能查看审计日志 / banks do not read the audit log",
            )),
        }
    }

    /// The caller's role.
    pub fn role(&self) -> Role {
        self.principal.role
    }

    /// The caller's park, for a park official.
    pub fn own_park(&self) -> Option<&ParkCode> {
        match (&self.principal.role, &self.principal.park) {
            (Role::Park, Some((_, code))) => Some(code),
            _ => None,
        }
    }

    /// The caller's bank, for a bank officer.
    pub fn own_bank(&self) -> Option<&BankCode> {
        match (&self.principal.role, &self.principal.bank) {
            (Role::Bank, Some((_, code))) => Some(code),
            _ => None,
        }
    }

    /// Only the city IP office.
    pub fn require_office(&self) -> Result<()> {
        match self.principal.role {
            Role::Office => Ok(()),
            _ => Err(ServiceError::forbidden(
                code::ADMIN_ONLY,
                "仅市知识产权局可操作 / only the city IP office (admin) may do this",
            )),
        }
    }

    /// The park a write of the registry is limited to: `None` for the office (every park),
    /// the official's park; banks do not write the registry.
    pub fn write_scope(&self) -> Result<Option<ParkCode>> {
        match (&self.principal.role, &self.principal.park) {
            (Role::Office, _) => Ok(None),
            (Role::Park, Some((_, code))) => Ok(Some(code.clone())),
            _ => Err(ServiceError::forbidden(
                code::READ_ONLY_ROLE,
                "银行不能修改企业登记信息 / a bank token cannot change the registry",
            )),
        }
    }

    /// Whether the caller may read the enterprises (and their IP) of `park`, leaving aside
    /// the white list: banks see no enterprise until it is published. Another park's record
    /// is answered as one that does not exist (`unseen`), so that a read tells nothing of
    /// what lies outside the caller's park.
    pub fn read_enterprise(
        &self,
        park: &ParkCode,
        unseen: impl FnOnce() -> ServiceError,
    ) -> Result<()> {
        match (&self.principal.role, &self.principal.park) {
            (Role::Office, _) => Ok(()),
            (Role::Park, Some((_, own))) if own == park => Ok(()),
            (Role::Park, _) => Err(unseen()),
            _ => Err(not_published()),
        }
    }

    /// The park a listing of enterprises is limited to.
    pub fn list_scope(&self) -> Result<Option<ParkCode>> {
        match (&self.principal.role, &self.principal.park) {
            (Role::Office, _) => Ok(None),
            (Role::Park, Some((_, own))) => Ok(Some(own.clone())),
            _ => Err(not_published()),
        }
    }

    /// The park a listing is limited to when the caller asks for `asked`: a park official
    /// only their own.
    pub fn park_filter(&self, asked: Option<ParkCode>) -> Result<Option<ParkCode>> {
        match self.own_park() {
            Some(own) if asked.as_ref().is_some_and(|p| p != own) => Err(ServiceError::forbidden(
                code::OUT_OF_SCOPE,
                "只能查看本园区企业 / you see your own park's enterprises only",
            )),
            Some(own) => Ok(Some(own.clone())),
            None => Ok(asked),
        }
    }

    /// Whether personal contact data of an enterprise of `park` may be shown: to the office
    /// and to the park that collected it; to a bank (which sees published enterprises only)
    /// when `consent`: a consent of the enterprise is in force for that bank today.
    pub fn sees_contact(&self, park: &ParkCode, consent: bool) -> bool {
        match (&self.principal.role, &self.principal.park) {
            (Role::Office, _) => true,
            (Role::Park, Some((_, own))) => own == park,
            (Role::Bank, _) => consent,
            _ => false,
        }
    }

    /// The bank whose products the caller manages: a bank officer their own, the office the
    /// one it names (`None` when it names none); park officials manage no product.
    pub fn managing_bank(&self, named: Option<&str>) -> Result<Option<BankCode>> {
        match (&self.principal.role, &self.principal.bank) {
            (Role::Bank, Some((_, own))) => match named {
                Some(b) if BankCode::parse(b).ok().as_ref() != Some(own) => {
                    Err(ServiceError::forbidden(
                        code::OUT_OF_SCOPE,
                        "银行只能管理本行产品 / a bank manages its own products only",
                    ))
                }
                _ => Ok(Some(own.clone())),
            },
            (Role::Office, _) => named
                .map(|b| BankCode::parse(b).map_err(|e| ServiceError::field("bank", e)))
                .transpose(),
            _ => Err(ServiceError::forbidden(
                code::BANK_OR_ADMIN,
                "仅银行和市知识产权局可管理产品 / only banks and the city IP office manage products",
            )),
        }
    }

    /// The bank that reports outcomes: only a bank officer, for their own bank.
    pub fn reporting_bank(&self) -> Result<BankCode> {
        self.own_bank().cloned().ok_or_else(|| {
            ServiceError::forbidden(
                code::BANK_ONLY,
                "仅银行可记录对接结果 / only a bank records what it did with an enterprise",
            )
        })
    }

    /// The outcomes a caller reads: a bank its own, a park official their park's enterprises'
    /// (asking for another park is refused), the office what it asks for.
    pub fn outcome_scope(&self, asked: OutcomeFilter) -> Result<OutcomeFilter> {
        let park = self.park_filter(asked.park.clone())?;
        if let Some(own) = self.own_bank()
            && asked.bank.as_ref().is_some_and(|b| b != own)
        {
            return Err(ServiceError::forbidden(
                code::OUT_OF_SCOPE,
                "银行只能查看本行的对接结果和统计 / a bank sees its own outcomes and figures only",
            ));
        }
        Ok(match self.principal.role {
            Role::Bank => OutcomeFilter {
                bank: self.own_bank().cloned(),
                ..asked
            },
            Role::Park => OutcomeFilter { park, ..asked },
            Role::Office => asked,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Principal;

    fn caller(role: Role) -> Context {
        let park = ParkCode::parse("xxhtz").expect("park");
        let bank = BankCode::parse("boc").expect("bank");
        Context::new(
            Principal {
                token_id: None,
                person_id: 1,
                login: "someone".into(),
                person_name: "某人".into(),
                name: "token".into(),
                role,
                park: (role == Role::Park).then_some((1, park)),
                bank: (role == Role::Bank).then_some((1, bank)),
            },
            chrono::DateTime::UNIX_EPOCH,
        )
    }

    /// What a page offers is what the use cases allow: each answer of `may` agrees with the
    /// check the use cases make, for every role.
    #[test]
    fn what_may_be_offered_is_what_is_allowed() {
        for role in [Role::Office, Role::Park, Role::Bank] {
            let cx = caller(role);
            let may = cx.may();
            assert_eq!(may.administer, cx.require_office().is_ok(), "{role:?}");
            assert_eq!(may.write_registry, cx.write_scope().is_ok(), "{role:?}");
            assert_eq!(
                may.manage_products,
                cx.managing_bank(None).is_ok(),
                "{role:?}"
            );
            assert_eq!(may.report_outcomes, cx.reporting_bank().is_ok(), "{role:?}");
            assert_eq!(may.see_unlisted, cx.list_scope().is_ok(), "{role:?}");
            assert_eq!(
                may.see_unlisted,
                cx.require_office_or_park().is_ok(),
                "{role:?}"
            );
            let other = ParkCode::parse("hqq").expect("park");
            assert_eq!(
                may.choose_park,
                cx.park_filter(Some(other)).is_ok(),
                "{role:?}"
            );
            let other_bank = BankCode::parse("icbc").expect("bank");
            let of_other_bank = OutcomeFilter {
                bank: Some(other_bank),
                ..OutcomeFilter::default()
            };
            assert_eq!(
                may.see_other_banks,
                cx.outcome_scope(of_other_bank).is_ok(),
                "{role:?}"
            );
        }
    }
}
