//! Reconciliation of a fund: the figures the domain tables give, set against
//! the figures the ledger gives, check by check, to the penny.
//!
//! The store gathers [`Figures`] with a handful of aggregate queries; this
//! module turns them into a [`Reconciliation`]: every check of docs/DESIGN.md §4
//! with its expected figure, the actual figure, the difference and whether
//! it passes, plus totals by round, region and grantee. Expected figures
//! come from the domain (fund budget, round allocations, awards,
//! disbursements); actual figures from the ledger (transfers, balances), so
//! a change to either side that the other does not share shows up.
//!
//! ```
//! use grantledger_domain::ids::{FundId, RoundId};
//! use grantledger_domain::ledger::Account;
//! use grantledger_domain::reconciliation::*;
//!
//! let (fund, round) = (FundId::new(), RoundId::new());
//! let unallocated = Account::FundUnallocated(fund).key();
//! let available = Account::RoundAvailable(round).key();
//! let group = |kind: &str, debit: &str, credit: &str, amount: i64| TransferGroup {
//!     kind: kind.into(), debit: debit.into(), credit: credit.into(), count: 1, amount,
//! };
//! let figures = Figures {
//!     fund_id: fund, fund_code: "LCF".into(), fund_name: "Local Connections Fund".into(),
//!     as_of: None,
//!     budget: 400_000_000,
//!     rounds: vec![RoundFigures {
//!         id: round, number: 1, name: "Round 1".into(), allocation: 200_000_000,
//!         awards: 1, committed: 250_000, paid: 100_000, paid_disbursements: 100_000,
//!         designated_funder: None,
//!     }],
//!     transfers: vec![
//!         group("budget_recorded", "funders", &unallocated, 400_000_000),
//!         group("round_allocation", &unallocated, &available, 200_000_000),
//!         group("award_committed", &available, AWARD_ACCOUNTS, 250_000),
//!         group("disbursement_paid", AWARD_ACCOUNTS, "grantees", 100_000),
//!     ],
//!     stored: None,
//!     award_accounts: AwardAccounts { accounts: 1, expected: 150_000, ledger: 150_000, stored: None, mismatched: 0, examples: vec![] },
//!     payment_runs: Some(PaymentRunFigures { runs: 1, recorded: 100_000, paid: 100_000, mismatched: 0 }),
//!     by_region: vec![], by_grantee: vec![],
//!     funders: vec![
//!         FunderFigures { name: "DCMS".into(), org_id: Some("GB-GOR-D5".into()), contribution: 200_000_000 },
//!         FunderFigures { name: "The National Lottery Community Fund".into(), org_id: None, contribution: 200_000_000 },
//!     ],
//! };
//! let report = reconcile(figures);
//! assert!(report.passed, "{:#?}", report.failures().collect::<Vec<_>>());
//! // Each funder's share, pro rata to what it put in.
//! assert_eq!(report.by_funder[0].committed.to_string(), "1250.00");
//! assert_eq!(report.by_funder[1].paid.to_string(), "500.00");
//! ```

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::ids::{FundId, GranteeId, RoundId};
use crate::ledger::{Account, Transfer, TransferKind};
use crate::money::Money;

/// The stand-in for "every award account" in grouped transfers: transfers
/// to and from award accounts are summed over all awards, not per award.
pub const AWARD_ACCOUNTS: &str = "award:*";

/// A signed amount in pence, shown as pounds with two decimals (`-12.50`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pence(pub i64);

impl std::fmt::Display for Pence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Serialize for Pence {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Pence {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^-?(0|[1-9][0-9]*)\.[0-9]{2}$"))
            .description(Some(
                "A signed amount in pounds sterling with two decimals.",
            ))
            .into()
    }
}
#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Pence {}

/// One round's figures from the domain tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundFigures {
    /// The round.
    pub id: RoundId,
    /// Its number in the fund.
    pub number: i64,
    /// Its name.
    pub name: String,
    /// Its allocation from the fund's budget, in pence.
    pub allocation: i64,
    /// How many awards it made.
    pub awards: i64,
    /// Σ [`crate::award::Award::committed`] over its awards.
    pub committed: i64,
    /// Σ paid over its awards (net of recoveries).
    pub paid: i64,
    /// Σ of its paid disbursements (reversed ones excluded).
    pub paid_disbursements: i64,
    /// The funder the round is designated to (its name), whose money it
    /// wholly is; `None` for a round drawing on the pooled budget.
    pub designated_funder: Option<String>,
}

/// Transfers of one kind between two accounts (award accounts pooled as
/// [`AWARD_ACCOUNTS`]), summed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferGroup {
    /// The transfer kind as stored.
    pub kind: String,
    /// Debited account key.
    pub debit: String,
    /// Credited account key.
    pub credit: String,
    /// How many transfers.
    pub count: i64,
    /// Their total, in pence.
    pub amount: i64,
}

