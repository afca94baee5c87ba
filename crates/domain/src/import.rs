//! Bulk CSV imports: grantee organisations, and award decisions for a round.
//! Reading a file checks every row and reports every bad one with its line
//! number, so a file is fixed in one pass; nothing here touches storage.
//!
//! ```
//! use grantledger_domain::import::{parse_grantees, parse_award_decisions};
//!
//! let file = "name,org_id,organisation_type,region,local_authority,postcode,annual_income\n\
//!             Tuesday Lunch Club,,community_group,north_east,Gateshead,ne8 1he,12000\n\
//!             Reading Friends,GB-CHC-1234567,registered_charity,london,Lambeth,SE11 5QY,60000.00\n";
//! let rows = parse_grantees(file.as_bytes()).unwrap();
//! assert_eq!(rows.len(), 2);
//! assert_eq!((rows[0].line, rows[0].grantee.postcode.as_str()), (2, "NE8 1HE"));
//!
//! let bad = "name,organisation_type,region,local_authority,postcode,annual_income\n\
//!            A,charity,london,Lambeth,SE11 5QY,1\n\
//!            B,cic,london,Lambeth,SE11 5QY,£1\n";
//! let errors = parse_grantees(bad.as_bytes()).unwrap_err();
//! assert_eq!(errors.0.iter().map(|e| e.line).collect::<Vec<_>>(), [2, 3]);
//! assert!(errors.0[0].message.starts_with("organisation_type: "));
//!
//! let awards = parse_award_decisions(b"application_id,amount\n0190a0b4-9c1e-7000-8000-000000000001,2500\n").unwrap();
//! assert_eq!(awards[0].amount.to_string(), "2500.00");
//! ```

use std::collections::BTreeMap;

use crate::grantee::{
    DueDiligence, Grantee, LocalAuthority, OrganisationName, OrganisationType, Postcode, Region,
};
use crate::ids::{ApplicationId, GranteeId};
use crate::money::Money;
use crate::org_id::OrgId;

/// One bad line of an import file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// The line in the file, from 1 (the header is line 1).
    pub line: u64,
    /// What is wrong, starting with the column when there is one.
    pub message: String,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Every bad line of a file, in line order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} line(s) cannot be imported", .0.len())]
pub struct ImportErrors(pub Vec<LineError>);

/// The columns of a grantee import, in the order the template lists them.
pub const GRANTEE_COLUMNS: [&str; 7] = [
    "name",
    "org_id",
    "organisation_type",
    "region",
    "local_authority",
    "postcode",
    "annual_income",
];
const GRANTEE_REQUIRED: [&str; 6] = [
    "name",
    "organisation_type",
    "region",
    "local_authority",
    "postcode",
    "annual_income",
];

/// The columns of an award-decision import.
pub const AWARD_COLUMNS: [&str; 2] = ["application_id", "amount"];

/// A grantee read from a file, with a fresh id and due diligence pending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GranteeRow {
    /// Its line in the file.
    pub line: u64,
    /// The organisation.
    pub grantee: Grantee,
}

impl GranteeRow {
    /// What identifies the organisation across imports: its org id, or else
    /// its name (any case) and postcode.
    #[must_use]
    pub fn key(&self) -> String {
        grantee_key(&self.grantee)
    }
}

/// The identity [`GranteeRow::key`] uses, for a grantee already held.
#[must_use]
pub fn grantee_key(g: &Grantee) -> String {
    match &g.org_id {
        Some(id) => id.to_string(),
        None => format!("{}|{}", g.name.as_str().to_lowercase(), g.postcode),
    }
}

/// An award decision read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwardRow {
    /// Its line in the file.
    pub line: u64,
    /// The application awarded.
    pub application_id: ApplicationId,
    /// The amount.
    pub amount: Money,
}

/// A CSV file's rows as column → value maps, after checking the encoding
/// and the header.
struct Table {
    rows: Vec<(u64, BTreeMap<String, String>)>,
}

fn line_error(line: u64, message: impl Into<String>) -> LineError {
    LineError {
        line,
        message: message.into(),
    }
}

