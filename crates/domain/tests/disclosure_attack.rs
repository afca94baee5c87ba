//! The disclosure attack: for many random small funds (rounds × regions,
//! counts from 0 to about 60) build the published outcome report, turn
//! everything a reader sees into a mixed-integer programme — published
//! counts as ±2 intervals of at least 10, suppressed counts as unknowns,
//! the lines that add up, the inequalities every report obeys (pairs ≤
//! respondents), and the sums behind each published mean — and let an exact
//! solver (HiGHS, through `scripts/disclosure_attack.py`) find the smallest
//! and largest exact value of every count. The test fails if any count is
//! pinned (smallest = largest), printing the seed and the table.
//!
//! Percentages, Wilson and Newcombe intervals and McNemar's p are not in
//! the programme: in the published form they are computed from the
//! published counts, so they add nothing a solver could use.
//!
//! Needs Python with `highspy`: `target/ci-venv/bin/python` (made by
//! `.ci/run` when CI=true) or `python3`. Without it the test prints a skip
//! message, and fails under CI=true. `GRANTLEDGER_ATTACK_SEED` and
//! `GRANTLEDGER_ATTACK_REPORTS` change the seed and the number of reports.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use grantledger_domain::evaluation::{
    DirectAnswer, Figures, MIN_PUBLISHED_COUNT, OutcomeBuilder, OutcomeReport, ParticipantCode,
    ROUNDING_BASE, Stage, SurveyResponse, UclaAnswer, mean_range,
};
use grantledger_domain::grantee::Region;
use grantledger_domain::ids::RoundId;
use serde_json::{Value, json};

/// SplitMix64: a small, seedable generator, so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// An index drawn with the given weights.
    fn pick(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut r = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if r < w {
                return i;
            }
            r -= w;
        }
        0
    }
}

/// Weights with some categories empty, as real small groups have.
fn weights(rng: &mut Rng, n: usize) -> Vec<u64> {
    let mut w: Vec<u64> = (0..n)
        .map(|_| {
            if rng.below(3) == 0 {
                0
            } else {
                1 + rng.below(9)
            }
        })
        .collect();
    if w.iter().all(|&x| x == 0) {
        w[0] = 1;
    }
    w
}

/// A random fund: its builder and a compact description of the returns.
fn random_fund(seed: u64) -> (OutcomeBuilder, String, Value) {
    let mut rng = Rng(seed);
    let rounds: Vec<RoundId> = (0..1 + rng.below(3)).map(|_| RoundId::new()).collect();
    let all_regions = [Region::London, Region::Wales, Region::NorthEast];
    let regions = &all_regions[..1 + rng.below(3) as usize];
    let direct_w = weights(&mut rng, 5);
    let ucla_w = weights(&mut rng, 3);
    let missing = rng.below(4); // in 10: a missing answer
    let mut builder = OutcomeBuilder::new(rounds.clone());
    let mut table = Vec::new();
    for (ri, round) in rounds.iter().enumerate() {
        for region in regions {
            for _ in 0..rng.below(3) {
                let people = rng.below(30);
                let mut responses = Vec::new();
                let answer = |rng: &mut Rng| -> Option<UclaAnswer> {
                    (rng.below(10) >= missing).then(|| UclaAnswer::ALL[rng.pick(&ucla_w)])
                };
                for p in 0..people {
                    let code = ParticipantCode::parse(&format!("P{p}")).unwrap();
                    for stage in [Stage::Baseline, Stage::FollowUp] {
                        // Some people answer at one stage only.
                        if rng.below(5) == 0 {
                            continue;
                        }
                        responses.push(SurveyResponse {
                            stage,
                            participant_code: (rng.below(6) != 0).then(|| code.clone()),
                            direct: (rng.below(10) >= missing)
                                .then(|| DirectAnswer::ALL[rng.pick(&direct_w)]),
                            lack_companionship: answer(&mut rng),
                            left_out: answer(&mut rng),
                            isolated: answer(&mut rng),
                        });
                    }
                }
                table.push(json!({"round": ri, "region": region.as_str(), "people": people, "responses": responses.len()}));
                builder.add(*round, *region, 40, &responses);
            }
        }
    }
    let shape = format!("{} round(s) × {} region(s)", rounds.len(), regions.len());
    (builder, shape, Value::Array(table))
}

/// Named cells of one group, from the published and the exact report.
fn group_counts(published: &Figures, exact: &Figures) -> Vec<(String, Option<u64>, u64)> {
    let p: BTreeMap<String, Option<String>> = published.rows().into_iter().collect();
    exact
        .rows()
        .into_iter()
        .filter(|(name, _)| is_count(name))
        .map(|(name, v)| {
            let shown = p[&name].as_ref().map(|s| s.parse().unwrap());
            (name, shown, v.map_or(0, |v| v.parse().unwrap()))
        })
        .collect()
}