/// Balances as kept in the ledger's account rows (present for a
/// reconciliation as of now only: they hold the current balance).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoredBalances {
    /// Every fund and round account of the fund with its balance.
    pub accounts: Vec<(String, i64)>,
}

/// One award account's balance three ways: what its award implies, what
/// the transfers give, and what its row holds (zero where there is none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AccountBalances {
    /// From the award: amount − paid while live, else 0.
    pub expected: i64,
    /// Σ transfers credited to the account − Σ debited.
    pub ledger: i64,
    /// The account row's balance (counted only for a reconciliation now).
    pub stored: i64,
}

/// The fund's award accounts compared one by one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AwardAccounts {
    /// Accounts compared (awards, plus any account with no award).
    pub accounts: i64,
    /// Σ expected balances from the awards (amount − paid while live, else 0).
    pub expected: i64,
    /// Σ balances from the transfers.
    pub ledger: i64,
    /// Σ stored balances (now only).
    pub stored: Option<i64>,
    /// Accounts where the three disagree.
    pub mismatched: i64,
    /// The first few of them.
    pub examples: Vec<AccountMismatch>,
}

impl AwardAccounts {
    /// How many disagreeing accounts are listed by name.
    pub const EXAMPLES: usize = 20;

    /// Compares every award account: an account disagrees when the
    /// transfers do not give the balance its award implies, or (`now`)
    /// when its row holds another. `accounts` come in key order; the first
    /// [`AwardAccounts::EXAMPLES`] that disagree are listed. Sums saturate
    /// at `i64::MAX` pence, which only rows far beyond any real fund reach.
    ///
    /// ```
    /// use grantledger_domain::reconciliation::{AccountBalances, AwardAccounts};
    /// let agree = AccountBalances { expected: 500, ledger: 500, stored: 500 };
    /// let edited = AccountBalances { expected: 600, ledger: 500, stored: 500 };
    /// let r = AwardAccounts::compare([("award:a:payable".to_owned(), agree), ("award:b:payable".to_owned(), edited)], true);
    /// assert_eq!((r.accounts, r.expected, r.ledger, r.stored, r.mismatched), (2, 1100, 1000, Some(1000), 1));
    /// assert_eq!(r.examples[0].account, "award:b:payable");
    /// ```
    #[must_use]
    pub fn compare(
        accounts: impl IntoIterator<Item = (String, AccountBalances)>,
        now: bool,
    ) -> AwardAccounts {
        let mut out = AwardAccounts {
            stored: now.then_some(0),
            ..AwardAccounts::default()
        };
        for (account, b) in accounts {
            out.accounts += 1;
            out.expected = out.expected.saturating_add(b.expected);
            out.ledger = out.ledger.saturating_add(b.ledger);
            out.stored = out.stored.map(|s| s.saturating_add(b.stored));
            if b.expected != b.ledger || (now && b.ledger != b.stored) {
                out.mismatched += 1;
                if out.examples.len() < Self::EXAMPLES {
                    out.examples.push(AccountMismatch {
                        account,
                        expected: Pence(b.expected),
                        ledger: Pence(b.ledger),
                        stored: now.then_some(Pence(b.stored)),
                    });
                }
            }
        }
        out
    }
}

/// An account whose figures disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountMismatch {
    /// The account key, e.g. `award:<id>:payable`.
    pub account: String,
    /// The balance the domain tables imply.
    pub expected: Pence,
    /// The balance the transfers give.
    pub ledger: Pence,
    /// The balance stored on the account row (now only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored: Option<Pence>,
}

/// The confirmed payment runs that carried any of the fund's tranches,
/// each set against the tranches actually paid through it (gathered now
/// only: runs keep their current state, not their history).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PaymentRunFigures {
    /// How many confirmed runs.
    pub runs: i64,
    /// Σ their recorded totals, in pence.
    pub recorded: i64,
    /// Σ the tranches paid through them (reversed later or not), in pence.
    pub paid: i64,
    /// Runs whose recorded total or count differs from what they paid.
    pub mismatched: i64,
}

/// Awards, committed and paid money for one region or grantee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Totals {
    /// The region's wire name, or the grantee's name.
    pub name: String,
    /// The grantee, for totals by grantee.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grantee_id: Option<GranteeId>,
    /// The grantee's region, for totals by grantee.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Awards made.
    pub awards: i64,
    /// Committed ([`crate::award::Award::committed`]).
    pub committed: Pence,
    /// Paid.
    pub paid: Pence,
    /// Committed − paid.
    pub outstanding: Pence,
}

