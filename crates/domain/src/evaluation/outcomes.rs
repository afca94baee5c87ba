//! Outcomes for a fund: tallies of returns and survey responses, by round and
//! by region, as exact figures or with disclosure control for publication.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::disclosure::{CellId, Protected, SuppressionTable, band_mean};
use super::measures::{DirectAnswer, ParticipantCode, Stage, SurveyResponse};
use super::stats::{Interval, Moments, PairedTable, wilson_interval};
use crate::grantee::Region;
use crate::ids::RoundId;

/// Counts for one survey stage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StageTally {
    /// Responses at this stage.
    pub respondents: u64,
    /// Answers to the direct question, in [`DirectAnswer::ALL`] order.
    pub direct: [u64; 5],
    /// Responses without an answer to the direct question.
    pub direct_not_answered: u64,
    /// UCLA scores of responses that answered all three items.
    pub ucla: Moments,
}

/// Everything counted for a group of returns (a fund, a round, a region).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Returns counted.
    pub returns: u64,
    /// Participants reached, summed.
    pub participants_reached: u64,
    /// Baseline counts.
    pub baseline: StageTally,
    /// Follow-up counts.
    pub follow_up: StageTally,
    /// Participant codes answered at both stages (within one return).
    pub paired: u64,
    /// UCLA score change (follow-up − baseline) of pairs with both scores.
    pub change: Moments,
    /// Pairs whose score fell (less lonely).
    pub improved: u64,
    /// Pairs whose score stayed the same.
    pub same: u64,
    /// Pairs whose score rose (lonelier).
    pub worse: u64,
    /// Baseline scores of the pairs in [`Tally::change`].
    pub change_baseline: Moments,
    /// Follow-up scores of the pairs in [`Tally::change`].
    pub change_follow_up: Moments,
    /// Pairs who answered the direct question at both stages: often/always
    /// lonely or not, at each.
    pub direct_pairs: PairedTable,
}

impl StageTally {
    /// Adds another stage's counts.
    pub fn merge(&mut self, other: &StageTally) {
        self.respondents += other.respondents;
        for (slot, n) in self.direct.iter_mut().zip(other.direct) {
            *slot += n;
        }
        self.direct_not_answered += other.direct_not_answered;
        self.ucla.merge(&other.ucla);
    }
}

impl Tally {
    /// The tally of one return: what [`Tally::add_return`] adds for it.
    /// Every figure of a group is a sum over its returns, so a group's
    /// tally is exactly the [`Tally::merge`] of its returns' tallies: a
    /// return can be tallied once, when it is submitted, and groups summed
    /// from those.
    #[must_use]
    pub fn of_return(participants_reached: u32, responses: &[SurveyResponse]) -> Tally {
        let mut tally = Tally::default();
        tally.add_return(participants_reached, responses);
        tally
    }

    /// Adds another tally's counts and sums (of other returns).
    ///
    /// ```
    /// use grantledger_domain::evaluation::*;
    ///
    /// let r = |stage, direct| SurveyResponse {
    ///     stage, participant_code: Some(ParticipantCode::parse("A").unwrap()), direct: Some(direct),
    ///     lack_companionship: None, left_out: None, isolated: None,
    /// };
    /// let one = [r(Stage::Baseline, DirectAnswer::OftenAlways), r(Stage::FollowUp, DirectAnswer::Never)];
    /// let two = [r(Stage::Baseline, DirectAnswer::Never)];
    /// let mut together = Tally::default();
    /// together.add_return(5, &one);
    /// together.add_return(7, &two);
    /// let mut merged = Tally::of_return(5, &one);
    /// merged.merge(&Tally::of_return(7, &two));
    /// assert_eq!(merged, together);
    /// ```
    pub fn merge(&mut self, other: &Tally) {
        self.returns += other.returns;
        self.participants_reached += other.participants_reached;
        self.baseline.merge(&other.baseline);
        self.follow_up.merge(&other.follow_up);
        self.paired += other.paired;
        self.change.merge(&other.change);
        self.improved += other.improved;
        self.same += other.same;
        self.worse += other.worse;
        self.change_baseline.merge(&other.change_baseline);
        self.change_follow_up.merge(&other.change_follow_up);
        self.direct_pairs.both += other.direct_pairs.both;
        self.direct_pairs.baseline_only += other.direct_pairs.baseline_only;
        self.direct_pairs.follow_up_only += other.direct_pairs.follow_up_only;
        self.direct_pairs.neither += other.direct_pairs.neither;
    }

    fn stage_mut(&mut self, stage: Stage) -> &mut StageTally {
        match stage {
            Stage::Baseline => &mut self.baseline,
            Stage::FollowUp => &mut self.follow_up,
        }
    }

