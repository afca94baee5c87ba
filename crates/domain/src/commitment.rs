//! Commitments: the strategy's pledges, tracked by department, with a status
//! history and an annual progress report.
//!
//! The pledge tracker arrives as a tab-separated text file (see
//! `docs/COMMITMENTS.md`). [`parse_tracker`] reads it into [`TrackerRow`]s,
//! each carrying the line it came from; [`plan_import`] compares those rows
//! with the commitments already held and says what an import would create,
//! change or leave alone; [`ProgressReport`] is the annual report.
//!
//! **Identity.** A commitment is identified across imports by its pledge
//! number together with its *occurrence*: the 1-based count of rows with that
//! number, in file order. The real tracker repeats numbers (50 four times, 51
//! twice), so the number alone would merge rows; the occurrence keeps them
//! apart while a re-import of the same file finds every row again.
//!
//! ```
//! use grantledger_domain::commitment::{parse_tracker, CommitmentStatus};
//!
//! let file = "Pledge-by-pledge tracker\n\nPledge\tDept\tProgress\n\
//!             1. Measure loneliness.\tDCMS\tOngoing and on track\n\
//!             <p>2. Share evidence.</p>\t<p>DfE, DFE, dhsc</p>\t\n\
//!             2. Hold roundtables.\tDCMS\tCompleted\n";
//! let rows = parse_tracker(file.as_bytes())?;
//! assert_eq!(rows.len(), 3);
//! assert_eq!(rows[1].line, 5);
//! assert_eq!((rows[1].number, rows[1].occurrence), (2, 1));
//! assert_eq!((rows[2].number, rows[2].occurrence), (2, 2));
//! let departments: Vec<&str> = rows[1].departments.iter().map(|d| d.code()).collect();
//! assert_eq!(departments, ["DfE", "DHSC"]);
//! assert_eq!(rows[1].status(), CommitmentStatus::NotReported);
//! assert_eq!(rows[2].status(), CommitmentStatus::Completed);
//! # Ok::<(), grantledger_domain::commitment::TrackerErrors>(())
//! ```

mod department;
mod report;
mod status;
mod tracker;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::ids::{CommitmentId, UserId};

pub use department::{Department, DepartmentError, parse_departments};
pub use report::{CSV_HEADER, DepartmentCounts, PledgeLine, ProgressReport, StatusCount};
pub use status::CommitmentStatus;
pub use tracker::{
    MAX_PLEDGE_CHARS, MAX_PROGRESS_CHARS, TrackerError, TrackerErrors, TrackerRow, parse_tracker,
};

/// The most characters in a note on a status change.
pub const MAX_NOTE_CHARS: usize = 2000;

/// A pledge of the strategy, as held by grantledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Commitment {
    /// Its id.
    pub id: CommitmentId,
    /// The pledge number printed in the tracker. Not unique: see the module
    /// documentation.
    pub number: u32,
    /// Which row with this number it is, counting from 1 in file order.
    pub occurrence: u32,
    /// The pledge text, without its number.
    pub text: String,
    /// The departments responsible, canonical and without repeats.
    pub departments: Vec<Department>,
    /// The progress text exactly as last imported (may be empty).
    pub progress: String,
    /// The normalised status: derived from `progress` on import, or set by
    /// an administrator.
    pub status: CommitmentStatus,
    /// The line of the tracker file it was last imported from.
    pub source_line: u32,
}

impl Commitment {
    /// A new commitment from a tracker row, its status derived from the
    /// progress text.
    #[must_use]
    pub fn from_row(id: CommitmentId, row: &TrackerRow) -> Commitment {
        Commitment {
            id,
            number: row.number,
            occurrence: row.occurrence,
            text: row.text.clone(),
            departments: row.departments.clone(),
            progress: row.progress.clone(),
            status: row.status(),
            source_line: row.line,
        }
    }