/// The rows that have the header's shape, and the lines that do not; a bad
/// encoding or header fails at once.
fn read_table(
    bytes: &[u8],
    known: &[&str],
    required: &[&str],
) -> Result<(Table, Vec<LineError>), ImportErrors> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Err(e) = std::str::from_utf8(bytes) {
        let before = bytes.get(..e.valid_up_to()).unwrap_or_default();
        let line = before.iter().filter(|b| **b == b'\n').count() as u64 + 1;
        return Err(ImportErrors(vec![line_error(
            line,
            "the file is not UTF-8 text; save it as CSV UTF-8",
        )]));
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h
            .iter()
            .map(|c| c.trim().to_lowercase().replace([' ', '-'], "_"))
            .collect(),
        Err(e) => return Err(ImportErrors(vec![line_error(1, e.to_string())])),
    };
    let mut errors = Vec::new();
    if header.iter().all(String::is_empty) {
        errors.push(line_error(
            1,
            format!(
                "the file is empty; the first line must name the columns: {}",
                known.join(",")
            ),
        ));
        return Err(ImportErrors(errors));
    }
    for column in &header {
        if !known.contains(&column.as_str()) {
            errors.push(line_error(
                1,
                format!(
                    "unknown column \"{column}\"; the columns are {}",
                    known.join(", ")
                ),
            ));
        }
    }
    for (i, column) in header.iter().enumerate() {
        if header.iter().take(i).any(|c| c == column) {
            errors.push(line_error(1, format!("column \"{column}\" appears twice")));
        }
    }
    for column in required {
        if !header.iter().any(|c| c == column) {
            errors.push(line_error(1, format!("missing column \"{column}\"")));
        }
    }
    if !errors.is_empty() {
        return Err(ImportErrors(errors));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        match record {
            Ok(record) => {
                let line = record.position().map_or(0, csv::Position::line);
                if record.iter().all(str::is_empty) {
                    continue;
                }
                if record.len() != header.len() {
                    errors.push(line_error(
                        line,
                        format!(
                            "has {} fields but the header has {}",
                            record.len(),
                            header.len()
                        ),
                    ));
                    continue;
                }
                let map = header
                    .iter()
                    .cloned()
                    .zip(record.iter().map(str::to_owned))
                    .collect();
                rows.push((line, map));
            }
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                errors.push(line_error(line, e.to_string()));
            }
        }
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(line_error(2, "the file has a header but no rows"));
    }
    Ok((Table { rows }, errors))
}

/// Collects one row's bad fields as `column: reason`.
struct RowCheck<'a> {
    line: u64,
    row: &'a BTreeMap<String, String>,
    errors: &'a mut Vec<LineError>,
}

impl RowCheck<'_> {
    fn text(&self, column: &str) -> &str {
        self.row.get(column).map_or("", String::as_str)
    }

    fn take<T, E: std::fmt::Display>(
        &mut self,
        column: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let text = self.text(column).to_owned();
        match parse(&text) {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors
                    .push(line_error(self.line, format!("{column}: {e}")));
                None
            }
        }
    }
}

/// A field of a grantee's details that does not read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field (`name`, `org_id`, `organisation_type`, `region`,
    /// `local_authority`, `postcode`, `annual_income`).
    pub field: &'static str,
    /// What is wrong with it.
    pub message: String,
}