    /// Counts one return. Pairs are matched by participant code within the
    /// return: codes are pseudonyms chosen by each grantee.
    ///
    /// ```
    /// use grantledger_domain::evaluation::*;
    ///
    /// let r = |stage, code: &str, score: [UclaAnswer; 3]| SurveyResponse {
    ///     stage,
    ///     participant_code: Some(ParticipantCode::parse(code).unwrap()),
    ///     direct: Some(DirectAnswer::OftenAlways),
    ///     lack_companionship: Some(score[0]),
    ///     left_out: Some(score[1]),
    ///     isolated: Some(score[2]),
    /// };
    /// use UclaAnswer::*;
    /// let mut tally = Tally::default();
    /// tally.add_return(12, &[
    ///     r(Stage::Baseline, "A", [Often, Often, Often]),          // 9
    ///     r(Stage::FollowUp, "A", [Often, SomeOfTheTime, Often]),  // 8
    ///     r(Stage::Baseline, "B", [Often, Often, Often]),          // unpaired
    /// ]);
    /// assert_eq!((tally.baseline.respondents, tally.follow_up.respondents, tally.paired), (2, 1, 1));
    /// assert_eq!(tally.change.mean(), Some(-1.0));
    /// assert_eq!(tally.improved, 1);
    /// ```
    pub fn add_return(&mut self, participants_reached: u32, responses: &[SurveyResponse]) {
        self.returns += 1;
        self.participants_reached += u64::from(participants_reached);
        let mut by_code: HashMap<&ParticipantCode, [Option<&SurveyResponse>; 2]> = HashMap::new();
        for response in responses {
            let stage = self.stage_mut(response.stage);
            stage.respondents += 1;
            match response.direct {
                Some(answer) => {
                    let i = DirectAnswer::ALL
                        .iter()
                        .position(|a| *a == answer)
                        .unwrap_or_default();
                    if let Some(slot) = stage.direct.get_mut(i) {
                        *slot += 1;
                    }
                }
                None => stage.direct_not_answered += 1,
            }
            if let Some(score) = response.ucla_score() {
                stage.ucla.add(i64::from(score));
            }
            if let Some(code) = &response.participant_code {
                let entry = by_code.entry(code).or_default();
                let [baseline, follow_up] = entry;
                match response.stage {
                    Stage::Baseline => *baseline = Some(response),
                    Stage::FollowUp => *follow_up = Some(response),
                }
            }
        }
        for [baseline, follow_up] in by_code.into_values() {
            let (Some(baseline), Some(follow_up)) = (baseline, follow_up) else {
                continue;
            };
            self.paired += 1;
            if let (Some(before), Some(after)) = (baseline.direct, follow_up.direct) {
                let lonely = |a: DirectAnswer| a == DirectAnswer::OftenAlways;
                let cell = match (lonely(before), lonely(after)) {
                    (true, true) => &mut self.direct_pairs.both,
                    (true, false) => &mut self.direct_pairs.baseline_only,
                    (false, true) => &mut self.direct_pairs.follow_up_only,
                    (false, false) => &mut self.direct_pairs.neither,
                };
                *cell += 1;
            }
            if let (Some(before), Some(after)) = (baseline.ucla_score(), follow_up.ucla_score()) {
                let change = i64::from(after) - i64::from(before);
                self.change.add(change);
                self.change_baseline.add(i64::from(before));
                self.change_follow_up.add(i64::from(after));
                match change {
                    c if c < 0 => self.improved += 1,
                    0 => self.same += 1,
                    _ => self.worse += 1,
                }
            }
        }
    }
}

/// Answers to the direct question at one stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DirectDistribution {
    /// Often/always.
    pub often_always: Option<u64>,
    /// Some of the time.
    pub some_of_the_time: Option<u64>,
    /// Occasionally.
    pub occasionally: Option<u64>,
    /// Hardly ever.
    pub hardly_ever: Option<u64>,
    /// Never.
    pub never: Option<u64>,
    /// Respondents who answered the direct question.
    pub answered: Option<u64>,
    /// Respondents who did not.
    pub not_answered: Option<u64>,
}

/// The direct question at each stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DirectByStage {
    /// At baseline.
    pub baseline: DirectDistribution,
    /// At follow-up.
    pub follow_up: DirectDistribution,
}

/// A percentage at each stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PercentByStage {
    /// At baseline.
    pub baseline: Option<f64>,
    /// At follow-up.
    pub follow_up: Option<f64>,
}

/// A 95% interval (in percent) at each stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntervalByStage {
    /// At baseline.
    pub baseline: Option<Interval>,
    /// At follow-up.
    pub follow_up: Option<Interval>,
}

