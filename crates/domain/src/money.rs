//! Money: exact, non-negative GBP amounts, and signed changes to them.
//!
//! Amounts are held as whole pence in an `i64` so arithmetic is exact and
//! cheap, and are exposed as `rust_decimal::Decimal` where callers need it.
//! On the wire an amount is always a string with two decimals (`"2500.00"`),
//! because JSON numbers are binary floats in most clients.

use core::fmt;
use core::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

const MAX_PENCE: i64 = 100_000_000_000_000;

/// Why a string, number or calculation is not a valid amount of money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Nothing was given.
    #[error("an amount is required, such as \"2500.00\"")]
    Empty,
    /// Spaces or other whitespace inside or around the amount.
    #[error("amounts must not contain spaces")]
    Whitespace,
    /// A leading `+`.
    #[error("a leading '+' is not allowed; write the amount without a sign")]
    PlusSign,
    /// A negative amount, or a calculation whose result would be below zero.
    #[error("negative amounts are not allowed")]
    Negative,
    /// Scientific notation such as `1e3`.
    #[error("exponent notation such as 1e3 is not allowed; write the amount in full")]
    Exponent,
    /// A thousands separator such as `1,000`.
    #[error("thousands separators are not allowed; write 1000.00, not 1,000.00")]
    ThousandsSeparator,
    /// A currency symbol such as `£`.
    #[error("currency symbols are not allowed; amounts are in pounds, e.g. \"2500.00\"")]
    CurrencySymbol,
    /// A leading zero such as `01`.
    #[error("leading zeros are not allowed")]
    LeadingZero,
    /// Three or more digits after the decimal point.
    #[error("more than 2 decimal places")]
    TooManyDecimalPlaces,
    /// Something else that is not a plain decimal number, such as `NaN` or `1.`.
    #[error("\"{0}\" is not an amount; write it like \"2500\" or \"2500.00\"")]
    Malformed(String),
    /// More than [`Money::MAX`], or a calculation that would go beyond it.
    #[error("exceeds the maximum of 1000000000000.00")]
    TooLarge,
}

/// A non-negative amount of pounds sterling with exactly two decimal places.
///
/// ```
/// use grantledger_domain::money::Money;
///
/// let grant: Money = "2500".parse()?;
/// assert_eq!(grant.to_string(), "2500.00");
/// assert_eq!(grant.pence(), 250_000);
///
/// let paid = Money::parse("1000.50")?;
/// assert_eq!(grant.checked_sub(paid)?.to_string(), "1499.50");
/// assert!(paid.checked_sub(grant).is_err()); // never negative
///
/// assert!(Money::parse("1.234").is_err());
/// assert!(Money::parse("-1").is_err());
/// # Ok::<(), grantledger_domain::money::MoneyError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

impl Money {
    /// £0.00.
    pub const ZERO: Money = Money(0);
    /// £1,000,000,000,000.00, the largest amount the system accepts.
    pub const MAX: Money = Money(MAX_PENCE);

    /// Parses an amount as a person types it into a form: an optional `£`,
    /// and commas between groups of three digits (`£12,500.00`). A comma
    /// anywhere else (`12,50`, a decimal comma) is refused, not guessed at.
    ///
    /// ```
    /// use grantledger_domain::Money;
    /// assert_eq!(Money::parse_typed("£12,500.50"), Money::parse("12500.50"));
    /// assert_eq!(Money::parse_typed(" 1,000,000 "), Money::parse("1000000"));
    /// assert!(Money::parse_typed("12,50").is_err());
    /// assert!(Money::parse_typed("1,0000").is_err());
    /// ```
    ///
    /// # Errors
    /// As for [`Money::parse`]; misplaced commas as a malformed amount.
    pub fn parse_typed(s: &str) -> Result<Money, MoneyError> {
        let s = s.trim();
        let s = s.strip_prefix('£').unwrap_or(s).trim_start();
        if !s.contains(',') {
            return Money::parse(s);
        }
        let whole = s.split_once('.').map_or(s, |(w, _)| w);
        let groups: Vec<&str> = whole.split(',').collect();
        let well_grouped = groups.first().is_some_and(|g| (1..=3).contains(&g.len()))
            && groups.iter().skip(1).all(|g| g.len() == 3);
        if !well_grouped {
            // Parsing it as it is names the problem (a character that is
            // not a digit).
            return Money::parse(s);
        }
        Money::parse(&s.replace(',', ""))
    }