/// A new grantee organisation (due diligence pending) from its details as
/// named fields give them, a form's or an import row's: `org_id` may be
/// empty; the income is read by `money` (an import's strict
/// [`Money::parse`], or a form's [`Money::parse_typed`], which takes `£`
/// and thousands commas). Every field is checked.
///
/// ```
/// use grantledger_domain::Money;
/// use grantledger_domain::import::grantee_from_fields;
/// let typed = |field: &str| match field {
///     "name" => "Mossley Walkers",
///     "organisation_type" => "community_group",
///     "region" => "north_west",
///     "local_authority" => "Tameside",
///     "postcode" => "OL5 0AA",
///     "annual_income" => "£12,500",
///     _ => "",
/// }
/// .to_owned();
/// let grantee = grantee_from_fields(typed, Money::parse_typed).unwrap();
/// assert_eq!(grantee.annual_income.to_string(), "12500.00");
/// assert!(grantee_from_fields(typed, Money::parse).is_err());
/// let problems = grantee_from_fields(|_| String::new(), Money::parse).unwrap_err();
/// assert_eq!(problems.len(), 6, "all but the optional org id");
/// ```
///
/// # Errors
/// Every field that does not read.
pub fn grantee_from_fields(
    field: impl Fn(&str) -> String,
    money: fn(&str) -> Result<Money, crate::money::MoneyError>,
) -> Result<Grantee, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let mut take = |name: &'static str, message: Option<String>| {
        if let Some(message) = message {
            problems.push(FieldProblem {
                field: name,
                message,
            });
        }
    };
    let text = |name: &str| field(name).trim().to_owned();
    let name = OrganisationName::parse(&text("name"));
    let org_id = match text("org_id").as_str() {
        "" => Ok(None),
        id => OrgId::parse(id).map(Some),
    };
    let organisation_type = text("organisation_type").parse::<OrganisationType>();
    let region = text("region").parse::<Region>();
    let local_authority = LocalAuthority::parse(&text("local_authority"));
    let postcode = Postcode::parse(&text("postcode"));
    let annual_income = money(&text("annual_income"));
    take("name", name.as_ref().err().map(ToString::to_string));
    take("org_id", org_id.as_ref().err().map(ToString::to_string));
    take(
        "organisation_type",
        organisation_type.as_ref().err().map(ToString::to_string),
    );
    take("region", region.as_ref().err().map(ToString::to_string));
    take(
        "local_authority",
        local_authority.as_ref().err().map(ToString::to_string),
    );
    take("postcode", postcode.as_ref().err().map(ToString::to_string));
    take(
        "annual_income",
        annual_income.as_ref().err().map(ToString::to_string),
    );
    match (
        name,
        org_id,
        organisation_type,
        region,
        local_authority,
        postcode,
        annual_income,
    ) {
        (
            Ok(name),
            Ok(org_id),
            Ok(organisation_type),
            Ok(region),
            Ok(local_authority),
            Ok(postcode),
            Ok(annual_income),
        ) => Ok(Grantee {
            id: GranteeId::new(),
            name,
            org_id,
            organisation_type,
            region,
            local_authority,
            postcode,
            annual_income,
            due_diligence: DueDiligence::pending(),
        }),
        _ => Err(problems),
    }
}

/// Reads a grantee import file (columns [`GRANTEE_COLUMNS`]; `org_id` may
/// be absent or empty). Every row is checked; two rows for the same
/// organisation (same org id, or same name and postcode) are an error.
///
/// # Errors
/// [`ImportErrors`] listing every bad line.
pub fn parse_grantees(bytes: &[u8]) -> Result<Vec<GranteeRow>, ImportErrors> {
    let (table, mut errors) = read_table(bytes, &GRANTEE_COLUMNS, &GRANTEE_REQUIRED)?;
    let mut out: Vec<GranteeRow> = Vec::new();
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    for (line, row) in &table.rows {
        let cell = |column: &str| row.get(column).cloned().unwrap_or_default();
        let grantee = match grantee_from_fields(cell, Money::parse) {
            Ok(g) => g,
            Err(problems) => {
                for p in problems {
                    errors.push(line_error(*line, format!("{}: {}", p.field, p.message)));
                }
                continue;
            }
        };
        let row = GranteeRow {
            line: *line,
            grantee,
        };
        if let Some(first) = seen.insert(row.key(), *line) {
            errors.push(line_error(
                *line,
                format!("the same organisation as line {first}"),
            ));
            continue;
        }
        out.push(row);
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        errors.sort_by_key(|e| e.line);
        Err(ImportErrors(errors))
    }
}

