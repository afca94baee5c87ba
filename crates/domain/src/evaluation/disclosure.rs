//! Statistical disclosure control for published outcome figures.
//!
//! Rules: a count below [`MIN_PUBLISHED_COUNT`] is suppressed (primary
//! suppression); every other count is rounded to the nearest
//! [`ROUNDING_BASE`]. Counts that add up to a published total form a *line*;
//! a line with exactly one suppressed member would let anyone back out that
//! member by subtraction, so another member is suppressed too (secondary
//! suppression: the smallest unsuppressed part, else the total), repeated
//! until no line has exactly one suppressed member.

/// Counts below this are never published.
pub const MIN_PUBLISHED_COUNT: u64 = 10;
/// Published counts are rounded to a multiple of this.
pub const ROUNDING_BASE: u64 = 5;

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
/// // 3 + 20 + 30 = 53: the 3 is suppressed; on its own it could be backed
/// // out as 53 − 20 − 30, so the 20 is suppressed too.
/// let mut table = SuppressionTable::default();
/// let parts = [3, 20, 30].map(|v| table.cell(v));
/// let total = table.cell(53);
/// table.line(&parts, total);
/// let protected = table.protect();
/// let shown: Vec<_> = parts.iter().map(|&c| protected.published(c)).collect();
/// assert_eq!(shown, [None, None, Some(30)]);
/// assert_eq!(protected.published(total), Some(55));
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

    /// Applies primary then secondary suppression.
    #[must_use]
    pub fn protect(&self) -> Protected {
        let mut suppressed: Vec<bool> = self
            .values
            .iter()
            .map(|&v| v < MIN_PUBLISHED_COUNT)
            .collect();
        let is = |s: &[bool], c: CellId| s.get(c.0).copied().unwrap_or(true);
        loop {
            let mut changed = false;
            for (parts, total) in &self.lines {
                let hidden = parts.iter().filter(|&&c| is(&suppressed, c)).count()
                    + usize::from(is(&suppressed, *total));
                if hidden != 1 {
                    continue;
                }
                let candidate = parts
                    .iter()
                    .copied()
                    .filter(|&c| !is(&suppressed, c))
                    .min_by_key(|&c| (self.value(c), c))
                    .or_else(|| (!is(&suppressed, *total)).then_some(*total));
                if let Some(slot) = candidate.and_then(|c| suppressed.get_mut(c.0)) {
                    *slot = true;
                    changed = true;
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
