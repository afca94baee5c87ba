//! Command-line interface. Settings come from flags or, for each flag, the
//! environment variable named beside it.

use std::net::SocketAddr;

use anyhow::Context;
use clap::{Parser, Subcommand};
use grantledger_store::{Database, PoolOptions};

use crate::telemetry::LogFormat;

/// The embedded default database: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "grantledger.sqlite3";

/// grantledger: grant fund management for public grant programmes.
#[derive(Debug, Parser)]
#[command(name = "grantledger", version, about)]
pub struct Cli {
    /// Database: `postgres://user@host/db` for PostgreSQL, otherwise a SQLite file path.
    #[arg(long, global = true, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// Most database connections to hold open.
    #[arg(
        long,
        global = true,
        env = "GRANTLEDGER_DB_POOL_SIZE",
        default_value_t = 16
    )]
    pub pool_size: u32,
    /// Log format.
    #[arg(long, global = true, env = "GRANTLEDGER_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (migrations run first).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
}

/// Flags of `serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "GRANTLEDGER_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Worker threads for HTTP (default: one per core).
    #[arg(long, env = "GRANTLEDGER_WORKERS")]
    pub workers: Option<usize>,
}

impl Cli {
    fn open_database(&self) -> anyhow::Result<Database> {
        let options = PoolOptions {
            max_size: self.pool_size,
            ..PoolOptions::default()
        };
        Database::open(&self.database_url, &options)
            .with_context(|| format!("opening the database at {}", redact_url(&self.database_url)))
    }
}

/// Hides a password in a database URL before it is shown or logged.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::Migrate => {
            let db = cli.open_database()?;
            tracing::info!(backend = db.backend().name(), "database is up to date");
            Ok(())
        }
        Command::Serve(args) => {
            let db = cli.open_database()?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("starting the async runtime")?;
            runtime.block_on(crate::app::serve(db, args.bind, args.workers))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_in_database_urls_are_hidden() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/gl"),
            "postgres://app:***@db:5432/gl"
        );
        assert_eq!(redact_url("postgres://app@db/gl"), "postgres://app@db/gl");
        assert_eq!(redact_url("grantledger.sqlite3"), "grantledger.sqlite3");
    }
}
