//! People who sign in, and what their role lets them be.

use crate::ids::{GranteeId, UserId};

string_enum! {
    /// What a user is to the fund. Authorization is decided from the role
    /// (and, for grantees, the organisation they act for).
    pub enum Role ("role") {
        /// Sets up funds and rounds, registers grantees, decides and pays.
        Admin = "admin", "Fund administrator";
        /// Scores applications.
        Assessor = "assessor", "Assessor";
        /// Acts for one grantee organisation: applies, accepts, reports.
        Grantee = "grantee", "Grantee";
        /// Reads everything, writes nothing; reconciles and verifies.
        Auditor = "auditor", "Auditor";
    }
}

impl Role {
    /// Whether people in this role may read staff-only texts such as a
    /// decision's internal note. Only a grantee may not: the note is about
    /// their own application.
    ///
    /// ```
    /// use grantledger_domain::user::Role;
    /// assert!(Role::Auditor.sees_internal_notes());
    /// assert!(!Role::Grantee.sees_internal_notes());
    /// ```
    #[must_use]
    pub const fn sees_internal_notes(self) -> bool {
        !matches!(self, Role::Grantee)
    }

    /// Whether people in this role may read an application's mean
    /// assessment score, and sort or filter a round's applications by it.
    /// Not a grantee, and not an assessor: a mean could reveal other
    /// assessors' scores on an application the assessor is conflicted on.
    ///
    /// ```
    /// use grantledger_domain::user::Role;
    /// assert!(Role::Admin.sees_mean_scores());
    /// assert!(!Role::Assessor.sees_mean_scores());
    /// ```
    #[must_use]
    pub const fn sees_mean_scores(self) -> bool {
        matches!(self, Role::Admin | Role::Auditor)
    }
}

/// A person who can sign in. The password hash is not part of the domain
/// value: it never leaves the store except to be verified.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct User {
    /// The user's id.
    pub id: UserId,
    /// Their sign-in address.
    pub email: Email,
    /// What they may do.
    pub role: Role,
    /// For grantee users, the organisation they act for.
    pub grantee_id: Option<GranteeId>,
    /// A disabled user cannot sign in.
    pub disabled: bool,
    /// For grantee users, whether they may invite and remove colleagues of
    /// their organisation (the first user of an organisation is its owner).
    pub owner: bool,
    /// How many times their credentials changed (a new password, disabled,
    /// "sign out everywhere"). Every API token carries the count it was
    /// issued at and stops working once the count moves on.
    pub credentials_version: i64,
}

impl User {
    /// Whether a credential issued for `role` and `grantee` still speaks
    /// for this user: they are enabled and still have that role and
    /// organisation. A token outlives changes to its user, so it is
    /// checked against the user on every request.
    ///
    /// ```
    /// use grantledger_domain::ids::UserId;
    /// use grantledger_domain::user::{Email, Role, User};
    /// let mut user = User::new(UserId::new(), Email::parse("a@example.org").unwrap(), Role::Admin, None).unwrap();
    /// assert!(user.still_holds(Role::Admin, None));
    /// assert!(!user.still_holds(Role::Auditor, None));
    /// user.disabled = true;
    /// assert!(!user.still_holds(Role::Admin, None));
    /// ```
    #[must_use]
    pub fn still_holds(&self, role: Role, grantee: Option<GranteeId>) -> bool {
        !self.disabled && self.role == role && self.grantee_id == grantee
    }

    /// A new, enabled user whose role and organisation agree.
    ///
    /// # Errors
    /// [`UserError::GranteeRequired`] or [`UserError::GranteeNotAllowed`].
    pub fn new(
        id: UserId,
        email: Email,
        role: Role,
        grantee_id: Option<GranteeId>,
    ) -> Result<User, UserError> {
        check_binding(role, grantee_id)?;
        Ok(User {
            id,
            email,
            role,
            grantee_id,
            disabled: false,
            owner: false,
            credentials_version: 0,
        })
    }

    /// Whether this user may invite and remove users of `grantee`: an
    /// enabled owner acting for that organisation.
    ///
    /// ```
    /// use grantledger_domain::ids::{GranteeId, UserId};
    /// use grantledger_domain::user::{Email, Role, User};
    /// let g = GranteeId::new();
    /// let mut user = User::new(UserId::new(), Email::parse("a@example.org").unwrap(), Role::Grantee, Some(g)).unwrap();
    /// assert!(!user.manages_colleagues_of(g));
    /// user.owner = true;
    /// assert!(user.manages_colleagues_of(g));
    /// assert!(!user.manages_colleagues_of(GranteeId::new()));
    /// ```
    #[must_use]
    pub fn manages_colleagues_of(&self, grantee: GranteeId) -> bool {
        !self.disabled
            && self.owner
            && self.role == Role::Grantee
            && self.grantee_id == Some(grantee)
    }
}

