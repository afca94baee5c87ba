//! A UK bank account as a grantee gives it: sort code, account number,
//! optional building-society roll number and the name on the account.
//! Each part is parsed once, from what people type ("12-34-56", spaces),
//! into a value that is valid by shape or not made at all.

use core::fmt;

/// Why a bank detail was refused. Messages name the field and say what a
/// valid one looks like, never echoing the digits typed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BankAccountError {
    /// Not six digits once spaces and hyphens are removed.
    #[error("sort code must be 6 digits, like 12-34-56")]
    SortCode,
    /// Not eight digits once spaces and hyphens are removed.
    #[error("account number must be 8 digits")]
    AccountNumber,
    /// Empty, too long, or outside letters, digits and `/ . -` and spaces.
    #[error(
        "building society roll number must be 1 to 18 letters, digits, spaces or / . - characters"
    )]
    RollNumber,
    /// Empty, too long, or with control characters.
    #[error("account name must be 1 to {max} characters without line breaks", max = AccountName::MAX)]
    AccountName,
}

/// Digits of `s` with the separators people type (spaces, hyphens) removed,
/// or `None` when anything else is there or the count is not `N`.
fn digits<const N: usize>(s: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    let mut n = 0;
    for c in s.chars() {
        match c {
            ' ' | '-' | '\u{a0}' => {}
            '0'..='9' => {
                *out.get_mut(n)? = c as u8 - b'0';
                n += 1;
            }
            _ => return None,
        }
    }
    (n == N).then_some(out)
}

fn write_digits(f: &mut fmt::Formatter<'_>, d: &[u8]) -> fmt::Result {
    for x in d {
        write!(f, "{x}")?;
    }
    Ok(())
}

/// A six-digit UK sort code. Displays as `123456`; [`SortCode::hyphenated`]
/// gives `12-34-56`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SortCode([u8; 6]);

impl SortCode {
    /// Parses a sort code, ignoring spaces and hyphens.
    ///
    /// ```
    /// use grantledger_domain::bank::SortCode;
    /// assert_eq!(SortCode::parse("12-34-56")?.to_string(), "123456");
    /// assert_eq!(SortCode::parse(" 12 34 56 ")?.hyphenated(), "12-34-56");
    /// assert!(SortCode::parse("12-34-5").is_err());
    /// # Ok::<(), grantledger_domain::bank::BankAccountError>(())
    /// ```
    ///
    /// # Errors
    /// [`BankAccountError::SortCode`].
    pub fn parse(s: &str) -> Result<SortCode, BankAccountError> {
        digits(s).map(SortCode).ok_or(BankAccountError::SortCode)
    }

    /// The six digits, each 0–9.
    #[must_use]
    pub fn digits(&self) -> [u8; 6] {
        self.0
    }

    /// As a number, for range look-ups in the modulus weight table.
    #[must_use]
    pub fn as_u32(&self) -> u32 {
        self.0.iter().fold(0, |n, d| n * 10 + u32::from(*d))
    }

    /// `12-34-56`.
    #[must_use]
    pub fn hyphenated(&self) -> String {
        let d = self.0;
        format!("{}{}-{}{}-{}{}", d[0], d[1], d[2], d[3], d[4], d[5])
    }
}

impl fmt::Display for SortCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_digits(f, &self.0)
    }
}

impl fmt::Debug for SortCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SortCode({})", self.hyphenated())
    }
}

/// An eight-digit UK account number. Its `Debug` shows only the last four
/// digits, so a stray `{:?}` in a log line cannot leak it; `Display` gives
/// all eight, for the bank file alone.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AccountNumber([u8; 8]);

impl AccountNumber {
    /// Parses an account number, ignoring spaces and hyphens.
    ///
    /// ```
    /// use grantledger_domain::bank::AccountNumber;
    /// let n = AccountNumber::parse("1234 5678")?;
    /// assert_eq!(n.to_string(), "12345678");
    /// assert_eq!(n.masked(), "****5678");
    /// assert_eq!(format!("{n:?}"), "AccountNumber(****5678)");
    /// # Ok::<(), grantledger_domain::bank::BankAccountError>(())
    /// ```
    ///
    /// # Errors
    /// [`BankAccountError::AccountNumber`].
    pub fn parse(s: &str) -> Result<AccountNumber, BankAccountError> {
        digits(s)
            .map(AccountNumber)
            .ok_or(BankAccountError::AccountNumber)
    }

