//! Reports: a table per run for people, JSON for scripts, and the markdown
//! comparison of runs against the targets of DESIGN §10.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::scenarios::ScenarioReport;

/// Surge target: this many submissions…
pub const SURGE_SUBMISSIONS: u64 = 20_000;
/// …within this many seconds, with no 5xx.
pub const SURGE_SECONDS: f64 = 60.0;
/// Reads target: p99 under this many milliseconds…
pub const READ_P99_MS: f64 = 5.0;
/// …at this arrival rate.
pub const READ_RATE: f64 = 1_000.0;
/// Portal budget (issue 16): the grantee dashboard's p99 under this many
/// milliseconds…
pub const PORTAL_P99_MS: f64 = 5.0;
/// …at this arrival rate.
pub const PORTAL_RATE: f64 = 100.0;
/// Award decisions a second, as a share of pgbench's TPS.
pub const DECISIONS_PER_PGBENCH_TPS: f64 = 0.5;

/// Everything one run measured, as written by `--json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunReport {
    /// What the run was against, e.g. `postgresql`.
    pub label: String,
    /// The server's base URL.
    pub base: String,
    /// When the run started (UTC, RFC 3339).
    pub started_at: String,
    /// Grantee users making the surge.
    pub grantee_users: usize,
    /// Each scenario measured, in the order run.
    pub scenarios: Vec<ScenarioReport>,
}

impl RunReport {
    /// The scenario of that name, if it ran.
    pub fn scenario(&self, name: &str) -> Option<&ScenarioReport> {
        self.scenarios.iter().find(|s| s.scenario == name)
    }

    /// 5xx answers and unanswered requests over every scenario.
    pub fn failures(&self) -> u64 {
        self.scenarios
            .iter()
            .map(|s| s.server_errors + s.transport_errors)
            .sum()
    }
}

fn ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// A table per scenario, for people.
pub fn table(run: &RunReport) -> String {
    let mut out = String::new();
    for s in &run.scenarios {
        let shape = match (s.concurrency, s.offered_rate) {
            (Some(c), _) => format!("closed loop, {c} at once"),
            (_, Some(r)) => format!("open loop, {r:.0}/s offered"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "\n{} on {} ({shape}): {} of {} done in {:.1} s = {:.1}/s; 5xx: {}, no answer: {}",
            s.scenario,
            run.label,
            s.completed,
            s.attempted,
            s.elapsed_s,
            s.per_second,
            s.server_errors,
            s.transport_errors
        );
        let _ = writeln!(
            out,
            "  {:<18} {:>8} {:>8} {:>6} {:>6} {:>6} {:>9} {:>9} {:>9} {:>9}",
            "request", "sent", "2xx", "4xx", "5xx", "none", "p50 ms", "p95 ms", "p99 ms", "max ms"
        );
        for (kind, r) in &s.requests {
            let _ = writeln!(
                out,
                "  {:<18} {:>8} {:>8} {:>6} {:>6} {:>6} {:>9} {:>9} {:>9} {:>9}",
                kind,
                r.requests,
                r.ok,
                r.rejected,
                r.server_errors,
                r.transport_errors,
                ms(r.p50_ms),
                ms(r.p95_ms),
                ms(r.p99_ms),
                ms(r.max_ms)
            );
        }
    }
    out
}

/// Whether a measurement meets its target.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// It does.
    Met,
    /// It does not, and why.
    Missed(String),
    /// The run was not the size the target names, so it cannot say.
    NotComparable(String),
}

impl Verdict {
    fn text(&self) -> String {
        match self {
            Verdict::Met => "**met**".to_owned(),
            Verdict::Missed(why) => format!("**missed**: {why}"),
            Verdict::NotComparable(why) => format!("n/a: {why}"),
        }
    }
}

/// 20,000 submissions within 60 s and no 5xx.
pub fn surge_verdict(s: &ScenarioReport) -> Verdict {
    let failures = s.server_errors + s.transport_errors;
    if failures > 0 {
        return Verdict::Missed(format!("{failures} 5xx or unanswered"));
    }
    if s.completed >= SURGE_SUBMISSIONS {
        return if s.elapsed_s <= SURGE_SECONDS {
            Verdict::Met
        } else {
            Verdict::Missed(format!("took {:.1} s", s.elapsed_s))
        };
    }
    if s.attempted < SURGE_SUBMISSIONS && s.completed == s.attempted {
        let needed = SURGE_SUBMISSIONS as f64 / SURGE_SECONDS;
        return Verdict::NotComparable(format!(
            "only {} asked for; the rate needed is {needed:.0}/s",
            s.completed
        ));
    }
    Verdict::Missed(format!(
        "{} of {SURGE_SUBMISSIONS} in {:.1} s",
        s.completed, s.elapsed_s
    ))
}

