//! Which migrations a database has: the `seaql_migrations` table (`version`, the migration's
//! name; `applied_at`, Unix seconds), created on first use. Pending migrations apply in order,
//! each recorded in the transaction it runs in.

use sea_orm::sea_query::{Alias, ColumnDef, Query, Table};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr};
use std::collections::BTreeSet;

use crate::{MIGRATIONS, SchemaManager, apply};

const TABLE: &str = "seaql_migrations";

/// Applies every migration the database does not have yet, in order, inside `txn`, and
/// records each with `applied_at` (Unix seconds). A database that records a migration this
/// build does not know (written by a newer build) is refused before anything changes.
pub async fn migrate(txn: &DatabaseTransaction, applied_at: i64) -> Result<(), DbErr> {
    txn.execute(
        &Table::create()
            .table(Alias::new(TABLE))
            .if_not_exists()
            .col(
                ColumnDef::new(Alias::new("version"))
                    .string()
                    .not_null()
                    .primary_key(),
            )
            .col(
                ColumnDef::new(Alias::new("applied_at"))
                    .big_integer()
                    .not_null(),
            )
            .to_owned(),
    )
    .await?;
    let applied = applied(txn).await?;
    let unknown: Vec<&str> = applied
        .iter()
        .map(String::as_str)
        .filter(|name| !MIGRATIONS.contains(name))
        .collect();
    if !unknown.is_empty() {
        return Err(DbErr::Custom(format!(
            "the database has migrations this build does not know (written by a newer one?): {}",
            unknown.join(", ")
        )));
    }
    let manager = SchemaManager::new(txn);
    for name in MIGRATIONS.iter().filter(|name| !applied.contains(**name)) {
        tracing::info!(migration = name, "applying migration");
        apply(name, &manager).await?;
        let mut record = Query::insert();
        record
            .into_table(Alias::new(TABLE))
            .columns([Alias::new("version"), Alias::new("applied_at")])
            .values([(*name).into(), applied_at.into()])
            .map_err(|e| DbErr::Custom(e.to_string()))?;
        txn.execute(&record).await?;
    }
    Ok(())
}

/// The names of the migrations the database records.
async fn applied(txn: &DatabaseTransaction) -> Result<BTreeSet<String>, DbErr> {
    let rows = txn
        .query_all(
            &Query::select()
                .column(Alias::new("version"))
                .from(Alias::new(TABLE))
                .to_owned(),
        )
        .await?;
    rows.iter()
        .map(|row| row.try_get::<String>("", "version"))
        .collect()
}