/// Everything the store gathers for a reconciliation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    /// The fund.
    pub fund_id: FundId,
    /// Its code.
    pub fund_code: String,
    /// Its name.
    pub fund_name: String,
    /// The instant reconciled, or `None` for now.
    pub as_of: Option<DateTime<Utc>>,
    /// The fund's budget from the domain, in pence.
    pub budget: i64,
    /// Each round's domain figures.
    pub rounds: Vec<RoundFigures>,
    /// The fund's transfers, grouped.
    pub transfers: Vec<TransferGroup>,
    /// Stored balances of fund and round accounts (now only).
    pub stored: Option<StoredBalances>,
    /// Award accounts, compared one by one.
    pub award_accounts: AwardAccounts,
    /// Confirmed payment runs against what they paid (now only).
    pub payment_runs: Option<PaymentRunFigures>,
    /// Totals by region.
    pub by_region: Vec<Totals>,
    /// Totals by grantee.
    pub by_grantee: Vec<Totals>,
    /// The fund's funders and what each contributed, in the fund's order.
    pub funders: Vec<FunderFigures>,
}

/// A funder of the fund and its contribution, in pence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunderFigures {
    /// The funder's name.
    pub name: String,
    /// Its org id, when it has one.
    pub org_id: Option<String>,
    /// What it contributed to the budget, in pence.
    pub contribution: i64,
}

/// One funder's share of the fund's money, by the pro-rata rule: every
/// pound allocated, committed and paid is taken from the funders in
/// proportion to their contributions (see [`pro_rata`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FunderShare {
    /// The funder's name.
    pub name: String,
    /// Its org id, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    /// What it contributed to the budget.
    pub contribution: Pence,
    /// Its share of the budget, as a percentage with two decimals (`50.00`).
    pub share_percent: String,
    /// Its share of the money allocated to rounds.
    pub allocated: Pence,
    /// Its share of the money committed to awards.
    pub committed: Pence,
    /// Its share of the money paid to grantees.
    pub paid: Pence,
    /// Committed − paid.
    pub outstanding: Pence,
    /// Contribution − allocated: its money not yet given to a round.
    pub unallocated: Pence,
    /// The numbers of the rounds designated to it, whose money counts
    /// wholly to it (see [`funder_shares_designated`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub designated_rounds: Vec<i64>,
}

/// Splits `total` pence between parts in proportion to `weights`, exactly:
/// each part gets the whole pence of its exact share, and the pence left
/// over go one each to the parts with the largest remainders (earlier
/// parts first on a tie). The parts always sum to `total`. With no weight
/// at all, everything goes to nobody: every part is 0.
///
/// ```
/// use grantledger_domain::reconciliation::pro_rata;
/// // £1.00 between three equal funders: 34p, 33p, 33p.
/// assert_eq!(pro_rata(100, &[1, 1, 1]), vec![34, 33, 33]);
/// assert_eq!(pro_rata(250_000, &[2_000_000, 2_000_000]), vec![125_000, 125_000]);
/// assert_eq!(pro_rata(7, &[0, 5]), vec![0, 7]);
/// assert_eq!(pro_rata(7, &[0, 0]), vec![0, 0]);
/// ```
#[must_use]
pub fn pro_rata(total: i64, weights: &[i64]) -> Vec<i64> {
    let sum: i128 = weights.iter().map(|w| i128::from((*w).max(0))).sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let total = i128::from(total);
    let mut parts: Vec<(i128, i128)> = weights
        .iter()
        .map(|w| {
            let exact = total * i128::from((*w).max(0));
            (exact.div_euclid(sum), exact.rem_euclid(sum))
        })
        .collect();
    let given: i128 = parts.iter().map(|(whole, _)| *whole).sum();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|a, b| {
        let key = |i: &usize| parts.get(*i).map_or(0, |p| p.1);
        key(b).cmp(&key(a)).then(a.cmp(b))
    });
    let left = usize::try_from(total - given).unwrap_or(0);
    for i in order.into_iter().take(left) {
        if let Some(part) = parts.get_mut(i) {
            part.0 += 1;
        }
    }
    parts
        .into_iter()
        .map(|(whole, _)| i64::try_from(whole).unwrap_or(i64::MAX))
        .collect()
}