string_enum! {
    /// What a single-use account link is for.
    pub enum LinkPurpose ("link purpose") {
        /// Sets the first password of an invited user.
        Invitation = "invitation", "Invitation";
        /// Sets a new password for a user who forgot theirs.
        PasswordReset = "password_reset", "Password reset";
    }
}

impl LinkPurpose {
    /// How long a link made now stays usable: an invitation 7 days, a
    /// password reset 1 hour.
    #[must_use]
    pub fn lifetime(self) -> chrono::TimeDelta {
        match self {
            LinkPurpose::Invitation => chrono::TimeDelta::days(7),
            LinkPurpose::PasswordReset => chrono::TimeDelta::hours(1),
        }
    }
}

/// Why a single-use account link cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkRefused {
    /// No link has this token (mistyped, or never issued).
    #[error("this link is not valid")]
    Unknown,
    /// The link was used already.
    #[error("this link has already been used")]
    Used,
    /// The link is past its expiry time.
    #[error("this link has expired")]
    Expired,
}

/// Whether a link that expires at `expires_at` and was used at `used_at`
/// (if ever) may be used at `now`.
///
/// ```
/// use chrono::{TimeDelta, Utc};
/// use grantledger_domain::user::{LinkRefused, check_link};
/// let now = Utc::now();
/// assert_eq!(check_link(now + TimeDelta::hours(1), None, now), Ok(()));
/// assert_eq!(check_link(now - TimeDelta::seconds(1), None, now), Err(LinkRefused::Expired));
/// assert_eq!(check_link(now + TimeDelta::hours(1), Some(now), now), Err(LinkRefused::Used));
/// ```
pub fn check_link(
    expires_at: chrono::DateTime<chrono::Utc>,
    used_at: Option<chrono::DateTime<chrono::Utc>>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), LinkRefused> {
    if used_at.is_some() {
        Err(LinkRefused::Used)
    } else if now >= expires_at {
        Err(LinkRefused::Expired)
    } else {
        Ok(())
    }
}

/// Why a user account cannot be made as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    /// The email address is not of the form `name@domain`.
    #[error("\"{0}\" is not an email address")]
    InvalidEmail(String),
    /// A grantee user must name the organisation it acts for.
    #[error("a grantee user must be bound to a grantee organisation")]
    GranteeRequired,
    /// Only grantee users act for an organisation.
    #[error("only grantee users can be bound to a grantee organisation")]
    GranteeNotAllowed,
    /// The password is too short or too long.
    #[error("a password must be between {min} and {max} characters")]
    PasswordLength {
        /// Fewest characters.
        min: usize,
        /// Most characters.
        max: usize,
    },
    /// The password is one of the most used (or one character repeated):
    /// the first an attacker tries.
    #[error("this password is too common: choose one that others are unlikely to use")]
    PasswordCommon,
    /// A password given at sign-in is longer than any password can be.
    #[error("a password has at most {max} characters")]
    PasswordTooLong {
        /// Most characters.
        max: usize,
    },
}

/// An email address, trimmed and lower-cased so that one person has one
/// account whatever case they type.
///
/// ```
/// use grantledger_domain::user::Email;
/// let email = Email::parse("  Admin@Example.ORG ").unwrap();
/// assert_eq!(email.as_str(), "admin@example.org");
/// assert!(Email::parse("not-an-address").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Parses and normalises an address. Deliberately simple: one `@`, a
    /// non-empty local part, a domain with a dot, no spaces, at most 254
    /// characters. Deliverability is not this type's concern.
    pub fn parse(input: &str) -> Result<Email, UserError> {
        let value = input.trim().to_lowercase();
        let valid = value.len() <= 254
            && !value.chars().any(|c| c.is_whitespace() || c.is_control())
            && match value.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                }
                None => false,
            };
        if valid {
            Ok(Email(value))
        } else {
            Err(UserError::InvalidEmail(input.to_owned()))
        }
    }

    /// The normalised address.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl core::fmt::Display for Email {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Fewest characters in a password.
pub const PASSWORD_MIN_CHARS: usize = 12;
/// Most characters in a password (bounds hashing work an attacker can cause).
pub const PASSWORD_MAX_CHARS: usize = 1024;

/// Checks a new password: its length, and that it is not one of the most
/// used passwords (`data/common_passwords.txt`, compared ignoring case,
/// spaces around it and spaces within it) nor one character repeated.
/// Strength beyond that is left to the organisation's policy and a
/// password manager.
///
/// ```
/// use grantledger_domain::user::{UserError, check_password};
/// assert_eq!(check_password("Password1234"), Err(UserError::PasswordCommon));
/// assert_eq!(check_password("aaaaaaaaaaaaa"), Err(UserError::PasswordCommon));
/// assert!(check_password("tea urn in the village hall").is_ok());
/// ```
pub fn check_password(password: &str) -> Result<(), UserError> {
    let n = password.chars().count();
    if !(PASSWORD_MIN_CHARS..=PASSWORD_MAX_CHARS).contains(&n) {
        return Err(UserError::PasswordLength {
            min: PASSWORD_MIN_CHARS,
            max: PASSWORD_MAX_CHARS,
        });
    }
    if is_common_password(password) {
        return Err(UserError::PasswordCommon);
    }
    Ok(())
}

