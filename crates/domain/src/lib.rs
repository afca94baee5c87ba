//! # grantledger-domain
//!
//! The rules of grantledger, with no I/O: funds, rounds, grantees,
//! applications, assessments, awards, disbursements, payment runs and the
//! double-entry fund ledger. Every state change is a method that returns the
//! new state or a typed error whose message can be shown to the user.
//!
//! Money is exact ([`money::Money`], whole pence, never negative), ids are
//! UUID v7 newtypes ([`ids`]), and every status enum refuses moves it does
//! not allow with a [`TransitionError`].
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use grantledger_domain::application::{Application, ApplicationStatus, Decision};
//! use grantledger_domain::award::{Award, AwardStatus};
//! use grantledger_domain::fund::{Fund, FundName, Funder};
//! use grantledger_domain::grantee::*;
//! use grantledger_domain::ids::*;
//! use grantledger_domain::ledger::{Account, Balances, Transfer};
//! use grantledger_domain::money::Money;
//! use grantledger_domain::org_id::OrgId;
//! use grantledger_domain::reference::{AwardReference, FundCode};
//! use grantledger_domain::round::{Eligibility, GrantRange, Round, RoundWindow};
//!
//! // A fund with two funders: the budget is their total.
//! let fund = Fund::new(
//!     FundId::new(),
//!     FundCode::parse("LCF")?,
//!     FundName::parse("Local Connections Fund")?,
//!     None,
//!     vec![
//!         Funder { name: OrganisationName::parse("DCMS")?, org_id: None, contribution: Money::parse("2000000")? },
//!         Funder {
//!             name: OrganisationName::parse("The National Lottery Community Fund")?,
//!             org_id: Some(OrgId::parse("GB-GOR-PB188")?),
//!             contribution: Money::parse("2000000")?,
//!         },
//!     ],
//! )?
//! .open()?;
//!
//! // A round for small community groups, open through June 2019.
//! let round = Round::new(
//!     RoundId::new(),
//!     fund.id,
//!     1,
//!     "Round 1",
//!     RoundWindow::new(
//!         Utc.with_ymd_and_hms(2019, 6, 1, 0, 0, 0).unwrap(),
//!         Utc.with_ymd_and_hms(2019, 7, 1, 12, 0, 0).unwrap(),
//!     )?,
//!     Money::parse("2000000")?,
//!     GrantRange::new(Money::parse("250")?, Money::parse("2500")?)?,
//!     Eligibility { max_annual_income: Some(Money::parse("50000")?), ..Eligibility::default() },
//! )?;
//! fund.check_allocations([round.allocation])?;
//!
//! // A community group with no register number.
//! let grantee = Grantee {
//!     id: GranteeId::new(),
//!     name: OrganisationName::parse("Tuesday Lunch Club")?,
//!     org_id: None,
//!     organisation_type: OrganisationType::CommunityGroup,
//!     region: Region::NorthEast,
//!     local_authority: LocalAuthority::parse("Gateshead")?,
//!     postcode: Postcode::parse("ne8 1he")?,
//!     annual_income: Money::parse("12000")?,
//!     due_diligence: DueDiligence::pending(),
//! };
//! assert!(round.check_eligibility(&grantee, Money::parse("1500")?).is_ok());
//!
//! // Apply, submit, award.
//! let application = Application::draft(
//!     ApplicationId::new(), round.id, grantee.id, Money::parse("1500")?,
//!     "Tuesday lunches", "A hot lunch and good company every Tuesday.",
//! )?
//! .submit(&round, &grantee, Utc.with_ymd_and_hms(2019, 6, 20, 9, 30, 0).unwrap())?;
//! let decided = application.decide(&round, Decision::award(Money::parse("1200")?))?;
//! let (application, amount) = (decided.application, decided.amount);
//! assert_eq!(application.status, ApplicationStatus::Awarded);
//!
//! let reference = AwardReference::new(fund.code.clone(), round.number, 1)?;
//! let award = Award::offer(AwardId::new(), reference, &application, &round, amount.unwrap_or(Money::ZERO));
//! assert_eq!(award.reference.to_string(), "LCF-R1-000001");
//!
//! // The ledger follows the money and never lets the round be over-committed.
//! let mut ledger = Balances::new();
//! ledger.apply(&Transfer::budget_recorded(fund.id, fund.budget)?)?;
//! ledger.apply(&Transfer::round_allocation(fund.id, round.id, round.allocation)?)?;
//! ledger.apply(&Transfer::award_committed(round.id, award.id, award.amount)?)?;
//!
//! // Accepted, then varied up with a reason.
//! let award = award.accept()?;
//! let (award, delta) = award.vary(Money::parse("1500")?, "Extra summer sessions")?;
//! assert_eq!(delta.to_string(), "300.00");
//! ledger.apply(&Transfer::variation(round.id, award.id, delta)?)?;
//! assert_eq!(award.status, AwardStatus::Accepted);
//! assert_eq!(ledger.balance(&Account::AwardPayable(award.id)), 150_000);
//! assert_eq!(ledger.total(), 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

#[macro_use]
mod macros;
#[macro_use]
pub mod text;

pub mod application;
pub mod as_of;
pub mod assessment;
pub mod audit;
pub mod award;
pub mod bank;
pub mod commitment;
pub mod csv_writer;
pub mod disbursement;
pub mod document;
pub mod evaluation;
pub mod form;
pub mod fund;
pub mod fund_overview;
pub mod grantee;
pub mod ids;
pub mod import;
pub mod ledger;
pub mod money;
#[cfg(feature = "openapi")]
mod openapi;
pub mod opendata;
pub mod org_id;
pub mod payment_run;
pub mod reconciliation;
pub mod reference;
pub mod reminder;
pub mod round;
pub mod spreadsheet;
pub mod transition;
pub mod two_factor;
pub mod user;

#[cfg(test)]
mod testing;

pub use money::{Money, MoneyDelta, MoneyError};
pub use transition::{ParseEnumError, TransitionError};
