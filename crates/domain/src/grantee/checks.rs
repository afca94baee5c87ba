//! Due-diligence checks with expiry (issue 20): one record a check carried
//! out on a grantee, kept forever (a renewal is a new record), and the rule
//! that a fund's required checks must all stand passed and unexpired before
//! money is scheduled.
//!
//! The rules, in words (docs/DUE_DILIGENCE.md):
//!
//! - **The latest record of a kind wins.** Records are compared by when
//!   they were recorded (`checked_at`); a later record replaces an earlier
//!   one whatever it says, so a mistaken pass is corrected by recording a
//!   failure, and a lapsed check is renewed by recording a new pass.
//! - **A check that expires on a day is no longer valid on that day.** A
//!   check with `expires_on: 2026-11-01` is valid up to and including
//!   2026-10-31; on 2026-11-01 it "expired on 2026-11-01". So the expiry
//!   must fall after the day the check was carried out, or the check would
//!   never have been valid.
//! - **Kinds are the four standard ones or an administrator's own**, named
//!   as a short lower-case identifier ([`CheckName`]), so every kind has one
//!   spelling in the API, the database and a fund's list of required checks.

use core::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};

use crate::ids::UserId;
use crate::text::{self, TextError};

/// The name of a check kind an administrator adds: 2–40 characters of
/// lower-case ASCII letters, digits and underscores, starting with a letter
/// (`fire_safety_certificate`). A standard kind's name is not a
/// [`CheckName`]: it parses as that standard [`CheckKind`].
///
/// ```
/// use grantledger_domain::grantee::CheckName;
/// assert_eq!(CheckName::parse("insurance")?.words(), "insurance");
/// assert_eq!(CheckName::parse("fire_safety")?.words(), "fire safety");
/// assert!(CheckName::parse("Fire safety").is_err());
/// assert!(CheckName::parse("registration").is_err());
/// # Ok::<(), grantledger_domain::grantee::CheckKindError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CheckName(String);

impl CheckName {
    /// The most characters a name may have.
    pub const MAX_CHARS: usize = 40;

    /// Parses an administrator's kind name.
    ///
    /// # Errors
    /// [`CheckKindError`] unless `s` has the form described on the type and
    /// is not a standard kind's name.
    pub fn parse(s: &str) -> Result<CheckName, CheckKindError> {
        let well_formed = (2..=Self::MAX_CHARS).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !well_formed || CheckKind::STANDARD.iter().any(|k| k.as_str() == s) {
            return Err(CheckKindError { got: s.to_owned() });
        }
        Ok(CheckName(s.to_owned()))
    }

    /// The name as stored and sent (`fire_safety`).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name in words (`fire safety`).
    #[must_use]
    pub fn words(&self) -> String {
        self.0.replace('_', " ")
    }
}

/// Text that is not a check kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a check kind is one of registration, governing_document, safeguarding_policy, bank_details, or a name of 2–40 lower-case letters, digits and underscores starting with a letter (such as fire_safety); got \"{got}\""
)]
pub struct CheckKindError {
    /// The text given.
    pub got: String,
}

/// What a due-diligence check verifies: one of the four standard kinds, or
/// a kind an administrator names ([`CheckKind::Other`]).
///
/// ```
/// use grantledger_domain::grantee::CheckKind;
/// let kind: CheckKind = "safeguarding_policy".parse()?;
/// assert_eq!(kind, CheckKind::SafeguardingPolicy);
/// assert_eq!(kind.words(), "safeguarding policy");
/// assert_eq!("insurance".parse::<CheckKind>()?.to_string(), "insurance");
/// assert!("".parse::<CheckKind>().is_err());
/// # Ok::<(), grantledger_domain::grantee::CheckKindError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CheckKind {
    /// Registration verified against the org id.
    Registration,
    /// The governing document (constitution, articles) checked.
    GoverningDocument,
    /// The safeguarding policy checked.
    SafeguardingPolicy,
    /// Bank details verified.
    BankDetails,
    /// A kind an administrator added.
    Other(CheckName),
}

