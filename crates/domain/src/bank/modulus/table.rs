//! Reading Pay.UK's `valacdos.txt` and `scsubtab.txt`. Both are lines of
//! space-separated fields (section 2.3.2 and exception 5 of the
//! specification); blank lines are skipped and CRLF endings accepted, as
//! Pay.UK ships them.

use std::collections::BTreeMap;

use super::check::{Check, Exception, Method, Subject, Weights};

/// Which of Pay.UK's two modulus files a problem was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModulusFile {
    /// `valacdos.txt`, the modulus weight table.
    Valacdos,
    /// `scsubtab.txt`, the sort code substitution table.
    Scsubtab,
}

impl core::fmt::Display for ModulusFile {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ModulusFile::Valacdos => "valacdos.txt",
            ModulusFile::Scsubtab => "scsubtab.txt",
        })
    }
}

/// Why a modulus table could not be loaded. The message names the file and
/// line, for whoever installs a newer table from Pay.UK.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModulusTableError {
    /// One line is malformed.
    #[error("{file} line {line}: {problem}")]
    Line {
        /// The file the line is in.
        file: ModulusFile,
        /// The line number, counting from 1.
        line: usize,
        /// What is wrong with it.
        problem: ModulusLineProblem,
    },
    /// The weight table has no rows, so nothing could be checked: almost
    /// certainly the wrong file.
    #[error("{file} has no sort code ranges")]
    Empty {
        /// The empty file.
        file: ModulusFile,
    },
}

/// What is wrong with one line of a modulus file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModulusLineProblem {
    /// Too few or too many fields.
    #[error("expected {expected} fields, found {found}")]
    FieldCount {
        /// The fields the line should have.
        expected: &'static str,
        /// How many it has.
        found: usize,
    },
    /// A sort code field is not six digits.
    #[error("{field} `{value}` is not a 6-digit sort code")]
    SortCode {
        /// Which field.
        field: &'static str,
        /// What it holds.
        value: String,
    },
    /// The start sort code is after the end one.
    #[error("the range ends before it starts")]
    ReversedRange,
    /// The check method is not one of the three the specification defines.
    #[error("check method `{0}` is not MOD10, MOD11 or DBLAL")]
    Method(String),
    /// A weight is not a three-digit signed whole number.
    #[error("weight {position} `{value}` is not a whole number from -99 to 999")]
    Weight {
        /// The digit position, `u` to `h`.
        position: char,
        /// What the field holds.
        value: String,
    },
    /// The double alternate check sums the digits of each product, which
    /// the specification defines only for weights of 0 or more.
    #[error("weight {position} is negative, which a DBLAL check cannot use")]
    NegativeDoubleAlternateWeight {
        /// The digit position, `u` to `h`.
        position: char,
    },
    /// The exception is not one the specification defines.
    #[error("exception `{0}` is not a number from 1 to 14")]
    Exception(String),
    /// Ranges must come in sort code order and not overlap, so each sort
    /// code has one row or two consecutive rows.
    #[error(
        "the range overlaps or comes before the range on the line above; lines must be in sort code order"
    )]
    OutOfOrder,
    /// The specification allows at most two checks for a range.
    #[error("a third check for the same range; a range has at most two")]
    ThirdCheck,
    /// The same sort code is substituted twice.
    #[error("the sort code already has a substitute on line {0}")]
    DuplicateSubstitution(usize),
}

/// A sort code range and its one or two checks, in the table's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Range {
    pub(super) start: u32,
    pub(super) end: u32,
    pub(super) first: Check,
    pub(super) second: Option<Check>,
}

impl Range {
    /// Exception 6 on either check, and the account is a foreign currency
    /// one: such accounts cannot be checked, and the specification counts
    /// them valid (test case 13).
    pub(super) fn is_foreign_currency(&self, subject: &Subject) -> bool {
        let flagged = core::iter::once(&self.first)
            .chain(&self.second)
            .any(|c| c.exception == Some(Exception::ForeignCurrency));
        flagged && subject.is_foreign_currency()
    }
}

/// Exception 5's sort code substitutions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Substitutions(BTreeMap<[u8; 6], [u8; 6]>);

impl Substitutions {
    /// The sort code to check with: its substitute, or itself.
    pub(super) fn substitute(&self, sort_code: [u8; 6]) -> [u8; 6] {
        self.0.get(&sort_code).copied().unwrap_or(sort_code)
    }

    pub(super) fn len(&self) -> usize {
        self.0.len()
    }
}

/// Lines with their 1-based numbers, blank ones dropped.
fn numbered(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line))
        .filter(|(_, line)| !line.trim().is_empty())
}

pub(super) fn parse_valacdos(text: &str) -> Result<Vec<Range>, ModulusTableError> {
    let mut ranges: Vec<Range> = Vec::new();
    for (line, content) in numbered(text) {
        let at = |problem| ModulusTableError::Line {
            file: ModulusFile::Valacdos,
            line,
            problem,
        };
        let row = parse_row(content).map_err(at)?;
        add_row(&mut ranges, row).map_err(at)?;
    }
    if ranges.is_empty() {
        return Err(ModulusTableError::Empty {
            file: ModulusFile::Valacdos,
        });
    }
    Ok(ranges)
}

