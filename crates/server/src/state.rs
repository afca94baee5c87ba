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
}
