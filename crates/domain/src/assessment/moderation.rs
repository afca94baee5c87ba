//! Moderation: the panel's view of a round's scores, and what it recommends.
//!
//! [`panel_view`] gives one [`ModerationRow`] per application: each
//! counted assessor's [`WeightedScore`], the mean, the spread (highest less
//! lowest) and whether the spread is wider than the round's [`Margin`].
//! Sheets from assessors conflicted on the application are left out. Rows
//! come best first: by mean descending, unscored applications last, ties by
//! application id. The panel then records a [`PanelRecommendation`].
//!
//! ```
//! use std::collections::BTreeMap;
//! use rust_decimal::Decimal;
//! use grantledger_domain::assessment::assignment::ApplicationToCover;
//! use grantledger_domain::assessment::criteria::*;
//! use grantledger_domain::assessment::moderation::*;
//! use grantledger_domain::ids::{ApplicationId, CriterionId, GranteeId, UserId};
//!
//! let need = CriterionId::new();
//! let criteria = Criteria::new(Scale::new(1, 5)?, vec![Criterion::new(need, "Need", "", 1)?])?;
//! let sheet = |score| ScoreSheet::new(&criteria, vec![CriterionScore { criterion_id: need, score, comment: String::new() }]);
//! let app = ApplicationToCover { application_id: ApplicationId::new(), grantee_id: GranteeId::new() };
//! let sheets = [
//!     SubmittedSheet { application_id: app.application_id, assessor_id: UserId::new(), sheet: sheet(5)? },
//!     SubmittedSheet { application_id: app.application_id, assessor_id: UserId::new(), sheet: sheet(2)? },
//! ];
//! let margin = Margin::new(Decimal::from(2))?;
//! let rows = panel_view(&criteria, margin, &[app], &sheets, &BTreeMap::new())?;
//! assert_eq!(rows[0].mean, Some(Decimal::new(35, 1))); // (5 + 2) / 2
//! assert_eq!(rows[0].spread, Some(Decimal::from(3)));
//! assert!(rows[0].disagreement); // 3 > 2
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::assignment::{ApplicationToCover, AssessorConflicts};
use super::criteria::{Criteria, ScoreSheet, WeightedScore, optional_multi_line};
use crate::ids::{ApplicationId, UserId};
use crate::text::TextError;

/// Why the panel view or a recommendation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModerationError {
    /// A negative margin.
    #[error("the disagreement margin must not be negative; got {got}")]
    NegativeMargin {
        /// The margin given.
        got: Decimal,
    },
    /// A margin wider than any scale.
    #[error("the disagreement margin must be at most 100 points; got {got}")]
    MarginTooLarge {
        /// The margin given.
        got: Decimal,
    },
    /// A sheet checked against other criteria than the round's.
    #[error(
        "the score sheet of assessor {assessor_id} on application {application_id} was not made on this round's criteria"
    )]
    OtherCriteria {
        /// The application.
        application_id: ApplicationId,
        /// The assessor.
        assessor_id: UserId,
    },
    /// Two sheets by one assessor on one application.
    #[error("assessor {assessor_id} has more than one score sheet on application {application_id}")]
    DuplicateSheet {
        /// The application.
        application_id: ApplicationId,
        /// The assessor.
        assessor_id: UserId,
    },
    /// A sheet on an application the view does not cover.
    #[error(
        "a score sheet is on application {application_id}, which is not one of the applications being moderated"
    )]
    UnknownApplication {
        /// The application.
        application_id: ApplicationId,
    },
    /// A bad note.
    #[error(transparent)]
    Note(#[from] TextError),
}

/// How far apart (in points on the round's scale) assessors' weighted
/// scores may be before the panel is told they disagree: 0–100, e.g. 1.5.
/// A spread equal to the margin is not a disagreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "Decimal", into = "Decimal")]
pub struct Margin(Decimal);

impl Margin {
    /// Builds a margin.
    ///
    /// # Errors
    /// [`ModerationError::NegativeMargin`] or [`ModerationError::MarginTooLarge`].
    pub fn new(value: Decimal) -> Result<Margin, ModerationError> {
        if value.is_sign_negative() && !value.is_zero() {
            Err(ModerationError::NegativeMargin { got: value })
        } else if value > Decimal::ONE_HUNDRED {
            Err(ModerationError::MarginTooLarge { got: value })
        } else {
            Ok(Margin(value.abs()))
        }
    }

