//! Reading the pledge tracker file. See `docs/COMMITMENTS.md` for the format
//! as found and the rules applied here.

use core::fmt;
use std::collections::HashMap;

use super::department::parse_departments;
use super::{CommitmentStatus, Department};

/// The most characters in a pledge's text.
pub const MAX_PLEDGE_CHARS: usize = 5000;
/// The most characters in a progress cell.
pub const MAX_PROGRESS_CHARS: usize = 1000;
/// Parsing stops after this many errors: a binary file would otherwise
/// produce one per line.
const MAX_ERRORS: usize = 50;

/// One pledge row of the tracker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackerRow {
    /// The line of the file it is on, counting from 1.
    pub line: u32,
    /// The pledge number it starts with.
    pub number: u32,
    /// Which row with this number it is, counting from 1 in file order.
    pub occurrence: u32,
    /// The pledge text, without its number and without `<p>` tags.
    pub text: String,
    /// The departments named, canonical and without repeats.
    pub departments: Vec<Department>,
    /// The progress cell, trimmed and without `<p>` tags; empty when the
    /// tracker gives none.
    pub progress: String,
}

impl TrackerRow {
    /// The status its progress text normalises to.
    #[must_use]
    pub fn status(&self) -> CommitmentStatus {
        CommitmentStatus::from_progress(&self.progress)
    }
}

/// A problem with one line of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackerError {
    /// The line, counting from 1.
    pub line: u32,
    /// What is wrong with it.
    pub message: String,
}

