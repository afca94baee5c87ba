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
    /// A value that must be unique is held by another record already.
    #[error("a record with these values already exists")]
    Duplicate {
        /// The database's name for the rule, where it gives one.
        constraint: Option<String>,
    },
    /// The change refers to a record that is not there, or would remove
    /// one that others refer to.
    #[error("the change refers to, or is referred to by, another record")]
    Reference,
    /// A rule the database states on stored records (a check) refused the
    /// change.
    #[error("the change breaks a rule on the stored records")]
    RuleBroken,
    /// A concurrent change won (a serialization failure); retrying works.
    #[error("conflicting concurrent change; retry")]
    ConcurrentChange,
    /// Another writer holds SQLite's lock beyond the busy timeout: load,
    /// not a fault.
    #[error("the database is busy; try again shortly")]
    Busy,
    /// PostgreSQL refuses text holding NUL (U+0000), which JSON and
    /// percent-encoded query strings can carry: the client's input.
    #[error("text values must not contain the NUL character (\\u0000)")]
    InvalidText,
    /// The connection was lost, before or inside a transaction; the pool
    /// discards it and a retry gets another.
    #[error("the database connection was lost")]
    ConnectionLost(#[source] diesel::result::Error),
    /// Stored bank details cannot be opened with the configured keys.
    #[error(transparent)]
    BankKey(#[from] crate::bank_details::KeyringError),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(#[source] diesel::result::Error),
}

impl From<diesel::result::Error> for StoreError {
    /// Classifies a database error in the store's own terms, so that no
    /// layer above needs to know diesel.
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as Kind, Error};
        match error {
            Error::DatabaseError(kind, info) => match kind {
                Kind::UniqueViolation => StoreError::Duplicate {
                    constraint: info.constraint_name().map(str::to_owned),
                },
                Kind::ForeignKeyViolation | Kind::RestrictViolation => StoreError::Reference,
                Kind::CheckViolation | Kind::ExclusionViolation => StoreError::RuleBroken,
                Kind::SerializationFailure => StoreError::ConcurrentChange,
                Kind::ClosedConnection | Kind::UnableToSendCommand => {
                    StoreError::ConnectionLost(Error::DatabaseError(kind, info))
                }
                _ if is_nul_in_text(info.message()) => StoreError::InvalidText,
                // diesel classifies only SQLSTATE 40001; a deadlock (40P01)
                // is the same to the caller: another change won, retry.
                _ if info.message().starts_with("deadlock detected") => {
                    StoreError::ConcurrentChange
                }
                // SQLite reports a writer holding the lock as unclassified.
                _ if is_sqlite_busy(info.message()) => StoreError::Busy,
                _ => StoreError::Database(Error::DatabaseError(kind, info)),
            },
            Error::NotFound => StoreError::NotFound { entity: "record" },
            // A transaction whose COMMIT or ROLLBACK failed: the connection
            // was lost mid-transaction.
            Error::BrokenTransactionManager => {
                StoreError::ConnectionLost(Error::BrokenTransactionManager)
            }
            other => StoreError::Database(other),
        }
    }
}

fn is_nul_in_text(message: &str) -> bool {
    message.contains("invalid byte sequence for encoding") && message.contains("0x00")
}

fn is_sqlite_busy(message: &str) -> bool {
    message.contains("database is locked") || message.contains("database table is locked")
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

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind as Kind, Error};

    #[derive(Debug)]
    struct Info(&'static str, Option<&'static str>);
    impl DatabaseErrorInformation for Info {
        fn message(&self) -> &str {
            self.0
        }
        fn details(&self) -> Option<&str> {
            None
        }
        fn hint(&self) -> Option<&str> {
            None
        }
        fn table_name(&self) -> Option<&str> {
            None
        }
        fn column_name(&self) -> Option<&str> {
            None
        }
        fn constraint_name(&self) -> Option<&str> {
            self.1
        }
        fn statement_position(&self) -> Option<i32> {
            None
        }
    }

    fn db(kind: Kind, message: &'static str) -> StoreError {
        StoreError::from(Error::DatabaseError(kind, Box::new(Info(message, None))))
    }

    #[test]
    fn database_errors_are_classified_in_the_stores_terms() {
        let unique = StoreError::from(Error::DatabaseError(
            Kind::UniqueViolation,
            Box::new(Info("dup", Some("grantees_org_id_key"))),
        ));
        assert!(
            matches!(&unique, StoreError::Duplicate { constraint: Some(c) } if c == "grantees_org_id_key"),
            "{unique:?}"
        );
        let kinds = [
            (db(Kind::ForeignKeyViolation, "fk"), "Reference"),
            (db(Kind::CheckViolation, "check"), "RuleBroken"),
            (db(Kind::SerializationFailure, "retry"), "ConcurrentChange"),
            (db(Kind::Unknown, "deadlock detected"), "ConcurrentChange"),
            (db(Kind::ClosedConnection, "gone"), "ConnectionLost"),
            (db(Kind::UnableToSendCommand, "gone"), "ConnectionLost"),
            (db(Kind::NotNullViolation, "null"), "Database"),
            (db(Kind::Unknown, "database is locked"), "Busy"),
            (
                db(
                    Kind::Unknown,
                    "invalid byte sequence for encoding \"UTF8\": 0x00",
                ),
                "InvalidText",
            ),
            (StoreError::from(Error::RollbackTransaction), "Database"),
            (
                StoreError::from(Error::BrokenTransactionManager),
                "ConnectionLost",
            ),
            (StoreError::from(Error::NotFound), "NotFound"),
        ];
        for (error, expected) in kinds {
            let name = format!("{error:?}");
            assert!(name.starts_with(expected), "{name} is not {expected}");
        }
    }

    #[test]
    fn a_lost_connection_keeps_its_cause() {
        let lost = db(Kind::ClosedConnection, "server closed the connection");
        let source = std::error::Error::source(&lost).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("server closed the connection"));
    }
}