impl CheckKind {
    /// The standard kinds, in the order screens list them.
    pub const STANDARD: [CheckKind; 4] = [
        CheckKind::Registration,
        CheckKind::GoverningDocument,
        CheckKind::SafeguardingPolicy,
        CheckKind::BankDetails,
    ];

    /// The stable form used in JSON, the database and fund settings.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            CheckKind::Registration => "registration",
            CheckKind::GoverningDocument => "governing_document",
            CheckKind::SafeguardingPolicy => "safeguarding_policy",
            CheckKind::BankDetails => "bank_details",
            CheckKind::Other(name) => name.as_str(),
        }
    }

    /// The kind in words, to complete "the grantee's … check".
    #[must_use]
    pub fn words(&self) -> String {
        match self {
            CheckKind::Other(name) => name.words(),
            standard => standard.as_str().replace('_', " "),
        }
    }

    /// What the check verifies, for screens.
    #[must_use]
    pub fn description(&self) -> String {
        match self {
            CheckKind::Registration => "Registration verified against the org id".to_owned(),
            CheckKind::GoverningDocument => "Governing document checked".to_owned(),
            CheckKind::SafeguardingPolicy => "Safeguarding policy checked".to_owned(),
            CheckKind::BankDetails => "Bank details verified".to_owned(),
            CheckKind::Other(name) => {
                let words = name.words();
                let mut chars = words.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_ascii_uppercase().to_string() + chars.as_str()
                })
            }
        }
    }

    /// Parses a stored or typed kind.
    ///
    /// # Errors
    /// [`CheckKindError`] for text that is neither a standard kind nor a
    /// valid [`CheckName`].
    pub fn parse(s: &str) -> Result<CheckKind, CheckKindError> {
        match s {
            "registration" => Ok(CheckKind::Registration),
            "governing_document" => Ok(CheckKind::GoverningDocument),
            "safeguarding_policy" => Ok(CheckKind::SafeguardingPolicy),
            "bank_details" => Ok(CheckKind::BankDetails),
            other => CheckName::parse(other).map(CheckKind::Other),
        }
    }
}

impl fmt::Display for CheckKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CheckKind {
    type Err = CheckKindError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CheckKind::parse(s)
    }
}

serde_via_str!(CheckKind, "a check kind as a string");

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for CheckKind {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[a-z][a-z0-9_]{1,39}$"))
            .description(Some(
                "registration, governing_document, safeguarding_policy, bank_details, or an administrator's own kind",
            ))
            .examples([serde_json::json!("safeguarding_policy")])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for CheckKind {}

/// A fund's required kinds as one text: comma-separated, in the order
/// given, each once (`""` when none are required).
#[must_use]
pub fn join_kinds(kinds: &[CheckKind]) -> String {
    kinds
        .iter()
        .map(CheckKind::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads [`join_kinds`]'s text back.
///
/// # Errors
/// [`CheckKindError`] for a part that is not a kind.
pub fn split_kinds(text: &str) -> Result<Vec<CheckKind>, CheckKindError> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(',').map(CheckKind::parse).collect()
}

/// `kinds` with repeats left out, first mention kept.
#[must_use]
pub fn distinct_kinds(kinds: Vec<CheckKind>) -> Vec<CheckKind> {
    let mut out: Vec<CheckKind> = Vec::with_capacity(kinds.len());
    for kind in kinds {
        if !out.contains(&kind) {
            out.push(kind);
        }
    }
    out
}

string_enum! {
    /// The outcome of one check.
    pub enum CheckStatus("check status") {
        /// The check passed.
        Passed = "passed", "Passed";
        /// The check failed.
        Failed = "failed", "Failed";
    }
}

/// What was seen for a check: a note or a reference to where the evidence
/// is kept (documents are not stored yet). Trimmed, 1–2,000 characters,
/// line breaks allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence(String);

impl Evidence {
    /// The most characters evidence may have.
    pub const MAX_CHARS: usize = 2_000;

    /// Parses evidence text.
    ///
    /// # Errors
    /// A [`TextError`] naming `evidence` when empty, too long or holding
    /// control characters other than line breaks and tabs.
    pub fn parse(s: &str) -> Result<Evidence, TextError> {
        text::multi_line("evidence", s, Self::MAX_CHARS).map(Evidence)
    }

    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

serde_via_str!(Evidence, "evidence as a string");

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Evidence {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::openapi::text_schema(2_000)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Evidence {}

/// Why a check cannot be recorded as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// An expiry on or before the day of the check.
    #[error(
        "the check cannot expire on {expires_on}: a check expiring on a day is no longer valid that day, so the expiry must be after the day it was carried out ({checked_on})"
    )]
    ExpiresTooSoon {
        /// The expiry given.
        expires_on: NaiveDate,
        /// The day the check was carried out.
        checked_on: NaiveDate,
    },
    /// A check dated after the day it is recorded.
    #[error("a check cannot be carried out in the future: {checked_on} is after today ({today})")]
    CheckedInFuture {
        /// The day given.
        checked_on: NaiveDate,
        /// The day it is recorded.
        today: NaiveDate,
    },
}

impl CheckError {
    /// The request field the error is about.
    #[must_use]
    pub const fn field(&self) -> &'static str {
        match self {
            CheckError::ExpiresTooSoon { .. } => "expires_on",
            CheckError::CheckedInFuture { .. } => "checked_on",
        }
    }
}

