use core::fmt;
use core::str::FromStr;

/// Why a postcode was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{value}\" is not a UK postcode; expected something like SW1A 1AA")]
pub struct PostcodeError {
    /// The text given.
    pub value: String,
}

/// A UK postcode in its canonical form: capitals, one space before the
/// three-character inward code.
///
/// ```
/// use grantledger_domain::grantee::Postcode;
///
/// assert_eq!(Postcode::parse("sw1a1aa")?.as_str(), "SW1A 1AA");
/// assert_eq!(Postcode::parse(" m1  1ae ")?.as_str(), "M1 1AE");
/// assert!(Postcode::parse("SW1A 1A").is_err());
/// # Ok::<(), grantledger_domain::grantee::PostcodeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Postcode(String);

impl Postcode {
    /// Normalises and validates. Only the shape is checked, not whether the
    /// postcode exists, since that needs a lookup this crate cannot do.
    ///
    /// # Errors
    /// [`PostcodeError`] when the text is not shaped like a UK postcode.
    pub fn parse(s: &str) -> Result<Postcode, PostcodeError> {
        let compact: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let err = || PostcodeError {
            value: s.trim().to_owned(),
        };
        if !compact.is_ascii() || !(5..=7).contains(&compact.len()) {
            return Err(err());
        }
        let split = compact.len() - 3;
        let (outward, inward) = (
            compact.get(..split).ok_or_else(err)?,
            compact.get(split..).ok_or_else(err)?,
        );
        if !(valid_outward(outward) && valid_inward(inward)) && compact != "GIR0AA" {
            return Err(err());
        }
        Ok(Postcode(format!("{outward} {inward}")))
    }

    /// The canonical form.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The outward code (area and district), e.g. `SW1A`.
    #[must_use]
    pub fn outward(&self) -> &str {
        self.0.split(' ').next().unwrap_or_default()
    }
}

/// A9, A99, AA9, AA99, A9A or AA9A.
fn valid_outward(o: &str) -> bool {
    let shape: String = o
        .bytes()
        .map(|b| {
            if b.is_ascii_digit() {
                '9'
            } else if b.is_ascii_uppercase() {
                'A'
            } else {
                '?'
            }
        })
        .collect();
    matches!(
        shape.as_str(),
        "A9" | "A99" | "AA9" | "AA99" | "A9A" | "AA9A"
    )
}

/// A digit then two letters; C, I, K, M, O and V are never used in inward codes.
fn valid_inward(i: &str) -> bool {
    let b = i.as_bytes();
    let letter = |c: &u8| c.is_ascii_uppercase() && !b"CIKMOV".contains(c);
    matches!(b, [d, l1, l2] if d.is_ascii_digit() && letter(l1) && letter(l2))
}

impl fmt::Display for Postcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Postcode {
    type Err = PostcodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Postcode::parse(s)
    }
}

serde_via_str!(Postcode, "a UK postcode such as \"SW1A 1AA\"");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises() {
        for (input, canonical) in [
            ("sw1a1aa", "SW1A 1AA"),
            ("SW1A 1AA", "SW1A 1AA"),
            (" sw1a  1aa ", "SW1A 1AA"),
            ("M11AE", "M1 1AE"),
            ("b338th", "B33 8TH"),
            ("CR2 6XH", "CR2 6XH"),
            ("dn551pt", "DN55 1PT"),
            ("W1A 0AX", "W1A 0AX"),
            ("EC1A 1BB", "EC1A 1BB"),
            ("BT1 5GS", "BT1 5GS"),
            ("gir 0aa", "GIR 0AA"),
        ] {
            assert_eq!(
                Postcode::parse(input).unwrap().as_str(),
                canonical,
                "{input}"
            );
        }
        assert_eq!(Postcode::parse("SW1A 1AA").unwrap().outward(), "SW1A");
    }

    #[test]
    fn rejects() {
        for bad in [
            "",
            "SW1A",
            "SW1A 1A",
            "SW1A 1AAA",
            "1AA 1AA",
            "SW1A 1CA",
            "SW1A AAA",
            "ABCDE 1AA",
            "SW1Ä 1AA",
            "S-1 1AA",
        ] {
            let err = Postcode::parse(bad).unwrap_err();
            assert!(err.to_string().contains("is not a UK postcode"), "{bad}");
        }
    }

    #[test]
    fn serde() {
        let p = Postcode::parse("ls1 4ap").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"LS1 4AP\"");
        assert_eq!(serde_json::from_str::<Postcode>("\"ls14ap\"").unwrap(), p);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = Postcode::parse(&s);
        }
    }
}
