//! The spreadsheets staff open: the panel pack, awards, variations, tranches
//! and evaluation returns of a fund (or one round). This module is the one
//! place that says which columns each has, in users' words, and what type
//! each cell is; the CSV and XLSX writers, the HTTP routes and the CLI all
//! build their rows here. See docs/EXPORTS.md.
//!
//! A cell keeps its type ([`Cell`]) so the XLSX writer can make money a
//! number and a date a date; [`Cell::csv_text`] is its CSV form.
//!
//! ```
//! use grantledger_domain::Money;
//! use grantledger_domain::spreadsheet::{Cell, Sheet, VariationLine};
//! use chrono::{TimeZone, Utc};
//!
//! let line = VariationLine {
//!     award_reference: "LCF-1-0001".into(),
//!     grantee: "Tea Dances CIC".into(),
//!     round_number: 1,
//!     previous_amount: Money::parse("2500")?,
//!     new_amount: Money::parse("2250.50")?,
//!     reason: "Smaller hall".into(),
//!     range_override_reason: None,
//!     varied_at: Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap(),
//! };
//! let cells = line.cells();
//! assert_eq!(cells.len(), Sheet::Variations.header(0).len());
//! let text: Vec<String> = cells.iter().map(Cell::csv_text).collect();
//! assert_eq!(text[3..6], ["2500.00", "2250.50", "-249.50"]);
//! assert_eq!(text[8], "2026-11-30 09:00:00");
//! # Ok::<(), grantledger_domain::MoneyError>(())
//! ```

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::{Money, MoneyDelta};

/// One cell, with its type.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing.
    Empty,
    /// Text.
    Text(String),
    /// An amount of money (signed, so a change can be negative).
    Money(MoneyDelta),
    /// A whole number.
    Integer(i64),
    /// A decimal that is not money (a mean score).
    Decimal(Decimal),
    /// A calendar date.
    Date(NaiveDate),
    /// An instant, shown in UTC.
    DateTime(DateTime<Utc>),
}

impl Cell {
    /// The cell as CSV text: money with two decimals and no separators
    /// (`2500.00`), dates `YYYY-MM-DD`, instants `YYYY-MM-DD HH:MM:SS` in
    /// UTC (a form every spreadsheet reads as a date and time). The CSV
    /// writer neutralises formula starts after this.
    #[must_use]
    pub fn csv_text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Money(m) => m.to_string(),
            Cell::Integer(n) => n.to_string(),
            Cell::Decimal(d) => d.to_string(),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
            Cell::DateTime(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        }
    }

    fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    fn money(m: Money) -> Cell {
        Cell::Money(MoneyDelta::from(m))
    }

    fn opt_text(s: Option<&str>) -> Cell {
        s.map_or(Cell::Empty, Cell::text)
    }

    fn opt_date(d: Option<NaiveDate>) -> Cell {
        d.map_or(Cell::Empty, Cell::Date)
    }

    fn opt_time(t: Option<DateTime<Utc>>) -> Cell {
        t.map_or(Cell::Empty, Cell::DateTime)
    }
}

/// The exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sheet {
    /// Applications with their answers and every assessor's mark.
    PanelPack,
    /// Awards.
    Awards,
    /// Changes of award amounts.
    Variations,
    /// Tranches (scheduled and made payments).
    Tranches,
    /// Evaluation returns: status, versions and due dates, no participant data.
    Returns,
}

impl Sheet {
    /// Every export.
    pub const ALL: [Sheet; 5] = [
        Sheet::PanelPack,
        Sheet::Awards,
        Sheet::Variations,
        Sheet::Tranches,
        Sheet::Returns,
    ];

    /// Its name in URLs, on the command line and in file names.
    #[must_use]
    pub const fn slug(self) -> &'static str {
        match self {
            Sheet::PanelPack => "panel-pack",
            Sheet::Awards => "awards",
            Sheet::Variations => "variations",
            Sheet::Tranches => "tranches",
            Sheet::Returns => "returns",
        }
    }

    /// The worksheet's name (at most 31 characters, as Excel requires).
    #[must_use]
    pub const fn title(self) -> &'static str {
        match self {
            Sheet::PanelPack => "Panel pack",
            Sheet::Awards => "Awards",
            Sheet::Variations => "Variations",
            Sheet::Tranches => "Tranches",
            Sheet::Returns => "Evaluation returns",
        }
    }

    /// The header row. `assessors` is how many assessor column groups the
    /// panel pack has (the most assessments any of its applications has);
    /// the other exports ignore it.
    #[must_use]
    pub fn header(self, assessors: usize) -> Vec<String> {
        let fixed: &[&str] = match self {
            Sheet::PanelPack => &PANEL_HEADER,
            Sheet::Awards => &AWARD_HEADER,
            Sheet::Variations => &VARIATION_HEADER,
            Sheet::Tranches => &TRANCHE_HEADER,
            Sheet::Returns => &RETURN_HEADER,
        };
        let mut header: Vec<String> = fixed.iter().map(|s| (*s).to_owned()).collect();
        if self == Sheet::PanelPack {
            for n in 1..=assessors {
                header.push(format!("Assessor {n}"));
                header.push(format!("Assessor {n} score"));
                header.push(format!("Assessor {n} recommendation"));
            }
        }
        header
    }
}