/// Each funder's share of the fund's allocated, committed and paid money
/// by [`pro_rata`] on their contributions. A fund with no funders listed
/// has no shares.
#[must_use]
pub fn funder_shares(
    funders: &[FunderFigures],
    allocated: i64,
    committed: i64,
    paid: i64,
) -> Vec<FunderShare> {
    let weights: Vec<i64> = funders.iter().map(|f| f.contribution).collect();
    let budget: i128 = weights.iter().map(|w| i128::from(*w)).sum();
    let allocated_parts = pro_rata(allocated, &weights);
    let committed_parts = pro_rata(committed, &weights);
    let paid_parts = pro_rata(paid, &weights);
    funders
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let part = |parts: &[i64]| parts.get(i).copied().unwrap_or(0);
            let (allocated, committed, paid) = (
                part(&allocated_parts),
                part(&committed_parts),
                part(&paid_parts),
            );
            // Basis points, rounded half up, shown with two decimals.
            let basis = if budget == 0 {
                0
            } else {
                (i128::from(f.contribution) * 20_000 / budget + 1) / 2
            };
            FunderShare {
                name: f.name.clone(),
                org_id: f.org_id.clone(),
                contribution: Pence(f.contribution),
                share_percent: format!("{}.{:02}", basis / 100, basis % 100),
                allocated: Pence(allocated),
                committed: Pence(committed),
                paid: Pence(paid),
                outstanding: Pence(committed.saturating_sub(paid)),
                unallocated: Pence(f.contribution.saturating_sub(allocated)),
                designated_rounds: Vec::new(),
            }
        })
        .collect()
}

/// A round's money, for [`funder_shares_designated`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundMoney {
    /// The round's number.
    pub number: i64,
    /// The funder it is designated to (its name), or `None` for the pool.
    pub designated_funder: Option<String>,
    /// Its allocation, in pence.
    pub allocated: i64,
    /// Committed to its awards, in pence.
    pub committed: i64,
    /// Paid to its grantees, in pence.
    pub paid: i64,
}

/// Each funder's share by the round-designated funder rule, and the rounds
/// designated to a funder the fund does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunderSplit {
    /// The shares, in the fund's order of funders.
    pub shares: Vec<FunderShare>,
    /// Numbers of rounds designated to a name that is not one of the
    /// fund's funders (their money was split with the pool instead).
    pub unknown: Vec<i64>,
}

/// Each funder's share of the fund's allocated, committed and paid money
/// when rounds may be designated to one funder (docs/AUDIT.md, "Each
/// funder's share"):
///
/// 1. A round designated to a funder (named exactly as in the fund's list)
///    counts wholly to that funder: its allocation, committed and paid.
/// 2. What is left of the fund's figures (the fund's totals less the
///    designated rounds') is the pool, split by [`pro_rata`] on what each
///    funder has left to give: its contribution less the allocations of
///    the rounds designated to it (never below zero). If no funder has
///    anything left, on the contributions themselves.
/// 3. A round designated to a name the fund does not list goes into the
///    pool and is reported in [`FunderSplit::unknown`].
///
/// With no round designated this is [`funder_shares`]: pro rata to the
/// contributions. The shares always add up to the fund's figures.
///
/// ```
/// use grantledger_domain::reconciliation::{FunderFigures, RoundMoney, funder_shares_designated};
/// let funder = |name: &str, contribution| FunderFigures { name: name.into(), org_id: None, contribution };
/// let funders = [funder("DCMS", 300_000), funder("Partner", 100_000)];
/// let round = |number, designated: Option<&str>, allocated, committed, paid| RoundMoney {
///     number, designated_funder: designated.map(Into::into), allocated, committed, paid,
/// };
/// // The partner pays for round 2; round 1 draws on the pool.
/// let rounds = [round(1, None, 200_000, 100_000, 40_000), round(2, Some("Partner"), 100_000, 80_000, 80_000)];
/// let split = funder_shares_designated(&funders, &rounds, 300_000, 180_000, 120_000);
/// let [dcms, partner] = &split.shares[..] else { panic!() };
/// // Round 2 is wholly the partner's; the partner has nothing left to give,
/// // so round 1 is wholly DCMS's.
/// assert_eq!((partner.allocated.0, partner.committed.0, partner.paid.0), (100_000, 80_000, 80_000));
/// assert_eq!((dcms.allocated.0, dcms.committed.0, dcms.paid.0), (200_000, 100_000, 40_000));
/// assert_eq!(partner.designated_rounds, vec![2]);
///
/// // Had the partner put in 150,000, it would have 50,000 left for the
/// // pool: round 1 is split 300,000 : 50,000.
/// let funders = [funder("DCMS", 300_000), funder("Partner", 150_000)];
/// let split = funder_shares_designated(&funders, &rounds, 300_000, 180_000, 120_000);
/// assert_eq!(split.shares[0].committed.0, 85_714);
/// assert_eq!(split.shares[1].committed.0, 80_000 + 14_286);
///
/// // A designation to a funder the fund does not have is pooled and reported.
/// let rounds = [round(1, Some("Nobody"), 200_000, 100_000, 40_000)];
/// let split = funder_shares_designated(&funders, &rounds, 200_000, 100_000, 40_000);
/// assert_eq!(split.unknown, vec![1]);
/// assert_eq!(split.shares[0].committed.0 + split.shares[1].committed.0, 100_000);
/// ```
#[must_use]
pub fn funder_shares_designated(
    funders: &[FunderFigures],
    rounds: &[RoundMoney],
    allocated: i64,
    committed: i64,
    paid: i64,
) -> FunderSplit {
    let mut shares = funder_shares(funders, 0, 0, 0);
    let mut direct = vec![(0_i64, 0_i64, 0_i64); funders.len()];
    let mut unknown = Vec::new();
    for round in rounds {
        let Some(name) = &round.designated_funder else {
            continue;
        };
        match funders.iter().position(|f| &f.name == name) {
            Some(i) => {
                if let Some(d) = direct.get_mut(i) {
                    d.0 = d.0.saturating_add(round.allocated);
                    d.1 = d.1.saturating_add(round.committed);
                    d.2 = d.2.saturating_add(round.paid);
                }
                if let Some(share) = shares.get_mut(i) {
                    share.designated_rounds.push(round.number);
                }
            }
            None => unknown.push(round.number),
        }
    }
    let sum = |pick: fn(&(i64, i64, i64)) -> i64| {
        direct.iter().map(pick).fold(0_i64, i64::saturating_add)
    };
    let pooled = (
        allocated.saturating_sub(sum(|d| d.0)).max(0),
        committed.saturating_sub(sum(|d| d.1)).max(0),
        paid.saturating_sub(sum(|d| d.2)).max(0),
    );
    let mut weights: Vec<i64> = funders
        .iter()
        .zip(&direct)
        .map(|(f, d)| f.contribution.saturating_sub(d.0).max(0))
        .collect();
    if weights.iter().all(|w| *w == 0) {
        weights = funders.iter().map(|f| f.contribution).collect();
    }
    let parts = (
        pro_rata(pooled.0, &weights),
        pro_rata(pooled.1, &weights),
        pro_rata(pooled.2, &weights),
    );
    for (i, share) in shares.iter_mut().enumerate() {
        let d = direct.get(i).copied().unwrap_or_default();
        let part = |p: &[i64]| p.get(i).copied().unwrap_or(0);
        let a = d.0.saturating_add(part(&parts.0));
        let c = d.1.saturating_add(part(&parts.1));
        let p = d.2.saturating_add(part(&parts.2));
        share.allocated = Pence(a);
        share.committed = Pence(c);
        share.paid = Pence(p);
        share.outstanding = Pence(c.saturating_sub(p));
        share.unallocated = Pence(share.contribution.0.saturating_sub(a));
    }
    FunderSplit { shares, unknown }
}

