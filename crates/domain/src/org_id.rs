//! Organisation identifiers in the org-id.guide form used by 360Giving.

use core::fmt;
use core::str::FromStr;

use crate::ids::GranteeId;

/// The UK registers (org-id.guide lists) whose identifiers are accepted:
/// the ones UK funders and grantees are found on. Each number is checked
/// against its list's shape, so a typing slip is caught before it is
/// published (whether the number exists is the register's business).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum OrgIdScheme {
    /// Charity Commission for England and Wales (`GB-CHC`).
    CharityCommission,
    /// Companies House, including CICs (`GB-COH`).
    CompaniesHouse,
    /// Office of the Scottish Charity Regulator (`GB-SC`).
    Oscr,
    /// Charity Commission for Northern Ireland (`GB-NIC`).
    CharityCommissionNi,
    /// Government Organisation Register: departments, agencies and public
    /// bodies (`GB-GOR`, e.g. `GB-GOR-D5` for DCMS).
    GovernmentOrganisation,
    /// Local Authorities for England register (`GB-LAE`, e.g. `GB-LAE-BIR`).
    LocalAuthorityEngland,
    /// Scottish Local Authority register (`GB-LAS`, e.g. `GB-LAS-GLG`).
    LocalAuthorityScotland,
    /// Principal Local Authority register for Wales (`GB-PLA`, e.g. `GB-PLA-CRF`).
    LocalAuthorityWales,
    /// Local authorities for Northern Ireland register (`GB-LANI`, e.g. `GB-LANI-BFS`).
    LocalAuthorityNi,
    /// Register of schools in England and Wales, by URN (`GB-EDU`, e.g. `GB-EDU-100000`).
    School,
    /// NHS organisation data service codes (`GB-NHS`, e.g. `GB-NHS-RJ1`).
    Nhs,
    /// Mutuals Public Register: co-operatives, community benefit societies
    /// and friendly societies (`GB-MPR`, e.g. `GB-MPR-IP12345R`).
    Mutual,
    /// Registered social housing providers in England (`GB-SHPE`, e.g. `GB-SHPE-L0001`).
    SocialHousing,
    /// UK Register of Learning Providers (`GB-UKPRN`, e.g. `GB-UKPRN-10001234`).
    LearningProvider,
}

impl OrgIdScheme {
    /// Every supported scheme.
    pub const ALL: [OrgIdScheme; 14] = [
        OrgIdScheme::CharityCommission,
        OrgIdScheme::CompaniesHouse,
        OrgIdScheme::Oscr,
        OrgIdScheme::CharityCommissionNi,
        OrgIdScheme::GovernmentOrganisation,
        OrgIdScheme::LocalAuthorityEngland,
        OrgIdScheme::LocalAuthorityScotland,
        OrgIdScheme::LocalAuthorityWales,
        OrgIdScheme::LocalAuthorityNi,
        OrgIdScheme::School,
        OrgIdScheme::Nhs,
        OrgIdScheme::Mutual,
        OrgIdScheme::SocialHousing,
        OrgIdScheme::LearningProvider,
    ];

