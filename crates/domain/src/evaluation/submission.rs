//! A grantee's evaluation return: what it must contain, how it is checked,
//! and its review state.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::measures::{DirectAnswer, ParticipantCode, Stage, SurveyResponse, UclaAnswer};
use crate::award::AwardStatus;
use crate::ids::{AwardId, EvaluationReturnId, FundId, GranteeId, RoundId};
use crate::money::Money;
use crate::text;
use crate::transition::TransitionError;

/// One invalid value in a return, with the path to it
/// (`responses[3].participant_code`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldIssue {
    /// Where the value is, e.g. `responses[3].direct`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldIssue {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldIssue {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A survey response as typed: every coded value still text, so that every
/// unknown value can be reported at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseInput {
    /// `baseline` or `follow_up`.
    pub stage: String,
    /// A pseudonymous code, if any.
    pub participant_code: Option<String>,
    /// The direct question's answer, if any.
    pub direct: Option<String>,
    /// UCLA: lack companionship.
    pub lack_companionship: Option<String>,
    /// UCLA: left out.
    pub left_out: Option<String>,
    /// UCLA: isolated from others.
    pub isolated: Option<String>,
}

/// A return as submitted, before it is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnInput {
    /// First day the return covers.
    pub period_start: NaiveDate,
    /// Last day it covers.
    pub period_end: NaiveDate,
    /// People who took part.
    pub participants_reached: u32,
    /// Volunteers involved.
    pub volunteers: u32,
    /// Sessions (activities, events) delivered.
    pub sessions_delivered: u32,
    /// What happened, in the grantee's words.
    pub narrative: String,
    /// An optional case study.
    pub case_study: Option<String>,
    /// Anonymous survey responses.
    pub responses: Vec<ResponseInput>,
}

/// The checked content of one version of an evaluation return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnContent {
    /// First day the return covers.
    pub period_start: NaiveDate,
    /// Last day it covers.
    pub period_end: NaiveDate,
    /// People who took part.
    pub participants_reached: u32,
    /// Volunteers involved.
    pub volunteers: u32,
    /// Sessions delivered.
    pub sessions_delivered: u32,
    /// What happened.
    pub narrative: String,
    /// An optional case study.
    pub case_study: Option<String>,
    /// Anonymous survey responses.
    pub responses: Vec<SurveyResponse>,
}

impl ReturnContent {
    /// The most characters in the narrative or the case study.
    pub const MAX_TEXT_CHARS: usize = 20_000;
    /// The most survey responses in one return.
    pub const MAX_RESPONSES: usize = 5_000;

