//! Grantees' bank accounts: sealed at rest ([`Keyring`]), with every
//! account ever entered kept as pending, verified, superseded or rejected.
//!
//! The rules (who may verify, what holds payments) are the domain's
//! [`BankDetails`]; this module loads that value from the rows, and writes
//! the rows and the audit event for each step the domain allowed. The
//! audit trail records fingerprints, never the numbers.

mod keyring;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use grantledger_domain::bank::{
    BankAccount, BankDetails, Decision, Entered, PaymentHold, Pending, Verified, payment_hold,
};
use grantledger_domain::ids::{GranteeId, UserId};
use serde_json::{Value, json};

pub use keyring::{DEMO_KEY, DEMO_KEY_ID, Keyring, KeyringError, Sealed};

use crate::audit;
use crate::common::{Actor, db_id};
use crate::connection::AnyConnection;
use crate::error::StoreError;
use crate::schema::{bank_details, grantees};
use crate::sql_types::{DbTime, DbUuid};

/// One stored account, opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The row.
    pub id: uuid::Uuid,
    /// The account.
    pub account: BankAccount,
    /// Its fingerprint, for the audit trail.
    pub fingerprint: String,
}

/// A grantee's details as the domain sees them, with their rows.
pub type Details = BankDetails<Entry>;

const PENDING: &str = "pending";
const VERIFIED: &str = "verified";
const SUPERSEDED: &str = "superseded";
const REJECTED: &str = "rejected";

#[derive(Queryable, Selectable)]
#[diesel(table_name = bank_details)]
struct Row {
    id: DbUuid,
    state: String,
    key_id: String,
    sealed: String,
    fingerprint: String,
    entered_by: DbUuid,
    entered_at: DbTime,
    decided_by: Option<DbUuid>,
    decided_at: Option<DbTime>,
    decision_note: Option<String>,
}

fn open(keyring: &Keyring, grantee: GranteeId, row: &Row) -> Result<Entry, StoreError> {
    let sealed = Sealed {
        key_id: row.key_id.clone(),
        sealed: row.sealed.clone(),
    };
    Ok(Entry {
        id: row.id.0,
        account: keyring.open(grantee, row.id.0, &sealed)?,
        fingerprint: row.fingerprint.clone(),
    })
}

fn entered(row: &Row) -> Entered {
    Entered {
        by: UserId::from_uuid(row.entered_by.0),
        at: row.entered_at.0,
    }
}

fn decision(row: &Row) -> Result<Decision, StoreError> {
    match (&row.decided_by, &row.decided_at) {
        (Some(by), Some(at)) => Ok(Decision {
            by: UserId::from_uuid(by.0),
            at: at.0,
            note: row.decision_note.clone().unwrap_or_default(),
        }),
        _ => Err(StoreError::Corrupt(format!(
            "verified bank details {} have no verifier",
            row.id.0
        ))),
    }
}

/// The grantee's account in force and change waiting, opened.
///
/// # Errors
/// [`StoreError::BankKey`] when a row cannot be opened with the keyring.
pub fn load(
    conn: &mut AnyConnection,
    keyring: &Keyring,
    grantee: GranteeId,
) -> Result<Details, StoreError> {
    let rows: Vec<Row> = bank_details::table
        .filter(bank_details::grantee_id.eq(db_id(grantee)))
        .filter(bank_details::state.eq_any([PENDING, VERIFIED]))
        .select(Row::as_select())
        .load(conn)?;
    let mut details = Details::default();
    for row in &rows {
        let account = open(keyring, grantee, row)?;
        if row.state == PENDING {
            details.pending = Some(Pending {
                account,
                entered: entered(row),
            });
        } else {
            details.in_force = Some(Verified {
                account,
                entered: entered(row),
                verified: decision(row)?,
            });
        }
    }
    Ok(details)
}

