//! Schema migrations, run by `pledge migrate` and at `serve` start. The same files serve SQLite
//! and PostgreSQL; one migration per file, named by its file, applied in the order listed
//! below and recorded in `seaql_migrations` (the table and columns databases already have).

pub mod columns;
mod record;
mod schema_manager;

pub use record::migrate;
pub use schema_manager::SchemaManager;

/// What each migration file uses: SeaQuery's statements, the column helpers, the manager.
mod prelude {
    pub(crate) use crate::SchemaManager;
    pub(crate) use crate::columns::*;
    pub(crate) use sea_orm::sea_query::*;
    pub(crate) use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr};
}

/// Declares the migrations in order: each a module with `up`, named by its file.
macro_rules! migrations {
    ($($name:ident),* $(,)?) => {
        $(mod $name;)*

        /// Every migration's name, in the order they apply.
        pub const MIGRATIONS: &[&str] = &[$(stringify!($name)),*];

        /// Applies the migration of that name.
        async fn apply(name: &str, m: &SchemaManager<'_>) -> Result<(), sea_orm::DbErr> {
            match name {
                $(stringify!($name) => $name::up(m).await,)*
                _ => Err(sea_orm::DbErr::Custom(format!("no migration is named {name}"))),
            }
        }
    };
}

migrations!(
    m20261127_000001_registry,
    m20261127_000002_whitelist,
    m20261127_000003_products,
    m20261201_000004_commit_order,
    m20261201_000005_import_jobs,
    m20261201_000006_people,
    m20261201_000007_pledge_marked,
    m20261201_000008_console,
    m20261201_000009_consents,
    m20261201_000010_rounds,
    m20261201_000011_outcomes,
    m20261201_000012_pushes,
    m20261207_000013_receiver_ca,
    m20261207_000014_pledge_history,
    m20261207_000015_transferred_out,
    m20261207_000016_consent_unknown,
    m20261207_000017_former_names,
);

pub use m20261201_000007_pledge_marked::{STAND_IN as PLEDGE_STAND_IN, mark_stand_ins};
