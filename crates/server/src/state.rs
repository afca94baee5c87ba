//! What every request handler can reach. A file of its own so that route
//! modules depend on it, not on `app`, which assembles the routes.

use std::sync::Arc;

use grantledger_store::Database;

use crate::auth::limiter::LoginLimiter;
use crate::auth::password::HashingPool;

/// What every request handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub db: Database,
    /// Sign-in attempt limits.
    pub limiter: Arc<LoginLimiter>,
    /// The threads that hash and verify passwords for requests.
    pub hashing: Arc<HashingPool>,
    /// Who publishes the 360Giving export; `None` when no prefix is configured.
    pub publisher: Option<grantledger_domain::opendata::Publisher>,
    /// The keys sealing grantees' bank details.
    pub bank_keys: Arc<grantledger_store::bank_details::Keyring>,
    /// The fund's Bacs originator; `None` refuses Standard 18 files.
    pub originator: Option<grantledger_domain::bank::Originator>,
    /// Pay.UK's modulus checking tables, for bank details as they are entered.
    pub modulus: Arc<grantledger_domain::bank::ModulusTable>,
    /// What notices by email link to.
    pub notices: Arc<crate::operations::notices::Notices>,
}
