//! The types and rules of IP pledge financing (知识产权质押融资): identifiers that can only be
//! built by parsing, patents and trademarks with their legal status, enterprises with their
//! qualifications and risk flags. No I/O, no clock: every rule that depends on time takes an
//! explicit `as_of` date.

mod code;
mod enterprise;
mod error;
mod industry;
mod money;
mod patent;
mod patent_number;
mod region;
mod text;
mod trademark;
mod uscc;

pub use code::{BankCode, ParkCode};
pub use enterprise::{
    Contact, Enterprise, FinancingNeed, Qualification, QualificationKind, RiskFlag, RiskFlagKind,
    SizeClass, StrategicIndustry,
};
pub use error::{DomainError, Violation};
pub use industry::IndustryCode;
pub use money::{BasisPoints, Money};
pub use patent::{
    Appraisal, HighValueFacts, HighValueGround, IpcClass, LegalStatus, Patent, PatentAward,
    PledgeObstacle, PledgeRegistration,
};
pub use patent_number::{PatentApplicationNumber, PatentKind, PublicationNumber};
pub use region::RegionCode;
pub use text::{Text, to_half_width};
pub use trademark::{NiceClass, Trademark, TrademarkObstacle, TrademarkRegistrationNumber};
pub use uscc::Uscc;
