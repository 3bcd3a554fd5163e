//! Persistence for pledge: sea-orm entities, repositories that map rows to domain types, and
//! the rule that every change commits together with its audit record in one transaction.
//! The same code runs on SQLite (embedded default) and PostgreSQL.

mod audit;
pub mod backup;
mod bulk;
mod connect;
mod consents;
pub mod entities;
mod error;
mod holdings;
mod import;
mod import_jobs;
mod lapsing;
mod outcomes;
mod patents;
mod people;
mod products;
mod pushes;
mod records;
mod registry;
mod rounds;
mod scratch;
mod sealed;
mod sessions;
mod settings;
mod sql_baseline;
#[cfg(feature = "testing")]
pub mod testing;
mod tokens;
mod trademarks;
mod whitelist;

pub use audit::{AuditFilter, AuditRecord};
pub use bulk::{BulkCounts, BulkLoad};
pub use connect::Store;
pub use consents::{ConsentRecord, NewConsent};
pub use error::StoreError;
pub use holdings::{Changes, CommitNotices, FeedPosition};
pub use import::{Counts, ImportMode, ImportOutcome, Referenced, RowRejection};
pub use import_jobs::{ImportJobRecord, JobEnd, JobState};
pub use lapsing::{Lapse, Lapsing};
pub use outcomes::{NewOutcome, OutcomeFilter, OutcomeRecord};
pub use patents::{AppraisalRecord, PatentRecord, Upserted};
pub use people::{PersonRecord, parse_login};
use pledge_domain::{Actor, Role};
pub use products::ProductRecord;
pub use pushes::{
    DeliveryRecord, DueDelivery, EVENT_BATCH_PUBLISHED, EVENT_MATCH_GAINED, EVENT_MATCH_LOST,
    EVENTS, EventRecord, NewEvent, PendingDelivery, WEBHOOKS_PER_BANK, WebhookRecord,
};
pub use records::{EnterpriseFilter, Page, Versioned};
pub use registry::{BankRecord, EnterpriseRecord, ParkRecord};
pub use rounds::{NewRound, RoundRecord};
pub use sessions::{SessionOpened, SessionRecord};
pub use tokens::TokenRecord;
pub use trademarks::TrademarkRecord;
pub use whitelist::{
    BatchRecord, EntryFilter, EntryRecord, ExportRow, RescreenReport, RescreenReversal,
    TransitionRequest,
};