    /// The org-id.guide list code, e.g. `GB-CHC`.
    #[must_use]
    pub const fn prefix(self) -> &'static str {
        match self {
            OrgIdScheme::CharityCommission => "GB-CHC",
            OrgIdScheme::CompaniesHouse => "GB-COH",
            OrgIdScheme::Oscr => "GB-SC",
            OrgIdScheme::CharityCommissionNi => "GB-NIC",
            OrgIdScheme::GovernmentOrganisation => "GB-GOR",
            OrgIdScheme::LocalAuthorityEngland => "GB-LAE",
            OrgIdScheme::LocalAuthorityScotland => "GB-LAS",
            OrgIdScheme::LocalAuthorityWales => "GB-PLA",
            OrgIdScheme::LocalAuthorityNi => "GB-LANI",
            OrgIdScheme::School => "GB-EDU",
            OrgIdScheme::Nhs => "GB-NHS",
            OrgIdScheme::Mutual => "GB-MPR",
            OrgIdScheme::SocialHousing => "GB-SHPE",
            OrgIdScheme::LearningProvider => "GB-UKPRN",
        }
    }

    /// The register's name.
    #[must_use]
    pub const fn register_name(self) -> &'static str {
        match self {
            OrgIdScheme::CharityCommission => "Charity Commission for England and Wales",
            OrgIdScheme::CompaniesHouse => "Companies House",
            OrgIdScheme::Oscr => "Office of the Scottish Charity Regulator",
            OrgIdScheme::CharityCommissionNi => "Charity Commission for Northern Ireland",
            OrgIdScheme::GovernmentOrganisation => "Government Organisation Register",
            OrgIdScheme::LocalAuthorityEngland => "Local Authorities for England Register",
            OrgIdScheme::LocalAuthorityScotland => "Scottish Local Authority Register",
            OrgIdScheme::LocalAuthorityWales => "Principal Local Authority Register for Wales",
            OrgIdScheme::LocalAuthorityNi => "Local authorities for Northern Ireland register",
            OrgIdScheme::School => "Register of Schools (England and Wales)",
            OrgIdScheme::Nhs => "NHS Digital - Organisation Data Service",
            OrgIdScheme::Mutual => "Mutuals Public Register",
            OrgIdScheme::SocialHousing => "Registered Social Housing Providers (England)",
            OrgIdScheme::LearningProvider => "UK Register of Learning Providers",
        }
    }

    /// Whether the number is a charity number (published as
    /// `charityNumber` in 360Giving).
    #[must_use]
    pub const fn is_charity_register(self) -> bool {
        matches!(
            self,
            OrgIdScheme::CharityCommission | OrgIdScheme::Oscr | OrgIdScheme::CharityCommissionNi
        )
    }

    const fn number_noun(self) -> &'static str {
        match self {
            OrgIdScheme::CharityCommission => "a Charity Commission number",
            OrgIdScheme::CompaniesHouse => "a Companies House number",
            OrgIdScheme::Oscr => "a Scottish charity number",
            OrgIdScheme::CharityCommissionNi => "a Northern Ireland charity number",
            OrgIdScheme::GovernmentOrganisation => "a Government Organisation Register code",
            OrgIdScheme::LocalAuthorityEngland
            | OrgIdScheme::LocalAuthorityScotland
            | OrgIdScheme::LocalAuthorityWales
            | OrgIdScheme::LocalAuthorityNi => "a local authority register code",
            OrgIdScheme::School => "a school URN",
            OrgIdScheme::Nhs => "an NHS organisation code",
            OrgIdScheme::Mutual => "a Mutuals Public Register number",
            OrgIdScheme::SocialHousing => "a social housing provider number",
            OrgIdScheme::LearningProvider => "a UK provider reference number",
        }
    }

    const fn shape(self) -> &'static str {
        match self {
            OrgIdScheme::CharityCommission => "6 or 7 digits",
            OrgIdScheme::CompaniesHouse => "8 characters",
            OrgIdScheme::Oscr => "8 characters, SC and 6 digits",
            OrgIdScheme::CharityCommissionNi | OrgIdScheme::School => "6 digits",
            OrgIdScheme::GovernmentOrganisation => "2 to 8 characters",
            OrgIdScheme::LocalAuthorityEngland
            | OrgIdScheme::LocalAuthorityScotland
            | OrgIdScheme::LocalAuthorityWales
            | OrgIdScheme::LocalAuthorityNi => "3 or 4 letters",
            OrgIdScheme::Nhs => "3 to 6 characters",
            OrgIdScheme::Mutual => "1 to 12 characters",
            OrgIdScheme::SocialHousing => "1 to 8 characters",
            OrgIdScheme::LearningProvider => "8 digits",
        }
    }

    const fn characters(self) -> &'static str {
        match self {
            OrgIdScheme::CompaniesHouse | OrgIdScheme::Nhs => "only capital letters and digits",
            OrgIdScheme::Oscr => "SC followed by 6 digits",
            OrgIdScheme::CharityCommission
            | OrgIdScheme::CharityCommissionNi
            | OrgIdScheme::School => "only digits",
            OrgIdScheme::GovernmentOrganisation => "capital letters then digits",
            OrgIdScheme::LocalAuthorityEngland
            | OrgIdScheme::LocalAuthorityScotland
            | OrgIdScheme::LocalAuthorityWales
            | OrgIdScheme::LocalAuthorityNi => "only capital letters",
            OrgIdScheme::Mutual | OrgIdScheme::SocialHousing => {
                "digits, with capital letters allowed before and after them"
            }
            OrgIdScheme::LearningProvider => "8 digits starting with 1",
        }
    }

    const fn example(self) -> &'static str {
        match self {
            OrgIdScheme::CharityCommission => "GB-CHC-1234567",
            OrgIdScheme::CompaniesHouse => "GB-COH-01234567",
            OrgIdScheme::Oscr => "GB-SC-SC012345",
            OrgIdScheme::CharityCommissionNi => "GB-NIC-100002",
            OrgIdScheme::GovernmentOrganisation => "GB-GOR-PB188",
            OrgIdScheme::LocalAuthorityEngland => "GB-LAE-BIR",
            OrgIdScheme::LocalAuthorityScotland => "GB-LAS-GLG",
            OrgIdScheme::LocalAuthorityWales => "GB-PLA-CRF",
            OrgIdScheme::LocalAuthorityNi => "GB-LANI-BFS",
            OrgIdScheme::School => "GB-EDU-100000",
            OrgIdScheme::Nhs => "GB-NHS-RJ1",
            OrgIdScheme::Mutual => "GB-MPR-IP12345R",
            OrgIdScheme::SocialHousing => "GB-SHPE-L0001",
            OrgIdScheme::LearningProvider => "GB-UKPRN-10001234",
        }
    }

    /// A regular expression for the register's numbers, for the API
    /// document. It states the characters and their order; where the rule
    /// is on the total length of letters and digits together (GB-GOR,
    /// GB-MPR, GB-SHPE) [`OrgId::parse`] is stricter.
    #[must_use]
    pub const fn number_pattern(self) -> &'static str {
        match self {
            OrgIdScheme::CharityCommission => "[0-9]{6,7}",
            OrgIdScheme::CompaniesHouse => "[A-Z0-9]{8}",
            OrgIdScheme::Oscr => "SC[0-9]{6}",
            OrgIdScheme::CharityCommissionNi | OrgIdScheme::School => "[0-9]{6}",
            OrgIdScheme::GovernmentOrganisation => "[A-Z]{1,7}[0-9]{1,7}",
            OrgIdScheme::LocalAuthorityEngland
            | OrgIdScheme::LocalAuthorityScotland
            | OrgIdScheme::LocalAuthorityWales
            | OrgIdScheme::LocalAuthorityNi => "[A-Z]{3,4}",
            OrgIdScheme::Nhs => "[A-Z0-9]{3,6}",
            OrgIdScheme::Mutual | OrgIdScheme::SocialHousing => "[A-Z]*[0-9]+[A-Z]*",
            OrgIdScheme::LearningProvider => "1[0-9]{7}",
        }
    }

    fn length_ok(self, len: usize) -> bool {
        match self {
            OrgIdScheme::CharityCommission => matches!(len, 6 | 7),
            OrgIdScheme::CompaniesHouse | OrgIdScheme::Oscr | OrgIdScheme::LearningProvider => {
                len == 8
            }
            OrgIdScheme::CharityCommissionNi | OrgIdScheme::School => len == 6,
            OrgIdScheme::GovernmentOrganisation => (2..=8).contains(&len),
            OrgIdScheme::LocalAuthorityEngland
            | OrgIdScheme::LocalAuthorityScotland
            | OrgIdScheme::LocalAuthorityWales
            | OrgIdScheme::LocalAuthorityNi => matches!(len, 3 | 4),
            OrgIdScheme::Nhs => (3..=6).contains(&len),
            OrgIdScheme::Mutual => (1..=12).contains(&len),
            OrgIdScheme::SocialHousing => (1..=8).contains(&len),
        }
    }

    fn characters_ok(self, number: &str) -> bool {
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        let letters = |t: &str| t.bytes().all(|b| b.is_ascii_uppercase());
        // Optional capital letters, digits, optional capital letters.
        let letters_digits_letters = |t: &str| {
            let rest = t.trim_start_matches(|c: char| c.is_ascii_uppercase());
            let tail = rest.trim_start_matches(|c: char| c.is_ascii_digit());
            rest.len() > tail.len() && letters(tail)
        };
        match self {
            OrgIdScheme::CompaniesHouse | OrgIdScheme::Nhs => number
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
            OrgIdScheme::Oscr => number.strip_prefix("SC").is_some_and(digits),
            OrgIdScheme::CharityCommission
            | OrgIdScheme::CharityCommissionNi
            | OrgIdScheme::School => digits(number),
            OrgIdScheme::GovernmentOrganisation => {
                let rest = number.trim_start_matches(|c: char| c.is_ascii_uppercase());
                rest.len() < number.len() && digits(rest)
            }
            OrgIdScheme::LocalAuthorityEngland
            | OrgIdScheme::LocalAuthorityScotland
            | OrgIdScheme::LocalAuthorityWales
            | OrgIdScheme::LocalAuthorityNi => letters(number),
            OrgIdScheme::Mutual | OrgIdScheme::SocialHousing => letters_digits_letters(number),
            OrgIdScheme::LearningProvider => number.starts_with('1') && digits(number),
        }
    }

    /// Every prefix, for messages: `GB-CHC, GB-COH, …`.
    fn all_prefixes() -> String {
        OrgIdScheme::ALL
            .iter()
            .map(|s| s.prefix())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for OrgIdScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prefix())
    }
}

