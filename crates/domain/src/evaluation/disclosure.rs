//! Statistical disclosure control for published outcome figures.
//!
//! Rules: a count below [`MIN_PUBLISHED_COUNT`] is suppressed (primary
//! suppression); every other count is rounded to the nearest
//! [`ROUNDING_BASE`]. Counts that add up form *lines*. A reader who knows
//! the rules can bound every count from what is published (a rounded `r`
//! is `r − 2 ..= r + 2`, lines add up); where those bounds leave a count
//! fewer than three possible values ([`MIN_RANGE`]) it is *exposed*, and
//! more is suppressed (secondary suppression: an exposed published count
//! itself; for an exposed suppressed count, the smallest published part of
//! a line holding it, else a total), until nothing is exposed. Subtraction
//! on a line with one suppressed member is not enough to expose it when
//! rounding leaves it a range (`answered` stays published when
//! `not_answered` is 0).
//!
//! Means are published banded ([`band_mean`]): to the nearest [`MEAN_STEP`]
//! and never at the ends of their scale.

/// Counts below this are never published.
pub const MIN_PUBLISHED_COUNT: u64 = 10;
/// Published counts are rounded to a multiple of this.
pub const ROUNDING_BASE: u64 = 5;
/// A count is exposed when what is published leaves it fewer than
/// `MIN_RANGE + 1` possible values.
pub const MIN_RANGE: i64 = 2;
/// Published means are rounded to a multiple of this.
pub const MEAN_STEP: f64 = 0.5;

/// A published mean on a scale from `low` to `high`: rounded to the nearest
/// [`MEAN_STEP`] and kept at least 1 inside either end (a mean at an end
/// says every value is at that end, and one near it leaves too little room
/// for anything else). A mean of −5 on the change scale (−6 to 6) reads
/// "−5 or lower".
///
/// ```
/// use grantledger_domain::evaluation::band_mean;
///
/// assert_eq!(band_mean(6.2, 3.0, 9.0), 6.0);
/// assert_eq!(band_mean(6.3, 3.0, 9.0), 6.5);
/// assert_eq!(band_mean(9.0, 3.0, 9.0), 8.0);
/// assert_eq!(band_mean(-6.0, -6.0, 6.0), -5.0);
/// ```
#[must_use]
pub fn band_mean(value: f64, low: f64, high: f64) -> f64 {
    ((value / MEAN_STEP).round() * MEAN_STEP).clamp(low + 1.0, high - 1.0)
}

/// The exact means a published [`band_mean`] can stand for: `(low, high)`,
/// inclusive (what the attack test gives its solver).
///
/// ```
/// use grantledger_domain::evaluation::mean_range;
///
/// assert_eq!(mean_range(6.0, 3.0, 9.0), (5.75, 6.25));
/// assert_eq!(mean_range(8.0, 3.0, 9.0), (7.75, 9.0));
/// ```
#[must_use]
pub fn mean_range(published: f64, low: f64, high: f64) -> (f64, f64) {
    let half = MEAN_STEP / 2.0;
    let from = if published <= low + 1.0 {
        low
    } else {
        published - half
    };
    let to = if published >= high - 1.0 {
        high
    } else {
        published + half
    };
    (from, to)
}

/// Rounds a count to the nearest multiple of 5 (halves up: 12 → 10, 13 → 15).
///
/// ```
/// use grantledger_domain::evaluation::round_count;
///
/// assert_eq!(round_count(12), 10);
/// assert_eq!(round_count(13), 15);
/// assert_eq!(round_count(10), 10);
/// ```
#[must_use]
pub const fn round_count(n: u64) -> u64 {
    (n + ROUNDING_BASE / 2) / ROUNDING_BASE * ROUNDING_BASE
}

/// Identifies a cell of a [`SuppressionTable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellId(usize);

/// A set of exact counts and the additive relations between them, to be
/// protected before publication.
///
/// ```
/// use grantledger_domain::evaluation::SuppressionTable;
///
/// // 3 + 20 + 30 = 53, published as −, 20, 30 and 55: subtraction says
/// // only that the hidden count is between 0 and 11 (55 ± 2 − 20 ± 2 − 30 ± 2).
/// let mut table = SuppressionTable::default();
/// let parts = [3, 20, 30].map(|v| table.cell(v));
/// let total = table.cell(53);
/// table.line(&parts, total);
/// let protected = table.protect();
/// let shown: Vec<_> = parts.iter().map(|&c| protected.published(c)).collect();
/// assert_eq!(shown, [None, Some(20), Some(30)]);
/// assert_eq!(protected.published(total), Some(55));
///
/// // 13 + 13 + 13 + 13 + 0 = 52, published as 15, 15, 15, 15, − and 50:
/// // the parts are at least 13 each, the total at most 52, so the hidden
/// // count would be exactly 0. A 13 is suppressed too.
/// let mut table = SuppressionTable::default();
/// let parts = [13, 13, 13, 13, 0].map(|v| table.cell(v));
/// let total = table.cell(52);
/// table.line(&parts, total);
/// let protected = table.protect();
/// let hidden = parts.iter().filter(|&&c| protected.is_suppressed(c)).count();
/// assert_eq!(hidden, 2);
/// assert!(table.exposed(&protected).is_empty());
/// ```
#[derive(Debug, Clone, Default)]
pub struct SuppressionTable {
    values: Vec<u64>,
    lines: Vec<(Vec<CellId>, CellId)>,
}

impl SuppressionTable {
    /// Adds a count; returns its id.
    pub fn cell(&mut self, value: u64) -> CellId {
        self.values.push(value);
        CellId(self.values.len() - 1)
    }

