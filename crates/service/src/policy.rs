//! Who may do what: one answer per family of use cases, decided here and nowhere else.

use crate::Context;
use crate::error::{Result, ServiceError};
use pledge_domain::code;
use pledge_domain::{BankCode, ParkCode};
use pledge_store::{OutcomeFilter, Role};

/// The refusal banks get for an enterprise not on a published white list.
pub(crate) fn not_published() -> ServiceError {
    ServiceError::forbidden(
        code::NOT_PUBLISHED,
        "银行只能查看已发布白名单中的企业 / banks see only enterprises on a published white list",
    )
}

impl Context {
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
    pub fn require_admin(&self) -> Result<()> {
        match self.principal.role {
            Role::Admin => Ok(()),
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
            (Role::Admin, _) => Ok(None),
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
            (Role::Admin, _) => Ok(()),
            (Role::Park, Some((_, own))) if own == park => Ok(()),
            (Role::Park, _) => Err(unseen()),
            _ => Err(not_published()),
        }
    }

    /// The park a listing of enterprises is limited to.
    pub fn list_scope(&self) -> Result<Option<ParkCode>> {
        match (&self.principal.role, &self.principal.park) {
            (Role::Admin, _) => Ok(None),
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
            (Role::Admin, _) => true,
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
            (Role::Admin, _) => named
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
            Role::Admin => asked,
        })
    }
}
