//! The annual progress report: the pledge-by-pledge table and counts by
//! status and by department.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Commitment, CommitmentStatus, Department};
use crate::ids::CommitmentId;

/// One pledge in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PledgeLine {
    /// The commitment's id.
    pub id: CommitmentId,
    /// The pledge number.
    pub number: u32,
    /// Which row with this number it is (1 unless the number repeats).
    pub occurrence: u32,
    /// `12`; for a number the tracker repeats, with the occurrence: `50 (1)`,
    /// `50 (2)`…
    pub label: String,
    /// The pledge text.
    pub text: String,
    /// The departments responsible.
    pub departments: Vec<Department>,
    /// The progress text as imported (may be empty).
    pub progress: String,
    /// The normalised status.
    pub status: CommitmentStatus,
}

/// How many pledges have a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusCount {
    /// The status.
    pub status: CommitmentStatus,
    /// How many.
    pub count: usize,
}

/// A department's pledges, by status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepartmentCounts {
    /// The department.
    pub department: Department,
    /// Its full name, for well-known departments.
    pub name: Option<&'static str>,
    /// Pledges naming it.
    pub total: usize,
    /// Those pledges by status, every status listed.
    pub by_status: Vec<StatusCount>,
}

/// The annual progress report.
///
/// A pledge naming several departments counts once under each of them, so
/// the department totals can add up to more than the number of pledges; the
/// status counts add up to it exactly.
///
/// ```
/// use chrono::Utc;
/// use grantledger_domain::commitment::*;
/// use grantledger_domain::ids::CommitmentId;
///
/// let rows = parse_tracker(b"Pledge\tDept\tProgress\n1. A.\tDCMS, DfE\tCompleted\n2. B.\tDFE\t\n")?;
/// let held: Vec<Commitment> = rows.iter().map(|r| Commitment::from_row(CommitmentId::new(), r)).collect();
/// let report = ProgressReport::new(&held, Utc::now());
/// assert_eq!(report.total, 2);
/// let dfe = report.by_department.iter().find(|d| d.department.code() == "DfE").unwrap();
/// assert_eq!(dfe.total, 2);
/// assert!(report.to_markdown().contains("| 2 | B. | DfE |  | Not reported |"));
/// assert_eq!(report.csv_records()[0][0], "pledge");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProgressReport {
    /// When the report was made.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub as_of: DateTime<Utc>,
    /// How many pledges (rows of the tracker) there are.
    pub total: usize,
    /// Pledges by status, every status listed.
    pub by_status: Vec<StatusCount>,
    /// Pledges by department, departments in alphabetical order.
    pub by_department: Vec<DepartmentCounts>,
    /// Every pledge, by number and occurrence.
    pub pledges: Vec<PledgeLine>,
}

/// The columns of [`ProgressReport::csv_records`].
pub const CSV_HEADER: [&str; 9] = [
    "section",
    "number",
    "occurrence",
    "pledge",
    "departments",
    "progress",
    "status",
    "department",
    "count",
];

fn counts_of<'a>(statuses: impl Iterator<Item = &'a CommitmentStatus>) -> Vec<StatusCount> {
    let mut counts: Vec<StatusCount> = CommitmentStatus::ALL
        .iter()
        .map(|&status| StatusCount { status, count: 0 })
        .collect();
    for status in statuses {
        if let Some(c) = counts.iter_mut().find(|c| c.status == *status) {
            c.count += 1;
        }
    }
    counts
}

impl ProgressReport {
    /// Builds the report from every commitment held.
    #[must_use]
    pub fn new(commitments: &[Commitment], as_of: DateTime<Utc>) -> ProgressReport {
        let mut sorted: Vec<&Commitment> = commitments.iter().collect();
        sorted.sort_by_key(|c| (c.number, c.occurrence));
        let mut departments: BTreeMap<(String, Department), Vec<CommitmentStatus>> =
            BTreeMap::new();
        for c in &sorted {
            for d in &c.departments {
                departments
                    .entry((d.code().to_lowercase(), d.clone()))
                    .or_default()
                    .push(c.status);
            }
        }
        let repeated = |number: u32| {
            sorted
                .iter()
                .any(|c| c.number == number && c.occurrence > 1)
        };
        ProgressReport {
            as_of,
            total: sorted.len(),
            by_status: counts_of(sorted.iter().map(|c| &c.status)),
            by_department: departments
                .into_iter()
                .map(|((_, department), statuses)| DepartmentCounts {
                    name: department.name(),
                    department,
                    total: statuses.len(),
                    by_status: counts_of(statuses.iter()),
                })
                .collect(),
            pledges: sorted
                .iter()
                .map(|c| PledgeLine {
                    id: c.id,
                    number: c.number,
                    occurrence: c.occurrence,
                    label: if repeated(c.number) {
                        format!("{} ({})", c.number, c.occurrence)
                    } else {
                        c.label()
                    },
                    text: c.text.clone(),
                    departments: c.departments.clone(),
                    progress: c.progress.clone(),
                    status: c.status,
                })
                .collect(),
        }
    }

