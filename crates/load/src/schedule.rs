//! The open-loop arrival schedule: request `i` is due at `i / rate` seconds
//! after the start, whether or not earlier requests have been answered.
//!
//! Latency is measured from when a request was *due*, not from when it was
//! sent, so a server that stalls is charged for every request that queued
//! behind the stall (no coordinated omission).

use std::time::Duration;

use anyhow::bail;

/// A constant arrival rate for a fixed time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    rate: f64,
    total: u64,
}

impl Schedule {
    /// `rate` requests a second for `duration`.
    pub fn new(rate: f64, duration: Duration) -> anyhow::Result<Schedule> {
        if !(rate.is_finite() && rate > 0.0) {
            bail!("the rate must be a positive number of requests a second, not {rate}");
        }
        let total = (rate * duration.as_secs_f64()).floor();
        if total < 1.0 {
            bail!("{rate} requests a second for {duration:?} is no request at all");
        }
        Ok(Schedule {
            rate,
            total: total as u64,
        })
    }

    /// How many requests the schedule sends.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The requested rate.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// When request `i` (from 0) is due, after the start.
    pub fn due(&self, i: u64) -> Duration {
        Duration::from_secs_f64(i as f64 / self.rate)
    }

    /// How many requests are due by `elapsed` (those with `due(i) <= elapsed`),
    /// at most [`Schedule::total`].
    pub fn due_by(&self, elapsed: Duration) -> u64 {
        let n = (elapsed.as_secs_f64() * self.rate).floor() as u64 + 1;
        // Rounding in either direction must not skip or repeat a request.
        let n = if n > 0 && self.due(n - 1) > elapsed {
            n - 1
        } else if self.due(n) <= elapsed {
            n + 1
        } else {
            n
        };
        n.min(self.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thousand_a_second_for_thirty_seconds() {
        let s = Schedule::new(1000.0, Duration::from_secs(30)).unwrap();
        assert_eq!(s.total(), 30_000);
        assert_eq!(s.due(0), Duration::ZERO);
        assert_eq!(s.due(1), Duration::from_millis(1));
        assert_eq!(s.due(1500), Duration::from_millis(1500));
        assert_eq!(s.due(29_999), Duration::from_millis(29_999));
    }

    #[test]
    fn due_by_counts_every_request_due_at_or_before_the_instant() {
        let s = Schedule::new(1000.0, Duration::from_secs(1)).unwrap();
        assert_eq!(s.due_by(Duration::ZERO), 1);
        assert_eq!(s.due_by(Duration::from_micros(999)), 1);
        assert_eq!(s.due_by(Duration::from_millis(1)), 2);
        assert_eq!(s.due_by(Duration::from_millis(10)), 11);
        assert_eq!(
            s.due_by(Duration::from_secs(5)),
            1000,
            "capped at the total"
        );
    }

    #[test]
    fn due_by_agrees_with_due_at_awkward_rates() {
        for rate in [3.0, 7.0, 333.0, 999.9, 1234.5] {
            let s = Schedule::new(rate, Duration::from_secs(2)).unwrap();
            for i in 0..s.total() {
                let at = s.due(i);
                assert!(
                    s.due_by(at) > i,
                    "rate {rate}: request {i} is due at {at:?}"
                );
                if let Some(before) = at.checked_sub(Duration::from_nanos(1)) {
                    assert!(
                        s.due_by(before) <= i,
                        "rate {rate}: request {i} counted before it is due"
                    );
                }
            }
        }
    }

    #[test]
    fn nonsense_rates_are_refused() {
        assert!(Schedule::new(0.0, Duration::from_secs(1)).is_err());
        assert!(Schedule::new(-5.0, Duration::from_secs(1)).is_err());
        assert!(Schedule::new(f64::NAN, Duration::from_secs(1)).is_err());
        assert!(Schedule::new(10.0, Duration::from_millis(50)).is_err());
    }
}
