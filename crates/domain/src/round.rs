//! Grant rounds: when applications are accepted, how much can be given and to whom.

mod eligibility;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::grantee::Grantee;
use crate::ids::{FundId, RoundId};
use crate::money::Money;
use crate::text::{self, TextError};
pub use eligibility::{Eligibility, Ineligibility};

/// Why a round cannot be set up as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoundError {
    /// The round would close before (or when) it opens.
    #[error(
        "the round must close after it opens; opens_at is {opens_at} but closes_at is {closes_at}"
    )]
    WindowInverted {
        /// Opening instant given.
        opens_at: DateTime<Utc>,
        /// Closing instant given.
        closes_at: DateTime<Utc>,
    },
    /// A new round whose deadline has already passed, not marked as the
    /// record of a round that has run.
    #[error(
        "the round would close at {closes_at}, which has passed, so nobody could apply to it; to record a round that has already run, send records_past_round: true"
    )]
    WhollyInPast {
        /// Deadline given.
        closes_at: DateTime<Utc>,
    },
    /// A minimum grant of zero.
    #[error("the minimum grant must be more than 0.00")]
    ZeroMinimumGrant,
    /// Minimum above maximum.
    #[error("the minimum grant {min} is more than the maximum grant {max}")]
    MinimumAboveMaximum {
        /// Minimum given.
        min: Money,
        /// Maximum given.
        max: Money,
    },
    /// A zero allocation.
    #[error("the round's allocation must be more than 0.00")]
    ZeroAllocation,
    /// A maximum grant the allocation could not pay even once.
    #[error("the maximum grant {max} is more than the round's allocation {allocation}")]
    MaximumAboveAllocation {
        /// Maximum grant given.
        max: Money,
        /// Allocation given.
        allocation: Money,
    },
    /// Round number 0.
    #[error("round numbers start at 1")]
    NumberZero,
    /// A bad round name.
    #[error(transparent)]
    Name(#[from] TextError),
}

/// The period a round accepts applications: from `opens_at` (inclusive)
/// until `closes_at` (exclusive), so a deadline of 12:00 refuses 12:00:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawWindow")]
pub struct RoundWindow {
    opens_at: DateTime<Utc>,
    closes_at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct RawWindow {
    opens_at: DateTime<Utc>,
    closes_at: DateTime<Utc>,
}

impl TryFrom<RawWindow> for RoundWindow {
    type Error = RoundError;

    fn try_from(raw: RawWindow) -> Result<Self, Self::Error> {
        RoundWindow::new(raw.opens_at, raw.closes_at)
    }
}

impl RoundWindow {
    /// Builds a window.
    ///
    /// # Errors
    /// [`RoundError::WindowInverted`] unless `opens_at < closes_at`.
    pub fn new(
        opens_at: DateTime<Utc>,
        closes_at: DateTime<Utc>,
    ) -> Result<RoundWindow, RoundError> {
        if opens_at < closes_at {
            Ok(RoundWindow {
                opens_at,
                closes_at,
            })
        } else {
            Err(RoundError::WindowInverted {
                opens_at,
                closes_at,
            })
        }
    }

    /// When applications may first be submitted.
    #[must_use]
    pub fn opens_at(&self) -> DateTime<Utc> {
        self.opens_at
    }

    /// The deadline.
    #[must_use]
    pub fn closes_at(&self) -> DateTime<Utc> {
        self.closes_at
    }

    /// Whether a submission at `now` is on time.
    #[must_use]
    pub fn is_open_at(&self, now: DateTime<Utc>) -> bool {
        self.opens_at <= now && now < self.closes_at
    }

    /// Whether the deadline has passed at `now`.
    #[must_use]
    pub fn has_closed_at(&self, now: DateTime<Utc>) -> bool {
        now >= self.closes_at
    }

