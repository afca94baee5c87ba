//! The Pay.UK (formerly Vocalink) modulus check: does this account number
//! fit the pattern its bank uses at this sort code? It catches most
//! mistyped or transposed digits while a fund administrator enters a
//! grantee's bank details, before a payment is returned by the bank.
//!
//! The rules follow "Validating account numbers: UK modulus checking",
//! version 6.40: the standard modulus 10 and 11 checks, the double
//! alternate check, and exceptions 1 to 14. Which check applies to which
//! sort code comes from two data files Pay.UK publishes, `valacdos.txt`
//! (the weight table) and `scsubtab.txt` (sort code substitutions).
//!
//! Pay.UK revises those files several times a year, so the table is data,
//! not code. [`ModulusTable::shipped`] is the copy built into the binary
//! (`data/modulus/`, version 6.40); [`ModulusTable::parse`] takes the
//! contents of newer files, so the server can load them from a configured
//! directory (`GRANTLEDGER_MODULUS_DIR`) at start-up without a rebuild.
//! See `docs/MODULUS.md`.

mod check;
mod table;
#[cfg(test)]
mod tests;

use std::sync::OnceLock;

use super::{AccountNumber, SortCode};
use check::{Exception, Subject};
pub use table::{ModulusFile, ModulusLineProblem, ModulusTableError};
use table::{Range, Substitutions};

const SHIPPED_VALACDOS: &str = include_str!("../../../../data/modulus/valacdos.txt");
const SHIPPED_SCSUBTAB: &str = include_str!("../../../../data/modulus/scsubtab.txt");

/// What the modulus check says about a grantee's sort code and account
/// number, for the administrator entering them.
///
/// A check that passes means the number is one the bank *could* have issued
/// at that sort code: it catches a mistyped or transposed digit, but it does
/// not prove the account exists, is open, or belongs to the grantee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModulusOutcome {
    /// The account number fits its bank's rules for this sort code.
    /// It may still be someone else's account.
    Valid,
    /// The account number cannot be right for this sort code: almost
    /// certainly a typing mistake. Ask the grantee to confirm their details.
    Invalid,
    /// The sort code is not in Pay.UK's table, so its account numbers cannot
    /// be checked. Pay.UK says such details must be presumed valid, so they
    /// are accepted, but shown as "not checked" rather than as valid.
    NotListed,
}

impl ModulusOutcome {
    /// Whether the details may be saved: everything but [`Invalid`]. An
    /// unlisted sort code is accepted, as Pay.UK requires.
    ///
    /// [`Invalid`]: ModulusOutcome::Invalid
    #[must_use]
    pub const fn accepts(self) -> bool {
        !matches!(self, ModulusOutcome::Invalid)
    }

    /// A stable code for APIs and files: `valid`, `invalid`, `not_checked`.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            ModulusOutcome::Valid => "valid",
            ModulusOutcome::Invalid => "invalid",
            ModulusOutcome::NotListed => "not_checked",
        }
    }
}

impl core::fmt::Display for ModulusOutcome {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ModulusOutcome::Valid => "the account number fits the sort code",
            ModulusOutcome::Invalid => {
                "the account number does not fit the sort code; check both with the grantee"
            }
            ModulusOutcome::NotListed => {
                "not checked: the sort code is not in the modulus table, so the account number cannot be checked"
            }
        })
    }
}

/// Pay.UK's modulus weight table and sort code substitutions, used to check
/// that an account number typed for a grantee fits its sort code.
///
/// The check catches mistyped account numbers; it does not prove that the
/// account exists or that it belongs to the grantee. Sort codes the table
/// does not list cannot be checked and come back as
/// [`ModulusOutcome::NotListed`], which callers accept.
///
/// ```
/// use grantledger_domain::bank::{AccountNumber, ModulusOutcome, ModulusTable, SortCode};
///
/// let table = ModulusTable::shipped();
/// let sort_code = SortCode::parse("08-99-99")?;
/// assert_eq!(
///     table.check(&sort_code, &AccountNumber::parse("66374958")?),
///     ModulusOutcome::Valid
/// );
/// // The last two digits swapped: caught.
/// assert_eq!(
///     table.check(&sort_code, &AccountNumber::parse("66374985")?),
///     ModulusOutcome::Invalid
/// );
/// // No bank has registered rules for this sort code.
/// let unlisted = SortCode::parse("99-99-99")?;
/// let outcome = table.check(&unlisted, &AccountNumber::parse("12345678")?);
/// assert_eq!(outcome, ModulusOutcome::NotListed);
/// assert!(outcome.accepts());
/// # Ok::<(), grantledger_domain::bank::BankAccountError>(())
/// ```
#[derive(Clone)]
pub struct ModulusTable {
    ranges: Vec<Range>,
    substitutions: Substitutions,
}