string_enum! {
    /// What a check's figures count.
    pub enum Unit("unit") {
        /// Pounds sterling.
        Gbp = "GBP", "Pounds sterling";
        /// A number of things.
        Count = "count", "Count";
    }
}

/// One check: what was expected, what was found, and whether they agree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Check {
    /// A stable identifier, e.g. `round_allocation`.
    pub check: String,
    /// What it applies to: `fund`, `round 2`, or an account key.
    pub scope: String,
    /// What it checks, in words.
    pub description: String,
    /// What the figures count.
    pub unit: Unit,
    /// The figure the first side gives.
    pub expected: String,
    /// The figure the other side gives.
    pub actual: String,
    /// actual − expected.
    pub difference: String,
    /// Whether they agree.
    pub pass: bool,
}

/// One round's totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoundTotals {
    /// The round.
    pub round_id: RoundId,
    /// Its number.
    pub number: i64,
    /// Its name.
    pub name: String,
    /// Allocation.
    pub allocation: Pence,
    /// Awards made.
    pub awards: i64,
    /// Committed to awards.
    pub committed: Pence,
    /// Paid to grantees.
    pub paid: Pence,
    /// Committed − paid.
    pub outstanding: Pence,
    /// Allocation not committed, per the ledger.
    pub available: Pence,
}

/// A fund's reconciliation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reconciliation {
    /// The fund.
    pub fund_id: FundId,
    /// Its code.
    pub fund_code: String,
    /// Its name.
    pub fund_name: String,
    /// The instant reconciled; absent for "now".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<DateTime<Utc>>,
    /// Whether every check passed.
    pub passed: bool,
    /// Budget.
    pub budget: Pence,
    /// Σ allocations.
    pub allocated: Pence,
    /// Σ committed.
    pub committed: Pence,
    /// Σ paid.
    pub paid: Pence,
    /// Committed − paid.
    pub outstanding: Pence,
    /// Every check.
    pub checks: Vec<Check>,
    /// Award accounts whose balance disagrees (the first few).
    pub account_mismatches: Vec<AccountMismatch>,
    /// Totals by round.
    pub by_round: Vec<RoundTotals>,
    /// Totals by region.
    pub by_region: Vec<Totals>,
    /// Totals by grantee.
    pub by_grantee: Vec<Totals>,
    /// Each funder's share of the money, pro rata to its contribution.
    pub by_funder: Vec<FunderShare>,
}