/// The details as the audit trail shows them: fingerprints only, with
/// `extra` text (the note of a decision) added.
fn summary(details: &Details, extra: &[(&str, &str)]) -> Value {
    let mut fields = serde_json::Map::new();
    let fingerprint =
        |e: Option<&Entry>| e.map_or(Value::Null, |e| Value::from(e.fingerprint.as_str()));
    fields.insert(
        "in_force".into(),
        fingerprint(details.in_force.as_ref().map(|v| &v.account)),
    );
    fields.insert(
        "pending".into(),
        fingerprint(details.pending.as_ref().map(|p| &p.account)),
    );
    for (key, value) in extra {
        fields.insert((*key).into(), Value::from(*value));
    }
    Value::Object(fields)
}

fn audit_change(
    conn: &mut AnyConnection,
    actor: &Actor,
    action: &str,
    grantee: GranteeId,
    before: &Details,
    after: Value,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    audit::record_change(
        conn,
        actor,
        action,
        "grantee",
        grantee,
        None,
        Some(&summary(before, &[])),
        Some(&after),
        now,
    )?;
    Ok(())
}

/// Close the pending row `id` as `state`; a concurrent decision makes it
/// a conflict rather than a second decision.
fn decide_row(
    conn: &mut AnyConnection,
    id: uuid::Uuid,
    state: &str,
    decision: &Decision,
) -> Result<(), StoreError> {
    let changed = diesel::update(
        bank_details::table
            .filter(bank_details::id.eq(db_id(id)))
            .filter(bank_details::state.eq(PENDING)),
    )
    .set((
        bank_details::state.eq(state),
        bank_details::decided_by.eq(Some(db_id(decision.by))),
        bank_details::decided_at.eq(Some(DbTime::new(decision.at))),
        bank_details::decision_note.eq(Some(decision.note.as_str())),
    ))
    .execute(conn)?;
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(
            "the change of bank details was decided by someone else meanwhile; reload".to_owned(),
        ))
    }
}

/// Records an account entered by `entered.by` (the domain's
/// [`BankDetails::enter`]): any earlier pending change is superseded.
/// Returns the details after.
///
/// # Errors
/// Database errors; a concurrent entry for the same grantee is a conflict.
pub fn enter(
    conn: &mut AnyConnection,
    keyring: &Keyring,
    grantee: GranteeId,
    account: &BankAccount,
    entered: &Entered,
    actor: &Actor,
) -> Result<Details, StoreError> {
    let before = load(conn, keyring, grantee)?;
    if let Some(pending) = &before.pending {
        let replaced = Decision {
            by: entered.by,
            at: entered.at,
            note: "replaced by a newer change before it was verified".to_owned(),
        };
        decide_row(conn, pending.account.id, SUPERSEDED, &replaced)?;
    }
    let id = uuid::Uuid::now_v7();
    let sealed = keyring.seal(grantee, id, account)?;
    let fingerprint = keyring.fingerprint(account);
    diesel::insert_into(bank_details::table)
        .values((
            bank_details::id.eq(db_id(id)),
            bank_details::grantee_id.eq(db_id(grantee)),
            bank_details::state.eq(PENDING),
            bank_details::key_id.eq(&sealed.key_id),
            bank_details::sealed.eq(&sealed.sealed),
            bank_details::fingerprint.eq(&fingerprint),
            bank_details::entered_by.eq(db_id(entered.by)),
            bank_details::entered_at.eq(DbTime::new(entered.at)),
        ))
        .execute(conn)?;
    let after = load(conn, keyring, grantee)?;
    audit_change(
        conn,
        actor,
        "bank_details.entered",
        grantee,
        &before,
        summary(&after, &[]),
        entered.at,
    )?;
    Ok(after)
}

/// The change a decision is about.
fn pending_of(details: &Details) -> Result<&Pending<Entry>, StoreError> {
    details.pending.as_ref().ok_or_else(|| {
        StoreError::Conflict("there is no change of bank details waiting".to_owned())
    })
}

/// Records the pending change verified (the domain's
/// [`BankDetails::verify`] allowed it): the account in force until now is
/// superseded.
///
/// # Errors
/// A conflict when the change was decided meanwhile.
pub fn verify(
    conn: &mut AnyConnection,
    keyring: &Keyring,
    grantee: GranteeId,
    before: &Details,
    decision: &Decision,
    actor: &Actor,
) -> Result<Details, StoreError> {
    let pending = pending_of(before)?;
    diesel::update(
        bank_details::table
            .filter(bank_details::grantee_id.eq(db_id(grantee)))
            .filter(bank_details::state.eq(VERIFIED)),
    )
    .set(bank_details::state.eq(SUPERSEDED))
    .execute(conn)?;
    decide_row(conn, pending.account.id, VERIFIED, decision)?;
    let after = load(conn, keyring, grantee)?;
    audit_change(
        conn,
        actor,
        "bank_details.verified",
        grantee,
        before,
        summary(&after, &[("note", &decision.note)]),
        decision.at,
    )?;
    Ok(after)
}

