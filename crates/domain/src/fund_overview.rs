//! A fund at a glance: the figures an administrator reads on the fund's
//! page besides its reconciliation — how its awards spread over grant
//! sizes, and how commitments and payments grew over time. The rules of
//! what counts live here so that the page, its charts and their tables
//! cannot disagree.
//!
//! ```
//! use chrono::NaiveDate;
//! use grantledger_domain::fund_overview::{grant_sizes, money_over_time};
//! use grantledger_domain::ledger::TransferKind;
//! use grantledger_domain::money::Money;
//!
//! let sizes = grant_sizes([(Money::parse("400")?, 3), (Money::parse("2500")?, 1)]);
//! assert_eq!(sizes[0].awards, 3);
//! assert_eq!(sizes[2].total, Money::parse("2500")?);
//!
//! let day = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
//! let points = money_over_time([
//!     (day(1), TransferKind::AwardCommitted, 250_000),
//!     (day(2), TransferKind::DisbursementPaid, 100_000),
//!     (day(2), TransferKind::AwardReleased, 50_000),
//! ]);
//! assert_eq!(points.len(), 2);
//! assert_eq!((points[1].committed, points[1].paid), (200_000, 100_000));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use chrono::{Datelike, NaiveDate};

use crate::ledger::TransferKind;
use crate::money::Money;

/// A band of grant sizes: awards of more than the previous band's upper
/// limit, up to and including this one's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeBand {
    /// The largest amount in the band, in pence; `None` for the last,
    /// open-ended band.
    pub up_to_pence: Option<i64>,
}

/// The bands grant sizes are counted in. Microgrants (up to £2,500 in the
/// programmes we model) fall in the first three; the rest keep larger
/// grants apart rather than lumped with them.
pub const SIZE_BANDS: [SizeBand; 6] = [
    SizeBand {
        up_to_pence: Some(50_000),
    },
    SizeBand {
        up_to_pence: Some(100_000),
    },
    SizeBand {
        up_to_pence: Some(250_000),
    },
    SizeBand {
        up_to_pence: Some(500_000),
    },
    SizeBand {
        up_to_pence: Some(1_000_000),
    },
    SizeBand { up_to_pence: None },
];

impl SizeBand {
    /// Whether an amount falls in this band, given the band below it.
    fn holds(self, below: Option<SizeBand>, pence: i64) -> bool {
        let above_lower = below
            .and_then(|b| b.up_to_pence)
            .is_none_or(|lower| pence > lower);
        let below_upper = self.up_to_pence.is_none_or(|upper| pence <= upper);
        above_lower && below_upper
    }
}

/// How many awards, and how much money, fall in one size band.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeCount {
    /// The band.
    pub band: SizeBand,
    /// The smallest amount above the previous band, in pence (0 for the
    /// first band).
    pub from_pence: i64,
    /// Awards in the band.
    pub awards: i64,
    /// Their amounts, summed.
    pub total: Money,
}

/// Counts awards by [`SIZE_BANDS`], from each distinct amount and how many
/// awards have it. Every band is returned, empty ones included, so a chart
/// of them always has the same axis.
#[must_use]
pub fn grant_sizes(amounts: impl IntoIterator<Item = (Money, i64)>) -> Vec<SizeCount> {
    let mut counts: Vec<SizeCount> = SIZE_BANDS
        .iter()
        .enumerate()
        .map(|(i, band)| SizeCount {
            band: *band,
            from_pence: i
                .checked_sub(1)
                .and_then(|j| SIZE_BANDS.get(j))
                .and_then(|b| b.up_to_pence)
                .map_or(0, |p| p + 1),
            awards: 0,
            total: Money::ZERO,
        })
        .collect();
    for (amount, n) in amounts {
        let pence = amount.pence();
        let band = (0..SIZE_BANDS.len()).find(|&i| {
            let below = i.checked_sub(1).and_then(|j| SIZE_BANDS.get(j)).copied();
            SIZE_BANDS.get(i).is_some_and(|b| b.holds(below, pence))
        });
        if let Some(count) = band.and_then(|i| counts.get_mut(i)) {
            count.awards += n;
            // A fund's total fits comfortably in Money; saturate rather than
            // panic if a corrupt row says otherwise.
            let add = Money::from_pence(pence.saturating_mul(n)).unwrap_or(Money::ZERO);
            count.total = count.total.checked_add(add).unwrap_or(count.total);
        }
    }
    counts
}

