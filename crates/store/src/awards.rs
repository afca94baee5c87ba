//! Awards (the microgrants), their variations, and the money they commit.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use grantledger_domain::award::{Award, AwardStatus};
use grantledger_domain::ids::{ApplicationId, AwardId, FundId, GranteeId, RoundId};
use grantledger_domain::ledger::Transfer;
use grantledger_domain::reference::AwardReference;
use grantledger_domain::{Money, MoneyDelta};

use crate::audit;
use crate::award_numbers;
use crate::common::{
    Actor, Page, PageRequest, Record, db_id, find_row, money, page_query, parse, update_versioned,
};
use crate::connection::AnyConnection;
use crate::error::StoreError;
use crate::ledger::{self, Cause};
use crate::schema::{award_variations, awards, rounds};
use crate::sql_types::{DbTime, DbUuid};

#[derive(Queryable, Selectable, QueryableByName)]
#[diesel(table_name = awards)]
struct AwardRow {
    id: DbUuid,
    reference: String,
    fund_id: DbUuid,
    round_id: DbUuid,
    application_id: DbUuid,
    grantee_id: DbUuid,
    amount_pence: i64,
    paid_pence: i64,
    scheduled_pence: i64,
    status: String,
    return_due_on: Option<NaiveDate>,
    version: i64,
    created_at: DbTime,
    updated_at: DbTime,
    cancellation_reason: Option<String>,
}

/// An award with the bookkeeping kept beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// The award.
    pub award: Award,
    /// Tranches scheduled or paid against it (failed and reversed excluded).
    pub scheduled: Money,
    /// When its evaluation return is due.
    pub return_due_on: Option<NaiveDate>,
    /// Why it was cancelled, once it is.
    pub cancellation_reason: Option<String>,
}

fn to_record(row: AwardRow) -> Result<Record<Stored>, StoreError> {
    let award = Award {
        id: AwardId::from_uuid(row.id.0),
        reference: parse::<AwardReference>("award reference", &row.reference)?,
        application_id: ApplicationId::from_uuid(row.application_id.0),
        round_id: RoundId::from_uuid(row.round_id.0),
        fund_id: FundId::from_uuid(row.fund_id.0),
        grantee_id: GranteeId::from_uuid(row.grantee_id.0),
        amount: money("award amount", row.amount_pence)?,
        paid: money("award paid", row.paid_pence)?,
        status: parse::<AwardStatus>("award status", &row.status)?,
    };
    Ok(Record {
        value: Stored {
            award,
            scheduled: money("award scheduled", row.scheduled_pence)?,
            return_due_on: row.return_due_on,
            cancellation_reason: row.cancellation_reason,
        },
        version: row.version,
        created_at: row.created_at.0,
        updated_at: row.updated_at.0,
    })
}

// The award's summary, with the cancellation reason once there is one, so
// the award.cancelled event (and the audit export) says why.
fn stored_summary(s: &Stored) -> serde_json::Value {
    let mut value = audit::summary(&s.award);
    if let (Some(reason), serde_json::Value::Object(map)) = (&s.cancellation_reason, &mut value) {
        map.insert(
            "cancellation_reason".to_owned(),
            serde_json::Value::String(reason.clone()),
        );
    }
    value
}

/// The columns a change to an award sets, for insert and update alike, so
/// the two cannot drift.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = awards, treat_none_as_null = true)]
struct AwardFields<'a> {
    amount_pence: i64,
    paid_pence: i64,
    scheduled_pence: i64,
    status: &'a str,
    return_due_on: Option<NaiveDate>,
    cancellation_reason: Option<&'a str>,
}

impl<'a> AwardFields<'a> {
    fn new(
        award: &Award,
        scheduled_pence: i64,
        return_due_on: Option<NaiveDate>,
        cancellation_reason: Option<&'a str>,
    ) -> Self {
        AwardFields {
            amount_pence: award.amount.pence(),
            paid_pence: award.paid.pence(),
            scheduled_pence,
            status: award.status.as_str(),
            return_due_on,
            cancellation_reason,
        }
    }
}

fn conflict(e: impl std::fmt::Display) -> StoreError {
    StoreError::Conflict(e.to_string())
}

