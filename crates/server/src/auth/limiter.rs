//! Rate limits on sign-in attempts, against password guessing.
//!
//! The limits live in this process's memory: each server instance counts on
//! its own, so a cluster of N instances allows up to N times the configured
//! rate. That is acceptable because the limiter's job is to make online
//! guessing slow (argon2id makes each guess expensive, and passwords have
//! at least 12 characters), not to enforce an exact budget; an attacker
//! gains at most a small constant factor, and sharing state between
//! instances would add a network dependency to every sign-in.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, NotUntil, Quota, RateLimiter};
use grantledger_domain::user::Email;

use crate::error::ApiError;

/// Sign-in attempts allowed per account per minute (and as a burst).
pub const ACCOUNT_ATTEMPTS_PER_MINUTE: NonZeroU32 = non_zero(5);
/// Sign-in attempts allowed per client address per minute (and as a burst).
pub const IP_ATTEMPTS_PER_MINUTE: NonZeroU32 = non_zero(30);

const fn non_zero(n: u32) -> NonZeroU32 {
    match NonZeroU32::new(n) {
        Some(n) => n,
        None => NonZeroU32::MIN,
    }
}

/// Longest account key kept: bounds the memory an attacker can make the
/// limiter hold with absurd "emails" (real addresses are at most 254).
const MAX_ACCOUNT_KEY_CHARS: usize = 320;

/// Counts sign-in attempts per account and per client address.
pub struct LoginLimiter {
    per_account: DefaultKeyedRateLimiter<String>,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
}

impl fmt::Debug for LoginLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginLimiter")
            .field("accounts_tracked", &self.per_account.len())
            .field("addresses_tracked", &self.per_ip.len())
            .finish()
    }
}

impl Default for LoginLimiter {
    /// 5 attempts a minute per account and 30 per address, each with a
    /// burst of the same size.
    fn default() -> Self {
        LoginLimiter::new(
            Quota::per_minute(ACCOUNT_ATTEMPTS_PER_MINUTE),
            Quota::per_minute(IP_ATTEMPTS_PER_MINUTE),
        )
    }
}

impl LoginLimiter {
    /// A limiter with the given quotas.
    #[must_use]
    pub fn new(per_account: Quota, per_ip: Quota) -> Self {
        LoginLimiter {
            per_account: RateLimiter::keyed(per_account),
            per_ip: RateLimiter::keyed(per_ip),
        }
    }

    /// Records one sign-in attempt, or refuses it with 429 when the account
    /// or the address is over its limit. Call it before checking the
    /// password, so refused attempts cost no hashing.
    ///
    /// `ip` should be the peer address, or the client address from a proxy
    /// header only when the proxy is trusted to set it; otherwise clients
    /// choose their own key.
    pub fn check(&self, email: &str, ip: Option<IpAddr>) -> Result<(), ApiError> {
        // The address is checked first so that one client spraying many
        // accounts is stopped without using up those accounts' allowances.
        if let Some(ip) = ip {
            self.per_ip
                .check_key(&address_key(ip))
                .map_err(|not_until| too_many(&not_until, self.per_ip.clock()))?;
        }
        self.per_account
            .check_key(&account_key(email))
            .map_err(|not_until| too_many(&not_until, self.per_account.clock()))
    }

    /// Forgets keys whose limits have fully recovered, so memory tracks
    /// recent activity. Run it periodically (every minute or so).
    pub fn retain_recent(&self) {
        self.per_account.retain_recent();
        self.per_ip.retain_recent();
        self.per_account.shrink_to_fit();
        self.per_ip.shrink_to_fit();
    }
}

fn too_many(
    not_until: &NotUntil<<DefaultClock as Clock>::Instant>,
    clock: &DefaultClock,
) -> ApiError {
    ApiError::TooManyRequests {
        retry_after_secs: whole_seconds_up(not_until.wait_time_from(clock.now())),
    }
}

