//! Assessments: an assessor's score and recommendation on an application.
//!
//! The panel rules of a round live in the submodules: the weighted
//! [`criteria`] an administrator sets and the score sheets assessors fill
//! in, the [`assignment`] of assessors to applications around their
//! conflicts of interest, and the [`moderation`] view the panel decides
//! from; and an application's [`mean`] score, which the round's queue
//! sorts and filters by.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::application::{Application, ApplicationStatus};
use crate::ids::{ApplicationId, AssessmentId, UserId};
use crate::text::{self, TextError};

pub mod assignment;
pub mod criteria;
pub mod mean;
pub mod moderation;

/// A score from 0 to 10.
///
/// ```
/// use grantledger_domain::assessment::Score;
/// assert_eq!(Score::new(7)?.value(), 7);
/// assert!(Score::new(11).is_err());
/// # Ok::<(), grantledger_domain::assessment::AssessmentError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "u8")]
pub struct Score(u8);

/// What a score must be, in the words every refusal uses.
const SCORE_EXPECTED: &str = "a whole number from 0 to 10";

impl<'de> Deserialize<'de> for Score {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Score;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(SCORE_EXPECTED)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Score, E> {
                u8::try_from(v)
                    .ok()
                    .and_then(|v| Score::new(v).ok())
                    .ok_or_else(|| E::custom(format!("score must be {SCORE_EXPECTED}; got {v}")))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Score, E> {
                match u64::try_from(v) {
                    Ok(v) => self.visit_u64(v),
                    Err(_) => Err(E::custom(format!(
                        "score must be {SCORE_EXPECTED}; got {v}"
                    ))),
                }
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Score, E> {
                Err(E::custom(format!(
                    "score must be {SCORE_EXPECTED}; got {v}"
                )))
            }
        }
        deserializer.deserialize_u8(V)
    }
}

impl Score {
    /// The highest score.
    pub const MAX: u8 = 10;

    /// Builds a score.
    ///
    /// # Errors
    /// [`AssessmentError::ScoreOutOfRange`] above 10.
    pub const fn new(value: u8) -> Result<Score, AssessmentError> {
        if value <= Self::MAX {
            Ok(Score(value))
        } else {
            Err(AssessmentError::ScoreOutOfRange { got: value })
        }
    }

    /// The score.
    #[must_use]
    pub const fn value(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Score {
    type Error = AssessmentError;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Score::new(value)
    }
}

impl From<Score> for u8 {
    fn from(s: Score) -> u8 {
        s.0
    }
}

string_enum! {
    /// What the assessor recommends.
    pub enum Recommendation("recommendation") {
        /// Fund it.
        Award = "award", "Award";
        /// Do not fund it.
        Reject = "reject", "Reject";
    }
}

/// What the assessor recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AssessmentOutcome {
    /// A scored assessment.
    Scored {
        /// The score.
        score: Score,
        /// The recommendation.
        recommendation: Recommendation,
        /// Notes for the panel (may be empty).
        comment: String,
    },
    /// The assessor has a conflict of interest and will not score.
    ConflictDeclared {
        /// The nature of the conflict.
        declaration: String,
    },
}

/// Why an assessment cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssessmentError {
    /// A score above 10.
    #[error("a score is between 0 and 10; got {got}")]
    ScoreOutOfRange {
        /// The score given.
        got: u8,
    },
    /// The assessor declared a conflict on this application.
    #[error("you have declared a conflict of interest on this application, so you cannot score it")]
    ConflictOfInterest,
    /// The assessor already scored it.
    #[error("you have already scored this application")]
    AlreadyScored,
    /// The assessor already declared a conflict.
    #[error("you have already declared a conflict of interest on this application")]
    ConflictAlreadyDeclared,
    /// The application is not awaiting assessment.
    #[error("only submitted applications or those under review can be assessed; this one is {}", .status.label().to_lowercase())]
    NotAssessable {
        /// Its status.
        status: ApplicationStatus,
    },
    /// A bad comment or declaration.
    #[error(transparent)]
    Text(#[from] TextError),
}

/// One assessor's assessment of one application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    /// Identity.
    pub id: AssessmentId,
    /// The application assessed.
    pub application_id: ApplicationId,
    /// The assessor.
    pub assessor_id: UserId,
    /// What was recorded.
    pub outcome: AssessmentOutcome,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

impl Assessment {
    /// The longest comment or declaration.
    pub const MAX_TEXT_CHARS: usize = 5_000;

