//! Validated free text: names and other short strings typed by people.

use core::fmt;

/// Why a piece of text was refused. `field` is the plain-English name of the
/// thing being named, e.g. "organisation name".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Empty, or only whitespace.
    #[error("{field} must not be empty")]
    Empty {
        /// What the text is.
        field: &'static str,
    },
    /// Longer than allowed.
    #[error("{field} must be at most {max} characters; got {got}")]
    TooLong {
        /// What the text is.
        field: &'static str,
        /// The limit.
        max: usize,
        /// The length given, in characters.
        got: usize,
    },
    /// Contains a control character such as a tab or a newline.
    #[error("{field} must not contain control characters such as tabs or line breaks")]
    ControlCharacter {
        /// What the text is.
        field: &'static str,
    },
}

impl TextError {
    /// The plain-English name of the text refused, e.g. "project title".
    #[must_use]
    pub fn field(&self) -> &'static str {
        match self {
            TextError::Empty { field }
            | TextError::TooLong { field, .. }
            | TextError::ControlCharacter { field } => field,
        }
    }
}

/// Trims `s` and checks it is 1..=`max` characters without control characters.
///
/// # Errors
/// A [`TextError`] naming `field`.
pub fn single_line(field: &'static str, s: &str, max: usize) -> Result<String, TextError> {
    let t = s.trim();
    if t.chars().any(char::is_control) {
        return Err(TextError::ControlCharacter { field });
    }
    check_length(field, t, max)?;
    Ok(t.to_owned())
}

/// Like [`single_line`] but allows line breaks and tabs (for summaries and narratives).
///
/// # Errors
/// A [`TextError`] naming `field`.
pub fn multi_line(field: &'static str, s: &str, max: usize) -> Result<String, TextError> {
    let t = s.trim();
    if t.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(TextError::ControlCharacter { field });
    }
    check_length(field, t, max)?;
    Ok(t.to_owned())
}

fn check_length(field: &'static str, t: &str, max: usize) -> Result<(), TextError> {
    let got = t.chars().count();
    if got == 0 {
        Err(TextError::Empty { field })
    } else if got > max {
        Err(TextError::TooLong { field, max, got })
    } else {
        Ok(())
    }
}

/// Declares a trimmed, single-line, length-limited text newtype.
macro_rules! text_type {
    ($(#[$meta:meta])* $name:ident, $field:literal, $max:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// The most characters allowed.
            pub const MAX_CHARS: usize = $max;

            /// Trims and validates.
            ///
            /// # Errors
            /// A [`TextError`] when empty, too long or containing control characters.
            pub fn parse(s: &str) -> Result<$name, TextError> {
                single_line($field, s, $max).map($name)
            }

            /// The text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::openapi::text_schema($max)
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}

        impl core::str::FromStr for $name {
            type Err = TextError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::parse(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        serde_via_str!($name, concat!("a ", $field, " as a string"));
    };
}

text_type!(
    /// The name of an organisation (a grantee or a funder): trimmed, 1–200
    /// characters, one line.
    ///
    /// ```
    /// use grantledger_domain::text::OrganisationName;
    ///
    /// let name = OrganisationName::parse("  Friends of Hyde Park  ")?;
    /// assert_eq!(name.as_str(), "Friends of Hyde Park");
    /// assert!(OrganisationName::parse("   ").is_err());
    /// # Ok::<(), grantledger_domain::text::TextError>(())
    /// ```
    OrganisationName,
    "organisation name",
    200
);

text_type!(
    /// The name of a fund, e.g. "Local Connections Fund": trimmed, 1–200 characters.
    FundName,
    "fund name",
    200
);

text_type!(
    /// A local authority name, e.g. "Leeds": trimmed, 1–100 characters.
    LocalAuthority,
    "local authority",
    100
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_limits() {
        assert_eq!(OrganisationName::parse(" a ").unwrap().as_str(), "a");
        assert_eq!(
            OrganisationName::parse(&"é".repeat(200))
                .unwrap()
                .as_str()
                .chars()
                .count(),
            200
        );
        assert_eq!(
            OrganisationName::parse(&"x".repeat(201)),
            Err(TextError::TooLong {
                field: "organisation name",
                max: 200,
                got: 201
            })
        );
        assert_eq!(
            OrganisationName::parse(""),
            Err(TextError::Empty {
                field: "organisation name"
            })
        );
        assert_eq!(
            OrganisationName::parse("a\nb").unwrap_err().to_string(),
            "organisation name must not contain control characters such as tabs or line breaks"
        );
        assert!(LocalAuthority::parse(&"x".repeat(101)).is_err());
        assert_eq!(multi_line("summary", "a\nb", 10).unwrap(), "a\nb");
        assert!(multi_line("summary", "a\u{0}b", 10).is_err());
    }

    #[test]
    fn serde_is_a_validated_string() {
        let n = OrganisationName::parse("Age UK").unwrap();
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"Age UK\"");
        assert_eq!(
            serde_json::from_str::<OrganisationName>("\" Age UK \"").unwrap(),
            n
        );
        let err = serde_json::from_str::<OrganisationName>("\"\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("organisation name must not be empty"), "{err}");
    }
}
