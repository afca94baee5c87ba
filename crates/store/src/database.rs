//! The store's entry point: a pool, the backend it talks to, and the two ways
//! in — a read, and a write transaction.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

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
    /// Write transactions committed through this handle and its clones
    /// (not other processes'): lets the background sealer skip a look
    /// when nothing has been written since the last.
    commits: Arc<AtomicU64>,
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
        Ok(Database {
            pool,
            kind,
            commits: Arc::new(AtomicU64::new(0)),
        })
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
        let done = write_transaction(&mut conn, f)?;
        // Counted once committed, so whoever reads the count before looking
        // at the tables sees every write it counts.
        self.commits.fetch_add(1, Ordering::Release);
        Ok(done)
    }

    /// How many write transactions this process has committed through
    /// this database (and its clones) since it connected.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Acquire)
    }

    /// Checks the database answers: for `/readyz`.
    pub fn ping(&self) -> Result<(), StoreError> {
        use diesel::connection::SimpleConnection;
        let mut conn = self.pool.get()?;
        conn.batch_execute("SELECT 1")?;
        Ok(())
    }
}
