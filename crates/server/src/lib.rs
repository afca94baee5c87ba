//! The grantledger service: HTTP routes over the store and domain, and the
//! command-line tool that runs it.

pub mod api_document;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod document_upload;
pub mod error;
pub mod extract;
pub mod health;
pub mod http;
pub mod idempotency;
pub mod input_errors;
pub mod limits;
pub mod mail;
pub mod middleware;
pub mod opendata;
pub mod operations;
pub mod policy;
pub mod portal;
pub mod routes;
pub mod spreadsheets;
pub mod state;
pub mod telemetry;