    /// A margin of a whole number of points on the scale.
    ///
    /// # Errors
    /// [`ModerationError::MarginTooLarge`] above 100.
    pub fn whole(points: u8) -> Result<Margin, ModerationError> {
        Margin::new(Decimal::from(points))
    }

    /// The margin.
    #[must_use]
    pub const fn value(self) -> Decimal {
        self.0
    }
}

impl TryFrom<Decimal> for Margin {
    type Error = ModerationError;

    fn try_from(value: Decimal) -> Result<Self, Self::Error> {
        Margin::new(value)
    }
}

impl From<Margin> for Decimal {
    fn from(m: Margin) -> Decimal {
        m.0
    }
}

/// An assessor's score sheet on an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmittedSheet {
    /// The application.
    pub application_id: ApplicationId,
    /// The assessor.
    pub assessor_id: UserId,
    /// Their scores.
    pub sheet: ScoreSheet,
}

/// One counted assessor's weighted score on an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AssessorScore {
    /// The assessor.
    pub assessor_id: UserId,
    /// Their weighted score.
    pub score: WeightedScore,
}

/// The panel's view of one application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModerationRow {
    /// The application.
    pub application_id: ApplicationId,
    /// The counted scores, by assessor id.
    pub scores: Vec<AssessorScore>,
    /// Sheets left out because their assessor is conflicted on it.
    pub conflicted_sheets: usize,
    /// The mean weighted score, to `Decimal`'s full precision; `None` when
    /// nobody's score counts. Round for display with half-up to 2 places.
    pub mean: Option<Decimal>,
    /// Highest less lowest weighted score; `None` when unscored.
    pub spread: Option<Decimal>,
    /// Whether the spread is wider than the margin (compared exactly).
    pub disagreement: bool,
    /// Σ over counted sheets of Σ(weight × score), for exact ordering.
    #[serde(skip)]
    weighted_sum: u64,
}

impl ModerationRow {
    /// The mean weighted score for display: half-up to two places, the
    /// same rounding as [`WeightedScore::rounded`].
    #[must_use]
    pub fn mean_rounded(&self) -> Option<Decimal> {
        self.mean.map(super::criteria::round2)
    }

    /// The spread for display, rounded as [`ModerationRow::mean_rounded`].
    #[must_use]
    pub fn spread_rounded(&self) -> Option<Decimal> {
        self.spread.map(super::criteria::round2)
    }

    /// The panel's order: higher mean first, unscored last, ties by
    /// application id. Exact: means are compared as fractions.
    #[must_use]
    pub fn panel_order(&self, other: &ModerationRow) -> Ordering {
        let count = |r: &ModerationRow| r.scores.len() as u128;
        let by_mean = match (self.scores.is_empty(), other.scores.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            // Every sheet shares one total weight, so compare Σ / count.
            (false, false) => (u128::from(other.weighted_sum) * count(self))
                .cmp(&(u128::from(self.weighted_sum) * count(other))),
        };
        by_mean.then(self.application_id.cmp(&other.application_id))
    }
}

/// Sorts rows into the panel's order ([`ModerationRow::panel_order`]).
pub fn sort_for_panel(rows: &mut [ModerationRow]) {
    rows.sort_by(ModerationRow::panel_order);
}

