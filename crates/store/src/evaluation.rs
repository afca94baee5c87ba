//! Evaluation returns: submissions as immutable versions, reviews, return
//! due dates on awards, the overdue list, and the rows behind fund outcomes.
//!
//! Awards themselves belong to the award workflow; this module only reads
//! what it needs of an award ([`award_context`]) and sets its return due date.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use grantledger_domain::Money;
use grantledger_domain::award::AwardStatus;
use grantledger_domain::evaluation::{
    EvaluationReturn, Moments, OutcomeBuilder, PairedTable, ReturnContent, ReviewDecision,
    ReviewStatus, Stage, StageTally, SurveyResponse, Tally,
};
use grantledger_domain::grantee::Region;
use grantledger_domain::ids::{AwardId, EvaluationReturnId, FundId, GranteeId, RoundId, UserId};

use crate::audit;
use crate::common::{Actor, Page, PageRequest, Record, db_id, find_row, parse, update_versioned};
use crate::connection::AnyConnection;
use crate::error::StoreError;
use crate::schema::{
    awards, evaluation_return_versions as versions, evaluation_returns as returns,
    evaluation_reviews as reviews, evaluation_version_tallies as tallies, grantees, rounds,
};
use crate::sql_types::{DbTime, DbUuid};

/// What evaluation needs to know about an award.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwardContext {
    /// The award.
    pub id: AwardId,
    /// Its human reference.
    pub reference: String,
    /// Its fund.
    pub fund_id: FundId,
    /// Its round.
    pub round_id: RoundId,
    /// The grantee it was made to.
    pub grantee_id: GranteeId,
    /// Its lifecycle state.
    pub status: AwardStatus,
    /// When its evaluation return is due, if set.
    pub return_due_on: Option<NaiveDate>,
    /// The award row's version.
    pub version: i64,
    /// Paid on it so far (net of recoveries).
    pub paid: Money,
    /// When it was made.
    pub awarded_at: DateTime<Utc>,
}

type AwardRow = (
    DbUuid,
    String,
    DbUuid,
    DbUuid,
    DbUuid,
    String,
    Option<NaiveDate>,
    i64,
    i64,
    DbTime,
);

/// Reads the parts of an award that evaluation needs.
pub fn award_context(conn: &mut AnyConnection, id: AwardId) -> Result<AwardContext, StoreError> {
    let row: AwardRow = awards::table
        .find(db_id(id))
        .select((
            awards::id,
            awards::reference,
            awards::fund_id,
            awards::round_id,
            awards::grantee_id,
            awards::status,
            awards::return_due_on,
            awards::version,
            awards::paid_pence,
            awards::created_at,
        ))
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound { entity: "award" })?;
    let (
        id,
        reference,
        fund_id,
        round_id,
        grantee_id,
        status,
        return_due_on,
        version,
        paid,
        awarded_at,
    ) = row;
    Ok(AwardContext {
        id: AwardId::from_uuid(id.0),
        reference,
        fund_id: FundId::from_uuid(fund_id.0),
        round_id: RoundId::from_uuid(round_id.0),
        grantee_id: GranteeId::from_uuid(grantee_id.0),
        status: parse::<AwardStatus>("award status", &status)?,
        return_due_on,
        version,
        paid: crate::common::money("award paid", paid)?,
        awarded_at: awarded_at.0,
    })
}

/// Sets (or clears) the date an award's evaluation return is due, over the
/// award version the caller read.
pub fn set_return_due_date(
    conn: &mut AnyConnection,
    award: &AwardContext,
    due: Option<NaiveDate>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<AwardContext, StoreError> {
    update_versioned!(
        conn,
        awards,
        db_id(award.id),
        award.version,
        "award",
        (
            awards::return_due_on.eq(due),
            awards::updated_at.eq(DbTime::new(now)),
        ),
    )?;
    audit::record_change(
        conn,
        actor,
        "award.return_due_date_set",
        "award",
        award.id,
        Some(award.fund_id),
        Some(&serde_json::json!({ "return_due_on": award.return_due_on })),
        Some(&serde_json::json!({ "return_due_on": due })),
        now,
    )?;
    award_context(conn, award.id)
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = returns)]
struct ReturnRow {
    id: DbUuid,
    award_id: DbUuid,
    fund_id: DbUuid,
    round_id: DbUuid,
    grantee_id: DbUuid,
    status: String,
    latest_version: i32,
    version: i64,
    created_at: DbTime,
    updated_at: DbTime,
}

fn to_record(row: ReturnRow) -> Result<Record<EvaluationReturn>, StoreError> {
    Ok(Record {
        value: EvaluationReturn {
            id: EvaluationReturnId::from_uuid(row.id.0),
            award_id: AwardId::from_uuid(row.award_id.0),
            fund_id: FundId::from_uuid(row.fund_id.0),
            round_id: RoundId::from_uuid(row.round_id.0),
            grantee_id: GranteeId::from_uuid(row.grantee_id.0),
            status: parse::<ReviewStatus>("evaluation return status", &row.status)?,
            latest_version: u32::try_from(row.latest_version)
                .map_err(|e| StoreError::corrupt("evaluation return version", e))?,
        },
        version: row.version,
        created_at: row.created_at.0,
        updated_at: row.updated_at.0,
    })
}

