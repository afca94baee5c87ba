//! Applications for a grant, from draft to decision.

mod decision;
mod order;
mod status;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::grantee::Grantee;
use crate::ids::{ApplicationId, GranteeId, RoundId};
use crate::money::Money;
use crate::round::{Ineligibility, Round};
use crate::text::{self, TextError};
use crate::transition::TransitionError;
pub use decision::{Decided, Decision, DecisionError, Verdict};
pub use order::QueueOrder;
pub use status::ApplicationStatus;

/// An application by a grantee to a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    /// Identity.
    pub id: ApplicationId,
    /// The round applied to.
    pub round_id: RoundId,
    /// The applicant.
    pub grantee_id: GranteeId,
    /// What the applicant asks for.
    pub amount_requested: Money,
    /// Short project title.
    pub project_title: String,
    /// What the project will do.
    pub summary: String,
    /// Where it is in the process.
    pub status: ApplicationStatus,
    /// When it was submitted.
    pub submitted_at: Option<DateTime<Utc>>,
    /// A later deadline an administrator gave this application alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_extension: Option<DeadlineExtension>,
}

/// A later deadline for one application, given by an administrator with a
/// reason, instead of reopening the round for everyone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineExtension {
    /// The application may be submitted until this instant (exclusive).
    pub until: DateTime<Utc>,
    /// Why it was given.
    pub reason: String,
}

/// Why a deadline extension cannot be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtensionError {
    /// Only a draft waits on a deadline.
    #[error("only a draft can be given a later deadline; this application is {}", .0.label().to_lowercase())]
    NotDraft(ApplicationStatus),
    /// The new deadline would not be later than the round's, or is past.
    #[error(
        "the new deadline must be after the round's deadline ({closes_at}) and after now; got {until}"
    )]
    NotLater {
        /// The deadline given.
        until: DateTime<Utc>,
        /// The round's deadline.
        closes_at: DateTime<Utc>,
    },
    /// No reason, or an unusable one.
    #[error(transparent)]
    Reason(#[from] TextError),
}

/// Why an application cannot be submitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// Not a draft.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// Outside the round's window (and any extension of it).
    #[error("the round is not open: it accepts applications from {opens_at} until {closes_at}")]
    RoundNotOpen {
        /// Opening instant.
        opens_at: DateTime<Utc>,
        /// Deadline.
        closes_at: DateTime<Utc>,
    },
    /// Fails one or more eligibility rules.
    #[error("the application is not eligible: {}", join(.0))]
    Ineligible(Vec<Ineligibility>),
    /// The round passed is not the one applied to.
    #[error("the application belongs to a different round")]
    WrongRound,
    /// The grantee passed is not the applicant.
    #[error("the application belongs to a different grantee")]
    WrongGrantee,
}