    /// Checks a return and reports every invalid value at once: unknown
    /// answers, codes that look like personal data, a code used twice at one
    /// stage, a period that ends before it starts, and more respondents at a
    /// stage than participants reached.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use grantledger_domain::evaluation::{ResponseInput, ReturnContent, ReturnInput};
    ///
    /// let response = |stage: &str, code: &str, direct: &str| ResponseInput {
    ///     stage: stage.into(),
    ///     participant_code: Some(code.into()),
    ///     direct: Some(direct.into()),
    ///     ..ResponseInput::default()
    /// };
    /// let input = ReturnInput {
    ///     period_start: NaiveDate::from_ymd_opt(2019, 9, 1).unwrap(),
    ///     period_end: NaiveDate::from_ymd_opt(2020, 3, 31).unwrap(),
    ///     participants_reached: 1,
    ///     volunteers: 3,
    ///     sessions_delivered: 26,
    ///     narrative: "Weekly lunches.".into(),
    ///     case_study: None,
    ///     responses: vec![
    ///         response("baseline", "P-1", "often_always"),
    ///         response("baseline", "jo@example.org", "sometimes"),
    ///     ],
    /// };
    /// let issues = ReturnContent::parse(input).unwrap_err();
    /// let fields: Vec<_> = issues.iter().map(|i| i.field.as_str()).collect();
    /// assert_eq!(fields, ["responses[1].participant_code", "responses[1].direct", "participants_reached"]);
    /// ```
    ///
    /// # Errors
    /// Every [`FieldIssue`] found.
    pub fn parse(input: ReturnInput) -> Result<ReturnContent, Vec<FieldIssue>> {
        let mut issues = Vec::new();
        if input.period_end < input.period_start {
            issues.push(FieldIssue::new(
                "period_end",
                format!(
                    "the period ends ({}) before it starts ({})",
                    input.period_end, input.period_start
                ),
            ));
        }
        let narrative = text::multi_line("narrative", &input.narrative, Self::MAX_TEXT_CHARS)
            .map_err(|e| issues.push(FieldIssue::new("narrative", e.to_string())))
            .ok();
        let case_study = match input.case_study.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) => text::multi_line("case study", s, Self::MAX_TEXT_CHARS)
                .map_err(|e| issues.push(FieldIssue::new("case_study", e.to_string())))
                .ok(),
        };
        if input.responses.len() > Self::MAX_RESPONSES {
            issues.push(FieldIssue::new(
                "responses",
                format!(
                    "at most {} responses per return; got {}",
                    Self::MAX_RESPONSES,
                    input.responses.len()
                ),
            ));
        }
        // Counted from what was sent, so a response with a bad answer still counts.
        let stage_counts = Stage::ALL.map(|stage| {
            input
                .responses
                .iter()
                .filter(|r| r.stage.parse::<Stage>() == Ok(stage))
                .count()
        });
        let mut responses = Vec::with_capacity(input.responses.len());
        let mut seen: HashMap<(Stage, ParticipantCode), usize> = HashMap::new();
        for (i, r) in input.responses.into_iter().enumerate() {
            if let Some(response) = parse_response(i, r, &mut issues) {
                if let Some(code) = &response.participant_code
                    && let Some(first) = seen.insert((response.stage, code.clone()), i)
                {
                    issues.push(FieldIssue::new(
                            format!("responses[{i}].participant_code"),
                            format!(
                                "{code} is already used at {} by responses[{first}]; each participant answers once per stage",
                                response.stage
                            ),
                        ));
                }
                responses.push(response);
            }
        }
        for (stage, n) in Stage::ALL.into_iter().zip(stage_counts) {
            if n > input.participants_reached as usize {
                issues.push(FieldIssue::new(
                    "participants_reached",
                    format!(
                        "is {} but there are {n} {} responses; respondents at a stage cannot outnumber the participants reached",
                        input.participants_reached,
                        stage.label().to_lowercase()
                    ),
                ));
            }
        }
        match narrative {
            Some(narrative) if issues.is_empty() => Ok(ReturnContent {
                period_start: input.period_start,
                period_end: input.period_end,
                participants_reached: input.participants_reached,
                volunteers: input.volunteers,
                sessions_delivered: input.sessions_delivered,
                narrative,
                case_study,
                responses,
            }),
            _ => Err(issues),
        }
    }

    /// Responses at one stage.
    #[must_use]
    pub fn respondents(&self, stage: Stage) -> usize {
        self.responses.iter().filter(|r| r.stage == stage).count()
    }
}

fn parse_response(
    i: usize,
    r: ResponseInput,
    issues: &mut Vec<FieldIssue>,
) -> Option<SurveyResponse> {
    let before = issues.len();
    let mut field = |name: &str, message: String| {
        issues.push(FieldIssue::new(format!("responses[{i}].{name}"), message));
    };
    let stage = r
        .stage
        .parse::<Stage>()
        .map_err(|e| field("stage", e.to_string()))
        .ok();
    let participant_code = r
        .participant_code
        .as_deref()
        .map(|c| {
            ParticipantCode::parse(c)
                .map_err(|e| field("participant_code", e.to_string()))
                .ok()
        })
        .unwrap_or_default();
    let direct = r.direct.as_deref().and_then(|v| {
        v.parse::<DirectAnswer>()
            .map_err(|e| field("direct", e.to_string()))
            .ok()
    });
    let mut ucla = |name: &str, value: Option<String>| {
        value.as_deref().and_then(|v| {
            v.parse::<UclaAnswer>()
                .map_err(|e| field(name, e.to_string()))
                .ok()
        })
    };
    let lack_companionship = ucla("lack_companionship", r.lack_companionship);
    let left_out = ucla("left_out", r.left_out);
    let isolated = ucla("isolated", r.isolated);
    if issues.len() != before {
        return None;
    }
    Some(SurveyResponse {
        stage: stage?,
        participant_code,
        direct,
        lack_companionship,
        left_out,
        isolated,
    })
}