/// One version of a return, as submitted.
#[derive(Debug, Clone, PartialEq)]
pub struct ReturnVersion {
    /// The return.
    pub return_id: EvaluationReturnId,
    /// 1, 2, …
    pub number: u32,
    /// What was submitted.
    pub content: ReturnContent,
    /// Who submitted it.
    pub submitted_by: Option<UserId>,
    /// When.
    pub submitted_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = versions)]
struct VersionRow {
    return_id: DbUuid,
    number: i32,
    period_start: NaiveDate,
    period_end: NaiveDate,
    participants_reached: i32,
    volunteers: i32,
    sessions_delivered: i32,
    narrative: String,
    case_study: Option<String>,
    responses: String,
    submitted_by: Option<DbUuid>,
    submitted_at: DbTime,
}

fn count(what: &str, n: i32) -> Result<u32, StoreError> {
    u32::try_from(n).map_err(|e| StoreError::corrupt(what, e))
}

fn parse_responses(text: &str) -> Result<Vec<SurveyResponse>, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::corrupt("survey responses", e))
}

fn to_version(row: VersionRow) -> Result<ReturnVersion, StoreError> {
    Ok(ReturnVersion {
        return_id: EvaluationReturnId::from_uuid(row.return_id.0),
        number: count("version number", row.number)?,
        content: ReturnContent {
            period_start: row.period_start,
            period_end: row.period_end,
            participants_reached: count("participants reached", row.participants_reached)?,
            volunteers: count("volunteers", row.volunteers)?,
            sessions_delivered: count("sessions delivered", row.sessions_delivered)?,
            narrative: row.narrative,
            case_study: row.case_study,
            responses: parse_responses(&row.responses)?,
        },
        submitted_by: row.submitted_by.map(|u| UserId::from_uuid(u.0)),
        submitted_at: row.submitted_at.0,
    })
}

fn to_i32(what: &str, n: usize) -> Result<i32, StoreError> {
    i32::try_from(n).map_err(|_| StoreError::Conflict(format!("{what} is too large")))
}