    /// Checks the window of a round being set up at `now`. A round whose
    /// deadline has passed takes money from the fund that nobody can apply
    /// for, so it is refused unless the caller says it records a round that
    /// has already run (historic data).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use grantledger_domain::round::RoundWindow;
    ///
    /// let now = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
    /// let past = RoundWindow::new(
    ///     Utc.with_ymd_and_hms(2019, 1, 7, 9, 0, 0).unwrap(),
    ///     Utc.with_ymd_and_hms(2019, 2, 18, 17, 0, 0).unwrap(),
    /// )?;
    /// assert!(past.check_new(now, false).is_err());
    /// assert!(past.check_new(now, true).is_ok());
    /// # Ok::<(), grantledger_domain::round::RoundError>(())
    /// ```
    ///
    /// # Errors
    /// [`RoundError::WhollyInPast`] for a closed window not marked as past.
    pub fn check_new(
        &self,
        now: DateTime<Utc>,
        records_past_round: bool,
    ) -> Result<(), RoundError> {
        if self.has_closed_at(now) && !records_past_round {
            return Err(RoundError::WhollyInPast {
                closes_at: self.closes_at,
            });
        }
        Ok(())
    }

    /// Checks that a new application may be started at `now`: not once the
    /// deadline has passed, when it could never be submitted. (Drafts may
    /// be prepared before the round opens.)
    ///
    /// # Errors
    /// [`RoundClosed`], naming the window.
    pub fn check_can_start(&self, now: DateTime<Utc>) -> Result<(), RoundClosed> {
        if self.has_closed_at(now) {
            return Err(RoundClosed {
                opens_at: self.opens_at,
                closes_at: self.closes_at,
            });
        }
        Ok(())
    }
}

/// A round that has closed: no application can be started in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the round has closed: it accepted applications from {opens_at} until {closes_at}, so no new application can be started"
)]
pub struct RoundClosed {
    /// Opening instant.
    pub opens_at: DateTime<Utc>,
    /// Deadline.
    pub closes_at: DateTime<Utc>,
}

/// The smallest and largest grant a round gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawRange")]
pub struct GrantRange {
    min: Money,
    max: Money,
}

#[derive(Deserialize)]
struct RawRange {
    min: Money,
    max: Money,
}

impl TryFrom<RawRange> for GrantRange {
    type Error = RoundError;

    fn try_from(raw: RawRange) -> Result<Self, Self::Error> {
        GrantRange::new(raw.min, raw.max)
    }
}

impl GrantRange {
    /// Builds a range.
    ///
    /// # Errors
    /// [`RoundError::ZeroMinimumGrant`] or [`RoundError::MinimumAboveMaximum`].
    pub fn new(min: Money, max: Money) -> Result<GrantRange, RoundError> {
        if min.is_zero() {
            Err(RoundError::ZeroMinimumGrant)
        } else if min > max {
            Err(RoundError::MinimumAboveMaximum { min, max })
        } else {
            Ok(GrantRange { min, max })
        }
    }

    /// The smallest grant.
    #[must_use]
    pub fn min(&self) -> Money {
        self.min
    }

    /// The largest grant.
    #[must_use]
    pub fn max(&self) -> Money {
        self.max
    }

    /// Whether `amount` is within the range (inclusive at both ends).
    #[must_use]
    pub fn contains(&self, amount: Money) -> bool {
        self.min <= amount && amount <= self.max
    }
}

/// A grant round within a fund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Round {
    /// Identity.
    pub id: RoundId,
    /// The fund it draws on.
    pub fund_id: FundId,
    /// 1, 2, … within the fund; appears in award references.
    pub number: u16,
    /// Name, e.g. "Round 1".
    pub name: String,
    /// When applications are accepted.
    pub window: RoundWindow,
    /// The share of the fund's budget given to this round.
    pub allocation: Money,
    /// Smallest and largest grant.
    pub grant_range: GrantRange,
    /// Who may apply.
    pub eligibility: Eligibility,
}

impl Round {
    /// The longest round name.
    pub const MAX_NAME_CHARS: usize = 200;