/// The share often/always lonely among the same people at both stages:
/// pairs who answered the direct question at baseline and at follow-up.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PairedShareFigures {
    /// Pairs who answered the direct question at both stages (the base of
    /// every figure here).
    pub pairs: Option<u64>,
    /// Often/always lonely at both stages.
    pub both: Option<u64>,
    /// Often/always at baseline, not at follow-up.
    pub no_longer: Option<u64>,
    /// Often/always at follow-up, not at baseline.
    pub newly: Option<u64>,
    /// Often/always at neither stage.
    pub neither: Option<u64>,
    /// The pairs' share often/always at baseline, percent.
    pub baseline_percent: Option<f64>,
    /// The pairs' share often/always at follow-up, percent.
    pub follow_up_percent: Option<f64>,
    /// Follow-up − baseline share, percentage points (negative: fewer lonely).
    pub change_points: Option<f64>,
    /// 95% interval of the change, percentage points (Newcombe's hybrid
    /// score method for paired data).
    pub change_ci: Option<Interval>,
    /// McNemar's exact test of no change, two-sided p.
    pub mcnemar_p: Option<f64>,
}

/// Why an interval is not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IntervalNote {
    /// Fewer pairs than [`MIN_PAIRS_FOR_INTERVAL`]: a t interval would be
    /// wider than the change can be.
    TooFewPairs,
    /// Every pair changed by the same amount: there is no spread to
    /// estimate an interval from (a zero-width interval would claim
    /// certainty).
    NoVariation,
}

/// Below this many pairs no interval is given for the mean change.
pub const MIN_PAIRS_FOR_INTERVAL: u64 = 10;

impl IntervalNote {
    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            IntervalNote::TooFewPairs => "too_few_pairs",
            IntervalNote::NoVariation => "no_variation",
        }
    }
}

/// The base of each published figure, as `(figure, base)`, for the
/// report's readers: stage figures are over whoever answered at that
/// stage, paired figures over the same people at both stages.
pub const BASES: &[(&str, &str)] = &[
    ("respondents.<stage>", "responses at that stage"),
    (
        "direct.<stage>.*",
        "responses at that stage (answered + not_answered)",
    ),
    (
        "often_always_percent.<stage>, often_always_ci.<stage>",
        "responses at that stage that answered the direct question (direct.<stage>.answered)",
    ),
    (
        "often_always_paired.*",
        "participants who answered the direct question at both stages (often_always_paired.pairs)",
    ),
    (
        "ucla.<stage>.mean",
        "responses at that stage with all three UCLA items (ucla.<stage>.n)",
    ),
    (
        "ucla.change.*",
        "participants with all three UCLA items at both stages (ucla.change.n); baseline_mean and follow_up_mean are these same people's means",
    ),
];

/// Respondents at each stage, and pairs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Respondents {
    /// Responses at baseline.
    pub baseline: Option<u64>,
    /// Responses at follow-up.
    pub follow_up: Option<u64>,
    /// Participants with a response at both stages.
    pub paired: Option<u64>,
}

/// The UCLA score (3–9) at one stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScoreFigures {
    /// Responses that answered all three items.
    pub n: Option<u64>,
    /// Their mean score.
    pub mean: Option<f64>,
}

/// The paired change in UCLA score (follow-up − baseline; negative is better).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangeFigures {
    /// Pairs with a full score at both stages.
    pub n: Option<u64>,
    /// Mean change.
    pub mean: Option<f64>,
    /// The same pairs' mean baseline score (the base of `mean`).
    pub baseline_mean: Option<f64>,
    /// The same pairs' mean follow-up score.
    pub follow_up_mean: Option<f64>,
    /// Lower end of the 95% confidence interval (t distribution), never
    /// below −6.
    pub ci_low: Option<f64>,
    /// Upper end of the 95% confidence interval, never above 6.
    pub ci_high: Option<f64>,
    /// Why there is no interval, when there are pairs but none is given.
    pub ci_note: Option<IntervalNote>,
    /// Pairs whose score fell.
    pub improved: Option<u64>,
    /// Pairs whose score did not change.
    pub same: Option<u64>,
    /// Pairs whose score rose.
    pub worse: Option<u64>,
    /// Improved, as a percentage of `n`.
    pub improved_percent: Option<f64>,
    /// Same, as a percentage of `n`.
    pub same_percent: Option<f64>,
    /// Worse, as a percentage of `n`.
    pub worse_percent: Option<f64>,
    /// 95% Wilson interval of `improved_percent`.
    pub improved_ci: Option<Interval>,
    /// 95% Wilson interval of `same_percent`.
    pub same_ci: Option<Interval>,
    /// 95% Wilson interval of `worse_percent`.
    pub worse_ci: Option<Interval>,
}