fn join(reasons: &[Ineligibility]) -> String {
    reasons
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl Application {
    /// The longest project title.
    pub const MAX_TITLE_CHARS: usize = 200;
    /// The longest summary.
    pub const MAX_SUMMARY_CHARS: usize = 10_000;

    /// Starts a draft application.
    ///
    /// # Errors
    /// [`TextError`] for an empty or over-long title or summary.
    pub fn draft(
        id: ApplicationId,
        round_id: RoundId,
        grantee_id: GranteeId,
        amount_requested: Money,
        project_title: &str,
        summary: &str,
    ) -> Result<Application, TextError> {
        Ok(Application {
            id,
            round_id,
            grantee_id,
            amount_requested,
            project_title: text::single_line(
                "project title",
                project_title,
                Self::MAX_TITLE_CHARS,
            )?,
            summary: text::multi_line("summary", summary, Self::MAX_SUMMARY_CHARS)?,
            status: ApplicationStatus::Draft,
            submitted_at: None,
            deadline_extension: None,
        })
    }

    /// Every problem with a draft's title and summary at once (where
    /// [`Application::draft`] stops at the first), for forms that show all
    /// their errors together.
    ///
    /// ```
    /// use grantledger_domain::application::Application;
    ///
    /// let problems = Application::text_problems("", "");
    /// let fields: Vec<_> = problems.iter().map(|e| e.field()).collect();
    /// assert_eq!(fields, ["project title", "summary"]);
    /// assert!(Application::text_problems("Lunch club", "Weekly lunches.").is_empty());
    /// ```
    #[must_use]
    pub fn text_problems(project_title: &str, summary: &str) -> Vec<TextError> {
        [
            text::single_line("project title", project_title, Self::MAX_TITLE_CHARS).err(),
            text::multi_line("summary", summary, Self::MAX_SUMMARY_CHARS).err(),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// The longest reason for a deadline extension.
    pub const MAX_EXTENSION_REASON_CHARS: usize = 500;

    /// Gives this draft alone a later deadline than its round's, so a late
    /// applicant can submit without the round reopening for everyone.
    /// Giving another replaces it.
    ///
    /// # Errors
    /// An [`ExtensionError`]: not a draft, a deadline not later than the
    /// round's or already past, or an empty reason.
    pub fn extend_deadline(
        &self,
        round: &Round,
        until: DateTime<Utc>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Application, ExtensionError> {
        if self.status != ApplicationStatus::Draft {
            return Err(ExtensionError::NotDraft(self.status));
        }
        if until <= round.window.closes_at() || until <= now {
            return Err(ExtensionError::NotLater {
                until,
                closes_at: round.window.closes_at(),
            });
        }
        let reason = text::single_line("reason", reason, Self::MAX_EXTENSION_REASON_CHARS)?;
        Ok(Application {
            deadline_extension: Some(DeadlineExtension { until, reason }),
            ..self.clone()
        })
    }

    /// Whether it may be submitted at `now`: while its round is open, or
    /// after the round opened and before its own extended deadline.
    #[must_use]
    pub fn can_submit_at(&self, round: &Round, now: DateTime<Utc>) -> bool {
        round.window.is_open_at(now)
            || self
                .deadline_extension
                .as_ref()
                .is_some_and(|e| round.window.opens_at() <= now && now < e.until)
    }

    /// Submits a draft: only while the round is open and only if every
    /// eligibility rule is met. Returns the submitted copy.
    ///
    /// # Errors
    /// A [`SubmitError`]; ineligibility lists every reason at once.
    pub fn submit(
        &self,
        round: &Round,
        grantee: &Grantee,
        now: DateTime<Utc>,
    ) -> Result<Application, SubmitError> {
        if round.id != self.round_id {
            return Err(SubmitError::WrongRound);
        }
        if grantee.id != self.grantee_id {
            return Err(SubmitError::WrongGrantee);
        }
        let status = self.status.submit()?;
        if !self.can_submit_at(round, now) {
            return Err(SubmitError::RoundNotOpen {
                opens_at: round.window.opens_at(),
                closes_at: self
                    .deadline_extension
                    .as_ref()
                    .map_or(round.window.closes_at(), |e| e.until),
            });
        }
        round
            .check_eligibility(grantee, self.amount_requested)
            .map_err(SubmitError::Ineligible)?;
        Ok(Application {
            status,
            submitted_at: Some(now),
            ..self.clone()
        })
    }

    /// Moves a submitted application into review.
    ///
    /// # Errors
    /// [`TransitionError`] unless it is submitted.
    pub fn start_review(&self) -> Result<Application, TransitionError> {
        Ok(Application {
            status: self.status.start_review()?,
            ..self.clone()
        })
    }

    /// Withdraws the application at the applicant's request.
    ///
    /// # Errors
    /// [`TransitionError`] once decided or already withdrawn.
    pub fn withdraw(&self) -> Result<Application, TransitionError> {
        Ok(Application {
            status: self.status.withdraw()?,
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod tests;
