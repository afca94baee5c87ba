//! Rate limits on sign-in attempts, against password guessing.
//!
//! Two limits, chosen so that an attacker cannot lock the real user out:
//!
//! - **Per client address**, every attempt counts (30 a minute): one
//!   client spraying many accounts is stopped quickly.
//! - **Per account and address**, only *failures* count, with progressive
//!   back-off: five wrong passwords are free, then each further failure
//!   from that address for that account doubles the wait (30 s, 1 min,
//!   2 min, … up to 1 hour). A correct password clears the count. An
//!   address that has not been failing is never held back by another
//!   address's failures, so guessing from five addresses no longer keeps
//!   the real user out (issue 24, Medium 1).
//!
//! There is deliberately no limit per account alone: whoever can spend
//! it can lock the account's owner out. Guessing spread over many addresses
//! is slowed instead by the per-address limits, argon2id and the
//! 12-character minimum password.
//!
//! The limits live in this process's memory: each server instance counts on
//! its own, so a cluster of N instances allows up to N times the rate. That
//! is acceptable because the limiter's job is to make online guessing slow,
//! not to enforce an exact budget; sharing state between instances would
//! add a network dependency to every sign-in.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, NotUntil, Quota, RateLimiter};
use grantledger_domain::user::Email;

use crate::error::ApiError;

/// Sign-in attempts allowed per client address per minute (and as a burst).
pub const IP_ATTEMPTS_PER_MINUTE: NonZeroU32 = non_zero(30);
/// Wrong passwords for one account from one address before back-off starts.
pub const FREE_FAILURES: u32 = 5;
/// The first back-off; each further failure doubles it.
pub const FIRST_BACKOFF: Duration = Duration::from_secs(30);
/// The longest back-off.
pub const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// How long after its last failure a pair's count is forgotten.
pub const FORGET_AFTER: Duration = Duration::from_secs(24 * 3600);
/// Most (account, address) pairs tracked; beyond it the oldest are dropped,
/// so an attacker cannot grow the table without end.
const MAX_TRACKED_PAIRS: usize = 100_000;

const fn non_zero(n: u32) -> NonZeroU32 {
    match NonZeroU32::new(n) {
        Some(n) => n,
        None => NonZeroU32::MIN,
    }
}

/// Longest account key kept: bounds the memory an attacker can make the
/// limiter hold with absurd "emails" (real addresses are at most 254).
const MAX_ACCOUNT_KEY_CHARS: usize = 320;

/// Failures of one account from one address.
#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    blocked_until: Option<Instant>,
}

/// The wait after the `count`th consecutive failure, if any.
fn backoff(count: u32) -> Option<Duration> {
    let beyond = count.checked_sub(FREE_FAILURES)?;
    let factor = 1u32.checked_shl(beyond.min(16)).unwrap_or(u32::MAX);
    Some(FIRST_BACKOFF.saturating_mul(factor).min(MAX_BACKOFF))
}

/// Counts sign-in attempts per client address and failures per account
/// and address.
pub struct LoginLimiter {
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    failures: Mutex<HashMap<(String, IpAddr), Failures>>,
}

impl fmt::Debug for LoginLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginLimiter")
            .field("pairs_tracked", &self.failures().len())
            .field("addresses_tracked", &self.per_ip.len())
            .finish()
    }
}

impl Default for LoginLimiter {
    /// 30 attempts a minute per address, with a burst of the same size.
    fn default() -> Self {
        LoginLimiter::new(Quota::per_minute(IP_ATTEMPTS_PER_MINUTE))
    }
}

