//! Finding grantees by name: the key a name is stored under and the text
//! someone searches with, compared so that case, spaces and punctuation do
//! not count (issue 20).
//!
//! A grantee's name is stored under [`NameKey::compact`]: its
//! [`NameKey`] (the duplicate check's normalisation — lower case, "&" as
//! "and", look-alike letters folded, a leading "The" dropped) with the
//! spaces taken out, so "The Hebden Lunch-Club" is kept as
//! `hebdenlunchclub`. A search finds the names whose key *starts with* the
//! search's key: a prefix is a range of keys, which a plain B-tree index
//! answers on PostgreSQL and SQLite alike (see [`KeyRange`]).

use core::fmt;

use super::LocalAuthority;
#[cfg(doc)]
use super::NameKey;
use super::likeness::folded_words;

/// Why a name to search for was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameSearchError {
    /// Nothing but spaces.
    #[error("the name to search for must not be empty")]
    Empty,
    /// Longer than a grantee's name can be.
    #[error("the name to search for must be at most {max} characters, not {got}")]
    TooLong {
        /// The most allowed.
        max: usize,
        /// How many were given.
        got: usize,
    },
    /// A tab, line break or other control character.
    #[error("the name to search for must not contain control characters")]
    ControlCharacter,
    /// Only punctuation, which a search ignores, so it would find everyone.
    #[error("the name to search for must contain a letter or a digit")]
    NoLettersOrDigits,
}

/// The text someone searches for grantees with, e.g. "st. mary's  church".
///
/// Its key folds the text as grantee names are folded, then runs the words
/// together, so the search ignores case, spaces and punctuation; it matches
/// a name whose stored key begins with it.
///
/// ```
/// use grantledger_domain::grantee::{NameKey, NameSearch, OrganisationName};
///
/// let stored = |s| NameKey::of(&OrganisationName::parse(s).unwrap()).compact();
/// let search = NameSearch::parse("st. mary's  CHURCH")?;
/// assert_eq!(search.key(), NameSearch::parse("StMarysChurch")?.key());
/// assert!(search.matches(&stored("St Marys Church Hall")));
/// assert!(!search.matches(&stored("St Mark's Church")));
/// // A leading "The" may be typed or not.
/// assert!(NameSearch::parse("the hebden")?.matches(&stored("Hebden Lunch Club")));
/// assert!(NameSearch::parse("hebden")?.matches(&stored("The Hebden Lunch Club")));
/// # Ok::<(), grantledger_domain::grantee::NameSearchError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameSearch {
    text: String,
    key: String,
}

/// The keys from `from` (included) up to `to` (excluded) in the order of
/// their UTF-8 bytes (SQLite's `BINARY`, PostgreSQL's `COLLATE "C"`): every
/// key that starts with `from`.
///
/// ```
/// use grantledger_domain::grantee::KeyRange;
///
/// let r = KeyRange::prefix("abc").unwrap();
/// assert_eq!((r.from.as_str(), r.to.as_str()), ("abc", "abd"));
/// assert!(r.contains("abcdef") && !r.contains("abd") && !r.contains("ab"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRange {
    /// The first key in the range: the prefix itself.
    pub from: String,
    /// The first key past the range: the prefix with its last character
    /// moved on by one.
    pub to: String,
}

impl KeyRange {
    /// The keys starting with `prefix`; none for an empty prefix or one
    /// ending in U+10FFFF (which has no successor), neither of which a
    /// key of letters and digits can be.
    #[must_use]
    pub fn prefix(prefix: &str) -> Option<KeyRange> {
        let mut to: Vec<char> = prefix.chars().collect();
        let next = match to.pop()? {
            '\u{D7FF}' => '\u{E000}',
            c => char::from_u32(u32::from(c) + 1)?,
        };
        to.push(next);
        Some(KeyRange {
            from: prefix.to_owned(),
            to: to.into_iter().collect(),
        })
    }

    /// Whether `key` lies in the range.
    #[must_use]
    pub fn contains(&self, key: &str) -> bool {
        self.from.as_str() <= key && key < self.to.as_str()
    }
}