/// UCLA scores at each stage and their paired change.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UclaFigures {
    /// At baseline.
    pub baseline: ScoreFigures,
    /// At follow-up.
    pub follow_up: ScoreFigures,
    /// Paired change.
    pub change: ChangeFigures,
}

/// The outcome figures of one group. In published form `null` means
/// suppressed or not published (base under 10); in exact form it means not
/// defined (no values, or one value for an interval).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figures {
    /// Returns counted.
    pub returns: Option<u64>,
    /// Participants reached.
    pub participants_reached: Option<u64>,
    /// Respondents at each stage, and pairs.
    pub respondents: Respondents,
    /// The direct question's answers.
    pub direct: DirectByStage,
    /// Often/always as a percentage of those answering the direct question
    /// at each stage (different people at each stage).
    pub often_always_percent: PercentByStage,
    /// 95% Wilson intervals of `often_always_percent`.
    pub often_always_ci: IntervalByStage,
    /// Often/always among the same people at both stages, and its change.
    pub often_always_paired: PairedShareFigures,
    /// UCLA scores.
    pub ucla: UclaFigures,
}

/// Figures for one round.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoundFigures {
    /// The round.
    pub round_id: RoundId,
    /// Its figures.
    pub figures: Figures,
}

/// Figures for one region.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegionFigures {
    /// The region (of the grantee).
    pub region: Region,
    /// Its figures.
    pub figures: Figures,
}

/// A fund's outcomes: the total, by round and by region.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutcomeReport {
    /// Whether disclosure control was applied.
    pub published: bool,
    /// The whole fund.
    pub total: Figures,
    /// Each round of the fund.
    pub by_round: Vec<RoundFigures>,
    /// Each region with at least one return.
    pub by_region: Vec<RegionFigures>,
}

// The count cells of one group, in this order.
const RETURNS: usize = 0;
const PARTICIPANTS: usize = 1;
const RESP_BASELINE: usize = 2;
const RESP_FOLLOW_UP: usize = 3;
const PAIRED: usize = 4;
const DIRECT_BASELINE: usize = 5; // 5 answers, answered, not answered: 5..=11
const DIRECT_FOLLOW_UP: usize = 12; // 12..=18
const UCLA_BASELINE_N: usize = 19;
const UCLA_FOLLOW_UP_N: usize = 20;
const CHANGE_N: usize = 21;
const IMPROVED: usize = 22;
const SAME: usize = 23;
const WORSE: usize = 24;
const DP_BOTH: usize = 25; // both, no longer, newly, neither: 25..=28
const DP_PAIRS: usize = 29;
const CELLS: usize = 30;

fn stage_cells(s: &StageTally) -> [u64; 7] {
    let [a, b, c, d, e] = s.direct;
    [a, b, c, d, e, a + b + c + d + e, s.direct_not_answered]
}

fn cells(t: &Tally) -> [u64; CELLS] {
    let mut out = [0; CELLS];
    let base = stage_cells(&t.baseline);
    let follow = stage_cells(&t.follow_up);
    let dp = &t.direct_pairs;
    let values = [
        t.returns,
        t.participants_reached,
        t.baseline.respondents,
        t.follow_up.respondents,
        t.paired,
    ]
    .into_iter()
    .chain(base)
    .chain(follow)
    .chain([
        t.baseline.ucla.n,
        t.follow_up.ucla.n,
        t.change.n,
        t.improved,
        t.same,
        t.worse,
        dp.both,
        dp.baseline_only,
        dp.follow_up_only,
        dp.neither,
        dp.n(),
    ]);
    for (slot, v) in out.iter_mut().zip(values) {
        *slot = v;
    }
    out
}

/// Lines inside one group: parts adding up to a total.
fn group_lines() -> Vec<(Vec<usize>, usize)> {
    let mut lines = Vec::new();
    for (direct, respondents) in [
        (DIRECT_BASELINE, RESP_BASELINE),
        (DIRECT_FOLLOW_UP, RESP_FOLLOW_UP),
    ] {
        lines.push(((direct..direct + 5).collect(), direct + 5));
        lines.push((vec![direct + 5, direct + 6], respondents));
    }
    lines.push((vec![IMPROVED, SAME, WORSE], CHANGE_N));
    lines.push(((DP_BOTH..DP_BOTH + 4).collect(), DP_PAIRS));
    lines
}

/// The UCLA score runs from 3 to 9; a change from −6 to 6.
const SCORE_RANGE: (f64, f64) = (3.0, 9.0);
const CHANGE_RANGE: (f64, f64) = (-6.0, 6.0);

