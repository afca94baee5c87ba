//! Authentication: password hashing, access tokens, sign-in rate limits,
//! and the [`Principal`] extractor that makes a handler require a token.

pub mod jwt;
pub mod limiter;
pub mod password;
pub mod principal;
pub mod sign_in;

pub use jwt::{Claims, IssuedToken, JwtConfig, JwtConfigError, JwtKeys};
pub use limiter::LoginLimiter;
pub use password::{dummy_verify, hash_password, verify_password};
pub use principal::Principal;
pub use sign_in::sign_in;
