//! Reads for the spreadsheet exports (see
//! `grantledger_domain::spreadsheet`): each export is read in keyset batches
//! on its rows' ids, so every batch costs the same however far into the
//! export it is, and memory holds one batch at a time.

use diesel::prelude::*;
use grantledger_domain::application::ApplicationStatus;
use grantledger_domain::ids::{FundId, RoundId};
use grantledger_domain::spreadsheet::{
    AwardLine, Mark, PanelLine, ReturnLine, TrancheLine, VariationLine,
};

use crate::common::{db_id, money};
use crate::connection::AnyConnection;
use crate::error::StoreError;
use crate::schema::{
    applications, assessments, award_variations, awards, disbursements, evaluation_returns,
    grantees, rounds, users,
};
use crate::sql_types::{DbTime, DbUuid};

/// Which rows an export covers: a fund's, or one of its rounds'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    /// The fund.
    pub fund: FundId,
    /// Only this round of it.
    pub round: Option<RoundId>,
}

/// One batch of an export: `$query` in order of `$id`, at most `$limit`
/// rows after id `$after`, and only the scope's round (through `$round`,
/// the round column of the rows' award or application) when it names one.
/// Every batch is the same keyset read, so each costs the same however far
/// into the export it is.
macro_rules! batch {
    ($query:expr, $id:expr, $round:expr, $scope:expr, $after:expr, $limit:expr $(,)?) => {{
        let mut query = $query
            .order($id.asc())
            .limit(i64::from($limit))
            .into_boxed();
        if let Some(round) = $scope.round {
            query = query.filter($round.eq(db_id(round)));
        }
        if let Some(after) = $after {
            query = query.filter($id.gt(DbUuid(after)));
        }
        query
    }};
}

/// `$query`, rows of awards (alone or joined), joined to each award's
/// grantee and round and kept to the scope's fund.
macro_rules! with_grantee_and_round {
    ($query:expr, $scope:expr) => {
        $query
            .inner_join(grantees::table.on(grantees::id.eq(awards::grantee_id)))
            .inner_join(rounds::table.on(rounds::id.eq(awards::round_id)))
            .filter(awards::fund_id.eq(db_id($scope.fund)))
    };
}

/// The most assessments any application in the panel pack has: how many
/// assessor column groups its header needs.
pub fn most_assessments(conn: &mut AnyConnection, scope: Scope) -> Result<usize, StoreError> {
    let mut query = assessments::table
        .inner_join(applications::table.on(applications::id.eq(assessments::application_id)))
        .inner_join(rounds::table.on(rounds::id.eq(applications::round_id)))
        .filter(rounds::fund_id.eq(db_id(scope.fund)))
        .group_by(assessments::application_id)
        .select(diesel::dsl::count_star())
        .order(diesel::dsl::count_star().desc())
        .limit(1)
        .into_boxed();
    if let Some(round) = scope.round {
        query = query.filter(applications::round_id.eq(db_id(round)));
    }
    let most: Option<i64> = query.first(conn).optional()?;
    usize::try_from(most.unwrap_or(0)).map_err(|e| StoreError::corrupt("assessment count", e))
}

