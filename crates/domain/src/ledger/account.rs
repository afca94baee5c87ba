use core::fmt;
use core::str::FromStr;

use uuid::Uuid;

use super::LedgerError;
use crate::ids::{AwardId, FundId, RoundId};

/// A ledger account.
///
/// ```
/// use grantledger_domain::ids::FundId;
/// use grantledger_domain::ledger::Account;
///
/// let fund = FundId::new();
/// let account = Account::FundUnallocated(fund);
/// assert_eq!(account.key(), format!("fund:{fund}:unallocated"));
/// assert_eq!(Account::from_key(&account.key())?, account);
/// assert!(Account::Funders.is_external());
/// # Ok::<(), grantledger_domain::ledger::LedgerError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Account {
    /// Where budgets come from (outside the system).
    Funders,
    /// A fund's budget not yet allocated to a round.
    FundUnallocated(FundId),
    /// A round's allocation not yet committed to awards.
    RoundAvailable(RoundId),
    /// An award's committed but unpaid amount.
    AwardPayable(AwardId),
    /// Where payments go (outside the system).
    Grantees,
}

impl Account {
    /// Whether the account is outside the system (and so may go negative).
    #[must_use]
    pub const fn is_external(&self) -> bool {
        matches!(self, Account::Funders | Account::Grantees)
    }

    /// The stable text key stored in the database.
    #[must_use]
    pub fn key(&self) -> String {
        match self {
            Account::Funders => "funders".to_owned(),
            Account::FundUnallocated(id) => format!("fund:{id}:unallocated"),
            Account::RoundAvailable(id) => format!("round:{id}:available"),
            Account::AwardPayable(id) => format!("award:{id}:payable"),
            Account::Grantees => "grantees".to_owned(),
        }
    }

    /// Parses a key produced by [`Account::key`].
    ///
    /// # Errors
    /// [`LedgerError::UnknownAccount`].
    pub fn from_key(key: &str) -> Result<Account, LedgerError> {
        let unknown = || LedgerError::UnknownAccount {
            key: key.to_owned(),
        };
        match key {
            "funders" => return Ok(Account::Funders),
            "grantees" => return Ok(Account::Grantees),
            _ => {}
        }
        let mut parts = key.split(':');
        let (Some(kind), Some(id), Some(suffix), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(unknown());
        };
        let uuid = Uuid::parse_str(id).map_err(|_| unknown())?;
        // Only the lower-case hyphenated form is canonical, so each account has one key.
        if uuid.hyphenated().to_string() != id {
            return Err(unknown());
        }
        let id = uuid;
        match (kind, suffix) {
            ("fund", "unallocated") => Ok(Account::FundUnallocated(id.into())),
            ("round", "available") => Ok(Account::RoundAvailable(id.into())),
            ("award", "payable") => Ok(Account::AwardPayable(id.into())),
            _ => Err(unknown()),
        }
    }

    /// A plain-English description for error messages.
    #[must_use]
    pub const fn description(&self) -> &'static str {
        match self {
            Account::Funders => "the funders",
            Account::FundUnallocated(_) => "the fund's unallocated budget",
            Account::RoundAvailable(_) => "the round's available allocation",
            Account::AwardPayable(_) => "the award's unpaid balance",
            Account::Grantees => "the grantees",
        }
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

impl FromStr for Account {
    type Err = LedgerError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Account::from_key(s)
    }
}

impl serde::Serialize for Account {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Account {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Account::from_key(&s).map_err(serde::de::Error::custom)
    }
}