impl TrackerError {
    fn new(line: u32, message: impl Into<String>) -> TrackerError {
        TrackerError {
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for TrackerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for TrackerError {}

/// Every problem found in a tracker file (at least one), in line order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackerErrors(pub Vec<TrackerError>);

impl fmt::Display for TrackerErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for error in &self.0 {
            if !first {
                f.write_str("; ")?;
            }
            first = false;
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for TrackerErrors {}

impl From<TrackerError> for TrackerErrors {
    fn from(error: TrackerError) -> Self {
        TrackerErrors(vec![error])
    }
}

/// Reads a pledge tracker: UTF-8 text, a preamble, the header line
/// `Pledge<TAB>Dept<TAB>Progress`, then one pledge per line.
///
/// - Blank lines are skipped anywhere; lines before the header are the
///   preamble (titles) and are skipped, unless one is already a pledge row.
/// - A cell may be wrapped in `<p>…</p>`; the tags are removed, as are
///   `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&#39;` and `&nbsp;` escapes.
/// - A pledge row starts with its number (`12. The Department …`). It needs
///   the pledge and department columns; the progress column may be missing
///   or empty (the status is then `not_reported`). More than three non-empty
///   columns is an error.
/// - Repeated numbers are kept as separate rows, told apart by their
///   occurrence; gaps in the numbering are allowed.
///
/// The parser never panics, whatever the bytes.
///
/// ```
/// use grantledger_domain::commitment::parse_tracker;
///
/// let errors = parse_tracker(b"Pledge\tDept\tProgress\n1. Fine.\tDCMS\tDone\n2. No columns at all\n").unwrap_err();
/// assert_eq!(errors.0[0].line, 3);
/// assert!(errors.to_string().starts_with("line 3: "));
/// assert_eq!(parse_tracker(b"").unwrap_err().to_string(), "line 1: the file is empty");
/// assert!(parse_tracker(b"Pledge\tDept\tProgress\n1. A\xff\tDCMS\t\n").unwrap_err().to_string().starts_with("line 2: "));
/// ```
///
/// # Errors
/// [`TrackerErrors`] naming the line of each problem: bytes that are not
/// UTF-8 (the first bad line only), control characters (binary data), an
/// empty file, no header, a row without a number, with too few or too many
/// columns, with no department, or with text too long.
pub fn parse_tracker(bytes: &[u8]) -> Result<Vec<TrackerRow>, TrackerErrors> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let good = bytes.get(..error.valid_up_to()).unwrap_or_default();
            let line = line_number(good.iter().filter(|b| **b == b'\n').count());
            return Err(TrackerError::new(
                line,
                format!(
                    "is not UTF-8 text (bad byte at offset {}); save the tracker as UTF-8 tab-separated text",
                    error.valid_up_to()
                ),
            )
            .into());
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(TrackerError::new(1, "the file is empty").into());
    }

    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut header: Option<u32> = None;
    let mut occurrences: HashMap<u32, u32> = HashMap::new();
    for (index, raw) in text.split('\n').enumerate() {
        if errors.len() >= MAX_ERRORS {
            break;
        }
        let line = line_number(index);
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(c) = raw.chars().find(|c| c.is_control() && *c != '\t') {
            errors.push(TrackerError::new(
                line,
                format!(
                    "contains the control character U+{:04X}; the file looks binary, not tab-separated text",
                    u32::from(c)
                ),
            ));
            continue;
        }
        let cells: Vec<String> = raw.split('\t').map(clean).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        if header.is_none() {
            if is_header(&cells) {
                header = Some(line);
            } else if pledge_number(cells.first().map_or("", String::as_str)).is_some() {
                errors.push(TrackerError::new(
                    line,
                    "a pledge row comes before the header line \"Pledge<TAB>Dept<TAB>Progress\"",
                ));
            }
            continue;
        }
        match parse_row(line, raw, &cells) {
            Ok(mut row) => {
                let seen = occurrences.entry(row.number).or_insert(0);
                *seen = seen.saturating_add(1);
                row.occurrence = *seen;
                rows.push(row);
            }
            Err(message) => errors.push(TrackerError::new(line, message)),
        }
    }
    if errors.is_empty() {
        match header {
            None => errors.push(TrackerError::new(
                1,
                "no header line \"Pledge<TAB>Dept<TAB>Progress\" was found; is this the pledge tracker?",
            )),
            Some(line) if rows.is_empty() => errors.push(TrackerError::new(
                line,
                "the header is followed by no pledge rows",
            )),
            Some(_) => {}
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(TrackerErrors(errors))
    }
}

fn line_number(index: usize) -> u32 {
    u32::try_from(index.saturating_add(1)).unwrap_or(u32::MAX)
}

/// Trims a cell and removes `<p>` wrappers and the common HTML escapes.
fn clean(cell: &str) -> String {
    let mut text = cell.trim();
    loop {
        let before = text;
        if let Some(rest) = strip_prefix_ignore_case(text, "<p>") {
            text = rest.trim();
        }
        if let Some(rest) = strip_suffix_ignore_case(text, "</p>") {
            text = rest.trim();
        }
        if text == before {
            break;
        }
    }
    text.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .trim()
        .to_owned()
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| text.get(prefix.len()..))
        .flatten()
}

fn strip_suffix_ignore_case<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let start = text.len().checked_sub(suffix.len())?;
    let tail = text.get(start..)?;
    tail.eq_ignore_ascii_case(suffix)
        .then(|| text.get(..start))
        .flatten()
}

fn is_header(cells: &[String]) -> bool {
    let lower: Vec<String> = cells.iter().map(|c| c.to_lowercase()).collect();
    matches!(
        lower.as_slice(),
        [pledge, dept, rest @ ..]
            if pledge == "pledge"
                && matches!(dept.as_str(), "dept" | "depts" | "dept(s)" | "department" | "departments")
                && rest.iter().all(|c| c.is_empty() || c.starts_with("progress"))
    )
}

/// `12. The text` → `(12, "The text")`.
fn pledge_number(cell: &str) -> Option<(u32, &str)> {
    let digits = cell.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 || digits > 6 {
        return None;
    }
    let number = cell.get(..digits)?.parse::<u32>().ok()?;
    let rest = cell.get(digits..)?.strip_prefix('.')?;
    Some((number, rest.trim()))
}

fn parse_row(line: u32, raw: &str, cells: &[String]) -> Result<TrackerRow, String> {
    let first = cells.first().map_or("", String::as_str);
    let Some((number, text)) = pledge_number(first) else {
        return Err(format!(
            "does not start with a pledge number such as \"12. \": {}",
            preview(first)
        ));
    };
    if number == 0 {
        return Err("pledge numbers start at 1; found 0".to_owned());
    }
    if !raw.contains('\t') {
        return Err(
            "has 1 column; a pledge row needs tab-separated columns: pledge, department and progress (progress may be empty)"
                .to_owned(),
        );
    }
    let used = cells.len() - cells.iter().rev().take_while(|c| c.is_empty()).count();
    if used > 3 {
        return Err(format!(
            "has {used} columns; expected 3: pledge, department and progress"
        ));
    }
    if text.is_empty() {
        return Err(format!("pledge {number} has no text"));
    }
    if text.chars().count() > MAX_PLEDGE_CHARS {
        return Err(format!(
            "pledge {number} is longer than {MAX_PLEDGE_CHARS} characters"
        ));
    }
    let department_cell = cells.get(1).map_or("", String::as_str);
    if department_cell.is_empty() {
        return Err(format!("pledge {number} has an empty department column"));
    }
    let departments = parse_departments(department_cell)
        .map_err(|e| format!("pledge {number}: department: {e}"))?;
    let progress = cells.get(2).cloned().unwrap_or_default();
    if progress.chars().count() > MAX_PROGRESS_CHARS {
        return Err(format!(
            "pledge {number}: progress is longer than {MAX_PROGRESS_CHARS} characters"
        ));
    }
    Ok(TrackerRow {
        line,
        number,
        occurrence: 0,
        text: text.to_owned(),
        departments,
        progress,
    })
}

/// The start of a cell, for an error message.
fn preview(cell: &str) -> String {
    let short: String = cell.chars().take(40).collect();
    if short.len() < cell.len() {
        format!("\"{short}…\"")
    } else {
        format!("\"{short}\"")
    }
}