/// The next `limit` applications of the panel pack (every application but
/// drafts) after application `after`, with their assessors' marks.
pub fn panel_batch(
    conn: &mut AnyConnection,
    scope: Scope,
    after: Option<uuid::Uuid>,
    limit: u32,
) -> Result<Vec<PanelLine>, StoreError> {
    type Row = (
        DbUuid,
        i32,
        String,
        String,
        String,
        String,
        String,
        i64,
        String,
        Option<DbTime>,
    );
    let query = batch!(
        applications::table
            .inner_join(rounds::table.on(rounds::id.eq(applications::round_id)))
            .inner_join(grantees::table.on(grantees::id.eq(applications::grantee_id)))
            .filter(rounds::fund_id.eq(db_id(scope.fund)))
            .filter(applications::status.ne(ApplicationStatus::Draft.as_str()))
            .select((
                applications::id,
                rounds::number,
                rounds::name,
                grantees::name,
                grantees::region,
                applications::project_title,
                applications::summary,
                applications::amount_requested_pence,
                applications::status,
                applications::submitted_at,
            )),
        applications::id,
        applications::round_id,
        scope,
        after,
        limit
    );
    let rows: Vec<Row> = query.load(conn)?;
    let ids: Vec<DbUuid> = rows.iter().map(|r| r.0).collect();
    let marks: Vec<(DbUuid, String, Option<i32>, Option<String>)> = assessments::table
        .inner_join(users::table.on(users::id.eq(assessments::assessor_id)))
        .filter(assessments::application_id.eq_any(ids))
        .select((
            assessments::application_id,
            users::email,
            assessments::score,
            assessments::recommendation,
        ))
        .order(assessments::id.asc())
        .load(conn)?;
    let mut by_application: std::collections::HashMap<uuid::Uuid, Vec<Mark>> =
        std::collections::HashMap::new();
    for (application, assessor, score, recommendation) in marks {
        let score = score
            .map(u8::try_from)
            .transpose()
            .map_err(|e| StoreError::corrupt("assessment score", e))?;
        by_application.entry(application.0).or_default().push(Mark {
            assessor,
            score,
            recommendation,
        });
    }
    rows.into_iter()
        .map(
            |(
                id,
                round_number,
                round_name,
                applicant,
                region,
                title,
                summary,
                asked,
                status,
                at,
            )| {
                Ok(PanelLine {
                    application_id: id.0,
                    round_number,
                    round_name,
                    applicant,
                    region,
                    project_title: title,
                    summary,
                    amount_requested: money("amount requested", asked)?,
                    status,
                    submitted_at: at.map(|t| t.0),
                    marks: by_application.remove(&id.0).unwrap_or_default(),
                })
            },
        )
        .collect()
}

/// The next `limit` awards after award `after`.
pub fn award_batch(
    conn: &mut AnyConnection,
    scope: Scope,
    after: Option<uuid::Uuid>,
    limit: u32,
) -> Result<Vec<(uuid::Uuid, AwardLine)>, StoreError> {
    type Row = (
        (DbUuid, String, String, i64, i64, i64),
        (DbTime, DbTime, Option<chrono::NaiveDate>, Option<String>),
        (i32, String, String, String, String),
    );
    let query = batch!(
        with_grantee_and_round!(
            awards::table
                .inner_join(applications::table.on(applications::id.eq(awards::application_id))),
            scope
        )
        .select((
            (
                awards::id,
                awards::reference,
                awards::status,
                awards::amount_pence,
                awards::scheduled_pence,
                awards::paid_pence,
            ),
            (
                awards::created_at,
                awards::updated_at,
                awards::return_due_on,
                awards::cancellation_reason,
            ),
            (
                rounds::number,
                rounds::name,
                grantees::name,
                grantees::region,
                applications::project_title,
            ),
        )),
        awards::id,
        awards::round_id,
        scope,
        after,
        limit
    );
    let rows: Vec<Row> = query.load(conn)?;
    rows.into_iter()
        .map(
            |(
                (id, reference, status, amount, scheduled, paid),
                (created, updated, due, cancellation_reason),
                (round_number, round_name, grantee, region, project_title),
            )| {
                Ok((
                    id.0,
                    AwardLine {
                        reference,
                        round_number,
                        round_name,
                        grantee,
                        region,
                        project_title,
                        status,
                        amount: money("award amount", amount)?,
                        scheduled: money("award scheduled", scheduled)?,
                        paid: money("award paid", paid)?,
                        awarded_at: created.0,
                        updated_at: updated.0,
                        return_due_on: due,
                        cancellation_reason,
                    },
                ))
            },
        )
        .collect()
}