/// Records a new award and commits its amount from the round: the ledger
/// debit of the round's available money is conditional, so when the round
/// cannot cover the award this fails with a conflict and the caller's
/// transaction leaves nothing behind.
///
/// The debit is the last statement: it locks the round's available-money
/// row, which every decision in the round needs, until the transaction
/// commits, so everything else is written before it.
pub fn create(
    conn: &mut AnyConnection,
    award: &Award,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Record<Stored>, StoreError> {
    let transfer =
        Transfer::award_committed(award.round_id, award.id, award.amount).map_err(conflict)?;
    let posting = ledger::Posting {
        cause: Cause {
            entity_type: "award",
            entity_id: award.id.into(),
        },
        transfer,
        at: now,
    };
    let at = DbTime::new(now);
    // RETURNING gives the row as stored, saving a read-back.
    let row: AwardRow = diesel::insert_into(awards::table)
        .values((
            awards::id.eq(db_id(award.id)),
            awards::reference.eq(award.reference.to_string()),
            awards::fund_id.eq(db_id(award.fund_id)),
            awards::round_id.eq(db_id(award.round_id)),
            awards::application_id.eq(db_id(award.application_id)),
            awards::grantee_id.eq(db_id(award.grantee_id)),
            AwardFields::new(award, 0, None, None),
            awards::version.eq(1_i64),
            awards::created_at.eq(at),
            awards::updated_at.eq(at),
        ))
        .returning((
            awards::id,
            awards::reference,
            awards::fund_id,
            awards::round_id,
            awards::application_id,
            awards::grantee_id,
            awards::amount_pence,
            awards::paid_pence,
            awards::scheduled_pence,
            awards::status,
            awards::return_due_on,
            awards::version,
            awards::created_at,
            awards::updated_at,
            awards::cancellation_reason,
        ))
        .get_result(conn)?;
    audit::record_change(
        conn,
        actor,
        "award.offered",
        "award",
        award.id,
        Some(award.fund_id),
        None,
        Some(award),
        now,
    )?;
    let debit = posting.transfer.debit();
    ledger::post_to_new_accounts(conn, award.fund_id, &debit, &[posting])?;
    to_record(row)
}

/// The awards of one bulk decision in one round, made together: the
/// batch's award numbers are taken and the round's available money read
/// once; each award is checked against what the batch has left, and
/// [`RoundBatch::finish`] writes them all in a few statements, the
/// conditional debit of the round last. Awards take numbers in order, only
/// when added ([`award_numbers`] says where gaps can appear), and the round
/// is never over-committed: [`Hold`] says how the money read at the start
/// is kept true until the debit.
#[derive(Debug)]
pub struct RoundBatch {
    round: RoundId,
    fund: FundId,
    numbers: award_numbers::BatchNumbers,
    available: Money,
    hold: Hold,
    made: Vec<(Award, ledger::Posting)>,
}

/// How a [`RoundBatch`] holds the round's available money between reading
/// it and debiting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// Its row is locked when the batch begins, until the transaction ends:
    /// other decisions of the round wait for the whole batch, and the
    /// final debit cannot fall short.
    Locked,
    /// Read without a lock, so other decisions of the round go on while
    /// this batch decides its items, and only its final debit and commit
    /// hold the row. If they took money this batch counted on, the debit
    /// falls short and [`RoundBatch::finish`] answers
    /// [`Finished::RoundMoved`]: the caller rolls the batch back (to a
    /// savepoint) and decides it again, [`Hold::Locked`].
    Unlocked,
}

/// What [`RoundBatch::finish`] did.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finished {
    /// The awards, their accounts and transfers are written and the round
    /// debited.
    Written,
    /// ([`Hold::Unlocked`] only.) The round no longer holds the batch's
    /// total: some of its statements are written and must be rolled back.
    RoundMoved,
}

