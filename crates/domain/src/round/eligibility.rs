use core::fmt;

use serde::{Deserialize, Serialize};

use crate::grantee::{Grantee, OrganisationType, Region};
use crate::money::Money;

/// Who may apply to a round. Empty lists mean "any".
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Eligibility {
    /// Eligible organisation types; empty means any type.
    #[serde(default)]
    pub organisation_types: Vec<OrganisationType>,
    /// Highest annual income allowed, inclusive; `None` means no limit.
    #[serde(default)]
    pub max_annual_income: Option<Money>,
    /// Eligible regions; empty means anywhere.
    #[serde(default)]
    pub regions: Vec<Region>,
    /// An organisation may have only one application in the round
    /// (withdrawn ones do not count).
    #[serde(default)]
    pub one_application_per_organisation: bool,
}

impl Eligibility {
    /// Whether [`Eligibility::check_another_application`] looks at the
    /// organisation's applications in the round at all: only when the round
    /// allows one each. Where it does not, there is no need to read them
    /// (an organisation may hold hundreds in a round).
    ///
    /// ```
    /// use grantledger_domain::round::Eligibility;
    ///
    /// let one_each = Eligibility { one_application_per_organisation: true, ..Eligibility::default() };
    /// assert!(one_each.limits_applications_per_organisation());
    /// assert!(!Eligibility::default().limits_applications_per_organisation());
    /// ```
    #[must_use]
    pub fn limits_applications_per_organisation(&self) -> bool {
        self.one_application_per_organisation
    }

    /// Whether an organisation may start another application in the round,
    /// given its applications there already.
    ///
    /// ```
    /// use grantledger_domain::application::ApplicationStatus;
    /// use grantledger_domain::round::{Eligibility, Ineligibility};
    ///
    /// let one_each = Eligibility { one_application_per_organisation: true, ..Eligibility::default() };
    /// assert!(one_each.check_another_application(&[ApplicationStatus::Withdrawn]).is_ok());
    /// assert_eq!(
    ///     one_each.check_another_application(&[ApplicationStatus::Draft]),
    ///     Err(Ineligibility::AlreadyApplied)
    /// );
    /// assert!(Eligibility::default().check_another_application(&[ApplicationStatus::Draft]).is_ok());
    /// ```
    ///
    /// # Errors
    /// [`Ineligibility::AlreadyApplied`] when the round allows one
    /// application per organisation and it has one that is not withdrawn.
    pub fn check_another_application(
        &self,
        existing: &[crate::application::ApplicationStatus],
    ) -> Result<(), Ineligibility> {
        let live = existing
            .iter()
            .filter(|s| **s != crate::application::ApplicationStatus::Withdrawn)
            .count();
        if self.one_application_per_organisation && live > 0 {
            return Err(Ineligibility::AlreadyApplied);
        }
        Ok(())
    }

    /// The organisation-level reasons `grantee` may not apply (the amount is
    /// checked by the round, which knows its grant range).
    #[must_use]
    pub fn check(&self, grantee: &Grantee) -> Vec<Ineligibility> {
        let mut reasons = Vec::new();
        if !self.organisation_types.is_empty()
            && !self.organisation_types.contains(&grantee.organisation_type)
        {
            reasons.push(Ineligibility::OrganisationTypeNotEligible {
                organisation_type: grantee.organisation_type,
                eligible: self.organisation_types.clone(),
            });
        }
        match self.max_annual_income {
            Some(max) if grantee.annual_income > max => {
                reasons.push(Ineligibility::IncomeTooHigh {
                    income: grantee.annual_income,
                    max,
                });
            }
            _ => {}
        }
        if !self.regions.is_empty() && !self.regions.contains(&grantee.region) {
            reasons.push(Ineligibility::RegionNotEligible {
                region: grantee.region,
                eligible: self.regions.clone(),
            });
        }
        reasons
    }
}

/// One reason an application is not eligible for a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Ineligibility {
    /// Asking for less than the minimum grant.
    #[error("the amount requested, {amount}, is less than this round's minimum grant of {min}")]
    AmountBelowMinimum {
        /// Amount requested.
        amount: Money,
        /// Minimum grant.
        min: Money,
    },
    /// Asking for more than the maximum grant.
    #[error("the amount requested, {amount}, is more than this round's maximum grant of {max}")]
    AmountAboveMaximum {
        /// Amount requested.
        amount: Money,
        /// Maximum grant.
        max: Money,
    },
    /// An organisation type the round does not fund.
    #[error("{} organisations are not eligible for this round; eligible types are: {}", .organisation_type.label(), Labels(.eligible, OrganisationType::label))]
    OrganisationTypeNotEligible {
        /// The grantee's type.
        organisation_type: OrganisationType,
        /// The eligible types.
        eligible: Vec<OrganisationType>,
    },
    /// Annual income above the limit.
    #[error("annual income of {income} is more than this round's limit of {max}")]
    IncomeTooHigh {
        /// The grantee's income.
        income: Money,
        /// The limit.
        max: Money,
    },
    /// The round takes one application per organisation and this one has applied.
    #[error(
        "this round takes one application per organisation, and yours already has one; withdraw it first to start again"
    )]
    AlreadyApplied,
    /// A region the round does not cover.
    #[error("organisations in {} are not eligible for this round; eligible regions are: {}", .region.label(), Labels(.eligible, Region::label))]
    RegionNotEligible {
        /// The grantee's region.
        region: Region,
        /// The eligible regions.
        eligible: Vec<Region>,
    },
}

impl Ineligibility {
    /// The JSON field the reason concerns, for `errors[].field` in problem details.
    #[must_use]
    pub const fn field(&self) -> &'static str {
        match self {
            Ineligibility::AmountBelowMinimum { .. } | Ineligibility::AmountAboveMaximum { .. } => {
                "amount_requested"
            }
            Ineligibility::OrganisationTypeNotEligible { .. } => "organisation_type",
            Ineligibility::IncomeTooHigh { .. } => "annual_income",
            Ineligibility::RegionNotEligible { .. } => "region",
            Ineligibility::AlreadyApplied => "round_id",
        }
    }
}

struct Labels<'a, T>(&'a [T], fn(T) -> &'static str);

impl<T: Copy> fmt::Display for Labels<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str((self.1)(*v))?;
        }
        Ok(())
    }
}