/// Why an organisation identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgIdError {
    /// Nothing was given.
    #[error("an organisation identifier is required, e.g. GB-CHC-1234567")]
    Empty,
    /// Not one of the supported registers.
    #[error(
        "\"{value}\" does not start with a supported register prefix; use one of {} (org-id.guide lists), e.g. GB-CHC-1234567 for a registered charity",
        OrgIdScheme::all_prefixes()
    )]
    UnknownPrefix {
        /// The text given.
        value: String,
    },
    /// The number part has the wrong length.
    #[error("{} has {}, e.g. {}; got {got}", .scheme.number_noun(), .scheme.shape(), .scheme.example())]
    WrongLength {
        /// The register.
        scheme: OrgIdScheme,
        /// Characters given after the prefix.
        got: usize,
    },
    /// The number part has the wrong characters.
    #[error("{} has {}, e.g. {}; got \"{number}\"", .scheme.number_noun(), .scheme.characters(), .scheme.example())]
    WrongCharacters {
        /// The register.
        scheme: OrgIdScheme,
        /// The number part given.
        number: String,
    },
}

/// A registered organisation's identifier, e.g. `GB-CHC-1234567`.
///
/// Surrounding whitespace and the case of the register prefix are forgiven;
/// everything else must be exact, because the identifier is published in
/// open data and must match the register.
///
/// ```
/// use grantledger_domain::org_id::{OrgId, OrgIdScheme};
///
/// let id = OrgId::parse(" gb-coh-01234567 ")?;
/// assert_eq!(id.as_str(), "GB-COH-01234567");
/// assert_eq!(id.scheme(), OrgIdScheme::CompaniesHouse);
///
/// let err = OrgId::parse("GB-COH-1234567").unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "a Companies House number has 8 characters, e.g. GB-COH-01234567; got 7"
/// );
/// # Ok::<(), grantledger_domain::org_id::OrgIdError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrgId {
    scheme: OrgIdScheme,
    value: String,
}