    /// Parses the strict wire form `^(0|[1-9][0-9]*)(\.[0-9]{1,2})?$`.
    ///
    /// # Errors
    /// A distinct [`MoneyError`] for each kind of mistake, so the message can
    /// tell the user exactly what to fix.
    pub fn parse(s: &str) -> Result<Money, MoneyError> {
        let pence = parse_unsigned_pence(s)?;
        Money::from_pence(pence)
    }

    /// Builds an amount from whole pence.
    ///
    /// # Errors
    /// [`MoneyError::Negative`] or [`MoneyError::TooLarge`].
    pub const fn from_pence(pence: i64) -> Result<Money, MoneyError> {
        if pence < 0 {
            Err(MoneyError::Negative)
        } else if pence > MAX_PENCE {
            Err(MoneyError::TooLarge)
        } else {
            Ok(Money(pence))
        }
    }

    /// The amount in whole pence (the database representation).
    #[must_use]
    pub const fn pence(self) -> i64 {
        self.0
    }

    /// The amount as a decimal with scale 2.
    #[must_use]
    pub fn as_decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }

    /// The amount as people write it in sterling: pounds with thousands
    /// separated and always two decimals.
    ///
    /// ```
    /// use grantledger_domain::Money;
    /// assert_eq!(Money::parse("2500").unwrap().pounds(), "£2,500.00");
    /// assert_eq!(Money::parse("4000000.5").unwrap().pounds(), "£4,000,000.50");
    /// assert_eq!(Money::ZERO.pounds(), "£0.00");
    /// ```
    #[must_use]
    pub fn pounds(self) -> String {
        let whole = (self.0 / 100).to_string();
        let mut out = String::with_capacity(whole.len() * 4 / 3 + 4);
        out.push('£');
        for (i, digit) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(digit);
        }
        out.push_str(&format!(".{:02}", self.0 % 100));
        out
    }

    /// Converts a decimal, refusing anything that is not a whole number of pence.
    ///
    /// # Errors
    /// [`MoneyError::TooManyDecimalPlaces`], [`MoneyError::Negative`] or
    /// [`MoneyError::TooLarge`].
    pub fn from_decimal(d: Decimal) -> Result<Money, MoneyError> {
        Money::from_pence(decimal_to_pence(d)?)
    }

    /// Whether this is £0.00.
    #[must_use]
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self + other`.
    ///
    /// # Errors
    /// [`MoneyError::TooLarge`] when the sum exceeds [`Money::MAX`].
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        // Both operands are at most MAX, so the i64 sum cannot overflow.
        Money::from_pence(self.0.saturating_add(other.0))
    }

    /// `self - other`.
    ///
    /// # Errors
    /// [`MoneyError::Negative`] when `other` is larger than `self`.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        Money::from_pence(self.0.saturating_sub(other.0))
    }

    /// `self × factor`.
    ///
    /// # Errors
    /// [`MoneyError::TooLarge`] when the product exceeds [`Money::MAX`].
    pub fn checked_mul(self, factor: u32) -> Result<Money, MoneyError> {
        let pence = self
            .0
            .checked_mul(i64::from(factor))
            .ok_or(MoneyError::TooLarge)?;
        Money::from_pence(pence)
    }

    /// The sum of all the amounts.
    ///
    /// # Errors
    /// [`MoneyError::TooLarge`] as soon as a running total exceeds [`Money::MAX`].
    pub fn sum<I: IntoIterator<Item = Money>>(iter: I) -> Result<Money, MoneyError> {
        iter.into_iter().try_fold(Money::ZERO, Money::checked_add)
    }

    /// The signed change that takes `self` to `other` (`other - self`).
    #[must_use]
    pub const fn delta_to(self, other: Money) -> MoneyDelta {
        // Both are within 0..=MAX so the difference is within -MAX..=MAX.
        MoneyDelta(other.0 - self.0)
    }

    /// Applies a signed change.
    ///
    /// # Errors
    /// [`MoneyError::Negative`] or [`MoneyError::TooLarge`].
    pub fn checked_add_delta(self, delta: MoneyDelta) -> Result<Money, MoneyError> {
        Money::from_pence(self.0.saturating_add(delta.0))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_pence(f, self.0)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({self})")
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse(s)
    }
}

impl TryFrom<Decimal> for Money {
    type Error = MoneyError;

    fn try_from(d: Decimal) -> Result<Self, Self::Error> {
        Money::from_decimal(d)
    }
}

impl From<Money> for Decimal {
    fn from(m: Money) -> Self {
        m.as_decimal()
    }
}

/// A signed change to an amount, e.g. an award variation (`"-250.00"`).
///
/// ```
/// use grantledger_domain::money::{Money, MoneyDelta};
///
/// let before = Money::parse("2500")?;
/// let after = Money::parse("2250")?;
/// let delta = before.delta_to(after);
/// assert_eq!(delta.to_string(), "-250.00");
/// assert!(delta.is_negative());
/// assert_eq!(delta.abs(), Money::parse("250")?);
/// assert_eq!(before.checked_add_delta(delta)?, after);
/// assert_eq!(MoneyDelta::parse("+250.00")?.pence(), 25_000);
/// # Ok::<(), grantledger_domain::money::MoneyError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct MoneyDelta(i64);