impl std::str::FromStr for Sheet {
    type Err = String;

    fn from_str(s: &str) -> Result<Sheet, String> {
        Sheet::ALL
            .into_iter()
            .find(|sheet| sheet.slug() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Sheet::ALL.iter().map(|s| s.slug()).collect();
                format!("unknown export {s:?}: expected one of {}", names.join(", "))
            })
    }
}

const PANEL_HEADER: [&str; 13] = [
    "Application ID",
    "Round",
    "Round name",
    "Applicant",
    "Region",
    "Project title",
    "Summary",
    "Amount requested (£)",
    "Status",
    "Submitted (UTC)",
    "Assessments",
    "Scores",
    "Mean score",
];

/// One assessor's mark on an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// The assessor (their email).
    pub assessor: String,
    /// Their score, `None` when they declared a conflict.
    pub score: Option<u8>,
    /// Their recommendation (`award` or `reject`), `None` on a conflict.
    pub recommendation: Option<String>,
}

/// One application in the panel pack.
#[derive(Debug, Clone, PartialEq)]
pub struct PanelLine {
    /// The application's id.
    pub application_id: uuid::Uuid,
    /// Its round's number.
    pub round_number: i32,
    /// Its round's name.
    pub round_name: String,
    /// The applicant organisation.
    pub applicant: String,
    /// The applicant's region.
    pub region: String,
    /// The project title (an answer).
    pub project_title: String,
    /// The summary (an answer).
    pub summary: String,
    /// What it asks for.
    pub amount_requested: Money,
    /// Its status.
    pub status: String,
    /// When it was submitted.
    pub submitted_at: Option<DateTime<Utc>>,
    /// Every assessor's mark, in the order they were recorded.
    pub marks: Vec<Mark>,
}

impl PanelLine {
    /// The mean of the scores given (conflicts declared are not scores),
    /// to two decimal places; `None` before any score.
    ///
    /// ```
    /// use grantledger_domain::spreadsheet::{Mark, PanelLine};
    /// # let mut line = PanelLine { application_id: uuid::Uuid::nil(), round_number: 1,
    /// #   round_name: String::new(), applicant: String::new(), region: String::new(),
    /// #   project_title: String::new(), summary: String::new(),
    /// #   amount_requested: grantledger_domain::Money::ZERO, status: String::new(),
    /// #   submitted_at: None, marks: vec![] };
    /// let mark = |score| Mark { assessor: "a@example.org".into(), score, recommendation: None };
    /// line.marks = vec![mark(Some(7)), mark(Some(8)), mark(None), mark(Some(8))];
    /// assert_eq!(line.mean_score().unwrap().to_string(), "7.67");
    /// line.marks = vec![mark(Some(4))];
    /// assert_eq!(line.mean_score().unwrap().to_string(), "4.00");
    /// ```
    #[must_use]
    pub fn mean_score(&self) -> Option<Decimal> {
        let scores: Vec<u8> = self.marks.iter().filter_map(|m| m.score).collect();
        let count = Decimal::from(u32::try_from(scores.len()).ok()?);
        if count.is_zero() {
            return None;
        }
        let sum: Decimal = scores.iter().map(|s| Decimal::from(*s)).sum();
        let mut mean = (sum / count).round_dp(2);
        mean.rescale(2);
        Some(mean)
    }

    /// The cells, with `assessors` assessor column groups (blank where this
    /// application has fewer marks).
    #[must_use]
    pub fn cells(&self, assessors: usize) -> Vec<Cell> {
        let scored = self.marks.iter().filter(|m| m.score.is_some()).count();
        let mut cells = vec![
            Cell::text(self.application_id.to_string()),
            Cell::Integer(i64::from(self.round_number)),
            Cell::text(&self.round_name),
            Cell::text(&self.applicant),
            Cell::text(&self.region),
            Cell::text(&self.project_title),
            Cell::text(&self.summary),
            Cell::money(self.amount_requested),
            Cell::text(&self.status),
            Cell::opt_time(self.submitted_at),
            Cell::Integer(i64::try_from(self.marks.len()).unwrap_or(i64::MAX)),
            Cell::Integer(i64::try_from(scored).unwrap_or(i64::MAX)),
            self.mean_score().map_or(Cell::Empty, Cell::Decimal),
        ];
        for n in 0..assessors {
            match self.marks.get(n) {
                Some(mark) => {
                    cells.push(Cell::text(&mark.assessor));
                    cells.push(
                        mark.score
                            .map_or(Cell::Empty, |s| Cell::Integer(i64::from(s))),
                    );
                    cells.push(match (&mark.recommendation, mark.score) {
                        (Some(r), _) => Cell::text(r),
                        (None, None) => Cell::text("conflict declared"),
                        (None, Some(_)) => Cell::Empty,
                    });
                }
                None => cells.extend([Cell::Empty, Cell::Empty, Cell::Empty]),
            }
        }
        cells
    }
}

