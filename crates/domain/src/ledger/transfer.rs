use serde::{Deserialize, Serialize};

use super::{Account, LedgerError};
use crate::ids::{AwardId, FundId, RoundId};
use crate::money::{Money, MoneyDelta};

string_enum! {
    /// Why money moved.
    pub enum TransferKind("transfer kind") {
        /// A fund's budget recorded from its funders.
        BudgetRecorded = "budget_recorded", "Budget recorded";
        /// Budget allocated to a round.
        RoundAllocation = "round_allocation", "Round allocation";
        /// An award committed from a round.
        AwardCommitted = "award_committed", "Award committed";
        /// An award varied upwards.
        VariationUp = "variation_up", "Variation up";
        /// An award varied downwards.
        VariationDown = "variation_down", "Variation down";
        /// An award declined or cancelled; its unpaid amount returns to the round.
        AwardReleased = "award_released", "Award released";
        /// A disbursement paid to a grantee.
        DisbursementPaid = "disbursement_paid", "Disbursement paid";
        /// Money returned by a grantee to the round.
        Recovery = "recovery", "Recovery";
        /// A payment sent back by the grantee's bank: payable on the award again.
        PaymentReturned = "payment_returned", "Payment returned by the bank";
        /// A change to a fund's budget after it was recorded.
        BudgetAdjusted = "budget_adjusted", "Budget adjusted";
        /// A round's allocation changed after it was set: more taken from
        /// the fund, or some handed back to it.
        AllocationAdjusted = "allocation_adjusted", "Allocation adjusted";
    }
}

/// A movement of money between two accounts, built only by the constructors
/// below so every transfer follows the ledger table.
///
/// ```
/// use grantledger_domain::ids::{AwardId, FundId, RoundId};
/// use grantledger_domain::ledger::{Account, Balances, Transfer};
/// use grantledger_domain::money::{Money, MoneyDelta};
///
/// let (fund, round, award) = (FundId::new(), RoundId::new(), AwardId::new());
/// let mut ledger = Balances::new();
/// ledger.apply(&Transfer::budget_recorded(fund, Money::parse("4000000")?)?)?;
/// ledger.apply(&Transfer::round_allocation(fund, round, Money::parse("2000000")?)?)?;
/// ledger.apply(&Transfer::award_committed(round, award, Money::parse("2500")?)?)?;
/// ledger.apply(&Transfer::variation(round, award, MoneyDelta::parse("-500")?)?)?;
/// ledger.apply(&Transfer::disbursement_paid(award, Money::parse("2000")?)?)?;
///
/// assert_eq!(ledger.balance(&Account::AwardPayable(award)), 0);
/// assert_eq!(ledger.balance(&Account::RoundAvailable(round)), 199_800_000);
/// assert_eq!(ledger.total(), 0);
///
/// // An award can never take more than the round has available.
/// let greedy = Transfer::award_committed(round, AwardId::new(), Money::parse("2000000")?)?;
/// assert!(ledger.apply(&greedy).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawTransfer")]
pub struct Transfer {
    debit: Account,
    credit: Account,
    amount: Money,
    kind: TransferKind,
}

#[derive(Deserialize)]
struct RawTransfer {
    debit: Account,
    credit: Account,
    amount: Money,
    kind: TransferKind,
}

impl TryFrom<RawTransfer> for Transfer {
    type Error = LedgerError;

    fn try_from(r: RawTransfer) -> Result<Self, Self::Error> {
        Transfer::from_parts(r.debit, r.credit, r.amount, r.kind)
    }
}

impl Transfer {
    fn build(
        debit: Account,
        credit: Account,
        amount: Money,
        kind: TransferKind,
    ) -> Result<Transfer, LedgerError> {
        if amount.is_zero() {
            return Err(LedgerError::ZeroAmount);
        }
        Ok(Transfer {
            debit,
            credit,
            amount,
            kind,
        })
    }

    /// Funders → fund:unallocated.
    ///
    /// # Errors
    /// [`LedgerError::ZeroAmount`].
    pub fn budget_recorded(fund: FundId, amount: Money) -> Result<Transfer, LedgerError> {
        Self::build(
            Account::Funders,
            Account::FundUnallocated(fund),
            amount,
            TransferKind::BudgetRecorded,
        )
    }

    /// A later budget change: up from the funders, or down back to them.
    ///
    /// # Errors
    /// [`LedgerError::ZeroAmount`] for no change.
    pub fn budget_adjusted(fund: FundId, delta: MoneyDelta) -> Result<Transfer, LedgerError> {
        let (debit, credit) = if delta.is_negative() {
            (Account::FundUnallocated(fund), Account::Funders)
        } else {
            (Account::Funders, Account::FundUnallocated(fund))
        };
        Self::build(debit, credit, delta.abs(), TransferKind::BudgetAdjusted)
    }

    /// fund:unallocated → round:available.
    ///
    /// # Errors
    /// [`LedgerError::ZeroAmount`].
    pub fn round_allocation(
        fund: FundId,
        round: RoundId,
        amount: Money,
    ) -> Result<Transfer, LedgerError> {
        Self::build(
            Account::FundUnallocated(fund),
            Account::RoundAvailable(round),
            amount,
            TransferKind::RoundAllocation,
        )
    }

