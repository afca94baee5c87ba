use std::collections::BTreeMap;

use super::{Account, LedgerError, Transfer};
use crate::money::Money;

/// Account balances in signed pence (credits minus debits), for checking a
/// sequence of transfers in memory, e.g. in reconciliation or tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Balances {
    balances: BTreeMap<Account, i64>,
}

impl Balances {
    /// No transfers yet.
    #[must_use]
    pub fn new() -> Balances {
        Balances::default()
    }

    /// Applies a transfer, refusing one that would take an internal account
    /// below zero. On error nothing changes.
    ///
    /// # Errors
    /// [`LedgerError::InsufficientFunds`] or [`LedgerError::Overflow`].
    pub fn apply(&mut self, transfer: &Transfer) -> Result<(), LedgerError> {
        let amount = transfer.amount().pence();
        let (debit, credit) = (transfer.debit(), transfer.credit());
        let debit_before = self.balance(&debit);
        let debit_after = debit_before
            .checked_sub(amount)
            .ok_or(LedgerError::Overflow { account: debit })?;
        if !debit.is_external() && debit_after < 0 {
            return Err(LedgerError::InsufficientFunds {
                account: debit,
                balance: Money::from_pence(debit_before).unwrap_or(Money::ZERO),
                requested: transfer.amount(),
            });
        }
        let credit_after = self
            .balance(&credit)
            .checked_add(amount)
            .ok_or(LedgerError::Overflow { account: credit })?;
        self.balances.insert(debit, debit_after);
        self.balances.insert(credit, credit_after);
        Ok(())
    }

    /// An account's balance in pence (0 if never used).
    #[must_use]
    pub fn balance(&self, account: &Account) -> i64 {
        self.balances.get(account).copied().unwrap_or(0)
    }

    /// The sum over every account, externals included; always 0 for a
    /// consistent ledger.
    #[must_use]
    pub fn total(&self) -> i128 {
        self.balances.values().map(|&b| i128::from(b)).sum()
    }

    /// Whether the double-entry invariants hold: total zero and no internal account negative.
    #[must_use]
    pub fn is_consistent(&self) -> bool {
        self.total() == 0
            && self
                .balances
                .iter()
                .all(|(a, &b)| a.is_external() || b >= 0)
    }

    /// Every account touched, in key order, with its balance.
    pub fn iter(&self) -> impl Iterator<Item = (&Account, i64)> {
        self.balances.iter().map(|(a, &b)| (a, b))
    }
}