const AWARD_HEADER: [&str; 14] = [
    "Award reference",
    "Round",
    "Round name",
    "Grantee",
    "Region",
    "Project title",
    "Status",
    "Amount awarded (£)",
    "Scheduled (£)",
    "Paid (£)",
    "Awarded (UTC)",
    "Last changed (UTC)",
    "Evaluation return due",
    "Cancellation reason",
];

/// One award.
#[derive(Debug, Clone, PartialEq)]
pub struct AwardLine {
    /// Its reference (`LCF-1-0001`).
    pub reference: String,
    /// Its round's number.
    pub round_number: i32,
    /// Its round's name.
    pub round_name: String,
    /// The grantee.
    pub grantee: String,
    /// The grantee's region.
    pub region: String,
    /// The project title.
    pub project_title: String,
    /// Its status.
    pub status: String,
    /// The amount awarded now (after variations).
    pub amount: Money,
    /// Tranches scheduled or paid.
    pub scheduled: Money,
    /// Paid so far.
    pub paid: Money,
    /// When it was made.
    pub awarded_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When its evaluation return is due.
    pub return_due_on: Option<NaiveDate>,
    /// Why it was cancelled.
    pub cancellation_reason: Option<String>,
}

impl AwardLine {
    /// The cells, in [`Sheet::Awards`]' header order.
    #[must_use]
    pub fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::text(&self.reference),
            Cell::Integer(i64::from(self.round_number)),
            Cell::text(&self.round_name),
            Cell::text(&self.grantee),
            Cell::text(&self.region),
            Cell::text(&self.project_title),
            Cell::text(&self.status),
            Cell::money(self.amount),
            Cell::money(self.scheduled),
            Cell::money(self.paid),
            Cell::DateTime(self.awarded_at),
            Cell::DateTime(self.updated_at),
            Cell::opt_date(self.return_due_on),
            Cell::opt_text(self.cancellation_reason.as_deref()),
        ]
    }
}

const VARIATION_HEADER: [&str; 9] = [
    "Award reference",
    "Grantee",
    "Round",
    "Previous amount (£)",
    "New amount (£)",
    "Change (£)",
    "Reason",
    "Outside the grant range because",
    "Varied (UTC)",
];

/// One change of an award's amount.
#[derive(Debug, Clone, PartialEq)]
pub struct VariationLine {
    /// The award's reference.
    pub award_reference: String,
    /// The grantee.
    pub grantee: String,
    /// The round's number.
    pub round_number: i32,
    /// The amount before.
    pub previous_amount: Money,
    /// The amount after.
    pub new_amount: Money,
    /// Why.
    pub reason: String,
    /// Why it goes outside the round's grant range, when it does.
    pub range_override_reason: Option<String>,
    /// When.
    pub varied_at: DateTime<Utc>,
}

impl VariationLine {
    /// The cells, in [`Sheet::Variations`]' header order.
    #[must_use]
    pub fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::text(&self.award_reference),
            Cell::text(&self.grantee),
            Cell::Integer(i64::from(self.round_number)),
            Cell::money(self.previous_amount),
            Cell::money(self.new_amount),
            Cell::Money(self.previous_amount.delta_to(self.new_amount)),
            Cell::text(&self.reason),
            Cell::opt_text(self.range_override_reason.as_deref()),
            Cell::DateTime(self.varied_at),
        ]
    }
}

const TRANCHE_HEADER: [&str; 9] = [
    "Award reference",
    "Grantee",
    "Round",
    "Amount (£)",
    "Due on",
    "Status",
    "Paid (UTC)",
    "Payment run",
    "Note",
];

/// One tranche of an award.
#[derive(Debug, Clone, PartialEq)]
pub struct TrancheLine {
    /// The award's reference.
    pub award_reference: String,
    /// The grantee.
    pub grantee: String,
    /// The round's number.
    pub round_number: i32,
    /// How much.
    pub amount: Money,
    /// When it is due.
    pub due_on: NaiveDate,
    /// Scheduled, paid, failed or reversed.
    pub status: String,
    /// When it was paid.
    pub paid_at: Option<DateTime<Utc>>,
    /// The payment run it went in.
    pub payment_run: Option<uuid::Uuid>,
    /// The note recorded with it.
    pub note: Option<String>,
}

