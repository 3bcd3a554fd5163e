//! What a migration is given: the transaction it runs in, and statements to run there.

use sea_orm::sea_query::{IndexCreateStatement, TableAlterStatement, TableCreateStatement};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseTransaction, DbErr, StatementBuilder};

/// Runs a migration's statements inside the transaction that records it.
#[derive(Debug)]
pub struct SchemaManager<'c> {
    txn: &'c DatabaseTransaction,
}

impl<'c> SchemaManager<'c> {
    /// A manager over that transaction.
    pub fn new(txn: &'c DatabaseTransaction) -> Self {
        Self { txn }
    }

    /// The transaction, for statements written out in SQL.
    pub fn get_connection(&self) -> &'c DatabaseTransaction {
        self.txn
    }

    /// SQLite or PostgreSQL.
    pub fn get_database_backend(&self) -> DatabaseBackend {
        self.txn.get_database_backend()
    }

    /// Creates a table.
    pub async fn create_table(&self, statement: TableCreateStatement) -> Result<(), DbErr> {
        self.run(&statement).await
    }

    /// Changes a table (one change per statement: SQLite takes one per ALTER TABLE).
    pub async fn alter_table(&self, statement: TableAlterStatement) -> Result<(), DbErr> {
        self.run(&statement).await
    }

    /// Creates an index.
    pub async fn create_index(&self, statement: IndexCreateStatement) -> Result<(), DbErr> {
        self.run(&statement).await
    }

    async fn run(&self, statement: &impl StatementBuilder) -> Result<(), DbErr> {
        self.txn.execute(statement).await.map(|_| ())
    }
}