fn is_count(name: &str) -> bool {
    !["percent", "mean", "_ci", "ci_", "points", "mcnemar"]
        .iter()
        .any(|w| name.contains(w))
}

/// The means a reader sees, with the count each is over, the sum's name
/// and the scale.
const MEANS: [(&str, &str, &str, (f64, f64)); 5] = [
    (
        "ucla.baseline.mean",
        "ucla.baseline.n",
        "sum.baseline",
        (3.0, 9.0),
    ),
    (
        "ucla.follow_up.mean",
        "ucla.follow_up.n",
        "sum.follow_up",
        (3.0, 9.0),
    ),
    (
        "ucla.change.mean",
        "ucla.change.n",
        "sum.change",
        (-6.0, 6.0),
    ),
    (
        "ucla.change.baseline_mean",
        "ucla.change.n",
        "sum.paired_baseline",
        (3.0, 9.0),
    ),
    (
        "ucla.change.follow_up_mean",
        "ucla.change.n",
        "sum.paired_follow_up",
        (3.0, 9.0),
    ),
];

struct Model {
    cells: Vec<Value>,
    index: BTreeMap<String, usize>,
    lines: Vec<Value>,
    le: Vec<Value>,
    sums: Vec<Value>,
    sum_index: BTreeMap<String, usize>,
    sum_lines: Vec<Value>,
}

impl Model {
    fn id(&self, group: &str, name: &str) -> usize {
        self.index[&format!("{group}/{name}")]
    }

    fn line(&mut self, group: &str, parts: &[&str], total: &str) {
        let parts: Vec<usize> = parts.iter().map(|p| self.id(group, p)).collect();
        let total = self.id(group, total);
        self.lines.push(json!({"parts": parts, "total": total}));
    }

    fn le(&mut self, group: &str, parts: &[&str], bound: &str) {
        let parts: Vec<usize> = parts.iter().map(|p| self.id(group, p)).collect();
        let bound = self.id(group, bound);
        self.le.push(json!({"parts": parts, "bound": bound}));
    }

    fn group(&mut self, group: &str, published: &Figures, exact: &Figures) {
        for (name, shown, value) in group_counts(published, exact) {
            self.index
                .insert(format!("{group}/{name}"), self.cells.len());
            self.cells.push(
                json!({"name": format!("{group}/{name}"), "published": shown, "exact": value}),
            );
        }
        for stage in ["baseline", "follow_up"] {
            let d = |a: &str| format!("direct.{stage}.{a}");
            let answers: Vec<String> = DirectAnswer::ALL.iter().map(|a| d(a.as_str())).collect();
            let answers: Vec<&str> = answers.iter().map(String::as_str).collect();
            self.line(group, &answers, &d("answered"));
            let respondents = format!("respondents.{stage}");
            self.line(group, &[&d("answered"), &d("not_answered")], &respondents);
            self.le(group, &[&respondents], "participants_reached");
            self.le(group, &["respondents.paired"], &respondents);
            self.le(group, &[&format!("ucla.{stage}.n")], &respondents);
            self.le(group, &["ucla.change.n"], &format!("ucla.{stage}.n"));
            self.le(group, &["often_always_paired.pairs"], &d("answered"));
        }
        self.line(
            group,
            &[
                "ucla.change.improved",
                "ucla.change.same",
                "ucla.change.worse",
            ],
            "ucla.change.n",
        );
        self.line(
            group,
            &[
                "often_always_paired.both",
                "often_always_paired.no_longer",
                "often_always_paired.newly",
                "often_always_paired.neither",
            ],
            "often_always_paired.pairs",
        );
        self.le(group, &["ucla.change.n"], "respondents.paired");
        self.le(group, &["often_always_paired.pairs"], "respondents.paired");
        self.le(
            group,
            &["often_always_paired.both", "often_always_paired.no_longer"],
            "direct.baseline.often_always",
        );
        self.le(
            group,
            &["often_always_paired.both", "often_always_paired.newly"],
            "direct.follow_up.often_always",
        );
        // The sums behind the means.
        let p: BTreeMap<String, Option<String>> = published.rows().into_iter().collect();
        for (mean, n, sum, (low, high)) in MEANS {
            let n_id = self.id(group, n);
            let (lower, upper) = if sum == "sum.change" {
                let (i, w) = (
                    self.id(group, "ucla.change.improved"),
                    self.id(group, "ucla.change.worse"),
                );
                // Improved pairs changed by −6 to −1, worse by 1 to 6.
                (json!([[-6, i], [1, w]]), json!([[-1, i], [6, w]]))
            } else {
                (json!([[low, n_id]]), json!([[high, n_id]]))
            };
            let shown = p[mean].as_ref().map(|m| {
                let (lo, hi) = mean_range(m.parse().unwrap(), low, high);
                json!([lo, hi])
            });
            self.sum_index
                .insert(format!("{group}/{sum}"), self.sums.len());
            self.sums.push(json!({"name": format!("{group}/{sum}"), "n": n_id, "lower": lower, "upper": upper, "mean": shown}));
        }
        let s = |m: &Model, name: &str| m.sum_index[&format!("{group}/{name}")];
        let line = json!({"parts": [s(self, "sum.paired_baseline"), s(self, "sum.change")], "total": s(self, "sum.paired_follow_up")});
        self.sum_lines.push(line);
    }
}