/// Submits a return on an award: the first version, or a new version of the
/// award's return (refused once it is accepted). Versions are never changed.
pub fn submit(
    conn: &mut AnyConnection,
    award: &AwardContext,
    content: &ReturnContent,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(Record<EvaluationReturn>, ReturnVersion), StoreError> {
    let at = DbTime::new(now);
    let existing = for_award(conn, award.id)?;
    let (after, before) = match &existing {
        None => {
            let first = EvaluationReturn::first(
                EvaluationReturnId::new(),
                award.id,
                award.status,
                award.paid,
                award.fund_id,
                award.round_id,
                award.grantee_id,
            )
            .map_err(|e| StoreError::Conflict(e.to_string()))?;
            diesel::insert_into(returns::table)
                .values((
                    returns::id.eq(db_id(first.id)),
                    returns::award_id.eq(db_id(first.award_id)),
                    returns::fund_id.eq(db_id(first.fund_id)),
                    returns::round_id.eq(db_id(first.round_id)),
                    returns::grantee_id.eq(db_id(first.grantee_id)),
                    ReturnFields::of(&first)?,
                    returns::version.eq(1_i64),
                    returns::created_at.eq(at),
                    returns::updated_at.eq(at),
                ))
                .execute(conn)
                .map_err(|e| match StoreError::from(e) {
                    StoreError::Duplicate { .. } => StoreError::Conflict(
                        "another return on this award was submitted at the same time; try again"
                            .into(),
                    ),
                    other => other,
                })?;
            (first, None)
        }
        Some(before) => {
            if !grantledger_domain::evaluation::award_takes_returns(award.status, award.paid) {
                return Err(StoreError::Conflict(format!(
                    "cannot report on an award that is {}",
                    award.status
                )));
            }
            let next = before
                .value
                .resubmit()
                .map_err(|e| StoreError::Conflict(e.to_string()))?;
            update_header(conn, before, &next, now)?;
            (next, Some(before))
        }
    };
    let number = i32::try_from(after.latest_version)
        .map_err(|_| StoreError::Conflict("too many versions".into()))?;
    let responses = serde_json::to_string(&content.responses)
        .map_err(|e| StoreError::Conflict(format!("responses cannot be stored: {e}")))?;
    diesel::insert_into(versions::table)
        .values((
            versions::return_id.eq(db_id(after.id)),
            versions::number.eq(number),
            versions::period_start.eq(content.period_start),
            versions::period_end.eq(content.period_end),
            versions::participants_reached.eq(to_i32(
                "participants reached",
                content.participants_reached as usize,
            )?),
            versions::volunteers.eq(to_i32("volunteers", content.volunteers as usize)?),
            versions::sessions_delivered.eq(to_i32(
                "sessions delivered",
                content.sessions_delivered as usize,
            )?),
            versions::narrative.eq(&content.narrative),
            versions::case_study.eq(content.case_study.as_deref()),
            versions::baseline_respondents
                .eq(to_i32("respondents", content.respondents(Stage::Baseline))?),
            versions::follow_up_respondents
                .eq(to_i32("respondents", content.respondents(Stage::FollowUp))?),
            versions::responses.eq(&responses),
            versions::submitted_by.eq(actor.user_id.map(db_id)),
            versions::submitted_at.eq(at),
        ))
        .execute(conn)?;
    insert_tally(
        conn,
        after.id,
        number,
        &Tally::of_return(content.participants_reached, &content.responses),
    )?;
    // The return's summary, with how many responses and participants the
    // version submitted carries.
    let mut after_summary = audit::summary(&after);
    if let Some(obj) = after_summary.as_object_mut() {
        obj.insert("responses".into(), content.responses.len().into());
        obj.insert(
            "participants_reached".into(),
            content.participants_reached.into(),
        );
    }
    audit::record_change(
        conn,
        actor,
        "evaluation_return.submitted",
        "evaluation_return",
        after.id,
        Some(after.fund_id),
        before.map(|b| audit::summary(&b.value)).as_ref(),
        Some(&after_summary),
        now,
    )?;
    let record = get(conn, after.id)?;
    let version = version(conn, after.id, after.latest_version)?;
    Ok((record, version))
}

/// The columns a change to a return's header sets, for insert and update
/// alike, so the two cannot drift.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = returns)]
struct ReturnFields {
    status: &'static str,
    latest_version: i32,
}

impl ReturnFields {
    fn of(r: &EvaluationReturn) -> Result<Self, StoreError> {
        Ok(ReturnFields {
            status: r.status.as_str(),
            latest_version: i32::try_from(r.latest_version)
                .map_err(|_| StoreError::Conflict("too many versions".into()))?,
        })
    }
}

fn update_header(
    conn: &mut AnyConnection,
    before: &Record<EvaluationReturn>,
    after: &EvaluationReturn,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    update_versioned!(
        conn,
        returns,
        db_id(after.id),
        before.version,
        "evaluation return",
        (
            ReturnFields::of(after)?,
            returns::updated_at.eq(DbTime::new(now)),
        ),
    )?;
    Ok(())
}

/// One return.
pub fn get(
    conn: &mut AnyConnection,
    id: EvaluationReturnId,
) -> Result<Record<EvaluationReturn>, StoreError> {
    let row = find_row!(conn, returns, ReturnRow, db_id(id), "evaluation return")?;
    to_record(row)
}

/// The return on an award, if one was submitted.
pub fn for_award(
    conn: &mut AnyConnection,
    award: AwardId,
) -> Result<Option<Record<EvaluationReturn>>, StoreError> {
    returns::table
        .filter(returns::award_id.eq(db_id(award)))
        .select(ReturnRow::as_select())
        .first(conn)
        .optional()?
        .map(to_record)
        .transpose()
}

/// One version of a return.
pub fn version(
    conn: &mut AnyConnection,
    id: EvaluationReturnId,
    number: u32,
) -> Result<ReturnVersion, StoreError> {
    let number = i32::try_from(number).map_err(|_| StoreError::NotFound {
        entity: "evaluation return version",
    })?;
    let row = find_row!(
        conn,
        versions,
        VersionRow,
        (db_id(id), number),
        "evaluation return version"
    )?;
    to_version(row)
}

/// Every version of a return, oldest first.
pub fn versions(
    conn: &mut AnyConnection,
    id: EvaluationReturnId,
) -> Result<Vec<ReturnVersion>, StoreError> {
    let rows: Vec<VersionRow> = versions::table
        .filter(versions::return_id.eq(db_id(id)))
        .order(versions::number.asc())
        .select(VersionRow::as_select())
        .load(conn)?;
    rows.into_iter().map(to_version).collect()
}

/// An administrator's review of one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    /// The version reviewed.
    pub version_number: u32,
    /// Accept or request changes.
    pub decision: ReviewDecision,
    /// What the reviewer said.
    pub comment: Option<String>,
    /// Who reviewed.
    pub reviewed_by: Option<UserId>,
    /// When.
    pub reviewed_at: DateTime<Utc>,
}

