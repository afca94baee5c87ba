//! Accounts people manage themselves (issue 18): invitations, single-use
//! links that set a password, password resets and changes, and "sign out
//! everywhere". Every change, its email (in the outbox) and its audit event
//! are written in the one transaction the caller passes in.

use chrono::{DateTime, Utc};
use grantledger_domain::ids::{GranteeId, UserId};
use grantledger_domain::user::{
    Email, LinkPurpose, LinkRefused, Role, User, check_binding, check_link,
};
use grantledger_store::common::{Actor, Record};
use grantledger_store::{AnyConnection, grantees, user_tokens, users};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::auth::principal::Principal;
use crate::error::ApiError;
use crate::http::Fields;
use crate::operations::notices::{self, Notices};

/// A new single-use token: 32 random bytes, base64url without padding.
#[must_use]
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64url(&bytes)
}

/// What the database keeps of a token: its SHA-256, hex.
#[must_use]
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 2);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            let index = usize::try_from((n >> (18 - 6 * i)) & 63).unwrap_or(0);
            if let Some(c) = ALPHABET.get(index) {
                out.push(char::from(*c));
            }
        }
    }
    out
}

/// Makes a link for `user` and puts its email in the outbox; returns the
/// link. Call inside the transaction that makes or finds the user.
///
/// # Errors
/// Database errors.
pub fn issue_link(
    c: &mut AnyConnection,
    notices: &Notices,
    user: &User,
    purpose: LinkPurpose,
    organisation: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String, ApiError> {
    let token = new_token();
    user_tokens::create(
        c,
        user.id,
        purpose,
        &token_hash(&token),
        now + purpose.lifetime(),
        now,
    )?;
    notices::account_link(c, notices, &user.email, purpose, &token, organisation, now)
}

/// Whom to invite.
#[derive(Debug, Clone)]
pub struct Invitation {
    /// Their address, as typed.
    pub email: String,
    /// Their role.
    pub role: Role,
    /// For grantee users, their organisation.
    pub grantee_id: Option<GranteeId>,
}

/// An invited user and the link their email carries.
#[derive(Debug, Clone)]
pub struct Invited {
    /// The new user, with no usable password yet.
    pub user: Record<User>,
    /// `{portal_url}/set-password/{token}`.
    pub link: String,
}

/// Whether `principal` may invite or remove users of `grantee`: an
/// administrator may; a grantee user only as their organisation's owner,
/// and only for their own organisation (another one answers 404, as if it
/// did not exist).
fn check_may_manage(
    c: &mut AnyConnection,
    principal: &Principal,
    role: Role,
    grantee: Option<GranteeId>,
) -> Result<(), ApiError> {
    match principal.role {
        Role::Admin => Ok(()),
        Role::Grantee => {
            let me = users::get(c, principal.user_id)?.value;
            let own = me
                .grantee_id
                .filter(|_| me.owner && !me.disabled)
                .ok_or_else(|| {
                    ApiError::Forbidden(
                        "only your organisation's owner can invite or remove its users".into(),
                    )
                })?;
            if role != Role::Grantee {
                return Err(ApiError::Forbidden(
                    "you can invite only colleagues of your own organisation".into(),
                ));
            }
            if grantee.is_some_and(|g| g != own) {
                return Err(ApiError::NotFound { entity: "grantee" });
            }
            Ok(())
        }
        Role::Assessor | Role::Auditor => Err(ApiError::Forbidden(format!(
            "your role ({}) cannot invite or remove users",
            principal.role
        ))),
    }
}

/// Invites someone: makes their account with no usable password and
/// emails them a link, valid 7 days, to choose one. An administrator may
/// invite anyone; an organisation's owner, colleagues of their own
/// organisation (the grantee defaults to theirs). The first user of an
/// organisation becomes its owner.
///
/// # Errors
/// 403 or 404 as [`check_may_manage`] says; 422 for an invalid address or
/// role binding; 409 when the address has an account.
pub fn invite(
    c: &mut AnyConnection,
    notices: &Notices,
    principal: &Principal,
    invitation: &Invitation,
    now: DateTime<Utc>,
) -> Result<Invited, ApiError> {
    let grantee_id = match (principal.role, invitation.role) {
        (Role::Grantee, Role::Grantee) => invitation.grantee_id.or(principal.grantee_id),
        _ => invitation.grantee_id,
    };
    check_may_manage(c, principal, invitation.role, grantee_id)?;
    let mut fields = Fields::default();
    let email = fields.take("email", Email::parse(&invitation.email));
    fields.take("grantee_id", check_binding(invitation.role, grantee_id));
    let Some(email) = email.filter(|_| fields.is_ok()) else {
        return Err(fields.error());
    };
    let mut user = User::new(UserId::new(), email, invitation.role, grantee_id)
        .map_err(|e| ApiError::invalid("grantee_id", e.to_string()))?;
    let organisation = match grantee_id {
        Some(g) => {
            let grantee = grantees::get(c, g)
                .map_err(|_| ApiError::invalid("grantee_id", format!("no grantee has id {g}")))?;
            user.owner = users::enabled_of_grantee(c, g)?.is_empty();
            Some(grantee.value.name.to_string())
        }
        None => None,
    };
    let actor = principal.actor();
    let record = users::create(c, &user, users::NO_PASSWORD, &actor, now)?;
    users::record_event(c, &actor, "user.invited", &record.value, now)?;
    let link = issue_link(
        c,
        notices,
        &record.value,
        LinkPurpose::Invitation,
        organisation.as_deref(),
        now,
    )?;
    Ok(Invited { user: record, link })
}

/// Removes a colleague from the owner's organisation: the account is
/// disabled (its history stays), its sessions and tokens end at once.
///
/// # Errors
/// 403 unless the caller is an owner; 404 for a user of another
/// organisation; 409 for themselves.
pub fn remove_colleague(
    c: &mut AnyConnection,
    principal: &Principal,
    id: UserId,
    now: DateTime<Utc>,
) -> Result<Record<User>, ApiError> {
    let before = users::get(c, id)?;
    if principal.role != Role::Grantee {
        return Err(ApiError::Forbidden(
            "administrators disable users from the users list".into(),
        ));
    }
    check_may_manage(c, principal, Role::Grantee, None)?;
    if before.value.grantee_id != principal.grantee_id {
        return Err(ApiError::NotFound { entity: "user" });
    }
    if id == principal.user_id {
        return Err(ApiError::conflict("you cannot remove yourself"));
    }
    let after = User {
        disabled: true,
        ..before.value.clone()
    };
    let actor = principal.actor();
    let saved = users::save(c, &before, &after, None, &actor, now)?;
    users::record_event(c, &actor, "user.removed", &saved.value, now)?;
    Ok(saved)
}

/// The link whose token this is, if it may be used now, with the user it
/// opens.
///
/// # Errors
/// Database errors; a link that may not be used is the inner `Err`.
pub fn find_link(
    c: &mut AnyConnection,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Result<(user_tokens::UserToken, User), LinkRefused>, ApiError> {
    let Some(link) = user_tokens::find(c, &token_hash(token))? else {
        return Ok(Err(LinkRefused::Unknown));
    };
    if let Err(refused) = check_link(link.expires_at, link.used_at, now) {
        return Ok(Err(refused));
    }
    let user = users::get(c, link.user_id)?.value;
    // A removed (disabled) user's old link opens nothing.
    if user.disabled {
        return Ok(Err(LinkRefused::Unknown));
    }
    Ok(Ok((link, user)))
}

/// Uses a link: sets the password (`hash`, already checked and hashed),
/// marks the link and every other unused link of the user used, and ends
/// the user's sessions and tokens. Returns the user, to sign them in.
///
/// # Errors
/// Database errors; a link that may not be used is the inner `Err`.
pub fn use_link(
    c: &mut AnyConnection,
    token: &str,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<Result<User, LinkRefused>, ApiError> {
    let (link, user) = match find_link(c, token, now)? {
        Ok(found) => found,
        Err(refused) => return Ok(Err(refused)),
    };
    if !user_tokens::mark_used(c, link.id, now)? {
        return Ok(Err(LinkRefused::Used));
    }
    user_tokens::retire(c, user.id, now)?;
    let actor = Actor::user(user.id, format!("{}:{}", user.role, user.id));
    let before = users::get(c, user.id)?;
    let saved = users::save(c, &before, &before.value, Some(hash), &actor, now)?;
    let action = match link.purpose {
        LinkPurpose::Invitation => "user.invitation_accepted",
        LinkPurpose::PasswordReset => "user.password_reset",
    };
    users::record_event(c, &actor, action, &saved.value, now)?;
    Ok(Ok(saved.value))
}

/// Asks for a password reset: when an enabled user has this address, a
/// link valid 1 hour is emailed to it. The answer is the same either way,
/// so it tells nobody whether the address has an account.
///
/// # Errors
/// 422 when the address is not an address at all; database errors.
pub fn request_reset(
    c: &mut AnyConnection,
    notices: &Notices,
    email: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let email = Email::parse(email).map_err(|e| ApiError::invalid("email", e.to_string()))?;
    let Some((user, _)) = users::find_for_login(c, &email)? else {
        return Ok(());
    };
    if user.value.disabled {
        return Ok(());
    }
    let actor = Actor::system("password reset");
    users::record_event(c, &actor, "user.password_reset_requested", &user.value, now)?;
    issue_link(
        c,
        notices,
        &user.value,
        LinkPurpose::PasswordReset,
        None,
        now,
    )?;
    Ok(())
}

/// Sets the caller's own password (the current one already checked, the
/// new one checked and hashed): every session and token they hold ends.
///
/// # Errors
/// Database errors.
pub fn change_own_password(
    c: &mut AnyConnection,
    principal: &Principal,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<Record<User>, ApiError> {
    let before = users::get(c, principal.user_id)?;
    user_tokens::retire(c, principal.user_id, now)?;
    Ok(users::save(
        c,
        &before,
        &before.value,
        Some(hash),
        &principal.actor(),
        now,
    )?)
}

/// "Sign out everywhere": ends every portal session and API token of the
/// caller.
///
/// # Errors
/// Database errors.
pub fn sign_out_everywhere(
    c: &mut AnyConnection,
    principal: &Principal,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    Ok(users::sign_out_everywhere(
        c,
        principal.user_id,
        &principal.actor(),
        now,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_url_safe_characters_and_hash_to_hex() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_eq!(token_hash(&a).len(), 64);
        assert_eq!(base64url(b"\xfb\xff"), "-_8");
    }
}