/// The panel view of a round: one row per application in `applications`
/// (repeats ignored), in the panel's order. Sheets whose assessor is
/// conflicted on the application (per `conflicts`) are left out and counted.
///
/// # Errors
/// [`ModerationError::OtherCriteria`], [`ModerationError::DuplicateSheet`]
/// or [`ModerationError::UnknownApplication`].
pub fn panel_view(
    criteria: &Criteria,
    margin: Margin,
    applications: &[ApplicationToCover],
    sheets: &[SubmittedSheet],
    conflicts: &BTreeMap<UserId, AssessorConflicts>,
) -> Result<Vec<ModerationRow>, ModerationError> {
    let mut by_app: BTreeMap<ApplicationId, (ApplicationToCover, Vec<&SubmittedSheet>)> =
        BTreeMap::new();
    for a in applications {
        by_app.entry(a.application_id).or_insert((*a, Vec::new()));
    }
    let mut seen = BTreeSet::new();
    for s in sheets {
        if !s.sheet.is_for(criteria) {
            return Err(ModerationError::OtherCriteria {
                application_id: s.application_id,
                assessor_id: s.assessor_id,
            });
        }
        if !seen.insert((s.application_id, s.assessor_id)) {
            return Err(ModerationError::DuplicateSheet {
                application_id: s.application_id,
                assessor_id: s.assessor_id,
            });
        }
        let Some((_, list)) = by_app.get_mut(&s.application_id) else {
            return Err(ModerationError::UnknownApplication {
                application_id: s.application_id,
            });
        };
        list.push(s);
    }
    let total_weight = criteria.total_weight().max(1);
    let mut rows: Vec<ModerationRow> = by_app
        .into_values()
        .map(|(app, list)| {
            let (counted, conflicted): (Vec<_>, Vec<_>) = list.into_iter().partition(|s| {
                !conflicts
                    .get(&s.assessor_id)
                    .is_some_and(|c| c.rules_out(&app))
            });
            let mut scores: Vec<AssessorScore> = counted
                .iter()
                .map(|s| AssessorScore {
                    assessor_id: s.assessor_id,
                    score: s.sheet.weighted_total(criteria),
                })
                .collect();
            scores.sort_by_key(|s| s.assessor_id);
            row(
                app.application_id,
                scores,
                conflicted.len(),
                total_weight,
                margin,
            )
        })
        .collect();
    sort_for_panel(&mut rows);
    Ok(rows)
}

fn row(
    application_id: ApplicationId,
    scores: Vec<AssessorScore>,
    conflicted_sheets: usize,
    total_weight: u32,
    margin: Margin,
) -> ModerationRow {
    let sums = || scores.iter().map(|s| u64::from(s.score.weighted_sum()));
    let weighted_sum: u64 = sums().sum();
    let weight = Decimal::from(total_weight);
    let (mean, spread, disagreement) = match (sums().min(), sums().max()) {
        (Some(lo), Some(hi)) => {
            let count = Decimal::from(scores.len());
            let wide = hi - lo;
            // wide / W > m / 10^k  ⇔  wide × 10^k > m × W, in whole numbers.
            let m = margin.0;
            let disagreement = i128::from(wide).saturating_mul(10_i128.pow(m.scale()))
                > m.mantissa().saturating_mul(i128::from(total_weight));
            (
                Some(Decimal::from(weighted_sum) / (weight * count)),
                Some(Decimal::from(wide) / weight),
                disagreement,
            )
        }
        _ => (None, None, false),
    };
    ModerationRow {
        application_id,
        scores,
        conflicted_sheets,
        mean,
        spread,
        disagreement,
        weighted_sum,
    }
}

string_enum! {
    /// What the panel recommends for an application.
    pub enum PanelDecision("panel recommendation") {
        /// Fund it.
        Award = "award", "Award";
        /// Do not fund it.
        Reject = "reject", "Reject";
        /// Fund it if money is left after the awards.
        Reserve = "reserve", "Reserve";
    }
}

/// The panel's recommendation on one application, with an optional note.
///
/// ```
/// use grantledger_domain::assessment::moderation::*;
/// use grantledger_domain::ids::ApplicationId;
///
/// let r = PanelRecommendation::new(ApplicationId::new(), PanelDecision::Reserve, "  If the Leeds award falls through. ")?;
/// assert_eq!(r.note(), Some("If the Leeds award falls through."));
/// let r = PanelRecommendation::new(ApplicationId::new(), PanelDecision::Award, " ")?;
/// assert_eq!(r.note(), None);
/// # Ok::<(), ModerationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RecommendationInput")]
pub struct PanelRecommendation {
    application_id: ApplicationId,
    decision: PanelDecision,
    note: Option<String>,
}

#[derive(Deserialize)]
struct RecommendationInput {
    application_id: ApplicationId,
    decision: PanelDecision,
    #[serde(default)]
    note: Option<String>,
}

impl TryFrom<RecommendationInput> for PanelRecommendation {
    type Error = ModerationError;

