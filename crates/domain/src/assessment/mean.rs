//! An application's mean assessment score: what the round's queue sorts
//! and filters by. Kept to two decimal places, rounded half-up, so the
//! figure staff read is the figure the queue compares.
//!
//! ```
//! use grantledger_domain::assessment::mean::MeanScore;
//! let at_least: MeanScore = "6.5".parse()?;
//! assert_eq!(at_least.hundredths(), 650);
//! assert_eq!(at_least.to_string(), "6.50");
//! assert!("10.01".parse::<MeanScore>().is_err());
//! assert!("6.505".parse::<MeanScore>().is_err());
//! # Ok::<(), grantledger_domain::assessment::mean::MeanScoreError>(())
//! ```

use core::fmt;
use core::str::FromStr;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use super::{Assessment, AssessmentOutcome, Score};

/// A mean of whole scores from 0 to 10, to the hundredth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MeanScore(u16);

/// Why a mean score was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeanScoreError {
    /// Not a number from 0 to 10 with at most two decimal places.
    #[error("a score must be a number from 0 to 10 with at most two decimal places; got {got:?}")]
    Invalid {
        /// What was given.
        got: String,
    },
}

impl MeanScore {
    /// The highest mean, in hundredths.
    const MAX_HUNDREDTHS: u16 = Score::MAX as u16 * 100;

    /// The mean of the scores in `all` (one application's assessments)
    /// that count ([`Assessment::counts`]), or `None` when none does.
    ///
    /// ```
    /// use chrono::Utc;
    /// use grantledger_domain::assessment::*;
    /// use grantledger_domain::assessment::mean::MeanScore;
    /// use grantledger_domain::ids::{ApplicationId, AssessmentId, UserId};
    /// let app = ApplicationId::new();
    /// let scored = |s| Assessment {
    ///     id: AssessmentId::new(),
    ///     application_id: app,
    ///     assessor_id: UserId::new(),
    ///     outcome: AssessmentOutcome::Scored {
    ///         score: Score::new(s).unwrap(),
    ///         recommendation: Recommendation::Award,
    ///         comment: String::new(),
    ///     },
    ///     recorded_at: Utc::now(),
    /// };
    /// let all = [scored(7), scored(8), scored(8)];
    /// assert_eq!(MeanScore::of(&all).unwrap().to_string(), "7.67");
    /// assert_eq!(MeanScore::of(&[]), None);
    /// ```
    #[must_use]
    pub fn of(all: &[Assessment]) -> Option<MeanScore> {
        let counted: Vec<u8> = all
            .iter()
            .filter(|a| a.counts(all))
            .filter_map(|a| match &a.outcome {
                AssessmentOutcome::Scored { score, .. } => Some(score.value()),
                AssessmentOutcome::ConflictDeclared { .. } => None,
            })
            .collect();
        if counted.is_empty() {
            return None;
        }
        let sum: u64 = counted.iter().map(|s| u64::from(*s)).sum();
        let mean = Decimal::from(sum * 100) / Decimal::from(counted.len());
        let hundredths = mean
            .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
            .to_u16()?;
        MeanScore::from_hundredths(hundredths).ok()
    }

    /// A mean kept as hundredths (as the store keeps it).
    ///
    /// # Errors
    /// [`MeanScoreError::Invalid`] above 10.00.
    pub fn from_hundredths(hundredths: u16) -> Result<MeanScore, MeanScoreError> {
        if hundredths <= Self::MAX_HUNDREDTHS {
            Ok(MeanScore(hundredths))
        } else {
            Err(MeanScoreError::Invalid {
                got: hundredths.to_string(),
            })
        }
    }

    /// The mean in hundredths: 767 is 7.67.
    #[must_use]
    pub const fn hundredths(self) -> u16 {
        self.0
    }

    /// The mean as a decimal with two places.
    #[must_use]
    pub fn as_decimal(self) -> Decimal {
        Decimal::new(i64::from(self.0), 2)
    }
}

impl fmt::Display for MeanScore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.as_decimal())
    }
}

impl FromStr for MeanScore {
    type Err = MeanScoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || MeanScoreError::Invalid { got: s.to_owned() };
        let typed = s.trim();
        if typed.is_empty() || !typed.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return Err(invalid());
        }
        let d = Decimal::from_str(typed).map_err(|_| invalid())?;
        if d.scale() > 2 {
            return Err(invalid());
        }
        let hundredths = (d * Decimal::ONE_HUNDRED).to_u16().ok_or_else(invalid)?;
        MeanScore::from_hundredths(hundredths).map_err(|_| invalid())
    }
}

impl serde::Serialize for MeanScore {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for MeanScore {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let typed = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        typed.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assessment::Recommendation;
    use crate::ids::{ApplicationId, AssessmentId, UserId};
    use chrono::Utc;

    fn by(app: ApplicationId, assessor: UserId, outcome: AssessmentOutcome) -> Assessment {
        Assessment {
            id: AssessmentId::new(),
            application_id: app,
            assessor_id: assessor,
            outcome,
            recorded_at: Utc::now(),
        }
    }

    fn scored(s: u8) -> AssessmentOutcome {
        AssessmentOutcome::Scored {
            score: Score::new(s).unwrap(),
            recommendation: Recommendation::Award,
            comment: String::new(),
        }
    }

    #[test]
    fn a_score_withdrawn_by_a_later_conflict_stops_counting() {
        let app = ApplicationId::new();
        let (a, b) = (UserId::new(), UserId::new());
        let conflict = AssessmentOutcome::ConflictDeclared {
            declaration: "my sister runs it".into(),
        };
        let all = [
            by(app, a, scored(2)),
            by(app, b, scored(9)),
            by(app, a, conflict),
        ];
        assert_eq!(MeanScore::of(&all).unwrap().hundredths(), 900);
        assert_eq!(MeanScore::of(&all[2..]), None);
    }

    #[test]
    fn means_round_half_up_to_the_hundredth() {
        let app = ApplicationId::new();
        // 1/8 = 0.125: the midpoint rounds up.
        let mut all: Vec<Assessment> = (0..7).map(|_| by(app, UserId::new(), scored(0))).collect();
        all.push(by(app, UserId::new(), scored(1)));
        assert_eq!(MeanScore::of(&all).unwrap().to_string(), "0.13");
        let two = [
            by(app, UserId::new(), scored(10)),
            by(app, UserId::new(), scored(10)),
        ];
        assert_eq!(MeanScore::of(&two).unwrap().to_string(), "10.00");
    }

    #[test]
    fn typed_means_are_read_strictly() {
        assert_eq!("7".parse::<MeanScore>().unwrap().hundredths(), 700);
        assert_eq!(" 0.05 ".parse::<MeanScore>().unwrap().hundredths(), 5);
        for bad in ["", "-1", "10.5", "abc", "7,5", "1e1", "6.505", "+3"] {
            assert!(bad.parse::<MeanScore>().is_err(), "{bad}");
        }
        assert!(MeanScore::from_hundredths(1001).is_err());
    }
}
