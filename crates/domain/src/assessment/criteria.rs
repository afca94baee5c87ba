//! A round's assessment criteria and the score sheets assessors fill in.
//!
//! An administrator sets the [`Criteria`] of a round: one shared [`Scale`]
//! (e.g. 1–5) and up to 20 weighted [`Criterion`]s. An assessor's scores
//! become a [`ScoreSheet`] only once every criterion is scored exactly once
//! and inside the scale; its [`WeightedScore`] is exact.
//!
//! ```
//! use grantledger_domain::assessment::criteria::*;
//! use grantledger_domain::ids::CriterionId;
//!
//! let (need, plan) = (CriterionId::new(), CriterionId::new());
//! let criteria = Criteria::new(
//!     Scale::new(1, 5)?,
//!     vec![
//!         Criterion::new(need, "Evidence of need", "Who is lonely, and how do you know?", 3)?,
//!         Criterion::new(plan, "Delivery plan", "", 1)?,
//!     ],
//! )?;
//! let sheet = ScoreSheet::new(
//!     &criteria,
//!     vec![
//!         CriterionScore { criterion_id: need, score: 5, comment: "Strong local survey".into() },
//!         CriterionScore { criterion_id: plan, score: 1, comment: String::new() },
//!     ],
//! )?;
//! let total = sheet.weighted_total(&criteria);
//! assert_eq!(total.rounded().to_string(), "4.00"); // (3×5 + 1×1) / (3 + 1)
//! assert_eq!(total.percent_of_scale().to_string(), "75.00"); // (4 − 1) / (5 − 1)
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt;
use std::collections::BTreeSet;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::ids::CriterionId;
use crate::text::{TextError, single_line};

/// Why a scale, a criterion or a round's criteria were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CriteriaError {
    /// The lowest score is not below the highest.
    #[error("the lowest score on the scale ({min}) must be below the highest ({max})")]
    ScaleNotIncreasing {
        /// The lowest score given.
        min: u8,
        /// The highest score given.
        max: u8,
    },
    /// The highest score is above [`Scale::MAX`].
    #[error("the highest score on the scale must be at most 100; got {max}")]
    ScaleTooLarge {
        /// The highest score given.
        max: u8,
    },
    /// A criterion's name is empty, too long or has line breaks.
    #[error(transparent)]
    Name(TextError),
    /// A criterion's guidance is too long or has control characters.
    #[error("in criterion \"{criterion}\", {source}")]
    Guidance {
        /// The criterion's name.
        criterion: String,
        /// What is wrong with the guidance.
        source: TextError,
    },
    /// A criterion's weight is not 1–100.
    #[error(
        "the weight of criterion \"{criterion}\" must be a whole number from 1 to 100; got {got}"
    )]
    Weight {
        /// The criterion's name.
        criterion: String,
        /// The weight given.
        got: u8,
    },
    /// No criteria at all.
    #[error("a round needs at least one assessment criterion")]
    NoCriteria,
    /// More than [`Criteria::MAX_CRITERIA`].
    #[error("a round can have at most 20 assessment criteria; got {got}")]
    TooMany {
        /// How many were given.
        got: usize,
    },
    /// Two criteria with the same name, ignoring case.
    #[error(
        "there are two criteria called \"{name}\"; criterion names must differ (ignoring case)"
    )]
    DuplicateName {
        /// The second criterion's name.
        name: String,
    },
    /// Two criteria with the same id.
    #[error("criterion \"{name}\" has the same id as another criterion")]
    DuplicateId {
        /// The second criterion's name.
        name: String,
    },
}

/// The whole-number scores every criterion of a round is scored on, e.g.
/// 1–5 or 0–10: the lowest below the highest, the highest at most 100.
///
/// ```
/// use grantledger_domain::assessment::criteria::Scale;
/// let scale = Scale::new(0, 10)?;
/// assert!(scale.contains(10) && !scale.contains(11));
/// assert!(Scale::new(5, 5).is_err());
/// # Ok::<(), grantledger_domain::assessment::criteria::CriteriaError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "ScaleInput")]
pub struct Scale {
    min: u8,
    max: u8,
}