impl NameSearch {
    /// The most characters a search may have: as many as a name.
    pub const MAX_CHARS: usize = 200;

    /// Trims and folds the text searched for.
    ///
    /// # Errors
    /// [`NameSearchError`] when it is empty, over 200 characters, holds a
    /// control character or has no letter or digit.
    pub fn parse(text: &str) -> Result<NameSearch, NameSearchError> {
        let text = text.trim();
        let got = text.chars().count();
        if got == 0 {
            return Err(NameSearchError::Empty);
        }
        if got > Self::MAX_CHARS {
            return Err(NameSearchError::TooLong {
                max: Self::MAX_CHARS,
                got,
            });
        }
        if text.chars().any(char::is_control) {
            return Err(NameSearchError::ControlCharacter);
        }
        let key: String = folded_words(text).concat();
        if key.is_empty() {
            return Err(NameSearchError::NoLettersOrDigits);
        }
        Ok(NameSearch {
            text: text.to_owned(),
            key,
        })
    }

    /// The folded key: lower case, no spaces or punctuation.
    #[must_use]
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The text as given, trimmed.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The ranges of stored keys this search matches: those starting with
    /// its key, and, when the key starts with "the", those starting with
    /// the rest too (stored keys drop a leading "The", which a search
    /// cannot tell from the start of a word such as "Theatre").
    #[must_use]
    pub fn ranges(&self) -> Vec<KeyRange> {
        let rest = self.key.strip_prefix("the");
        [Some(self.key.as_str()), rest]
            .into_iter()
            .flatten()
            .filter_map(KeyRange::prefix)
            .collect()
    }

    /// Whether a grantee whose stored key is `stored` (see
    /// [`NameKey::compact`]) is found by this search.
    #[must_use]
    pub fn matches(&self, stored: &str) -> bool {
        self.ranges().iter().any(|r| r.contains(stored))
    }
}

