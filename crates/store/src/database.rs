//! The store's entry point: a pool, the backend it talks to, and the two ways
//! in — a read, and a write transaction.

use crate::connection::{
    AnyConnection, BackendKind, Pool, PoolOptions, build_pool, write_transaction,
};
use crate::error::StoreError;
use crate::migrate;

/// A handle on the database. Cheap to clone; clones share the pool.
#[derive(Clone)]
pub struct Database {
    pool: Pool,
    kind: BackendKind,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("backend", &self.kind)
            .finish_non_exhaustive()
    }
}

impl Database {
    /// Connects to `url` (`postgres://…`, or a SQLite file path) without
    /// running migrations.
    pub fn connect(url: &str, options: &PoolOptions) -> Result<Database, StoreError> {
        let kind = BackendKind::of(url);
        let pool = build_pool(url, options)?;
        Ok(Database { pool, kind })
    }

    /// Connects and brings the schema up to date.
    pub fn open(url: &str, options: &PoolOptions) -> Result<Database, StoreError> {
        let db = Self::connect(url, options)?;
        db.migrate()?;
        Ok(db)
    }

    /// Applies pending migrations; returns how many ran.
    pub fn migrate(&self) -> Result<usize, StoreError> {
        let mut conn = self.pool.get()?;
        migrate::run_pending(&mut conn)
    }

    /// Which backend this is.
    pub fn backend(&self) -> BackendKind {
        self.kind
    }

    /// Runs `f` on a pooled connection, outside any explicit transaction.
    pub fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E>,
        E: From<StoreError>,
    {
        let mut conn = self.pool.get().map_err(StoreError::from)?;
        f(&mut conn)
    }

    /// Runs `f` in one write transaction: everything it does commits together
    /// or not at all.
    pub fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E>,
        E: From<StoreError>,
    {
        let mut conn = self.pool.get().map_err(StoreError::from)?;
        write_transaction(&mut conn, f)
    }

    /// Checks the database answers: for `/readyz`.
    pub fn ping(&self) -> Result<(), StoreError> {
        use diesel::connection::SimpleConnection;
        let mut conn = self.pool.get()?;
        conn.batch_execute("SELECT 1")?;
        Ok(())
    }
}
