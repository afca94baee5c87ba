use super::Award;
use crate::money::{Money, MoneyDelta};
use crate::text::{self, TextError};
use crate::transition::TransitionError;

/// Why an award's amount cannot be varied as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VariationError {
    /// Only offered or accepted awards can be varied.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// Below what has already been paid.
    #[error("the new amount {new_amount} is less than the {paid} already paid")]
    BelowPaid {
        /// Amount asked for.
        new_amount: Money,
        /// Paid so far.
        paid: Money,
    },
    /// No change.
    #[error("the new amount is the same as the current amount, {amount}")]
    Unchanged {
        /// The current amount.
        amount: Money,
    },
    /// Varying to nothing.
    #[error("the new amount must be more than 0.00; to withdraw the award, cancel it")]
    Zero,
    /// No reason given, or an unusable one.
    #[error("variation {0}")]
    Reason(TextError),
}

impl Award {
    /// The longest variation reason.
    pub const MAX_REASON_CHARS: usize = 2_000;

    /// Changes the amount. Returns the varied award and the change: positive
    /// means the round must commit more, negative releases money to it.
    ///
    /// ```
    /// # use grantledger_domain::award::*;
    /// # use grantledger_domain::ids::*;
    /// # use grantledger_domain::money::*;
    /// # use grantledger_domain::reference::*;
    /// # let award = Award {
    /// #     id: AwardId::new(), reference: AwardReference::new(FundCode::parse("LCF")?, 1, 1)?,
    /// #     application_id: ApplicationId::new(), round_id: RoundId::new(), fund_id: FundId::new(),
    /// #     grantee_id: GranteeId::new(), amount: Money::parse("2000")?, paid: Money::parse("500")?,
    /// #     status: AwardStatus::Accepted,
    /// # };
    /// let (varied, delta) = award.vary(Money::parse("1500")?, "Fewer sessions")?;
    /// assert_eq!(varied.amount.to_string(), "1500.00");
    /// assert_eq!(delta.to_string(), "-500.00");
    /// assert!(award.vary(Money::parse("400")?, "Too low").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// A [`VariationError`].
    pub fn vary(
        &self,
        new_amount: Money,
        reason: &str,
    ) -> Result<(Award, MoneyDelta), VariationError> {
        if !self.status.can_vary() {
            return Err(TransitionError::new("award", "vary", self.status.as_str()).into());
        }
        text::multi_line("reason", reason, Self::MAX_REASON_CHARS)
            .map_err(VariationError::Reason)?;
        if new_amount.is_zero() {
            return Err(VariationError::Zero);
        }
        if new_amount < self.paid {
            return Err(VariationError::BelowPaid {
                new_amount,
                paid: self.paid,
            });
        }
        if new_amount == self.amount {
            return Err(VariationError::Unchanged {
                amount: self.amount,
            });
        }
        Ok((
            Award {
                amount: new_amount,
                ..self.clone()
            },
            self.amount.delta_to(new_amount),
        ))
    }
}
