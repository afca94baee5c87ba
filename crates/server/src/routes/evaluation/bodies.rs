//! The evaluation API's request bodies and query options.

use chrono::NaiveDate;
use grantledger_domain::evaluation::{
    DirectAnswer, ParticipantCode, ResponseInput, ReturnInput, ReviewDecision, Stage, UclaAnswer,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// One anonymous survey response as sent. Coded answers are checked one by
/// one so that every unknown value is reported with its path.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseBody {
    /// `baseline` or `follow_up`.
    #[schema(value_type = Stage)]
    pub stage: String,
    /// A pseudonymous code pairing baseline and follow-up; never personal data.
    #[schema(value_type = Option<ParticipantCode>)]
    pub participant_code: Option<String>,
    /// "How often do you feel lonely?"
    #[schema(value_type = Option<DirectAnswer>)]
    pub direct: Option<String>,
    /// "How often do you feel that you lack companionship?"
    #[schema(value_type = Option<UclaAnswer>)]
    pub lack_companionship: Option<String>,
    /// "How often do you feel left out?"
    #[schema(value_type = Option<UclaAnswer>)]
    pub left_out: Option<String>,
    /// "How often do you feel isolated from others?"
    #[schema(value_type = Option<UclaAnswer>)]
    pub isolated: Option<String>,
}

/// An evaluation return (or a new version of one).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnBody {
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
    /// What happened, in your words.
    pub narrative: String,
    /// An optional case study (anonymised).
    pub case_study: Option<String>,
    /// Anonymous survey responses.
    #[serde(default)]
    pub responses: Vec<ResponseBody>,
}

impl From<ReturnBody> for ReturnInput {
    fn from(b: ReturnBody) -> Self {
        ReturnInput {
            period_start: b.period_start,
            period_end: b.period_end,
            participants_reached: b.participants_reached,
            volunteers: b.volunteers,
            sessions_delivered: b.sessions_delivered,
            narrative: b.narrative,
            case_study: b.case_study,
            responses: b
                .responses
                .into_iter()
                .map(|r| ResponseInput {
                    stage: r.stage,
                    participant_code: r.participant_code,
                    direct: r.direct,
                    lack_companionship: r.lack_companionship,
                    left_out: r.left_out,
                    isolated: r.isolated,
                })
                .collect(),
        }
    }
}

/// A review decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// `accept` or `request_changes`.
    pub decision: ReviewDecision,
    /// What needs to change (required when requesting changes).
    pub comment: Option<String>,
    /// The version you reviewed: if the grantee has since submitted a newer
    /// one, the review is refused with 409 rather than applied to a version
    /// you have not read.
    pub version_number: Option<u32>,
}

/// When an award's evaluation return is due.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DueDateBody {
    /// The due date (`YYYY-MM-DD`), or `null` to clear it.
    pub return_due_on: Option<NaiveDate>,
}

/// Filters for the overdue list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OverdueQuery {
    /// Only this fund's awards.
    pub fund_id: Option<uuid::Uuid>,
    /// Most items to return (1–500, default 50).
    #[param(inline)]
    pub limit: Option<crate::http::PageLimit>,
    /// The `next` cursor from the previous page.
    pub after: Option<uuid::Uuid>,
}

/// `json` or `csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OutcomeFormat {
    /// JSON (the default).
    Json,
    /// CSV: one row per group and measure.
    Csv,
}

/// Options for the outcome report.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OutcomeQuery {
    /// `true` for the published form with disclosure control. Administrators
    /// and auditors get exact figures by default; every other role gets (and
    /// may only get) the published form.
    pub published: Option<bool>,
    /// `json` (default) or `csv`; `Accept: text/csv` also selects CSV.
    // Inline: a query parameter's type is not collected as a component,
    // so a `$ref` to it would dangle (found by tests/tests/hostile.rs).
    #[param(inline)]
    pub format: Option<OutcomeFormat>,
}
