//! The fund ledger: every movement of money as a double-entry transfer.
//!
//! | event | debit | credit |
//! |---|---|---|
//! | fund budget recorded | funders (external) | fund:unallocated |
//! | round allocation | fund:unallocated | round:available |
//! | award / variation up | round:available | award:payable |
//! | decline / cancel / variation down | award:payable | round:available |
//! | disbursement paid | award:payable | grantees (external) |
//! | recovery (money returned) | grantees (external) | round:available |
//!
//! Every account's balance is credits minus debits, so all balances always
//! sum to zero; external accounts go negative as they fund the system, and
//! internal accounts may never go below zero.

mod account;
mod balances;
mod transfer;

pub use account::Account;
pub use balances::Balances;
pub use transfer::{Transfer, TransferKind};

use crate::money::Money;

/// Why a transfer cannot be built or applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// A transfer of nothing.
    #[error("a transfer must move more than 0.00")]
    ZeroAmount,
    /// Not enough money in an internal account.
    #[error("not enough money: {} holds {balance}, but {requested} is needed", .account.description())]
    InsufficientFunds {
        /// The account that would go negative.
        account: Account,
        /// Its balance.
        balance: Money,
        /// The amount asked for.
        requested: Money,
    },
    /// A balance beyond what can be represented.
    #[error("the ledger balance of {} would overflow", .account.description())]
    Overflow {
        /// The account.
        account: Account,
    },
    /// An account key that is not recognised.
    #[error("\"{key}\" is not a ledger account")]
    UnknownAccount {
        /// The key given.
        key: String,
    },
    /// Accounts that do not match the transfer's kind.
    #[error("a {kind} transfer cannot move money from {debit} to {credit}")]
    WrongAccounts {
        /// The kind.
        kind: TransferKind,
        /// Debit account.
        debit: Account,
        /// Credit account.
        credit: Account,
    },
}

#[cfg(test)]
mod tests;