/// Every review of a return, oldest first.
pub fn reviews(
    conn: &mut AnyConnection,
    id: EvaluationReturnId,
) -> Result<Vec<Review>, StoreError> {
    type Row = (i32, String, Option<String>, Option<DbUuid>, DbTime);
    let rows: Vec<Row> = reviews::table
        .filter(reviews::return_id.eq(db_id(id)))
        .order((reviews::reviewed_at.asc(), reviews::id.asc()))
        .select((
            reviews::version_number,
            reviews::decision,
            reviews::comment,
            reviews::reviewed_by,
            reviews::reviewed_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(n, decision, comment, by, at)| {
            Ok(Review {
                version_number: count("reviewed version", n)?,
                decision: parse::<ReviewDecision>("review decision", &decision)?,
                comment,
                reviewed_by: by.map(|u| UserId::from_uuid(u.0)),
                reviewed_at: at.0,
            })
        })
        .collect()
}

/// Records a review decision on the latest version of a return.
pub fn review(
    conn: &mut AnyConnection,
    before: &Record<EvaluationReturn>,
    decision: ReviewDecision,
    comment: Option<&str>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Record<EvaluationReturn>, StoreError> {
    let after = before
        .value
        .review(decision)
        .map_err(|e| StoreError::Conflict(e.to_string()))?;
    update_header(conn, before, &after, now)?;
    let number = i32::try_from(after.latest_version)
        .map_err(|_| StoreError::Conflict("too many versions".into()))?;
    diesel::insert_into(reviews::table)
        .values((
            reviews::id.eq(DbUuid(uuid::Uuid::now_v7())),
            reviews::return_id.eq(db_id(after.id)),
            reviews::version_number.eq(number),
            reviews::decision.eq(decision.as_str()),
            reviews::comment.eq(comment),
            reviews::reviewed_by.eq(actor.user_id.map(db_id)),
            reviews::reviewed_at.eq(DbTime::new(now)),
        ))
        .execute(conn)?;
    // The return's summary, with the review's decision and comment.
    let mut after_summary = audit::summary(&after);
    if let Some(obj) = after_summary.as_object_mut() {
        obj.insert("decision".into(), decision.as_str().into());
        obj.insert("comment".into(), comment.into());
    }
    audit::record_change(
        conn,
        actor,
        match decision {
            ReviewDecision::Accept => "evaluation_return.accepted",
            ReviewDecision::RequestChanges => "evaluation_return.changes_requested",
        },
        "evaluation_return",
        after.id,
        Some(after.fund_id),
        Some(&audit::summary(&before.value)),
        Some(&after_summary),
        now,
    )?;
    get(conn, after.id)
}

/// An award whose evaluation return is overdue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdueReturn {
    /// The award.
    pub award: AwardContext,
    /// Its return's state: `None` when nothing was submitted, or
    /// `changes_requested` when the grantee owes a new version.
    pub return_status: Option<ReviewStatus>,
}

/// Accepted or completed awards whose return was due before `today` and has
/// not been submitted (no return, or changes requested and not resubmitted),
/// by award id.
pub fn overdue(
    conn: &mut AnyConnection,
    today: NaiveDate,
    fund: Option<FundId>,
    page: PageRequest,
) -> Result<Page<OverdueReturn>, StoreError> {
    let mut query = awards::table
        .left_join(returns::table.on(returns::award_id.eq(awards::id)))
        .filter(awards::status.eq_any([
            AwardStatus::Accepted.as_str(),
            AwardStatus::Completed.as_str(),
        ]))
        .filter(awards::return_due_on.lt(today))
        .filter(
            returns::id
                .is_null()
                .or(returns::status.eq(ReviewStatus::ChangesRequested.as_str())),
        )
        .select((
            (
                awards::id,
                awards::reference,
                awards::fund_id,
                awards::round_id,
                awards::grantee_id,
                awards::status,
                awards::return_due_on,
                awards::version,
                awards::paid_pence,
                awards::created_at,
            ),
            returns::status.nullable(),
        ))
        .order(awards::id.asc())
        .limit(page.fetch())
        .into_boxed();
    if let Some(fund) = fund {
        query = query.filter(awards::fund_id.eq(db_id(fund)));
    }
    if let Some(after) = page.after() {
        query = query.filter(awards::id.gt(DbUuid(after)));
    }
    let rows: Vec<(AwardRow, Option<String>)> = query.load(conn)?;
    let items = rows
        .into_iter()
        .map(|(award, status)| {
            let (
                id,
                reference,
                fund_id,
                round_id,
                grantee_id,
                award_status,
                due,
                version,
                paid,
                awarded_at,
            ) = award;
            Ok(OverdueReturn {
                award: AwardContext {
                    id: AwardId::from_uuid(id.0),
                    reference,
                    fund_id: FundId::from_uuid(fund_id.0),
                    round_id: RoundId::from_uuid(round_id.0),
                    grantee_id: GranteeId::from_uuid(grantee_id.0),
                    status: parse::<AwardStatus>("award status", &award_status)?,
                    return_due_on: due,
                    version,
                    paid: crate::common::money("award paid", paid)?,
                    awarded_at: awarded_at.0,
                },
                return_status: status
                    .as_deref()
                    .map(|s| parse::<ReviewStatus>("evaluation return status", s))
                    .transpose()?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(page.finish(items, |o| o.award.id.into()))
}

/// A round as outcome reports name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundLabel {
    /// The round.
    pub id: RoundId,
    /// Its number within the fund.
    pub number: i32,
    /// Its name.
    pub name: String,
}

/// A fund's rounds in number order, for outcome reports.
pub fn fund_rounds(conn: &mut AnyConnection, fund: FundId) -> Result<Vec<RoundLabel>, StoreError> {
    let rows: Vec<(DbUuid, i32, String)> = rounds::table
        .filter(rounds::fund_id.eq(db_id(fund)))
        .order(rounds::number.asc())
        .select((rounds::id, rounds::number, rounds::name))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, number, name)| RoundLabel {
            id: RoundId::from_uuid(id.0),
            number,
            name,
        })
        .collect())
}

/// A tally as stored: its counts and sums as comma-separated integers, in
/// the order of [`tally_values`]. Small enough that the fund report reads
/// a few dozen bytes a return instead of every survey response.
fn encode_tally(tally: &Tally) -> String {
    let values = tally_values(tally);
    let mut out = String::with_capacity(values.len() * 4);
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&v.to_string());
    }
    out
}

/// How many integers a stored tally holds.
const TALLY_VALUES: usize = 39;