/// p99 under 5 ms at 1,000 reads a second.
pub fn reads_verdict(s: &ScenarioReport) -> Verdict {
    let Some(all) = s.requests.get("all") else {
        return Verdict::NotComparable("no reads".into());
    };
    let failures = s.server_errors + s.transport_errors;
    if failures > 0 {
        return Verdict::Missed(format!("{failures} 5xx or unanswered"));
    }
    if s.offered_rate.unwrap_or_default() < READ_RATE {
        return Verdict::NotComparable(format!(
            "offered {:.0}/s, below {READ_RATE:.0}/s",
            s.offered_rate.unwrap_or_default()
        ));
    }
    if all.p99_ms < READ_P99_MS {
        Verdict::Met
    } else {
        Verdict::Missed(format!("p99 {} ms", ms(all.p99_ms)))
    }
}

/// Award decisions a second at least half pgbench's TPS.
pub fn decisions_verdict(s: &ScenarioReport, pgbench_tps: Option<f64>) -> Verdict {
    let Some(tps) = pgbench_tps.filter(|t| *t > 0.0) else {
        return Verdict::NotComparable("no pgbench figure".into());
    };
    let failures = s.server_errors + s.transport_errors;
    if failures > 0 {
        return Verdict::Missed(format!("{failures} 5xx or unanswered"));
    }
    let ratio = s.per_second / tps;
    if ratio >= DECISIONS_PER_PGBENCH_TPS {
        Verdict::Met
    } else {
        Verdict::Missed(format!("{ratio:.2} × pgbench"))
    }
}

fn latencies(s: &ScenarioReport, kind: &str) -> String {
    s.requests.get(kind).map_or_else(
        || "—".to_owned(),
        |r| {
            format!(
                "{} / {} / {} / {}",
                ms(r.p50_ms),
                ms(r.p95_ms),
                ms(r.p99_ms),
                ms(r.max_ms)
            )
        },
    )
}