#[derive(Deserialize)]
struct ScaleInput {
    min: u8,
    max: u8,
}

impl TryFrom<ScaleInput> for Scale {
    type Error = CriteriaError;

    fn try_from(input: ScaleInput) -> Result<Self, Self::Error> {
        Scale::new(input.min, input.max)
    }
}

impl Scale {
    /// The highest a scale may go.
    pub const MAX: u8 = 100;

    /// Builds a scale from its lowest and highest score.
    ///
    /// # Errors
    /// [`CriteriaError::ScaleNotIncreasing`] or [`CriteriaError::ScaleTooLarge`].
    pub const fn new(min: u8, max: u8) -> Result<Scale, CriteriaError> {
        if max > Self::MAX {
            Err(CriteriaError::ScaleTooLarge { max })
        } else if min >= max {
            Err(CriteriaError::ScaleNotIncreasing { min, max })
        } else {
            Ok(Scale { min, max })
        }
    }

    /// The lowest score.
    #[must_use]
    pub const fn min(self) -> u8 {
        self.min
    }

    /// The highest score.
    #[must_use]
    pub const fn max(self) -> u8 {
        self.max
    }

    /// The distance from the lowest to the highest score (always at least 1).
    #[must_use]
    pub const fn range(self) -> u8 {
        self.max - self.min
    }

    /// Whether `score` is on the scale.
    #[must_use]
    pub const fn contains(self, score: u8) -> bool {
        self.min <= score && score <= self.max
    }
}

impl fmt::Display for Scale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} to {}", self.min, self.max)
    }
}

text_type!(
    /// A criterion's name, e.g. "Evidence of need": trimmed, 1–200
    /// characters, one line.
    CriterionName,
    "criterion name",
    200
);

/// Guidance for assessors on a criterion: trimmed, may be empty, at most
/// 2,000 characters; line breaks allowed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Guidance(String);

impl Guidance {
    /// The most characters allowed.
    pub const MAX_CHARS: usize = 2_000;

    /// Trims and validates.
    ///
    /// # Errors
    /// A [`TextError`] when too long or with control characters other than
    /// line breaks and tabs.
    pub fn parse(s: &str) -> Result<Guidance, TextError> {
        optional_multi_line("guidance", s, Self::MAX_CHARS).map(Guidance)
    }

    /// The text (may be empty).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Guidance {
    type Error = TextError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Guidance::parse(&s)
    }
}

impl From<Guidance> for String {
    fn from(g: Guidance) -> String {
        g.0
    }
}

/// Trims `s`; empty is fine; otherwise at most `max` characters and no
/// control characters but line breaks and tabs.
pub(crate) fn optional_multi_line(
    field: &'static str,
    s: &str,
    max: usize,
) -> Result<String, TextError> {
    let t = s.trim();
    if t.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(TextError::ControlCharacter { field });
    }
    let got = t.chars().count();
    if got > max {
        return Err(TextError::TooLong { field, max, got });
    }
    Ok(t.to_owned())
}

/// How much a criterion counts: a whole number from 1 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Weight(u8);

/// A weight outside 1–100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a weight must be a whole number from 1 to 100; got {got}")]
pub struct WeightError {
    /// The weight given.
    pub got: u8,
}

impl Weight {
    /// The largest weight.
    pub const MAX: u8 = 100;

    /// Builds a weight.
    ///
    /// # Errors
    /// [`WeightError`] for 0 or above 100.
    pub const fn new(value: u8) -> Result<Weight, WeightError> {
        if value >= 1 && value <= Self::MAX {
            Ok(Weight(value))
        } else {
            Err(WeightError { got: value })
        }
    }

    /// The weight.
    #[must_use]
    pub const fn value(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Weight {
    type Error = WeightError;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Weight::new(value)
    }
}

impl From<Weight> for u8 {
    fn from(w: Weight) -> u8 {
        w.0
    }
}

/// One assessment criterion of a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CriterionInput")]
pub struct Criterion {
    id: CriterionId,
    name: CriterionName,
    guidance: Guidance,
    weight: Weight,
}

#[derive(Deserialize)]
struct CriterionInput {
    id: CriterionId,
    name: String,
    #[serde(default)]
    guidance: String,
    weight: u8,
}

impl TryFrom<CriterionInput> for Criterion {
    type Error = CriteriaError;