impl LoginLimiter {
    /// A limiter with the given quota per client address.
    #[must_use]
    pub fn new(per_ip: Quota) -> Self {
        LoginLimiter {
            per_ip: RateLimiter::keyed(per_ip),
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn failures(&self) -> std::sync::MutexGuard<'_, HashMap<(String, IpAddr), Failures>> {
        // A panic while holding the lock leaves counts that are still
        // counts; carry on with them.
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records one sign-in attempt, or refuses it with 429 when the address
    /// is over its limit or this account is backing off at this address.
    /// Call it before checking the password, so refused attempts cost no
    /// hashing; then report the outcome with [`LoginLimiter::failed`] or
    /// [`LoginLimiter::succeeded`].
    ///
    /// `ip` should be the peer address, or the client address from a proxy
    /// header only when the proxy is trusted to set it; otherwise clients
    /// choose their own key.
    pub fn check(&self, email: &str, ip: Option<IpAddr>) -> Result<(), ApiError> {
        self.check_at(email, ip, Instant::now())
    }

    /// Refuses (429) while this account and address back off after wrong
    /// answers, without counting an attempt against the address: for the
    /// second factor of a sign-in whose password was already counted.
    pub fn check_backoff(&self, email: &str, ip: Option<IpAddr>) -> Result<(), ApiError> {
        self.backoff_at(email, ip, Instant::now())
    }

    fn backoff_at(&self, email: &str, ip: Option<IpAddr>, now: Instant) -> Result<(), ApiError> {
        let key = pair_key(email, ip);
        if let Some(until) = self.failures().get(&key).and_then(|f| f.blocked_until)
            && until > now
        {
            return Err(ApiError::TooManyRequests {
                retry_after_secs: whole_seconds_up(until - now),
            });
        }
        Ok(())
    }

    fn check_at(&self, email: &str, ip: Option<IpAddr>, now: Instant) -> Result<(), ApiError> {
        self.backoff_at(email, ip, now)?;
        if let Some(ip) = ip {
            self.per_ip
                .check_key(&address_key(ip))
                .map_err(|not_until| too_many(&not_until, self.per_ip.clock()))?;
        }
        Ok(())
    }

    /// Records a wrong password (or unknown account) from `ip`.
    pub fn failed(&self, email: &str, ip: Option<IpAddr>) {
        self.failed_at(email, ip, Instant::now());
    }

    fn failed_at(&self, email: &str, ip: Option<IpAddr>, now: Instant) {
        let mut failures = self.failures();
        if failures.len() >= MAX_TRACKED_PAIRS {
            forget_old(&mut failures, now);
        }
        let entry = failures.entry(pair_key(email, ip)).or_insert(Failures {
            count: 0,
            last: now,
            blocked_until: None,
        });
        entry.count = entry.count.saturating_add(1);
        entry.last = now;
        entry.blocked_until = backoff(entry.count).map(|wait| now + wait);
    }

    /// Records a correct password from `ip`: its failures are forgotten.
    pub fn succeeded(&self, email: &str, ip: Option<IpAddr>) {
        self.failures().remove(&pair_key(email, ip));
    }

    /// Forgets keys whose limits have fully recovered, so memory tracks
    /// recent activity. Run it periodically (every minute or so).
    pub fn retain_recent(&self) {
        forget_old(&mut self.failures(), Instant::now());
        self.per_ip.retain_recent();
        self.per_ip.shrink_to_fit();
    }
}

/// Drops pairs whose last failure is older than [`FORGET_AFTER`] and that
/// are not backing off; if that is not enough, the least recent half.
fn forget_old(failures: &mut HashMap<(String, IpAddr), Failures>, now: Instant) {
    failures.retain(|_, f| {
        now.saturating_duration_since(f.last) < FORGET_AFTER
            || f.blocked_until.is_some_and(|until| until > now)
    });
    if failures.len() >= MAX_TRACKED_PAIRS {
        let mut lasts: Vec<Instant> = failures.values().map(|f| f.last).collect();
        lasts.sort_unstable();
        if let Some(cut) = lasts.get(lasts.len() / 2).copied() {
            failures.retain(|_, f| f.last > cut);
        }
    }
    failures.shrink_to_fit();
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

/// One account at one address; without an address, all unknown addresses
/// share one key.
fn pair_key(email: &str, ip: Option<IpAddr>) -> (String, IpAddr) {
    (
        account_key(email),
        ip.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), address_key),
    )
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

    fn quota(n: u32) -> Quota {
        Quota::per_minute(NonZeroU32::new(n).unwrap())
    }

    fn ip(n: u8) -> Option<IpAddr> {
        Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, n)))
    }

    fn refused_for(result: Result<(), ApiError>) -> u64 {
        match result {
            Err(ApiError::TooManyRequests { retry_after_secs }) => retry_after_secs,
            other => panic!("expected 429, got {other:?}"),
        }
    }

    #[test]
    fn failures_back_off_progressively_per_account_and_address() {
        let limiter = LoginLimiter::default();
        let start = Instant::now();
        for _ in 0..FREE_FAILURES {
            limiter.check_at("a@example.org", ip(1), start).unwrap();
            limiter.failed_at("a@example.org", ip(1), start);
        }
        // However the email is typed, it is the same account.
        assert_eq!(
            refused_for(limiter.check_at("A@Example.org ", ip(1), start)),
            30
        );
        // Each further failure doubles the wait.
        let mut now = start;
        for expected in [60, 120, 240, 480, 960, 1920, 3600, 3600] {
            now += Duration::from_secs(3601);
            limiter.check_at("a@example.org", ip(1), now).unwrap();
            limiter.failed_at("a@example.org", ip(1), now);
            assert_eq!(
                refused_for(limiter.check_at("a@example.org", ip(1), now)),
                expected
            );
        }
        // Another address, and another account at this address, are not held back.
        limiter.check_at("a@example.org", ip(2), now).unwrap();
        limiter.check_at("b@example.org", ip(1), now).unwrap();
    }

    #[test]
    fn failures_from_many_addresses_do_not_lock_the_owner_out() {
        let limiter = LoginLimiter::default();
        for n in 1..=20 {
            limiter.check("owner@example.org", ip(n)).unwrap();
            limiter.failed("owner@example.org", ip(n));
        }
        limiter.check("owner@example.org", ip(99)).unwrap();
    }

    #[test]
    fn a_correct_password_clears_the_failures() {
        let limiter = LoginLimiter::default();
        for _ in 0..FREE_FAILURES - 1 {
            limiter.failed("a@example.org", ip(1));
        }
        limiter.succeeded("a@example.org", ip(1));
        for _ in 0..FREE_FAILURES - 1 {
            limiter.failed("a@example.org", ip(1));
        }
        limiter.check("a@example.org", ip(1)).unwrap();
    }

    #[test]
    fn addresses_are_limited_across_accounts() {
        let limiter = LoginLimiter::new(quota(3));
        for n in 0..3 {
            limiter
                .check(&format!("user{n}@example.org"), ip(1))
                .unwrap();
        }
        assert!(limiter.check("fresh@example.org", ip(1)).is_err());
        assert!(limiter.check("fresh@example.org", ip(2)).is_ok());
    }

    #[test]
    fn the_table_of_pairs_stays_bounded() {
        let limiter = LoginLimiter::default();
        let now = Instant::now();
        for n in 0..MAX_TRACKED_PAIRS + 10 {
            limiter.failed_at(&format!("u{n}@example.org"), ip(1), now);
        }
        assert!(limiter.failures().len() <= MAX_TRACKED_PAIRS);
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
        let limiter = LoginLimiter::default();
        for _ in 0..FREE_FAILURES {
            limiter.failed("a@example.org", None);
        }
        limiter.retain_recent();
        assert!(limiter.check("a@example.org", None).is_err());
        assert!(format!("{limiter:?}").contains("pairs_tracked"));
    }

    async fn login(
        req: HttpRequest,
        limiter: web::Data<LoginLimiter>,
    ) -> Result<HttpResponse, ApiError> {
        let ip = req.peer_addr().map(|addr| addr.ip());
        limiter.check("someone@example.org", ip)?;
        limiter.failed("someone@example.org", ip);
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