/// How a group's numbers are shown.
enum View<'a> {
    Exact(&'a Tally),
    Published {
        tally: &'a Tally,
        protected: &'a Protected,
        ids: &'a [CellId; CELLS],
    },
}

fn round_to(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

/// The t interval of a mean change, or why there is none: fewer than
/// [`MIN_PAIRS_FOR_INTERVAL`] pairs, or no variation. Never outside the
/// range a change can take.
fn change_interval(change: &Moments) -> (Option<Interval>, Option<IntervalNote>) {
    if change.n == 0 {
        return (None, None);
    }
    if change.n < MIN_PAIRS_FOR_INTERVAL {
        return (None, Some(IntervalNote::TooFewPairs));
    }
    let Some(estimate) = change.estimate() else {
        return (None, None);
    };
    if estimate.sd.is_none_or(|sd| sd == 0.0) {
        return (None, Some(IntervalNote::NoVariation));
    }
    let (low, high) = CHANGE_RANGE;
    match (estimate.ci_low, estimate.ci_high) {
        (Some(l), Some(h)) => (
            Some(Interval {
                low: l.max(low),
                high: h.min(high),
            }),
            None,
        ),
        _ => (None, None),
    }
}

impl View<'_> {
    fn tally(&self) -> &Tally {
        match self {
            View::Exact(t) | View::Published { tally: t, .. } => t,
        }
    }

    fn published(&self) -> bool {
        matches!(self, View::Published { .. })
    }

    fn count(&self, m: usize) -> Option<u64> {
        match self {
            View::Exact(t) => cells(t).get(m).copied(),
            View::Published { protected, ids, .. } => {
                ids.get(m).and_then(|&id| protected.published(id))
            }
        }
    }

    /// The counts a share is computed from. Exact: the exact counts.
    /// Published: the *published* counts, so a share tells nothing the
    /// counts do not; none where either is suppressed, and none at 0% or
    /// 100% (a bound says every other category is empty).
    fn share_counts(&self, part: usize, base: usize) -> Option<(u64, u64)> {
        let (p, b) = (self.count(part)?, self.count(base)?);
        if b == 0 || p > b {
            return None;
        }
        if self.published() && (p == 0 || p == b) {
            return None;
        }
        Some((p, b))
    }

    /// A percentage: exact to 1 decimal place, published as a whole number.
    fn shown_percent(&self, x: f64) -> f64 {
        if self.published() {
            x.round()
        } else {
            round_to(x, 1)
        }
    }

    fn percent(&self, part: usize, base: usize) -> Option<f64> {
        let (p, b) = self.share_counts(part, base)?;
        Some(self.shown_percent(100.0 * p as f64 / b as f64))
    }

    /// The Wilson interval of the same percentage, from the same counts.
    fn wilson(&self, part: usize, base: usize) -> Option<Interval> {
        let (p, b) = self.share_counts(part, base)?;
        wilson_interval(p, b).map(|ci| ci.scaled(100.0).map(|x| self.shown_percent(x)))
    }

    /// A mean over the values counted in cell `n`, on a scale from `range.0`
    /// to `range.1`: exact to 2 decimal places; published only where `n` is
    /// published, banded (see [`band_mean`]).
    fn mean(&self, n: usize, value: Option<f64>, range: (f64, f64)) -> Option<f64> {
        if self.published() {
            self.count(n)
                .and(value)
                .map(|v| band_mean(v, range.0, range.1))
        } else {
            value.map(|v| round_to(v, 2))
        }
    }

    fn distribution(&self, first: usize) -> DirectDistribution {
        DirectDistribution {
            often_always: self.count(first),
            some_of_the_time: self.count(first + 1),
            occasionally: self.count(first + 2),
            hardly_ever: self.count(first + 3),
            never: self.count(first + 4),
            answered: self.count(first + 5),
            not_answered: self.count(first + 6),
        }
    }

    /// The paired share. Published: the figures are computed from the
    /// published counts, and only where all four are published.
    fn paired_share(&self) -> PairedShareFigures {
        let counts = [
            self.count(DP_BOTH),
            self.count(DP_BOTH + 1),
            self.count(DP_BOTH + 2),
            self.count(DP_BOTH + 3),
        ];
        let [both, no_longer, newly, neither] = counts;
        let table = match counts {
            [
                Some(both),
                Some(baseline_only),
                Some(follow_up_only),
                Some(neither),
            ] => Some(PairedTable {
                both,
                baseline_only,
                follow_up_only,
                neither,
            }),
            _ => None,
        }
        .filter(|t| t.n() > 0);
        let points = |x: f64| self.shown_percent(100.0 * x);
        PairedShareFigures {
            pairs: self.count(DP_PAIRS),
            both,
            no_longer,
            newly,
            neither,
            baseline_percent: table.and_then(|t| t.baseline_share()).map(points),
            follow_up_percent: table.and_then(|t| t.follow_up_share()).map(points),
            change_points: table.and_then(|t| t.change()).map(points),
            change_ci: table
                .and_then(|t| t.newcombe_interval())
                .map(|ci| ci.map(points)),
            mcnemar_p: table.and_then(|t| t.mcnemar_exact_p()).map(|p| {
                if self.published() {
                    round_to(p, 2)
                } else {
                    round_to(p, 4)
                }
            }),
        }
    }

    fn change(&self) -> ChangeFigures {
        let t = self.tally();
        let (interval, note) = change_interval(&t.change);
        let (interval, note) = if self.published() {
            // Published only where n and at least two of improved, same and
            // worse are published: then the changes vary (so "no variation"
            // is never implied by a missing interval), and whether an
            // interval is shown depends on published counts alone.
            let categories = [IMPROVED, SAME, WORSE]
                .iter()
                .filter(|&&m| self.count(m).is_some())
                .count();
            let shown = self.count(CHANGE_N).is_some() && categories >= 2;
            let band = |x: f64| ((x * 2.0).round() / 2.0).clamp(CHANGE_RANGE.0, CHANGE_RANGE.1);
            (interval.filter(|_| shown).map(|ci| ci.map(band)), None)
        } else {
            (interval.map(|ci| ci.map(|x| round_to(x, 2))), note)
        };
        ChangeFigures {
            n: self.count(CHANGE_N),
            mean: self.mean(CHANGE_N, t.change.mean(), CHANGE_RANGE),
            baseline_mean: self.mean(CHANGE_N, t.change_baseline.mean(), SCORE_RANGE),
            follow_up_mean: self.mean(CHANGE_N, t.change_follow_up.mean(), SCORE_RANGE),
            ci_low: interval.map(|ci| ci.low),
            ci_high: interval.map(|ci| ci.high),
            ci_note: note,
            improved: self.count(IMPROVED),
            same: self.count(SAME),
            worse: self.count(WORSE),
            improved_percent: self.percent(IMPROVED, CHANGE_N),
            same_percent: self.percent(SAME, CHANGE_N),
            worse_percent: self.percent(WORSE, CHANGE_N),
            improved_ci: self.wilson(IMPROVED, CHANGE_N),
            same_ci: self.wilson(SAME, CHANGE_N),
            worse_ci: self.wilson(WORSE, CHANGE_N),
        }
    }

    fn figures(&self) -> Figures {
        let t = self.tally();
        Figures {
            returns: self.count(RETURNS),
            participants_reached: self.count(PARTICIPANTS),
            respondents: Respondents {
                baseline: self.count(RESP_BASELINE),
                follow_up: self.count(RESP_FOLLOW_UP),
                paired: self.count(PAIRED),
            },
            direct: DirectByStage {
                baseline: self.distribution(DIRECT_BASELINE),
                follow_up: self.distribution(DIRECT_FOLLOW_UP),
            },
            often_always_percent: PercentByStage {
                baseline: self.percent(DIRECT_BASELINE, DIRECT_BASELINE + 5),
                follow_up: self.percent(DIRECT_FOLLOW_UP, DIRECT_FOLLOW_UP + 5),
            },
            often_always_ci: IntervalByStage {
                baseline: self.wilson(DIRECT_BASELINE, DIRECT_BASELINE + 5),
                follow_up: self.wilson(DIRECT_FOLLOW_UP, DIRECT_FOLLOW_UP + 5),
            },
            often_always_paired: self.paired_share(),
            ucla: UclaFigures {
                baseline: ScoreFigures {
                    n: self.count(UCLA_BASELINE_N),
                    mean: self.mean(UCLA_BASELINE_N, t.baseline.ucla.mean(), SCORE_RANGE),
                },
                follow_up: ScoreFigures {
                    n: self.count(UCLA_FOLLOW_UP_N),
                    mean: self.mean(UCLA_FOLLOW_UP_N, t.follow_up.ucla.mean(), SCORE_RANGE),
                },
                change: self.change(),
            },
        }
    }
}