impl OrgId {
    /// Parses and normalises an identifier.
    ///
    /// # Errors
    /// An [`OrgIdError`] saying what the register's numbers look like.
    pub fn parse(s: &str) -> Result<OrgId, OrgIdError> {
        let t = s.trim();
        if t.is_empty() {
            return Err(OrgIdError::Empty);
        }
        let (scheme, number) = OrgIdScheme::ALL
            .into_iter()
            .find_map(|scheme| {
                strip_prefix_ignore_case(t, scheme.prefix())
                    .and_then(|rest| rest.strip_prefix('-'))
                    .map(|number| (scheme, number))
            })
            .ok_or_else(|| OrgIdError::UnknownPrefix {
                value: t.to_owned(),
            })?;
        // "SC" is fixed text inside OSCR numbers, so it gets the same case leniency as the prefix.
        let number = match scheme {
            OrgIdScheme::Oscr => match strip_prefix_ignore_case(number, "SC") {
                Some(digits) => format!("SC{digits}"),
                None => number.to_owned(),
            },
            _ => number.to_owned(),
        };
        let len = number.chars().count();
        if !scheme.length_ok(len) {
            return Err(OrgIdError::WrongLength { scheme, got: len });
        }
        if !scheme.characters_ok(&number) {
            return Err(OrgIdError::WrongCharacters { scheme, number });
        }
        Ok(OrgId {
            scheme,
            value: format!("{}-{number}", scheme.prefix()),
        })
    }