impl MoneyDelta {
    /// No change.
    pub const ZERO: MoneyDelta = MoneyDelta(0);

    /// Parses an amount with an optional leading `-` or `+`.
    ///
    /// # Errors
    /// As for [`Money::parse`], applied to the unsigned part.
    pub fn parse(s: &str) -> Result<MoneyDelta, MoneyError> {
        let (negative, rest) = match s.as_bytes().first() {
            Some(b'-') => (true, s.get(1..).unwrap_or_default()),
            Some(b'+') => (false, s.get(1..).unwrap_or_default()),
            _ => (false, s),
        };
        if rest.starts_with(['-', '+']) {
            return Err(MoneyError::Malformed(s.to_owned()));
        }
        let pence = parse_unsigned_pence(rest)?;
        if pence > MAX_PENCE {
            return Err(MoneyError::TooLarge);
        }
        Ok(MoneyDelta(if negative { -pence } else { pence }))
    }

    /// Builds a change from signed pence.
    ///
    /// # Errors
    /// [`MoneyError::TooLarge`] when the size of the change exceeds [`Money::MAX`].
    pub const fn from_pence(pence: i64) -> Result<MoneyDelta, MoneyError> {
        if pence < -MAX_PENCE || pence > MAX_PENCE {
            Err(MoneyError::TooLarge)
        } else {
            Ok(MoneyDelta(pence))
        }
    }

    /// The change in signed pence.
    #[must_use]
    pub const fn pence(self) -> i64 {
        self.0
    }

    /// The change as a decimal with scale 2.
    #[must_use]
    pub fn as_decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }

    /// Whether this is a reduction.
    #[must_use]
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Whether this is no change at all.
    #[must_use]
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// The size of the change.
    #[must_use]
    pub const fn abs(self) -> Money {
        // from_pence guarantees |pence| <= MAX.
        Money(self.0.abs())
    }
}

impl From<Money> for MoneyDelta {
    fn from(m: Money) -> Self {
        MoneyDelta(m.0)
    }
}

impl fmt::Display for MoneyDelta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < 0 {
            f.write_str("-")?;
        }
        write_pence(f, self.0.abs())
    }
}

impl fmt::Debug for MoneyDelta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MoneyDelta({self})")
    }
}

impl FromStr for MoneyDelta {
    type Err = MoneyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MoneyDelta::parse(s)
    }
}

fn write_pence(f: &mut fmt::Formatter<'_>, pence: i64) -> fmt::Result {
    write!(f, "{}.{:02}", pence / 100, pence % 100)
}