    /// The report as a Markdown document: counts by status, counts by
    /// department and status, then the pledge-by-pledge table.
    #[must_use]
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# Annual progress report: commitments\n");
        let _ = writeln!(
            out,
            "As of {}. {} pledges.\n",
            self.as_of.format("%-d %B %Y"),
            self.total
        );
        let _ = writeln!(out, "## By status\n");
        let _ = writeln!(out, "| Status | Pledges |\n|---|---:|");
        for c in &self.by_status {
            let _ = writeln!(out, "| {} | {} |", c.status.label(), c.count);
        }
        let _ = writeln!(out, "| **Total** | **{}** |\n", self.total);

        let _ = writeln!(out, "## By department\n");
        let _ = writeln!(
            out,
            "A pledge naming several departments counts once for each.\n"
        );
        let mut head = String::from("| Department |");
        let mut rule = String::from("|---|");
        for status in CommitmentStatus::ALL {
            let _ = write!(head, " {} |", status.label());
            rule.push_str("---:|");
        }
        let _ = writeln!(out, "{head} Total |\n{rule}---:|");
        for d in &self.by_department {
            let _ = write!(out, "| {} |", cell(&department_title(d)));
            for c in &d.by_status {
                let _ = write!(out, " {} |", c.count);
            }
            let _ = writeln!(out, " {} |", d.total);
        }
        out.push('\n');

        let _ = writeln!(out, "## Pledge by pledge\n");
        let _ = writeln!(
            out,
            "| No. | Pledge | Departments | Progress | Status |\n|---|---|---|---|---|"
        );
        for p in &self.pledges {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                p.label,
                cell(&p.text),
                cell(&join_departments(&p.departments, ", ")),
                cell(&p.progress),
                p.status.label()
            );
        }
        out
    }

    /// The report as CSV records, headed by [`CSV_HEADER`]. One table holds
    /// every part, told apart by the `section` column:
    ///
    /// - `pledge`: one per pledge, with number, occurrence, pledge text,
    ///   departments (separated by `; `), progress and status;
    /// - `status`: one per status, with its count;
    /// - `department`: one per department and status, and one per
    ///   department with status `all`, with the count.
    #[must_use]
    pub fn csv_records(&self) -> Vec<[String; 9]> {
        let mut records = Vec::new();
        for p in &self.pledges {
            records.push([
                "pledge".to_owned(),
                p.number.to_string(),
                p.occurrence.to_string(),
                p.text.clone(),
                join_departments(&p.departments, "; "),
                p.progress.clone(),
                p.status.as_str().to_owned(),
                String::new(),
                String::new(),
            ]);
        }
        for c in &self.by_status {
            records.push(count_record("status", c.status.as_str(), "", c.count));
        }
        for d in &self.by_department {
            for c in &d.by_status {
                records.push(count_record(
                    "department",
                    c.status.as_str(),
                    d.department.code(),
                    c.count,
                ));
            }
            records.push(count_record(
                "department",
                "all",
                d.department.code(),
                d.total,
            ));
        }
        records
    }
}

fn count_record(section: &str, status: &str, department: &str, count: usize) -> [String; 9] {
    [
        section.to_owned(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        status.to_owned(),
        department.to_owned(),
        count.to_string(),
    ]
}

fn department_title(d: &DepartmentCounts) -> String {
    match d.name {
        Some(name) if name != d.department.code() => format!("{} ({name})", d.department),
        _ => d.department.to_string(),
    }
}

fn join_departments(departments: &[Department], separator: &str) -> String {
    departments
        .iter()
        .map(Department::code)
        .collect::<Vec<_>>()
        .join(separator)
}

/// Escapes text for a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('\\', "\\\\").replace('|', "\\|")
}