fn stage_values(s: &StageTally) -> [i128; 10] {
    let [a, b, c, d, e] = s.direct;
    [
        s.respondents.into(),
        a.into(),
        b.into(),
        c.into(),
        d.into(),
        e.into(),
        s.direct_not_answered.into(),
        s.ucla.n.into(),
        s.ucla.sum.into(),
        s.ucla.sum_sq.into(),
    ]
}

fn moments_values(m: &Moments) -> [i128; 3] {
    [m.n.into(), m.sum.into(), m.sum_sq.into()]
}

fn tally_values(t: &Tally) -> Vec<i128> {
    let mut v: Vec<i128> = vec![t.returns.into(), t.participants_reached.into()];
    v.extend(stage_values(&t.baseline));
    v.extend(stage_values(&t.follow_up));
    v.push(t.paired.into());
    v.extend(moments_values(&t.change));
    v.extend([t.improved, t.same, t.worse].map(i128::from));
    v.extend(moments_values(&t.change_baseline));
    v.extend(moments_values(&t.change_follow_up));
    let dp = &t.direct_pairs;
    v.extend([dp.both, dp.baseline_only, dp.follow_up_only, dp.neither].map(i128::from));
    v
}

/// Reads a stored tally's integers in order; a negative count is corrupt.
struct TallyReader<'a> {
    values: std::str::Split<'a, char>,
    text: &'a str,
}

impl TallyReader<'_> {
    fn corrupt(&self) -> StoreError {
        StoreError::corrupt(
            "outcome tally",
            format!("expected {TALLY_VALUES} integers, found \"{}\"", self.text),
        )
    }

    fn int(&mut self) -> Result<i64, StoreError> {
        match self.values.next().map(str::parse::<i64>) {
            Some(Ok(v)) => Ok(v),
            _ => Err(self.corrupt()),
        }
    }

    fn count(&mut self) -> Result<u64, StoreError> {
        let v = self.int()?;
        u64::try_from(v).map_err(|_| self.corrupt())
    }

    fn moments(&mut self) -> Result<Moments, StoreError> {
        Ok(Moments {
            n: self.count()?,
            sum: self.int()?,
            sum_sq: self.int()?,
        })
    }

    fn stage(&mut self) -> Result<StageTally, StoreError> {
        Ok(StageTally {
            respondents: self.count()?,
            direct: [
                self.count()?,
                self.count()?,
                self.count()?,
                self.count()?,
                self.count()?,
            ],
            direct_not_answered: self.count()?,
            ucla: self.moments()?,
        })
    }
}

/// Reads a stored tally back, in the order [`tally_values`] writes it;
/// anything but [`TALLY_VALUES`] integers is corrupt.
fn decode_tally(text: &str) -> Result<Tally, StoreError> {
    let mut r = TallyReader {
        values: text.split(','),
        text,
    };
    let tally = Tally {
        returns: r.count()?,
        participants_reached: r.count()?,
        baseline: r.stage()?,
        follow_up: r.stage()?,
        paired: r.count()?,
        change: r.moments()?,
        improved: r.count()?,
        same: r.count()?,
        worse: r.count()?,
        change_baseline: r.moments()?,
        change_follow_up: r.moments()?,
        direct_pairs: PairedTable {
            both: r.count()?,
            baseline_only: r.count()?,
            follow_up_only: r.count()?,
            neither: r.count()?,
        },
    };
    if r.values.next().is_some() {
        return Err(r.corrupt());
    }
    Ok(tally)
}

/// Stores the tally of a return version (in the version's transaction).
fn insert_tally(
    conn: &mut AnyConnection,
    id: EvaluationReturnId,
    number: i32,
    tally: &Tally,
) -> Result<(), StoreError> {
    diesel::insert_into(tallies::table)
        .values((
            tallies::return_id.eq(db_id(id)),
            tallies::number.eq(number),
            tallies::tally.eq(encode_tally(tally)),
        ))
        .execute(conn)?;
    Ok(())
}

/// How many returns the outcome queries read at a time.
const OUTCOME_BATCH: i64 = 5_000;

/// The tallies of one fund's returns, summed by round and grantee in the
/// order each pair was first met (so rounds outside the fund's list are
/// reported in the order their first return was read, as before).
/// Grouping by grantee rather than region spares the report a grantee
/// lookup for every return: the regions of the few grantees are read once
/// at the end.
#[derive(Default)]
struct Groups {
    index: std::collections::HashMap<(RoundId, GranteeId), usize>,
    groups: Vec<((RoundId, GranteeId), Tally)>,
}

impl Groups {
    fn add(&mut self, round: RoundId, grantee: GranteeId, tally: &Tally) {
        let key = (round, grantee);
        if let Some(t) = self.index.get(&key).and_then(|&i| self.groups.get_mut(i)) {
            t.1.merge(tally);
        } else {
            self.index.insert(key, self.groups.len());
            self.groups.push((key, tally.clone()));
        }
    }

