//! The fund as a Bacs originator, from configuration.

use core::fmt;

use super::{FIELD_WIDTH, is_bacs_char};
use crate::bank::{AccountNumber, SortCode};

/// Why the fund's Bacs identity from configuration was refused. Each
/// variant names the setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginatorError {
    /// Not six digits.
    #[error("Bacs service user number (SUN) must be 6 digits")]
    ServiceUserNumber,
    /// Not a sort code.
    #[error("originating sort code must be 6 digits, like 12-34-56")]
    SortCode,
    /// Not an account number.
    #[error("originating account number must be 8 digits")]
    AccountNumber,
    /// Empty, over 18 characters, or outside the Bacs character set.
    #[error("originator name must be 1 to 18 characters, each a letter, digit, space or . & / -")]
    Name,
}

/// A Bacs service user number (SUN): the six digits Bacs gives a service
/// user, written into the labels of every file it submits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServiceUserNumber(String);

impl ServiceUserNumber {
    /// Parses a SUN, ignoring spaces around it.
    ///
    /// # Errors
    /// [`OriginatorError::ServiceUserNumber`].
    pub fn parse(s: &str) -> Result<ServiceUserNumber, OriginatorError> {
        let t = s.trim();
        if t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit()) {
            Ok(ServiceUserNumber(t.to_owned()))
        } else {
            Err(OriginatorError::ServiceUserNumber)
        }
    }

    /// The six digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ServiceUserNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The fund's short name as recipients' statements show it: 1 to 18
/// characters of the Bacs character set, upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OriginatorName(String);

impl OriginatorName {
    /// Parses a name, upper-casing it. Unlike payees' names it is refused,
    /// not converted, when outside the set: it is configured once, so
    /// whoever configures it should see exactly what statements will show.
    ///
    /// # Errors
    /// [`OriginatorError::Name`].
    pub fn parse(s: &str) -> Result<OriginatorName, OriginatorError> {
        let t = s.trim().to_ascii_uppercase();
        if (1..=FIELD_WIDTH).contains(&t.len()) && t.chars().all(is_bacs_char) {
            Ok(OriginatorName(t))
        } else {
            Err(OriginatorError::Name)
        }
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OriginatorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The fund as a Bacs originator: its service user number and the account
/// the payments are taken from. Comes from configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Originator {
    sun: ServiceUserNumber,
    sort_code: SortCode,
    account_number: AccountNumber,
    name: OriginatorName,
}

impl Originator {
    /// An originator from parts already parsed.
    #[must_use]
    pub fn new(
        sun: ServiceUserNumber,
        sort_code: SortCode,
        account_number: AccountNumber,
        name: OriginatorName,
    ) -> Originator {
        Originator {
            sun,
            sort_code,
            account_number,
            name,
        }
    }

    /// Parses the four settings as configured.
    ///
    /// ```
    /// use grantledger_domain::bank::{Originator, OriginatorError};
    /// let o = Originator::parse("123456", "40-11-62", "12345678", "Local Fund")?;
    /// assert_eq!(o.name().as_str(), "LOCAL FUND");
    /// assert_eq!(
    ///     Originator::parse("12345", "40-11-62", "12345678", "Local Fund"),
    ///     Err(OriginatorError::ServiceUserNumber)
    /// );
    /// # Ok::<(), OriginatorError>(())
    /// ```
    ///
    /// # Errors
    /// The first bad setting, in argument order.
    pub fn parse(
        sun: &str,
        sort_code: &str,
        account_number: &str,
        name: &str,
    ) -> Result<Originator, OriginatorError> {
        Ok(Originator {
            sun: ServiceUserNumber::parse(sun)?,
            sort_code: SortCode::parse(sort_code).map_err(|_| OriginatorError::SortCode)?,
            account_number: AccountNumber::parse(account_number)
                .map_err(|_| OriginatorError::AccountNumber)?,
            name: OriginatorName::parse(name)?,
        })
    }

    /// The service user number.
    #[must_use]
    pub fn sun(&self) -> &ServiceUserNumber {
        &self.sun
    }

    /// The sort code payments are taken from.
    #[must_use]
    pub fn sort_code(&self) -> SortCode {
        self.sort_code
    }

    /// The account payments are taken from.
    #[must_use]
    pub fn account_number(&self) -> AccountNumber {
        self.account_number
    }

    /// The name on recipients' statements.
    #[must_use]
    pub fn name(&self) -> &OriginatorName {
        &self.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn originator_settings_are_named_when_wrong() {
        let ok = ("123456", "40-11-62", "12345678", "Local Fund");
        assert!(Originator::parse(ok.0, ok.1, ok.2, ok.3).is_ok());
        for (sun, sort, number, name, expected) in [
            (
                "12345a",
                ok.1,
                ok.2,
                ok.3,
                OriginatorError::ServiceUserNumber,
            ),
            (
                "1234567",
                ok.1,
                ok.2,
                ok.3,
                OriginatorError::ServiceUserNumber,
            ),
            (ok.0, "40-11", ok.2, ok.3, OriginatorError::SortCode),
            (ok.0, ok.1, "1234", ok.3, OriginatorError::AccountNumber),
            (ok.0, ok.1, ok.2, "", OriginatorError::Name),
            (ok.0, ok.1, ok.2, "Fund, the", OriginatorError::Name),
            (ok.0, ok.1, ok.2, "Café Fund", OriginatorError::Name),
            (
                ok.0,
                ok.1,
                ok.2,
                "ABCDEFGHIJKLMNOPQRS",
                OriginatorError::Name,
            ),
        ] {
            assert_eq!(
                Originator::parse(sun, sort, number, name),
                Err(expected.clone()),
                "{sun} {sort} {name}"
            );
        }
        assert_eq!(
            OriginatorName::parse(" local fund & co ").unwrap().as_str(),
            "LOCAL FUND & CO"
        );
    }
}