/// What a movement of money of this kind does to the money committed to
/// awards and the money paid to grantees: +1, -1 or 0 each.
///
/// Committed counts an award's whole amount from the moment it is made,
/// paid or not; a decline or cancellation gives back what was unpaid.
/// Paid counts money sent to grantees, less payments their banks returned.
/// A recovery (a paid tranche reversed: the grantee gives money back to
/// the round) shrinks the award, so it lowers both.
#[must_use]
pub const fn commitment_effect(kind: TransferKind) -> (i64, i64) {
    match kind {
        TransferKind::AwardCommitted | TransferKind::VariationUp => (1, 0),
        TransferKind::VariationDown | TransferKind::AwardReleased => (-1, 0),
        TransferKind::DisbursementPaid => (0, 1),
        TransferKind::PaymentReturned => (0, -1),
        TransferKind::Recovery => (-1, -1),
        TransferKind::BudgetRecorded
        | TransferKind::RoundAllocation
        | TransferKind::BudgetAdjusted
        | TransferKind::AllocationAdjusted => (0, 0),
    }
}

/// The kinds of movement [`commitment_effect`] counts; the store reads
/// only these.
pub const COMMITMENT_KINDS: [TransferKind; 7] = [
    TransferKind::AwardCommitted,
    TransferKind::VariationUp,
    TransferKind::VariationDown,
    TransferKind::AwardReleased,
    TransferKind::DisbursementPaid,
    TransferKind::PaymentReturned,
    TransferKind::Recovery,
];

/// The length of the periods money is summed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Calendar days (UTC), for a fund whose movements span three months
    /// or less.
    Day,
    /// Calendar months (UTC), for longer.
    Month,
}

/// Movements spanning more calendar days than this are summed by month.
pub const DAYS_BY_DAY: i64 = 92;

/// The money committed and paid by the end of one period, cumulatively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoneyAt {
    /// The first day of the period (UTC).
    pub period: NaiveDate,
    /// How long the period is.
    pub length: Period,
    /// Committed to awards by the end of the period, in pence.
    pub committed: i64,
    /// Paid to grantees by the end of the period, in pence.
    pub paid: i64,
}