/// Starts a [`RoundBatch`] of up to `awards` awards in the caller's write
/// transaction: takes the batch's award numbers
/// ([`award_numbers::for_batch`]) and reads the round's available money,
/// held as `hold` says.
pub fn begin_batch(
    conn: &mut AnyConnection,
    round: RoundId,
    fund: FundId,
    awards: usize,
    hold: Hold,
) -> Result<RoundBatch, StoreError> {
    let numbers = award_numbers::for_batch(conn, round, awards)?;
    let account = grantledger_domain::ledger::Account::RoundAvailable(round);
    let available = match hold {
        Hold::Locked => ledger::lock_balance(conn, &account)?,
        Hold::Unlocked => ledger::balance(conn, &account)?,
    };
    Ok(RoundBatch {
        round,
        fund,
        numbers,
        available,
        hold,
        made: Vec::new(),
    })
}

impl RoundBatch {
    /// The number the next award added takes.
    pub fn next_sequence(&self) -> Result<u32, StoreError> {
        self.numbers.nth(self.made.len())
    }

    /// Checks that the round can cover `award` after the awards added so
    /// far, and gives the award as [`create`] would have stored it at `now`
    /// with its transfer. Nothing is written: [`RoundBatch::add`] it once
    /// the rest of its item has succeeded. A conflict, as [`create`]'s, when
    /// the money left does not cover it.
    pub fn offer(
        &self,
        award: &Award,
        now: DateTime<Utc>,
    ) -> Result<(Record<Stored>, ledger::Posting), StoreError> {
        if award.round_id != self.round || award.fund_id != self.fund {
            return Err(StoreError::Conflict(
                "an award of a batch must be of its round".to_owned(),
            ));
        }
        let transfer =
            Transfer::award_committed(award.round_id, award.id, award.amount).map_err(conflict)?;
        if award.amount > self.available {
            return Err(ledger::not_enough(
                &transfer.debit(),
                self.available,
                award.amount,
            ));
        }
        let at = DbTime::new(now).0;
        let record = Record {
            value: Stored {
                award: award.clone(),
                scheduled: Money::ZERO,
                return_due_on: None,
                cancellation_reason: None,
            },
            version: 1,
            created_at: at,
            updated_at: at,
        };
        let posting = ledger::Posting {
            transfer,
            cause: Cause {
                entity_type: "award",
                entity_id: award.id.into(),
            },
            at: now,
        };
        Ok((record, posting))
    }

    /// Adds an award [`RoundBatch::offer`] accepted: it takes the next
    /// number and its amount from the money left.
    pub fn add(&mut self, award: Award, posting: ledger::Posting) -> Result<(), StoreError> {
        self.available = self.available.checked_sub(award.amount).map_err(conflict)?;
        self.made.push((award, posting));
        Ok(())
    }

    /// The `award.offered` event of an award of the batch, for
    /// [`audit::append_pending`].
    pub fn offered_event<'a>(
        actor: &'a Actor,
        award: &Award,
        now: DateTime<Utc>,
    ) -> audit::PendingEvent<'a> {
        audit::PendingEvent::change(
            actor,
            "award.offered",
            "award",
            award.id,
            Some(award.fund_id),
            None,
            Some(award),
            now,
        )
    }

    /// Writes the batch's awards: their numbers recorded, the award rows in
    /// one insert, then their accounts and transfers with one conditional
    /// debit of the round for their total, last
    /// ([`ledger::post_to_new_accounts_if_covered`]). Their audit events
    /// are the caller's to append, before this.
    pub fn finish(self, conn: &mut AnyConnection) -> Result<Finished, StoreError> {
        if self.made.is_empty() {
            return Ok(Finished::Written);
        }
        self.numbers.finish(conn, self.made.len())?;
        let references: Vec<String> = self
            .made
            .iter()
            .map(|(a, _)| a.reference.to_string())
            .collect();
        let rows: Vec<NewAwardRow<'_>> = self
            .made
            .iter()
            .zip(&references)
            .map(|((award, posting), reference)| {
                let at = DbTime::new(posting.at);
                NewAwardRow {
                    id: db_id(award.id),
                    reference: reference.as_str(),
                    fund_id: db_id(award.fund_id),
                    round_id: db_id(award.round_id),
                    application_id: db_id(award.application_id),
                    grantee_id: db_id(award.grantee_id),
                    fields: AwardFields::new(award, 0, None, None),
                    version: 1,
                    created_at: at,
                    updated_at: at,
                }
            })
            .collect();
        crate::connection::insert_batch!(conn, awards::table, &rows)?;
        let postings: Vec<ledger::Posting> = self.made.iter().map(|(_, p)| p.clone()).collect();
        let debit = grantledger_domain::ledger::Account::RoundAvailable(self.round);
        match self.hold {
            Hold::Locked => {
                ledger::post_to_new_accounts(conn, self.fund, &debit, &postings)?;
                Ok(Finished::Written)
            }
            Hold::Unlocked => {
                match ledger::post_to_new_accounts_if_covered(conn, self.fund, &debit, &postings)? {
                    ledger::Posted::Done => Ok(Finished::Written),
                    ledger::Posted::Short { .. } => Ok(Finished::RoundMoved),
                }
            }
        }
    }
}

