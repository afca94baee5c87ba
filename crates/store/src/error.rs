//! Errors of the storage layer.

use thiserror::Error;

/// What can go wrong in the store. The server maps these to HTTP statuses in
/// one place.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The record does not exist (or is not visible to the caller).
    #[error("{entity} not found")]
    NotFound {
        /// What was looked for, in users' words ("fund", "round").
        entity: &'static str,
    },
    /// The change conflicts with the current state (a unique value taken,
    /// the money is not there, a stale version).
    #[error("{0}")]
    Conflict(String),
    /// The record changed since the caller read it (`If-Match` failed).
    #[error("{entity} has changed since version {expected}; reload it and try again")]
    StaleVersion {
        /// What was being updated.
        entity: &'static str,
        /// The version the caller had.
        expected: i64,
    },
    /// The database cannot be reached or has no free connection.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// A stored row does not make a valid domain value: the database was
    /// edited outside grantledger, or a bug wrote it.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// Running migrations failed.
    #[error("migration failed: {0}")]
    Migration(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
}

impl From<r2d2::Error> for StoreError {
    fn from(error: r2d2::Error) -> Self {
        StoreError::Unavailable(error.to_string())
    }
}

impl StoreError {
    /// A stored value failed to parse into its domain type.
    pub fn corrupt(what: &str, error: impl std::fmt::Display) -> Self {
        StoreError::Corrupt(format!("{what}: {error}"))
    }
}