    fn try_from(input: CriterionInput) -> Result<Self, Self::Error> {
        Criterion::new(input.id, &input.name, &input.guidance, input.weight)
    }
}

impl Criterion {
    /// Builds a criterion; errors name it.
    ///
    /// # Errors
    /// [`CriteriaError::Name`], [`CriteriaError::Guidance`] or [`CriteriaError::Weight`].
    pub fn new(
        id: CriterionId,
        name: &str,
        guidance: &str,
        weight: u8,
    ) -> Result<Criterion, CriteriaError> {
        let name = CriterionName::parse(name).map_err(CriteriaError::Name)?;
        let guidance = Guidance::parse(guidance).map_err(|source| CriteriaError::Guidance {
            criterion: name.to_string(),
            source,
        })?;
        let weight = Weight::new(weight).map_err(|e| CriteriaError::Weight {
            criterion: name.to_string(),
            got: e.got,
        })?;
        Ok(Criterion {
            id,
            name,
            guidance,
            weight,
        })
    }

    /// Identity.
    #[must_use]
    pub const fn id(&self) -> CriterionId {
        self.id
    }

    /// The name.
    #[must_use]
    pub const fn name(&self) -> &CriterionName {
        &self.name
    }

    /// Guidance for assessors (may be empty).
    #[must_use]
    pub const fn guidance(&self) -> &Guidance {
        &self.guidance
    }

    /// How much it counts.
    #[must_use]
    pub const fn weight(&self) -> Weight {
        self.weight
    }
}

/// A round's assessment criteria: 1–20 criteria with different names
/// (ignoring case) and different ids, all scored on one [`Scale`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CriteriaInput")]
pub struct Criteria {
    scale: Scale,
    criteria: Vec<Criterion>,
}

#[derive(Deserialize)]
struct CriteriaInput {
    scale: Scale,
    criteria: Vec<Criterion>,
}

impl TryFrom<CriteriaInput> for Criteria {
    type Error = CriteriaError;

    fn try_from(input: CriteriaInput) -> Result<Self, Self::Error> {
        Criteria::new(input.scale, input.criteria)
    }
}

impl Criteria {
    /// The most criteria a round may have.
    pub const MAX_CRITERIA: usize = 20;

    /// Checks the list; errors name the offending criterion.
    ///
    /// # Errors
    /// [`CriteriaError::NoCriteria`], [`CriteriaError::TooMany`],
    /// [`CriteriaError::DuplicateName`] or [`CriteriaError::DuplicateId`].
    pub fn new(scale: Scale, criteria: Vec<Criterion>) -> Result<Criteria, CriteriaError> {
        if criteria.is_empty() {
            return Err(CriteriaError::NoCriteria);
        }
        if criteria.len() > Self::MAX_CRITERIA {
            return Err(CriteriaError::TooMany {
                got: criteria.len(),
            });
        }
        let mut names = BTreeSet::new();
        let mut ids = BTreeSet::new();
        for c in &criteria {
            if !names.insert(c.name.as_str().to_lowercase()) {
                return Err(CriteriaError::DuplicateName {
                    name: c.name.to_string(),
                });
            }
            if !ids.insert(c.id) {
                return Err(CriteriaError::DuplicateId {
                    name: c.name.to_string(),
                });
            }
        }
        Ok(Criteria { scale, criteria })
    }

    /// The scale every criterion is scored on.
    #[must_use]
    pub const fn scale(&self) -> Scale {
        self.scale
    }

    /// The criteria, in the order the administrator gave them.
    #[must_use]
    pub fn criteria(&self) -> &[Criterion] {
        &self.criteria
    }

    /// The criterion with this id.
    #[must_use]
    pub fn get(&self, id: CriterionId) -> Option<&Criterion> {
        self.criteria.iter().find(|c| c.id == id)
    }