/// A new award's row, for [`RoundBatch::finish`]: what [`create`] inserts.
#[derive(Insertable)]
#[diesel(table_name = awards, treat_none_as_null = true)]
struct NewAwardRow<'a> {
    id: DbUuid,
    reference: &'a str,
    fund_id: DbUuid,
    round_id: DbUuid,
    application_id: DbUuid,
    grantee_id: DbUuid,
    #[diesel(embed)]
    fields: AwardFields<'a>,
    version: i64,
    created_at: DbTime,
    updated_at: DbTime,
}

/// One award.
pub fn get(conn: &mut AnyConnection, id: AwardId) -> Result<Record<Stored>, StoreError> {
    let row = find_row!(conn, awards, AwardRow, db_id(id), "award")?;
    to_record(row)
}

/// The award made for an application, if any.
pub fn for_application(
    conn: &mut AnyConnection,
    application: ApplicationId,
) -> Result<Option<Record<Stored>>, StoreError> {
    let row: Option<AwardRow> = awards::table
        .filter(awards::application_id.eq(db_id(application)))
        .select(AwardRow::as_select())
        .first(conn)
        .optional()?;
    row.map(to_record).transpose()
}

/// Filters for listing awards.
#[derive(Debug, Clone, Default)]
pub struct AwardFilter {
    /// Only this fund's.
    pub fund_id: Option<FundId>,
    /// Only this round's.
    pub round_id: Option<RoundId>,
    /// Only this grantee's.
    pub grantee_id: Option<GranteeId>,
    /// Only in this status.
    pub status: Option<AwardStatus>,
}

/// A page of awards, oldest first.
pub fn list(
    conn: &mut AnyConnection,
    filter: &AwardFilter,
    page: PageRequest,
) -> Result<Page<Record<Stored>>, StoreError> {
    let mut query = page_query!(awards, AwardRow, page);
    if let Some(fund) = filter.fund_id {
        query = query.filter(awards::fund_id.eq(db_id(fund)));
    }
    if let Some(round) = filter.round_id {
        query = query.filter(awards::round_id.eq(db_id(round)));
    }
    if let Some(grantee) = filter.grantee_id {
        query = query.filter(awards::grantee_id.eq(db_id(grantee)));
    }
    if let Some(status) = filter.status {
        query = query.filter(awards::status.eq(status.as_str()));
    }
    let rows: Vec<AwardRow> = query.load(conn)?;
    page.finish_with(rows, to_record, |r| r.value.award.id.into())
}

