//! Grantees' bank details under dual control: a grantee (or an
//! administrator) enters them, a different administrator verifies or
//! rejects them, and payments are held meanwhile. The rules are the
//! domain's [`BankDetails`](grantledger_domain::bank::BankDetails); the
//! account is never shown in full except in an approved run's bank file.
//! Every step tells the grantee's users by email ([`notices`]), in the
//! same transaction as the step.

use chrono::Utc;
use grantledger_domain::bank::{
    BankAccount, BankDetailsError, Entered, ModulusOutcome, ModulusTable,
};
use grantledger_domain::ids::{GranteeId, UserId};
use grantledger_store::bank_details::{self, Details, Keyring, Waiting};
use grantledger_store::common::Actor;
use grantledger_store::{AnyConnection, grantees};

use crate::auth::principal::Principal;
use crate::error::{ApiError, FieldError};
use crate::operations::notices::{self, BankChange, BankEvent, Notices};

/// Bank details as typed, before they are checked.
#[derive(Debug, Clone, Default)]
pub struct TypedAccount {
    /// The name on the account.
    pub account_name: String,
    /// The sort code ("12-34-56").
    pub sort_code: String,
    /// The account number.
    pub account_number: String,
    /// The building-society roll number, if any.
    pub roll_number: Option<String>,
}

fn visible(
    conn: &mut AnyConnection,
    principal: &Principal,
    grantee: GranteeId,
) -> Result<(), ApiError> {
    principal.require_visible(grantee, "grantee")?;
    grantees::get(conn, grantee)?;
    Ok(())
}

/// Parses typed details, naming every wrong field (422), and applies
/// Pay.UK's modulus check: an account number its bank's rules say cannot
/// exist for the sort code is refused; one whose sort code the tables do
/// not list is accepted unchecked. The messages never echo the digits.
pub fn parse(typed: &TypedAccount, modulus: &ModulusTable) -> Result<BankAccount, ApiError> {
    let account = parse_shape(typed)?;
    match modulus.check(&account.sort_code, &account.account_number) {
        ModulusOutcome::Invalid => Err(ApiError::invalid(
            "account_number",
            "this account number cannot belong to this sort code (it fails the bank's modulus check): check both were typed as on a bank statement",
        )),
        ModulusOutcome::Valid | ModulusOutcome::NotListed => Ok(account),
    }
}

fn parse_shape(typed: &TypedAccount) -> Result<BankAccount, ApiError> {
    BankAccount::parse(
        &typed.account_name,
        &typed.sort_code,
        &typed.account_number,
        typed.roll_number.as_deref().unwrap_or(""),
    )
    .map_err(|errors| ApiError::Unprocessable {
        detail: "the bank details are invalid".to_owned(),
        errors: errors
            .into_iter()
            .map(|(field, e)| FieldError::new(field, e.to_string()))
            .collect(),
    })
}

fn named(actor: &Actor, what: &str) -> Result<UserId, ApiError> {
    actor.user_id.ok_or_else(|| {
        ApiError::Forbidden(format!(
            "{what} needs a named user (on the command line, give --as EMAIL)"
        ))
    })
}

fn decision_error(e: BankDetailsError) -> ApiError {
    match e {
        BankDetailsError::SameAdministrator => ApiError::Forbidden(e.to_string()),
        BankDetailsError::NoteRequired => ApiError::invalid("note", e.to_string()),
        BankDetailsError::NothingPending => ApiError::conflict_from(e),
    }
}

/// A grantee's details (another organisation's: 404).
#[tracing::instrument(skip_all, fields(grantee_id = %grantee))]
pub fn show(
    conn: &mut AnyConnection,
    keyring: &Keyring,
    principal: &Principal,
    grantee: GranteeId,
) -> Result<Details, ApiError> {
    visible(conn, principal, grantee)?;
    Ok(bank_details::load(conn, keyring, grantee)?)
}

