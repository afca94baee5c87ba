//! Evaluation returns and the ONS loneliness measures.
//!
//! A grantee reports on an accepted award with an evaluation return: the
//! period, participants reached, volunteers, sessions, a narrative, an
//! optional case study and anonymous survey responses at baseline and
//! follow-up using the ONS recommended adult measures — the direct question
//! ("How often do you feel lonely?") and the three UCLA items. Returns are
//! versioned and reviewed ([`ReviewStatus`]).
//!
//! Outcomes for a fund ([`OutcomeBuilder`]) count respondents and pairs,
//! the distribution of the direct question, the share often/always lonely,
//! the UCLA score (3–9) at each stage and its mean paired change with a 95%
//! confidence interval from the t distribution ([`t_quantile`]), Wilson
//! intervals for shares ([`wilson_interval`]), and the paired change in the
//! share often/always lonely with Newcombe's interval and McNemar's exact
//! test ([`PairedTable`]). Published figures go through disclosure control
//! ([`SuppressionTable`], [`band_mean`]).
//!
//! ```
//! use grantledger_domain::evaluation::*;
//! use grantledger_domain::grantee::Region;
//! use grantledger_domain::ids::RoundId;
//! use UclaAnswer::{HardlyEverOrNever as Low, Often as High, SomeOfTheTime as Mid};
//!
//! let response = |stage, code: &str, ucla: [UclaAnswer; 3]| SurveyResponse {
//!     stage,
//!     participant_code: Some(ParticipantCode::parse(code).unwrap()),
//!     direct: None,
//!     lack_companionship: Some(ucla[0]),
//!     left_out: Some(ucla[1]),
//!     isolated: Some(ucla[2]),
//! };
//! let responses = [
//!     response(Stage::Baseline, "A", [High, High, Mid]),  // 8
//!     response(Stage::FollowUp, "A", [Mid, Mid, Mid]),    // 6: change −2
//!     response(Stage::Baseline, "B", [Mid, Mid, Low]),    // 5
//!     response(Stage::FollowUp, "B", [Mid, Mid, Low]),    // 5: change 0
//! ];
//! let round = RoundId::new();
//! let mut outcomes = OutcomeBuilder::new([round]);
//! outcomes.add(round, Region::NorthEast, 20, &responses);
//! let report = outcomes.exact();
//! let change = &report.total.ucla.change;
//! assert_eq!((change.n, change.mean), (Some(2), Some(-1.0)));
//! // Two pairs: a t interval (−1 ± 12.706) would be far wider than a change
//! // can be (−6 to 6), so none is given below 10 pairs.
//! assert_eq!((change.ci_low, change.ci_high), (None, None));
//! assert_eq!(change.ci_note, Some(IntervalNote::TooFewPairs));
//! // The same two people's means beside the change: 6.5 → 5.5.
//! assert_eq!((change.baseline_mean, change.follow_up_mean), (Some(6.5), Some(5.5)));
//! assert_eq!(report.total.ucla.baseline.mean, Some(6.5));
//! ```

mod disclosure;
mod measures;
mod outcomes;
mod stats;
mod submission;

pub use disclosure::{
    CellId, MEAN_STEP, MIN_PUBLISHED_COUNT, Protected, ROUNDING_BASE, SuppressionTable, band_mean,
    mean_range, round_count,
};
pub use measures::{
    DirectAnswer, ParticipantCode, ParticipantCodeError, Stage, SurveyResponse, UclaAnswer,
};
pub use outcomes::{
    BASES, ChangeFigures, DirectByStage, DirectDistribution, Figures, IntervalByStage,
    IntervalNote, MIN_PAIRS_FOR_INTERVAL, OutcomeBuilder, OutcomeReport, PairedShareFigures,
    PercentByStage, RegionFigures, Respondents, RoundFigures, ScoreFigures, StageTally, Tally,
    UclaFigures,
};
pub use stats::{
    Interval, MeanEstimate, Moments, PairedTable, normal_quantile, t_quantile, wilson_interval,
};
pub use submission::{
    EvaluationReturn, FieldIssue, ResponseInput, ReturnContent, ReturnInput, ReviewDecision,
    ReviewStatus, award_takes_returns, review_comment,
};

#[cfg(test)]
mod tests;
