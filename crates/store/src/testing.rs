//! Fresh, isolated databases for tests: a temporary SQLite file, or a
//! temporary schema in the PostgreSQL named by `GRANTLEDGER_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/test`).
//!
//! When PostgreSQL cannot be reached the PostgreSQL half of each test is
//! skipped with a message, unless `CI=true` or `GRANTLEDGER_REQUIRE_POSTGRES=1`
//! is set: then it is a failure.

#![allow(clippy::expect_used, clippy::panic)]

use diesel::Connection;
use diesel::connection::SimpleConnection;

use crate::connection::PoolOptions;
use crate::database::Database;

/// The default PostgreSQL for tests.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A database that exists for one test and is removed afterwards.
#[derive(Debug)]
pub struct TestDb {
    /// The URL a server process can be given to reach the same database.
    pub url: String,
    /// An open, migrated handle.
    pub db: Database,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, schema: String },
}

fn postgres_required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
        || std::env::var("GRANTLEDGER_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

impl TestDb {
    /// A fresh SQLite database in a temporary directory.
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("grantledger.sqlite3");
        let url = path.to_string_lossy().into_owned();
        let db = Database::open(&url, &PoolOptions::default()).expect("open SQLite test database");
        TestDb {
            url,
            db,
            cleanup: Cleanup::Sqlite(dir),
        }
    }

    /// A fresh schema in the test PostgreSQL, or `None` (with a message) when
    /// there is none and it is not required.
    pub fn postgres() -> Option<TestDb> {
        let admin_url = std::env::var("GRANTLEDGER_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let mut admin = match diesel::PgConnection::establish(&admin_url) {
            Ok(conn) => conn,
            Err(error) if !postgres_required() => {
                eprintln!("skipping the PostgreSQL half of this test: {admin_url}: {error}");
                return None;
            }
            Err(error) => {
                panic!("PostgreSQL is required here (CI) but {admin_url} failed: {error}")
            }
        };
        let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
        admin
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .expect("create test schema");
        let separator = if admin_url.contains('?') { '&' } else { '?' };
        let url = format!("{admin_url}{separator}options=-csearch_path%3D{schema}");
        let options = PoolOptions {
            max_size: 8,
            ..PoolOptions::default()
        };
        let db = Database::open(&url, &options).expect("open PostgreSQL test schema");
        Some(TestDb {
            url,
            db,
            cleanup: Cleanup::Postgres { admin_url, schema },
        })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, schema } = &self.cleanup
            && let Ok(mut admin) = diesel::PgConnection::establish(admin_url)
        {
            // Idle pooled sessions hold no locks, so the drop does not wait on them.
            let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

/// Generates, for each named test body `fn name(db: &TestDb)`, one `#[test]`
/// on SQLite and one on PostgreSQL: the same body on both backends.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[test]
                fn $name() {
                    let db = $crate::testing::TestDb::sqlite();
                    super::$name(&db);
                }
            )*
        }
        mod on_postgres {
            $(
                #[test]
                fn $name() {
                    if let Some(db) = $crate::testing::TestDb::postgres() {
                        super::$name(&db);
                    }
                }
            )*
        }
    };
}