    /// Sets up a round. The allocation must be able to pay at least one
    /// maximum grant; whether it fits in the fund is [`crate::fund::Fund::check_allocations`].
    ///
    /// # Errors
    /// A [`RoundError`].
    #[allow(clippy::too_many_arguments)] // each argument is a distinct, already-validated part of a round
    pub fn new(
        id: RoundId,
        fund_id: FundId,
        number: u16,
        name: impl AsRef<str>,
        window: RoundWindow,
        allocation: Money,
        grant_range: GrantRange,
        eligibility: Eligibility,
    ) -> Result<Round, RoundError> {
        if number == 0 {
            return Err(RoundError::NumberZero);
        }
        let name = text::single_line("round name", name.as_ref(), Self::MAX_NAME_CHARS)?;
        if allocation.is_zero() {
            return Err(RoundError::ZeroAllocation);
        }
        if grant_range.max() > allocation {
            return Err(RoundError::MaximumAboveAllocation {
                max: grant_range.max(),
                allocation,
            });
        }
        Ok(Round {
            id,
            fund_id,
            number,
            name,
            window,
            allocation,
            grant_range,
            eligibility,
        })
    }

    /// Checks an application for `amount` from `grantee` against every rule
    /// of the round, returning every reason it fails so the applicant can fix
    /// them all at once.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use grantledger_domain::grantee::*;
    /// use grantledger_domain::ids::{FundId, GranteeId, RoundId};
    /// use grantledger_domain::money::Money;
    /// use grantledger_domain::round::*;
    ///
    /// let round = Round::new(
    ///     RoundId::new(),
    ///     FundId::new(),
    ///     1,
    ///     "Round 1",
    ///     RoundWindow::new(
    ///         Utc.with_ymd_and_hms(2019, 6, 1, 0, 0, 0).unwrap(),
    ///         Utc.with_ymd_and_hms(2019, 7, 1, 12, 0, 0).unwrap(),
    ///     )?,
    ///     Money::parse("2000000")?,
    ///     GrantRange::new(Money::parse("250")?, Money::parse("2500")?)?,
    ///     Eligibility {
    ///         organisation_types: vec![OrganisationType::CommunityGroup, OrganisationType::Cic],
    ///         max_annual_income: Some(Money::parse("50000")?),
    ///         regions: vec![],
    ///         one_application_per_organisation: false,
    ///     },
    /// )?;
    /// let grantee = Grantee {
    ///     id: GranteeId::new(),
    ///     name: OrganisationName::parse("Big Charity")?,
    ///     org_id: None,
    ///     organisation_type: OrganisationType::RegisteredCharity,
    ///     region: Region::London,
    ///     local_authority: LocalAuthority::parse("Camden")?,
    ///     postcode: Postcode::parse("NW1 2DB")?,
    ///     annual_income: Money::parse("2000000")?,
    ///     due_diligence: DueDiligence::pending(),
    /// };
    /// let reasons = round.check_eligibility(&grantee, Money::parse("5000")?).unwrap_err();
    /// let fields: Vec<_> = reasons.iter().map(|r| r.field()).collect();
    /// assert_eq!(fields, ["amount_requested", "organisation_type", "annual_income"]);
    /// assert_eq!(
    ///     reasons[0].to_string(),
    ///     "the amount requested, 5000.00, is more than this round's maximum grant of 2500.00"
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// Every [`Ineligibility`] that applies.
    pub fn check_eligibility(
        &self,
        grantee: &Grantee,
        amount: Money,
    ) -> Result<(), Vec<Ineligibility>> {
        let mut reasons = Vec::new();
        if amount < self.grant_range.min() {
            reasons.push(Ineligibility::AmountBelowMinimum {
                amount,
                min: self.grant_range.min(),
            });
        }
        if amount > self.grant_range.max() {
            reasons.push(Ineligibility::AmountAboveMaximum {
                amount,
                max: self.grant_range.max(),
            });
        }
        reasons.extend(self.eligibility.check(grantee));
        if reasons.is_empty() {
            Ok(())
        } else {
            Err(reasons)
        }
    }
}

#[cfg(test)]
mod tests;
