//! The ONS recommended adult loneliness measures (GSS harmonised standard)
//! and one anonymous survey response.

use core::fmt;

use serde::{Deserialize, Serialize};

string_enum! {
    /// When a survey was answered: before the activity or after it.
    pub enum Stage("survey stage") {
        /// Before taking part (or at the start).
        Baseline = "baseline", "Baseline";
        /// After taking part for a while.
        FollowUp = "follow_up", "Follow-up";
    }
}

string_enum! {
    /// The ONS direct question: "How often do you feel lonely?"
    pub enum DirectAnswer("answer to \"How often do you feel lonely?\"") {
        /// Often/always: the headline measure of chronic loneliness.
        OftenAlways = "often_always", "Often/always";
        /// Some of the time.
        SomeOfTheTime = "some_of_the_time", "Some of the time";
        /// Occasionally.
        Occasionally = "occasionally", "Occasionally";
        /// Hardly ever.
        HardlyEver = "hardly_ever", "Hardly ever";
        /// Never.
        Never = "never", "Never";
    }
}

string_enum! {
    /// An answer to one of the three UCLA items ("How often do you feel that
    /// you lack companionship / feel left out / feel isolated from others?").
    pub enum UclaAnswer("UCLA item answer") {
        /// Hardly ever or never: scores 1.
        HardlyEverOrNever = "hardly_ever_or_never", "Hardly ever or never";
        /// Some of the time: scores 2.
        SomeOfTheTime = "some_of_the_time", "Some of the time";
        /// Often: scores 3.
        Often = "often", "Often";
    }
}

impl UclaAnswer {
    /// The item's score: hardly ever or never 1, some of the time 2, often 3.
    #[must_use]
    pub const fn score(self) -> u8 {
        match self {
            UclaAnswer::HardlyEverOrNever => 1,
            UclaAnswer::SomeOfTheTime => 2,
            UclaAnswer::Often => 3,
        }
    }
}

/// Why a participant code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParticipantCodeError {
    /// Empty or only spaces.
    #[error("must not be empty; leave the code out if there is none")]
    Empty,
    /// Longer than [`ParticipantCode::MAX_CHARS`].
    #[error("must be at most 32 characters; got {0}")]
    TooLong(usize),
    /// Contains an `@`.
    #[error(
        "looks like an email address; use a pseudonymous code such as P-0042, never personal data"
    )]
    LooksLikeEmail,
    /// Matches the UK National Insurance number pattern.
    #[error(
        "looks like a National Insurance number; use a pseudonymous code such as P-0042, never personal data"
    )]
    LooksLikeNiNumber,
    /// A long run of digits, like a telephone number.
    #[error(
        "looks like a telephone number; use a pseudonymous code such as P-0042, never personal data"
    )]
    LooksLikePhoneNumber,
    /// A character other than letters, digits, `-` and `_`.
    #[error("may contain only letters, digits, - and _")]
    BadCharacter,
}

/// A pseudonymous participant code that pairs a baseline response with the
/// same person's follow-up: short, `[A-Za-z0-9_-]`, and refused when it looks
/// like personal data (an email address, a National Insurance number or a
/// telephone number).
///
/// ```
/// use grantledger_domain::evaluation::ParticipantCode;
///
/// assert_eq!(ParticipantCode::parse(" P-0042 ")?.as_str(), "P-0042");
/// assert!(ParticipantCode::parse("jo@example.org").is_err());
/// assert!(ParticipantCode::parse("QQ 12 34 56 C").is_err());
/// assert!(ParticipantCode::parse("07700 900123").is_err());
/// # Ok::<(), grantledger_domain::evaluation::ParticipantCodeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ParticipantCode(String);

/// The longest run of digits a code may hold once spaces, hyphens and
/// brackets are ignored; UK telephone numbers have 10 or 11.
const MAX_DIGIT_RUN: usize = 9;

impl ParticipantCode {
    /// The most characters allowed.
    pub const MAX_CHARS: usize = 32;