impl Reconciliation {
    /// The checks that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| !c.pass)
    }

    /// The CSV columns of [`Reconciliation::csv_rows`].
    pub const CSV_HEADER: [&'static str; 12] = [
        "record",
        "scope",
        "check",
        "description",
        "expected",
        "actual",
        "difference",
        "pass",
        "awards",
        "committed",
        "paid",
        "outstanding",
    ];

    /// The report as CSV rows under [`Reconciliation::CSV_HEADER`]: one
    /// `check` row per check, then `round`, `region` and `grantee` totals,
    /// then one `funder` row per funder (scope: its name; description: its
    /// org id, contribution, percentage and share allocated; then its
    /// shares of committed, paid and outstanding).
    pub fn csv_rows(&self) -> impl Iterator<Item = [String; 12]> + '_ {
        let checks = self.checks.iter().map(|c| {
            [
                "check".to_owned(),
                c.scope.clone(),
                c.check.clone(),
                c.description.clone(),
                c.expected.clone(),
                c.actual.clone(),
                c.difference.clone(),
                c.pass.to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ]
        });
        let totals = |record: &str, scope: String, t: &Totals| {
            [
                record.to_owned(),
                scope,
                String::new(),
                t.region.clone().unwrap_or_default(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                t.awards.to_string(),
                t.committed.to_string(),
                t.paid.to_string(),
                t.outstanding.to_string(),
            ]
        };
        let rounds = self.by_round.iter().map(|r| {
            [
                "round".to_owned(),
                format!("round {}", r.number),
                String::new(),
                r.name.clone(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                r.awards.to_string(),
                r.committed.to_string(),
                r.paid.to_string(),
                r.outstanding.to_string(),
            ]
        });
        let regions = self
            .by_region
            .iter()
            .map(move |t| totals("region", t.name.clone(), t));
        let grantees = self.by_grantee.iter().map(move |t| {
            let scope = match t.grantee_id {
                Some(id) => format!("{} ({id})", t.name),
                None => t.name.clone(),
            };
            totals("grantee", scope, t)
        });
        let funders = self.by_funder.iter().map(|f| {
            let id = f
                .org_id
                .as_ref()
                .map(|id| format!("{id}: "))
                .unwrap_or_default();
            [
                "funder".to_owned(),
                f.name.clone(),
                String::new(),
                format!(
                    "{id}contributed {} ({}% of the budget); share allocated to rounds {}{}",
                    f.contribution,
                    f.share_percent,
                    f.allocated,
                    if f.designated_rounds.is_empty() {
                        String::new()
                    } else {
                        let numbers: Vec<String> = f
                            .designated_rounds
                            .iter()
                            .map(ToString::to_string)
                            .collect();
                        format!("; rounds designated to it: {}", numbers.join(", "))
                    }
                ),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                f.committed.to_string(),
                f.paid.to_string(),
                f.outstanding.to_string(),
            ]
        });
        checks
            .chain(rounds)
            .chain(regions)
            .chain(grantees)
            .chain(funders)
    }
}

struct Checks {
    list: Vec<Check>,
}

impl Checks {
    fn add(
        &mut self,
        check: &str,
        scope: &str,
        description: &str,
        unit: Unit,
        expected: i128,
        actual: i128,
    ) {
        let show = |v: i128| match (unit, i64::try_from(v)) {
            (Unit::Gbp, Ok(p)) => Pence(p).to_string(),
            _ => v.to_string(),
        };
        self.list.push(Check {
            check: check.to_owned(),
            scope: scope.to_owned(),
            description: description.to_owned(),
            unit,
            expected: show(expected),
            actual: show(actual),
            difference: show(actual - expected),
            pass: expected == actual,
        });
    }

    fn money(&mut self, check: &str, scope: &str, description: &str, expected: i128, actual: i128) {
        self.add(check, scope, description, Unit::Gbp, expected, actual);
    }
}

/// Parses a grouped account key: an account, or the pooled award accounts.
fn group_account(key: &str) -> Option<Account> {
    if key == AWARD_ACCOUNTS {
        return Some(Account::AwardPayable(uuid::Uuid::nil().into()));
    }
    Account::from_key(key).ok()
}

