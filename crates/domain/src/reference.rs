//! Human references: fund codes (`LCF`) and award references (`LCF-R1-000123`).

use core::fmt;
use core::str::FromStr;

/// Why a fund code or award reference was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// The fund code has the wrong length.
    #[error("a fund code has 2 to 10 characters, e.g. LCF; got {got}")]
    FundCodeLength {
        /// Characters given.
        got: usize,
    },
    /// The fund code contains something other than capitals and digits.
    #[error(
        "a fund code is capital letters and digits starting with a letter, e.g. LCF or BCF2; got \"{value}\""
    )]
    FundCodeCharacters {
        /// The text given.
        value: String,
    },
    /// Round number 0.
    #[error("round numbers start at 1")]
    RoundZero,
    /// Sequence out of range.
    #[error("an award sequence number is between 1 and 999999; got {got}")]
    SequenceOutOfRange {
        /// The number given.
        got: u32,
    },
    /// An award reference that does not look like `LCF-R1-000123`.
    #[error(
        "\"{value}\" is not an award reference; expected a fund code, round and 6-digit number such as LCF-R1-000123"
    )]
    Malformed {
        /// The text given.
        value: String,
    },
}

/// A fund's short code: 2–10 capital letters and digits, starting with a
/// letter. Used in award references and 360Giving identifiers.
///
/// ```
/// use grantledger_domain::reference::FundCode;
///
/// assert_eq!(FundCode::parse("BCF2")?.as_str(), "BCF2");
/// assert!(FundCode::parse("lcf").is_err());
/// assert!(FundCode::parse("2BC").is_err());
/// # Ok::<(), grantledger_domain::reference::ReferenceError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FundCode(String);

impl FundCode {
    /// Validates a fund code. Case is not corrected: codes appear in
    /// published references, so what is stored is exactly what was approved.
    ///
    /// # Errors
    /// [`ReferenceError::FundCodeLength`] or [`ReferenceError::FundCodeCharacters`].
    pub fn parse(s: &str) -> Result<FundCode, ReferenceError> {
        let len = s.chars().count();
        if !(2..=10).contains(&len) {
            return Err(ReferenceError::FundCodeLength { got: len });
        }
        let starts_with_letter = s.bytes().next().is_some_and(|b| b.is_ascii_uppercase());
        if !starts_with_letter
            || !s
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return Err(ReferenceError::FundCodeCharacters {
                value: s.to_owned(),
            });
        }
        Ok(FundCode(s.to_owned()))
    }

    /// The code.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FundCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for FundCode {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FundCode::parse(s)
    }
}

serde_via_str!(FundCode, "a fund code such as \"LCF\"");

/// An award's human reference: fund code, round number and a 6-digit
/// sequence within the round, e.g. `LCF-R1-000123`.
///
/// ```
/// use grantledger_domain::reference::{AwardReference, FundCode};
///
/// let r = AwardReference::new(FundCode::parse("LCF")?, 1, 123)?;
/// assert_eq!(r.to_string(), "LCF-R1-000123");
/// assert_eq!("LCF-R1-000123".parse::<AwardReference>()?, r);
/// # Ok::<(), grantledger_domain::reference::ReferenceError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AwardReference {
    fund: FundCode,
    round: u16,
    sequence: u32,
}

impl AwardReference {
    /// The largest sequence number, so references stay a fixed width.
    pub const MAX_SEQUENCE: u32 = 999_999;

    /// Builds a reference.
    ///
    /// # Errors
    /// [`ReferenceError::RoundZero`] or [`ReferenceError::SequenceOutOfRange`].
    pub fn new(
        fund: FundCode,
        round: u16,
        sequence: u32,
    ) -> Result<AwardReference, ReferenceError> {
        if round == 0 {
            return Err(ReferenceError::RoundZero);
        }
        if !(1..=Self::MAX_SEQUENCE).contains(&sequence) {
            return Err(ReferenceError::SequenceOutOfRange { got: sequence });
        }
        Ok(AwardReference {
            fund,
            round,
            sequence,
        })
    }

