//! sea-orm entities, one module a table. Rows are mapped to domain types in the repositories.

macro_rules! entity {
    ($module:ident, $table:literal, { $($field:ident : $ty:ty,)* }) => {
        #[allow(missing_docs)]
        pub mod $module {
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
            #[sea_orm(table_name = $table)]
            pub struct Model {
                #[sea_orm(primary_key)]
                pub id: i64,
                $(pub $field: $ty,)*
            }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}

            impl ActiveModelBehavior for ActiveModel {}
        }
    };
}

entity!(park, "parks", {
    code: String,
    name: String,
    region: String,
    version: i64,
    created_at: DateTimeUtc,
    updated_at: DateTimeUtc,
});

entity!(bank, "banks", {
    code: String,
    name: String,
    version: i64,
    created_at: DateTimeUtc,
    updated_at: DateTimeUtc,
});

entity!(enterprise, "enterprises", {
    uscc: String,
    name: String,
    park_id: i64,
    region: String,
    industry: String,
    strategic_industry: Option<String>,
    founded_on: Date,
    size: String,
    qualifications: Json,
    risk_flags: Json,
    financing_need_fen: Option<i64>,
    financing_need_term_months: Option<i32>,
    contact: Option<Json>,
    contact_consent: bool,
    former_names: Option<Json>,
    former_name_keys: Option<String>,
    version: i64,
    created_at: DateTimeUtc,
    updated_at: DateTimeUtc,
});

entity!(patent, "patents", {
    application_number: String,
    enterprise_id: i64,
    kind: String,
    title: String,
    filing_date: Date,
    grant_date: Option<Date>,
    legal_status: String,
    annual_fee_paid_until: Option<Date>,
    co_owners: Json,
    co_owners_consent: bool,
    co_owners_consent_unknown: bool,
    ipc_main: Option<String>,
    publication_number: Option<String>,
    strategic_emerging_industry: bool,
    overseas_family: bool,
    high_pledge_financing: bool,
    award: Option<String>,
    same_day_double_filing: bool,
    pledge_registration_number: Option<String>,
    pledge_registered_on: Option<Date>,
    pledge_released_on: Option<Date>,
    pledge_marked: bool,
    earlier_pledges: Option<Json>,
    transferred_out_to: Option<String>,
    version: i64,
    created_at: DateTimeUtc,
    updated_at: DateTimeUtc,
});

entity!(trademark, "trademarks", {
    registration_number: i64,
    nice_class: i16,
    enterprise_id: i64,
    name: String,
    registered_on: Date,
    valid_until: Date,
    pledge_registration_number: Option<String>,
    pledge_registered_on: Option<Date>,
    pledge_released_on: Option<Date>,
    pledge_marked: bool,
    version: i64,
    created_at: DateTimeUtc,
    updated_at: DateTimeUtc,
});

entity!(appraisal, "appraisals", {
    patent_id: Option<i64>,
    trademark_id: Option<i64>,
    amount_fen: i64,
    appraised_on: Date,
    valid_until: Date,
    appraiser: String,
    created_at: DateTimeUtc,
});

entity!(consent, "consents", {
    enterprise_id: i64,
    bank_id: Option<i64>,
    valid_from: Date,
    valid_until: Option<Date>,
    evidence_reference: Option<String>,
    evidence_date: Option<Date>,
    recorded_by: String,
    created_at: DateTimeUtc,
    withdrawn_at: Option<DateTimeUtc>,
    withdrawn_by: Option<String>,
});

entity!(round, "rounds", {
    name: String,
    kind: String,
    held_on: Date,
    banks: Json,
    products: Json,
    parks: Json,
    enterprises: Json,
    created_by: String,
    created_at: DateTimeUtc,
});

entity!(outcome, "outcomes", {
    product_id: i64,
    bank_id: i64,
    enterprise_id: i64,
    round_id: Option<i64>,
    contacted_on: Date,
    stage: String,
    steps: Json,
    version: i64,
    created_by: String,
    created_at: DateTimeUtc,
    updated_at: DateTimeUtc,
});

