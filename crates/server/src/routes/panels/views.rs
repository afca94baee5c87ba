//! What the panel routes take and answer with.

use chrono::{DateTime, Utc};
use grantledger_domain::assessment::assignment::{
    AssessorsPerApplication, AssignmentPair, AssignmentPlan,
};
use grantledger_domain::assessment::criteria::{
    Criteria, Criterion, CriterionScore, Scale, WeightedScore,
};
use grantledger_domain::assessment::moderation::{
    Margin, ModerationRow, PanelDecision, PanelRecommendation,
};
use grantledger_domain::ids::{ApplicationId, CriterionId, RoundId, UserId};
use grantledger_store::panels::RoundCriteria;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::operations::panels as op;

/// A scale of whole-number scores.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScaleBody {
    /// The lowest score.
    pub min: u8,
    /// The highest score (at most 100).
    pub max: u8,
}

/// One criterion as an administrator sets it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CriterionBody {
    /// Keep a criterion's id when changing it; a new one is made when absent.
    pub id: Option<CriterionId>,
    /// What assessors score, e.g. "Reaches people who are lonely".
    pub name: String,
    /// What a high or low score means (may be empty).
    #[serde(default)]
    pub guidance: String,
    /// Its weight, a whole number from 1 to 100.
    pub weight: u8,
}

/// A round's criteria.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CriteriaBody {
    /// The scale every criterion is scored on.
    pub scale: ScaleBody,
    /// One to twenty criteria with different names.
    pub criteria: Vec<CriterionBody>,
    /// The panel flags an application whose assessors' weighted scores
    /// differ by more than this (a decimal on the scale, e.g. "1.5").
    #[schema(value_type = String, example = "1.5")]
    pub margin: Margin,
}

impl CriteriaBody {
    /// The domain's criteria and margin, or a 422 naming what is wrong.
    ///
    /// # Errors
    /// [`ApiError::Unprocessable`] naming `scale`, `criteria[i]` or `criteria`.
    pub fn criteria(self) -> Result<(Criteria, Margin), ApiError> {
        let scale = Scale::new(self.scale.min, self.scale.max)
            .map_err(|e| ApiError::invalid("scale", e.to_string()))?;
        let criteria = self
            .criteria
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                Criterion::new(
                    c.id.unwrap_or_else(CriterionId::new),
                    &c.name,
                    &c.guidance,
                    c.weight,
                )
                .map_err(|e| ApiError::invalid(format!("criteria[{i}]"), e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let criteria = Criteria::new(scale, criteria)
            .map_err(|e| ApiError::invalid("criteria", e.to_string()))?;
        Ok((criteria, self.margin))
    }
}

/// One criterion.
#[derive(Debug, Serialize, ToSchema)]
pub struct CriterionView {
    /// Its id, which score sheets name.
    pub id: CriterionId,
    /// What assessors score.
    pub name: String,
    /// What a high or low score means.
    pub guidance: String,
    /// Its weight.
    pub weight: u8,
}

/// A round's criteria.
#[derive(Debug, Serialize, ToSchema)]
pub struct CriteriaView {
    /// The round.
    pub round_id: RoundId,
    /// The scale.
    pub scale: ScaleBody,
    /// The criteria.
    pub criteria: Vec<CriterionView>,
    /// The disagreement margin.
    pub margin: String,
    /// Counts changes.
    pub version: i64,
    /// When they last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<RoundCriteria> for CriteriaView {
    fn from(r: RoundCriteria) -> Self {
        let scale = r.criteria.scale();
        CriteriaView {
            round_id: r.round_id,
            scale: ScaleBody {
                min: scale.min(),
                max: scale.max(),
            },
            criteria: r
                .criteria
                .criteria()
                .iter()
                .map(|c| CriterionView {
                    id: c.id(),
                    name: c.name().to_string(),
                    guidance: c.guidance().as_str().to_owned(),
                    weight: c.weight().into(),
                })
                .collect(),
            margin: r.margin.value().to_string(),
            version: r.version,
            updated_at: r.updated_at,
        }
    }
}

/// Assign assessors automatically.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoAssignBody {
    /// How many assessors each application should have (1 to 10).
    #[schema(value_type = u8)]
    pub per_application: AssessorsPerApplication,
    /// The assessors to draw on; every enabled assessor when absent.
    #[serde(default)]
    pub assessors: Vec<UserId>,
}

/// One assessor assigned to one application.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentView {
    /// The application.
    pub application_id: ApplicationId,
    /// The assessor.
    pub assessor_id: UserId,
}

impl From<AssignmentPair> for AssignmentView {
    fn from(p: AssignmentPair) -> Self {
        AssignmentView {
            application_id: p.application_id,
            assessor_id: p.assessor_id,
        }
    }
}

/// An application that could not get as many assessors as asked.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShortfallView {
    /// The application.
    pub application_id: ApplicationId,
    /// How many were asked for.
    pub wanted: u8,
    /// How many it has now.
    pub assigned: usize,
    /// How many assessors are free of a conflict on it.
    pub eligible: usize,
}

