//! The evaluation API's views (answers).

use chrono::{DateTime, NaiveDate, Utc};
use grantledger_domain::award::AwardStatus;
use grantledger_domain::evaluation::{
    Figures, RegionFigures, ReviewDecision, ReviewStatus, Stage, SurveyResponse,
};
use grantledger_domain::ids::{AwardId, EvaluationReturnId, FundId, GranteeId, RoundId, UserId};
use grantledger_store::evaluation::{AwardContext, OverdueReturn, ReturnVersion, Review};
use serde::Serialize;
use utoipa::ToSchema;

use crate::operations::evaluation::{FundOutcomes, ReturnDetail};

/// Respondents at each stage of one version.
#[derive(Debug, Serialize, ToSchema)]
pub struct RespondentCounts {
    /// Baseline responses.
    pub baseline: usize,
    /// Follow-up responses.
    pub follow_up: usize,
}

/// One version of a return, as submitted. Versions never change.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionView {
    /// The return.
    pub return_id: EvaluationReturnId,
    /// 1 for the first submission, then 2, 3…
    pub number: u32,
    /// First day covered.
    pub period_start: NaiveDate,
    /// Last day covered.
    pub period_end: NaiveDate,
    /// People who took part.
    pub participants_reached: u32,
    /// Volunteers involved.
    pub volunteers: u32,
    /// Sessions delivered.
    pub sessions_delivered: u32,
    /// The narrative.
    pub narrative: String,
    /// The case study, if any.
    pub case_study: Option<String>,
    /// Respondents at each stage.
    pub respondents: RespondentCounts,
    /// The survey responses.
    pub responses: Vec<SurveyResponse>,
    /// Who submitted it.
    pub submitted_by: Option<UserId>,
    /// When.
    pub submitted_at: DateTime<Utc>,
}

impl From<ReturnVersion> for VersionView {
    fn from(v: ReturnVersion) -> Self {
        let c = v.content;
        VersionView {
            return_id: v.return_id,
            number: v.number,
            respondents: RespondentCounts {
                baseline: c.respondents(Stage::Baseline),
                follow_up: c.respondents(Stage::FollowUp),
            },
            period_start: c.period_start,
            period_end: c.period_end,
            participants_reached: c.participants_reached,
            volunteers: c.volunteers,
            sessions_delivered: c.sessions_delivered,
            narrative: c.narrative,
            case_study: c.case_study,
            responses: c.responses,
            submitted_by: v.submitted_by,
            submitted_at: v.submitted_at,
        }
    }
}

/// An administrator's review.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewView {
    /// The version reviewed.
    pub version_number: u32,
    /// `accept` or `request_changes`.
    pub decision: ReviewDecision,
    /// The reviewer's comment.
    pub comment: Option<String>,
    /// Who reviewed.
    pub reviewed_by: Option<UserId>,
    /// When.
    pub reviewed_at: DateTime<Utc>,
}

impl From<Review> for ReviewView {
    fn from(r: Review) -> Self {
        ReviewView {
            version_number: r.version_number,
            decision: r.decision,
            comment: r.comment,
            reviewed_by: r.reviewed_by,
            reviewed_at: r.reviewed_at,
        }
    }
}