/// Collects returns into tallies for the fund, each round and each region,
/// then reports them exactly or for publication.
///
/// ```
/// use grantledger_domain::evaluation::*;
/// use grantledger_domain::grantee::Region;
/// use grantledger_domain::ids::RoundId;
///
/// let round = RoundId::new();
/// let mut outcomes = OutcomeBuilder::new([round]);
/// let lonely = SurveyResponse {
///     stage: Stage::Baseline, participant_code: None, direct: Some(DirectAnswer::OftenAlways),
///     lack_companionship: None, left_out: None, isolated: None,
/// };
/// outcomes.add(round, Region::Wales, 40, &vec![lonely; 12]);
/// let exact = outcomes.exact();
/// assert_eq!(exact.total.respondents.baseline, Some(12));
/// assert_eq!(exact.total.often_always_percent.baseline, Some(100.0));
/// let published = outcomes.published();
/// assert_eq!(published.total.returns, None); // 1 return: below 10
/// assert_eq!(published.total.respondents.baseline, Some(10)); // 12 rounded to 5
/// ```
#[derive(Debug, Clone, Default)]
pub struct OutcomeBuilder {
    total: Tally,
    rounds: Vec<(RoundId, Tally)>,
    regions: BTreeMap<Region, Tally>,
}

impl OutcomeBuilder {
    /// A builder reporting every one of `rounds`, even those without returns.
    pub fn new(rounds: impl IntoIterator<Item = RoundId>) -> OutcomeBuilder {
        OutcomeBuilder {
            rounds: rounds.into_iter().map(|r| (r, Tally::default())).collect(),
            ..OutcomeBuilder::default()
        }
    }