fn decimal_to_pence(d: Decimal) -> Result<i64, MoneyError> {
    if d.is_sign_negative() && !d.is_zero() {
        return Err(MoneyError::Negative);
    }
    let d = d.normalize();
    let scale = d.scale();
    if scale > 2 {
        return Err(MoneyError::TooManyDecimalPlaces);
    }
    let factor: i128 = if scale == 0 {
        100
    } else if scale == 1 {
        10
    } else {
        1
    };
    let pence = d
        .mantissa()
        .checked_abs()
        .and_then(|m| m.checked_mul(factor))
        .ok_or(MoneyError::TooLarge)?;
    if pence > i128::from(MAX_PENCE) {
        return Err(MoneyError::TooLarge);
    }
    i64::try_from(pence).map_err(|_| MoneyError::TooLarge)
}

/// Parses `^(0|[1-9][0-9]*)(\.[0-9]{1,2})?$` into pence, diagnosing the most
/// likely mistake when it does not match. Values beyond `MAX` report `TooLarge`.
fn parse_unsigned_pence(s: &str) -> Result<i64, MoneyError> {
    if s.is_empty() {
        return Err(MoneyError::Empty);
    }
    diagnose_characters(s)?;
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (s, None),
    };
    let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) {
        return Err(MoneyError::Malformed(s.to_owned()));
    }
    if whole.len() > 1 && whole.starts_with('0') {
        return Err(MoneyError::LeadingZero);
    }
    let frac_pence: i64 = match frac {
        None => 0,
        Some(f) if !all_digits(f) => return Err(MoneyError::Malformed(s.to_owned())),
        Some(f) if f.len() > 2 => return Err(MoneyError::TooManyDecimalPlaces),
        Some(f) => {
            let n: i64 = f.parse().map_err(|_| MoneyError::Malformed(s.to_owned()))?;
            if f.len() == 1 { n * 10 } else { n }
        }
    };
    // 13 digits of pounds is already beyond MAX; stop before i64 could overflow.
    if whole.len() > 13 {
        return Err(MoneyError::TooLarge);
    }
    let pounds: i64 = whole
        .parse()
        .map_err(|_| MoneyError::Malformed(s.to_owned()))?;
    let pence = pounds * 100 + frac_pence;
    if pence > MAX_PENCE {
        return Err(MoneyError::TooLarge);
    }
    Ok(pence)
}

fn diagnose_characters(s: &str) -> Result<(), MoneyError> {
    if s.chars().any(char::is_whitespace) {
        return Err(MoneyError::Whitespace);
    }
    if s.starts_with('+') {
        return Err(MoneyError::PlusSign);
    }
    if s.starts_with('-') {
        return Err(MoneyError::Negative);
    }
    if s.contains(['£', '$', '€']) || s.to_ascii_uppercase().contains("GBP") {
        return Err(MoneyError::CurrencySymbol);
    }
    if s.contains(',') {
        return Err(MoneyError::ThousandsSeparator);
    }
    let looks_numeric = s
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if looks_numeric && s.contains(['e', 'E']) && s.bytes().any(|b| b.is_ascii_digit()) {
        return Err(MoneyError::Exponent);
    }
    Ok(())
}

/// The message for a JSON number where an amount string was expected.
pub(crate) const AMOUNT_NOT_STRING: &str = "amounts must be strings such as \"2500.00\"";

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl Serialize for MoneyDelta {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

struct AmountVisitor<T>(fn(&str) -> Result<T, MoneyError>);

impl<T> Visitor<'_> for AmountVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(AMOUNT_NOT_STRING)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.0)(v).map_err(E::custom)
    }

    // JSON numbers are refused outright: a float may already have lost pence.
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<T, E> {
        Err(E::custom(AMOUNT_NOT_STRING))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<T, E> {
        Err(E::custom(AMOUNT_NOT_STRING))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<T, E> {
        Err(E::custom(AMOUNT_NOT_STRING))
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(AmountVisitor(Money::parse))
    }
}

impl<'de> Deserialize<'de> for MoneyDelta {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(AmountVisitor(MoneyDelta::parse))
    }
}

#[cfg(test)]
mod tests;