/// Reads an award-decision file (columns [`AWARD_COLUMNS`]): one
/// application to award per row, with the amount. An application listed
/// twice is an error.
///
/// # Errors
/// [`ImportErrors`] listing every bad line.
pub fn parse_award_decisions(bytes: &[u8]) -> Result<Vec<AwardRow>, ImportErrors> {
    let (table, mut errors) = read_table(bytes, &AWARD_COLUMNS, &AWARD_COLUMNS)?;
    let mut out = Vec::new();
    let mut seen: BTreeMap<ApplicationId, u64> = BTreeMap::new();
    for (line, row) in &table.rows {
        let mut check = RowCheck {
            line: *line,
            row,
            errors: &mut errors,
        };
        let application_id = check.take("application_id", |s| {
            s.parse::<uuid::Uuid>()
                .map(ApplicationId::from_uuid)
                .map_err(|_| format!("\"{s}\" is not an application id"))
        });
        let amount = check.take("amount", Money::parse);
        let (Some(application_id), Some(amount)) = (application_id, amount) else {
            continue;
        };
        if let Some(first) = seen.insert(application_id, *line) {
            errors.push(line_error(
                *line,
                format!("application {application_id} is already on line {first}"),
            ));
            continue;
        }
        out.push(AwardRow {
            line: *line,
            application_id,
            amount,
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        errors.sort_by_key(|e| e.line);
        Err(ImportErrors(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "name,org_id,organisation_type,region,local_authority,postcode,annual_income\n";

    fn lines(r: Result<Vec<GranteeRow>, ImportErrors>) -> Vec<(u64, String)> {
        r.unwrap_err()
            .0
            .into_iter()
            .map(|e| (e.line, e.message))
            .collect()
    }

    #[test]
    fn header_problems_are_line_1() {
        let errs = lines(parse_grantees(b"name,colour\nA,red\n"));
        assert!(errs.iter().all(|(l, _)| *l == 1));
        assert!(
            errs.iter()
                .any(|(_, m)| m.contains("unknown column \"colour\""))
        );
        assert!(errs.iter().any(|(_, m)| m == "missing column \"postcode\""));
        assert_eq!(lines(parse_grantees(b""))[0].0, 1);
        assert_eq!(
            lines(parse_grantees(HEADER.as_bytes()))[0].1,
            "the file has a header but no rows"
        );
    }

    #[test]
    fn every_bad_row_is_reported() {
        let file = format!(
            "{HEADER}A,,community_group,london,Lambeth,SE11 5QY,100\n\
             B,GB-XX-1,community_group,london,Lambeth,SE11 5QY,100\n\
             C,,community_group,london,Lambeth,SE11 5QY,1.234\n\
             a,,community_group,london,Lambeth,se115qy,5\n\
             \"D, \"\"quoted\"\"\",,cic,mars,Lambeth,SE11 5QY\n"
        );
        let errs = lines(parse_grantees(file.as_bytes()));
        let at: Vec<u64> = errs.iter().map(|e| e.0).collect();
        assert_eq!(at, [3, 4, 5, 6], "{errs:?}");
        assert!(errs[0].1.starts_with("org_id: "));
        assert_eq!(errs[1].1, "annual_income: more than 2 decimal places");
        assert_eq!(errs[2].1, "the same organisation as line 2");
        assert!(errs[3].1.contains("fields"));
    }

    #[test]
    fn bad_encoding_names_the_line() {
        let mut file =
            format!("{HEADER}A,,community_group,london,Lambeth,SE11 5QY,100\n").into_bytes();
        file.extend_from_slice(b"Caf\xe9,,cic,london,Lambeth,SE11 5QY,1\n");
        let errs = lines(parse_grantees(&file));
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].0, 3);
        assert!(errs[0].1.contains("UTF-8"));
    }

    #[test]
    fn bom_and_header_spelling_are_forgiven() {
        let file = "\u{feff}Name,Organisation Type,Region,Local Authority,Postcode,Annual Income\nA,cic,wales,Cardiff,CF10 1AA,0\n";
        let rows = parse_grantees(file.as_bytes()).unwrap();
        assert_eq!(rows[0].grantee.org_id, None);
    }

    #[test]
    fn award_files() {
        let id = uuid::Uuid::now_v7();
        let file = format!("application_id,amount\n{id},10\nnope,1e3\n{id},5\n");
        let errs = parse_award_decisions(file.as_bytes()).unwrap_err().0;
        let at: Vec<u64> = errs.iter().map(|e| e.line).collect();
        assert_eq!(at, [3, 3, 4]);
        assert!(errs[2].message.contains("already on line 2"));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = parse_grantees(&bytes);
            let _ = parse_award_decisions(&bytes);
        }
    }
}
