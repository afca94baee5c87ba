//! What the application routes take and answer with.

use chrono::{DateTime, Utc};
use grantledger_domain::Money;
use grantledger_domain::application::{ApplicationStatus, QueueOrder};
use grantledger_domain::assessment::mean::MeanScore;
use grantledger_domain::assessment::{Assessment, AssessmentOutcome, Recommendation, Score};
use grantledger_domain::ids::{ApplicationId, AssessmentId, GranteeId, RoundId, UserId};
use grantledger_domain::user::Role;
use grantledger_store::applications;
use grantledger_store::common::Record;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, Problem};
use crate::http::Fields;
use crate::operations::applications::{Decided, DraftChanges, NewApplication};
pub use crate::operations::applications::{DecisionBody, Outcome};
use crate::routes::awards::AwardView;

/// An application as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationView {
    /// The application's id.
    pub id: ApplicationId,
    /// The round applied to.
    pub round_id: RoundId,
    /// The applicant.
    pub grantee_id: GranteeId,
    /// What is asked for.
    pub amount_requested: Money,
    /// The project's title.
    pub project_title: String,
    /// What the project will do.
    pub summary: String,
    /// `draft`, `submitted`, `under_review`, `awarded`, `rejected` or `withdrawn`.
    pub status: ApplicationStatus,
    /// When it was submitted.
    pub submitted_at: Option<DateTime<Utc>>,
    /// When it was awarded or rejected.
    pub decided_at: Option<DateTime<Utc>>,
    /// The decision's feedback, which the applicant reads.
    pub decision_feedback: Option<String>,
    /// The decision's internal note, for staff only: absent from every
    /// answer to a grantee.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_note: Option<String>,
    /// A later deadline for this application alone, with the reason an
    /// administrator gave it; absent when it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline_extension: Option<DeadlineExtensionView>,
    /// The mean of the assessors' scores that count (0–10, two decimal
    /// places), for administrators and auditors only; absent otherwise
    /// and until it is scored.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "7.67")]
    pub mean_score: Option<MeanScore>,
    /// The version, also sent as the `ETag`.
    pub version: i64,
    /// When it was started.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// An application record and the role of whoever will read it, which
/// decides whether the internal note is shown.
impl From<(Record<applications::Stored>, Role)> for ApplicationView {
    fn from((r, reader): (Record<applications::Stored>, Role)) -> Self {
        let a = r.value.application;
        ApplicationView {
            id: a.id,
            round_id: a.round_id,
            grantee_id: a.grantee_id,
            amount_requested: a.amount_requested,
            project_title: a.project_title,
            summary: a.summary,
            status: a.status,
            submitted_at: a.submitted_at,
            decided_at: r.value.decided_at,
            decision_feedback: r.value.decision_feedback,
            decision_note: r
                .value
                .decision_note
                .filter(|_| reader.sees_internal_notes()),
            deadline_extension: a.deadline_extension.map(|e| DeadlineExtensionView {
                until: e.until,
                reason: e.reason,
            }),
            mean_score: r.value.mean_score.filter(|_| reader.sees_mean_scores()),
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A later deadline for one application.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeadlineExtensionView {
    /// It may be submitted until this instant.
    pub until: DateTime<Utc>,
    /// Why the extension was given.
    pub reason: String,
}

/// A new draft application.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApplicationBody {
    /// What is asked for.
    pub amount_requested: Money,
    /// The project's title.
    pub project_title: String,
    /// What the project will do.
    pub summary: String,
    /// The applicant; administrators only (a grantee applies for its own organisation).
    pub grantee_id: Option<GranteeId>,
}

/// Changes to a draft; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationChangesBody {
    /// A new amount.
    pub amount_requested: Option<Money>,
    /// A new title.
    pub project_title: Option<String>,
    /// A new summary.
    pub summary: Option<String>,
}

/// Filters for a round's applications.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ApplicationQuery {
    /// Only applications in this status.
    pub status: Option<ApplicationStatus>,
    /// Only this grantee's.
    pub grantee_id: Option<GranteeId>,
    /// Only from grantees in this region.
    pub region: Option<grantledger_domain::grantee::Region>,
    /// Only asking for at least this amount (pounds, e.g. `500.00`).
    #[param(value_type = Option<String>)]
    pub min_amount: Option<grantledger_domain::Money>,
    /// Only asking for at most this amount.
    #[param(value_type = Option<String>)]
    pub max_amount: Option<grantledger_domain::Money>,
    /// Only with a mean assessment score of at least this (0–10, e.g.
    /// `6.5`); administrators and auditors only.
    #[param(value_type = Option<String>)]
    pub min_score: Option<MeanScore>,
    /// `oldest` (the default), `amount_highest`, `amount_lowest` or
    /// `score_highest` (administrators and auditors only; not yet scored
    /// last).
    #[param(inline)]
    pub sort: Option<QueueOrder>,
    /// Most items to return (1–500, default 50).
    #[param(inline)]
    pub limit: Option<crate::http::PageLimit>,
    /// The `next` cursor from the previous page.
    pub after: Option<uuid::Uuid>,
}

/// What an assessor records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssessmentKind {
    /// A score from 0 to 10 and a recommendation.
    Scored,
    /// The assessor has a conflict of interest and will not score.
    ConflictDeclared,
}

/// An assessor's view of an application: `kind` says which of the other
/// fields it takes. One flat object rather than a tagged union, so that every
/// invalid field is named by its own path.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentBody {
    /// `scored` or `conflict_declared`.
    pub kind: AssessmentKind,
    /// 0 to 10; required when scored.
    #[schema(value_type = Option<u8>, minimum = 0, maximum = 10)]
    pub score: Option<Score>,
    /// `award` or `reject`; required when scored.
    pub recommendation: Option<Recommendation>,
    /// Notes for the panel, when scored.
    pub comment: Option<String>,
    /// What the conflict is; required when declaring one.
    pub declaration: Option<String>,
}