entity!(webhook, "webhooks", {
    bank_id: i64,
    url: String,
    events: Json,
    secret: String,
    created_by: String,
    created_at: DateTimeUtc,
    removed_at: Option<DateTimeUtc>,
    ca_certificate: Option<String>,
});

entity!(outbox, "outbox", {
    bank_id: Option<i64>,
    event: String,
    payload: Json,
    created_at: DateTimeUtc,
});

entity!(delivery, "deliveries", {
    webhook_id: i64,
    outbox_id: i64,
    status: String,
    attempts: i32,
    next_attempt_at: DateTimeUtc,
    lease_until: Option<DateTimeUtc>,
    last_status_code: Option<i32>,
    last_error: Option<String>,
    delivered_at: Option<DateTimeUtc>,
    created_at: DateTimeUtc,
});

entity!(event_cursor, "event_cursor", {
    commit_seq: i64,
    record: i64,
});

entity!(event_seen, "events_seen", {
    outbox_id: i64,
});

entity!(loan_product, "loan_products", {
    bank_id: i64,
    name: String,
    status: String,
    rules: Json,
    published_on: Option<Date>,
    withdrawn_on: Option<Date>,
    version: i64,
    created_at: DateTimeUtc,
    updated_at: DateTimeUtc,
});

entity!(api_token, "api_tokens", {
    name: String,
    role: String,
    park_id: Option<i64>,
    bank_id: Option<i64>,
    prefix: String,
    hash: String,
    created_at: DateTimeUtc,
    revoked_at: Option<DateTimeUtc>,
    person_id: Option<i64>,
});

entity!(person, "people", {
    login: String,
    name: String,
    role: String,
    park_id: Option<i64>,
    bank_id: Option<i64>,
    created_by: Option<i64>,
    disabled_at: Option<DateTimeUtc>,
    created_at: DateTimeUtc,
    version: i64,
    password_hash: Option<String>,
});

entity!(audit, "audit_log", {
    at: DateTimeUtc,
    actor_token_id: Option<i64>,
    actor: String,
    entity: String,
    entity_key: String,
    action: String,
    park_id: Option<i64>,
    before: Option<Json>,
    after: Option<Json>,
    reason: Option<String>,
    commit_seq: Option<i64>,
    actor_person_id: Option<i64>,
});

/// The console's sessions, by the hash of their secret.
#[allow(missing_docs)]
pub mod session {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub key_hash: String,
        pub person_id: i64,
        pub csrf: String,
        pub created_at: DateTimeUtc,
        pub last_seen_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The key-value settings table (the token-hashing key lives here unless configured).
#[allow(missing_docs)]
pub mod setting {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "settings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        pub value: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

entity!(whitelist_criteria, "whitelist_criteria", {
    criteria: Json,
    version: i64,
    updated_at: DateTimeUtc,
});

entity!(whitelist_batch, "whitelist_batches", {
    name: String,
    valid_until: Date,
    status: String,
    published_on: Option<Date>,
    version: i64,
    created_at: DateTimeUtc,
    updated_at: DateTimeUtc,
});

entity!(whitelist_entry, "whitelist_entries", {
    batch_id: i64,
    enterprise_id: i64,
    park_id: i64,
    status: String,
    live_enterprise_id: Option<i64>,
    nominated_by_token: Option<i64>,
    nominated_by: String,
    nominated_by_person: Option<i64>,
    screening: Json,
    override_reason: Option<String>,
    reason_code: String,
    reason: String,
    published_on: Option<Date>,
    version: i64,
    created_at: DateTimeUtc,
    updated_at: DateTimeUtc,
});

entity!(import_job, "import_jobs", {
    file: String,
    park_code: Option<String>,
    started_by: String,
    started_by_token_id: Option<i64>,
    state: String,
    done: i64,
    total: i64,
    committed_rows: i64,
    report: Option<Json>,
    problem: Option<Json>,
    annotated: Option<Vec<u8>>,
    runner: String,
    started_at: DateTimeUtc,
    heartbeat_at: DateTimeUtc,
    finished_at: Option<DateTimeUtc>,
});
