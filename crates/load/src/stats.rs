//! Counting answers and their latencies: one [`Recorder`] per kind of
//! request, merged across workers, summarised as percentiles.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Longest latency the histograms hold exactly (two minutes, in
/// microseconds); longer ones are recorded as this.
const MAX_MICROS: u64 = 120_000_000;

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// An HTTP answer with this status.
    Status(u16),
    /// No answer: the connection failed or the request timed out.
    Transport,
}

impl Outcome {
    /// Whether the server did what was asked.
    pub fn is_success(self) -> bool {
        matches!(self, Outcome::Status(s) if (200..300).contains(&s))
    }
}

/// Latencies (microseconds) and a count of answers by class.
#[derive(Debug, Clone)]
pub struct Recorder {
    latency: Histogram<u64>,
    /// 2xx answers.
    pub ok: u64,
    /// 4xx (and other non-2xx, non-5xx) answers.
    pub rejected: u64,
    /// 5xx answers.
    pub server_errors: u64,
    /// Requests without an answer.
    pub transport_errors: u64,
}

impl Recorder {
    /// An empty recorder: 1 µs to two minutes at three significant figures.
    pub fn new() -> anyhow::Result<Recorder> {
        Ok(Recorder {
            latency: Histogram::new_with_bounds(1, MAX_MICROS, 3)?,
            ok: 0,
            rejected: 0,
            server_errors: 0,
            transport_errors: 0,
        })
    }

    /// Counts one request and its latency.
    pub fn record(&mut self, outcome: Outcome, latency: Duration) {
        match outcome {
            Outcome::Status(s) if (200..300).contains(&s) => self.ok += 1,
            Outcome::Status(s) if s >= 500 => self.server_errors += 1,
            Outcome::Status(_) => self.rejected += 1,
            Outcome::Transport => self.transport_errors += 1,
        }
        let micros = u64::try_from(latency.as_micros()).unwrap_or(MAX_MICROS);
        self.latency.saturating_record(micros.clamp(1, MAX_MICROS));
    }

    /// Adds another recorder's counts and latencies to this one.
    pub fn merge(&mut self, other: &Recorder) {
        self.ok += other.ok;
        self.rejected += other.rejected;
        self.server_errors += other.server_errors;
        self.transport_errors += other.transport_errors;
        // Both histograms have the same bounds, so adding cannot fail.
        let _ = self.latency.add(&other.latency);
    }

    /// Requests counted.
    pub fn requests(&self) -> u64 {
        self.ok + self.rejected + self.server_errors + self.transport_errors
    }

    /// The figures to report.
    pub fn summary(&self) -> Summary {
        let ms = |micros: u64| micros as f64 / 1000.0;
        let empty = self.latency.is_empty();
        let at = |q: f64| {
            if empty {
                0.0
            } else {
                ms(self.latency.value_at_quantile(q))
            }
        };
        Summary {
            requests: self.requests(),
            ok: self.ok,
            rejected: self.rejected,
            server_errors: self.server_errors,
            transport_errors: self.transport_errors,
            p50_ms: at(0.50),
            p95_ms: at(0.95),
            p99_ms: at(0.99),
            max_ms: if empty { 0.0 } else { ms(self.latency.max()) },
            mean_ms: if empty {
                0.0
            } else {
                self.latency.mean() / 1000.0
            },
        }
    }
}

/// Counts and latency percentiles of one kind of request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Requests sent.
    pub requests: u64,
    /// 2xx answers.
    pub ok: u64,
    /// Other non-5xx answers (4xx).
    pub rejected: u64,
    /// 5xx answers.
    pub server_errors: u64,
    /// Requests that got no answer (connection failure, timeout).
    pub transport_errors: u64,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 95th percentile, ms.
    pub p95_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Slowest, ms.
    pub max_ms: f64,
    /// Mean, ms.
    pub mean_ms: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn percentiles_of_a_known_distribution() {
        let mut r = Recorder::new().unwrap();
        // 1..=100 ms, once each.
        for n in 1..=100 {
            r.record(Outcome::Status(200), ms(n));
        }
        let s = r.summary();
        assert_eq!(s.requests, 100);
        assert_eq!(s.ok, 100);
        // Three significant figures: within 0.1% of the exact value.
        let close = |got: f64, want: f64| (got - want).abs() <= want * 0.001 + 0.001;
        assert!(close(s.p50_ms, 50.0), "p50 {}", s.p50_ms);
        assert!(close(s.p95_ms, 95.0), "p95 {}", s.p95_ms);
        assert!(close(s.p99_ms, 99.0), "p99 {}", s.p99_ms);
        assert!(close(s.max_ms, 100.0), "max {}", s.max_ms);
        assert!(close(s.mean_ms, 50.5), "mean {}", s.mean_ms);
    }

    #[test]
    fn one_slow_request_in_a_hundred_shows_at_p99_not_p95() {
        let mut r = Recorder::new().unwrap();
        for _ in 0..98 {
            r.record(Outcome::Status(200), ms(1));
        }
        r.record(Outcome::Status(200), ms(900));
        r.record(Outcome::Status(200), ms(1000));
        let s = r.summary();
        assert!(s.p95_ms < 1.01, "p95 {}", s.p95_ms);
        assert!(s.p99_ms > 899.0, "p99 {}", s.p99_ms);
    }

    #[test]
    fn answers_are_counted_by_class() {
        let mut r = Recorder::new().unwrap();
        r.record(Outcome::Status(201), ms(1));
        r.record(Outcome::Status(409), ms(1));
        r.record(Outcome::Status(422), ms(1));
        r.record(Outcome::Status(503), ms(1));
        r.record(Outcome::Status(500), ms(1));
        r.record(Outcome::Transport, ms(1));
        let s = r.summary();
        assert_eq!(
            (
                s.ok,
                s.rejected,
                s.server_errors,
                s.transport_errors,
                s.requests
            ),
            (1, 2, 2, 1, 6)
        );
        assert!(Outcome::Status(204).is_success());
        assert!(!Outcome::Status(302).is_success());
        assert!(!Outcome::Transport.is_success());
    }

    #[test]
    fn merging_adds_counts_and_latencies() {
        let mut a = Recorder::new().unwrap();
        let mut b = Recorder::new().unwrap();
        a.record(Outcome::Status(200), ms(10));
        b.record(Outcome::Status(500), ms(30));
        a.merge(&b);
        let s = a.summary();
        assert_eq!((s.requests, s.ok, s.server_errors), (2, 1, 1));
        assert!((s.max_ms - 30.0).abs() < 0.05, "max {}", s.max_ms);
    }

    #[test]
    fn latencies_beyond_the_range_are_kept_at_its_top() {
        let mut r = Recorder::new().unwrap();
        r.record(Outcome::Status(200), Duration::from_secs(3600));
        r.record(Outcome::Status(200), Duration::ZERO);
        let s = r.summary();
        assert_eq!(s.requests, 2);
        assert!(
            s.max_ms >= 119_000.0 && s.max_ms <= 121_000.0,
            "{}",
            s.max_ms
        );
    }

    #[test]
    fn an_empty_recorder_reports_zeros() {
        let s = Recorder::new().unwrap().summary();
        assert_eq!((s.requests, s.p99_ms, s.max_ms), (0, 0.0, 0.0));
    }
}