impl TrancheLine {
    /// The cells, in [`Sheet::Tranches`]' header order.
    #[must_use]
    pub fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::text(&self.award_reference),
            Cell::text(&self.grantee),
            Cell::Integer(i64::from(self.round_number)),
            Cell::money(self.amount),
            Cell::Date(self.due_on),
            Cell::text(&self.status),
            Cell::opt_time(self.paid_at),
            self.payment_run
                .map_or(Cell::Empty, |r| Cell::text(r.to_string())),
            Cell::opt_text(self.note.as_deref()),
        ]
    }
}

const RETURN_HEADER: [&str; 9] = [
    "Award reference",
    "Grantee",
    "Round",
    "Award status",
    "Return due",
    "Return status",
    "Versions submitted",
    "First submitted (UTC)",
    "Last changed (UTC)",
];

/// One award's evaluation return: where it stands, never what it says
/// (no participant-level data).
#[derive(Debug, Clone, PartialEq)]
pub struct ReturnLine {
    /// The award's reference.
    pub award_reference: String,
    /// The grantee.
    pub grantee: String,
    /// The round's number.
    pub round_number: i32,
    /// The award's status.
    pub award_status: String,
    /// When the return is due.
    pub due_on: Option<NaiveDate>,
    /// The return's status; `None` when nothing has been submitted.
    pub status: Option<String>,
    /// How many versions have been submitted.
    pub versions: i32,
    /// When the first version came in.
    pub first_submitted_at: Option<DateTime<Utc>>,
    /// When the return last changed (a version or a review).
    pub updated_at: Option<DateTime<Utc>>,
}

impl ReturnLine {
    /// The cells, in [`Sheet::Returns`]' header order. A return not yet
    /// submitted shows `not submitted`.
    #[must_use]
    pub fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::text(&self.award_reference),
            Cell::text(&self.grantee),
            Cell::Integer(i64::from(self.round_number)),
            Cell::text(&self.award_status),
            Cell::opt_date(self.due_on),
            Cell::text(self.status.as_deref().unwrap_or("not submitted")),
            Cell::Integer(i64::from(self.versions)),
            Cell::opt_time(self.first_submitted_at),
            Cell::opt_time(self.updated_at),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_fills_its_header() {
        let t = DateTime::<Utc>::UNIX_EPOCH;
        let award = AwardLine {
            reference: String::new(),
            round_number: 1,
            round_name: String::new(),
            grantee: String::new(),
            region: String::new(),
            project_title: String::new(),
            status: String::new(),
            amount: Money::ZERO,
            scheduled: Money::ZERO,
            paid: Money::ZERO,
            awarded_at: t,
            updated_at: t,
            return_due_on: None,
            cancellation_reason: None,
        };
        assert_eq!(award.cells().len(), Sheet::Awards.header(0).len());
        let tranche = TrancheLine {
            award_reference: String::new(),
            grantee: String::new(),
            round_number: 1,
            amount: Money::ZERO,
            due_on: NaiveDate::MIN,
            status: String::new(),
            paid_at: None,
            payment_run: None,
            note: None,
        };
        assert_eq!(tranche.cells().len(), Sheet::Tranches.header(0).len());
        let ret = ReturnLine {
            award_reference: String::new(),
            grantee: String::new(),
            round_number: 1,
            award_status: String::new(),
            due_on: None,
            status: None,
            versions: 0,
            first_submitted_at: None,
            updated_at: None,
        };
        assert_eq!(ret.cells().len(), Sheet::Returns.header(0).len());
        let panel = PanelLine {
            application_id: uuid::Uuid::nil(),
            round_number: 1,
            round_name: String::new(),
            applicant: String::new(),
            region: String::new(),
            project_title: String::new(),
            summary: String::new(),
            amount_requested: Money::ZERO,
            status: String::new(),
            submitted_at: None,
            marks: vec![Mark {
                assessor: "a".into(),
                score: None,
                recommendation: None,
            }],
        };
        assert_eq!(panel.cells(3).len(), Sheet::PanelPack.header(3).len());
        assert_eq!(panel.mean_score(), None);
        assert_eq!(panel.cells(1)[15], Cell::Text("conflict declared".into()));
    }

    #[test]
    fn slugs_parse_back() {
        for sheet in Sheet::ALL {
            assert_eq!(sheet.slug().parse::<Sheet>(), Ok(sheet));
            assert!(sheet.title().len() <= 31);
        }
        assert!("everything".parse::<Sheet>().is_err());
    }
}