pub(super) fn parse_scsubtab(text: &str) -> Result<Substitutions, ModulusTableError> {
    let mut map = BTreeMap::new();
    let mut first_seen = BTreeMap::new();
    for (line, content) in numbered(text) {
        let at = |problem| ModulusTableError::Line {
            file: ModulusFile::Scsubtab,
            line,
            problem,
        };
        let (original, substitute) = parse_substitution(content).map_err(at)?;
        if let Some(earlier) = first_seen.insert(original, line) {
            return Err(at(ModulusLineProblem::DuplicateSubstitution(earlier)));
        }
        map.insert(original, substitute);
    }
    Ok(Substitutions(map))
}

fn parse_substitution(line: &str) -> Result<([u8; 6], [u8; 6]), ModulusLineProblem> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let [original, substitute] = fields.as_slice() else {
        return Err(ModulusLineProblem::FieldCount {
            expected: "2 (original sort code, substitute)",
            found: fields.len(),
        });
    };
    Ok((
        sort_code("original sort code", original)?,
        sort_code("substitute sort code", substitute)?,
    ))
}

/// One line of the weight table.
struct Row {
    start: [u8; 6],
    end: [u8; 6],
    check: Check,
}

const ROW_FIELDS: &str = "17 or 18 (start, end, method, 14 weights, optional exception)";

fn parse_row(line: &str) -> Result<Row, ModulusLineProblem> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let wrong_count = || ModulusLineProblem::FieldCount {
        expected: ROW_FIELDS,
        found: fields.len(),
    };
    let [start, end, method, rest @ ..] = fields.as_slice() else {
        return Err(wrong_count());
    };
    let (weights, exception) = match rest {
        [weights @ .., exception] if rest.len() == 15 => (weights, Some(*exception)),
        weights if rest.len() == 14 => (weights, None),
        _ => return Err(wrong_count()),
    };
    let (start, end) = (
        sort_code("start sort code", start)?,
        sort_code("end sort code", end)?,
    );
    if start > end {
        return Err(ModulusLineProblem::ReversedRange);
    }
    let method = parse_method(method)?;
    let check = Check {
        method,
        weights: parse_weights(weights, method)?,
        exception: exception.map(parse_exception).transpose()?,
    };
    Ok(Row { start, end, check })
}

fn sort_code(field: &'static str, value: &str) -> Result<[u8; 6], ModulusLineProblem> {
    let bad = || ModulusLineProblem::SortCode {
        field,
        value: value.to_owned(),
    };
    let bytes: [u8; 6] = value.as_bytes().try_into().map_err(|_| bad())?;
    if !bytes.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    Ok(bytes.map(|b| b - b'0'))
}

fn parse_method(value: &str) -> Result<Method, ModulusLineProblem> {
    match value {
        "MOD10" => Ok(Method::Mod10),
        "MOD11" => Ok(Method::Mod11),
        "DBLAL" => Ok(Method::DoubleAlternate),
        other => Err(ModulusLineProblem::Method(other.to_owned())),
    }
}

fn parse_weights(fields: &[&str], method: Method) -> Result<Weights, ModulusLineProblem> {
    let mut weights: Weights = [0; 14];
    for ((weight, field), position) in weights.iter_mut().zip(fields).zip("uvwxyzabcdefgh".chars())
    {
        *weight = field
            .parse::<i16>()
            .ok()
            .filter(|w| (-99..=999).contains(w))
            .ok_or_else(|| ModulusLineProblem::Weight {
                position,
                value: (*field).to_owned(),
            })?;
        if method == Method::DoubleAlternate && *weight < 0 {
            return Err(ModulusLineProblem::NegativeDoubleAlternateWeight { position });
        }
    }
    Ok(weights)
}

fn parse_exception(value: &str) -> Result<Exception, ModulusLineProblem> {
    value
        .parse::<u8>()
        .ok()
        .and_then(Exception::from_number)
        .ok_or_else(|| ModulusLineProblem::Exception(value.to_owned()))
}

/// Adds a row as a new range, or as the second check of the range on the
/// line above when the two give the same sort codes.
fn add_row(ranges: &mut Vec<Range>, row: Row) -> Result<(), ModulusLineProblem> {
    let (start, end) = (as_number(row.start), as_number(row.end));
    match ranges.last_mut() {
        Some(last) if (last.start, last.end) == (start, end) => {
            if last.second.is_some() {
                return Err(ModulusLineProblem::ThirdCheck);
            }
            last.second = Some(row.check);
            Ok(())
        }
        Some(last) if start <= last.end => Err(ModulusLineProblem::OutOfOrder),
        _ => {
            ranges.push(Range {
                start,
                end,
                first: row.check,
                second: None,
            });
            Ok(())
        }
    }
}

fn as_number(digits: [u8; 6]) -> u32 {
    digits.iter().fold(0, |n, d| n * 10 + u32::from(*d))
}
