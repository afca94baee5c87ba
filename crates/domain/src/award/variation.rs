use super::Award;
use crate::money::{Money, MoneyDelta};
use crate::round::GrantRange;
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
    /// Outside the round's grant range, with no override.
    #[error(
        "the new amount {new_amount} is outside this round's grant range of {min} to {max}; an administrator may go outside it only with a range_override giving the reason"
    )]
    OutsideRange {
        /// Amount asked for.
        new_amount: Money,
        /// The round's smallest grant.
        min: Money,
        /// The round's largest grant.
        max: Money,
    },
    /// An override sent for an amount inside the range.
    #[error(
        "the new amount {new_amount} is within this round's grant range of {min} to {max}; leave out range_override"
    )]
    OverrideNotNeeded {
        /// Amount asked for.
        new_amount: Money,
        /// The round's smallest grant.
        min: Money,
        /// The round's largest grant.
        max: Money,
    },
}

/// An administrator's explicit, reasoned decision to vary an award outside
/// its round's grant range: kept with the variation and audited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeOverride(String);

impl RangeOverride {
    /// The longest reason.
    pub const MAX_REASON_CHARS: usize = 2_000;

    /// Parses the override's reason (required, trimmed).
    ///
    /// # Errors
    /// A [`TextError`] when empty, too long or holding control characters.
    pub fn parse(reason: &str) -> Result<RangeOverride, TextError> {
        text::multi_line("range override reason", reason, Self::MAX_REASON_CHARS).map(RangeOverride)
    }

    /// The reason.
    #[must_use]
    pub fn reason(&self) -> &str {
        &self.0
    }
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

    /// [`Award::vary`] within the round's grant range `range`: a new amount
    /// outside it needs an administrator's [`RangeOverride`], and an
    /// override is refused when the amount is inside it, so one is never
    /// recorded for nothing.
    ///
    /// # Errors
    /// As [`Award::vary`]; [`VariationError::OutsideRange`];
    /// [`VariationError::OverrideNotNeeded`].
    pub fn vary_in_range(
        &self,
        range: GrantRange,
        new_amount: Money,
        reason: &str,
        range_override: Option<&RangeOverride>,
    ) -> Result<(Award, MoneyDelta), VariationError> {
        let varied = self.vary(new_amount, reason)?;
        let (min, max) = (range.min(), range.max());
        match (range.contains(new_amount), range_override) {
            (true, None) | (false, Some(_)) => Ok(varied),
            (false, None) => Err(VariationError::OutsideRange {
                new_amount,
                min,
                max,
            }),
            (true, Some(_)) => Err(VariationError::OverrideNotNeeded {
                new_amount,
                min,
                max,
            }),
        }
    }
}