    /// The sum of the weights (1–2,000).
    #[must_use]
    pub fn total_weight(&self) -> u32 {
        self.criteria.iter().map(|c| u32::from(c.weight.0)).sum()
    }
}

/// An assessor's score on one criterion, as submitted: checked only when it
/// becomes part of a [`ScoreSheet`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionScore {
    /// The criterion scored.
    pub criterion_id: CriterionId,
    /// The score, on the round's scale.
    pub score: u8,
    /// Notes for the panel (may be empty; at most 5,000 characters).
    #[serde(default)]
    pub comment: String,
}

/// Why an assessor's scores do not make a score sheet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScoreSheetError {
    /// A criterion has no score.
    #[error("criterion \"{criterion}\" has not been scored")]
    Missing {
        /// The criterion's name.
        criterion: String,
    },
    /// A score for a criterion the round does not have.
    #[error(
        "a score was given for a criterion that is not one of this round's criteria (id {criterion_id})"
    )]
    Unknown {
        /// The id given.
        criterion_id: CriterionId,
    },
    /// Two scores for one criterion.
    #[error("criterion \"{criterion}\" was scored more than once")]
    Duplicate {
        /// The criterion's name.
        criterion: String,
    },
    /// A score off the scale.
    #[error(
        "the score for criterion \"{criterion}\" must be a whole number from {scale}; got {got}"
    )]
    OutOfScale {
        /// The criterion's name.
        criterion: String,
        /// The round's scale.
        scale: Scale,
        /// The score given.
        got: u8,
    },
    /// A bad comment.
    #[error("on criterion \"{criterion}\", {source}")]
    Comment {
        /// The criterion's name.
        criterion: String,
        /// What is wrong with it.
        source: TextError,
    },
}

/// An assessor's complete scores on a round's [`Criteria`]: every criterion
/// scored exactly once, inside the scale, in the criteria's order.
///
/// It keeps the weights and scale it was checked against, so its
/// [`WeightedScore`] can never mix criteria. To read one from JSON,
/// deserialise the `Vec<CriterionScore>` and call [`ScoreSheet::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreSheet {
    scale: Scale,
    entries: Vec<(CriterionScore, Weight)>,
}

impl Serialize for ScoreSheet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.scores())
    }
}

impl ScoreSheet {
    /// The longest comment on one criterion.
    pub const MAX_COMMENT_CHARS: usize = 5_000;

    /// Checks `scores` against `criteria`; comments are trimmed.
    ///
    /// # Errors
    /// A [`ScoreSheetError`] naming the criterion: unknown, scored twice,
    /// off the scale, a bad comment, or not scored.
    pub fn new(
        criteria: &Criteria,
        scores: Vec<CriterionScore>,
    ) -> Result<ScoreSheet, ScoreSheetError> {
        let scale = criteria.scale;
        let mut seen = BTreeSet::new();
        let mut checked = Vec::with_capacity(scores.len());
        for s in scores {
            let Some(criterion) = criteria.get(s.criterion_id) else {
                return Err(ScoreSheetError::Unknown {
                    criterion_id: s.criterion_id,
                });
            };
            let name = || criterion.name.to_string();
            if !seen.insert(s.criterion_id) {
                return Err(ScoreSheetError::Duplicate { criterion: name() });
            }
            if !scale.contains(s.score) {
                return Err(ScoreSheetError::OutOfScale {
                    criterion: name(),
                    scale,
                    got: s.score,
                });
            }
            let comment = optional_multi_line("comment", &s.comment, Self::MAX_COMMENT_CHARS)
                .map_err(|source| ScoreSheetError::Comment {
                    criterion: name(),
                    source,
                })?;
            checked.push(CriterionScore { comment, ..s });
        }
        let mut entries = Vec::with_capacity(criteria.criteria.len());
        for c in &criteria.criteria {
            let Some(pos) = checked.iter().position(|s| s.criterion_id == c.id) else {
                return Err(ScoreSheetError::Missing {
                    criterion: c.name.to_string(),
                });
            };
            entries.push((checked.swap_remove(pos), c.weight));
        }
        Ok(ScoreSheet { scale, entries })
    }