    /// The canonical identifier.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// The register it belongs to.
    #[must_use]
    pub fn scheme(&self) -> OrgIdScheme {
        self.scheme
    }

    /// The register's own number, e.g. `1234567` or `SC012345`.
    #[must_use]
    pub fn number(&self) -> &str {
        self.value
            .get(self.scheme.prefix().len() + 1..)
            .unwrap_or_default()
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s.get(prefix.len()..))
        .flatten()
}

impl fmt::Display for OrgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

impl FromStr for OrgId {
    type Err = OrgIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrgId::parse(s)
    }
}

serde_via_str!(
    OrgId,
    "an organisation identifier such as \"GB-CHC-1234567\""
);

/// The identifier to publish for a grant recipient: its org id when it has
/// one, otherwise the 360Giving fallback `360G-<publisher prefix>-<grantee id>`.
///
/// ```
/// use grantledger_domain::ids::GranteeId;
/// use grantledger_domain::org_id::{recipient_identifier, OrgId};
///
/// let grantee = GranteeId::new();
/// let charity = OrgId::parse("GB-CHC-1234567")?;
/// assert_eq!(recipient_identifier(Some(&charity), "gl", grantee), "GB-CHC-1234567");
/// assert_eq!(recipient_identifier(None, "gl", grantee), format!("360G-gl-{grantee}"));
/// # Ok::<(), grantledger_domain::org_id::OrgIdError>(())
/// ```
#[must_use]
pub fn recipient_identifier(
    org_id: Option<&OrgId>,
    publisher_prefix: &str,
    grantee: GranteeId,
) -> String {
    match org_id {
        Some(id) => id.as_str().to_owned(),
        None => format!("360G-{publisher_prefix}-{grantee}"),
    }
}

#[cfg(test)]
mod tests {
    /// The API document's pattern accepts every register's example and
    /// every identifier `parse` gives, and refuses malformed ones.
    #[test]
    fn the_documented_pattern_agrees_with_parse() {
        let pattern = {
            let schemes: Vec<String> = OrgIdScheme::ALL
                .iter()
                .map(|s| format!("{}-{}", s.prefix(), s.number_pattern()))
                .collect();
            regex::Regex::new(&format!("^({})$", schemes.join("|"))).unwrap()
        };
        for scheme in OrgIdScheme::ALL {
            let id = OrgId::parse(scheme.example()).unwrap();
            assert!(pattern.is_match(id.as_str()), "{}", id.as_str());
        }
        for bad in [
            "GB-CHC-12",
            "GB-COH-1234567",
            "GB-XYZ-1",
            "GB-LAE-B1R",
            "GB-UKPRN-20001234",
        ] {
            assert!(OrgId::parse(bad).is_err(), "{bad}");
            assert!(!pattern.is_match(bad), "{bad}");
        }
    }

    use super::*;

