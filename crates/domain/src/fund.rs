//! Funds: a budget from one or more funders, split into rounds.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::grantee::CheckKind;
use crate::ids::FundId;
use crate::money::{Money, MoneyError};
use crate::org_id::OrgId;
use crate::reference::FundCode;
pub use crate::text::FundName;
use crate::text::OrganisationName;
use crate::transition::TransitionError;

string_enum! {
    /// A fund's lifecycle.
    pub enum FundStatus("fund status") {
        /// Being set up.
        Draft = "draft", "Draft";
        /// Running rounds.
        Open = "open", "Open";
        /// Finished.
        Closed = "closed", "Closed";
    }
}

impl FundStatus {
    /// draft → open.
    ///
    /// # Errors
    /// [`TransitionError`] from any other state.
    pub fn open(self) -> Result<FundStatus, TransitionError> {
        match self {
            FundStatus::Draft => Ok(FundStatus::Open),
            from => Err(TransitionError::new("fund", "open", from.as_str())),
        }
    }

    /// open → closed.
    ///
    /// # Errors
    /// [`TransitionError`] from any other state.
    pub fn close(self) -> Result<FundStatus, TransitionError> {
        match self {
            FundStatus::Open => Ok(FundStatus::Closed),
            from => Err(TransitionError::new("fund", "close", from.as_str())),
        }
    }
}

/// An organisation contributing to a fund's budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Funder {
    /// The funder's name.
    pub name: OrganisationName,
    /// The funder's register identifier, if it has one.
    pub org_id: Option<OrgId>,
    /// What it puts into the fund.
    pub contribution: Money,
}

/// Why a fund cannot be set up as asked, or its rounds over-allocate it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FundError {
    /// No funders and no budget.
    #[error("a budget is required when no funders are given")]
    BudgetRequired,
    /// A zero budget.
    #[error("the budget must be more than 0.00")]
    ZeroBudget,
    /// A budget that disagrees with the funders.
    #[error(
        "the budget {budget} does not equal the funders' contributions, which add up to {funders_total}"
    )]
    BudgetMismatch {
        /// The budget given.
        budget: Money,
        /// The sum of the contributions.
        funders_total: Money,
    },
    /// A funder contributing nothing.
    #[error("funder \"{name}\" must contribute more than 0.00")]
    ZeroContribution {
        /// The funder.
        name: String,
    },
    /// The same funder twice.
    #[error("funder \"{name}\" is listed more than once")]
    DuplicateFunder {
        /// The funder.
        name: String,
    },
    /// Rounds would take more than the budget.
    #[error("round allocations would total {allocated}, more than the fund's budget of {budget}")]
    OverAllocated {
        /// The fund's budget.
        budget: Money,
        /// The total the rounds would take.
        allocated: Money,
    },
    /// A total beyond the largest amount.
    #[error("the total {0}")]
    Money(#[from] MoneyError),
}

/// A grant fund.
///
/// ```
/// use grantledger_domain::fund::{Fund, FundName, Funder, FundStatus};
/// use grantledger_domain::grantee::OrganisationName;
/// use grantledger_domain::ids::FundId;
/// use grantledger_domain::money::Money;
/// use grantledger_domain::reference::FundCode;
///
/// let funder = |name: &str, amount: &str| -> Result<Funder, Box<dyn std::error::Error>> {
///     Ok(Funder { name: OrganisationName::parse(name)?, org_id: None, contribution: amount.parse()? })
/// };
/// let fund = Fund::new(
///     FundId::new(),
///     FundCode::parse("VFF")?,
///     FundName::parse("Volunteering Futures Fund")?,
///     None,
///     vec![funder("DCMS", "5000000")?, funder("Partner", "2000000")?],
/// )?;
/// assert_eq!(fund.budget.to_string(), "7000000.00");
/// assert_eq!(fund.status, FundStatus::Draft);
/// assert_eq!(fund.check_allocations([Money::parse("4000000")?])?, Money::parse("3000000")?);
/// assert!(fund.check_allocations([Money::parse("8000000")?]).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fund {
    /// Identity.
    pub id: FundId,
    /// Short code used in references.
    pub code: FundCode,
    /// Name.
    pub name: FundName,
    /// Total budget (the sum of contributions when funders are listed).
    pub budget: Money,
    /// Contributing organisations.
    pub funders: Vec<Funder>,
    /// Lifecycle state.
    pub status: FundStatus,
    /// The due-diligence checks a grantee must have passed, unexpired,
    /// before a tranche of this fund is scheduled (issue 20); none for a
    /// fund that has not opted in. Left out of the serialised form when
    /// empty, so funds without any keep the audit payload they had.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_checks: Vec<CheckKind>,
}

