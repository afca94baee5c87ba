//! Posting transfers to the fund ledger.
//!
//! Internal account balances live in `ledger_accounts` and move by single
//! conditional updates inside the caller's transaction: a debit succeeds only
//! if the balance covers it. That is what keeps a round from being
//! over-committed however many server processes award at once — the database
//! serialises the updates to one row, and no process-local lock is involved.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use grantledger_domain::Money;
use grantledger_domain::ids::{FundId, TransferId};
use grantledger_domain::ledger::{Account, Transfer};

use crate::common::{db_id, money};
use crate::connection::AnyConnection;
use crate::error::StoreError;
use crate::schema::{ledger_accounts, ledger_transfers};
use crate::sql_types::{DbTime, DbUuid};

/// What caused a transfer: the record whose state change moved the money.
#[derive(Debug, Clone, Copy)]
pub struct Cause {
    /// The kind of record, e.g. "round".
    pub entity_type: &'static str,
    /// Its id.
    pub entity_id: uuid::Uuid,
}

/// Posts one transfer: moves the balances of its internal accounts and
/// appends the transfer row. Must run inside a write transaction.
///
/// Fails with [`StoreError::Conflict`] when the debited internal account
/// cannot cover the amount; nothing is changed then (the caller's transaction
/// rolls back).
pub fn post(
    conn: &mut AnyConnection,
    fund: FundId,
    transfer: &Transfer,
    cause: Cause,
    at: DateTime<Utc>,
) -> Result<TransferId, StoreError> {
    let amount = transfer.amount().pence();
    let debit = transfer.debit();
    let credit = transfer.credit();
    if !debit.is_external() {
        let key = debit.key();
        let moved = diesel::update(
            ledger_accounts::table
                .filter(ledger_accounts::key.eq(&key))
                .filter(ledger_accounts::balance_pence.ge(amount)),
        )
        .set(ledger_accounts::balance_pence.eq(ledger_accounts::balance_pence - amount))
        .execute(conn)?;
        if moved == 0 {
            return Err(insufficient(conn, &debit, transfer.amount()));
        }
    }
    if !credit.is_external() {
        let key = credit.key();
        let moved = diesel::update(ledger_accounts::table.filter(ledger_accounts::key.eq(&key)))
            .set(ledger_accounts::balance_pence.eq(ledger_accounts::balance_pence + amount))
            .execute(conn)?;
        if moved == 0 {
            // The first credit opens the account. Accounts belong to one
            // fund, round or award, whose creating transaction is the only
            // one that can credit them first, so two openings cannot race.
            diesel::insert_into(ledger_accounts::table)
                .values((
                    ledger_accounts::key.eq(&key),
                    ledger_accounts::fund_id.eq(db_id(fund)),
                    ledger_accounts::balance_pence.eq(amount),
                    ledger_accounts::created_at.eq(DbTime::new(at)),
                ))
                .execute(conn)?;
        }
    }
    let id = TransferId::new();
    diesel::insert_into(ledger_transfers::table)
        .values((
            ledger_transfers::id.eq(db_id(id)),
            ledger_transfers::fund_id.eq(db_id(fund)),
            ledger_transfers::debit_account.eq(debit.key()),
            ledger_transfers::credit_account.eq(credit.key()),
            ledger_transfers::amount_pence.eq(amount),
            ledger_transfers::kind.eq(transfer.kind().as_str()),
            ledger_transfers::entity_type.eq(cause.entity_type),
            ledger_transfers::entity_id.eq(DbUuid(cause.entity_id)),
            ledger_transfers::created_at.eq(DbTime::new(at)),
        ))
        .execute(conn)?;
    Ok(id)
}

fn insufficient(conn: &mut AnyConnection, account: &Account, requested: Money) -> StoreError {
    match balance(conn, account) {
        Ok(balance) => not_enough(account, balance, requested),
        Err(error) => error,
    }
}

/// Whether `account` holds at least `requested` now, read without a lock:
/// the same conflict as [`post`]'s when it does not. A check to fail early
/// on, never the guarantee (only a conditional debit is).
pub fn check_covers(
    conn: &mut AnyConnection,
    account: &Account,
    requested: Money,
) -> Result<(), StoreError> {
    let held = balance(conn, account)?;
    if held < requested {
        return Err(not_enough(account, held, requested));
    }
    Ok(())
}

/// The conflict for a debit of `requested` that `account`, holding
/// `balance`, cannot cover: the error [`post`] fails with.
pub fn not_enough(account: &Account, balance: Money, requested: Money) -> StoreError {
    StoreError::Conflict(format!(
        "not enough money: {} holds {balance}, but {requested} is needed",
        account.description()
    ))
}

/// Locks an internal account's row until the transaction ends (a no-op
/// update) and returns its balance: nothing else can move it meanwhile, so
/// the caller may plan several debits against it and post them together
/// with [`post_to_new_accounts`]. An account never credited holds zero.
pub fn lock_balance(conn: &mut AnyConnection, account: &Account) -> Result<Money, StoreError> {
    let pence: Option<i64> =
        diesel::update(ledger_accounts::table.filter(ledger_accounts::key.eq(account.key())))
            .set(ledger_accounts::balance_pence.eq(ledger_accounts::balance_pence))
            .returning(ledger_accounts::balance_pence)
            .get_result(conn)
            .optional()?;
    money("ledger balance", pence.unwrap_or(0))
}