    /// Trims and checks a code.
    ///
    /// # Errors
    /// A [`ParticipantCodeError`] saying what is wrong.
    pub fn parse(s: &str) -> Result<ParticipantCode, ParticipantCodeError> {
        let t = s.trim();
        if t.is_empty() {
            return Err(ParticipantCodeError::Empty);
        }
        // Personal data first: the most useful message for what was typed.
        if t.contains('@') {
            return Err(ParticipantCodeError::LooksLikeEmail);
        }
        let compact: String = t
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.' | '+'))
            .collect();
        if looks_like_ni_number(&compact) {
            return Err(ParticipantCodeError::LooksLikeNiNumber);
        }
        if longest_digit_run(&compact) > MAX_DIGIT_RUN || t.starts_with('+') {
            return Err(ParticipantCodeError::LooksLikePhoneNumber);
        }
        let chars = t.chars().count();
        if chars > Self::MAX_CHARS {
            return Err(ParticipantCodeError::TooLong(chars));
        }
        if !t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(ParticipantCodeError::BadCharacter);
        }
        Ok(ParticipantCode(t.to_owned()))
    }

    /// The code.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Two letters, six digits and an optional suffix letter A–D: the National
/// Insurance number shape (checked case-insensitively, spaces ignored).
fn looks_like_ni_number(compact: &str) -> bool {
    let b = compact.as_bytes();
    let prefix_ok = |bytes: &[u8]| {
        bytes.len() >= 8
            && bytes.iter().take(2).all(u8::is_ascii_alphabetic)
            && bytes.iter().skip(2).take(6).all(u8::is_ascii_digit)
    };
    match b.len() {
        8 => prefix_ok(b),
        9 => {
            prefix_ok(b)
                && b.last()
                    .is_some_and(|c| matches!(c, b'A'..=b'D' | b'a'..=b'd'))
        }
        _ => false,
    }
}

fn longest_digit_run(s: &str) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        if c.is_ascii_digit() {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    longest
}

impl fmt::Display for ParticipantCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl core::str::FromStr for ParticipantCode {
    type Err = ParticipantCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ParticipantCode::parse(s)
    }
}

serde_via_str!(ParticipantCode, "a pseudonymous participant code");

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for ParticipantCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[A-Za-z0-9_-]{1,32}$"))
            .description(Some(
                "A pseudonymous participant code pairing baseline with follow-up; never a name, email, NI or phone number.",
            ))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for ParticipantCode {}

/// One anonymous survey response. Any answer may be missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SurveyResponse {
    /// Baseline or follow-up.
    pub stage: Stage,
    /// Pairs this response with the same participant's other stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_code: Option<ParticipantCode>,
    /// "How often do you feel lonely?"
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direct: Option<DirectAnswer>,
    /// "How often do you feel that you lack companionship?"
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lack_companionship: Option<UclaAnswer>,
    /// "How often do you feel left out?"
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_out: Option<UclaAnswer>,
    /// "How often do you feel isolated from others?"
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isolated: Option<UclaAnswer>,
}

impl SurveyResponse {
    /// The UCLA 3-item score, 3 (least lonely) to 9 (most), only where all
    /// three items were answered.
    ///
    /// ```
    /// use grantledger_domain::evaluation::{Stage, SurveyResponse, UclaAnswer};
    ///
    /// let mut r = SurveyResponse {
    ///     stage: Stage::Baseline,
    ///     participant_code: None,
    ///     direct: None,
    ///     lack_companionship: Some(UclaAnswer::Often),
    ///     left_out: Some(UclaAnswer::SomeOfTheTime),
    ///     isolated: Some(UclaAnswer::HardlyEverOrNever),
    /// };
    /// assert_eq!(r.ucla_score(), Some(6));
    /// r.isolated = None;
    /// assert_eq!(r.ucla_score(), None);
    /// ```
    #[must_use]
    pub fn ucla_score(&self) -> Option<u8> {
        Some(self.lack_companionship?.score() + self.left_out?.score() + self.isolated?.score())
    }
}