/// One due-diligence check, as recorded. Records are never changed: a
/// renewal or a correction is a new record, and the latest of a kind is
/// the one in force.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Check {
    /// What was checked.
    pub kind: CheckKind,
    /// Passed or failed.
    pub status: CheckStatus,
    /// What was seen, or where the evidence is kept.
    pub evidence: Evidence,
    /// Who recorded it.
    pub checked_by: UserId,
    /// When it was recorded: orders the records of a kind.
    pub checked_at: DateTime<Utc>,
    /// The day the check was carried out (on or before the day recorded).
    pub checked_on: NaiveDate,
    /// The first day the check is no longer valid; none if it does not expire.
    pub expires_on: Option<NaiveDate>,
}

/// The facts of a check as an administrator gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCheck {
    /// What was checked.
    pub kind: CheckKind,
    /// Passed or failed.
    pub status: CheckStatus,
    /// What was seen.
    pub evidence: Evidence,
    /// The day it was carried out; today when not given.
    pub checked_on: Option<NaiveDate>,
    /// The first day it is no longer valid.
    pub expires_on: Option<NaiveDate>,
}

impl Check {
    /// Records a check given by `by` at `at`: carried out on `checked_on`
    /// (the day of `at` when not given, never later), expiring after it.
    ///
    /// # Errors
    /// [`CheckError`] for a check dated in the future or expiring on or
    /// before the day it was carried out.
    pub fn record(new: NewCheck, by: UserId, at: DateTime<Utc>) -> Result<Check, CheckError> {
        let today = at.date_naive();
        let checked_on = new.checked_on.unwrap_or(today);
        if checked_on > today {
            return Err(CheckError::CheckedInFuture { checked_on, today });
        }
        if let Some(expires_on) = new.expires_on
            && expires_on <= checked_on
        {
            return Err(CheckError::ExpiresTooSoon {
                expires_on,
                checked_on,
            });
        }
        Ok(Check {
            kind: new.kind,
            status: new.status,
            evidence: new.evidence,
            checked_by: by,
            checked_at: at,
            checked_on,
            expires_on: new.expires_on,
        })
    }

    /// Whether the check has lapsed on `today`: it has once `today` reaches
    /// its expiry day.
    #[must_use]
    pub fn is_expired(&self, today: NaiveDate) -> bool {
        self.expires_on.is_some_and(|day| today >= day)
    }

    /// Whether the check counts on `today`: passed and not expired.
    #[must_use]
    pub fn stands(&self, today: NaiveDate) -> bool {
        self.status == CheckStatus::Passed && !self.is_expired(today)
    }
}

