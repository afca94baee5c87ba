//! Telling when a grantee being registered is likely one already on record.

use unicode_security::MixedScript;
use unicode_security::confusable_detection::skeleton;

use super::Grantee;
use crate::text::OrganisationName;

/// An organisation's name as compared when looking for it registered twice:
/// case, spacing, punctuation and accents do not count, nor does "&" against
/// "and" or a leading "The", and letters that look alike count as the same
/// letter (the confusable skeleton of Unicode's UTS #39), so "EPIC Dаd" with
/// a Cyrillic "а" matches "EPIC Dad".
///
/// ```
/// use grantledger_domain::grantee::{NameKey, OrganisationName};
///
/// let key = |s| NameKey::of(&OrganisationName::parse(s).unwrap());
/// assert_eq!(key("The Hebden Lunch Club"), key("hebden  lunch-club"));
/// assert_eq!(key("Friends & Neighbours"), key("Friends and Neighbours"));
/// assert_eq!(key("EPIC Dad"), key("EPIC D\u{0430}d"));
/// assert_ne!(key("EPIC Dad"), key("EPIC Mum"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NameKey(String);

impl NameKey {
    /// The key of a name.
    #[must_use]
    pub fn of(name: &OrganisationName) -> NameKey {
        let mut words = folded_words(name.as_str()).into_iter().peekable();
        if words.peek().map(String::as_str) == Some("the") {
            words.next();
        }
        NameKey(words.collect::<Vec<_>>().join(" "))
    }

    /// The key's words run together, without the spaces between them:
    /// "The Hebden Lunch-Club" gives `hebdenlunchclub`.
    #[must_use]
    pub fn compact(&self) -> String {
        self.0.chars().filter(|c| *c != ' ').collect()
    }
}

/// The words of `text` as names are compared: lower case, "&" read as
/// "and", look-alike letters folded to one (UTS #39 skeleton), split at
/// anything that is not a letter or digit. Both [`NameKey`] and the grantee
/// search ([`super::NameSearch`]) fold text this way, so they cannot drift.
pub(crate) fn folded_words(text: &str) -> Vec<String> {
    let lowered = text.to_lowercase().replace('&', " and ");
    // The skeleton maps look-alikes to one prototype, sometimes in
    // upper case, so case is folded again after it.
    let skeleton: String = skeleton(&lowered).collect::<String>().to_lowercase();
    skeleton
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether a name mixes letters from different writing systems, as
/// look-alike names do ("EPIC Dаd" with a Cyrillic "а"). Such a name may be
/// genuine, so it is a warning, not a refusal.
///
/// ```
/// use grantledger_domain::grantee::{OrganisationName, mixes_scripts};
///
/// assert!(mixes_scripts(&OrganisationName::parse("EPIC D\u{0430}d").unwrap()));
/// assert!(!mixes_scripts(&OrganisationName::parse("Cymdeithas Gymraeg Llanelli").unwrap()));
/// ```
#[must_use]
pub fn mixes_scripts(name: &OrganisationName) -> bool {
    !name.as_str().is_single_script()
}

/// Why a new grantee looks like one already registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Likeness {
    /// The same org-id.guide identifier: certainly the same organisation.
    SameOrgId,
    /// The same name (as [`NameKey`] compares names) and postcode, and no
    /// org ids that tell them apart: probably the same organisation.
    SameNameAndPostcode,
}

impl Grantee {
    /// Whether `self`, about to be registered, is likely `existing`.
    ///
    /// Two different org ids always mean two organisations; otherwise the
    /// same org id, or the same name and postcode, mean one.
    #[must_use]
    pub fn likeness_to(&self, existing: &Grantee) -> Option<Likeness> {
        match (&self.org_id, &existing.org_id) {
            (Some(a), Some(b)) if a == b => return Some(Likeness::SameOrgId),
            (Some(_), Some(_)) => return None,
            _ => {}
        }
        (self.postcode == existing.postcode
            && NameKey::of(&self.name) == NameKey::of(&existing.name))
        .then_some(Likeness::SameNameAndPostcode)
    }
}
