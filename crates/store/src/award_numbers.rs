//! Award numbers: the last part of an award's reference (`LCF-R1-000042`),
//! counted per round.
//!
//! On SQLite a round's next number is its row's `next_award_sequence`,
//! taken in the deciding transaction: one writer holds the whole database
//! at a time there, so holding the round's row costs nothing more and
//! references are gap-free.
//!
//! On PostgreSQL each round has a sequence of its own
//! (`award_numbers_<round id in hex>`), made with the round. A number taken
//! from it holds no row until the transaction commits, so decisions on one
//! round do not queue behind each other's commits for their numbers (see
//! docs/BENCHMARKS.md, "Decisions off the round's row"). References are
//! unique and increase in the order numbers were taken; a decision that
//! fails after taking its number leaves a gap. Decisions take theirs only
//! after every check but the final, conditional debit of the round's money,
//! so a gap means two decisions raced for the round's last money, or a
//! failure after the checks (a lost connection).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};
use grantledger_domain::Money;
use grantledger_domain::ids::RoundId;
use grantledger_domain::ledger::Account;

use crate::common::db_id;
use crate::connection::AnyConnection;
use crate::error::StoreError;
use crate::ledger;
use crate::reused::Reused;
use crate::schema::rounds;

/// The name of a round's number sequence on PostgreSQL.
fn sequence(round: RoundId) -> String {
    format!("award_numbers_{}", uuid::Uuid::from(round).simple())
}

/// Starts a new round's numbering at 1, in the caller's transaction.
pub fn open(conn: &mut AnyConnection, round: RoundId) -> Result<(), StoreError> {
    if let AnyConnection::Postgresql(pg) = conn {
        // A name is not a bind parameter; this one is hex digits only.
        diesel::sql_query(format!(
            "CREATE SEQUENCE {} AS integer START 1",
            sequence(round)
        ))
        .execute(pg)?;
    }
    Ok(())
}

#[derive(QueryableByName)]
struct Taken {
    #[diesel(sql_type = BigInt)]
    number: i64,
}

fn number(n: impl TryInto<u32, Error = std::num::TryFromIntError>) -> Result<u32, StoreError> {
    n.try_into()
        .map_err(|e| StoreError::corrupt("award number", e))
}

/// Takes `count` numbers from a round's sequence on PostgreSQL, in
/// increasing order (not always consecutive: other sessions take numbers
/// from the same sequence meanwhile).
fn from_sequence(
    pg: &mut diesel::PgConnection,
    round: RoundId,
    count: usize,
) -> Result<Vec<u32>, StoreError> {
    let count = i32::try_from(count).map_err(|e| StoreError::corrupt("award count", e))?;
    let mut taken: Vec<Taken> = Reused(
        diesel::sql_query("SELECT nextval($1::regclass) AS number FROM generate_series(1, $2)")
            .bind::<Text, _>(sequence(round))
            .bind::<Integer, _>(count),
    )
    .load(pg)?;
    taken.sort_unstable_by_key(|t| t.number);
    taken.into_iter().map(|t| number(t.number)).collect()
}

/// Takes the round's next award number for an award of `amount`, in the
/// caller's transaction. On PostgreSQL, where a number taken is never given
/// back, a round that plainly cannot cover the amount refuses it first,
/// with the conflict its debit would give (read without a lock: the
/// conditional debit still decides). On SQLite a failed award's number
/// returns with the rollback, so there is nothing to check early.
pub fn next_for(
    conn: &mut AnyConnection,
    round: RoundId,
    amount: Money,
) -> Result<u32, StoreError> {
    if let AnyConnection::Postgresql(_) = conn {
        ledger::check_covers(conn, &Account::RoundAvailable(round), amount)?;
    }
    next(conn, round)
}

/// Takes the round's next award number, in the caller's transaction.
pub fn next(conn: &mut AnyConnection, round: RoundId) -> Result<u32, StoreError> {
    if let AnyConnection::Postgresql(pg) = conn {
        return from_sequence(pg, round, 1)?
            .first()
            .copied()
            .ok_or_else(|| StoreError::corrupt("award number", "the sequence gave none"));
    }
    number(advance_counter(conn, round, 1)? - 1)
}

/// Moves SQLite's round counter on by `by` (0 locks the row and reads it)
/// and gives the number it now holds, the next to take.
fn advance_counter(conn: &mut AnyConnection, round: RoundId, by: i32) -> Result<i32, StoreError> {
    diesel::update(rounds::table.find(db_id(round)))
        .set(rounds::next_award_sequence.eq(rounds::next_award_sequence + by))
        .returning(rounds::next_award_sequence)
        .get_result(conn)
        .optional()?
        .ok_or(StoreError::NotFound { entity: "round" })
}

/// The award numbers of one bulk decision, taken once for the batch
/// ([`for_batch`]) and handed out in order to the awards it makes.
#[derive(Debug)]
pub struct BatchNumbers {
    round: RoundId,
    kind: Numbering,
}

#[derive(Debug)]
enum Numbering {
    /// SQLite: the round's row, locked until the transaction ends; the
    /// numbers from `first` on are the batch's, moved past at the end.
    Counter { first: u32 },
    /// PostgreSQL: as many numbers as the batch asks for awards, taken from
    /// the round's sequence; those its refused items leave are gaps.
    Taken(Vec<u32>),
}

/// Numbers for a batch that asks for up to `awards` awards of the round.
pub fn for_batch(
    conn: &mut AnyConnection,
    round: RoundId,
    awards: usize,
) -> Result<BatchNumbers, StoreError> {
    let kind = match conn {
        AnyConnection::Postgresql(pg) => Numbering::Taken(from_sequence(pg, round, awards)?),
        AnyConnection::Sqlite(_) => Numbering::Counter {
            first: number(advance_counter(conn, round, 0)?)?,
        },
    };
    Ok(BatchNumbers { round, kind })
}

impl BatchNumbers {
    /// The number of the batch's award made after `made` others.
    pub fn nth(&self, made: usize) -> Result<u32, StoreError> {
        let beyond = || StoreError::Conflict("more awards than the batch asked for".to_owned());
        match &self.kind {
            Numbering::Counter { first } => {
                let made = u32::try_from(made).map_err(|_| beyond())?;
                first.checked_add(made).ok_or_else(beyond)
            }
            Numbering::Taken(numbers) => numbers.get(made).copied().ok_or_else(beyond),
        }
    }

    /// Records that the batch made `made` awards: on SQLite the round's
    /// counter moves past them.
    pub fn finish(&self, conn: &mut AnyConnection, made: usize) -> Result<(), StoreError> {
        if let Numbering::Counter { .. } = self.kind {
            let n = i32::try_from(made).map_err(|e| StoreError::corrupt("award count", e))?;
            advance_counter(conn, self.round, n)?;
        }
        Ok(())
    }
}