/// The markdown comparison of runs (one column each) against the targets.
/// `hot_row_tps` is pgbench at scale 1, where every transaction updates the
/// one branch row, as every award decision updates its round: the
/// database's own ceiling for work serialised on one row.
pub fn compare(
    pgbench_tps: Option<f64>,
    hot_row_tps: Option<f64>,
    pgbench_setup: &str,
    runs: &[RunReport],
) -> String {
    let mut out = String::new();
    let header: Vec<&str> = runs.iter().map(|r| r.label.as_str()).collect();
    let _ = writeln!(out, "| measure | {} | target |", header.join(" | "));
    let _ = writeln!(out, "|---|{}---|", "---:|".repeat(runs.len()));
    let mut row = |name: &str, target: &str, cell: &dyn Fn(&RunReport) -> String| {
        let cells: Vec<String> = runs.iter().map(cell).collect();
        let _ = writeln!(out, "| {name} | {} | {target} |", cells.join(" | "));
    };
    let dash = || "—".to_owned();
    if let Some(tps) = pgbench_tps {
        row(
            &format!("pgbench TPC-B-like TPS ({pgbench_setup})"),
            "",
            &|_| format!("{tps:.0}"),
        );
    }
    if let Some(tps) = hot_row_tps {
        row(
            "pgbench TPS at scale 1 (every transaction updates one branch row)",
            "",
            &|_| format!("{tps:.0}"),
        );
    }
    let scenario = |run: &RunReport, name: &str| run.scenario(name).cloned();
    row("surge: submissions / seconds", "20,000 in ≤ 60 s", &|r| {
        scenario(r, "surge")
            .map_or_else(dash, |s| format!("{} / {:.1} s", s.completed, s.elapsed_s))
    });
    row("surge: submissions per second", "≥ 333", &|r| {
        scenario(r, "surge").map_or_else(dash, |s| format!("{:.0}", s.per_second))
    });
    row(
        "surge: create + submit ms, p50 / p95 / p99 / max",
        "",
        &|r| scenario(r, "surge").map_or_else(dash, |s| latencies(&s, "flow")),
    );
    row("surge: 5xx / unanswered", "0", &|r| {
        scenario(r, "surge").map_or_else(dash, |s| {
            format!("{} / {}", s.server_errors, s.transport_errors)
        })
    });
    row("surge verdict", "", &|r| {
        scenario(r, "surge").map_or_else(dash, |s| surge_verdict(&s).text())
    });
    row("award decisions per second", "", &|r| {
        scenario(r, "decisions").map_or_else(dash, |s| {
            format!(
                "{:.0} ({} in {:.1} s, {} at once)",
                s.per_second,
                s.completed,
                s.elapsed_s,
                s.concurrency.unwrap_or_default()
            )
        })
    });
    row("decision ms, p50 / p95 / p99 / max", "", &|r| {
        scenario(r, "decisions").map_or_else(dash, |s| latencies(&s, "decision"))
    });
    if let Some(tps) = pgbench_tps.filter(|t| *t > 0.0) {
        row("decisions/s ÷ pgbench TPS", "≥ 0.5 (PostgreSQL)", &|r| {
            scenario(r, "decisions").map_or_else(dash, |s| format!("{:.2}", s.per_second / tps))
        });
    }
    if let Some(tps) = hot_row_tps.filter(|t| *t > 0.0) {
        row(
            "decisions/s ÷ pgbench TPS at scale 1 (one hot row)",
            "",
            &|r| {
                scenario(r, "decisions").map_or_else(dash, |s| format!("{:.2}", s.per_second / tps))
            },
        );
    }
    row("award decisions per second in bulk", "", &|r| {
        scenario(r, "bulk_decisions").map_or_else(dash, |s| {
            let per_request = s
                .requests
                .get("bulk_decision")
                .map_or(0, |b| s.attempted / b.requests.max(1));
            format!(
                "{:.0} ({} in {:.1} s, {per_request} a request, {} at once)",
                s.per_second,
                s.completed,
                s.elapsed_s,
                s.concurrency.unwrap_or_default()
            )
        })
    });
    if let Some(tps) = pgbench_tps.filter(|t| *t > 0.0) {
        row("bulk decisions/s ÷ pgbench TPS", "", &|r| {
            scenario(r, "bulk_decisions")
                .map_or_else(dash, |s| format!("{:.2}", s.per_second / tps))
        });
    }
    row("decisions verdict (one per request)", "", &|r| {
        scenario(r, "decisions").map_or_else(dash, |s| decisions_verdict(&s, pgbench_tps).text())
    });
    row("reads: offered / achieved per second", "1,000", &|r| {
        scenario(r, "reads").map_or_else(dash, |s| {
            format!(
                "{:.0} / {:.0}",
                s.offered_rate.unwrap_or_default(),
                s.requests
                    .get("all")
                    .map_or(0.0, |a| a.requests as f64 / s.elapsed_s.max(f64::EPSILON))
            )
        })
    });
    row("reads ms, p50 / p95 / p99 / max", "p99 < 5", &|r| {
        scenario(r, "reads").map_or_else(dash, |s| latencies(&s, "all"))
    });
    row("reads verdict", "", &|r| {
        scenario(r, "reads").map_or_else(dash, |s| reads_verdict(&s).text())
    });
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::stats::Summary;

    fn summary(p99_ms: f64) -> Summary {
        Summary {
            requests: 100,
            ok: 100,
            rejected: 0,
            server_errors: 0,
            transport_errors: 0,
            p50_ms: 1.0,
            p95_ms: 2.0,
            p99_ms,
            max_ms: p99_ms * 2.0,
            mean_ms: 1.0,
        }
    }

    fn scenario(name: &str, completed: u64, attempted: u64, elapsed_s: f64) -> ScenarioReport {
        ScenarioReport {
            scenario: name.into(),
            elapsed_s,
            completed,
            attempted,
            per_second: completed as f64 / elapsed_s,
            concurrency: Some(16),
            offered_rate: None,
            server_errors: 0,
            transport_errors: 0,
            requests: BTreeMap::new(),
        }
    }

    #[test]
    fn the_surge_needs_every_submission_in_time_and_no_5xx() {
        assert_eq!(
            surge_verdict(&scenario("surge", 20_000, 20_000, 42.0)),
            Verdict::Met
        );
        assert!(matches!(
            surge_verdict(&scenario("surge", 20_000, 20_000, 61.0)),
            Verdict::Missed(_)
        ));
        // Stopped at the time limit with work left.
        assert!(matches!(
            surge_verdict(&scenario("surge", 15_000, 15_100, 60.0)),
            Verdict::Missed(_)
        ));
        let mut failed = scenario("surge", 20_000, 20_001, 30.0);
        failed.server_errors = 1;
        assert!(matches!(surge_verdict(&failed), Verdict::Missed(_)));
        // A quick run cannot claim the target.
        assert!(matches!(
            surge_verdict(&scenario("surge", 2_000, 2_000, 3.0)),
            Verdict::NotComparable(_)
        ));
    }

    #[test]
    fn reads_need_the_full_rate_and_a_p99_under_five_ms() {
        let mut s = scenario("reads", 30_000, 30_000, 30.0);
        s.offered_rate = Some(1000.0);
        s.requests.insert("all".into(), summary(4.9));
        assert_eq!(reads_verdict(&s), Verdict::Met);
        s.requests.insert("all".into(), summary(5.0));
        assert!(matches!(reads_verdict(&s), Verdict::Missed(_)));
        s.requests.insert("all".into(), summary(1.0));
        s.offered_rate = Some(500.0);
        assert!(matches!(reads_verdict(&s), Verdict::NotComparable(_)));
    }

    #[test]
    fn decisions_are_judged_against_half_of_pgbench() {
        let s = scenario("decisions", 6_000, 6_000, 10.0); // 600/s
        assert_eq!(decisions_verdict(&s, Some(1200.0)), Verdict::Met);
        assert!(matches!(
            decisions_verdict(&s, Some(1201.0)),
            Verdict::Missed(_)
        ));
        assert!(matches!(
            decisions_verdict(&s, None),
            Verdict::NotComparable(_)
        ));
    }

    #[test]
    fn the_comparison_has_a_column_per_run_and_the_ratio() {
        let run = |label: &str| RunReport {
            label: label.into(),
            base: "http://127.0.0.1:1".into(),
            started_at: "2026-11-23T00:00:00Z".into(),
            grantee_users: 16,
            scenarios: vec![scenario("decisions", 3_000, 3_000, 10.0)],
        };
        let text = compare(
            Some(1000.0),
            Some(600.0),
            "8 clients",
            &[run("postgresql"), run("sqlite")],
        );
        assert!(
            text.starts_with("| measure | postgresql | sqlite | target |\n|---|---:|---:|---|\n")
        );
        assert!(
            text.contains("| decisions/s ÷ pgbench TPS | 0.30 | 0.30 | ≥ 0.5 (PostgreSQL) |"),
            "{text}"
        );
        assert!(
            text.contains("| pgbench TPC-B-like TPS (8 clients) | 1000 | 1000 |  |"),
            "{text}"
        );
        assert!(
            text.contains(
                "| decisions/s ÷ pgbench TPS at scale 1 (one hot row) | 0.50 | 0.50 |  |"
            ),
            "{text}"
        );
        // Every row has the same number of cells.
        let cells: Vec<usize> = text.lines().map(|l| l.matches('|').count()).collect();
        assert!(cells.iter().all(|n| *n == cells[0]), "{text}");
    }

    #[test]
    fn reports_survive_a_json_round_trip() {
        let mut s = scenario("reads", 10, 10, 1.0);
        s.offered_rate = Some(10.0);
        s.concurrency = None;
        s.requests.insert("all".into(), summary(3.0));
        let run = RunReport {
            label: "sqlite".into(),
            base: "b".into(),
            started_at: "t".into(),
            grantee_users: 1,
            scenarios: vec![s],
        };
        let back: RunReport = serde_json::from_str(&serde_json::to_string(&run).unwrap()).unwrap();
        assert_eq!(back.scenarios[0].requests["all"], summary(3.0));
        assert_eq!(back.scenarios[0].offered_rate, Some(10.0));
        assert_eq!(back.scenarios[0].concurrency, None);
    }
}