/// Whether a group of transfers follows the ledger table and stays within
/// the fund and its rounds.
fn group_fits(group: &TransferGroup, fund: FundId, rounds: &[RoundFigures]) -> bool {
    let (Some(debit), Some(credit)) = (group_account(&group.debit), group_account(&group.credit))
    else {
        return false;
    };
    let Ok(kind) = group.kind.parse::<TransferKind>() else {
        return false;
    };
    let ours = |a: &Account| match a {
        Account::FundUnallocated(f) => *f == fund,
        Account::RoundAvailable(r) => rounds.iter().any(|x| x.id == *r),
        _ => true,
    };
    let amount = Money::from_pence(group.amount.max(1)).unwrap_or(Money::MAX);
    group.amount > 0
        && ours(&debit)
        && ours(&credit)
        && Transfer::from_parts(debit, credit, amount, kind).is_ok()
}

/// Turns gathered figures into the checks and totals.
#[must_use]
pub fn reconcile(f: Figures) -> Reconciliation {
    use std::collections::BTreeMap;
    let mut derived: BTreeMap<&str, i128> = BTreeMap::new();
    let mut misfits: i128 = 0;
    for g in &f.transfers {
        *derived.entry(g.debit.as_str()).or_default() -= i128::from(g.amount);
        *derived.entry(g.credit.as_str()).or_default() += i128::from(g.amount);
        if !group_fits(g, f.fund_id, &f.rounds) {
            misfits += i128::from(g.count);
        }
    }
    let balance = |key: &str| derived.get(key).copied().unwrap_or(0);
    let unallocated_key = Account::FundUnallocated(f.fund_id).key();
    let unallocated = balance(&unallocated_key);
    let allocated: i128 = f.rounds.iter().map(|r| i128::from(r.allocation)).sum();
    let committed: i128 = f.rounds.iter().map(|r| i128::from(r.committed)).sum();
    let paid: i128 = f.rounds.iter().map(|r| i128::from(r.paid)).sum();
    let paid_disbursements: i128 = f
        .rounds
        .iter()
        .map(|r| i128::from(r.paid_disbursements))
        .sum();
    let budget = i128::from(f.budget);
    let stored: Option<BTreeMap<&str, i64>> = f
        .stored
        .as_ref()
        .map(|s| s.accounts.iter().map(|(k, b)| (k.as_str(), *b)).collect());

    let mut c = Checks { list: Vec::new() };
    c.money(
        "budget",
        "fund",
        "budget = unallocated (ledger) + Σ round allocations",
        budget,
        unallocated + allocated,
    );
    c.money(
        "funders",
        "fund",
        "budget = money paid in by the funders (ledger)",
        budget,
        -balance("funders"),
    );
    for r in &f.rounds {
        let scope = format!("round {}", r.number);
        let key = Account::RoundAvailable(r.id).key();
        let available = balance(&key);
        let from_ledger: i128 = f
            .transfers
            .iter()
            .map(|g| {
                let amount = i128::from(g.amount);
                if g.debit == key && g.credit == AWARD_ACCOUNTS {
                    amount
                } else if g.credit == key && (g.debit == AWARD_ACCOUNTS || g.debit == "grantees") {
                    -amount
                } else {
                    0
                }
            })
            .sum();
        c.money(
            "round_allocation",
            &scope,
            "allocation = available (ledger) + committed (awards)",
            i128::from(r.allocation),
            available + i128::from(r.committed),
        );
        c.money(
            "round_committed",
            &scope,
            "committed = Σ award committed amounts (awards) = net transfers from the round to awards (ledger)",
            i128::from(r.committed),
            from_ledger,
        );
        c.money(
            "round_paid",
            &scope,
            "paid on the round's awards (awards) = Σ paid disbursements, net of reversals",
            i128::from(r.paid),
            i128::from(r.paid_disbursements),
        );
    }
    c.money(
        "outstanding",
        "fund",
        "outstanding = committed − paid (awards) = Σ award account balances (ledger)",
        committed - paid,
        balance(AWARD_ACCOUNTS),
    );
    c.money(
        "paid",
        "fund",
        "Σ paid disbursements = money paid out to grantees, net of recoveries (ledger)",
        paid_disbursements,
        balance("grantees"),
    );
    c.money(
        "account",
        &unallocated_key,
        "balance = budget − Σ allocations (domain) vs transfers (ledger)",
        budget - allocated,
        unallocated,
    );
    for r in &f.rounds {
        let key = Account::RoundAvailable(r.id).key();
        c.money(
            "account",
            &key,
            "balance = allocation − committed (domain) vs transfers (ledger)",
            i128::from(r.allocation) - i128::from(r.committed),
            balance(&key),
        );
    }
    let a = &f.award_accounts;
    c.money(
        "award_accounts",
        "award:*:payable",
        "Σ award balances = Σ (amount − paid) of live awards (domain) vs transfers (ledger)",
        i128::from(a.expected),
        i128::from(a.ledger),
    );
    c.add(
        "award_accounts_mismatched",
        "award:*:payable",
        "award accounts whose balance differs between awards, transfers and account rows",
        Unit::Count,
        0,
        i128::from(a.mismatched),
    );
    if let Some(stored) = &stored {
        let mut keys: Vec<&str> = stored.keys().copied().collect();
        for k in derived.keys() {
            if *k != AWARD_ACCOUNTS
                && *k != "funders"
                && *k != "grantees"
                && !stored.contains_key(k)
            {
                keys.push(k);
            }
        }
        keys.sort_unstable();
        keys.dedup();
        for key in keys {
            c.money(
                "stored_balance",
                key,
                "stored account balance = Σ transfers",
                balance(key),
                stored.get(key).map_or(0, |b| i128::from(*b)),
            );
        }
        if let Some(total) = a.stored {
            c.money(
                "stored_balance",
                "award:*:payable",
                "Σ stored award balances = Σ transfers",
                i128::from(a.ledger),
                i128::from(total),
            );
        }
    }
    // Σ over every account of credits − debits: with the stored balances of
    // internal accounts (now) this is not zero by construction.
    let internal: i128 = match (&stored, a.stored) {
        (Some(s), Some(award_total)) => {
            s.values().map(|b| i128::from(*b)).sum::<i128>() + i128::from(award_total)
        }
        _ => derived
            .iter()
            .filter(|(k, _)| **k != "funders" && **k != "grantees")
            .map(|(_, b)| *b)
            .sum(),
    };
    c.money(
        "zero_sum",
        "fund",
        "all accounts, external included, sum to zero",
        0,
        internal + balance("funders") + balance("grantees"),
    );
    c.add(
        "transfer_kinds",
        "fund",
        "transfers that do not follow the ledger table or leave the fund",
        Unit::Count,
        0,
        misfits,
    );
    if let Some(runs) = &f.payment_runs {
        c.money(
            "payment_runs",
            "fund",
            "Σ totals of the confirmed payment runs that carried the fund's tranches = Σ tranches paid through them",
            i128::from(runs.recorded),
            i128::from(runs.paid),
        );
        c.add(
            "payment_runs_mismatched",
            "fund",
            "confirmed payment runs whose total or count differs from the tranches paid through them",
            Unit::Count,
            0,
            i128::from(runs.mismatched),
        );
    }

    let pence = |v: i128| Pence(i64::try_from(v).unwrap_or(i64::MAX));
    let round_money: Vec<RoundMoney> = f
        .rounds
        .iter()
        .map(|r| RoundMoney {
            number: r.number,
            designated_funder: r.designated_funder.clone(),
            allocated: r.allocation,
            committed: r.committed,
            paid: r.paid,
        })
        .collect();
    let split = funder_shares_designated(
        &f.funders,
        &round_money,
        pence(allocated).0,
        pence(committed).0,
        pence(paid).0,
    );
    let by_funder = split.shares;
    if f.rounds.iter().any(|r| r.designated_funder.is_some()) {
        c.add(
            "designated_funders",
            "fund",
            "rounds designated to a funder the fund does not list (their money is shared pro rata instead)",
            Unit::Count,
            0,
            i128::try_from(split.unknown.len()).unwrap_or(i128::MAX),
        );
    }
    // Funders are held as they are now, so the check is for now only.
    if !f.funders.is_empty() && f.as_of.is_none() {
        c.money(
            "funder_contributions",
            "fund",
            "budget = Σ funder contributions (the shares by funder are pro rata to these)",
            budget,
            f.funders.iter().map(|x| i128::from(x.contribution)).sum(),
        );
    }
    let by_round = f
        .rounds
        .iter()
        .map(|r| RoundTotals {
            round_id: r.id,
            number: r.number,
            name: r.name.clone(),
            allocation: Pence(r.allocation),
            awards: r.awards,
            committed: Pence(r.committed),
            paid: Pence(r.paid),
            outstanding: pence(i128::from(r.committed) - i128::from(r.paid)),
            available: pence(balance(&Account::RoundAvailable(r.id).key())),
        })
        .collect();
    let passed = c.list.iter().all(|c| c.pass);
    Reconciliation {
        fund_id: f.fund_id,
        fund_code: f.fund_code,
        fund_name: f.fund_name,
        as_of: f.as_of,
        passed,
        budget: Pence(f.budget),
        allocated: pence(allocated),
        committed: pence(committed),
        paid: pence(paid),
        outstanding: pence(committed - paid),
        checks: c.list,
        account_mismatches: f.award_accounts.examples,
        by_round,
        by_region: f.by_region,
        by_grantee: f.by_grantee,
        by_funder,
    }
}

#[cfg(test)]
mod tests;