    fn try_from(input: RecommendationInput) -> Result<Self, Self::Error> {
        PanelRecommendation::new(
            input.application_id,
            input.decision,
            input.note.as_deref().unwrap_or_default(),
        )
    }
}

impl PanelRecommendation {
    /// The longest note.
    pub const MAX_NOTE_CHARS: usize = 2_000;

    /// Builds it; the note is trimmed and an empty note is no note.
    ///
    /// # Errors
    /// [`ModerationError::Note`] when the note is too long or has control
    /// characters other than line breaks and tabs.
    pub fn new(
        application_id: ApplicationId,
        decision: PanelDecision,
        note: &str,
    ) -> Result<PanelRecommendation, ModerationError> {
        let note = optional_multi_line("panel note", note, Self::MAX_NOTE_CHARS)?;
        Ok(PanelRecommendation {
            application_id,
            decision,
            note: (!note.is_empty()).then_some(note),
        })
    }

    /// The application.
    #[must_use]
    pub const fn application_id(&self) -> ApplicationId {
        self.application_id
    }

    /// What the panel recommends.
    #[must_use]
    pub const fn decision(&self) -> PanelDecision {
        self.decision
    }

    /// The note, if any.
    #[must_use]
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assessment::criteria::{Criterion, CriterionScore, Scale};
    use crate::ids::{CriterionId, GranteeId};
    use uuid::Uuid;

    fn app(i: u128) -> ApplicationToCover {
        ApplicationToCover {
            application_id: ApplicationId::from_uuid(Uuid::from_u128(i)),
            grantee_id: GranteeId::from_uuid(Uuid::from_u128(100 + i)),
        }
    }

    fn user(i: u128) -> UserId {
        UserId::from_uuid(Uuid::from_u128(i))
    }

    /// Weights 3 and 1 on 1–5.
    fn criteria() -> Criteria {
        Criteria::new(
            Scale::new(1, 5).unwrap(),
            vec![
                Criterion::new(CriterionId::from_uuid(Uuid::from_u128(1)), "Need", "", 3).unwrap(),
                Criterion::new(CriterionId::from_uuid(Uuid::from_u128(2)), "Plan", "", 1).unwrap(),
            ],
        )
        .unwrap()
    }

    fn sheet(criteria: &Criteria, app: u128, assessor: u128, need: u8, plan: u8) -> SubmittedSheet {
        let [n, p] = [criteria.criteria()[0].id(), criteria.criteria()[1].id()];
        let score = |criterion_id, score| CriterionScore {
            criterion_id,
            score,
            comment: String::new(),
        };
        SubmittedSheet {
            application_id: ApplicationId::from_uuid(Uuid::from_u128(app)),
            assessor_id: user(assessor),
            sheet: ScoreSheet::new(criteria, vec![score(n, need), score(p, plan)]).unwrap(),
        }
    }

    fn margin(s: &str) -> Margin {
        Margin::new(s.parse().unwrap()).unwrap()
    }

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn margins() {
        assert_eq!(
            Margin::new(d("-0.5")).unwrap_err().to_string(),
            "the disagreement margin must not be negative; got -0.5"
        );
        assert!(Margin::new(d("100.01")).is_err());
        assert_eq!(margin("0").value(), Decimal::ZERO);
        assert_eq!(serde_json::to_string(&margin("1.5")).unwrap(), "\"1.5\"");
        assert!(serde_json::from_str::<Margin>("\"-1\"").is_err());
    }

    #[test]
    fn spread_equal_to_the_margin_is_not_a_disagreement() {
        let c = criteria();
        // 4.00 (5, 1) and 2.50 (2, 4 → 10/4): spread 1.5.
        let sheets = [sheet(&c, 1, 1, 5, 1), sheet(&c, 1, 2, 2, 4)];
        let view = |m| panel_view(&c, margin(m), &[app(1)], &sheets, &BTreeMap::new()).unwrap();
        let at = view("1.5");
        assert_eq!(at[0].spread, Some(d("1.5")));
        assert_eq!(at[0].mean, Some(d("3.25")));
        assert!(!at[0].disagreement);
        assert!(view("1.49")[0].disagreement);
        assert!(!view("1.50")[0].disagreement);
        assert!(!view("2")[0].disagreement);
        // A third: 3 × 2 + 1 × 1 = 7 over 4 = 1.75; spread 4 − 1.75 = 2.25.
        let sheets = [sheet(&c, 1, 1, 5, 1), sheet(&c, 1, 2, 2, 1)];
        let row = &panel_view(&c, margin("2.25"), &[app(1)], &sheets, &BTreeMap::new()).unwrap()[0];
        assert_eq!(row.spread, Some(d("2.25")));
        assert!(!row.disagreement);
        // One score: no spread to speak of.
        let row =
            &panel_view(&c, margin("0"), &[app(1)], &sheets[..1], &BTreeMap::new()).unwrap()[0];
        assert_eq!((row.spread, row.disagreement), (Some(Decimal::ZERO), false));
    }