    /// Declares that `parts` add up to `total`.
    pub fn line(&mut self, parts: &[CellId], total: CellId) {
        self.lines.push((parts.to_vec(), total));
    }

    /// The exact value of a cell (0 for an id from another table).
    #[must_use]
    pub fn value(&self, cell: CellId) -> u64 {
        self.values.get(cell.0).copied().unwrap_or(0)
    }

    /// Applies primary suppression, then secondary suppression until no
    /// cell is [exposed](MIN_RANGE).
    #[must_use]
    pub fn protect(&self) -> Protected {
        let mut suppressed: Vec<bool> = self
            .values
            .iter()
            .map(|&v| v < MIN_PUBLISHED_COUNT)
            .collect();
        // Each pass suppresses at least one more cell, so this ends.
        for _ in 0..=self.values.len() {
            let ranges = self.ranges(&suppressed);
            let mut changed = false;
            for (i, &(lo, hi)) in ranges.iter().enumerate() {
                if hi - lo >= MIN_RANGE {
                    continue;
                }
                let cell = CellId(i);
                let target = if is(&suppressed, cell) {
                    self.shield(&suppressed, cell)
                } else {
                    Some(cell)
                };
                if let Some(slot) = target.and_then(|c| suppressed.get_mut(c.0)) {
                    *slot = true;
                    changed = true;
                    // Ranges change with every suppression: recompute.
                    break;
                }
            }
            if !changed {
                break;
            }
        }
        Protected {
            values: self.values.clone(),
            suppressed,
        }
    }

    /// The cells that `protected` leaves exposed: fewer than
    /// `MIN_RANGE + 1` values remain possible for them. Empty for every
    /// table [`SuppressionTable::protect`] returns unless no further
    /// suppression could help.
    #[must_use]
    pub fn exposed(&self, protected: &Protected) -> Vec<CellId> {
        self.ranges(&protected.suppressed)
            .iter()
            .enumerate()
            .filter(|(_, (lo, hi))| hi - lo < MIN_RANGE)
            .map(|(i, _)| CellId(i))
            .collect()
    }

    /// The published cell to suppress so that a suppressed `cell` is no
    /// longer pinned: the smallest published part of a line holding it,
    /// else the smallest published total of such a line.
    fn shield(&self, suppressed: &[bool], cell: CellId) -> Option<CellId> {
        let lines = self
            .lines
            .iter()
            .filter(|(parts, total)| *total == cell || parts.contains(&cell));
        let smallest = |cells: Vec<CellId>| {
            cells
                .into_iter()
                .filter(|&c| !is(suppressed, c))
                .min_by_key(|&c| (self.value(c), c))
        };
        let lines: Vec<_> = lines.collect();
        smallest(lines.iter().flat_map(|(p, _)| p.iter().copied()).collect())
            .or_else(|| smallest(lines.iter().map(|(_, t)| *t).collect()))
    }

    /// What a reader can deduce about every cell from the published table:
    /// the bounds `(low, high)` each exact value must lie in, given that a
    /// published count `r` was at least [`MIN_PUBLISHED_COUNT`] and rounded
    /// to `r` (so lies in `r − 2 ..= r + 2`), a suppressed count is
    /// anything from 0, and every line adds up. Bounds are tightened line by
    /// line until nothing changes (interval constraint propagation).
    fn ranges(&self, suppressed: &[bool]) -> Vec<(i64, i64)> {
        const UNBOUNDED: i64 = 1 << 40;
        let half = (ROUNDING_BASE / 2) as i64;
        let mut r: Vec<(i64, i64)> = self
            .values
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                if suppressed.get(i).copied().unwrap_or(true) {
                    (0, UNBOUNDED)
                } else {
                    let shown = round_count(v) as i64;
                    ((shown - half).max(MIN_PUBLISHED_COUNT as i64), shown + half)
                }
            })
            .collect();
        let get = |r: &[(i64, i64)], c: CellId| r.get(c.0).copied().unwrap_or((0, UNBOUNDED));
        for _ in 0..1_000 {
            let mut changed = false;
            for (parts, total) in &self.lines {
                let (sum_lo, sum_hi) = parts.iter().fold((0, 0), |(l, h), &c| {
                    let (pl, ph) = get(&r, c);
                    (l + pl, h + ph)
                });
                let (tl, th) = get(&r, *total);
                let (tl, th) = (tl.max(sum_lo), th.min(sum_hi));
                if let Some(slot) = r.get_mut(total.0)
                    && *slot != (tl, th)
                {
                    *slot = (tl, th);
                    changed = true;
                }
                for &c in parts {
                    let (pl, ph) = get(&r, c);
                    let others_lo = sum_lo - pl;
                    let others_hi = sum_hi - ph;
                    let bounds = (pl.max(tl - others_hi), ph.min(th - others_lo));
                    if let Some(slot) = r.get_mut(c.0)
                        && *slot != bounds
                    {
                        *slot = bounds;
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        r
    }
}

fn is(suppressed: &[bool], c: CellId) -> bool {
    suppressed.get(c.0).copied().unwrap_or(true)
}

/// A protected table: what may be published.
#[derive(Debug, Clone)]
pub struct Protected {
    values: Vec<u64>,
    suppressed: Vec<bool>,
}

impl Protected {
    /// The published value: `None` when suppressed, else rounded to 5.
    #[must_use]
    pub fn published(&self, cell: CellId) -> Option<u64> {
        if self.suppressed.get(cell.0).copied().unwrap_or(true) {
            None
        } else {
            self.values.get(cell.0).map(|&v| round_count(v))
        }
    }

    /// Whether a cell is suppressed.
    #[must_use]
    pub fn is_suppressed(&self, cell: CellId) -> bool {
        self.suppressed.get(cell.0).copied().unwrap_or(true)
    }
}