fn model(seed: u64) -> Value {
    let (builder, shape, table) = random_fund(seed);
    let (published, exact): (OutcomeReport, OutcomeReport) = (builder.published(), builder.exact());
    let mut m = Model {
        cells: Vec::new(),
        index: BTreeMap::new(),
        lines: Vec::new(),
        le: Vec::new(),
        sums: Vec::new(),
        sum_index: BTreeMap::new(),
        sum_lines: Vec::new(),
    };
    m.group("fund", &published.total, &exact.total);
    let rounds: Vec<String> = (0..published.by_round.len())
        .map(|i| format!("round{i}"))
        .collect();
    for (i, (p, e)) in published.by_round.iter().zip(&exact.by_round).enumerate() {
        m.group(&rounds[i], &p.figures, &e.figures);
    }
    let regions: Vec<String> = published
        .by_region
        .iter()
        .map(|r| r.region.as_str().to_owned())
        .collect();
    for (name, (p, e)) in regions
        .iter()
        .zip(published.by_region.iter().zip(&exact.by_region))
    {
        m.group(name, &p.figures, &e.figures);
    }
    // Rounds and regions add up to the fund, count by count and sum by sum.
    let names: Vec<String> = m
        .index
        .keys()
        .filter_map(|k| k.strip_prefix("fund/").map(str::to_owned))
        .collect();
    let sums: Vec<String> = MEANS.iter().map(|(_, _, s, _)| (*s).to_owned()).collect();
    for groups in [&rounds, &regions] {
        // A fund without returns lists no regions, which tells a reader
        // every count is 0: there is nobody to protect, and no line.
        if groups.is_empty() {
            continue;
        }
        for name in &names {
            let parts: Vec<usize> = groups.iter().map(|g| m.id(g, name)).collect();
            let total = m.id("fund", name);
            m.lines.push(json!({"parts": parts, "total": total}));
        }
        for name in &sums {
            let parts: Vec<usize> = groups
                .iter()
                .map(|g| m.sum_index[&format!("{g}/{name}")])
                .collect();
            let total = m.sum_index[&format!("fund/{name}")];
            m.sum_lines.push(json!({"parts": parts, "total": total}));
        }
    }
    json!({
        "seed": seed,
        "shape": shape,
        "table": table,
        "threshold": MIN_PUBLISHED_COUNT,
        "rounding_half": ROUNDING_BASE / 2,
        "cells": m.cells,
        "lines": m.lines,
        "le": m.le,
        "sums": m.sums,
        "sum_lines": m.sum_lines,
    })
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A Python that can import highspy, if there is one.
fn python() -> Option<PathBuf> {
    let venv = workspace().join("target/ci-venv/bin/python");
    [venv, PathBuf::from("python3")].into_iter().find(|p| {
        Command::new(p)
            .args(["-c", "import highspy"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[test]
fn no_published_report_lets_a_solver_recover_a_count() {
    let Some(python) = python() else {
        let message = "disclosure attack test skipped: no Python with highspy \
                       (python3 -m venv target/ci-venv && target/ci-venv/bin/pip install highspy)";
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{message}; CI=true requires it"
        );
        eprintln!("{message}");
        return;
    };
    let base: u64 =
        std::env::var("GRANTLEDGER_ATTACK_SEED").map_or(20_261_130, |s| s.parse().unwrap());
    let count: u64 = std::env::var("GRANTLEDGER_ATTACK_REPORTS").map_or(40, |s| s.parse().unwrap());
    let reports: Vec<Value> = (0..count).map(|i| model(base + i)).collect();
    let dir = tempfile_dir();
    let path = dir.join(format!("reports-{base}-{count}.json"));
    std::fs::write(&path, serde_json::to_vec(&reports).unwrap()).unwrap();
    let output = Command::new(&python)
        .arg(workspace().join("scripts/disclosure_attack.py"))
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stdout}");
    assert!(
        output.status.success(),
        "the solver recovered published or suppressed counts (reports in {}):\n{stdout}\n{stderr}",
        path.display()
    );
}

fn tempfile_dir() -> PathBuf {
    let dir = workspace().join("target/disclosure-attack");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
