//! Storage for grantledger: one diesel code path for PostgreSQL and SQLite.
//!
//! Rows are mapped to domain types on the way out; a row that does not make a
//! valid domain value is reported as [`StoreError::Corrupt`], never trusted.
//! Every state change goes through [`Database::write`], one transaction.

pub mod connection;
pub mod database;
pub mod error;
pub mod migrate;
pub mod schema;
pub mod sql_types;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use connection::{AnyConnection, BackendKind, Pool, PoolOptions, write_transaction};
pub use database::Database;
pub use error::StoreError;
pub mod applications;
pub mod audit;
#[cfg(test)]
mod audit_tests;
pub mod award_numbers;
pub mod awards;
pub mod bank_details;
#[cfg(test)]
mod commitment_tests;
pub mod commitments;
pub mod common;
pub mod disbursements;
pub mod documents;
pub mod due_diligence_checks;
pub mod evaluation;
pub mod forms;
pub mod funds;
pub mod grantees;
pub mod idempotency;
pub mod ledger;
pub mod outbox;
pub mod panels;
pub mod reconciliation;
pub mod reminders;
pub mod return_drafts;
mod reused;
pub mod rounds;
pub mod sessions;
pub mod spreadsheets;
#[cfg(test)]
mod tests;
pub mod two_factor;
pub mod user_tokens;
pub mod users;