/// Records the pending change rejected; the account in force stays.
///
/// # Errors
/// A conflict when the change was decided meanwhile.
pub fn reject(
    conn: &mut AnyConnection,
    keyring: &Keyring,
    grantee: GranteeId,
    before: &Details,
    decision: &Decision,
    actor: &Actor,
) -> Result<Details, StoreError> {
    let pending = pending_of(before)?;
    decide_row(conn, pending.account.id, REJECTED, decision)?;
    let after = load(conn, keyring, grantee)?;
    audit_change(
        conn,
        actor,
        "bank_details.rejected",
        grantee,
        before,
        summary(
            &after,
            &[
                ("rejected", &pending.account.fingerprint),
                ("note", &decision.note),
            ],
        ),
        decision.at,
    )?;
    Ok(after)
}

/// Why payments to each of `grantees` are held, for those held (no key
/// needed: only the states are read).
///
/// # Errors
/// Database errors.
pub fn holds(
    conn: &mut AnyConnection,
    grantees: &[GranteeId],
) -> Result<HashMap<GranteeId, PaymentHold>, StoreError> {
    let mut states: HashMap<GranteeId, (bool, bool)> =
        grantees.iter().map(|g| (*g, (false, false))).collect();
    for chunk in grantees.chunks(1_000) {
        let rows: Vec<(DbUuid, String)> = bank_details::table
            .filter(bank_details::grantee_id.eq_any(chunk.iter().map(|g| db_id(*g))))
            .filter(bank_details::state.eq_any([PENDING, VERIFIED]))
            .select((bank_details::grantee_id, bank_details::state))
            .load(conn)?;
        for (grantee, state) in rows {
            let entry = states
                .entry(GranteeId::from_uuid(grantee.0))
                .or_insert((false, false));
            if state == VERIFIED {
                entry.0 = true;
            } else {
                entry.1 = true;
            }
        }
    }
    Ok(states
        .into_iter()
        .filter_map(|(g, (verified, pending))| payment_hold(verified, pending).map(|h| (g, h)))
        .collect())
}

/// The row of the verified account in force for each of `grantees`, or
/// why payments to them are held. Opens nothing.
///
/// # Errors
/// Database errors.
pub fn verified_ids(
    conn: &mut AnyConnection,
    grantees: &[GranteeId],
) -> Result<HashMap<GranteeId, Result<uuid::Uuid, PaymentHold>>, StoreError> {
    let held = holds(conn, grantees)?;
    let mut out = HashMap::with_capacity(grantees.len());
    let payable: Vec<GranteeId> = grantees
        .iter()
        .filter(|g| !held.contains_key(g))
        .copied()
        .collect();
    for chunk in payable.chunks(1_000) {
        let rows: Vec<(DbUuid, DbUuid)> = bank_details::table
            .filter(bank_details::grantee_id.eq_any(chunk.iter().map(|g| db_id(*g))))
            .filter(bank_details::state.eq(VERIFIED))
            .select((bank_details::grantee_id, bank_details::id))
            .load(conn)?;
        out.extend(
            rows.into_iter()
                .map(|(grantee, id)| (GranteeId::from_uuid(grantee.0), Ok(id.0))),
        );
    }
    out.extend(held.into_iter().map(|(g, h)| (g, Err(h))));
    Ok(out)
}