    /// Parses the `LCF-R1-000123` form strictly (no padding on the round,
    /// exactly six digits of sequence), so one award has one spelling.
    ///
    /// # Errors
    /// [`ReferenceError::Malformed`] or the errors of [`AwardReference::new`].
    pub fn parse(s: &str) -> Result<AwardReference, ReferenceError> {
        let malformed = || ReferenceError::Malformed {
            value: s.to_owned(),
        };
        let mut parts = s.split('-');
        let (Some(code), Some(round), Some(seq), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed());
        };
        let fund = FundCode::parse(code)?;
        let round = round.strip_prefix('R').ok_or_else(malformed)?;
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(round) || round.starts_with('0') || seq.len() != 6 || !digits(seq) {
            return Err(malformed());
        }
        let round: u16 = round.parse().map_err(|_| malformed())?;
        let sequence: u32 = seq.parse().map_err(|_| malformed())?;
        AwardReference::new(fund, round, sequence)
    }

    /// The fund code.
    #[must_use]
    pub fn fund(&self) -> &FundCode {
        &self.fund
    }

    /// The round number.
    #[must_use]
    pub fn round(&self) -> u16 {
        self.round
    }

    /// The sequence number within the round.
    #[must_use]
    pub fn sequence(&self) -> u32 {
        self.sequence
    }
}

impl fmt::Display for AwardReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-R{}-{:06}", self.fund, self.round, self.sequence)
    }
}

impl FromStr for AwardReference {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AwardReference::parse(s)
    }
}

serde_via_str!(
    AwardReference,
    "an award reference such as \"LCF-R1-000123\""
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn fund_codes() {
        for ok in ["LCF", "BCF2", "AB", "ABCDEFGHIJ", "V1"] {
            assert_eq!(FundCode::parse(ok).unwrap().as_str(), ok);
        }
        for bad in ["", "L", "ABCDEFGHIJK", "lcf", "1AB", "L-F", "LCF ", "ÅB"] {
            assert!(FundCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn references() {
        let lcf = FundCode::parse("LCF").unwrap();
        let r = AwardReference::new(lcf.clone(), 12, 999_999).unwrap();
        assert_eq!(r.to_string(), "LCF-R12-999999");
        assert_eq!(
            (r.fund().as_str(), r.round(), r.sequence()),
            ("LCF", 12, 999_999)
        );
        assert_eq!(
            AwardReference::new(lcf.clone(), 0, 1),
            Err(ReferenceError::RoundZero)
        );
        assert_eq!(
            AwardReference::new(lcf.clone(), 1, 1_000_000),
            Err(ReferenceError::SequenceOutOfRange { got: 1_000_000 })
        );
        assert!(AwardReference::new(lcf, 1, 0).is_err());
        for bad in [
            "",
            "LCF-R1-123",
            "LCF-R01-000123",
            "LCF-1-000123",
            "LCF-R1-0001234",
            "LCF-R0-000001",
            "LCF-R1-000000",
            "lcf-R1-000123",
            "LCF-R1-000123-",
            "LCF-R99999-000001",
            "LCF-R+1-000001",
        ] {
            assert!(bad.parse::<AwardReference>().is_err(), "{bad}");
        }
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, "\"LCF-R12-999999\"");
        assert_eq!(serde_json::from_str::<AwardReference>(&json).unwrap(), r);
    }

    proptest! {
        #[test]
        fn reference_round_trip(code in "[A-Z][A-Z0-9]{1,9}", round in 1u16.., seq in 1u32..=999_999) {
            let r = AwardReference::new(FundCode::parse(&code).unwrap(), round, seq).unwrap();
            prop_assert_eq!(r.to_string().parse::<AwardReference>().unwrap(), r);
        }

        #[test]
        fn reference_parse_never_panics(s in "\\PC*") {
            let _ = AwardReference::parse(&s);
        }
    }
}