    #[test]
    fn thirds_at_the_boundary_are_compared_exactly() {
        // Three equal weights on 0–10: 10/3 and 5/3 differ by exactly 5/3,
        // which no decimal margin equals; 1.66 is below, 1.67 above.
        let ids: Vec<_> = (1..=3)
            .map(|i| CriterionId::from_uuid(Uuid::from_u128(i)))
            .collect();
        let c = Criteria::new(
            Scale::new(0, 10).unwrap(),
            ids.iter()
                .map(|id| Criterion::new(*id, &id.to_string(), "", 1).unwrap())
                .collect(),
        )
        .unwrap();
        let s = |assessor, scores: [u8; 3]| SubmittedSheet {
            application_id: app(1).application_id,
            assessor_id: user(assessor),
            sheet: ScoreSheet::new(
                &c,
                ids.iter()
                    .zip(scores)
                    .map(|(id, score)| CriterionScore {
                        criterion_id: *id,
                        score,
                        comment: String::new(),
                    })
                    .collect(),
            )
            .unwrap(),
        };
        let sheets = [s(1, [4, 3, 3]), s(2, [2, 2, 1])];
        let flag = |m| {
            panel_view(&c, margin(m), &[app(1)], &sheets, &BTreeMap::new()).unwrap()[0].disagreement
        };
        assert!(flag("1.66"));
        assert!(!flag("1.67"));
    }

    #[test]
    fn rows_best_first_unscored_last_ties_by_id() {
        let c = criteria();
        let sheets = [
            sheet(&c, 2, 1, 3, 3), // 3.00
            sheet(&c, 3, 1, 5, 5), // 5.00
            sheet(&c, 4, 1, 5, 1), // 4.00 and 2.00: mean 3.00, ties with 2
            sheet(&c, 4, 2, 2, 2),
            sheet(&c, 6, 1, 1, 1), // 1.00
        ];
        let apps: Vec<_> = [6, 5, 4, 3, 2, 1].into_iter().map(app).collect();
        let rows = panel_view(&c, margin("1"), &apps, &sheets, &BTreeMap::new()).unwrap();
        let order: Vec<_> = rows
            .iter()
            .map(|r| r.application_id.as_uuid().as_u128())
            .collect();
        assert_eq!(order, [3, 2, 4, 6, 1, 5]);
        assert_eq!(rows[4].mean, None);
        assert_eq!(rows[4].spread, None);
        assert!(!rows[4].disagreement);
        assert!(rows[2].disagreement);
        let mut shuffled = rows.clone();
        shuffled.reverse();
        sort_for_panel(&mut shuffled);
        assert_eq!(shuffled, rows);
    }

    #[test]
    fn conflicted_sheets_do_not_count() {
        let c = criteria();
        let sheets = [
            sheet(&c, 1, 1, 5, 5),
            sheet(&c, 1, 2, 1, 1),
            sheet(&c, 1, 3, 3, 3),
        ];
        let conflicts = BTreeMap::from([
            (user(2), AssessorConflicts::grantees([app(1).grantee_id])),
            (
                user(3),
                AssessorConflicts::applications([app(1).application_id]),
            ),
        ]);
        let rows = panel_view(&c, margin("0"), &[app(1)], &sheets, &conflicts).unwrap();
        assert_eq!(rows[0].scores.len(), 1);
        assert_eq!(rows[0].scores[0].assessor_id, user(1));
        assert_eq!(rows[0].conflicted_sheets, 2);
        assert_eq!(rows[0].mean, Some(d("5")));
        assert!(!rows[0].disagreement);
    }