impl ModulusTable {
    /// Parses the contents of Pay.UK's `valacdos.txt` (the weight table) and
    /// `scsubtab.txt` (the sort code substitutions). Takes text, not paths,
    /// so the server can load newer files from a directory at start-up.
    ///
    /// ```
    /// use grantledger_domain::bank::ModulusTable;
    /// let table = ModulusTable::parse(
    ///     "089000 089999 MOD10    0    0    0    0    0    0    7    1    3    7    1    3    7    1\n",
    ///     "",
    /// )?;
    /// assert_eq!(table.ranges(), 1);
    /// let err = ModulusTable::parse("089000 089999 MOD12\n", "").unwrap_err();
    /// assert!(err.to_string().starts_with("valacdos.txt line 1:"));
    /// # Ok::<(), grantledger_domain::bank::ModulusTableError>(())
    /// ```
    ///
    /// # Errors
    /// [`ModulusTableError`], naming the file and line and what is wrong
    /// with it, or saying the weight table has no rows.
    pub fn parse(valacdos: &str, scsubtab: &str) -> Result<ModulusTable, ModulusTableError> {
        Ok(ModulusTable {
            ranges: table::parse_valacdos(valacdos)?,
            substitutions: table::parse_scsubtab(scsubtab)?,
        })
    }

    /// The table built into the binary: Pay.UK version 6.40, from
    /// `data/modulus/`. Parsed once, on first use.
    #[must_use]
    pub fn shipped() -> &'static ModulusTable {
        static SHIPPED: OnceLock<ModulusTable> = OnceLock::new();
        SHIPPED.get_or_init(|| {
            #[allow(
                clippy::expect_used,
                reason = "the embedded files are fixed at build time and a unit test parses them"
            )]
            ModulusTable::parse(SHIPPED_VALACDOS, SHIPPED_SCSUBTAB)
                .expect("data/modulus/ shipped with grantledger must parse")
        })
    }

    /// How many sort code ranges the table lists.
    #[must_use]
    pub fn ranges(&self) -> usize {
        self.ranges.len()
    }

    /// Checks an account number against its sort code.
    ///
    /// [`ModulusOutcome::Valid`] means only that the number could exist at
    /// that sort code. A sort code the table does not list gives
    /// [`ModulusOutcome::NotListed`]: Pay.UK says such accounts cannot be
    /// checked and must be treated as valid, so the caller accepts them.
    #[must_use]
    pub fn check(&self, sort_code: &SortCode, account: &AccountNumber) -> ModulusOutcome {
        let Some(range) = self.find(sort_code.as_u32()) else {
            return ModulusOutcome::NotListed;
        };
        let subject = Subject::new(sort_code.digits(), account.digits());
        if range.is_foreign_currency(&subject) || self.passes(range, &subject) {
            ModulusOutcome::Valid
        } else {
            ModulusOutcome::Invalid
        }
    }

    fn find(&self, sort_code: u32) -> Option<&Range> {
        let i = self.ranges.partition_point(|r| r.end < sort_code);
        self.ranges.get(i).filter(|r| r.start <= sort_code)
    }

    /// The flow of section 1.2: the first check, then the second when
    /// there is one, and for some exception pairs either check is enough.
    fn passes(&self, range: &Range, subject: &Subject) -> bool {
        let first = range.first.passes(subject, &self.substitutions);
        let either = range
            .first
            .exception
            .is_some_and(Exception::either_suffices);
        match (&range.second, first) {
            (None, true) => true,
            (Some(_), true) if either => true,
            (Some(second), true) => second.passes(subject, &self.substitutions),
            (_, false) if range.first.exception == Some(Exception::Coutts) => range
                .first
                .passes_coutts_retry(subject, &self.substitutions),
            (Some(second), false) if either => second.passes(subject, &self.substitutions),
            (_, false) => false,
        }
    }
}

impl core::fmt::Debug for ModulusTable {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ModulusTable")
            .field("ranges", &self.ranges.len())
            .field("substitutions", &self.substitutions.len())
            .finish()
    }
}