/// The accounts of the rows `ids`, opened, whatever their state now (a
/// paid run's file shows the account it paid, superseded or not).
///
/// # Errors
/// [`StoreError::BankKey`] when a row cannot be opened;
/// [`StoreError::Corrupt`] when an id names no row.
pub fn open_accounts(
    conn: &mut AnyConnection,
    keyring: &Keyring,
    ids: &[uuid::Uuid],
) -> Result<HashMap<uuid::Uuid, BankAccount>, StoreError> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(1_000) {
        let rows: Vec<(DbUuid, Row)> = bank_details::table
            .filter(bank_details::id.eq_any(chunk.iter().map(|id| DbUuid(*id))))
            .select((bank_details::grantee_id, Row::as_select()))
            .load(conn)?;
        for (grantee, row) in rows {
            let entry = open(keyring, GranteeId::from_uuid(grantee.0), &row)?;
            out.insert(entry.id, entry.account);
        }
    }
    if let Some(missing) = ids.iter().find(|id| !out.contains_key(id)) {
        return Err(StoreError::Corrupt(format!(
            "a payment names bank details {missing}, which are not stored"
        )));
    }
    Ok(out)
}

/// A change of bank details waiting for a second administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    /// The grantee.
    pub grantee_id: GranteeId,
    /// Its name.
    pub grantee_name: String,
    /// Who entered the change, and when.
    pub entered: Entered,
}

/// Every change waiting for verification, oldest first.
///
/// # Errors
/// Database errors.
pub fn waiting(conn: &mut AnyConnection) -> Result<Vec<Waiting>, StoreError> {
    let rows: Vec<(DbUuid, String, DbUuid, DbTime)> = bank_details::table
        .inner_join(grantees::table)
        .filter(bank_details::state.eq(PENDING))
        .order(bank_details::entered_at.asc())
        .select((
            bank_details::grantee_id,
            grantees::name,
            bank_details::entered_by,
            bank_details::entered_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(g, name, by, at)| Waiting {
            grantee_id: GranteeId::from_uuid(g.0),
            grantee_name: name,
            entered: Entered {
                by: UserId::from_uuid(by.0),
                at: at.0,
            },
        })
        .collect())
}

/// Checks at start-up that every key the stored details name is configured
/// and opens them (one row per key), so a wrong key stops the service with
/// a clear message instead of failing payments later.
///
/// # Errors
/// [`StoreError::BankKey`] naming the key.
pub fn check_keys(conn: &mut AnyConnection, keyring: &Keyring) -> Result<(), StoreError> {
    let ids: Vec<String> = bank_details::table
        .select(bank_details::key_id)
        .distinct()
        .load(conn)?;
    for id in ids {
        let (grantee, row): (DbUuid, Row) = bank_details::table
            .filter(bank_details::key_id.eq(&id))
            .select((bank_details::grantee_id, Row::as_select()))
            .first(conn)?;
        open(keyring, GranteeId::from_uuid(grantee.0), &row)?;
    }
    Ok(())
}

/// Re-seals every row not under the current key, with fingerprints
/// recomputed, so previous keys can be retired. Returns how many rows.
///
/// # Errors
/// [`StoreError::BankKey`] when a row cannot be opened.
pub fn rekey(
    conn: &mut AnyConnection,
    keyring: &Keyring,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let rows: Vec<(DbUuid, Row)> = bank_details::table
        .filter(bank_details::key_id.ne(keyring.current_id()))
        .select((bank_details::grantee_id, Row::as_select()))
        .load(conn)?;
    for (grantee, row) in &rows {
        let grantee = GranteeId::from_uuid(grantee.0);
        let entry = open(keyring, grantee, row)?;
        let sealed = keyring.seal(grantee, row.id.0, &entry.account)?;
        let fingerprint = keyring.fingerprint(&entry.account);
        diesel::update(bank_details::table.filter(bank_details::id.eq(row.id)))
            .set((
                bank_details::key_id.eq(&sealed.key_id),
                bank_details::sealed.eq(&sealed.sealed),
                bank_details::fingerprint.eq(&fingerprint),
            ))
            .execute(conn)?;
        audit::record_change(
            conn,
            actor,
            "bank_details.rekeyed",
            "grantee",
            grantee,
            None,
            Some(&json!({"key_id": row.key_id, "fingerprint": row.fingerprint})),
            Some(&json!({"key_id": sealed.key_id, "fingerprint": fingerprint})),
            now,
        )?;
    }
    Ok(rows.len())
}

#[cfg(test)]
mod tests;