    /// Records an assessment, given the application's `existing` assessments.
    /// A conflict may be declared after scoring (the score then stops
    /// counting, see [`Assessment::counts`]), but never the other way round.
    ///
    /// # Errors
    /// An [`AssessmentError`].
    pub fn record(
        id: AssessmentId,
        application: &Application,
        assessor_id: UserId,
        outcome: AssessmentOutcome,
        recorded_at: DateTime<Utc>,
        existing: &[Assessment],
    ) -> Result<Assessment, AssessmentError> {
        if !application.status.is_assessable() {
            return Err(AssessmentError::NotAssessable {
                status: application.status,
            });
        }
        let mine = || {
            existing
                .iter()
                .filter(|a| a.application_id == application.id && a.assessor_id == assessor_id)
        };
        let conflicted =
            mine().any(|a| matches!(a.outcome, AssessmentOutcome::ConflictDeclared { .. }));
        let scored = mine().any(|a| matches!(a.outcome, AssessmentOutcome::Scored { .. }));
        let outcome = match outcome {
            AssessmentOutcome::Scored { .. } if conflicted => {
                return Err(AssessmentError::ConflictOfInterest);
            }
            AssessmentOutcome::Scored { .. } if scored => {
                return Err(AssessmentError::AlreadyScored);
            }
            AssessmentOutcome::ConflictDeclared { .. } if conflicted => {
                return Err(AssessmentError::ConflictAlreadyDeclared);
            }
            AssessmentOutcome::Scored {
                score,
                recommendation,
                comment,
            } => {
                let comment = comment.trim();
                if comment.chars().count() > Self::MAX_TEXT_CHARS {
                    return Err(TextError::TooLong {
                        field: "comment",
                        max: Self::MAX_TEXT_CHARS,
                        got: comment.chars().count(),
                    }
                    .into());
                }
                AssessmentOutcome::Scored {
                    score,
                    recommendation,
                    comment: comment.to_owned(),
                }
            }
            AssessmentOutcome::ConflictDeclared { declaration } => {
                AssessmentOutcome::ConflictDeclared {
                    declaration: text::multi_line(
                        "conflict of interest declaration",
                        &declaration,
                        Self::MAX_TEXT_CHARS,
                    )?,
                }
            }
        };
        Ok(Assessment {
            id,
            application_id: application.id,
            assessor_id,
            outcome,
            recorded_at,
        })
    }

    /// The assessments of an application (`all`) that `viewer` may read. An
    /// assessor who has declared a conflict of interest on it sees only
    /// their own: never the other assessors' scores and comments, which
    /// could be passed on to the applicant they are connected with.
    #[must_use]
    pub fn visible_to(all: &[Assessment], viewer: UserId) -> Vec<&Assessment> {
        let conflicted = all.iter().any(|a| {
            a.assessor_id == viewer
                && matches!(a.outcome, AssessmentOutcome::ConflictDeclared { .. })
        });
        all.iter()
            .filter(|a| !conflicted || a.assessor_id == viewer)
            .collect()
    }