    /// The eight digits, each 0–9.
    #[must_use]
    pub fn digits(&self) -> [u8; 8] {
        self.0
    }

    /// The last four digits.
    #[must_use]
    pub fn last4(&self) -> String {
        let d = self.0;
        format!("{}{}{}{}", d[4], d[5], d[6], d[7])
    }

    /// `****5678`: how the number is shown everywhere but the bank file.
    #[must_use]
    pub fn masked(&self) -> String {
        format!("****{}", self.last4())
    }
}

impl fmt::Display for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_digits(f, &self.0)
    }
}

impl fmt::Debug for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountNumber({})", self.masked())
    }
}

/// A building society's roll number, for accounts that need one: up to 18
/// letters, digits, spaces or `/ . -`, upper-cased.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RollNumber(String);

impl RollNumber {
    /// Parses a roll number.
    ///
    /// # Errors
    /// [`BankAccountError::RollNumber`].
    pub fn parse(s: &str) -> Result<RollNumber, BankAccountError> {
        let t = s.trim().to_ascii_uppercase();
        let ok = (1..=18).contains(&t.len())
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '/' | '.' | '-'));
        if ok {
            Ok(RollNumber(t))
        } else {
            Err(BankAccountError::RollNumber)
        }
    }

    /// The roll number as stored.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `****` and the last four characters (only `****` for a roll number
    /// of four or fewer, which would otherwise show whole).
    ///
    /// ```
    /// use grantledger_domain::bank::RollNumber;
    /// assert_eq!(RollNumber::parse("ab/1234-5678")?.masked(), "****5678");
    /// assert_eq!(RollNumber::parse("1234")?.masked(), "****");
    /// # Ok::<(), grantledger_domain::bank::BankAccountError>(())
    /// ```
    #[must_use]
    pub fn masked(&self) -> String {
        let tail = self.0.len().checked_sub(4).filter(|&from| from > 0);
        // ASCII only (parse allows nothing else), so any byte is a boundary.
        format!(
            "****{}",
            tail.and_then(|from| self.0.get(from..)).unwrap_or("")
        )
    }
}

impl fmt::Display for RollNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RollNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RollNumber(..)")
    }
}

/// The name on the account, as the grantee's bank holds it. Kept as typed
/// (trimmed); the bank file upper-cases and cuts it to the Bacs width.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountName(String);

impl AccountName {
    /// The longest name accepted.
    pub const MAX: usize = 140;

    /// Parses an account name.
    ///
    /// # Errors
    /// [`BankAccountError::AccountName`].
    pub fn parse(s: &str) -> Result<AccountName, BankAccountError> {
        crate::text::single_line("account name", s, AccountName::MAX)
            .map(AccountName)
            .map_err(|_| BankAccountError::AccountName)
    }

    /// The name as typed, trimmed.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A grantee's bank account: everything a bank needs to credit it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BankAccount {
    /// The name on the account.
    pub account_name: AccountName,
    /// The branch.
    pub sort_code: SortCode,
    /// The account.
    pub account_number: AccountNumber,
    /// For building-society accounts that need one.
    pub roll_number: Option<RollNumber>,
}

