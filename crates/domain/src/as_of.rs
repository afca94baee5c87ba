//! The moment a report is drawn up as of: an instant, or a whole day.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};

/// The moment a report (a reconciliation) is drawn up as of.
///
/// Given as an RFC 3339 instant, it is that instant. Given as a plain date,
/// it is the end of that day in UTC — the last microsecond, the finest
/// precision the store keeps — so everything recorded on that date counts
/// and nothing from the next day does.
///
/// ```
/// use grantledger_domain::as_of::AsOf;
///
/// let day = AsOf::parse("2026-11-30")?;
/// assert_eq!(day.instant().to_rfc3339(), "2026-11-30T23:59:59.999999+00:00");
/// let instant = AsOf::parse("2026-11-30T09:00:00Z")?;
/// assert_eq!(instant.instant().to_rfc3339(), "2026-11-30T09:00:00+00:00");
/// assert!(AsOf::parse("30/11/2026").is_err());
/// # Ok::<(), grantledger_domain::as_of::AsOfError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AsOf(DateTime<Utc>);

/// Text that is neither a date nor an instant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "as_of must be a date such as 2026-11-30 (meaning the end of that day, UTC) or an instant such as 2026-11-30T17:00:00Z; got \"{got}\""
)]
pub struct AsOfError {
    /// The text given.
    pub got: String,
}

impl AsOf {
    /// Reads a plain date (`2026-11-30`) or an RFC 3339 instant.
    ///
    /// # Errors
    /// [`AsOfError`] for anything else, naming both forms.
    pub fn parse(text: &str) -> Result<AsOf, AsOfError> {
        let text = text.trim();
        if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
            return Ok(AsOf(instant.with_timezone(&Utc)));
        }
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(|day| day.checked_add_days(chrono::Days::new(1)))
            .map(|next| next.and_time(NaiveTime::MIN).and_utc() - TimeDelta::microseconds(1))
            .map(AsOf)
            .ok_or_else(|| AsOfError {
                got: text.to_owned(),
            })
    }

    /// The instant it stands for.
    #[must_use]
    pub const fn instant(self) -> DateTime<Utc> {
        self.0
    }
}

impl core::str::FromStr for AsOf {
    type Err = AsOfError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AsOf::parse(s)
    }
}

impl<'de> serde::Deserialize<'de> for AsOf {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = AsOf;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a date such as 2026-11-30 or an instant such as 2026-11-30T17:00:00Z")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<AsOf, E> {
                AsOf::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_is_the_end_of_that_day_and_an_instant_is_itself() {
        let day = AsOf::parse("2026-12-31").unwrap().instant();
        assert_eq!(day.to_rfc3339(), "2026-12-31T23:59:59.999999+00:00");
        let offset = AsOf::parse("2026-11-30T10:00:00+01:00").unwrap().instant();
        assert_eq!(offset.to_rfc3339(), "2026-11-30T09:00:00+00:00");
        for bad in [
            "",
            "2026-13-01",
            "07/12/2026",
            "2026-11-30T25:00:00Z",
            "9999-12-31x",
        ] {
            let error = AsOf::parse(bad).unwrap_err().to_string();
            assert!(error.contains("a date such as 2026-11-30"), "{error}");
        }
        // The last day chrono can name has no next day; it is refused, not a panic.
        assert!(AsOf::parse("+262142-12-31").is_err());
    }
}