    /// Whether this is a score that should count: scored, by an assessor
    /// who has not declared a conflict on the same application in `all`.
    #[must_use]
    pub fn counts(&self, all: &[Assessment]) -> bool {
        matches!(self.outcome, AssessmentOutcome::Scored { .. })
            && !all.iter().any(|a| {
                a.application_id == self.application_id
                    && a.assessor_id == self.assessor_id
                    && matches!(a.outcome, AssessmentOutcome::ConflictDeclared { .. })
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{at, grantee, m, round};

    fn application(status: ApplicationStatus) -> Application {
        let (r, g) = (round(), grantee());
        let a = Application::draft(ApplicationId::new(), r.id, g.id, m("1000"), "t", "s").unwrap();
        Application { status, ..a }
    }

    fn scored(score: u8) -> AssessmentOutcome {
        AssessmentOutcome::Scored {
            score: Score::new(score).unwrap(),
            recommendation: Recommendation::Award,
            comment: " ok ".into(),
        }
    }

    fn conflict() -> AssessmentOutcome {
        AssessmentOutcome::ConflictDeclared {
            declaration: "My sister runs it".into(),
        }
    }

    #[test]
    fn scores() {
        assert!(Score::new(0).is_ok() && Score::new(10).is_ok());
        assert_eq!(
            Score::new(11),
            Err(AssessmentError::ScoreOutOfRange { got: 11 })
        );
        assert_eq!(serde_json::to_string(&Score::new(7).unwrap()).unwrap(), "7");
        assert_eq!(serde_json::from_str::<Score>("10").unwrap().value(), 10);
        for (input, got) in [("11", "11"), ("300", "300"), ("-1", "-1"), ("7.5", "7.5")] {
            let message = serde_json::from_str::<Score>(input)
                .unwrap_err()
                .to_string();
            assert!(
                message.starts_with(&format!(
                    "score must be a whole number from 0 to 10; got {got}"
                )),
                "{message}"
            );
        }
    }

    #[test]
    fn conflict_blocks_scoring() {
        let app = application(ApplicationStatus::UnderReview);
        let assessor = UserId::new();
        let c = Assessment::record(
            AssessmentId::new(),
            &app,
            assessor,
            conflict(),
            at(2, 0),
            &[],
        )
        .unwrap();
        let err = Assessment::record(
            AssessmentId::new(),
            &app,
            assessor,
            scored(5),
            at(2, 1),
            std::slice::from_ref(&c),
        )
        .unwrap_err();
        assert_eq!(err, AssessmentError::ConflictOfInterest);
        assert_eq!(
            Assessment::record(
                AssessmentId::new(),
                &app,
                assessor,
                conflict(),
                at(2, 1),
                std::slice::from_ref(&c)
            ),
            Err(AssessmentError::ConflictAlreadyDeclared)
        );
        // Another assessor is unaffected.
        assert!(
            Assessment::record(
                AssessmentId::new(),
                &app,
                UserId::new(),
                scored(5),
                at(2, 1),
                &[c]
            )
            .is_ok()
        );
    }

    #[test]
    fn one_score_per_assessor() {
        let app = application(ApplicationStatus::Submitted);
        let assessor = UserId::new();
        let s = Assessment::record(
            AssessmentId::new(),
            &app,
            assessor,
            scored(8),
            at(2, 0),
            &[],
        )
        .unwrap();
        assert_eq!(
            s.outcome,
            AssessmentOutcome::Scored {
                score: Score::new(8).unwrap(),
                recommendation: Recommendation::Award,
                comment: "ok".into()
            }
        );
        assert_eq!(
            Assessment::record(
                AssessmentId::new(),
                &app,
                assessor,
                scored(9),
                at(2, 1),
                std::slice::from_ref(&s)
            ),
            Err(AssessmentError::AlreadyScored)
        );
        assert!(s.counts(std::slice::from_ref(&s)));
        let late = Assessment::record(
            AssessmentId::new(),
            &app,
            assessor,
            conflict(),
            at(2, 1),
            std::slice::from_ref(&s),
        )
        .unwrap();
        assert!(!s.counts(&[s.clone(), late.clone()]));
        assert!(!late.counts(&[s, late.clone()]));
    }

    #[test]
    fn only_open_applications() {
        for status in ApplicationStatus::ALL {
            let result = Assessment::record(
                AssessmentId::new(),
                &application(status),
                UserId::new(),
                scored(5),
                at(2, 0),
                &[],
            );
            assert_eq!(
                result.is_ok(),
                matches!(
                    status,
                    ApplicationStatus::Submitted | ApplicationStatus::UnderReview
                ),
                "{status}"
            );
        }
        let err = Assessment::record(
            AssessmentId::new(),
            &application(ApplicationStatus::Draft),
            UserId::new(),
            scored(5),
            at(2, 0),
            &[],
        );
        assert_eq!(
            err.unwrap_err().to_string(),
            "only submitted applications or those under review can be assessed; this one is draft"
        );
    }

    #[test]
    fn declaration_required() {
        let app = application(ApplicationStatus::Submitted);
        let err = Assessment::record(
            AssessmentId::new(),
            &app,
            UserId::new(),
            AssessmentOutcome::ConflictDeclared {
                declaration: "".into(),
            },
            at(2, 0),
            &[],
        );
        assert_eq!(
            err.unwrap_err().to_string(),
            "conflict of interest declaration must not be empty"
        );
    }

    #[test]
    fn a_conflicted_assessor_sees_only_their_own_assessments() {
        let app = application(ApplicationStatus::UnderReview);
        let (scorer, conflicted) = (UserId::new(), UserId::new());
        let score = Assessment::record(AssessmentId::new(), &app, scorer, scored(8), at(1, 0), &[])
            .unwrap();
        let early = Assessment::record(
            AssessmentId::new(),
            &app,
            conflicted,
            scored(9),
            at(2, 0),
            std::slice::from_ref(&score),
        )
        .unwrap();
        let before = [score.clone(), early.clone()];
        assert_eq!(Assessment::visible_to(&before, conflicted).len(), 2);
        let declared = Assessment::record(
            AssessmentId::new(),
            &app,
            conflicted,
            AssessmentOutcome::ConflictDeclared {
                declaration: "I chair its board".into(),
            },
            at(3, 0),
            &before,
        )
        .unwrap();
        let all = [score.clone(), early.clone(), declared.clone()];
        assert_eq!(
            Assessment::visible_to(&all, conflicted),
            [&early, &declared]
        );
        assert_eq!(Assessment::visible_to(&all, scorer).len(), 3);
    }

    #[test]
    fn outcome_json() {
        let json = serde_json::to_value(scored(3)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "scored", "score": 3, "recommendation": "award", "comment": " ok "})
        );
    }
}