    /// A later change to a round's allocation: more from the fund's
    /// unallocated money, or some returned to it.
    ///
    /// # Errors
    /// [`LedgerError::ZeroAmount`] for no change.
    pub fn allocation_adjusted(
        fund: FundId,
        round: RoundId,
        delta: MoneyDelta,
    ) -> Result<Transfer, LedgerError> {
        let (debit, credit) = if delta.is_negative() {
            (
                Account::RoundAvailable(round),
                Account::FundUnallocated(fund),
            )
        } else {
            (
                Account::FundUnallocated(fund),
                Account::RoundAvailable(round),
            )
        };
        Self::build(debit, credit, delta.abs(), TransferKind::AllocationAdjusted)
    }

    /// round:available → award:payable.
    ///
    /// # Errors
    /// [`LedgerError::ZeroAmount`].
    pub fn award_committed(
        round: RoundId,
        award: AwardId,
        amount: Money,
    ) -> Result<Transfer, LedgerError> {
        Self::build(
            Account::RoundAvailable(round),
            Account::AwardPayable(award),
            amount,
            TransferKind::AwardCommitted,
        )
    }

    /// A variation: up commits more from the round, down releases to it.
    ///
    /// # Errors
    /// [`LedgerError::ZeroAmount`] for no change.
    pub fn variation(
        round: RoundId,
        award: AwardId,
        delta: MoneyDelta,
    ) -> Result<Transfer, LedgerError> {
        let (round, award) = (Account::RoundAvailable(round), Account::AwardPayable(award));
        if delta.is_negative() {
            Self::build(award, round, delta.abs(), TransferKind::VariationDown)
        } else {
            Self::build(round, award, delta.abs(), TransferKind::VariationUp)
        }
    }

    /// award:payable → round:available, on decline or cancellation.
    ///
    /// # Errors
    /// [`LedgerError::ZeroAmount`].
    pub fn award_released(
        round: RoundId,
        award: AwardId,
        amount: Money,
    ) -> Result<Transfer, LedgerError> {
        Self::build(
            Account::AwardPayable(award),
            Account::RoundAvailable(round),
            amount,
            TransferKind::AwardReleased,
        )
    }

    /// award:payable → grantees.
    ///
    /// # Errors
    /// [`LedgerError::ZeroAmount`].
    pub fn disbursement_paid(award: AwardId, amount: Money) -> Result<Transfer, LedgerError> {
        Self::build(
            Account::AwardPayable(award),
            Account::Grantees,
            amount,
            TransferKind::DisbursementPaid,
        )
    }

    /// grantees → round:available.
    ///
    /// # Errors
    /// [`LedgerError::ZeroAmount`].
    pub fn recovery(round: RoundId, amount: Money) -> Result<Transfer, LedgerError> {
        Self::build(
            Account::Grantees,
            Account::RoundAvailable(round),
            amount,
            TransferKind::Recovery,
        )
    }

    /// grantees → award:payable, when the grantee's bank sends a payment back.
    ///
    /// # Errors
    /// [`LedgerError::ZeroAmount`].
    pub fn payment_returned(award: AwardId, amount: Money) -> Result<Transfer, LedgerError> {
        Self::build(
            Account::Grantees,
            Account::AwardPayable(award),
            amount,
            TransferKind::PaymentReturned,
        )
    }

    /// Rebuilds a transfer read back from storage, checking its accounts fit its kind.
    ///
    /// # Errors
    /// [`LedgerError::ZeroAmount`] or [`LedgerError::WrongAccounts`].
    pub fn from_parts(
        debit: Account,
        credit: Account,
        amount: Money,
        kind: TransferKind,
    ) -> Result<Transfer, LedgerError> {
        use Account::{
            AwardPayable as Aw, FundUnallocated as Fu, Funders, Grantees, RoundAvailable as Ro,
        };
        use TransferKind as K;
        let fits = match kind {
            K::BudgetRecorded => matches!((debit, credit), (Funders, Fu(_))),
            K::BudgetAdjusted => matches!((debit, credit), (Funders, Fu(_)) | (Fu(_), Funders)),
            K::RoundAllocation => matches!((debit, credit), (Fu(_), Ro(_))),
            K::AllocationAdjusted => {
                matches!((debit, credit), (Fu(_), Ro(_)) | (Ro(_), Fu(_)))
            }
            K::AwardCommitted | K::VariationUp => matches!((debit, credit), (Ro(_), Aw(_))),
            K::VariationDown | K::AwardReleased => matches!((debit, credit), (Aw(_), Ro(_))),
            K::DisbursementPaid => matches!((debit, credit), (Aw(_), Grantees)),
            K::Recovery => matches!((debit, credit), (Grantees, Ro(_))),
            K::PaymentReturned => matches!((debit, credit), (Grantees, Aw(_))),
        };
        if !fits {
            return Err(LedgerError::WrongAccounts {
                kind,
                debit,
                credit,
            });
        }
        Self::build(debit, credit, amount, kind)
    }

    /// The account money leaves.
    #[must_use]
    pub fn debit(&self) -> Account {
        self.debit
    }

    /// The account money enters.
    #[must_use]
    pub fn credit(&self) -> Account {
        self.credit
    }

    /// How much moves (always more than zero).
    #[must_use]
    pub fn amount(&self) -> Money {
        self.amount
    }

    /// Why it moves.
    #[must_use]
    pub fn kind(&self) -> TransferKind {
        self.kind
    }
}