    #[test]
    fn refuses_sheets_it_cannot_place() {
        let c = criteria();
        let s = sheet(&c, 1, 1, 5, 5);
        let none = BTreeMap::new();
        assert_eq!(
            panel_view(&c, margin("1"), &[app(1)], &[s.clone(), s.clone()], &none),
            Err(ModerationError::DuplicateSheet {
                application_id: app(1).application_id,
                assessor_id: user(1)
            })
        );
        assert_eq!(
            panel_view(&c, margin("1"), &[app(2)], std::slice::from_ref(&s), &none),
            Err(ModerationError::UnknownApplication {
                application_id: app(1).application_id
            })
        );
        let other = Criteria::new(
            Scale::new(1, 5).unwrap(),
            vec![Criterion::new(CriterionId::new(), "Need", "", 3).unwrap()],
        )
        .unwrap();
        assert!(matches!(
            panel_view(&other, margin("1"), &[app(1)], &[s], &none),
            Err(ModerationError::OtherCriteria { .. })
        ));
    }

    proptest::proptest! {
        /// Weights summing to 10 keep every weighted score a terminating
        /// decimal, so the flag can be checked against plain `>`.
        #[test]
        fn disagreement_is_spread_beyond_margin_and_rows_are_best_first(
            apps in proptest::collection::vec(proptest::collection::vec((1_u8..=5, 1_u8..=5), 0..=4), 1..=6),
            margin_hundredths in 0_i64..=500,
        ) {
            let c = Criteria::new(
                Scale::new(1, 5).unwrap(),
                vec![
                    Criterion::new(CriterionId::new(), "Need", "", 7).unwrap(),
                    Criterion::new(CriterionId::new(), "Plan", "", 3).unwrap(),
                ],
            )
            .unwrap();
            let mut sheets = Vec::new();
            for (a, scores) in apps.iter().enumerate() {
                for (u, (need, plan)) in scores.iter().enumerate() {
                    sheets.push(sheet(&c, a as u128 + 1, u as u128 + 1, *need, *plan));
                }
            }
            let to_cover: Vec<_> = (1..=apps.len() as u128).map(app).collect();
            let m = Margin::new(Decimal::new(margin_hundredths, 2)).unwrap();
            let rows = panel_view(&c, m, &to_cover, &sheets, &BTreeMap::new()).unwrap();
            proptest::prop_assert_eq!(rows.len(), apps.len());
            for r in &rows {
                match r.spread {
                    Some(spread) => proptest::prop_assert_eq!(r.disagreement, spread > m.value()),
                    None => proptest::prop_assert!(!r.disagreement && r.scores.is_empty()),
                }
            }
            for pair in rows.windows(2) {
                let [a, b] = [&pair[0], &pair[1]];
                match (a.mean, b.mean) {
                    (Some(x), Some(y)) => proptest::prop_assert!(x > y || (x == y && a.application_id < b.application_id)),
                    (None, Some(_)) => proptest::prop_assert!(false, "unscored before scored"),
                    (Some(_), None) => {}
                    (None, None) => proptest::prop_assert!(a.application_id < b.application_id),
                }
            }
        }
    }

    #[test]
    fn recommendations() {
        let id = app(1).application_id;
        let r = PanelRecommendation::new(id, PanelDecision::Award, "").unwrap();
        assert_eq!(
            (r.application_id(), r.decision(), r.note()),
            (id, PanelDecision::Award, None)
        );
        assert_eq!(
            PanelRecommendation::new(id, PanelDecision::Reject, &"n".repeat(2001))
                .unwrap_err()
                .to_string(),
            "panel note must be at most 2000 characters; got 2001"
        );
        let json =
            serde_json::json!({"application_id": id, "decision": "reserve", "note": " Next year "});
        let r: PanelRecommendation = serde_json::from_value(json).unwrap();
        assert_eq!(
            (r.decision(), r.note()),
            (PanelDecision::Reserve, Some("Next year"))
        );
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            serde_json::json!({"application_id": id, "decision": "reserve", "note": "Next year"})
        );
        let bad = serde_json::json!({"application_id": id, "decision": "maybe"});
        assert!(serde_json::from_value::<PanelRecommendation>(bad).is_err());
    }
}