    /// Adds every group to `builder` under its grantee's region.
    fn report(
        self,
        conn: &mut AnyConnection,
        builder: &mut OutcomeBuilder,
    ) -> Result<(), StoreError> {
        let mut grantee_ids: Vec<GranteeId> = self.index.keys().map(|(_, g)| *g).collect();
        grantee_ids.sort_unstable();
        grantee_ids.dedup();
        let mut regions = std::collections::HashMap::with_capacity(grantee_ids.len());
        for chunk in grantee_ids.chunks(1_000) {
            let rows: Vec<(DbUuid, String)> = grantees::table
                .filter(grantees::id.eq_any(chunk.iter().map(|g| db_id(*g))))
                .select((grantees::id, grantees::region))
                .load(conn)?;
            for (id, region) in rows {
                regions.insert(
                    GranteeId::from_uuid(id.0),
                    parse::<Region>("region", &region)?,
                );
            }
        }
        for ((round, grantee), tally) in &self.groups {
            let region = regions
                .get(grantee)
                .ok_or(StoreError::NotFound { entity: "grantee" })?;
            builder.add_tally(*round, *region, tally);
        }
        Ok(())
    }
}

/// Tallies a fund's outcomes from the latest version of every return that
/// counts (submitted or accepted). Each version was tallied once when it
/// was submitted; the report sums those tallies (a group's tally is
/// exactly the sum of its returns', see [`Tally::merge`]), reading returns
/// in batches so memory grows with the fund's grantees, not its returns.
/// Versions submitted before tallies were stored are tallied here from
/// their responses. Every round of the fund is reported.
pub fn outcomes(conn: &mut AnyConnection, fund: FundId) -> Result<OutcomeBuilder, StoreError> {
    let mut builder = OutcomeBuilder::new(fund_rounds(conn, fund)?.into_iter().map(|r| r.id));
    let counted = [
        ReviewStatus::Submitted.as_str(),
        ReviewStatus::Accepted.as_str(),
    ];
    let mut groups = Groups::default();
    let mut after: Option<DbUuid> = None;
    loop {
        let mut query = returns::table
            .inner_join(
                tallies::table.on(tallies::return_id
                    .eq(returns::id)
                    .and(tallies::number.eq(returns::latest_version))),
            )
            .filter(returns::fund_id.eq(db_id(fund)))
            .filter(returns::status.eq_any(counted))
            .select((
                returns::id,
                returns::round_id,
                returns::grantee_id,
                tallies::tally,
            ))
            .order(returns::id.asc())
            .limit(OUTCOME_BATCH)
            .into_boxed();
        if let Some(last) = after {
            query = query.filter(returns::id.gt(last));
        }
        let rows: Vec<(DbUuid, DbUuid, DbUuid, String)> = query.load(conn)?;
        let full = rows.len() as i64 == OUTCOME_BATCH;
        for (id, round, grantee, tally) in rows {
            groups.add(
                RoundId::from_uuid(round.0),
                GranteeId::from_uuid(grantee.0),
                &decode_tally(&tally)?,
            );
            after = Some(id);
        }
        if !full {
            break;
        }
    }
    // Versions without a stored tally (submitted before tallies were kept).
    let mut after: Option<DbUuid> = None;
    loop {
        let mut query = returns::table
            .inner_join(
                versions::table.on(versions::return_id
                    .eq(returns::id)
                    .and(versions::number.eq(returns::latest_version))),
            )
            .left_join(
                tallies::table.on(tallies::return_id
                    .eq(returns::id)
                    .and(tallies::number.eq(returns::latest_version))),
            )
            .filter(returns::fund_id.eq(db_id(fund)))
            .filter(returns::status.eq_any(counted))
            .filter(tallies::return_id.is_null())
            .select((
                returns::id,
                returns::round_id,
                returns::grantee_id,
                versions::participants_reached,
                versions::responses,
            ))
            .order(returns::id.asc())
            .limit(OUTCOME_BATCH / 10)
            .into_boxed();
        if let Some(last) = after {
            query = query.filter(returns::id.gt(last));
        }
        let rows: Vec<(DbUuid, DbUuid, DbUuid, i32, String)> = query.load(conn)?;
        let full = rows.len() as i64 == OUTCOME_BATCH / 10;
        for (id, round, grantee, participants, responses) in rows {
            let responses = parse_responses(&responses)?;
            let tally = Tally::of_return(count("participants reached", participants)?, &responses);
            groups.add(
                RoundId::from_uuid(round.0),
                GranteeId::from_uuid(grantee.0),
                &tally,
            );
            after = Some(id);
        }
        if !full {
            break;
        }
    }
    groups.report(conn, &mut builder)?;
    Ok(builder)
}

/// Test fixtures. **Fixture only**: awards are made by the award workflow;
/// these insert an application and an award row directly so that evaluation
/// can be tested on its own.
#[cfg(any(test, feature = "testing"))]
pub mod fixture {
    use super::*;
    use crate::schema::{applications, funds};

