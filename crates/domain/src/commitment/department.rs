//! Government departments as the tracker names them, normalised so that one
//! department has one spelling.

use core::fmt;

/// Well-known departments: the canonical code (GOV.UK's own spelling) and
/// the department's name. A code or a name matches case-insensitively.
const KNOWN: &[(&str, &str)] = &[
    ("All", "All departments"),
    (
        "BEIS",
        "Department for Business, Energy and Industrial Strategy",
    ),
    ("CO", "Cabinet Office"),
    ("DCMS", "Department for Digital, Culture, Media and Sport"),
    (
        "Defra",
        "Department for Environment, Food and Rural Affairs",
    ),
    ("DfE", "Department for Education"),
    ("DfT", "Department for Transport"),
    ("DHSC", "Department of Health and Social Care"),
    ("DWP", "Department for Work and Pensions"),
    ("HMT", "HM Treasury"),
    ("HO", "Home Office"),
    (
        "MHCLG",
        "Ministry of Housing, Communities and Local Government",
    ),
    ("MoD", "Ministry of Defence"),
    ("MoJ", "Ministry of Justice"),
    ("NHSE", "NHS England"),
    ("PHE", "Public Health England"),
];

/// The most characters in a department code.
const MAX_CHARS: usize = 80;

/// A department responsible for a commitment, by its canonical code.
///
/// Known departments (DfE, DCMS, DHSC, NHSE, …) match their code or full
/// name in any case and take GOV.UK's spelling (`DFE` → `DfE`, `DEFRA` →
/// `Defra`, `Home Office` → `HO`); any other name is kept in upper case, so
/// that it too has one spelling whatever case it was typed in.
///
/// ```
/// use grantledger_domain::commitment::Department;
/// assert_eq!(Department::parse("DFE")?.code(), "DfE");
/// assert_eq!(Department::parse("dfe")?, Department::parse("DfE")?);
/// assert_eq!(Department::parse("Department for Education")?.code(), "DfE");
/// assert_eq!(Department::parse("DfE")?.name(), Some("Department for Education"));
/// assert_eq!(Department::parse("Ofsted")?.code(), "OFSTED");
/// assert!(Department::parse(" ").is_err());
/// # Ok::<(), grantledger_domain::commitment::DepartmentError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Department(String);

/// Why a department name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DepartmentError {
    /// Nothing named.
    #[error("no department is named")]
    Empty,
    /// Too long to be a department's name.
    #[error("a department name must be at most {MAX_CHARS} characters")]
    TooLong,
    /// Has a control character or markup.
    #[error("a department name must be plain text on one line: {0:?}")]
    NotPlainText(String),
}

impl Department {
    /// Normalises one department name or code.
    ///
    /// # Errors
    /// A [`DepartmentError`] when it is empty, too long or not plain text.
    pub fn parse(input: &str) -> Result<Department, DepartmentError> {
        let text = input.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() {
            return Err(DepartmentError::Empty);
        }
        if let Some(code) = canonical(&text) {
            return Ok(Department(code));
        }
        if text.chars().count() > MAX_CHARS {
            return Err(DepartmentError::TooLong);
        }
        if text
            .chars()
            .any(|c| c.is_control() || matches!(c, '<' | '>' | ',' | '/' | ';' | '&'))
        {
            return Err(DepartmentError::NotPlainText(text));
        }
        Ok(Department(text.to_uppercase()))
    }

    /// The canonical code, e.g. `DfE`.
    #[must_use]
    pub fn code(&self) -> &str {
        &self.0
    }

    /// The department's full name, for well-known departments.
    #[must_use]
    pub fn name(&self) -> Option<&'static str> {
        KNOWN
            .iter()
            .find(|(code, _)| *code == self.0)
            .map(|(_, name)| *name)
    }
}

/// The canonical code of a well-known department named by code or name.
fn canonical(text: &str) -> Option<String> {
    KNOWN
        .iter()
        .find(|(code, name)| code.eq_ignore_ascii_case(text) || name.eq_ignore_ascii_case(text))
        .map(|(code, _)| (*code).to_owned())
}

impl fmt::Display for Department {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl core::str::FromStr for Department {
    type Err = DepartmentError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Department::parse(s)
    }
}

serde_via_str!(Department, "a department code such as DfE");

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Department {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .examples([serde_json::Value::String("DfE".to_owned())])
            .description(Some(
                "A department's canonical code (DfE, DCMS, NHSE…); any case is accepted in filters.",
            ))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Department {}

/// Splits a tracker's department cell into departments: the cell may name
/// several, separated by `,`, `/`, `;`, `&` or the word `and`. The whole cell
/// is first tried as one well-known name, so "Department for Environment,
/// Food and Rural Affairs" stays one department. Repeats (`DfE, DFE`) are
/// dropped; the order of first mention is kept.
///
/// ```
/// use grantledger_domain::commitment::parse_departments;
/// let codes = |cell| parse_departments(cell).map(|ds| ds.iter().map(|d| d.code().to_owned()).collect::<Vec<_>>());
/// assert_eq!(codes("MHCLG, DfT, BEIS")?, ["MHCLG", "DfT", "BEIS"]);
/// assert_eq!(codes("DHSC/NHSE and dwp")?, ["DHSC", "NHSE", "DWP"]);
/// assert_eq!(codes("DfE & DFE")?, ["DfE"]);
/// assert_eq!(codes("Department for Environment, Food and Rural Affairs")?, ["Defra"]);
/// assert!(parse_departments(" , ").is_err());
/// # Ok::<(), grantledger_domain::commitment::DepartmentError>(())
/// ```
///
/// # Errors
/// [`DepartmentError::Empty`] when the cell names no department; any error
/// of [`Department::parse`] for a part.
pub fn parse_departments(cell: &str) -> Result<Vec<Department>, DepartmentError> {
    let whole = cell.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(code) = canonical(&whole) {
        return Ok(vec![Department(code)]);
    }
    let mut departments: Vec<Department> = Vec::new();
    for part in whole.split([',', '/', ';', '&']) {
        // Trimmed first: a part's own leading space must not make a name that
        // starts with the word "and" split where the same name alone would not.
        for name in split_on_and(part.trim()) {
            if name.trim().is_empty() {
                continue;
            }
            let department = Department::parse(name)?;
            if !departments.contains(&department) {
                departments.push(department);
            }
        }
    }
    if departments.is_empty() {
        return Err(DepartmentError::Empty);
    }
    Ok(departments)
}

/// Splits on the word "and" (any case) between names.
fn split_on_and(part: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut rest = part;
    loop {
        let lower = rest.to_ascii_lowercase();
        match lower.find(" and ") {
            // `find` on the ASCII-lowercased copy gives a byte index that is
            // also a char boundary of `rest`: lowercasing ASCII keeps lengths.
            Some(at) => {
                pieces.push(rest.get(..at).unwrap_or_default());
                rest = rest.get(at + 5..).unwrap_or_default();
            }
            None => {
                pieces.push(rest);
                return pieces;
            }
        }
    }
}
