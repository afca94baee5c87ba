//! Embedded migrations, one set per backend, run on start.

use diesel::RunQueryDsl;
use diesel::connection::SimpleConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::connection::AnyConnection;
use crate::error::StoreError;

const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

#[derive(diesel::QueryableByName)]
struct ForeignKeyProblem {
    #[diesel(sql_type = diesel::sql_types::Text)]
    #[allow(dead_code)]
    table: String,
}

/// An arbitrary constant naming grantledger's migration lock on PostgreSQL.
const MIGRATION_LOCK: i64 = 0x6772_616e_746c_6467;

/// Applies every pending migration; returns how many ran.
///
/// On PostgreSQL several server processes may start at once; an advisory lock
/// makes them take turns, so each migration runs exactly once.
pub fn run_pending(conn: &mut AnyConnection) -> Result<usize, StoreError> {
    let migration_error =
        |e: Box<dyn std::error::Error + Send + Sync>| StoreError::Migration(e.to_string());
    match conn {
        AnyConnection::Postgresql(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
            let result = c.run_pending_migrations(POSTGRES).map(|v| v.len());
            c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
            result.map_err(migration_error)
        }
        AnyConnection::Sqlite(c) => {
            // SQLite changes a table's constraints only by rebuilding it,
            // which its foreign keys forbid while they are on; the pragma is
            // ignored inside a transaction, so it is set around them all and
            // every key is checked before the database is used again.
            c.batch_execute("PRAGMA foreign_keys = OFF")?;
            let result = c
                .run_pending_migrations(SQLITE)
                .map(|v| v.len())
                .map_err(migration_error);
            let broken = diesel::sql_query("PRAGMA foreign_key_check")
                .load::<ForeignKeyProblem>(c)
                .map(|v| v.len());
            c.batch_execute("PRAGMA foreign_keys = ON")?;
            match broken? {
                0 => result,
                n => Err(StoreError::Migration(format!(
                    "{n} rows break a foreign key after the migrations"
                ))),
            }
        }
    }
}