impl Fund {
    /// Sets up a draft fund. With funders, the budget is their total (and a
    /// budget given as well must agree); without, a budget is required.
    ///
    /// # Errors
    /// A [`FundError`] naming the figures that disagree.
    pub fn new(
        id: FundId,
        code: FundCode,
        name: FundName,
        budget: Option<Money>,
        funders: Vec<Funder>,
    ) -> Result<Fund, FundError> {
        let mut seen = BTreeSet::new();
        for f in &funders {
            if f.contribution.is_zero() {
                return Err(FundError::ZeroContribution {
                    name: f.name.to_string(),
                });
            }
            // Names differing only by case are the same organisation in practice.
            if !seen.insert(f.name.as_str().to_lowercase()) {
                return Err(FundError::DuplicateFunder {
                    name: f.name.to_string(),
                });
            }
        }
        let budget = if funders.is_empty() {
            budget.ok_or(FundError::BudgetRequired)?
        } else {
            let funders_total = Money::sum(funders.iter().map(|f| f.contribution))?;
            match budget {
                Some(b) if b != funders_total => {
                    return Err(FundError::BudgetMismatch {
                        budget: b,
                        funders_total,
                    });
                }
                _ => funders_total,
            }
        };
        if budget.is_zero() {
            return Err(FundError::ZeroBudget);
        }
        Ok(Fund {
            id,
            code,
            name,
            budget,
            funders,
            status: FundStatus::Draft,
            required_checks: Vec::new(),
        })
    }

    /// Checks that the rounds' allocations fit in the budget and returns what
    /// is left unallocated.
    ///
    /// # Errors
    /// [`FundError::OverAllocated`].
    pub fn check_allocations(
        &self,
        allocations: impl IntoIterator<Item = Money>,
    ) -> Result<Money, FundError> {
        let over = |allocated| FundError::OverAllocated {
            budget: self.budget,
            allocated,
        };
        let allocated = Money::sum(allocations).map_err(|_| over(Money::MAX))?;
        self.budget
            .checked_sub(allocated)
            .map_err(|_| over(allocated))
    }

    /// Opens the fund.
    ///
    /// # Errors
    /// [`TransitionError`] unless it is a draft.
    pub fn open(&self) -> Result<Fund, TransitionError> {
        Ok(Fund {
            status: self.status.open()?,
            ..self.clone()
        })
    }

    /// Closes the fund.
    ///
    /// # Errors
    /// [`TransitionError`] unless it is open.
    pub fn close(&self) -> Result<Fund, TransitionError> {
        Ok(Fund {
            status: self.status.close()?,
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transition::testing::check_table;
    use FundStatus::*;

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    fn funder(name: &str, amount: &str) -> Funder {
        Funder {
            name: OrganisationName::parse(name).unwrap(),
            org_id: None,
            contribution: m(amount),
        }
    }

    fn fund(budget: Option<&str>, funders: Vec<Funder>) -> Result<Fund, FundError> {
        Fund::new(
            FundId::new(),
            FundCode::parse("LCF").unwrap(),
            FundName::parse("Local Connections Fund").unwrap(),
            budget.map(m),
            funders,
        )
    }

    #[test]
    fn transitions() {
        check_table(
            "fund",
            &FundStatus::ALL,
            FundStatus::as_str,
            &[("open", FundStatus::open), ("close", FundStatus::close)],
            &[(Draft, "open", Open), (Open, "close", Closed)],
        );
    }

    #[test]
    fn budget_rules() {
        assert_eq!(fund(Some("4000000"), vec![]).unwrap().budget, m("4000000"));
        assert_eq!(fund(None, vec![]), Err(FundError::BudgetRequired));
        assert_eq!(fund(Some("0"), vec![]), Err(FundError::ZeroBudget));
        let two = vec![funder("DCMS", "3000000"), funder("Partner", "1000000")];
        assert_eq!(fund(None, two.clone()).unwrap().budget, m("4000000"));
        assert_eq!(
            fund(Some("4000000"), two.clone()).unwrap().budget,
            m("4000000")
        );
        let err = fund(Some("5000000"), two).unwrap_err();
        assert_eq!(
            err,
            FundError::BudgetMismatch {
                budget: m("5000000"),
                funders_total: m("4000000")
            }
        );
        assert_eq!(
            err.to_string(),
            "the budget 5000000.00 does not equal the funders' contributions, which add up to 4000000.00"
        );
        assert_eq!(
            fund(None, vec![funder("DCMS", "1"), funder("dcms", "2")]),
            Err(FundError::DuplicateFunder {
                name: "dcms".into()
            })
        );
        assert_eq!(
            fund(None, vec![funder("DCMS", "0")]),
            Err(FundError::ZeroContribution {
                name: "DCMS".into()
            })
        );
        assert_eq!(
            fund(None, vec![funder("A", "1000000000000"), funder("B", "1")]),
            Err(FundError::Money(MoneyError::TooLarge))
        );
    }

    #[test]
    fn allocations() {
        let f = fund(Some("1000"), vec![]).unwrap();
        assert_eq!(f.check_allocations([]), Ok(m("1000")));
        assert_eq!(f.check_allocations([m("600"), m("400")]), Ok(Money::ZERO));
        assert_eq!(
            f.check_allocations([m("600"), m("400.01")]),
            Err(FundError::OverAllocated {
                budget: m("1000"),
                allocated: m("1000.01")
            })
        );
        assert!(f.check_allocations([Money::MAX, Money::MAX]).is_err());
        assert_eq!(f.open().unwrap().close().unwrap().status, Closed);
    }
}
