//! A pledge a ledger marks (是否已质押=是) without its registration is its own state: no
//! number and no date are made up for it. Rows that earlier sessions stored with a stand-in
//! number and the import's day are turned into that state.

use crate::prelude::*;

/// What imports used to write in place of the registration number.
pub const STAND_IN: &str = "台账标注已质押（未注明登记号）";

/// Applies the migration.
pub(crate) async fn up(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    for table in ["patents", "trademarks"] {
        m.alter_table(
            Table::alter()
                .table(Alias::new(table))
                .add_column(boolean("pledge_marked").default(false))
                .to_owned(),
        )
        .await?;
    }
    mark_stand_ins(m.get_connection()).await
}

/// Turns the stand-ins into the marked state, as the migration did (for a test that puts old
/// rows back and checks what becomes of them).
pub async fn mark_stand_ins(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    for table in ["patents", "trademarks"] {
        let update = Query::update()
            .table(Alias::new(table))
            .value(Alias::new("pledge_marked"), true)
            .value(Alias::new("pledge_registration_number"), Expr::cust("NULL"))
            .value(Alias::new("pledge_registered_on"), Expr::cust("NULL"))
            .and_where(Expr::col(Alias::new("pledge_registration_number")).eq(STAND_IN))
            .to_owned();
        db.execute(&update).await?;
    }
    Ok(())
}