    /// The pledge's label in reports: `50` for a number that occurs once in
    /// the file, `50 (2)` for its second occurrence.
    #[must_use]
    pub fn label(&self) -> String {
        if self.occurrence <= 1 {
            self.number.to_string()
        } else {
            format!("{} ({})", self.number, self.occurrence)
        }
    }

    /// Sets the status by hand (an administrator's decision), with a note
    /// saying why. The progress text is left as imported, so a later import
    /// of an unchanged file does not undo the decision.
    ///
    /// ```
    /// use grantledger_domain::commitment::*;
    /// use grantledger_domain::ids::CommitmentId;
    ///
    /// let rows = parse_tracker(b"Pledge\tDept\tProgress\n7. Publish a guide.\tNHSE\tIn progress\n")?;
    /// let commitment = Commitment::from_row(CommitmentId::new(), &rows[0]);
    /// let (done, note) = commitment.set_status(CommitmentStatus::Completed, " Published in May ")?;
    /// assert_eq!(done.status, CommitmentStatus::Completed);
    /// assert_eq!(note, "Published in May");
    /// assert!(done.set_status(CommitmentStatus::Completed, "again").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`CommitmentError::Unchanged`] when it already has that status,
    /// [`CommitmentError::Note`] when the note is empty or too long.
    pub fn set_status(
        &self,
        status: CommitmentStatus,
        note: &str,
    ) -> Result<(Commitment, String), CommitmentError> {
        let note = crate::text::multi_line("note", note, MAX_NOTE_CHARS)
            .map_err(|e| CommitmentError::Note(e.to_string()))?;
        if status == self.status {
            return Err(CommitmentError::Unchanged(status));
        }
        Ok((
            Commitment {
                status,
                ..self.clone()
            },
            note,
        ))
    }
}

/// Why a commitment cannot be changed as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommitmentError {
    /// The commitment already has the status asked for.
    #[error("the commitment is already {}", .0.as_str())]
    Unchanged(CommitmentStatus),
    /// The note is missing or unusable.
    #[error("{0}")]
    Note(String),
}

string_enum! {
    /// Where an entry of a commitment's status history came from.
    pub enum ChangeSource ("change source") {
        /// An import of the tracker file.
        Import = "import", "Tracker import";
        /// An administrator's decision.
        Manual = "manual", "Set by an administrator";
    }
}

/// One entry of a commitment's status history: who, when, what and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusChange {
    /// When.
    pub at: DateTime<Utc>,
    /// The user, for changes made through the API.
    pub by: Option<UserId>,
    /// Who, as the audit trail names them (an email-like label, or `cli`).
    pub actor: String,
    /// An import or a manual change.
    pub source: ChangeSource,
    /// The status from then on.
    pub status: CommitmentStatus,
    /// The progress text at the time.
    pub progress: String,
    /// Why, or where it came from (`imported from line 12`).
    pub note: String,
}

/// What an import does to one row of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportAction {
    /// A pledge not held before.
    Create(Commitment),
    /// A pledge held before whose text, departments or progress changed.
    Update {
        /// As held.
        before: Commitment,
        /// As the file now says.
        after: Commitment,
        /// The progress text changed: this becomes a status history entry.
        progress_changed: bool,
    },
    /// A pledge held before that the file repeats exactly.
    Unchanged(Commitment),
}

/// Everything an import would do, row by row in file order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportPlan {
    /// One action per row of the file.
    pub actions: Vec<ImportAction>,
    /// Commitments held that the file no longer has. They are kept (a
    /// tracker that drops a pledge does not erase its history) and counted.
    pub not_in_file: Vec<CommitmentId>,
}

/// The counts an import reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportSummary {
    /// Rows in the file.
    pub rows: usize,
    /// New commitments.
    pub created: usize,
    /// Commitments whose progress changed (each a new history entry).
    pub progress_changed: usize,
    /// Commitments whose text or departments changed but not their progress.
    pub details_changed: usize,
    /// Rows that matched a held commitment exactly.
    pub unchanged: usize,
    /// Commitments held that the file no longer has (kept).
    pub not_in_file: usize,
}