/// Saves a changed award over the version it was read at, posts the
/// transfer that goes with the change (if any) and appends the audit event.
pub fn save(
    conn: &mut AnyConnection,
    before: &Record<Stored>,
    after: &Stored,
    transfer: Option<&Transfer>,
    action: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Record<Stored>, StoreError> {
    let a = &after.award;
    if let Some(transfer) = transfer {
        ledger::post(
            conn,
            a.fund_id,
            transfer,
            Cause {
                entity_type: "award",
                entity_id: a.id.into(),
            },
            now,
        )?;
    }
    update_versioned!(
        conn,
        awards,
        db_id(a.id),
        before.version,
        "award",
        (
            AwardFields::new(
                a,
                after.scheduled.pence(),
                after.return_due_on,
                after.cancellation_reason.as_deref(),
            ),
            awards::updated_at.eq(DbTime::new(now)),
        ),
    )?;
    audit::record_change(
        conn,
        actor,
        action,
        "award",
        a.id,
        Some(a.fund_id),
        Some(&stored_summary(&before.value)),
        Some(&stored_summary(after)),
        now,
    )?;
    get(conn, a.id)
}

/// Applies a variation: the award's new amount, the ledger transfer for the
/// difference (up needs round headroom; down returns money to the round),
/// and a row in the variation history. A variation outside the round's
/// grant range carries the administrator's override reason, kept on the row
/// and in its own `award.varied_outside_range` audit event.
#[expect(
    clippy::too_many_arguments,
    reason = "one variation: the award before and after, the change, its reasons, who and when"
)]
pub fn vary(
    conn: &mut AnyConnection,
    before: &Record<Stored>,
    varied: &Award,
    delta: MoneyDelta,
    reason: &str,
    range_override: Option<&str>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(Record<Stored>, Variation), StoreError> {
    if varied.amount < before.value.scheduled {
        return Err(StoreError::Conflict(format!(
            "the award cannot go below the {} already scheduled or paid; cancel or fail tranches first",
            before.value.scheduled
        )));
    }
    let transfer = Transfer::variation(varied.round_id, varied.id, delta).map_err(conflict)?;
    let after = Stored {
        award: varied.clone(),
        ..before.value.clone()
    };
    let record = save(
        conn,
        before,
        &after,
        Some(&transfer),
        "award.varied",
        actor,
        now,
    )?;
    let variation = Variation {
        id: uuid::Uuid::now_v7(),
        award_id: varied.id,
        previous_amount: before.value.award.amount,
        new_amount: varied.amount,
        reason: reason.to_owned(),
        range_override_reason: range_override.map(str::to_owned),
        created_at: DbTime::new(now).0,
    };
    diesel::insert_into(award_variations::table)
        .values((
            award_variations::id.eq(DbUuid(variation.id)),
            award_variations::award_id.eq(db_id(varied.id)),
            award_variations::previous_amount_pence.eq(variation.previous_amount.pence()),
            award_variations::new_amount_pence.eq(variation.new_amount.pence()),
            award_variations::reason.eq(reason),
            award_variations::created_by.eq(actor.user_id.map(db_id)),
            award_variations::created_at.eq(DbTime::new(now)),
            award_variations::range_override_reason.eq(range_override),
        ))
        .execute(conn)?;
    if let Some(why) = range_override {
        audit::record_change(
            conn,
            actor,
            "award.varied_outside_range",
            "award",
            varied.id,
            Some(varied.fund_id),
            Some(&serde_json::json!({ "amount": before.value.award.amount })),
            Some(&serde_json::json!({
                "amount": varied.amount,
                "variation_id": variation.id,
                "range_override_reason": why,
            })),
            now,
        )?;
    }
    Ok((record, variation))
}

/// One change of an award's amount.
#[derive(Debug, Clone, PartialEq)]
pub struct Variation {
    /// Its id.
    pub id: uuid::Uuid,
    /// The award varied.
    pub award_id: AwardId,
    /// The amount before.
    pub previous_amount: Money,
    /// The amount after.
    pub new_amount: Money,
    /// Why.
    pub reason: String,
    /// Why it goes outside the round's grant range, when it does.
    pub range_override_reason: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// An award's variations, oldest first.
pub fn variations(conn: &mut AnyConnection, award: AwardId) -> Result<Vec<Variation>, StoreError> {
    type Row = (DbUuid, DbUuid, i64, i64, String, DbTime, Option<String>);
    let rows: Vec<Row> = award_variations::table
        .filter(award_variations::award_id.eq(db_id(award)))
        .order(award_variations::id.asc())
        .select((
            award_variations::id,
            award_variations::award_id,
            award_variations::previous_amount_pence,
            award_variations::new_amount_pence,
            award_variations::reason,
            award_variations::created_at,
            award_variations::range_override_reason,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(
            |(id, award_id, previous, new, reason, at, range_override_reason)| {
                Ok(Variation {
                    id: id.0,
                    award_id: AwardId::from_uuid(award_id.0),
                    previous_amount: money("previous amount", previous)?,
                    new_amount: money("new amount", new)?,
                    reason,
                    range_override_reason,
                    created_at: at.0,
                })
            },
        )
        .collect()
}

/// One award as the open-data export needs it: with its application's text,
/// its grantee and its round.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportRow {
    /// The award, with when it was made (`created_at`) and last changed.
    pub award: Record<Stored>,
    /// The application's project title.
    pub title: String,
    /// The application's summary.
    pub summary: String,
    /// What the application asked for.
    pub amount_requested: Money,
    /// The recipient (shared with the other grants to it, see [`ExportCache`]).
    pub grantee: Arc<grantledger_domain::grantee::Grantee>,
    /// The round's number.
    pub round_number: u16,
    /// The round's name.
    pub round_name: Arc<str>,
}

/// What an export has read of grantees and rounds. Each award's grantee
/// and round are looked up here rather than joined to every award row:
/// the database reads and the store parses each grantee once per export
/// instead of once per grant (10,000 grantees against 1,000,000 grants in
/// the benchmark). At most [`EXPORT_CACHE_GRANTEES`] grantees are kept, so
/// memory stays flat however many grants and grantees there are.
#[derive(Debug, Default)]
pub struct ExportCache {
    grantees: HashMap<GranteeId, Arc<grantledger_domain::grantee::Grantee>>,
    rounds: HashMap<RoundId, (u16, Arc<str>)>,
}

/// The most grantees an [`ExportCache`] holds (about 300 bytes each).
pub const EXPORT_CACHE_GRANTEES: usize = 20_000;

/// The most ids one `IN (…)` of [`export_batch`] binds (SQLite binds each
/// as its own parameter).
const EXPORT_IN_CHUNK: usize = 5_000;

/// The next `limit` awards (of one fund, or all) whose status may be
/// published, after the award `after`, in id order: keyset pagination, so
/// each batch costs the same however far into the export it is and memory
/// holds one batch at a time. Grantees and rounds come from `cache`, read
/// for the batch when it does not hold them.
pub fn export_batch(
    conn: &mut AnyConnection,
    fund: Option<FundId>,
    statuses: &[AwardStatus],
    after: Option<AwardId>,
    limit: u32,
    cache: &mut ExportCache,
) -> Result<Vec<ExportRow>, StoreError> {
    use crate::schema::applications;
    let statuses: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
    let mut query = awards::table
        .filter(awards::status.eq_any(statuses))
        .select(AwardRow::as_select())
        .order(awards::id.asc())
        .limit(i64::from(limit))
        .into_boxed();
    if let Some(fund) = fund {
        query = query.filter(awards::fund_id.eq(db_id(fund)));
    }
    if let Some(after) = after {
        query = query.filter(awards::id.gt(db_id(after)));
    }
    let awards: Vec<AwardRow> = query.load(conn)?;
    // The batch's applications in one query rather than a join: joined, the
    // database looked each one up in award order (a random page each);
    // asked for by id, it reads their pages once each, in page order.
    let mut texts: HashMap<uuid::Uuid, (String, String, i64)> =
        HashMap::with_capacity(awards.len());
    for chunk in awards.chunks(EXPORT_IN_CHUNK) {
        let found: Vec<(DbUuid, String, String, i64)> = applications::table
            .filter(applications::id.eq_any(chunk.iter().map(|a| a.application_id)))
            .select((
                applications::id,
                applications::project_title,
                applications::summary,
                applications::amount_requested_pence,
            ))
            .load(conn)?;
        texts.extend(
            found
                .into_iter()
                .map(|(id, title, summary, requested)| (id.0, (title, summary, requested))),
        );
    }
    let rows: Vec<(AwardRow, (String, String, i64))> = awards
        .into_iter()
        .map(|award| {
            let text = texts
                .remove(&award.application_id.0)
                .ok_or(StoreError::NotFound {
                    entity: "application",
                })?;
            Ok((award, text))
        })
        .collect::<Result<_, StoreError>>()?;
    export_rows(conn, rows, cache)
}

/// A batch's rows as [`ExportRow`]s, their grantees and rounds from `cache`
/// (read for the batch when it does not hold them).
fn export_rows(
    conn: &mut AnyConnection,
    rows: Vec<(AwardRow, (String, String, i64))>,
    cache: &mut ExportCache,
) -> Result<Vec<ExportRow>, StoreError> {
    use crate::grantees::{GranteeRow, to_record as grantee_record};
    use crate::schema::grantees;
    // The batch's grantees and rounds the cache lacks, read in one query each.
    let mut missing: Vec<GranteeId> = rows
        .iter()
        .map(|(a, _)| GranteeId::from_uuid(a.grantee_id.0))
        .filter(|id| !cache.grantees.contains_key(id))
        .collect();
    missing.sort_unstable();
    missing.dedup();
    if cache.grantees.len() + missing.len() > EXPORT_CACHE_GRANTEES {
        cache.grantees.clear();
        missing = rows
            .iter()
            .map(|(a, _)| GranteeId::from_uuid(a.grantee_id.0))
            .collect();
        missing.sort_unstable();
        missing.dedup();
    }
    for chunk in missing.chunks(1_000) {
        let found: Vec<GranteeRow> = grantees::table
            .filter(grantees::id.eq_any(chunk.iter().map(|g| db_id(*g))))
            .select(GranteeRow::as_select())
            .load(conn)?;
        for row in found {
            let grantee = grantee_record(row)?.value;
            cache.grantees.insert(grantee.id, Arc::new(grantee));
        }
    }
    let mut missing_rounds: Vec<RoundId> = rows
        .iter()
        .map(|(a, _)| RoundId::from_uuid(a.round_id.0))
        .filter(|id| !cache.rounds.contains_key(id))
        .collect();
    missing_rounds.sort_unstable();
    missing_rounds.dedup();
    if !missing_rounds.is_empty() {
        let found: Vec<(DbUuid, i32, String)> = rounds::table
            .filter(rounds::id.eq_any(missing_rounds.iter().map(|r| db_id(*r))))
            .select((rounds::id, rounds::number, rounds::name))
            .load(conn)?;
        for (id, number, name) in found {
            let number =
                u16::try_from(number).map_err(|e| StoreError::corrupt("round number", e))?;
            cache
                .rounds
                .insert(RoundId::from_uuid(id.0), (number, Arc::from(name)));
        }
    }
    rows.into_iter()
        .map(|(award, (title, summary, requested))| {
            let grantee = cache
                .grantees
                .get(&GranteeId::from_uuid(award.grantee_id.0))
                .cloned()
                .ok_or(StoreError::NotFound { entity: "grantee" })?;
            let (round_number, round_name) = cache
                .rounds
                .get(&RoundId::from_uuid(award.round_id.0))
                .cloned()
                .ok_or(StoreError::NotFound { entity: "round" })?;
            Ok(ExportRow {
                award: to_record(award)?,
                title,
                summary,
                amount_requested: money("amount requested", requested)?,
                grantee,
                round_number,
                round_name,
            })
        })
        .collect()
}

/// A row of [`export_each`]'s cursor: the award and its application's text.
#[derive(QueryableByName)]
#[diesel(table_name = awards)]
struct ExportCursorRow {
    #[diesel(embed)]
    award: AwardRow,
    #[diesel(sql_type = diesel::sql_types::Text)]
    project_title: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    summary: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    amount_requested_pence: i64,
}

/// Every award (of one fund, or all) whose status may be published, in id
/// order as [`export_batch`] pages through them, given to `each` in batches
/// of `limit`; memory holds one batch at a time.
///
/// On PostgreSQL the export is one query over a cursor in a read-only
/// transaction, fetched `limit` rows at a time: the database joins awards
/// to applications in one pass over each table and sorts once, instead of
/// an index lookup of the application for every award (which, with ids in
/// no particular heap order, is a random page each). On SQLite, in-process,
/// it pages with [`export_batch`].
pub fn export_each<E: From<StoreError>>(
    conn: &mut AnyConnection,
    fund: Option<FundId>,
    statuses: &[AwardStatus],
    limit: u32,
    cache: &mut ExportCache,
    mut each: impl FnMut(Vec<ExportRow>) -> Result<(), E>,
) -> Result<(), E> {
    if matches!(conn, AnyConnection::Sqlite(_)) {
        let mut after: Option<AwardId> = None;
        loop {
            let batch = export_batch(conn, fund, statuses, after, limit, cache)?;
            let Some(last) = batch.last() else {
                return Ok(());
            };
            after = Some(last.award.value.award.id);
            let full = batch.len() >= limit as usize;
            each(batch)?;
            if !full {
                return Ok(());
            }
        }
    }
    use diesel::connection::TransactionManager;
    type Manager = <AnyConnection as Connection>::TransactionManager;
    Manager::begin_transaction(conn).map_err(StoreError::from)?;
    let outcome = export_cursor(conn, fund, statuses, limit, cache, &mut each);
    let ended = match outcome {
        Ok(()) => Manager::commit_transaction(conn),
        Err(_) => Manager::rollback_transaction(conn),
    };
    outcome?;
    ended.map_err(StoreError::from)?;
    Ok(())
}

fn export_cursor<E: From<StoreError>>(
    conn: &mut AnyConnection,
    fund: Option<FundId>,
    statuses: &[AwardStatus],
    limit: u32,
    cache: &mut ExportCache,
    each: &mut impl FnMut(Vec<ExportRow>) -> Result<(), E>,
) -> Result<(), E> {
    use diesel::connection::SimpleConnection;
    // Only our own values go into the text: statuses are fixed words and
    // the fund a UUID.
    let statuses = statuses
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let fund = fund.map_or_else(String::new, |f| {
        format!(" AND a.fund_id = '{}'", uuid::Uuid::from(f))
    });
    conn.batch_execute(&format!(
        "SET TRANSACTION READ ONLY; \
         SET LOCAL cursor_tuple_fraction = 1.0; \
         DECLARE grantledger_export NO SCROLL CURSOR FOR \
         SELECT a.id, a.reference, a.fund_id, a.round_id, a.application_id, a.grantee_id, \
                a.amount_pence, a.paid_pence, a.scheduled_pence, a.status, a.return_due_on, \
                a.version, a.created_at, a.updated_at, a.cancellation_reason, \
                p.project_title, p.summary, p.amount_requested_pence \
         FROM awards a JOIN applications p ON p.id = a.application_id \
         WHERE a.status IN ({statuses}){fund} ORDER BY a.id"
    ))
    .map_err(StoreError::from)?;
    let fetch = format!("FETCH FORWARD {limit} FROM grantledger_export");
    loop {
        let found: Vec<ExportCursorRow> = match conn {
            AnyConnection::Postgresql(pg) => diesel::sql_query(&fetch)
                .load(pg)
                .map_err(StoreError::from)?,
            AnyConnection::Sqlite(_) => {
                return Err(StoreError::Conflict("a cursor export on SQLite".to_owned()).into());
            }
        };
        let full = found.len() >= limit as usize;
        if found.is_empty() {
            break;
        }
        let rows = found
            .into_iter()
            .map(|r| {
                (
                    r.award,
                    (r.project_title, r.summary, r.amount_requested_pence),
                )
            })
            .collect();
        each(export_rows(conn, rows, cache)?)?;
        if !full {
            break;
        }
    }
    conn.batch_execute("CLOSE grantledger_export")
        .map_err(StoreError::from)?;
    Ok(())
}

/// How many awards (of one fund, or all) have a status that may be
/// published: the length of an export, for a progress bar.
pub fn export_count(
    conn: &mut AnyConnection,
    fund: Option<FundId>,
    statuses: &[AwardStatus],
) -> Result<u64, StoreError> {
    let statuses: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
    let mut query = awards::table
        .filter(awards::status.eq_any(statuses))
        .count()
        .into_boxed();
    if let Some(fund) = fund {
        query = query.filter(awards::fund_id.eq(db_id(fund)));
    }
    let n: i64 = query.get_result(conn)?;
    u64::try_from(n).map_err(|e| StoreError::corrupt("award count", e))
}