    /// Counts one return (its latest version) from `round`, by a grantee in `region`.
    pub fn add(
        &mut self,
        round: RoundId,
        region: Region,
        participants_reached: u32,
        responses: &[SurveyResponse],
    ) {
        self.add_tally(
            round,
            region,
            &Tally::of_return(participants_reached, responses),
        );
    }

    /// Counts returns already tallied (one return's [`Tally::of_return`],
    /// or the merged tallies of several) from `round`, by grantees in
    /// `region`: the same as adding each of those returns.
    pub fn add_tally(&mut self, round: RoundId, region: Region, tally: &Tally) {
        self.total.merge(tally);
        self.regions.entry(region).or_default().merge(tally);
        if let Some((_, t)) = self.rounds.iter_mut().find(|(id, _)| *id == round) {
            t.merge(tally);
        } else {
            self.rounds.push((round, tally.clone()));
        }
    }

    /// The fund's total tally.
    #[must_use]
    pub fn total(&self) -> &Tally {
        &self.total
    }

    /// Exact figures, for administrators and auditors.
    #[must_use]
    pub fn exact(&self) -> OutcomeReport {
        OutcomeReport {
            published: false,
            total: View::Exact(&self.total).figures(),
            by_round: self
                .rounds
                .iter()
                .map(|(round_id, t)| RoundFigures {
                    round_id: *round_id,
                    figures: View::Exact(t).figures(),
                })
                .collect(),
            by_region: self
                .regions
                .iter()
                .map(|(region, t)| RegionFigures {
                    region: *region,
                    figures: View::Exact(t).figures(),
                })
                .collect(),
        }
    }

    /// Figures with disclosure control applied (see [`super::disclosure`]):
    /// every count of every group is a cell; lines join the parts of each
    /// group (answers → answered, answered + not answered → respondents,
    /// improved + same + worse → pairs) and, for each count, the rounds to
    /// the total and the regions to the total.
    #[must_use]
    pub fn published(&self) -> OutcomeReport {
        let mut table = SuppressionTable::default();
        let mut add_group = |t: &Tally| -> [CellId; CELLS] { cells(t).map(|v| table.cell(v)) };
        let total = add_group(&self.total);
        let rounds: Vec<[CellId; CELLS]> = self.rounds.iter().map(|(_, t)| add_group(t)).collect();
        let regions: Vec<[CellId; CELLS]> = self.regions.values().map(&mut add_group).collect();
        let pick = |ids: &[CellId; CELLS], m: usize| ids.get(m).copied();
        for ids in std::iter::once(&total).chain(&rounds).chain(&regions) {
            for (parts, sum) in group_lines() {
                let parts: Vec<CellId> = parts.iter().filter_map(|&m| pick(ids, m)).collect();
                if let Some(sum) = pick(ids, sum) {
                    table.line(&parts, sum);
                }
            }
        }
        for m in 0..CELLS {
            let Some(sum) = pick(&total, m) else { continue };
            for groups in [&rounds, &regions] {
                let parts: Vec<CellId> = groups.iter().filter_map(|ids| pick(ids, m)).collect();
                table.line(&parts, sum);
            }
        }
        let protected = table.protect();
        let view = |tally: &Tally, ids: &[CellId; CELLS]| {
            View::Published {
                tally,
                protected: &protected,
                ids,
            }
            .figures()
        };
        OutcomeReport {
            published: true,
            total: view(&self.total, &total),
            by_round: self
                .rounds
                .iter()
                .zip(&rounds)
                .map(|((round_id, t), ids)| RoundFigures {
                    round_id: *round_id,
                    figures: view(t, ids),
                })
                .collect(),
            by_region: self
                .regions
                .iter()
                .zip(&regions)
                .map(|((region, t), ids)| RegionFigures {
                    region: *region,
                    figures: view(t, ids),
                })
                .collect(),
        }
    }
}

