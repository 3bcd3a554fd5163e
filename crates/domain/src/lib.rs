//! The types and rules of IP pledge financing (知识产权质押融资): identifiers that can only be
//! built by parsing, patents and trademarks with their legal status, enterprises with their
//! qualifications and risk flags. No I/O, no clock: every rule that depends on time takes an
//! explicit `as_of` date.

/// An enum with stable snake_case names and Chinese labels, parsed from either.
macro_rules! named_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal / $zh:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            /// Every value.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)+];

            /// The stable name used in the API and the database.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text,)+ }
            }

            /// The Chinese name.
            pub fn label_zh(self) -> &'static str {
                match self { $(Self::$variant => $zh,)+ }
            }

            /// Parses the stable name or the Chinese name.
            pub fn parse(s: &str) -> Result<Self, $crate::DomainError> {
                let s = s.trim();
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s || v.label_zh() == s)
                    .ok_or_else(|| $crate::DomainError::UnknownValue {
                        value: s.to_owned(),
                        allowed: Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", "),
                    })
            }
        }
    };
}

mod caller;
pub mod codes;
mod enterprise;
mod error;
mod industry;
mod legal_event;
mod money;
mod outcome;
mod patent;
mod patent_number;
mod product;
mod region;
mod registry_code;
mod round;
pub mod statement;
mod text;
mod trademark;
mod uscc;
mod whitelist;
pub mod window;

pub use caller::{Actor, Principal, Role, business_day};
pub use codes::{ERROR_CODES, ErrorCode, code, error_code, error_codes_markdown};
pub use enterprise::{
    Contact, Enterprise, FinancingNeed, Holding, Qualification, QualificationKind, RiskFlag,
    RiskFlagKind, SizeClass, StrategicIndustry, masked_name, masked_phone,
};
pub use error::{DomainError, Violation, Violations};
pub use industry::IndustryCode;
pub use legal_event::{EventFacts, LegalEvent, LegalEventKind};
pub use money::{BasisPoints, Money, fen_for_people};
pub use outcome::{
    DeclineReason, MAX_PLEDGED_ITEMS, MAX_TERM_MONTHS, Outcome, OutcomeStage, Step, StepRefused,
    TrademarkKey,
};
pub use patent::{
    Appraisal, DerivedStatus, HighValueFacts, HighValueGround, IpcClass, LegalStatus, Patent,
    PatentAward, PledgeObstacle, PledgeRegistration, whole_months,
};
pub use patent_number::{PatentApplicationNumber, PatentKind, PublicationNumber};
pub use product::{IpKind, LoanProduct, PledgeRates, ProductStatus, UsualTerms};
pub use region::RegionCode;
pub use registry_code::{BankCode, ParkCode};
pub use round::RoundKind;
pub use statement::{name_key, name_spellings};
pub use text::{Text, csv_cell_read, csv_cell_written, is_invisible, to_half_width};
pub use trademark::{NiceClass, Trademark, TrademarkObstacle, TrademarkRegistrationNumber};
pub use uscc::Uscc;
pub use whitelist::{
    Approval, ApprovalRefused, BatchStatus, Criteria, CriterionFailure, EntryStatus, Person,
    ReasonCode, Screening, Transition, approval, may_approve, screen,
};