impl BankAccount {
    /// Parses the four fields as typed, reporting every bad one, each with
    /// its field name (`account_name`, `sort_code`, `account_number`,
    /// `roll_number`).
    ///
    /// ```
    /// use grantledger_domain::bank::BankAccount;
    /// let ok = BankAccount::parse("Tuesday Lunch Club", "12-34-56", "12345678", "")?;
    /// assert_eq!(ok.roll_number, None);
    /// let bad = BankAccount::parse("", "12-34", "1234567", "").unwrap_err();
    /// assert_eq!(bad.iter().map(|(f, _)| *f).collect::<Vec<_>>(),
    ///            ["account_name", "sort_code", "account_number"]);
    /// # Ok::<(), Vec<(&str, grantledger_domain::bank::BankAccountError)>>(())
    /// ```
    ///
    /// # Errors
    /// Every field that is wrong, in form order.
    pub fn parse(
        account_name: &str,
        sort_code: &str,
        account_number: &str,
        roll_number: &str,
    ) -> Result<BankAccount, Vec<(&'static str, BankAccountError)>> {
        let mut errors = Vec::new();
        let name = AccountName::parse(account_name).map_err(|e| errors.push(("account_name", e)));
        let sort = SortCode::parse(sort_code).map_err(|e| errors.push(("sort_code", e)));
        let number =
            AccountNumber::parse(account_number).map_err(|e| errors.push(("account_number", e)));
        let roll = if roll_number.trim().is_empty() {
            Ok(None)
        } else {
            RollNumber::parse(roll_number)
                .map(Some)
                .map_err(|e| errors.push(("roll_number", e)))
        };
        match (name, sort, number, roll) {
            (Ok(account_name), Ok(sort_code), Ok(account_number), Ok(roll_number)) => {
                Ok(BankAccount {
                    account_name,
                    sort_code,
                    account_number,
                    roll_number,
                })
            }
            _ => Err(errors),
        }
    }

    /// One canonical text form of the account, for encryption and for
    /// fingerprints: `sort|number|roll|name`.
    #[must_use]
    pub fn canonical(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            self.sort_code,
            self.account_number,
            self.roll_number.as_ref().map_or("", RollNumber::as_str),
            self.account_name
        )
    }

    /// Reads back [`BankAccount::canonical`].
    ///
    /// # Errors
    /// The first bad field, or [`BankAccountError::AccountName`] when the
    /// text does not have four parts.
    pub fn from_canonical(s: &str) -> Result<BankAccount, BankAccountError> {
        let mut parts = s.splitn(4, '|');
        let (Some(sort), Some(number), Some(roll), Some(name)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(BankAccountError::AccountName);
        };
        Ok(BankAccount {
            account_name: AccountName::parse(name)?,
            sort_code: SortCode::parse(sort)?,
            account_number: AccountNumber::parse(number)?,
            roll_number: if roll.is_empty() {
                None
            } else {
                Some(RollNumber::parse(roll)?)
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn shapes() {
        assert_eq!(SortCode::parse("123456").unwrap().as_u32(), 123_456);
        assert_eq!(SortCode::parse("01-02-03").unwrap().as_u32(), 10_203);
        for bad in ["", "12345", "1234567", "12-34-5a", "١٢٣٤٥٦"] {
            assert_eq!(
                SortCode::parse(bad),
                Err(BankAccountError::SortCode),
                "{bad}"
            );
        }
        for bad in ["1234567", "123456789", "1234 567x"] {
            assert_eq!(
                AccountNumber::parse(bad),
                Err(BankAccountError::AccountNumber),
                "{bad}"
            );
        }
        assert_eq!(
            RollNumber::parse(" ab/123.4-5 ").unwrap().as_str(),
            "AB/123.4-5"
        );
        assert!(RollNumber::parse("1234567890123456789").is_err());
        assert!(RollNumber::parse("A_B").is_err());
        assert!(AccountName::parse("a\nb").is_err());
    }

    #[test]
    fn errors_never_echo_the_digits() {
        let e = AccountNumber::parse("9876543").unwrap_err().to_string();
        assert!(!e.contains("9876543"), "{e}");
    }

    proptest! {
        #[test]
        fn canonical_round_trips(
            sort in "[0-9]{6}", number in "[0-9]{8}",
            roll in proptest::option::of("[A-Z0-9]{1,18}"),
            name in "[A-Za-z][A-Za-z0-9 &|.'-]{0,60}[A-Za-z]",
        ) {
            let account = BankAccount {
                account_name: AccountName::parse(&name).unwrap(),
                sort_code: SortCode::parse(&sort).unwrap(),
                account_number: AccountNumber::parse(&number).unwrap(),
                roll_number: roll.map(|r| RollNumber::parse(&r).unwrap()),
            };
            prop_assert_eq!(BankAccount::from_canonical(&account.canonical()).unwrap(), account);
        }
    }
}