/// One transfer of [`post_to_new_accounts`], with its cause and time.
#[derive(Debug, Clone)]
pub struct Posting {
    /// The transfer.
    pub transfer: Transfer,
    /// What caused it.
    pub cause: Cause,
    /// When.
    pub at: DateTime<Utc>,
}

#[derive(Insertable)]
#[diesel(table_name = ledger_accounts)]
struct NewAccountRow {
    key: String,
    fund_id: DbUuid,
    balance_pence: i64,
    created_at: DbTime,
}

#[derive(Insertable)]
#[diesel(table_name = ledger_transfers)]
struct TransferRow {
    id: DbUuid,
    fund_id: DbUuid,
    debit_account: String,
    credit_account: String,
    amount_pence: i64,
    kind: &'static str,
    entity_type: &'static str,
    entity_id: DbUuid,
    created_at: DbTime,
}

/// Posts transfers that all debit one internal account and each credit an
/// account of its own that nothing has credited yet (a new award's), as
/// [`post`] would post them one by one, in three statements: one insert
/// opening the credited accounts, one of the transfer rows, and one
/// conditional debit of their total (a conflict when the account cannot
/// cover it, and the caller's transaction must then roll back the rest).
/// Must run inside a write transaction.
pub fn post_to_new_accounts(
    conn: &mut AnyConnection,
    fund: FundId,
    debit: &Account,
    postings: &[Posting],
) -> Result<(), StoreError> {
    match post_to_new_accounts_if_covered(conn, fund, debit, postings)? {
        Posted::Done => Ok(()),
        Posted::Short { total } => Err(insufficient(conn, debit, total)),
    }
}

/// What [`post_to_new_accounts_if_covered`] did.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posted {
    /// Every transfer is posted and the account debited.
    Done,
    /// The account does not hold `total`: nothing was debited, but the
    /// accounts and transfers before the debit are written, so the caller
    /// must roll back (to a savepoint) what it did.
    Short {
        /// The transfers' total.
        total: Money,
    },
}

/// [`post_to_new_accounts`], answering [`Posted::Short`] instead of a
/// conflict when `debit` does not hold their total.
pub fn post_to_new_accounts_if_covered(
    conn: &mut AnyConnection,
    fund: FundId,
    debit: &Account,
    postings: &[Posting],
) -> Result<Posted, StoreError> {
    if postings.is_empty() {
        return Ok(Posted::Done);
    }
    let mut total = Money::ZERO;
    for posting in postings {
        let t = &posting.transfer;
        if t.debit() != *debit || t.credit().is_external() || debit.is_external() {
            return Err(StoreError::Conflict(format!(
                "a batched transfer must debit {} and credit an internal account",
                debit.description()
            )));
        }
        total = total
            .checked_add(t.amount())
            .map_err(|e| StoreError::Conflict(e.to_string()))?;
    }
    let accounts: Vec<NewAccountRow> = postings
        .iter()
        .map(|p| NewAccountRow {
            key: p.transfer.credit().key(),
            fund_id: db_id(fund),
            balance_pence: p.transfer.amount().pence(),
            created_at: DbTime::new(p.at),
        })
        .collect();
    crate::connection::insert_batch!(conn, ledger_accounts::table, &accounts)?;
    let transfers: Vec<TransferRow> = postings
        .iter()
        .map(|p| TransferRow {
            id: db_id(TransferId::new()),
            fund_id: db_id(fund),
            debit_account: debit.key(),
            credit_account: p.transfer.credit().key(),
            amount_pence: p.transfer.amount().pence(),
            kind: p.transfer.kind().as_str(),
            entity_type: p.cause.entity_type,
            entity_id: DbUuid(p.cause.entity_id),
            created_at: DbTime::new(p.at),
        })
        .collect();
    crate::connection::insert_batch!(conn, ledger_transfers::table, &transfers)?;
    // The debit last: it holds the debited account's row (a round's money,
    // which every award of the round needs) until the transaction commits.
    let moved = diesel::update(
        ledger_accounts::table
            .filter(ledger_accounts::key.eq(debit.key()))
            .filter(ledger_accounts::balance_pence.ge(total.pence())),
    )
    .set(ledger_accounts::balance_pence.eq(ledger_accounts::balance_pence - total.pence()))
    .execute(conn)?;
    Ok(if moved == 1 {
        Posted::Done
    } else {
        Posted::Short { total }
    })
}

/// The balance of an internal account (zero if it has never been credited).
pub fn balance(conn: &mut AnyConnection, account: &Account) -> Result<Money, StoreError> {
    let pence: Option<i64> = ledger_accounts::table
        .filter(ledger_accounts::key.eq(account.key()))
        .select(ledger_accounts::balance_pence)
        .first(conn)
        .optional()?;
    money("ledger balance", pence.unwrap_or(0))
}