string_enum! {
    /// Where a return stands with the fund's administrators. A new version
    /// after changes were requested goes back to `submitted`.
    pub enum ReviewStatus("evaluation return status") {
        /// Submitted, awaiting review.
        Submitted = "submitted", "Submitted";
        /// Accepted by an administrator.
        Accepted = "accepted", "Accepted";
        /// Sent back to the grantee with a comment.
        ChangesRequested = "changes_requested", "Changes requested";
    }
}

string_enum! {
    /// An administrator's review decision.
    pub enum ReviewDecision("review decision") {
        /// Accept the return.
        Accept = "accept", "Accept";
        /// Send it back for changes, with a comment.
        RequestChanges = "request_changes", "Request changes";
    }
}

impl ReviewStatus {
    fn refuse(self, action: &'static str) -> TransitionError {
        TransitionError::new("evaluation return", action, self.as_str())
    }

    /// Whether its grantee may still attach evidence: until the return is
    /// accepted. A return is created submitted, so evidence comes just
    /// after the figures; files are only ever added (or superseded), so
    /// a reviewer never loses one they have read.
    ///
    /// ```
    /// use grantledger_domain::evaluation::ReviewStatus;
    /// assert!(ReviewStatus::Submitted.accepts_evidence());
    /// assert!(ReviewStatus::ChangesRequested.accepts_evidence());
    /// assert!(!ReviewStatus::Accepted.accepts_evidence());
    /// ```
    #[must_use]
    pub fn accepts_evidence(self) -> bool {
        self != ReviewStatus::Accepted
    }

    /// submitted → accepted.
    ///
    /// # Errors
    /// [`TransitionError`] from any other state.
    pub fn accept(self) -> Result<ReviewStatus, TransitionError> {
        match self {
            ReviewStatus::Submitted => Ok(ReviewStatus::Accepted),
            from => Err(from.refuse("accept")),
        }
    }

    /// submitted → changes requested.
    ///
    /// # Errors
    /// [`TransitionError`] from any other state.
    pub fn request_changes(self) -> Result<ReviewStatus, TransitionError> {
        match self {
            ReviewStatus::Submitted => Ok(ReviewStatus::ChangesRequested),
            from => Err(from.refuse("request changes to")),
        }
    }

    /// A new version: submitted | changes requested → submitted. An accepted
    /// return is final.
    ///
    /// # Errors
    /// [`TransitionError`] when accepted.
    pub fn resubmit(self) -> Result<ReviewStatus, TransitionError> {
        match self {
            ReviewStatus::Submitted | ReviewStatus::ChangesRequested => Ok(ReviewStatus::Submitted),
            from => Err(from.refuse("resubmit")),
        }
    }

    /// Applies a review decision.
    ///
    /// # Errors
    /// [`TransitionError`] unless submitted.
    pub fn review(self, decision: ReviewDecision) -> Result<ReviewStatus, TransitionError> {
        match decision {
            ReviewDecision::Accept => self.accept(),
            ReviewDecision::RequestChanges => self.request_changes(),
        }
    }

    /// Whether the return's latest version counts towards outcomes: changes
    /// requested means its figures are being corrected.
    #[must_use]
    pub const fn counts_towards_outcomes(self) -> bool {
        matches!(self, ReviewStatus::Submitted | ReviewStatus::Accepted)
    }
}

