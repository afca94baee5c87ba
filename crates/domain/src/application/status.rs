use crate::transition::TransitionError;

string_enum! {
    /// Where an application is in the process.
    pub enum ApplicationStatus("application status") {
        /// Being written; only drafts can be edited.
        Draft = "draft", "Draft";
        /// Submitted before the deadline.
        Submitted = "submitted", "Submitted";
        /// Being assessed.
        UnderReview = "under_review", "Under review";
        /// An award was made.
        Awarded = "awarded", "Awarded";
        /// Turned down.
        Rejected = "rejected", "Rejected";
        /// Withdrawn by the applicant.
        Withdrawn = "withdrawn", "Withdrawn";
    }
}

use ApplicationStatus::{Awarded, Draft, Rejected, Submitted, UnderReview, Withdrawn};

impl ApplicationStatus {
    fn refuse(self, action: &'static str) -> TransitionError {
        TransitionError::new("application", action, self.as_str())
    }

    /// draft → submitted.
    ///
    /// # Errors
    /// [`TransitionError`] from any other state.
    pub fn submit(self) -> Result<ApplicationStatus, TransitionError> {
        match self {
            Draft => Ok(Submitted),
            from => Err(from.refuse("submit")),
        }
    }

    /// submitted → under_review.
    ///
    /// # Errors
    /// [`TransitionError`] from any other state.
    pub fn start_review(self) -> Result<ApplicationStatus, TransitionError> {
        match self {
            Submitted => Ok(UnderReview),
            from => Err(from.refuse("start reviewing")),
        }
    }

    /// submitted | under_review → awarded.
    ///
    /// # Errors
    /// [`TransitionError`] from any other state.
    pub fn award(self) -> Result<ApplicationStatus, TransitionError> {
        match self {
            Submitted | UnderReview => Ok(Awarded),
            from => Err(from.refuse("award")),
        }
    }

    /// submitted | under_review → rejected.
    ///
    /// # Errors
    /// [`TransitionError`] from any other state.
    pub fn reject(self) -> Result<ApplicationStatus, TransitionError> {
        match self {
            Submitted | UnderReview => Ok(Rejected),
            from => Err(from.refuse("reject")),
        }
    }

    /// draft | submitted | under_review → withdrawn.
    ///
    /// # Errors
    /// [`TransitionError`] from any other state.
    pub fn withdraw(self) -> Result<ApplicationStatus, TransitionError> {
        match self {
            Draft | Submitted | UnderReview => Ok(Withdrawn),
            from => Err(from.refuse("withdraw")),
        }
    }

    /// Whether no further change is possible.
    #[must_use]
    pub const fn is_final(self) -> bool {
        matches!(self, Awarded | Rejected | Withdrawn)
    }

    /// Whether the applicant may still edit it.
    #[must_use]
    pub const fn is_editable(self) -> bool {
        matches!(self, Draft)
    }

    /// Whether it awaits a decision: it can be awarded (or, the same,
    /// rejected) from here.
    #[must_use]
    pub fn is_decidable(self) -> bool {
        self.award().is_ok()
    }

    /// Whether assessors may record assessments on it.
    #[must_use]
    pub const fn is_assessable(self) -> bool {
        matches!(self, Submitted | UnderReview)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transition::testing::check_table;

    #[test]
    fn transitions() {
        check_table(
            "application",
            &ApplicationStatus::ALL,
            ApplicationStatus::as_str,
            &[
                ("submit", ApplicationStatus::submit),
                ("start reviewing", ApplicationStatus::start_review),
                ("award", ApplicationStatus::award),
                ("reject", ApplicationStatus::reject),
                ("withdraw", ApplicationStatus::withdraw),
            ],
            &[
                (Draft, "submit", Submitted),
                (Submitted, "start reviewing", UnderReview),
                (Submitted, "award", Awarded),
                (UnderReview, "award", Awarded),
                (Submitted, "reject", Rejected),
                (UnderReview, "reject", Rejected),
                (Draft, "withdraw", Withdrawn),
                (Submitted, "withdraw", Withdrawn),
                (UnderReview, "withdraw", Withdrawn),
            ],
        );
    }

    #[test]
    fn predicates() {
        let finals: Vec<_> = ApplicationStatus::ALL
            .into_iter()
            .filter(|s| s.is_final())
            .collect();
        assert_eq!(finals, [Awarded, Rejected, Withdrawn]);
        let editable: Vec<_> = ApplicationStatus::ALL
            .into_iter()
            .filter(|s| s.is_editable())
            .collect();
        assert_eq!(editable, [Draft]);
        assert_eq!(UnderReview.as_str(), "under_review");
        assert_eq!(
            "under_review".parse::<ApplicationStatus>().unwrap(),
            UnderReview
        );
        assert_eq!(
            Awarded.reject().unwrap_err().to_string(),
            "cannot reject an application that is awarded"
        );
    }
}