impl LocalAuthority {
    /// The local authority as a search compares it: lower case, with runs
    /// of spaces as one, so "north  TYNESIDE" finds "North Tyneside".
    ///
    /// ```
    /// use grantledger_domain::grantee::LocalAuthority;
    ///
    /// let key = |s| LocalAuthority::parse(s).unwrap().search_key();
    /// assert_eq!(key("North  TYNESIDE"), key("North Tyneside"));
    /// assert_ne!(key("Tyneside"), key("North Tyneside"));
    /// ```
    #[must_use]
    pub fn search_key(&self) -> String {
        self.as_str()
            .to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl fmt::Display for NameSearch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl core::str::FromStr for NameSearch {
    type Err = NameSearchError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NameSearch::parse(s)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for NameSearch {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::openapi::text_schema(NameSearch::MAX_CHARS)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for NameSearch {}

serde_via_str!(
    NameSearch,
    "a grantee name (or its beginning) to search for"
);

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::grantee::{NameKey, OrganisationName};

    fn stored(name: &str) -> String {
        NameKey::of(&OrganisationName::parse(name).unwrap()).compact()
    }

    #[test]
    fn folds_case_spaces_punctuation_and_look_alikes() {
        let s = NameSearch::parse("st. mary's  church").unwrap();
        // The key is the look-alike skeleton, in which "m" is "rn".
        assert_eq!(s.key(), "strnaryschurch");
        assert!(s.matches(&stored("St Marys Church")));
        assert!(s.matches(&stored("ST MARY'S CHURCH, LEEDS")));
        assert!(!s.matches(&stored("St Mary Church")));
        assert!(
            NameSearch::parse("epic d\u{0430}d")
                .unwrap()
                .matches(&stored("EPIC Dad"))
        );
        assert!(
            NameSearch::parse("friends &")
                .unwrap()
                .matches(&stored("Friends and Neighbours"))
        );
    }

    #[test]
    fn a_leading_the_is_optional_on_either_side() {
        assert!(
            NameSearch::parse("The Hebden")
                .unwrap()
                .matches(&stored("Hebden Lunch Club"))
        );
        assert!(
            NameSearch::parse("thehebden")
                .unwrap()
                .matches(&stored("The Hebden Lunch Club"))
        );
        assert!(
            NameSearch::parse("theat")
                .unwrap()
                .matches(&stored("Theatre Group"))
        );
        assert!(
            NameSearch::parse("the")
                .unwrap()
                .matches(&stored("Theatre Group"))
        );
        assert_eq!(NameSearch::parse("the").unwrap().ranges().len(), 1);
    }

    #[test]
    fn refuses_what_would_find_everyone_or_nothing() {
        assert_eq!(NameSearch::parse("  "), Err(NameSearchError::Empty));
        assert_eq!(
            NameSearch::parse("-- ."),
            Err(NameSearchError::NoLettersOrDigits)
        );
        assert_eq!(
            NameSearch::parse(&"x".repeat(201)),
            Err(NameSearchError::TooLong { max: 200, got: 201 })
        );
        assert!(NameSearch::parse(&"é".repeat(200)).is_ok());
        assert_eq!(
            NameSearch::parse("a\tb"),
            Err(NameSearchError::ControlCharacter)
        );
    }

    #[test]
    fn key_ranges_are_byte_ordered_prefixes() {
        let r = KeyRange::prefix("caf\u{e9}").unwrap();
        assert_eq!(r.to, "caf\u{ea}");
        assert!(r.contains("caf\u{e9}s") && !r.contains("cafe"));
        assert_eq!(KeyRange::prefix("\u{D7FF}").unwrap().to, "\u{E000}");
        assert_eq!(KeyRange::prefix(""), None);
    }

    #[test]
    fn serde_is_the_text() {
        let s: NameSearch = serde_json::from_str("\" Age UK \"").unwrap();
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"Age UK\"");
        assert!(serde_json::from_str::<NameSearch>("\"\"").is_err());
    }

    /// A name made of plain words, and the same name typed carelessly:
    /// each character's case flipped at will, and spaces or punctuation
    /// put in anywhere.
    fn name_and_variant() -> impl Strategy<Value = (String, String)> {
        proptest::collection::vec("[A-Za-z0-9]{1,8}", 1..5).prop_flat_map(|words| {
            let name = words.join(" ");
            let n = name.chars().count();
            (
                Just(name),
                proptest::collection::vec(any::<bool>(), n),
                proptest::collection::vec(
                    proptest::sample::select(vec!["", "", " ", "  ", ".", "'", "-", ",", "!"]),
                    n + 1,
                ),
            )
                .prop_map(|(name, flips, inserts)| {
                    let mut variant = String::from(inserts[0]);
                    for ((c, flip), insert) in name.chars().zip(flips).zip(&inserts[1..]) {
                        if c == ' ' {
                            variant.push(' ');
                        } else if flip {
                            variant.push(c.to_ascii_uppercase());
                        } else {
                            variant.push(c.to_ascii_lowercase());
                        }
                        variant.push_str(insert);
                    }
                    // Something that is a letter or digit stays at the end
                    // of the name, so a trailing insert is never all of it.
                    (name, variant)
                })
        })
    }

    proptest! {
        #[test]
        fn the_key_ignores_case_spaces_and_punctuation((name, variant) in name_and_variant()) {
            let a = NameSearch::parse(&name).unwrap();
            prop_assume!(a.key() != "the");
            let b = NameSearch::parse(&variant).unwrap();
            prop_assert_eq!(a.key(), b.key());
            prop_assert!(b.matches(&stored(&name)), "{:?} does not find {:?}", variant, name);
        }

        #[test]
        fn every_prefix_of_a_name_finds_it(name in "[A-Za-z][A-Za-z0-9 .,'&-]{0,40}") {
            let key = NameSearch::parse(&name).unwrap().key().to_owned();
            // A stored key drops a leading "The", so "t" or "th" cannot
            // find "The Xyz"; every other start of a name finds it.
            prop_assume!(!key.starts_with("the"));
            for end in 1..=key.len() {
                let start = NameSearch::parse(&key[..end]).unwrap();
                prop_assert!(start.matches(&stored(&name)), "{:?} does not find {:?}", &key[..end], name);
            }
        }
    }
}
