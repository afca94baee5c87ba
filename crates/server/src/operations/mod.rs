//! Every operation a user can perform, in one place: start, submit and
//! decide applications, accept, vary and cancel awards, schedule and pay
//! tranches, import files, submit and review returns…
//!
//! The JSON handlers in `routes`, the command line and the web pages are
//! thin adapters over these functions: they parse what they are given,
//! call one operation and present its result. An operation takes the caller
//! (a [`Principal`](crate::auth::principal::Principal) or, for system
//! callers, an `Actor`), typed input and a connection already in the
//! transaction it should run in, and returns domain values or store records
//! — never a response — or one [`ApiError`](crate::error::ApiError), whose
//! variants say what went wrong in the domain's terms and are mapped to
//! HTTP in one place (`error.rs`). No actix or HTML type appears here.

pub mod accounts;
pub mod applications;
pub mod audit;
pub mod awards;
pub mod bank_details;
pub mod bulk_decisions;
pub mod commitments;
pub mod documents;
pub mod due_diligence;
pub mod evaluation;
pub mod forms;
pub mod funds;
pub mod grantees;
pub mod imports;
pub mod notices;
pub mod outbox;
pub mod panels;
pub mod payments;
pub mod reminders;
pub mod rounds;
pub mod two_factor;
pub mod users;