impl AssessmentBody {
    /// The outcome it records, or every field that does not fit its kind.
    pub fn outcome(self) -> Result<AssessmentOutcome, ApiError> {
        let mut fields = Fields::default();
        let outcome = match self.kind {
            AssessmentKind::Scored => {
                if self.declaration.is_some() {
                    fields.reject(
                        "declaration",
                        "declaration is only for kind conflict_declared",
                    );
                }
                if self.score.is_none() {
                    fields.reject("score", "score is required when kind is scored");
                }
                if self.recommendation.is_none() {
                    fields.reject(
                        "recommendation",
                        "recommendation is required when kind is scored",
                    );
                }
                self.score
                    .zip(self.recommendation)
                    .map(|(score, recommendation)| AssessmentOutcome::Scored {
                        score,
                        recommendation,
                        comment: self.comment.unwrap_or_default(),
                    })
            }
            AssessmentKind::ConflictDeclared => {
                for (field, given) in [
                    ("score", self.score.is_some()),
                    ("recommendation", self.recommendation.is_some()),
                    ("comment", self.comment.is_some()),
                ] {
                    if given {
                        fields.reject(field, format!("{field} is only for kind scored"));
                    }
                }
                if self.declaration.is_none() {
                    fields.reject(
                        "declaration",
                        "declaration is required when kind is conflict_declared",
                    );
                }
                self.declaration
                    .map(|declaration| AssessmentOutcome::ConflictDeclared { declaration })
            }
        };
        match outcome {
            Some(outcome) if fields.is_ok() => Ok(outcome),
            _ => Err(fields.error()),
        }
    }
}

/// An assessment as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentView {
    /// Its id.
    pub id: AssessmentId,
    /// Who assessed.
    pub assessor_id: UserId,
    /// `scored` or `conflict_declared`.
    pub kind: &'static str,
    /// The score, when scored.
    pub score: Option<u8>,
    /// The recommendation, when scored.
    pub recommendation: Option<Recommendation>,
    /// Notes, or the conflict declared.
    pub comment: String,
    /// Whether the score counts (not overtaken by a later conflict declaration).
    pub counts: bool,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

/// An assessment as the API shows it, given every assessment of its
/// application (which says whether it counts).
pub fn assessment_view(a: &Assessment, all: &[Assessment]) -> AssessmentView {
    let (kind, score, recommendation, comment) = match &a.outcome {
        AssessmentOutcome::Scored {
            score,
            recommendation,
            comment,
        } => (
            "scored",
            Some(score.value()),
            Some(*recommendation),
            comment.clone(),
        ),
        AssessmentOutcome::ConflictDeclared { declaration } => {
            ("conflict_declared", None, None, declaration.clone())
        }
    };
    AssessmentView {
        id: a.id,
        assessor_id: a.assessor_id,
        kind,
        score,
        recommendation,
        comment,
        counts: a.counts(all),
        recorded_at: a.recorded_at,
    }
}

/// The answer to a decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionView {
    /// The application after the decision.
    pub application: ApplicationView,
    /// The award made, when the outcome is `award`.
    pub award: Option<AwardView>,
}

/// Many decisions on one round.
#[derive(Debug, Deserialize, ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct BulkDecisionBody {
    /// One decision per application (at most 1,000).
    #[validate(length(min = 1, max = 1000, message = "send between 1 and 1000 decisions"))]
    pub decisions: Vec<BulkDecisionItem>,
}

/// One decision of a bulk request.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkDecisionItem {
    /// The application decided.
    pub application_id: ApplicationId,
    /// `award` or `reject`.
    pub outcome: Outcome,
    /// The amount to award.
    pub amount: Option<Money>,
    /// What the applicant is told (required to reject). `reason`, its old
    /// name, is still accepted.
    #[serde(default, alias = "reason")]
    pub feedback: Option<String>,
    /// A note for staff only: never shown to the applicant.
    #[serde(default)]
    pub internal_note: Option<String>,
}

/// What happened to one item of a bulk decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkDecisionResult {
    /// The application.
    pub application_id: ApplicationId,
    /// The HTTP status this item would have had on its own (201, 404, 409, 422).
    pub status: u16,
    /// The award made, for a successful award.
    pub award: Option<AwardView>,
    /// What went wrong, for a failed item.
    pub problem: Option<Problem>,
}

/// The answer to a bulk decision: each item's result, in request order.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkDecisionView {
    /// How many items succeeded.
    pub succeeded: usize,
    /// How many failed.
    pub failed: usize,
    /// Each item's result.
    pub results: Vec<BulkDecisionResult>,
}

impl NewApplicationBody {
    /// The operation's input for a draft in `round_id`.
    pub fn into_input(self, round_id: RoundId) -> NewApplication {
        NewApplication {
            round_id,
            grantee_id: self.grantee_id,
            amount_requested: self.amount_requested,
            project_title: self.project_title,
            summary: self.summary,
        }
    }
}

impl From<ApplicationChangesBody> for DraftChanges {
    fn from(b: ApplicationChangesBody) -> Self {
        DraftChanges {
            amount_requested: b.amount_requested,
            project_title: b.project_title,
            summary: b.summary,
        }
    }
}

/// A decision and the role of whoever made it.
impl From<(Decided, Role)> for DecisionView {
    fn from((d, reader): (Decided, Role)) -> Self {
        DecisionView {
            application: (d.application, reader).into(),
            award: d.award.map(AwardView::from),
        }
    }
}

crate::http::versioned!(ApplicationView);