/// An evaluation return: its review state, latest version and reviews.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReturnView {
    /// The return's id.
    pub id: EvaluationReturnId,
    /// The award reported on.
    pub award_id: AwardId,
    /// The award's fund.
    pub fund_id: FundId,
    /// The award's round.
    pub round_id: RoundId,
    /// The grantee.
    pub grantee_id: GranteeId,
    /// `submitted`, `accepted` or `changes_requested`.
    pub status: ReviewStatus,
    /// The latest version's number.
    pub latest_version: u32,
    /// The latest version.
    pub current: VersionView,
    /// Every review, oldest first.
    pub reviews: Vec<ReviewView>,
    /// The record version, also sent as the `ETag`.
    pub version: i64,
    /// When first submitted.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<ReturnDetail> for ReturnView {
    fn from(d: ReturnDetail) -> Self {
        let record = d.record;
        let r = record.value;
        ReturnView {
            id: r.id,
            award_id: r.award_id,
            fund_id: r.fund_id,
            round_id: r.round_id,
            grantee_id: r.grantee_id,
            status: r.status,
            latest_version: r.latest_version,
            current: d.current.into(),
            reviews: d.reviews.into_iter().map(ReviewView::from).collect(),
            version: record.version,
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

/// An award's return due date.
#[derive(Debug, Serialize, ToSchema)]
pub struct DueDateView {
    /// The award.
    pub award_id: AwardId,
    /// Its reference.
    pub reference: String,
    /// Its state.
    pub status: AwardStatus,
    /// When its return is due.
    pub return_due_on: Option<NaiveDate>,
    /// The award's version, also sent as the `ETag`.
    pub version: i64,
}

impl From<AwardContext> for DueDateView {
    fn from(a: AwardContext) -> Self {
        DueDateView {
            award_id: a.id,
            reference: a.reference,
            status: a.status,
            return_due_on: a.return_due_on,
            version: a.version,
        }
    }
}

/// An award whose evaluation return is overdue.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverdueView {
    /// The award.
    pub award_id: AwardId,
    /// Its reference.
    pub reference: String,
    /// Its fund.
    pub fund_id: FundId,
    /// Its round.
    pub round_id: RoundId,
    /// The grantee owing the return.
    pub grantee_id: GranteeId,
    /// The award's state (`accepted` or `completed`).
    pub award_status: AwardStatus,
    /// When the return was due.
    pub return_due_on: Option<NaiveDate>,
    /// Whole days since it was due.
    pub days_overdue: i64,
    /// `null` when nothing was submitted; `changes_requested` when a new
    /// version is owed.
    pub return_status: Option<ReviewStatus>,
}

impl OverdueView {
    /// The view of an overdue return, its days counted to `today`.
    pub fn new(o: OverdueReturn, today: NaiveDate) -> Self {
        OverdueView {
            award_id: o.award.id,
            reference: o.award.reference,
            fund_id: o.award.fund_id,
            round_id: o.award.round_id,
            grantee_id: o.award.grantee_id,
            award_status: o.award.status,
            days_overdue: o
                .award
                .return_due_on
                .map_or(0, |due| (today - due).num_days()),
            return_due_on: o.award.return_due_on,
            return_status: o.return_status,
        }
    }
}

/// A round's outcomes.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoundOutcome {
    /// The round.
    pub round_id: RoundId,
    /// Its number.
    pub number: i32,
    /// Its name.
    pub name: String,
    /// Its figures.
    pub figures: Figures,
}

/// A fund's outcomes: returns, respondents, the ONS direct question and the
/// UCLA score, for the fund, each round and each region.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomesView {
    /// The fund.
    pub fund_id: FundId,
    /// Its name.
    pub fund_name: String,
    /// When the report was made.
    pub generated_at: DateTime<Utc>,
    /// Whether disclosure control was applied.
    pub published: bool,
    /// The disclosure control rules, when applied.
    pub disclosure_control: Option<String>,
    /// The base of each figure: whom it counts or averages over.
    pub bases: std::collections::BTreeMap<String, String>,
    /// The whole fund.
    pub total: Figures,
    /// Each round.
    pub by_round: Vec<RoundOutcome>,
    /// Each region with returns.
    pub by_region: Vec<RegionFigures>,
}

const DISCLOSURE_RULES: &str = "Counts below 10 are suppressed (null) and other counts are rounded to the nearest 5; \
where what is published would pin a count to fewer than three possible values, more counts are suppressed. \
Percentages, their intervals and the paired change in the share often/always lonely are computed from the \
published (rounded) counts, as whole numbers, and are not shown at 0% or 100% or where a count they use is suppressed. \
Means are rounded to the nearest 0.5 and kept at least 1 inside their scale (a mean shown as 8 on the 3-9 score \
means 8 or more; -5 on the change scale means -5 or less); they and the change interval are shown only where their count is published.";

fn evaluation_bases() -> std::collections::BTreeMap<String, String> {
    grantledger_domain::evaluation::BASES
        .iter()
        .map(|(figure, base)| ((*figure).to_owned(), (*base).to_owned()))
        .collect()
}

impl From<FundOutcomes> for OutcomesView {
    fn from(o: FundOutcomes) -> Self {
        OutcomesView {
            fund_id: o.fund_id,
            fund_name: o.fund_name,
            generated_at: o.generated_at,
            published: o.published,
            disclosure_control: o.published.then(|| DISCLOSURE_RULES.to_owned()),
            bases: evaluation_bases(),
            total: o.total,
            by_round: o
                .by_round
                .into_iter()
                .map(|r| RoundOutcome {
                    round_id: r.round_id,
                    number: r.number,
                    name: r.name,
                    figures: r.figures,
                })
                .collect(),
            by_region: o.by_region,
        }
    }
}

crate::http::versioned!(ReturnView, DueDateView);