/// The record in force for each kind among `checks`: the latest recorded
/// (by `checked_at`; of two recorded at the same instant, the later in the
/// slice), in the order kinds are first met.
#[must_use]
pub fn current(checks: &[Check]) -> Vec<&Check> {
    let mut out: Vec<&Check> = Vec::new();
    for check in checks {
        match out.iter_mut().find(|c| c.kind == check.kind) {
            Some(held) if check.checked_at >= held.checked_at => *held = check,
            Some(_) => {}
            None => out.push(check),
        }
    }
    out
}

/// Why the required checks do not all stand, naming the first one (in the
/// fund's order) that does not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckProblem {
    /// No record of the kind.
    #[error("the grantee has no {} check recorded", .kind.words())]
    Missing {
        /// The kind.
        kind: CheckKind,
    },
    /// The latest record failed.
    #[error("the grantee's {} check failed on {on}", .kind.words())]
    Failed {
        /// The kind.
        kind: CheckKind,
        /// The day it was carried out.
        on: NaiveDate,
    },
    /// The latest record passed but has expired.
    #[error("the grantee's {} check expired on {on}", .kind.words())]
    Expired {
        /// The kind.
        kind: CheckKind,
        /// Its expiry day.
        on: NaiveDate,
    },
}

impl CheckProblem {
    /// The kind at fault.
    #[must_use]
    pub fn kind(&self) -> &CheckKind {
        match self {
            CheckProblem::Missing { kind }
            | CheckProblem::Failed { kind, .. }
            | CheckProblem::Expired { kind, .. } => kind,
        }
    }

    /// What would put it right, to follow the problem after a semicolon.
    #[must_use]
    pub fn remedy(&self) -> &'static str {
        match self {
            CheckProblem::Missing { .. } => "record one",
            CheckProblem::Failed { .. } => "record a passed check",
            CheckProblem::Expired { .. } => "renew it",
        }
    }
}