    /// The scores, in the criteria's order.
    pub fn scores(&self) -> impl Iterator<Item = &CriterionScore> {
        self.entries.iter().map(|(s, _)| s)
    }

    /// The scale the scores are on.
    #[must_use]
    pub const fn scale(&self) -> Scale {
        self.scale
    }

    /// Whether the sheet was checked against these criteria (same scale,
    /// same criteria and weights in the same order).
    #[must_use]
    pub fn is_for(&self, criteria: &Criteria) -> bool {
        self.scale == criteria.scale
            && self.entries.len() == criteria.criteria.len()
            && self
                .entries
                .iter()
                .zip(&criteria.criteria)
                .all(|((s, w), c)| s.criterion_id == c.id && *w == c.weight)
    }

    /// The weighted score: Σ(weight × score) / Σ(weight), exact.
    ///
    /// `criteria` must be the criteria the sheet was checked against
    /// ([`ScoreSheet::is_for`]); the weights used are always the ones the
    /// sheet was checked with, so a sheet can never be totalled on another
    /// round's weights.
    #[must_use]
    pub fn weighted_total(&self, criteria: &Criteria) -> WeightedScore {
        let _ = criteria;
        self.weighted_score()
    }

    /// The weighted score on the weights the sheet was checked with.
    #[must_use]
    pub fn weighted_score(&self) -> WeightedScore {
        let (sum, weight) = self
            .entries
            .iter()
            .fold((0_u32, 0_u32), |(sum, weight), (s, w)| {
                let w = u32::from(w.value());
                (sum + w * u32::from(s.score), weight + w)
            });
        WeightedScore {
            weighted_sum: sum,
            total_weight: weight,
            scale: self.scale,
        }
    }
}

/// A weighted score, held exactly as Σ(weight × score) over Σ(weight).
///
/// Figures for people are rounded to 2 decimal places **half-up** (halves
/// away from zero, as on a calculator; every score is non-negative), from
/// the exact value, never from an already rounded figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeightedScore {
    weighted_sum: u32,
    total_weight: u32,
    scale: Scale,
}

impl WeightedScore {
    /// Σ(weight × score).
    #[must_use]
    pub const fn weighted_sum(self) -> u32 {
        self.weighted_sum
    }

    /// Σ(weight), at least 1.
    #[must_use]
    pub const fn total_weight(self) -> u32 {
        self.total_weight
    }

    /// The scale it is on.
    #[must_use]
    pub const fn scale(self) -> Scale {
        self.scale
    }

    /// The weighted score to `Decimal`'s full precision (28 digits); exact
    /// whenever the quotient terminates, e.g. 4 or 3.25.
    #[must_use]
    pub fn value(self) -> Decimal {
        Decimal::from(self.weighted_sum) / Decimal::from(self.total_weight.max(1))
    }

    /// The weighted score rounded half-up to 2 decimal places, e.g. `4.00`.
    #[must_use]
    pub fn rounded(self) -> Decimal {
        round2(self.value())
    }

    /// Where the score sits on the scale, as a percentage rounded half-up to
    /// 2 decimal places: (score − min) / (max − min) × 100.
    #[must_use]
    pub fn percent_of_scale(self) -> Decimal {
        let weight = Decimal::from(self.total_weight.max(1));
        let above_min = Decimal::from(self.weighted_sum) - Decimal::from(self.scale.min) * weight;
        round2(above_min * Decimal::ONE_HUNDRED / (Decimal::from(self.scale.range()) * weight))
    }
}

/// Rounds half-up (away from zero) to 2 decimal places, keeping 2 places.
pub(crate) fn round2(d: Decimal) -> Decimal {
    let mut r = d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(2);
    r
}

impl Serialize for WeightedScore {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Wire {
            score: Decimal,
            percent_of_scale: Decimal,
        }
        Wire {
            score: self.rounded(),
            percent_of_scale: self.percent_of_scale(),
        }
        .serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn criterion(name: &str, weight: u8) -> Criterion {
        Criterion::new(CriterionId::new(), name, "", weight).unwrap()
    }