/// The next `limit` award variations after variation `after`.
pub fn variation_batch(
    conn: &mut AnyConnection,
    scope: Scope,
    after: Option<uuid::Uuid>,
    limit: u32,
) -> Result<Vec<(uuid::Uuid, VariationLine)>, StoreError> {
    type Row = (
        DbUuid,
        String,
        String,
        i32,
        i64,
        i64,
        String,
        Option<String>,
        DbTime,
    );
    let query = batch!(
        with_grantee_and_round!(
            award_variations::table
                .inner_join(awards::table.on(awards::id.eq(award_variations::award_id))),
            scope
        )
        .select((
            award_variations::id,
            awards::reference,
            grantees::name,
            rounds::number,
            award_variations::previous_amount_pence,
            award_variations::new_amount_pence,
            award_variations::reason,
            award_variations::range_override_reason,
            award_variations::created_at,
        )),
        award_variations::id,
        awards::round_id,
        scope,
        after,
        limit
    );
    let rows: Vec<Row> = query.load(conn)?;
    rows.into_iter()
        .map(
            |(id, reference, grantee, round_number, previous, new, reason, range, at)| {
                Ok((
                    id.0,
                    VariationLine {
                        award_reference: reference,
                        grantee,
                        round_number,
                        previous_amount: money("previous amount", previous)?,
                        new_amount: money("new amount", new)?,
                        reason,
                        range_override_reason: range,
                        varied_at: at.0,
                    },
                ))
            },
        )
        .collect()
}

/// The next `limit` tranches after tranche `after`.
pub fn tranche_batch(
    conn: &mut AnyConnection,
    scope: Scope,
    after: Option<uuid::Uuid>,
    limit: u32,
) -> Result<Vec<(uuid::Uuid, TrancheLine)>, StoreError> {
    type Row = (
        DbUuid,
        String,
        String,
        i32,
        i64,
        chrono::NaiveDate,
        String,
        Option<DbTime>,
        Option<DbUuid>,
        Option<String>,
    );
    let query = batch!(
        with_grantee_and_round!(
            disbursements::table
                .inner_join(awards::table.on(awards::id.eq(disbursements::award_id))),
            scope
        )
        .select((
            disbursements::id,
            awards::reference,
            grantees::name,
            rounds::number,
            disbursements::amount_pence,
            disbursements::due_on,
            disbursements::status,
            disbursements::paid_at,
            disbursements::payment_run_id,
            disbursements::note,
        )),
        disbursements::id,
        awards::round_id,
        scope,
        after,
        limit
    );
    let rows: Vec<Row> = query.load(conn)?;
    rows.into_iter()
        .map(
            |(id, reference, grantee, round_number, amount, due_on, status, paid_at, run, note)| {
                Ok((
                    id.0,
                    TrancheLine {
                        award_reference: reference,
                        grantee,
                        round_number,
                        amount: money("tranche amount", amount)?,
                        due_on,
                        status,
                        paid_at: paid_at.map(|t| t.0),
                        payment_run: run.map(|r| r.0),
                        note,
                    },
                ))
            },
        )
        .collect()
}

/// The next `limit` awards with a return due or a return submitted, after
/// award `after`, with where their return stands (never its content).
pub fn return_batch(
    conn: &mut AnyConnection,
    scope: Scope,
    after: Option<uuid::Uuid>,
    limit: u32,
) -> Result<Vec<(uuid::Uuid, ReturnLine)>, StoreError> {
    type Row = (
        (
            DbUuid,
            String,
            String,
            i32,
            String,
            Option<chrono::NaiveDate>,
        ),
        (Option<String>, Option<i32>, Option<DbTime>, Option<DbTime>),
    );
    let query = batch!(
        with_grantee_and_round!(
            awards::table.left_join(
                evaluation_returns::table.on(evaluation_returns::award_id.eq(awards::id))
            ),
            scope
        )
        .filter(
            awards::return_due_on
                .is_not_null()
                .or(evaluation_returns::id.nullable().is_not_null()),
        )
        .select((
            (
                awards::id,
                awards::reference,
                grantees::name,
                rounds::number,
                awards::status,
                awards::return_due_on,
            ),
            (
                evaluation_returns::status.nullable(),
                evaluation_returns::latest_version.nullable(),
                evaluation_returns::created_at.nullable(),
                evaluation_returns::updated_at.nullable(),
            ),
        )),
        awards::id,
        awards::round_id,
        scope,
        after,
        limit
    );
    let rows: Vec<Row> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(
                (id, reference, grantee, round_number, award_status, due_on),
                (status, versions, created, updated),
            )| {
                (
                    id.0,
                    ReturnLine {
                        award_reference: reference,
                        grantee,
                        round_number,
                        award_status,
                        due_on,
                        status,
                        versions: versions.unwrap_or(0),
                        first_submitted_at: created.map(|t| t.0),
                        updated_at: updated.map(|t| t.0),
                    },
                )
            },
        )
        .collect())
}
