//! One connection type for both databases, a pool, and the write-transaction
//! helper every state change goes through.

use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, CustomizeConnection, ManageConnection};

use crate::error::StoreError;

/// A connection to either backend. Store functions take `&mut AnyConnection`
/// so that every query is written once.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    /// PostgreSQL, for production and scale-out.
    Postgresql(diesel::PgConnection),
    /// SQLite, the embedded default.
    Sqlite(diesel::SqliteConnection),
}

impl std::fmt::Debug for AnyConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AnyConnection::Postgresql(_) => "AnyConnection::Postgresql",
            AnyConnection::Sqlite(_) => "AnyConnection::Sqlite",
        })
    }
}

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    /// `postgres://` or `postgresql://`.
    Postgres,
    /// Anything else: a file path, or `sqlite://path`.
    Sqlite,
}

impl BackendKind {
    /// Chooses the backend from the URL scheme rather than by trial, so a
    /// mistyped PostgreSQL URL is reported as such and never becomes a file.
    pub fn of(url: &str) -> BackendKind {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            BackendKind::Postgres
        } else {
            BackendKind::Sqlite
        }
    }

    /// The backend's name, for logs and `/readyz`.
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Postgres => "postgresql",
            BackendKind::Sqlite => "sqlite",
        }
    }
}

/// Opens connections for the pool.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: String,
    kind: BackendKind,
}

impl ConnectionManager {
    /// A manager for `url`; `sqlite://` is stripped to a path.
    pub fn new(url: &str) -> Self {
        let kind = BackendKind::of(url);
        let url = match kind {
            BackendKind::Sqlite => url.strip_prefix("sqlite://").unwrap_or(url).to_owned(),
            BackendKind::Postgres => url.to_owned(),
        };
        ConnectionManager { url, kind }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = AnyConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, r2d2::Error> {
        match self.kind {
            BackendKind::Postgres => diesel::PgConnection::establish(&self.url)
                .map(AnyConnection::Postgresql)
                .map_err(r2d2::Error::ConnectionError),
            BackendKind::Sqlite => diesel::SqliteConnection::establish(&self.url)
                .map(AnyConnection::Sqlite)
                .map_err(r2d2::Error::ConnectionError),
        }
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        match conn {
            AnyConnection::Postgresql(c) => {
                AnsiTransactionManager::is_broken_transaction_manager(c)
            }
            AnyConnection::Sqlite(c) => AnsiTransactionManager::is_broken_transaction_manager(c),
        }
    }
}

/// SQLite settings applied to every new connection.
#[derive(Debug, Clone, Copy)]
struct SqliteSettings;

impl CustomizeConnection<AnyConnection, r2d2::Error> for SqliteSettings {
    fn on_acquire(&self, conn: &mut AnyConnection) -> Result<(), r2d2::Error> {
        if let AnyConnection::Sqlite(c) = conn {
            // journal_mode = WAL is set once per file in `build_pool`: it
            // persists, and switching it from many connections at once fails
            // with "database is locked".
            c.batch_execute(
                "PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; \
                 PRAGMA foreign_keys = ON;",
            )
            .map_err(r2d2::Error::QueryError)?;
            crate::reconciliation::register_fingerprints(c).map_err(r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// The connection pool type.
pub type Pool = r2d2::Pool<ConnectionManager>;
/// A connection borrowed from the pool.
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// Pool sizing and timeouts.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    /// Most connections open at once.
    pub max_size: u32,
    /// How long a caller waits for a free connection before the store reports
    /// itself unavailable.
    pub connection_timeout: Duration,
    /// Idle connections the pool keeps open, opening more in the background
    /// as they are used. A short-lived command wants none: a connection
    /// still being opened on the pool's thread when the process exits races
    /// the TLS library's clean-up and can crash the process.
    pub min_idle: u32,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_size: 16,
            connection_timeout: Duration::from_secs(5),
            min_idle: 2,
        }
    }
}

/// Builds a pool; fails if no connection can be opened at all.
pub fn build_pool(url: &str, options: &PoolOptions) -> Result<Pool, StoreError> {
    let manager = ConnectionManager::new(url);
    if manager.kind == BackendKind::Sqlite {
        let mut conn = manager
            .connect()
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        conn.batch_execute("PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL;")?;
    }
    let builder = r2d2::Pool::builder()
        .max_size(options.max_size)
        .min_idle(Some(options.max_size.min(options.min_idle)))
        .connection_timeout(options.connection_timeout)
        // Failures reach callers as StoreError::Unavailable; r2d2's own
        // logger would repeat each one for every connection it retries.
        .error_handler(Box::new(r2d2::NopErrorHandler))
        .connection_customizer(Box::new(SqliteSettings));
    builder
        .build(manager)
        .map_err(|e| StoreError::Unavailable(e.to_string()))
}

/// Runs `f` in a write transaction: `BEGIN IMMEDIATE` on SQLite, so that a
/// transaction which reads and then writes takes the write lock up front and
/// waits for it (busy_timeout) instead of failing with "database is locked";
/// an ordinary transaction on PostgreSQL. Nested calls become savepoints.
/// Commits if `f` succeeds, rolls back if it fails.
pub fn write_transaction<T, E, F>(conn: &mut AnyConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<StoreError>,
{
    type Manager = <AnyConnection as Connection>::TransactionManager;
    let db = |e: diesel::result::Error| E::from(StoreError::from(e));
    let outermost_sqlite = match conn {
        AnyConnection::Sqlite(c) => AnsiTransactionManager::transaction_manager_status_mut(c)
            .transaction_depth()
            .map_err(db)?
            .is_none(),
        AnyConnection::Postgresql(_) => false,
    };
    let began = match conn {
        AnyConnection::Sqlite(c) if outermost_sqlite => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
        }
        _ => Manager::begin_transaction(conn),
    };
    began.map_err(db)?;
    match f(conn) {
        Ok(value) => match Manager::commit_transaction(conn) {
            Ok(()) => Ok(value),
            Err(commit_error) => {
                // A failed COMMIT can leave the transaction open; close it so
                // the pooled connection is usable again.
                let _ = Manager::rollback_transaction(conn);
                Err(db(commit_error))
            }
        },
        Err(error) => {
            // If the rollback fails as well, the connection is lost (a
            // terminated backend, a restarted server): the database rolls
            // the transaction back itself, the pool discards the connection
            // (`has_broken`), and the caller needs the first error, which
            // says what happened — not "the transaction manager is broken".
            let _ = Manager::rollback_transaction(conn);
            Err(error)
        }
    }
}

/// Inserts many rows at once: one multi-row statement on PostgreSQL (a
/// round trip a row is what makes imports slow there), and on SQLite one
/// prepared statement run a row at a time, which is as fast in-process.
/// Through [`AnyConnection`] itself diesel offers no batch insert, hence
/// one arm a backend.
macro_rules! insert_batch {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            $crate::connection::AnyConnection::Postgresql(c) => {
                diesel::RunQueryDsl::execute(diesel::insert_into($table).values($rows), c)
            }
            $crate::connection::AnyConnection::Sqlite(c) => {
                diesel::RunQueryDsl::execute(diesel::insert_into($table).values($rows), c)
            }
        }
    };
}
pub(crate) use insert_batch;