/// Retry-After counts whole seconds; rounding down would invite a retry
/// that is still refused.
fn whole_seconds_up(wait: Duration) -> u64 {
    let seconds = wait
        .as_secs()
        .saturating_add(u64::from(wait.subsec_nanos() > 0));
    seconds.max(1)
}

/// The same account however its email is typed.
fn account_key(email: &str) -> String {
    match Email::parse(email) {
        Ok(email) => email.as_str().to_owned(),
        Err(_) => email
            .trim()
            .to_lowercase()
            .chars()
            .take(MAX_ACCOUNT_KEY_CHARS)
            .collect(),
    }
}

/// IPv6 clients usually control a whole /64, so one key covers the /64;
/// IPv4-mapped addresses count as the IPv4 address they are.
fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::{StatusCode, header};
    use actix_web::test as actix_test;
    use actix_web::{App, HttpRequest, HttpResponse, web};
    use std::net::Ipv4Addr;

    fn quota(n: u32) -> Quota {
        Quota::per_minute(NonZeroU32::new(n).unwrap())
    }

    #[test]
    fn accounts_are_limited_after_the_burst() {
        let limiter = LoginLimiter::default();
        for _ in 0..5 {
            limiter.check("a@example.org", None).unwrap();
        }
        match limiter.check("A@Example.org ", None) {
            Err(ApiError::TooManyRequests { retry_after_secs }) => {
                assert!((1..=60).contains(&retry_after_secs), "{retry_after_secs}");
            }
            other => panic!("expected 429, got {other:?}"),
        }
        // Another account is unaffected.
        limiter.check("b@example.org", None).unwrap();
    }

    #[test]
    fn addresses_are_limited_across_accounts() {
        let limiter = LoginLimiter::new(quota(100), quota(3));
        let ip = Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)));
        for n in 0..3 {
            limiter.check(&format!("user{n}@example.org"), ip).unwrap();
        }
        assert!(limiter.check("fresh@example.org", ip).is_err());
        assert!(
            limiter
                .check(
                    "fresh@example.org",
                    Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)))
                )
                .is_ok()
        );
    }

    #[test]
    fn ipv6_addresses_share_a_slash_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(address_key(mapped), IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)));
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(whole_seconds_up(Duration::ZERO), 1);
        assert_eq!(whole_seconds_up(Duration::from_millis(1)), 1);
        assert_eq!(whole_seconds_up(Duration::from_millis(11_001)), 12);
        assert_eq!(whole_seconds_up(Duration::from_secs(12)), 12);
    }

    #[test]
    fn retain_recent_keeps_limits_in_force() {
        let limiter = LoginLimiter::new(quota(1), quota(10));
        limiter.check("a@example.org", None).unwrap();
        limiter.retain_recent();
        assert!(limiter.check("a@example.org", None).is_err());
        assert!(format!("{limiter:?}").contains("accounts_tracked"));
    }

    async fn login(
        req: HttpRequest,
        limiter: web::Data<LoginLimiter>,
    ) -> Result<HttpResponse, ApiError> {
        limiter.check("someone@example.org", req.peer_addr().map(|addr| addr.ip()))?;
        Ok(HttpResponse::Ok().finish())
    }

    #[actix_web::test]
    async fn the_sixth_attempt_gets_429_with_retry_after() {
        let app = actix_test::init_service(
            App::new()
                .app_data(web::Data::new(LoginLimiter::default()))
                .route("/v1/auth/token", web::post().to(login)),
        )
        .await;
        for _ in 0..5 {
            let req = actix_test::TestRequest::post()
                .uri("/v1/auth/token")
                .to_request();
            assert_eq!(
                actix_test::call_service(&app, req).await.status(),
                StatusCode::OK
            );
        }
        let req = actix_test::TestRequest::post()
            .uri("/v1/auth/token")
            .to_request();
        let response = actix_test::call_service(&app, req).await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry_after: u64 = response
            .headers()
            .get(header::RETRY_AFTER)
            .unwrap()
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&retry_after));
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE).unwrap(),
            "application/problem+json"
        );
    }
}