impl ImportPlan {
    /// The counts of this plan.
    #[must_use]
    pub fn summary(&self) -> ImportSummary {
        let mut s = ImportSummary {
            rows: self.actions.len(),
            not_in_file: self.not_in_file.len(),
            ..ImportSummary::default()
        };
        for action in &self.actions {
            match action {
                ImportAction::Create(_) => s.created += 1,
                ImportAction::Update {
                    progress_changed: true,
                    ..
                } => s.progress_changed += 1,
                ImportAction::Update { .. } => s.details_changed += 1,
                ImportAction::Unchanged(_) => s.unchanged += 1,
            }
        }
        s
    }

    /// Whether applying the plan would change anything.
    #[must_use]
    pub fn changes_nothing(&self) -> bool {
        self.actions
            .iter()
            .all(|a| matches!(a, ImportAction::Unchanged(_)))
    }
}

/// Compares parsed rows with the commitments already held, matching them by
/// (number, occurrence). `new_id` names each commitment to create.
///
/// A changed progress text re-derives the status from the text (and is
/// recorded as a history entry by the store); an unchanged progress text
/// leaves the status alone, so a status an administrator set by hand stays.
///
/// ```
/// use grantledger_domain::commitment::*;
/// use grantledger_domain::ids::CommitmentId;
///
/// let v1 = parse_tracker(b"Pledge\tDept\tProgress\n1. A.\tDCMS\tIn progress\n1. B.\tDfE\tDeveloping\n")?;
/// let plan = plan_import(&[], &v1, CommitmentId::new);
/// assert_eq!(plan.summary().created, 2);
/// let held: Vec<Commitment> = plan.actions.iter().filter_map(|a| match a {
///     ImportAction::Create(c) => Some(c.clone()),
///     _ => None,
/// }).collect();
///
/// // The same file again changes nothing.
/// assert!(plan_import(&held, &v1, CommitmentId::new).changes_nothing());
///
/// // The second pledge 1 is now complete.
/// let v2 = parse_tracker(b"Pledge\tDept\tProgress\n1. A.\tDCMS\tIn progress\n1. B.\tDfE\tCompleted\n")?;
/// let summary = plan_import(&held, &v2, CommitmentId::new).summary();
/// assert_eq!((summary.unchanged, summary.progress_changed), (1, 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn plan_import(
    existing: &[Commitment],
    rows: &[TrackerRow],
    mut new_id: impl FnMut() -> CommitmentId,
) -> ImportPlan {
    let key = |c: &Commitment| (c.number, c.occurrence);
    let held: std::collections::HashMap<(u32, u32), &Commitment> =
        existing.iter().map(|c| (key(c), c)).collect();
    let mut seen = std::collections::HashSet::new();
    let actions = rows
        .iter()
        .map(|row| {
            seen.insert((row.number, row.occurrence));
            match held.get(&(row.number, row.occurrence)) {
                None => ImportAction::Create(Commitment::from_row(new_id(), row)),
                Some(before) => {
                    let progress_changed = before.progress != row.progress;
                    let details_changed =
                        before.text != row.text || before.departments != row.departments;
                    if !progress_changed && !details_changed {
                        return ImportAction::Unchanged((*before).clone());
                    }
                    let after = Commitment {
                        text: row.text.clone(),
                        departments: row.departments.clone(),
                        progress: row.progress.clone(),
                        status: if progress_changed {
                            row.status()
                        } else {
                            before.status
                        },
                        source_line: row.line,
                        ..(*before).clone()
                    };
                    ImportAction::Update {
                        before: (*before).clone(),
                        after,
                        progress_changed,
                    }
                }
            }
        })
        .collect();
    let not_in_file = existing
        .iter()
        .filter(|c| !seen.contains(&key(c)))
        .map(|c| c.id)
        .collect();
    ImportPlan {
        actions,
        not_in_file,
    }
}
