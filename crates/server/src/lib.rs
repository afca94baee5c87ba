//! The grantledger service: HTTP routes over the store and domain, and the
//! command-line tool that runs it.

pub mod app;
pub mod cli;
pub mod health;
pub mod telemetry;