    fn two() -> Criteria {
        Criteria::new(
            Scale::new(1, 5).unwrap(),
            vec![criterion("Need", 3), criterion("Plan", 1)],
        )
        .unwrap()
    }

    fn score(c: &Criterion, score: u8) -> CriterionScore {
        CriterionScore {
            criterion_id: c.id(),
            score,
            comment: String::new(),
        }
    }

    fn sheet(criteria: &Criteria, scores: &[u8]) -> Result<ScoreSheet, ScoreSheetError> {
        let scores = criteria
            .criteria()
            .iter()
            .zip(scores)
            .map(|(c, s)| score(c, *s))
            .collect();
        ScoreSheet::new(criteria, scores)
    }

    #[test]
    fn scales() {
        assert_eq!(Scale::new(1, 5).unwrap().range(), 4);
        assert!(Scale::new(0, 100).is_ok());
        assert_eq!(
            Scale::new(5, 3).unwrap_err().to_string(),
            "the lowest score on the scale (5) must be below the highest (3)"
        );
        assert_eq!(
            Scale::new(0, 101),
            Err(CriteriaError::ScaleTooLarge { max: 101 })
        );
        let json = serde_json::to_string(&Scale::new(1, 5).unwrap()).unwrap();
        assert_eq!(json, r#"{"min":1,"max":5}"#);
        assert!(serde_json::from_str::<Scale>(r#"{"min":3,"max":3}"#).is_err());
    }

    #[test]
    fn criterion_errors_name_the_criterion() {
        let id = CriterionId::new();
        assert_eq!(
            Criterion::new(id, "  ", "", 1).unwrap_err().to_string(),
            "criterion name must not be empty"
        );
        assert!(Criterion::new(id, &"x".repeat(201), "", 1).is_err());
        assert_eq!(
            Criterion::new(id, "Need", "", 0).unwrap_err().to_string(),
            "the weight of criterion \"Need\" must be a whole number from 1 to 100; got 0"
        );
        assert!(Criterion::new(id, "Need", "", 101).is_err());
        assert_eq!(
            Criterion::new(id, "Need", &"g".repeat(2001), 1)
                .unwrap_err()
                .to_string(),
            "in criterion \"Need\", guidance must be at most 2000 characters; got 2001"
        );
        let c = Criterion::new(id, " Need ", " Ask who.\nAnd why. ", 100).unwrap();
        assert_eq!(c.name().as_str(), "Need");
        assert_eq!(c.guidance().as_str(), "Ask who.\nAnd why.");
        assert_eq!(c.weight().value(), 100);
    }

    #[test]
    fn criteria_rules() {
        let scale = Scale::new(1, 5).unwrap();
        assert_eq!(Criteria::new(scale, vec![]), Err(CriteriaError::NoCriteria));
        let many = (0..21).map(|i| criterion(&format!("C{i}"), 1)).collect();
        assert_eq!(
            Criteria::new(scale, many),
            Err(CriteriaError::TooMany { got: 21 })
        );
        assert_eq!(
            Criteria::new(scale, vec![criterion("Need", 1), criterion("NEED", 2)])
                .unwrap_err()
                .to_string(),
            "there are two criteria called \"NEED\"; criterion names must differ (ignoring case)"
        );
        let c = criterion("Need", 1);
        let same_id = Criterion::new(c.id(), "Plan", "", 1).unwrap();
        assert_eq!(
            Criteria::new(scale, vec![c, same_id]),
            Err(CriteriaError::DuplicateId {
                name: "Plan".into()
            })
        );
        assert_eq!(two().total_weight(), 4);
    }

    #[test]
    fn criteria_json_goes_through_the_constructor() {
        let criteria = two();
        let json = serde_json::to_string(&criteria).unwrap();
        assert_eq!(serde_json::from_str::<Criteria>(&json).unwrap(), criteria);
        let id = CriterionId::new();
        let bad = format!(
            r#"{{"scale":{{"min":1,"max":5}},"criteria":[{{"id":"{id}","name":"Need","weight":0}}]}}"#
        );
        let err = serde_json::from_str::<Criteria>(&bad)
            .unwrap_err()
            .to_string();
        assert!(err.contains("the weight of criterion \"Need\""), "{err}");
        let dup = format!(
            r#"{{"scale":{{"min":1,"max":5}},"criteria":[{{"id":"{id}","name":"Need","weight":1}},{{"id":"{}","name":"need","weight":1}}]}}"#,
            CriterionId::new()
        );
        let err = serde_json::from_str::<Criteria>(&dup)
            .unwrap_err()
            .to_string();
        assert!(err.contains("two criteria called \"need\""), "{err}");
    }

    #[test]
    fn weighted_total_examples() {
        let criteria = two();
        let total = sheet(&criteria, &[5, 1]).unwrap().weighted_total(&criteria);
        assert_eq!(total.value(), Decimal::from(4));
        assert_eq!(total.rounded().to_string(), "4.00");
        assert_eq!(total.percent_of_scale().to_string(), "75.00");
        let low = sheet(&criteria, &[1, 1]).unwrap().weighted_total(&criteria);
        assert_eq!(low.percent_of_scale().to_string(), "0.00");
        // 3×2 + 1×3 = 9 over 4 = 2.25; 1.25 / 4 = 31.25%.
        let mid = sheet(&criteria, &[2, 3]).unwrap().weighted_total(&criteria);
        assert_eq!(mid.rounded().to_string(), "2.25");
        assert_eq!(mid.percent_of_scale().to_string(), "31.25");
        assert_eq!(
            serde_json::to_value(mid).unwrap(),
            serde_json::json!({"score": "2.25", "percent_of_scale": "31.25"})
        );
    }

    #[test]
    fn rounding_is_half_up() {
        // Weights 1 and 7 on 0–10, scores 0 and 1: 7/8 = 0.875 → 0.88
        // (banker's rounding would give 0.88 too); 1 and 7 with 1, 0:
        // 1/8 = 0.125 → 0.13 (banker's would give 0.12).
        let criteria = Criteria::new(
            Scale::new(0, 10).unwrap(),
            vec![criterion("A", 1), criterion("B", 7)],
        )
        .unwrap();
        let s = sheet(&criteria, &[1, 0]).unwrap().weighted_score();
        assert_eq!(s.value().to_string(), "0.125");
        assert_eq!(s.rounded().to_string(), "0.13");
        // 0.125 / 10 × 100 = 1.25%.
        assert_eq!(s.percent_of_scale().to_string(), "1.25");
        // Thirds: 10/3.
        let thirds = Criteria::new(
            Scale::new(0, 10).unwrap(),
            vec![criterion("A", 1), criterion("B", 1), criterion("C", 1)],
        )
        .unwrap();
        let s = sheet(&thirds, &[3, 3, 4]).unwrap().weighted_score();
        assert_eq!(s.rounded().to_string(), "3.33");
        assert_eq!(s.percent_of_scale().to_string(), "33.33");
    }

    #[test]
    fn score_sheet_errors() {
        let criteria = two();
        let [need, plan] = [&criteria.criteria()[0], &criteria.criteria()[1]];
        assert_eq!(
            ScoreSheet::new(&criteria, vec![score(need, 3)])
                .unwrap_err()
                .to_string(),
            "criterion \"Plan\" has not been scored"
        );
        let stranger = CriterionId::new();
        assert_eq!(
            ScoreSheet::new(
                &criteria,
                vec![
                    score(need, 3),
                    score(plan, 3),
                    CriterionScore {
                        criterion_id: stranger,
                        score: 3,
                        comment: String::new()
                    }
                ]
            ),
            Err(ScoreSheetError::Unknown {
                criterion_id: stranger
            })
        );
        assert_eq!(
            ScoreSheet::new(
                &criteria,
                vec![score(need, 3), score(plan, 3), score(need, 4)]
            )
            .unwrap_err()
            .to_string(),
            "criterion \"Need\" was scored more than once"
        );
        assert_eq!(
            ScoreSheet::new(&criteria, vec![score(need, 3), score(plan, 6)])
                .unwrap_err()
                .to_string(),
            "the score for criterion \"Plan\" must be a whole number from 1 to 5; got 6"
        );
        assert_eq!(
            ScoreSheet::new(&criteria, vec![score(need, 0), score(plan, 3)]),
            Err(ScoreSheetError::OutOfScale {
                criterion: "Need".into(),
                scale: Scale::new(1, 5).unwrap(),
                got: 0
            })
        );
        let long = CriterionScore {
            comment: "c".repeat(5001),
            ..score(plan, 3)
        };
        assert_eq!(
            ScoreSheet::new(&criteria, vec![score(need, 3), long])
                .unwrap_err()
                .to_string(),
            "on criterion \"Plan\", comment must be at most 5000 characters; got 5001"
        );
    }

    #[test]
    fn score_sheet_is_in_criteria_order_with_trimmed_comments() {
        let criteria = two();
        let [need, plan] = [&criteria.criteria()[0], &criteria.criteria()[1]];
        let s = ScoreSheet::new(
            &criteria,
            vec![
                CriterionScore {
                    comment: "  fine \n".into(),
                    ..score(plan, 2)
                },
                score(need, 4),
            ],
        )
        .unwrap();
        let ids: Vec<_> = s.scores().map(|s| s.criterion_id).collect();
        assert_eq!(ids, [need.id(), plan.id()]);
        assert_eq!(s.scores().nth(1).unwrap().comment, "fine");
        assert!(s.is_for(&criteria));
        assert!(!s.is_for(&two()));
        let json = serde_json::to_value(&s).unwrap();
        let back: Vec<CriterionScore> = serde_json::from_value(json).unwrap();
        assert_eq!(ScoreSheet::new(&criteria, back).unwrap(), s);
    }

    fn criteria_and_scores() -> impl Strategy<Value = (Criteria, Vec<u8>)> {
        (
            0_u8..=99,
            1_u8..=100,
            prop::collection::vec(1_u8..=100, 1..=20),
        )
            .prop_flat_map(|(min, range, weights)| {
                let max = min.saturating_add(range).min(100);
                let min = min.min(max - 1);
                let scale = Scale::new(min, max).unwrap();
                let n = weights.len();
                let criteria = Criteria::new(
                    scale,
                    weights
                        .iter()
                        .enumerate()
                        .map(|(i, w)| criterion(&format!("C{i}"), *w))
                        .collect(),
                )
                .unwrap();
                (Just(criteria), prop::collection::vec(min..=max, n))
            })
    }

    proptest! {
        #[test]
        fn weighted_total_lies_between_the_lowest_and_highest_score(
            (criteria, scores) in criteria_and_scores()
        ) {
            let total = sheet(&criteria, &scores).unwrap().weighted_total(&criteria);
            let lo = Decimal::from(*scores.iter().min().unwrap());
            let hi = Decimal::from(*scores.iter().max().unwrap());
            prop_assert!(lo <= total.value() && total.value() <= hi);
            prop_assert!(lo <= total.rounded() && total.rounded() <= hi);
            let pct = total.percent_of_scale();
            prop_assert!(Decimal::ZERO <= pct && pct <= Decimal::ONE_HUNDRED);
        }

        #[test]
        fn equal_weights_give_the_plain_mean(
            weight in 1_u8..=100,
            scores in prop::collection::vec(0_u8..=10, 1..=20)
        ) {
            let criteria = Criteria::new(
                Scale::new(0, 10).unwrap(),
                (0..scores.len()).map(|i| criterion(&format!("C{i}"), weight)).collect(),
            ).unwrap();
            let total = sheet(&criteria, &scores).unwrap().weighted_total(&criteria);
            let sum: u32 = scores.iter().map(|s| u32::from(*s)).sum();
            let n = u32::try_from(scores.len()).unwrap();
            // Exactly: Σ(w × s) / Σ(w) = Σ(s) / n.
            prop_assert_eq!(
                u64::from(total.weighted_sum()) * u64::from(n),
                u64::from(sum) * u64::from(total.total_weight())
            );
            prop_assert_eq!(total.rounded(), round2(Decimal::from(sum) / Decimal::from(n)));
        }
    }
}