/// Enters new details for a grantee: they wait for a second
/// administrator, and the grantee's payments are held until then.
#[tracing::instrument(skip_all, fields(grantee_id = %grantee))]
pub fn enter(
    conn: &mut AnyConnection,
    keyring: &Keyring,
    notices: &Notices,
    principal: &Principal,
    grantee: GranteeId,
    account: &BankAccount,
) -> Result<Details, ApiError> {
    visible(conn, principal, grantee)?;
    enter_as(conn, keyring, notices, &principal.actor(), grantee, account)
}

/// [`enter`] for a system caller (the command line with `--as`, the demo).
#[tracing::instrument(skip_all, fields(grantee_id = %grantee))]
pub fn enter_as(
    conn: &mut AnyConnection,
    keyring: &Keyring,
    notices: &Notices,
    actor: &Actor,
    grantee: GranteeId,
    account: &BankAccount,
) -> Result<Details, ApiError> {
    grantees::get(conn, grantee)?;
    let entered = Entered {
        by: named(actor, "entering bank details")?,
        at: Utc::now(),
    };
    let after = bank_details::enter(conn, keyring, grantee, account, &entered, actor)?;
    notices::bank_details_changed(
        conn,
        notices,
        &BankEvent {
            change: BankChange::Entered,
            grantee,
            account,
            by: entered.by,
            at: entered.at,
        },
    )?;
    Ok(after)
}

/// Who is deciding on a waiting change (a named user), and the details as
/// they stand.
fn deciding(
    conn: &mut AnyConnection,
    keyring: &Keyring,
    actor: &Actor,
    grantee: GranteeId,
    what: &str,
) -> Result<(UserId, Details), ApiError> {
    let by = named(actor, what)?;
    grantees::get(conn, grantee)?;
    Ok((by, bank_details::load(conn, keyring, grantee)?))
}

/// Verifies the waiting change, with a note saying how it was checked:
/// only an administrator who did not enter it (403 otherwise).
#[tracing::instrument(skip_all, fields(grantee_id = %grantee))]
pub fn verify(
    conn: &mut AnyConnection,
    keyring: &Keyring,
    notices: &Notices,
    actor: &Actor,
    grantee: GranteeId,
    note: &str,
) -> Result<Details, ApiError> {
    let (by, before) = deciding(conn, keyring, actor, grantee, "verifying bank details")?;
    let now = Utc::now();
    let after = before
        .clone()
        .verify(by, now, note)
        .map_err(decision_error)?;
    let decision = after
        .in_force
        .as_ref()
        .map(|v| v.verified.clone())
        .ok_or_else(|| ApiError::Internal("a verified change has no decision".to_owned()))?;
    let after = bank_details::verify(conn, keyring, grantee, &before, &decision, actor)?;
    if let Some(verified) = &after.in_force {
        notices::bank_details_changed(
            conn,
            notices,
            &BankEvent {
                change: BankChange::Verified,
                grantee,
                account: &verified.account.account,
                by,
                at: decision.at,
            },
        )?;
    }
    Ok(after)
}

/// Rejects the waiting change with a note; the account in force (if any)
/// stays.
#[tracing::instrument(skip_all, fields(grantee_id = %grantee))]
pub fn reject(
    conn: &mut AnyConnection,
    keyring: &Keyring,
    notices: &Notices,
    actor: &Actor,
    grantee: GranteeId,
    note: &str,
) -> Result<Details, ApiError> {
    let (by, before) = deciding(conn, keyring, actor, grantee, "rejecting bank details")?;
    let (_, _, decision) = before
        .clone()
        .reject(by, Utc::now(), note)
        .map_err(decision_error)?;
    let after = bank_details::reject(conn, keyring, grantee, &before, &decision, actor)?;
    if let Some(rejected) = &before.pending {
        notices::bank_details_changed(
            conn,
            notices,
            &BankEvent {
                change: BankChange::Rejected,
                grantee,
                account: &rejected.account.account,
                by,
                at: decision.at,
            },
        )?;
    }
    Ok(after)
}

/// Changes waiting for a second administrator, oldest first.
#[tracing::instrument(skip_all)]
pub fn waiting(conn: &mut AnyConnection) -> Result<Vec<Waiting>, ApiError> {
    Ok(bank_details::waiting(conn)?)
}