/// The bundled list of common passwords (see the file's header).
const COMMON_PASSWORDS: &str = include_str!("../data/common_passwords.txt");

/// Whether `password` is on the bundled list of common passwords, or one
/// character repeated.
#[must_use]
pub fn is_common_password(password: &str) -> bool {
    let folded: String = password
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    let mut chars = folded.chars();
    let repeated = chars.next().is_some_and(|first| chars.all(|c| c == first));
    repeated
        || COMMON_PASSWORDS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .any(|l| l == folded)
}

/// Checks a password typed at sign-in. One longer than any password can be
/// is refused before it is hashed: hashing work grows with its length, and
/// no account could match it. Shorter ones are not refused, so that a
/// password set before the minimum was raised still signs in.
///
/// ```
/// use grantledger_domain::user::{PASSWORD_MAX_CHARS, check_sign_in_password};
/// assert!(check_sign_in_password("short").is_ok());
/// assert!(check_sign_in_password(&"x".repeat(PASSWORD_MAX_CHARS + 1)).is_err());
/// ```
pub fn check_sign_in_password(password: &str) -> Result<(), UserError> {
    // Bytes first: a megabyte-long string is refused without counting it.
    let too_long = password.len() > PASSWORD_MAX_CHARS.saturating_mul(4)
        || password.chars().count() > PASSWORD_MAX_CHARS;
    if too_long {
        Err(UserError::PasswordTooLong {
            max: PASSWORD_MAX_CHARS,
        })
    } else {
        Ok(())
    }
}

/// Checks that the role and the grantee binding agree: a grantee user acts
/// for exactly one organisation, nobody else acts for one.
pub fn check_binding(role: Role, grantee: Option<GranteeId>) -> Result<(), UserError> {
    match (role, grantee) {
        (Role::Grantee, None) => Err(UserError::GranteeRequired),
        (Role::Grantee, Some(_)) => Ok(()),
        (_, Some(_)) => Err(UserError::GranteeNotAllowed),
        (_, None) => Ok(()),
    }
}

/// How long a signed-in portal session may go unused before it ends: 30
/// minutes, as the National Cyber Security Centre suggests for services
/// holding personal data.
pub const SESSION_IDLE_TIMEOUT: chrono::TimeDelta = chrono::TimeDelta::minutes(30);

/// Whether a session last used at `last_seen` has been idle too long at `now`.
///
/// ```
/// use chrono::{TimeDelta, Utc};
/// use grantledger_domain::user::session_is_idle;
///
/// let now = Utc::now();
/// assert!(!session_is_idle(now - TimeDelta::minutes(29), now));
/// assert!(session_is_idle(now - TimeDelta::minutes(31), now));
/// ```
#[must_use]
pub fn session_is_idle(
    last_seen: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    now - last_seen > SESSION_IDLE_TIMEOUT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_wire_names() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("superuser".parse::<Role>().is_err());
    }

    #[test]
    fn only_grantee_users_are_bound_to_an_organisation() {
        let g = GranteeId::new();
        assert_eq!(check_binding(Role::Grantee, Some(g)), Ok(()));
        assert_eq!(
            check_binding(Role::Grantee, None),
            Err(UserError::GranteeRequired)
        );
        for role in [Role::Admin, Role::Assessor, Role::Auditor] {
            assert_eq!(check_binding(role, None), Ok(()));
            assert_eq!(
                check_binding(role, Some(g)),
                Err(UserError::GranteeNotAllowed)
            );
        }
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case_or_spacing() {
        for common in [
            "qwerty123456",
            "QWERTY123456",
            " Password 1234 ",
            "111111111111",
        ] {
            assert_eq!(
                check_password(common),
                Err(UserError::PasswordCommon),
                "{common}"
            );
        }
        assert!(check_password("a quiet walk by the canal").is_ok());
    }

    #[test]
    fn passwords_have_bounded_length() {
        assert!(check_password("short").is_err());
        assert!(check_password("correct horse battery").is_ok());
        assert!(check_password(&"x".repeat(PASSWORD_MAX_CHARS + 1)).is_err());
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert!(Email::parse("a@b.co").is_ok());
        for bad in [
            "", "a", "@b.co", "a@b", "a@@b.co", "a b@c.de", "a@.co", "a@co.",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be rejected");
        }
    }
}