    #[test]
    fn valid_identifiers() {
        for (input, canonical, scheme) in [
            (
                "GB-CHC-123456",
                "GB-CHC-123456",
                OrgIdScheme::CharityCommission,
            ),
            (
                "GB-CHC-1234567",
                "GB-CHC-1234567",
                OrgIdScheme::CharityCommission,
            ),
            (
                "gb-chc-1234567",
                "GB-CHC-1234567",
                OrgIdScheme::CharityCommission,
            ),
            (
                "GB-COH-01234567",
                "GB-COH-01234567",
                OrgIdScheme::CompaniesHouse,
            ),
            (
                "GB-COH-SC123456",
                "GB-COH-SC123456",
                OrgIdScheme::CompaniesHouse,
            ),
            (
                "GB-COH-NI012345",
                "GB-COH-NI012345",
                OrgIdScheme::CompaniesHouse,
            ),
            (
                " Gb-Coh-00000001\n",
                "GB-COH-00000001",
                OrgIdScheme::CompaniesHouse,
            ),
            ("GB-SC-SC012345", "GB-SC-SC012345", OrgIdScheme::Oscr),
            ("gb-sc-sc012345", "GB-SC-SC012345", OrgIdScheme::Oscr),
            (
                "GB-NIC-100002",
                "GB-NIC-100002",
                OrgIdScheme::CharityCommissionNi,
            ),
        ] {
            let id = OrgId::parse(input).unwrap();
            assert_eq!((id.as_str(), id.scheme()), (canonical, scheme), "{input}");
            assert_eq!(id.to_string().parse::<OrgId>().unwrap(), id);
        }
        assert_eq!(OrgId::parse("GB-SC-SC012345").unwrap().number(), "SC012345");
    }

    #[test]
    fn invalid_identifiers() {
        use OrgIdScheme::*;
        for (input, err) in [
            ("", OrgIdError::Empty),
            ("  ", OrgIdError::Empty),
            (
                "US-EIN-123456789",
                OrgIdError::UnknownPrefix {
                    value: "US-EIN-123456789".into(),
                },
            ),
            (
                "GB-CHC1234567",
                OrgIdError::UnknownPrefix {
                    value: "GB-CHC1234567".into(),
                },
            ),
            (
                "1234567",
                OrgIdError::UnknownPrefix {
                    value: "1234567".into(),
                },
            ),
            (
                "GB-CHC-12345",
                OrgIdError::WrongLength {
                    scheme: CharityCommission,
                    got: 5,
                },
            ),
            (
                "GB-CHC-12345678",
                OrgIdError::WrongLength {
                    scheme: CharityCommission,
                    got: 8,
                },
            ),
            (
                "GB-CHC-12345A",
                OrgIdError::WrongCharacters {
                    scheme: CharityCommission,
                    number: "12345A".into(),
                },
            ),
            (
                "GB-CHC-1234 67",
                OrgIdError::WrongCharacters {
                    scheme: CharityCommission,
                    number: "1234 67".into(),
                },
            ),
            (
                "GB-COH-1234567",
                OrgIdError::WrongLength {
                    scheme: CompaniesHouse,
                    got: 7,
                },
            ),
            (
                "GB-COH-sc123456",
                OrgIdError::WrongCharacters {
                    scheme: CompaniesHouse,
                    number: "sc123456".into(),
                },
            ),
            (
                "GB-COH-0123456-",
                OrgIdError::WrongCharacters {
                    scheme: CompaniesHouse,
                    number: "0123456-".into(),
                },
            ),
            (
                "GB-SC-012345",
                OrgIdError::WrongLength {
                    scheme: Oscr,
                    got: 6,
                },
            ),
            (
                "GB-SC-SC01234A",
                OrgIdError::WrongCharacters {
                    scheme: Oscr,
                    number: "SC01234A".into(),
                },
            ),
            (
                "GB-SC-XX012345",
                OrgIdError::WrongCharacters {
                    scheme: Oscr,
                    number: "XX012345".into(),
                },
            ),
            (
                "GB-NIC-1000020",
                OrgIdError::WrongLength {
                    scheme: CharityCommissionNi,
                    got: 7,
                },
            ),
            (
                "GB-NIC-10000X",
                OrgIdError::WrongCharacters {
                    scheme: CharityCommissionNi,
                    number: "10000X".into(),
                },
            ),
            (
                "GB-COH-ÅÅÅÅÅÅÅÅ",
                OrgIdError::WrongCharacters {
                    scheme: CompaniesHouse,
                    number: "ÅÅÅÅÅÅÅÅ".into(),
                },
            ),
        ] {
            assert_eq!(OrgId::parse(input), Err(err), "{input:?}");
        }
    }