impl Figures {
    /// The figures as `(measure, value)` rows for CSV, in a fixed order;
    /// `None` is an empty cell.
    #[must_use]
    pub fn rows(&self) -> Vec<(String, Option<String>)> {
        let mut rows: Vec<(String, Option<String>)> = Vec::new();
        let mut count =
            |name: &str, v: Option<u64>| rows.push((name.to_owned(), v.map(|v| v.to_string())));
        count("returns", self.returns);
        count("participants_reached", self.participants_reached);
        count("respondents.baseline", self.respondents.baseline);
        count("respondents.follow_up", self.respondents.follow_up);
        count("respondents.paired", self.respondents.paired);
        for (stage, d) in [
            ("baseline", &self.direct.baseline),
            ("follow_up", &self.direct.follow_up),
        ] {
            for (answer, v) in [
                ("often_always", d.often_always),
                ("some_of_the_time", d.some_of_the_time),
                ("occasionally", d.occasionally),
                ("hardly_ever", d.hardly_ever),
                ("never", d.never),
                ("answered", d.answered),
                ("not_answered", d.not_answered),
            ] {
                count(&format!("direct.{stage}.{answer}"), v);
            }
        }
        count("ucla.baseline.n", self.ucla.baseline.n);
        count("ucla.follow_up.n", self.ucla.follow_up.n);
        count("ucla.change.n", self.ucla.change.n);
        count("ucla.change.improved", self.ucla.change.improved);
        count("ucla.change.same", self.ucla.change.same);
        count("ucla.change.worse", self.ucla.change.worse);
        let p = &self.often_always_paired;
        count("often_always_paired.pairs", p.pairs);
        count("often_always_paired.both", p.both);
        count("often_always_paired.no_longer", p.no_longer);
        count("often_always_paired.newly", p.newly);
        count("often_always_paired.neither", p.neither);
        let mut stat =
            |name: &str, v: Option<f64>| rows.push((name.to_owned(), v.map(|v| v.to_string())));
        stat(
            "often_always_percent.baseline",
            self.often_always_percent.baseline,
        );
        stat(
            "often_always_percent.follow_up",
            self.often_always_percent.follow_up,
        );
        stat("ucla.baseline.mean", self.ucla.baseline.mean);
        stat("ucla.follow_up.mean", self.ucla.follow_up.mean);
        stat("ucla.change.mean", self.ucla.change.mean);
        stat("ucla.change.ci_low", self.ucla.change.ci_low);
        stat("ucla.change.ci_high", self.ucla.change.ci_high);
        stat(
            "ucla.change.improved_percent",
            self.ucla.change.improved_percent,
        );
        stat("ucla.change.same_percent", self.ucla.change.same_percent);
        stat("ucla.change.worse_percent", self.ucla.change.worse_percent);
        stat("ucla.change.baseline_mean", self.ucla.change.baseline_mean);
        stat(
            "ucla.change.follow_up_mean",
            self.ucla.change.follow_up_mean,
        );
        rows.push((
            "ucla.change.ci_note".to_owned(),
            self.ucla.change.ci_note.map(|n| n.as_str().to_owned()),
        ));
        let mut interval = |name: &str, ci: Option<Interval>| {
            rows.push((format!("{name}.low"), ci.map(|c| c.low.to_string())));
            rows.push((format!("{name}.high"), ci.map(|c| c.high.to_string())));
        };
        interval("often_always_ci.baseline", self.often_always_ci.baseline);
        interval("often_always_ci.follow_up", self.often_always_ci.follow_up);
        interval("ucla.change.improved_ci", self.ucla.change.improved_ci);
        interval("ucla.change.same_ci", self.ucla.change.same_ci);
        interval("ucla.change.worse_ci", self.ucla.change.worse_ci);
        interval("often_always_paired.change_ci", p.change_ci);
        let mut stat =
            |name: &str, v: Option<f64>| rows.push((name.to_owned(), v.map(|v| v.to_string())));
        stat("often_always_paired.baseline_percent", p.baseline_percent);
        stat("often_always_paired.follow_up_percent", p.follow_up_percent);
        stat("often_always_paired.change_points", p.change_points);
        stat("often_always_paired.mcnemar_p", p.mcnemar_p);
        rows
    }
}
