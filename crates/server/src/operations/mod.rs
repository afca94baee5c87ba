//! One place for every operation a user can perform, whether it arrives
//! through the API, the command line or the web pages.
//!
//! Each operation is a plain function: it takes the principal (when what the
//! caller may see matters) or the actor, typed input and a connection, runs
//! inside the caller's transaction, and returns domain values or store
//! records, or an [`ApiError`](crate::error::ApiError). Nothing here knows
//! about actix or HTTP: parsing requests and shaping responses stay in
//! [`routes`](crate::routes).

pub mod awards;
pub mod evaluation;
pub mod payments;
