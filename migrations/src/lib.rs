//! Schema migrations, run by `pledge migrate` and at `serve` start. The same files serve SQLite
//! and PostgreSQL; one migration per file, named by its file.

pub use sea_orm_migration::prelude::*;

mod m20261127_000001_registry;
mod m20261127_000002_whitelist;
mod m20261127_000003_products;
mod m20261201_000004_commit_order;
mod m20261201_000005_import_jobs;
mod m20261201_000006_people;
mod m20261201_000007_pledge_marked;
mod m20261201_000008_console;
mod m20261201_000009_consents;
mod m20261201_000010_rounds;
mod m20261201_000011_outcomes;
mod m20261201_000012_pushes;

pub use m20261201_000007_pledge_marked::{STAND_IN as PLEDGE_STAND_IN, mark_stand_ins};

/// Every migration, in order.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_registry::Migration),
            Box::new(m20261127_000002_whitelist::Migration),
            Box::new(m20261127_000003_products::Migration),
            Box::new(m20261201_000004_commit_order::Migration),
            Box::new(m20261201_000005_import_jobs::Migration),
            Box::new(m20261201_000006_people::Migration),
            Box::new(m20261201_000007_pledge_marked::Migration),
            Box::new(m20261201_000008_console::Migration),
            Box::new(m20261201_000009_consents::Migration),
            Box::new(m20261201_000010_rounds::Migration),
            Box::new(m20261201_000011_outcomes::Migration),
            Box::new(m20261201_000012_pushes::Migration),
        ]
    }
}
