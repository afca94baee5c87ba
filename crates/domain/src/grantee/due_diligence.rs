use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::UserId;
use crate::transition::TransitionError;

string_enum! {
    /// Where a grantee's due-diligence checks stand.
    pub enum DueDiligenceStatus("due diligence status") {
        /// Not yet decided.
        Pending = "pending", "Pending";
        /// Checks passed: payments may be made.
        Passed = "passed", "Passed";
        /// Checks failed (or a pass was revoked): no payments.
        Failed = "failed", "Failed";
    }
}

/// A due-diligence decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DueDiligenceOutcome {
    /// The checks passed.
    Passed,
    /// The checks failed.
    Failed,
}

impl DueDiligenceStatus {
    /// The status after recording `outcome`. A failed grantee may be
    /// re-checked and pass; a pass may be revoked. Recording the current
    /// status again is refused so that a double submission is noticed.
    ///
    /// # Errors
    /// [`TransitionError`] when the outcome equals the current status.
    pub fn record(
        self,
        outcome: DueDiligenceOutcome,
    ) -> Result<DueDiligenceStatus, TransitionError> {
        match (self, outcome) {
            (
                DueDiligenceStatus::Pending | DueDiligenceStatus::Failed,
                DueDiligenceOutcome::Passed,
            ) => Ok(DueDiligenceStatus::Passed),
            (
                DueDiligenceStatus::Pending | DueDiligenceStatus::Passed,
                DueDiligenceOutcome::Failed,
            ) => Ok(DueDiligenceStatus::Failed),
            (from, DueDiligenceOutcome::Passed) => Err(TransitionError::new(
                "due diligence check",
                "pass",
                from.as_str(),
            )),
            (from, DueDiligenceOutcome::Failed) => Err(TransitionError::new(
                "due diligence check",
                "fail",
                from.as_str(),
            )),
        }
    }
}

/// A grantee's due-diligence status with who decided it and when.
///
/// ```
/// use chrono::Utc;
/// use grantledger_domain::grantee::{DueDiligence, DueDiligenceOutcome};
/// use grantledger_domain::ids::UserId;
///
/// let dd = DueDiligence::pending().record(DueDiligenceOutcome::Passed, UserId::new(), Utc::now())?;
/// assert!(dd.has_passed());
/// # Ok::<(), grantledger_domain::transition::TransitionError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueDiligence {
    /// Current status.
    pub status: DueDiligenceStatus,
    /// Who made the latest decision.
    pub decided_by: Option<UserId>,
    /// When the latest decision was made.
    pub decided_at: Option<DateTime<Utc>>,
}

impl DueDiligence {
    /// Not yet checked.
    #[must_use]
    pub const fn pending() -> DueDiligence {
        DueDiligence {
            status: DueDiligenceStatus::Pending,
            decided_by: None,
            decided_at: None,
        }
    }

    /// Records a decision.
    ///
    /// # Errors
    /// [`TransitionError`] when the outcome equals the current status.
    pub fn record(
        self,
        outcome: DueDiligenceOutcome,
        by: UserId,
        at: DateTime<Utc>,
    ) -> Result<DueDiligence, TransitionError> {
        let status = self.status.record(outcome)?;
        Ok(DueDiligence {
            status,
            decided_by: Some(by),
            decided_at: Some(at),
        })
    }

    /// Whether payments may be made.
    #[must_use]
    pub const fn has_passed(&self) -> bool {
        matches!(self.status, DueDiligenceStatus::Passed)
    }
}

impl Default for DueDiligence {
    fn default() -> Self {
        DueDiligence::pending()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transition::testing::check_table;
    use DueDiligenceStatus::*;

    #[test]
    fn transitions() {
        check_table(
            "due diligence check",
            &DueDiligenceStatus::ALL,
            DueDiligenceStatus::as_str,
            &[
                ("pass", |s| s.record(DueDiligenceOutcome::Passed)),
                ("fail", |s| s.record(DueDiligenceOutcome::Failed)),
            ],
            &[
                (Pending, "pass", Passed),
                (Pending, "fail", Failed),
                (Failed, "pass", Passed),
                (Passed, "fail", Failed),
            ],
        );
    }

    #[test]
    fn records_who_and_when() {
        let by = UserId::new();
        let at = Utc::now();
        let dd = DueDiligence::pending()
            .record(DueDiligenceOutcome::Failed, by, at)
            .unwrap();
        assert_eq!(
            dd,
            DueDiligence {
                status: Failed,
                decided_by: Some(by),
                decided_at: Some(at)
            }
        );
        assert!(!dd.has_passed());
        let err = dd.record(DueDiligenceOutcome::Failed, by, at).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot fail a due diligence check that is failed"
        );
    }
}