    #[test]
    fn messages_say_what_was_expected() {
        assert_eq!(
            OrgId::parse("GB-COH-1234567").unwrap_err().to_string(),
            "a Companies House number has 8 characters, e.g. GB-COH-01234567; got 7"
        );
        assert_eq!(
            OrgId::parse("GB-CHC-12A456").unwrap_err().to_string(),
            "a Charity Commission number has only digits, e.g. GB-CHC-1234567; got \"12A456\""
        );
        let unknown = OrgId::parse("XI-ABC-1").unwrap_err().to_string();
        for prefix in [
            "GB-CHC", "GB-COH", "GB-SC", "GB-NIC", "GB-GOR", "GB-LAE", "GB-EDU",
        ] {
            assert!(unknown.contains(prefix), "{unknown}");
        }
    }

    #[test]
    fn the_schemes_uk_funders_and_public_bodies_use() {
        use OrgIdScheme::*;
        for (input, canonical, scheme) in [
            ("GB-GOR-D5", "GB-GOR-D5", GovernmentOrganisation),
            ("gb-gor-PB188", "GB-GOR-PB188", GovernmentOrganisation),
            ("GB-GOR-EA12", "GB-GOR-EA12", GovernmentOrganisation),
            ("GB-LAE-BIR", "GB-LAE-BIR", LocalAuthorityEngland),
            ("GB-LAS-GLG", "GB-LAS-GLG", LocalAuthorityScotland),
            ("GB-PLA-CRF", "GB-PLA-CRF", LocalAuthorityWales),
            ("GB-LANI-BFS", "GB-LANI-BFS", LocalAuthorityNi),
            ("GB-EDU-100000", "GB-EDU-100000", School),
            ("GB-NHS-RJ1", "GB-NHS-RJ1", Nhs),
            ("GB-NHS-E85001", "GB-NHS-E85001", Nhs),
            ("GB-MPR-IP12345R", "GB-MPR-IP12345R", Mutual),
            ("GB-MPR-2719R", "GB-MPR-2719R", Mutual),
            ("GB-MPR-7612", "GB-MPR-7612", Mutual),
            ("GB-SHPE-L0001", "GB-SHPE-L0001", SocialHousing),
            ("GB-UKPRN-10001234", "GB-UKPRN-10001234", LearningProvider),
        ] {
            let id = OrgId::parse(input).unwrap();
            assert_eq!((id.as_str(), id.scheme()), (canonical, scheme), "{input}");
            assert!(!scheme.is_charity_register());
        }
        for bad in [
            "GB-GOR-5",
            "GB-GOR-D",
            "GB-GOR-D5X",
            "GB-GOR-d5",
            "GB-LAE-B1R",
            "GB-LAE-BIRMINGHAM",
            "GB-EDU-10000",
            "GB-EDU-10000A",
            "GB-NHS-R",
            "GB-NHS-rj1",
            "GB-MPR-IPR",
            "GB-MPR-12-34",
            "GB-UKPRN-20001234",
            "GB-UKPRN-1000123",
            "GB-SCOTEDU-1234567",
            "GB-GOV-1",
        ] {
            assert!(OrgId::parse(bad).is_err(), "{bad} was accepted");
        }
        assert_eq!(
            OrgId::parse("GB-GOR-5").unwrap_err().to_string(),
            "a Government Organisation Register code has 2 to 8 characters, e.g. GB-GOR-PB188; got 1"
        );
        assert!(CharityCommission.is_charity_register() && !CompaniesHouse.is_charity_register());
    }

    #[test]
    fn serde_and_schemes() {
        let id = OrgId::parse("GB-NIC-100002").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"GB-NIC-100002\"");
        assert_eq!(
            serde_json::from_str::<OrgId>("\"gb-nic-100002\"").unwrap(),
            id
        );
        assert!(serde_json::from_str::<OrgId>("\"GB-NIC-1\"").is_err());
        assert_eq!(OrgIdScheme::Oscr.prefix(), "GB-SC");
        assert_eq!(
            OrgIdScheme::CompaniesHouse.register_name(),
            "Companies House"
        );
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = OrgId::parse(&s);
        }
    }
}