/// Sums a fund's movements of money into cumulative committed and paid
/// figures per period, in time order: one point per period in which
/// anything moved. Kinds that neither commit nor pay are ignored.
///
/// Each movement is `(UTC day, kind, pence)`: only the day matters, so a
/// store may sum each day's movements of a kind before handing them over
/// (one row a day and kind rather than one a transfer) and get the same
/// points.
#[must_use]
pub fn money_over_time(
    movements: impl IntoIterator<Item = (NaiveDate, TransferKind, i64)>,
) -> Vec<MoneyAt> {
    let mut moves: Vec<(NaiveDate, TransferKind, i64)> = movements
        .into_iter()
        .filter(|(_, kind, _)| commitment_effect(*kind) != (0, 0))
        .collect();
    moves.sort_by_key(|(day, _, _)| *day);
    let (Some(first), Some(last)) = (moves.first(), moves.last()) else {
        return Vec::new();
    };
    let length = if (last.0 - first.0).num_days() > DAYS_BY_DAY {
        Period::Month
    } else {
        Period::Day
    };
    let mut points: Vec<MoneyAt> = Vec::new();
    let (mut committed, mut paid) = (0_i64, 0_i64);
    for (day, kind, pence) in moves {
        let period = match length {
            Period::Day => day,
            Period::Month => day.with_day(1).unwrap_or(day),
        };
        let (c, p) = commitment_effect(kind);
        committed = committed.saturating_add(c.saturating_mul(pence));
        paid = paid.saturating_add(p.saturating_mul(pence));
        match points.last_mut() {
            Some(point) if point.period == period => {
                point.committed = committed;
                point.paid = paid;
            }
            _ => points.push(MoneyAt {
                period,
                length,
                committed,
                paid,
            }),
        }
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn money(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    #[test]
    fn band_edges_belong_to_the_lower_band() {
        let sizes = grant_sizes([
            (money("500.00"), 1),
            (money("500.01"), 2),
            (money("2500.00"), 4),
            (money("10000.01"), 1),
            (money("0.01"), 1),
        ]);
        let awards: Vec<i64> = sizes.iter().map(|s| s.awards).collect();
        assert_eq!(awards, [2, 2, 4, 0, 0, 1]);
        assert_eq!(sizes[1].from_pence, 50_001);
        assert_eq!(sizes[0].from_pence, 0);
        assert_eq!(sizes[2].total, money("10000.00"));
        assert_eq!(sizes.len(), SIZE_BANDS.len());
    }

    #[test]
    fn every_kind_that_moves_committed_or_paid_is_read() {
        for kind in TransferKind::ALL {
            let counted = COMMITMENT_KINDS.contains(&kind);
            assert_eq!(counted, commitment_effect(kind) != (0, 0), "{kind}");
        }
    }

    #[test]
    fn long_spans_are_summed_by_month() {
        let at = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        let points = money_over_time([
            (at(6, 20), TransferKind::DisbursementPaid, 100),
            (at(1, 5), TransferKind::AwardCommitted, 1_000),
            (at(1, 30), TransferKind::AwardCommitted, 500),
            (at(6, 1), TransferKind::PaymentReturned, 40),
            (at(6, 2), TransferKind::RoundAllocation, 9_999),
        ]);
        let got: Vec<(String, i64, i64)> = points
            .iter()
            .map(|p| (p.period.to_string(), p.committed, p.paid))
            .collect();
        assert_eq!(
            got,
            [
                ("2026-01-01".to_owned(), 1_500, 0),
                ("2026-06-01".to_owned(), 1_500, 60)
            ]
        );
        assert!(points.iter().all(|p| p.length == Period::Month));
    }

    #[test]
    fn ninety_two_calendar_days_are_still_summed_by_day() {
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        let span = |last| {
            money_over_time([
                (day(1, 1), TransferKind::AwardCommitted, 1),
                (last, TransferKind::AwardCommitted, 1),
            ])[0]
                .length
        };
        assert_eq!(span(day(4, 3)), Period::Day);
        assert_eq!(span(day(4, 4)), Period::Month);
    }

    #[test]
    fn a_recovery_lowers_committed_and_paid() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
        let points = money_over_time([
            (day(1), TransferKind::AwardCommitted, 1_000),
            (day(2), TransferKind::DisbursementPaid, 300),
            (day(3), TransferKind::Recovery, 300),
        ]);
        let last = points.last().unwrap();
        assert_eq!((last.committed, last.paid), (700, 0));
    }

    #[test]
    fn nothing_moved_is_no_points() {
        assert!(money_over_time([]).is_empty());
    }

    proptest! {
        #[test]
        fn bands_count_every_award_once(amounts in prop::collection::vec((1_i64..5_000_000, 1_i64..50), 0..40)) {
            let sizes = grant_sizes(amounts.iter().map(|(p, n)| (Money::from_pence(*p).unwrap(), *n)));
            let awards: i64 = sizes.iter().map(|s| s.awards).sum();
            let total: i64 = sizes.iter().map(|s| s.total.pence()).sum();
            prop_assert_eq!(awards, amounts.iter().map(|(_, n)| n).sum::<i64>());
            prop_assert_eq!(total, amounts.iter().map(|(p, n)| p * n).sum::<i64>());
        }

        #[test]
        fn the_last_point_is_the_net_of_every_movement(moves in prop::collection::vec((0_i64..400, 0_usize..6, 1_i64..1_000_000), 1..60)) {
            let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
            let movements: Vec<_> = moves
                .iter()
                .map(|(d, k, p)| (start + chrono::Duration::days(*d), COMMITMENT_KINDS[*k], *p))
                .collect();
            let points = money_over_time(movements.clone());
            let last = points.last().unwrap();
            let net = |pick: fn((i64, i64)) -> i64| -> i64 {
                movements.iter().map(|(_, k, p)| pick(commitment_effect(*k)) * p).sum()
            };
            prop_assert_eq!(last.committed, net(|e| e.0));
            prop_assert_eq!(last.paid, net(|e| e.1));
            prop_assert!(points.windows(2).all(|w| w[0].period < w[1].period));
        }

        #[test]
        fn summing_each_days_movements_first_changes_nothing(moves in prop::collection::vec((0_i64..200, 0_usize..6, 1_i64..1_000_000), 1..60)) {
            let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
            let movements: Vec<_> = moves
                .iter()
                .map(|(d, k, p)| (start + chrono::Duration::days(*d), COMMITMENT_KINDS[*k], *p))
                .collect();
            let mut by_day: std::collections::BTreeMap<(NaiveDate, usize), i64> = Default::default();
            for (d, k, p) in &moves {
                *by_day.entry((start + chrono::Duration::days(*d), *k)).or_default() += p;
            }
            let summed = by_day.into_iter().map(|((day, k), p)| (day, COMMITMENT_KINDS[k], p));
            prop_assert_eq!(money_over_time(summed), money_over_time(movements));
        }
    }
}