/// What automatic assignment did.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentPlanView {
    /// The assignments made now.
    pub assignments: Vec<AssignmentView>,
    /// Applications left with fewer assessors than asked, and why.
    pub shortfalls: Vec<ShortfallView>,
}

impl From<AssignmentPlan> for AssignmentPlanView {
    fn from(plan: AssignmentPlan) -> Self {
        AssignmentPlanView {
            assignments: plan
                .assignments
                .into_iter()
                .map(AssignmentView::from)
                .collect(),
            shortfalls: plan
                .shortfalls
                .into_iter()
                .map(|s| ShortfallView {
                    application_id: s.application_id,
                    wanted: s.wanted,
                    assigned: s.assigned,
                    eligible: s.eligible,
                })
                .collect(),
        }
    }
}

/// Assign one assessor.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// The assessor.
    pub assessor_id: UserId,
}

/// An assessor's scores, one per criterion.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreSheetBody {
    /// Every criterion of the round, scored once.
    #[schema(value_type = Vec<Object>)]
    pub scores: Vec<CriterionScore>,
}

/// A weighted score: exact to two places, and as a percentage of the scale.
#[derive(Debug, Serialize, ToSchema)]
pub struct WeightedScoreView {
    /// Σ(weight × score) ÷ Σ(weight), half-up to two places.
    pub score: String,
    /// The same as a percentage of the scale.
    pub percent_of_scale: String,
}

impl From<WeightedScore> for WeightedScoreView {
    fn from(w: WeightedScore) -> Self {
        WeightedScoreView {
            score: w.rounded().to_string(),
            percent_of_scale: w.percent_of_scale().to_string(),
        }
    }
}

/// A recorded score sheet.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreSheetView {
    /// The application.
    pub application_id: ApplicationId,
    /// The scores as recorded.
    #[schema(value_type = Vec<Object>)]
    pub scores: Vec<CriterionScore>,
    /// The weighted score.
    pub weighted: WeightedScoreView,
}

/// One assessor's weighted score in the panel view.
#[derive(Debug, Serialize, ToSchema)]
pub struct PanelScoreView {
    /// The assessor.
    pub assessor_id: UserId,
    /// Their weighted score.
    pub weighted: WeightedScoreView,
}

/// One application in the panel view.
#[derive(Debug, Serialize, ToSchema)]
pub struct PanelRowView {
    /// The application.
    pub application_id: ApplicationId,
    /// Each counted assessor's weighted score.
    pub scores: Vec<PanelScoreView>,
    /// The mean weighted score (half-up to two places); absent when unscored.
    pub mean: Option<String>,
    /// Highest less lowest weighted score; absent when unscored.
    pub spread: Option<String>,
    /// Whether the spread is wider than the round's margin.
    pub disagreement: bool,
    /// Sheets left out because their assessor declared a conflict.
    pub conflicted_sheets: usize,
    /// The panel's recommendation, once it has made one.
    pub recommendation: Option<RecommendationView>,
}

/// The panel's recommendation on an application.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecommendationView {
    /// The application.
    pub application_id: ApplicationId,
    /// `award`, `reject` or `reserve`.
    #[schema(value_type = String)]
    pub decision: PanelDecision,
    /// The panel's note (staff only, like everything on the panel).
    pub note: Option<String>,
}

impl From<&PanelRecommendation> for RecommendationView {
    fn from(r: &PanelRecommendation) -> Self {
        RecommendationView {
            application_id: r.application_id(),
            decision: r.decision(),
            note: r.note().map(str::to_owned),
        }
    }
}

impl PanelRowView {
    /// A row of the panel with the recommendation on it, if any.
    #[must_use]
    pub fn new(r: ModerationRow, recommendation: Option<&PanelRecommendation>) -> Self {
        PanelRowView {
            recommendation: recommendation.map(RecommendationView::from),
            application_id: r.application_id,
            scores: r
                .scores
                .iter()
                .map(|s| PanelScoreView {
                    assessor_id: s.assessor_id,
                    weighted: s.score.into(),
                })
                .collect(),
            mean: r.mean_rounded().map(|d| d.to_string()),
            spread: r.spread_rounded().map(|d| d.to_string()),
            disagreement: r.disagreement,
            conflicted_sheets: r.conflicted_sheets,
        }
    }
}

/// The panel view of a round.
#[derive(Debug, Serialize, ToSchema)]
pub struct PanelView {
    /// The criteria scored against.
    pub criteria: CriteriaView,
    /// One row per application, highest mean first, unscored last.
    pub rows: Vec<PanelRowView>,
}

impl From<op::Panel> for PanelView {
    fn from(found: op::Panel) -> Self {
        let recommendations = found.recommendations;
        PanelView {
            criteria: found.criteria.into(),
            rows: found
                .rows
                .into_iter()
                .map(|r| {
                    let rec = recommendations.get(&r.application_id);
                    PanelRowView::new(r, rec)
                })
                .collect(),
        }
    }
}

/// The panel's recommendation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecommendationBody {
    /// `award`, `reject` or `reserve` (fund it if money is left).
    #[schema(value_type = String)]
    pub decision: PanelDecision,
    /// A note for staff (optional, at most 2,000 characters).
    #[serde(default)]
    pub note: String,
}
