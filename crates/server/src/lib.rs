//! The grantledger service: HTTP routes over the store and domain, and the
//! command-line tool that runs it.

pub mod app;
pub mod cli;
pub mod health;
pub mod telemetry;
pub mod auth;
pub mod error;
pub mod extract;
pub mod middleware;
pub mod config;
pub mod http;
pub mod policy;
pub mod routes;
pub mod demo;