/// Whether every kind in `required` has, as its latest record among
/// `checks`, a pass that has not expired on `today`.
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use grantledger_domain::grantee::{
///     Check, CheckKind, CheckStatus, Evidence, NewCheck, required_checks_passed,
/// };
/// use grantledger_domain::ids::UserId;
///
/// let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
/// let check = Check::record(
///     NewCheck {
///         kind: CheckKind::SafeguardingPolicy,
///         status: CheckStatus::Passed,
///         evidence: Evidence::parse("Policy dated March 2025").unwrap(),
///         checked_on: Some(day(1, 10)),
///         expires_on: Some(day(11, 1)),
///     },
///     UserId::new(),
///     Utc.with_ymd_and_hms(2026, 1, 10, 9, 0, 0).unwrap(),
/// )
/// .unwrap();
/// let required = [CheckKind::SafeguardingPolicy];
/// assert!(required_checks_passed(&required, &[check.clone()], day(10, 31)).is_ok());
/// let problem = required_checks_passed(&required, &[check], day(11, 1)).unwrap_err();
/// assert_eq!(problem.to_string(), "the grantee's safeguarding policy check expired on 2026-11-01");
/// ```
///
/// # Errors
/// The [`CheckProblem`] of the first required kind that does not stand.
pub fn required_checks_passed(
    required: &[CheckKind],
    checks: &[Check],
    today: NaiveDate,
) -> Result<(), CheckProblem> {
    let current = current(checks);
    for kind in required {
        let Some(check) = current.iter().find(|c| &c.kind == kind) else {
            return Err(CheckProblem::Missing { kind: kind.clone() });
        };
        if check.status == CheckStatus::Failed {
            return Err(CheckProblem::Failed {
                kind: kind.clone(),
                on: check.checked_on,
            });
        }
        if let Some(on) = check.expires_on
            && check.is_expired(today)
        {
            return Err(CheckProblem::Expired {
                kind: kind.clone(),
                on,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{Days, TimeZone};
    use proptest::prelude::*;

    use super::*;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    fn at(m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, m, d, h, 0, 0).unwrap()
    }

    fn check(
        kind: CheckKind,
        status: CheckStatus,
        recorded: DateTime<Utc>,
        expires_on: Option<NaiveDate>,
    ) -> Check {
        Check::record(
            NewCheck {
                kind,
                status,
                evidence: Evidence::parse("seen").unwrap(),
                checked_on: None,
                expires_on,
            },
            UserId::new(),
            recorded,
        )
        .unwrap()
    }

    #[test]
    fn kinds_round_trip() {
        for kind in CheckKind::STANDARD {
            assert_eq!(kind.as_str().parse::<CheckKind>().unwrap(), kind);
            assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{kind}\""));
        }
        let other: CheckKind = "fire_safety_2".parse().unwrap();
        assert_eq!(other.words(), "fire safety 2");
        assert_eq!(other.description(), "Fire safety 2");
        assert_eq!(
            CheckKind::Registration.description(),
            "Registration verified against the org id"
        );
        assert_eq!(
            CheckKind::BankDetails.description(),
            "Bank details verified"
        );
        for bad in [
            "",
            "x",
            "Insurance",
            "2fa",
            "fire safety",
            "a,b",
            "_x",
            &"x".repeat(41),
        ] {
            assert!(bad.parse::<CheckKind>().is_err(), "{bad:?}");
        }
        assert!(CheckName::parse("bank_details").is_err());
        let err = serde_json::from_str::<CheckKind>("\"Insurance\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("got \"Insurance\""), "{err}");
    }

    #[test]
    fn kind_lists() {
        let kinds = vec![
            CheckKind::Registration,
            CheckKind::Other(CheckName::parse("insurance").unwrap()),
        ];
        let text = join_kinds(&kinds);
        assert_eq!(text, "registration,insurance");
        assert_eq!(split_kinds(&text).unwrap(), kinds);
        assert_eq!(split_kinds("").unwrap(), Vec::<CheckKind>::new());
        assert!(split_kinds("registration,").is_err());
        assert_eq!(
            distinct_kinds(vec![
                CheckKind::BankDetails,
                CheckKind::Registration,
                CheckKind::BankDetails
            ]),
            vec![CheckKind::BankDetails, CheckKind::Registration]
        );
    }

    #[test]
    fn evidence_limits() {
        assert_eq!(Evidence::parse(" a\nb ").unwrap().as_str(), "a\nb");
        assert!(Evidence::parse(&"x".repeat(2_000)).is_ok());
        let err = Evidence::parse(&"x".repeat(2_001)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "evidence must be at most 2000 characters; got 2001"
        );
        assert!(Evidence::parse("  ").is_err());
    }

    #[test]
    fn recording_checks_dates() {
        let new = |checked_on, expires_on| NewCheck {
            kind: CheckKind::Registration,
            status: CheckStatus::Passed,
            evidence: Evidence::parse("seen").unwrap(),
            checked_on,
            expires_on,
        };
        let by = UserId::new();
        let now = at(6, 10, 12);
        assert_eq!(
            Check::record(new(None, Some(day(6, 10))), by, now),
            Err(CheckError::ExpiresTooSoon {
                expires_on: day(6, 10),
                checked_on: day(6, 10)
            })
        );
        assert_eq!(
            Check::record(new(None, Some(day(6, 10))), by, now)
                .unwrap_err()
                .field(),
            "expires_on"
        );
        assert_eq!(
            Check::record(new(Some(day(6, 11)), None), by, now)
                .unwrap_err()
                .field(),
            "checked_on"
        );
        let back_dated = Check::record(new(Some(day(1, 1)), Some(day(6, 1))), by, now).unwrap();
        assert_eq!(back_dated.checked_on, day(1, 1));
        assert!(back_dated.is_expired(day(6, 10)));
        let today = Check::record(new(None, Some(day(6, 11))), by, now).unwrap();
        assert_eq!(today.checked_on, day(6, 10));
    }

    /// The rule's table: (records as kind/status/recorded hour/expiry,
    /// today, outcome).
    #[test]
    fn required_checks_table() {
        use CheckKind::{Registration as R, SafeguardingPolicy as S};
        use CheckStatus::{Failed as F, Passed as P};
        let required = [R, S];
        type Row = (
            &'static str,
            Vec<(CheckKind, CheckStatus, u32, Option<NaiveDate>)>,
            Result<(), CheckProblem>,
        );
        let table: Vec<Row> = vec![
            (
                "nothing recorded",
                vec![],
                Err(CheckProblem::Missing { kind: R }),
            ),
            (
                "one of two",
                vec![(R, P, 9, None)],
                Err(CheckProblem::Missing { kind: S }),
            ),
            (
                "both passed",
                vec![(R, P, 9, None), (S, P, 9, None)],
                Ok(()),
            ),
            (
                "failed",
                vec![(R, P, 9, None), (S, F, 9, None)],
                Err(CheckProblem::Failed {
                    kind: S,
                    on: day(3, 1),
                }),
            ),
            (
                "a later pass replaces a failure",
                vec![(R, P, 9, None), (S, F, 9, None), (S, P, 10, None)],
                Ok(()),
            ),
            (
                "a later failure replaces a pass",
                vec![(R, P, 9, None), (S, P, 9, None), (R, F, 10, None)],
                Err(CheckProblem::Failed {
                    kind: R,
                    on: day(3, 1),
                }),
            ),
            (
                "recorded order wins, not slice order",
                vec![(R, P, 9, None), (S, P, 11, None), (S, F, 10, None)],
                Ok(()),
            ),
            (
                "expires tomorrow: still valid",
                vec![(R, P, 9, None), (S, P, 9, Some(day(3, 11)))],
                Ok(()),
            ),
            (
                "expires today: no longer valid",
                vec![(R, P, 9, None), (S, P, 9, Some(day(3, 10)))],
                Err(CheckProblem::Expired {
                    kind: S,
                    on: day(3, 10),
                }),
            ),
            (
                "an expired failure reports the failure",
                vec![(R, F, 9, Some(day(3, 2))), (S, P, 9, None)],
                Err(CheckProblem::Failed {
                    kind: R,
                    on: day(3, 1),
                }),
            ),
            (
                "renewed after expiry",
                vec![
                    (R, P, 9, None),
                    (S, P, 9, Some(day(3, 5))),
                    (S, P, 10, Some(day(12, 1))),
                ],
                Ok(()),
            ),
        ];
        for (name, records, want) in table {
            let checks: Vec<Check> = records
                .into_iter()
                .map(|(kind, status, hour, expires)| check(kind, status, at(3, 1, hour), expires))
                .collect();
            assert_eq!(
                required_checks_passed(&required, &checks, day(3, 10)),
                want,
                "{name}"
            );
        }
        assert_eq!(required_checks_passed(&[], &[], day(3, 10)), Ok(()));
    }

    #[test]
    fn problems_read_as_sentences() {
        let p = CheckProblem::Expired {
            kind: CheckKind::SafeguardingPolicy,
            on: day(11, 1),
        };
        assert_eq!(
            p.to_string(),
            "the grantee's safeguarding policy check expired on 2026-11-01"
        );
        assert_eq!(p.remedy(), "renew it");
        assert_eq!(
            CheckProblem::Missing {
                kind: CheckKind::GoverningDocument
            }
            .to_string(),
            "the grantee has no governing document check recorded"
        );
    }

    proptest! {
        /// At the expiry boundary: valid every day before the expiry day,
        /// expired on it and every day after.
        #[test]
        fn expiry_boundary(offset in -400_i64..400, length in 1_u64..800) {
            let checked_on = day(1, 1);
            let expires_on = checked_on.checked_add_days(Days::new(length)).unwrap();
            let c = check(
                CheckKind::BankDetails,
                CheckStatus::Passed,
                at(1, 1, 9),
                Some(expires_on),
            );
            let today = expires_on + chrono::TimeDelta::days(offset);
            let result = required_checks_passed(&[CheckKind::BankDetails], std::slice::from_ref(&c), today);
            if offset < 0 {
                prop_assert!(result.is_ok());
                prop_assert!(c.stands(today));
            } else {
                prop_assert_eq!(
                    result,
                    Err(CheckProblem::Expired { kind: CheckKind::BankDetails, on: expires_on })
                );
                prop_assert!(!c.stands(today));
            }
        }
    }
}