    /// Inserts an awarded application and an award in `status` for
    /// `grantee` from `round` (of `fund`), worth £1,000.00.
    pub fn award(
        conn: &mut AnyConnection,
        fund: FundId,
        round: RoundId,
        grantee: GranteeId,
        status: AwardStatus,
    ) -> Result<AwardId, StoreError> {
        let now = DbTime::now();
        // Made on 1 January 2025, so tests may set return due dates in the
        // past (a due date cannot come before the award).
        let made = DbTime::new(DateTime::from_timestamp(1_735_722_000, 0).unwrap_or_default());
        let application = uuid::Uuid::now_v7();
        diesel::insert_into(applications::table)
            .values((
                applications::id.eq(DbUuid(application)),
                applications::round_id.eq(db_id(round)),
                applications::grantee_id.eq(db_id(grantee)),
                applications::amount_requested_pence.eq(100_000_i64),
                applications::project_title.eq("Fixture project"),
                applications::summary.eq("Inserted by a test fixture."),
                applications::status.eq("awarded"),
                applications::version.eq(1_i64),
                applications::created_at.eq(now),
                applications::updated_at.eq(now),
            ))
            .execute(conn)?;
        let code: String = funds::table
            .find(db_id(fund))
            .select(funds::code)
            .first(conn)?;
        let number: i32 = rounds::table
            .find(db_id(round))
            .select(rounds::number)
            .first(conn)?;
        let existing: i64 = awards::table
            .filter(awards::round_id.eq(db_id(round)))
            .count()
            .get_result(conn)?;
        let id = AwardId::new();
        diesel::insert_into(awards::table)
            .values((
                awards::id.eq(db_id(id)),
                awards::reference.eq(format!("{code}-R{number}-{:06}", existing + 1)),
                awards::fund_id.eq(db_id(fund)),
                awards::round_id.eq(db_id(round)),
                awards::application_id.eq(DbUuid(application)),
                awards::grantee_id.eq(db_id(grantee)),
                awards::amount_pence.eq(100_000_i64),
                awards::paid_pence.eq(0_i64),
                awards::status.eq(status.as_str()),
                awards::version.eq(1_i64),
                awards::created_at.eq(made),
                awards::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(id)
    }

    /// What [`returns_at_scale`] made.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct ScaleSeed {
        /// Returns whose latest version counts (submitted or accepted).
        pub counted_returns: u64,
        /// Survey responses in those latest versions.
        pub counted_responses: u64,
        /// Returns in all (some have changes requested and do not count).
        pub returns: u64,
    }

    /// A small deterministic generator (xorshift64*): the benchmark's data
    /// is the same every run without a dependency on `rand`.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n.max(1)
        }
    }

    fn responses(rng: &mut Rng, participants: usize) -> Vec<SurveyResponse> {
        use grantledger_domain::evaluation::{DirectAnswer, ParticipantCode, UclaAnswer};
        let ucla = |rng: &mut Rng| match rng.below(10) {
            0 => None,
            1..=3 => Some(UclaAnswer::HardlyEverOrNever),
            4..=7 => Some(UclaAnswer::SomeOfTheTime),
            _ => Some(UclaAnswer::Often),
        };
        let mut out = Vec::with_capacity(participants * 2);
        for p in 0..participants {
            // Codes are the grantee's own pseudonyms; one in ten
            // participants answers at one stage only.
            let code = ParticipantCode::parse(&format!("P-{p:04}")).ok();
            let stages: &[Stage] = if rng.below(10) == 0 {
                &[Stage::Baseline]
            } else {
                &[Stage::Baseline, Stage::FollowUp]
            };
            for &stage in stages {
                out.push(SurveyResponse {
                    stage,
                    participant_code: code.clone(),
                    direct: DirectAnswer::ALL.get(rng.below(6) as usize).copied(),
                    lack_companionship: ucla(rng),
                    left_out: ucla(rng),
                    isolated: ucla(rng),
                });
            }
        }
        out
    }

    /// Seeds `returns` evaluation returns for a benchmark, spread over
    /// `rounds` (id and number) of `fund` (whose code is `code`), each on
    /// its own accepted award to one of `grantees` new grantees (every
    /// region), with `participants` participants a return answering at
    /// baseline and (nine in ten) at follow-up. One return in ten has a
    /// second version (the latest counts), one in twenty has changes
    /// requested (not counted), a third are accepted. Rows (with each
    /// version's outcome tally) are written 500 a statement, as the
    /// application would have written them, without audit events.
    /// **Benchmarks only.**
    pub fn returns_at_scale(
        conn: &mut AnyConnection,
        fund: FundId,
        code: &str,
        rounds: &[(RoundId, i32)],
        grantees: usize,
        returns: usize,
        participants: usize,
    ) -> Result<ScaleSeed, StoreError> {
        use crate::connection::insert_batch;
        const CHUNK: usize = 500;
        let now = DbTime::now();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let grantee_ids: Vec<DbUuid> = (0..grantees.max(1))
            .map(|_| DbUuid(uuid::Uuid::now_v7()))
            .collect();
        for (c, chunk) in grantee_ids.chunks(CHUNK).enumerate() {
            let rows: Vec<_> = chunk
                .iter()
                .enumerate()
                .map(|(i, id)| {
                    let k = c * CHUNK + i;
                    let region = Region::ALL.get(k % Region::ALL.len()).copied();
                    (
                        grantees::id.eq(*id),
                        grantees::name.eq(format!("Community group {k}")),
                        grantees::organisation_type.eq("community_group"),
                        grantees::region.eq(region.map_or("london", Region::as_str)),
                        grantees::local_authority.eq("Leeds"),
                        grantees::postcode.eq("LS1 4DY"),
                        grantees::annual_income_pence.eq(500_000_i64),
                        grantees::due_diligence.eq("passed"),
                        grantees::version.eq(1_i64),
                        grantees::created_at.eq(now),
                        grantees::updated_at.eq(now),
                    )
                })
                .collect();
            insert_batch!(&mut *conn, grantees::table, &rows)?;
        }
        let period_start = NaiveDate::from_ymd_opt(2025, 4, 1).unwrap_or_default();
        let period_end = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap_or_default();
        let mut seed = ScaleSeed {
            counted_returns: 0,
            counted_responses: 0,
            returns: 0,
        };
        let mut sequence = vec![0_u64; rounds.len()];
        let mut start = 0;
        while start < returns {
            let end = (start + CHUNK).min(returns);
            let mut apps = Vec::new();
            let mut award_rows = Vec::new();
            let mut return_rows = Vec::new();
            let mut version_rows = Vec::new();
            let mut tally_rows = Vec::new();
            for k in start..end {
                let r = k % rounds.len().max(1);
                let Some(&(round, number)) = rounds.get(r) else {
                    break;
                };
                let Some(&grantee) = grantee_ids.get(k % grantee_ids.len()) else {
                    break;
                };
                let Some(seq) = sequence.get_mut(r) else {
                    break;
                };
                *seq += 1;
                let (application, award, ret) = (
                    DbUuid(uuid::Uuid::now_v7()),
                    DbUuid(uuid::Uuid::now_v7()),
                    DbUuid(uuid::Uuid::now_v7()),
                );
                apps.push((
                    applications::id.eq(application),
                    applications::round_id.eq(db_id(round)),
                    applications::grantee_id.eq(grantee),
                    applications::amount_requested_pence.eq(100_000_i64),
                    applications::project_title.eq("Benchmark project"),
                    applications::summary.eq("Seeded for the outcomes benchmark."),
                    applications::status.eq("awarded"),
                    applications::version.eq(1_i64),
                    applications::created_at.eq(now),
                    applications::updated_at.eq(now),
                ));
                award_rows.push((
                    awards::id.eq(award),
                    awards::reference.eq(format!("{code}-R{number}-{seq:06}")),
                    awards::fund_id.eq(db_id(fund)),
                    awards::round_id.eq(db_id(round)),
                    awards::application_id.eq(application),
                    awards::grantee_id.eq(grantee),
                    awards::amount_pence.eq(100_000_i64),
                    awards::paid_pence.eq(0_i64),
                    awards::status.eq(AwardStatus::Accepted.as_str()),
                    awards::version.eq(1_i64),
                    awards::created_at.eq(now),
                    awards::updated_at.eq(now),
                ));
                let latest: i32 = if rng.below(10) == 0 { 2 } else { 1 };
                let status = match rng.below(20) {
                    0 => ReviewStatus::ChangesRequested,
                    1..=6 => ReviewStatus::Accepted,
                    _ => ReviewStatus::Submitted,
                };
                return_rows.push((
                    returns::id.eq(ret),
                    returns::award_id.eq(award),
                    returns::fund_id.eq(db_id(fund)),
                    returns::round_id.eq(db_id(round)),
                    returns::grantee_id.eq(grantee),
                    returns::status.eq(status.as_str()),
                    returns::latest_version.eq(latest),
                    returns::version.eq(i64::from(latest)),
                    returns::created_at.eq(now),
                    returns::updated_at.eq(now),
                ));
                seed.returns += 1;
                for number in 1..=latest {
                    let responses = responses(&mut rng, participants);
                    let stage_count = |s: Stage| {
                        i32::try_from(responses.iter().filter(|r| r.stage == s).count())
                            .unwrap_or(i32::MAX)
                    };
                    let reached = i32::try_from(participants).unwrap_or(i32::MAX)
                        + i32::try_from(rng.below(20)).unwrap_or_default();
                    if number == latest && status != ReviewStatus::ChangesRequested {
                        seed.counted_returns += 1;
                        seed.counted_responses += responses.len() as u64;
                    }
                    tally_rows.push((
                        tallies::return_id.eq(ret),
                        tallies::number.eq(number),
                        tallies::tally.eq(encode_tally(&Tally::of_return(
                            u32::try_from(reached).unwrap_or_default(),
                            &responses,
                        ))),
                    ));
                    version_rows.push((
                        versions::return_id.eq(ret),
                        versions::number.eq(number),
                        versions::period_start.eq(period_start),
                        versions::period_end.eq(period_end),
                        versions::participants_reached.eq(reached),
                        versions::volunteers.eq(3),
                        versions::sessions_delivered.eq(40),
                        versions::narrative.eq("Weekly lunch club and walking group."),
                        versions::baseline_respondents.eq(stage_count(Stage::Baseline)),
                        versions::follow_up_respondents.eq(stage_count(Stage::FollowUp)),
                        versions::responses.eq(serde_json::to_string(&responses).map_err(|e| {
                            StoreError::Conflict(format!("responses cannot be stored: {e}"))
                        })?),
                        versions::submitted_at.eq(now),
                    ));
                }
            }
            insert_batch!(&mut *conn, applications::table, &apps)?;
            insert_batch!(&mut *conn, awards::table, &award_rows)?;
            insert_batch!(&mut *conn, returns::table, &return_rows)?;
            insert_batch!(&mut *conn, versions::table, &version_rows)?;
            insert_batch!(&mut *conn, tallies::table, &tally_rows)?;
            start = end;
        }
        Ok(seed)
    }
}

#[cfg(test)]
mod tests;
