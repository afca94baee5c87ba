use crate::transition::TransitionError;

string_enum! {
    /// An award's lifecycle.
    pub enum AwardStatus("award status") {
        /// Offered, awaiting the grantee's answer.
        Offered = "offered", "Offered";
        /// Accepted: payments may be made.
        Accepted = "accepted", "Accepted";
        /// Fully paid and closed.
        Completed = "completed", "Completed";
        /// Turned down by the grantee.
        Declined = "declined", "Declined";
        /// Withdrawn by the funder.
        Cancelled = "cancelled", "Cancelled";
    }
}

use AwardStatus::{Accepted, Cancelled, Completed, Declined, Offered};

impl AwardStatus {
    fn refuse(self, action: &'static str) -> TransitionError {
        TransitionError::new("award", action, self.as_str())
    }

    /// offered → accepted.
    ///
    /// # Errors
    /// [`TransitionError`] from any other state.
    pub fn accept(self) -> Result<AwardStatus, TransitionError> {
        match self {
            Offered => Ok(Accepted),
            from => Err(from.refuse("accept")),
        }
    }

    /// offered → declined.
    ///
    /// # Errors
    /// [`TransitionError`] from any other state.
    pub fn decline(self) -> Result<AwardStatus, TransitionError> {
        match self {
            Offered => Ok(Declined),
            from => Err(from.refuse("decline")),
        }
    }

    /// offered | accepted → cancelled.
    ///
    /// # Errors
    /// [`TransitionError`] from any other state.
    pub fn cancel(self) -> Result<AwardStatus, TransitionError> {
        match self {
            Offered | Accepted => Ok(Cancelled),
            from => Err(from.refuse("cancel")),
        }
    }

    /// accepted → completed.
    ///
    /// # Errors
    /// [`TransitionError`] from any other state.
    pub fn complete(self) -> Result<AwardStatus, TransitionError> {
        match self {
            Accepted => Ok(Completed),
            from => Err(from.refuse("complete")),
        }
    }

    /// Whether the award's whole amount stays committed from the round.
    #[must_use]
    pub const fn is_live(self) -> bool {
        matches!(self, Offered | Accepted | Completed)
    }

    /// Whether disbursements may be scheduled and paid.
    #[must_use]
    pub const fn can_pay(self) -> bool {
        matches!(self, Accepted)
    }

    /// Whether the amount may be varied.
    #[must_use]
    pub const fn can_vary(self) -> bool {
        matches!(self, Offered | Accepted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transition::testing::check_table;

    #[test]
    fn transitions() {
        check_table(
            "award",
            &AwardStatus::ALL,
            AwardStatus::as_str,
            &[
                ("accept", AwardStatus::accept),
                ("decline", AwardStatus::decline),
                ("cancel", AwardStatus::cancel),
                ("complete", AwardStatus::complete),
            ],
            &[
                (Offered, "accept", Accepted),
                (Offered, "decline", Declined),
                (Offered, "cancel", Cancelled),
                (Accepted, "cancel", Cancelled),
                (Accepted, "complete", Completed),
            ],
        );
    }

    #[test]
    fn predicates() {
        let live: Vec<_> = AwardStatus::ALL
            .into_iter()
            .filter(|s| s.is_live())
            .collect();
        assert_eq!(live, [Offered, Accepted, Completed]);
        let payable: Vec<_> = AwardStatus::ALL
            .into_iter()
            .filter(|s| s.can_pay())
            .collect();
        assert_eq!(payable, [Accepted]);
        let variable: Vec<_> = AwardStatus::ALL
            .into_iter()
            .filter(|s| s.can_vary())
            .collect();
        assert_eq!(variable, [Offered, Accepted]);
    }
}