/// Checks a review comment: required (non-empty) when requesting changes.
///
/// # Errors
/// A message for the `comment` field.
pub fn review_comment(
    decision: ReviewDecision,
    comment: Option<&str>,
) -> Result<Option<String>, String> {
    match comment.map(str::trim).filter(|c| !c.is_empty()) {
        None if decision == ReviewDecision::RequestChanges => {
            Err("say what needs to change: a comment is required when requesting changes".into())
        }
        None => Ok(None),
        Some(c) => text::multi_line("comment", c, 5_000)
            .map(Some)
            .map_err(|e| e.to_string()),
    }
}

/// An evaluation return on an award: one per award, reviewed as a whole,
/// with numbered versions (the content lives in each version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvaluationReturn {
    /// Identity.
    pub id: EvaluationReturnId,
    /// The award it reports on.
    pub award_id: AwardId,
    /// The award's fund.
    pub fund_id: FundId,
    /// The award's round.
    pub round_id: RoundId,
    /// The grantee reporting.
    pub grantee_id: GranteeId,
    /// Review state.
    pub status: ReviewStatus,
    /// The newest version's number (1 for the first submission).
    pub latest_version: u32,
}

/// Whether a grantee may report on an award in this state, having been
/// paid `paid` on it: once it is accepted (and still after it is
/// completed), and on a cancelled award that had payments, so the grantee
/// can say how the money it did receive was spent.
#[must_use]
pub const fn award_takes_returns(status: AwardStatus, paid: Money) -> bool {
    match status {
        AwardStatus::Accepted | AwardStatus::Completed => true,
        AwardStatus::Cancelled => !paid.is_zero(),
        AwardStatus::Offered | AwardStatus::Declined => false,
    }
}

impl EvaluationReturn {
    /// The first submission on an award that has been paid `award_paid`.
    ///
    /// # Errors
    /// [`TransitionError`] unless [`award_takes_returns`].
    pub fn first(
        id: EvaluationReturnId,
        award: AwardId,
        award_status: AwardStatus,
        award_paid: Money,
        fund_id: FundId,
        round_id: RoundId,
        grantee_id: GranteeId,
    ) -> Result<EvaluationReturn, TransitionError> {
        if !award_takes_returns(award_status, award_paid) {
            return Err(TransitionError::new(
                "award",
                "report on",
                award_status.as_str(),
            ));
        }
        Ok(EvaluationReturn {
            id,
            award_id: award,
            fund_id,
            round_id,
            grantee_id,
            status: ReviewStatus::Submitted,
            latest_version: 1,
        })
    }

    /// A new version: back to submitted, numbered one more.
    ///
    /// ```
    /// use grantledger_domain::award::AwardStatus;
    /// use grantledger_domain::evaluation::{EvaluationReturn, ReviewDecision, ReviewStatus};
    /// use grantledger_domain::ids::*;
    /// use grantledger_domain::Money;
    ///
    /// let r = EvaluationReturn::first(EvaluationReturnId::new(), AwardId::new(), AwardStatus::Accepted,
    ///     Money::ZERO, FundId::new(), RoundId::new(), GranteeId::new())?;
    /// let r = r.review(ReviewDecision::RequestChanges)?.resubmit()?;
    /// assert_eq!((r.status, r.latest_version), (ReviewStatus::Submitted, 2));
    /// assert!(r.review(ReviewDecision::Accept)?.resubmit().is_err());
    /// # Ok::<(), grantledger_domain::TransitionError>(())
    /// ```
    ///
    /// # Errors
    /// [`TransitionError`] once accepted.
    pub fn resubmit(&self) -> Result<EvaluationReturn, TransitionError> {
        Ok(EvaluationReturn {
            status: self.status.resubmit()?,
            latest_version: self.latest_version.saturating_add(1),
            ..self.clone()
        })
    }

    /// An administrator's decision on the latest version.
    ///
    /// # Errors
    /// [`TransitionError`] unless submitted.
    pub fn review(&self, decision: ReviewDecision) -> Result<EvaluationReturn, TransitionError> {
        Ok(EvaluationReturn {
            status: self.status.review(decision)?,
            ..self.clone()
        })
    }
}
