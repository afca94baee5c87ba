//! Applications and their assessments.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use grantledger_domain::application::{
    Application, ApplicationStatus, DeadlineExtension, QueueOrder,
};
use grantledger_domain::assessment::mean::MeanScore;
use grantledger_domain::assessment::{Assessment, AssessmentOutcome, Recommendation, Score};
use grantledger_domain::ids::{ApplicationId, AssessmentId, FundId, GranteeId, RoundId, UserId};

use crate::audit;
use crate::common::{
    Actor, Page, PageRequest, Record, db_id, find_row, money, parse, update_versioned,
};
use crate::connection::AnyConnection;
use crate::error::StoreError;
use crate::schema::{applications, assessments, rounds};
use crate::sql_types::{DbTime, DbUuid};

#[derive(Queryable, Selectable)]
#[diesel(table_name = applications)]
struct ApplicationRow {
    id: DbUuid,
    round_id: DbUuid,
    grantee_id: DbUuid,
    amount_requested_pence: i64,
    project_title: String,
    summary: String,
    status: String,
    submitted_at: Option<DbTime>,
    decided_at: Option<DbTime>,
    decision_feedback: Option<String>,
    version: i64,
    created_at: DbTime,
    updated_at: DbTime,
    extended_until: Option<DbTime>,
    extension_reason: Option<String>,
    decision_note: Option<String>,
    mean_score_hundredths: i32,
}

/// An application with what was decided about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// The application.
    pub application: Application,
    /// When it was awarded or rejected.
    pub decided_at: Option<DateTime<Utc>>,
    /// The decision's feedback, which the applicant reads.
    pub decision_feedback: Option<String>,
    /// The decision's internal note, for staff only: see
    /// [`grantledger_domain::user::Role::sees_internal_notes`].
    pub decision_note: Option<String>,
    /// The mean of its assessors' scores that count, kept by
    /// [`add_assessment`]; `None` until one does.
    pub mean_score: Option<MeanScore>,
}

/// How the store keeps "not scored yet": below every real mean, so
/// unscored applications come last when the highest mean is first.
const UNSCORED: i32 = -1;

fn mean_score(hundredths: i32) -> Result<Option<MeanScore>, StoreError> {
    if hundredths == UNSCORED {
        return Ok(None);
    }
    u16::try_from(hundredths)
        .ok()
        .and_then(|h| MeanScore::from_hundredths(h).ok())
        .map(Some)
        .ok_or_else(|| StoreError::Corrupt(format!("mean score {hundredths} hundredths")))
}

fn to_record(row: ApplicationRow) -> Result<Record<Stored>, StoreError> {
    let application = Application {
        id: ApplicationId::from_uuid(row.id.0),
        round_id: RoundId::from_uuid(row.round_id.0),
        grantee_id: GranteeId::from_uuid(row.grantee_id.0),
        amount_requested: money("amount requested", row.amount_requested_pence)?,
        project_title: row.project_title,
        summary: row.summary,
        status: parse::<ApplicationStatus>("application status", &row.status)?,
        submitted_at: row.submitted_at.map(|t| t.0),
        deadline_extension: match (row.extended_until, row.extension_reason) {
            (Some(until), Some(reason)) => Some(DeadlineExtension {
                until: until.0,
                reason,
            }),
            _ => None,
        },
    };
    Ok(Record {
        value: Stored {
            application,
            decided_at: row.decided_at.map(|t| t.0),
            decision_feedback: row.decision_feedback,
            decision_note: row.decision_note,
            mean_score: mean_score(row.mean_score_hundredths)?,
        },
        version: row.version,
        created_at: row.created_at.0,
        updated_at: row.updated_at.0,
    })
}

/// The columns a change to an application sets, for insert and update
/// alike, so the two cannot drift.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = applications, treat_none_as_null = true)]
struct ApplicationFields<'a> {
    amount_requested_pence: i64,
    project_title: &'a str,
    summary: &'a str,
    status: &'a str,
    submitted_at: Option<DbTime>,
    decided_at: Option<DbTime>,
    decision_feedback: Option<&'a str>,
    decision_note: Option<&'a str>,
    extended_until: Option<DbTime>,
    extension_reason: Option<&'a str>,
}

impl<'a> ApplicationFields<'a> {
    fn of(stored: &'a Stored) -> Self {
        let a = &stored.application;
        let extension = a.deadline_extension.as_ref();
        ApplicationFields {
            amount_requested_pence: a.amount_requested.pence(),
            project_title: &a.project_title,
            summary: &a.summary,
            status: a.status.as_str(),
            submitted_at: a.submitted_at.map(DbTime::new),
            decided_at: stored.decided_at.map(DbTime::new),
            decision_feedback: stored.decision_feedback.as_deref(),
            decision_note: stored.decision_note.as_deref(),
            extended_until: extension.map(|e| DbTime::new(e.until)),
            extension_reason: extension.map(|e| e.reason.as_str()),
        }
    }
}

/// Records a draft application.
pub fn create(
    conn: &mut AnyConnection,
    application: &Application,
    fund_id: grantledger_domain::ids::FundId,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Record<Stored>, StoreError> {
    let at = DbTime::new(now);
    let draft = Stored {
        application: application.clone(),
        decided_at: None,
        decision_feedback: None,
        decision_note: None,
        mean_score: None,
    };
    diesel::insert_into(applications::table)
        .values((
            applications::id.eq(db_id(application.id)),
            applications::round_id.eq(db_id(application.round_id)),
            applications::grantee_id.eq(db_id(application.grantee_id)),
            ApplicationFields::of(&draft),
            applications::version.eq(1_i64),
            applications::created_at.eq(at),
            applications::updated_at.eq(at),
        ))
        .execute(conn)?;
    audit::record_change(
        conn,
        actor,
        "application.created",
        "application",
        application.id,
        Some(fund_id),
        None,
        Some(application),
        now,
    )?;
    get(conn, application.id)
}

/// One application.
pub fn get(conn: &mut AnyConnection, id: ApplicationId) -> Result<Record<Stored>, StoreError> {
    let row = find_row!(conn, applications, ApplicationRow, db_id(id), "application")?;
    to_record(row)
}

/// Filters for listing applications, and their order.
#[derive(Debug, Clone, Default)]
pub struct ApplicationFilter {
    /// Only this round's.
    pub round_id: Option<RoundId>,
    /// Only this grantee's.
    pub grantee_id: Option<GranteeId>,
    /// Only in this status.
    pub status: Option<ApplicationStatus>,
    /// Only from grantees in this region.
    pub region: Option<grantledger_domain::grantee::Region>,
    /// Only asking for at least this much.
    pub min_amount: Option<grantledger_domain::Money>,
    /// Only asking for at most this much.
    pub max_amount: Option<grantledger_domain::Money>,
    /// Only with a mean score of at least this.
    pub min_score: Option<MeanScore>,
    /// The order of the list.
    pub order: QueueOrder,
}

/// A page of applications in the filter's order. The cursor is the last
/// id of the page before, as for every list; for the orders by amount and
/// score the page goes on from that application's amount or score.
pub fn list(
    conn: &mut AnyConnection,
    filter: &ApplicationFilter,
    page: PageRequest,
) -> Result<Page<Record<Stored>>, StoreError> {
    let mut query = applications::table
        .select(ApplicationRow::as_select())
        .limit(page.fetch())
        .into_boxed();
    if let Some(round) = filter.round_id {
        query = query.filter(applications::round_id.eq(db_id(round)));
    }
    if let Some(grantee) = filter.grantee_id {
        query = query.filter(applications::grantee_id.eq(db_id(grantee)));
    }
    if let Some(status) = filter.status {
        query = query.filter(applications::status.eq(status.as_str()));
    }
    if let Some(region) = filter.region {
        query = query.filter(
            applications::grantee_id.eq_any(
                crate::schema::grantees::table
                    .filter(crate::schema::grantees::region.eq(region.as_str()))
                    .select(crate::schema::grantees::id),
            ),
        );
    }
    if let Some(min) = filter.min_amount {
        query = query.filter(applications::amount_requested_pence.ge(min.pence()));
    }
    if let Some(max) = filter.max_amount {
        query = query.filter(applications::amount_requested_pence.le(max.pence()));
    }
    if let Some(min) = filter.min_score {
        query = query.filter(applications::mean_score_hundredths.ge(i32::from(min.hundredths())));
    }
    // Where the page before ended: its last application's sort key.
    let cursor = match page.after() {
        None => None,
        Some(after) => {
            let key: Option<(i64, i32)> = applications::table
                .find(DbUuid(after))
                .select((
                    applications::amount_requested_pence,
                    applications::mean_score_hundredths,
                ))
                .first(conn)
                .optional()?;
            // A cursor naming no application: start after it by id alone,
            // as every other list does.
            Some((DbUuid(after), key))
        }
    };
    use applications::{amount_requested_pence as amount, id, mean_score_hundredths as score};
    query = match filter.order {
        QueueOrder::Oldest => query.order(id.asc()),
        QueueOrder::AmountHighest => query.order((amount.desc(), id.asc())),
        QueueOrder::AmountLowest => query.order((amount.asc(), id.asc())),
        QueueOrder::ScoreHighest => query.order((score.desc(), id.asc())),
    };
    query = match (filter.order, cursor) {
        (_, None) => query,
        (QueueOrder::Oldest, Some((after, _))) | (_, Some((after, None))) => {
            query.filter(id.gt(after))
        }
        (QueueOrder::AmountHighest, Some((after, Some((a, _))))) => {
            query.filter(amount.lt(a).or(amount.eq(a).and(id.gt(after))))
        }
        (QueueOrder::AmountLowest, Some((after, Some((a, _))))) => {
            query.filter(amount.gt(a).or(amount.eq(a).and(id.gt(after))))
        }
        (QueueOrder::ScoreHighest, Some((after, Some((_, s))))) => {
            query.filter(score.lt(s).or(score.eq(s).and(id.gt(after))))
        }
    };
    let rows: Vec<ApplicationRow> = query.load(conn)?;
    page.finish_with(rows, to_record, |r| r.value.application.id.into())
}

/// The fund an application's round belongs to.
pub fn fund_of_round(
    conn: &mut AnyConnection,
    round: RoundId,
) -> Result<grantledger_domain::ids::FundId, StoreError> {
    let fund: DbUuid = rounds::table
        .find(db_id(round))
        .select(rounds::fund_id)
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound { entity: "round" })?;
    Ok(grantledger_domain::ids::FundId::from_uuid(fund.0))
}

/// Saves a changed application over the version it was read at; a second
/// writer racing on the same version gets [`StoreError::StaleVersion`].
pub fn save(
    conn: &mut AnyConnection,
    before: &Record<Stored>,
    after: &Stored,
    action: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Record<Stored>, StoreError> {
    let record = update(conn, before, after, now)?;
    let a = &after.application;
    let fund_id = fund_of_round(conn, a.round_id)?;
    audit::record_change(
        conn,
        actor,
        action,
        "application",
        a.id,
        Some(fund_id),
        Some(&Audited::from(&before.value)),
        Some(&Audited::from(after)),
        now,
    )?;
    Ok(record)
}

/// An application as its audit events record it: the application, and the
/// decision's two texts once there are any (the audit trail is for staff,
/// so the internal note belongs in it).
#[derive(serde::Serialize)]
struct Audited<'a> {
    #[serde(flatten)]
    application: &'a Application,
    #[serde(skip_serializing_if = "Option::is_none")]
    decision_feedback: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    decision_note: Option<&'a str>,
}

impl<'a> From<&'a Stored> for Audited<'a> {
    fn from(s: &'a Stored) -> Self {
        Audited {
            application: &s.application,
            decision_feedback: s.decision_feedback.as_deref(),
            decision_note: s.decision_note.as_deref(),
        }
    }
}

/// [`save`] within a batch of one fund's changes (a bulk decision): the
/// fund is given rather than read, and the audit event is returned for
/// the caller to append in this transaction with the batch's others
/// ([`audit::append_pending`]) once the change is kept.
pub fn save_in_batch<'a>(
    conn: &mut AnyConnection,
    before: &Record<Stored>,
    after: &Stored,
    fund_id: FundId,
    action: &'a str,
    actor: &'a Actor,
    now: DateTime<Utc>,
) -> Result<(Record<Stored>, audit::PendingEvent<'a>), StoreError> {
    let record = update(conn, before, after, now)?;
    let a = &after.application;
    let event = audit::PendingEvent::change(
        actor,
        action,
        "application",
        a.id,
        Some(fund_id),
        Some(&Audited::from(&before.value)),
        Some(&Audited::from(after)),
        now,
    );
    Ok((record, event))
}

/// Applications by id, as [`get`] reads each, in one query; ids not found
/// are left out.
pub fn get_many(
    conn: &mut AnyConnection,
    ids: &[ApplicationId],
) -> Result<HashMap<ApplicationId, Record<Stored>>, StoreError> {
    let mut found = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(1_000) {
        let rows: Vec<ApplicationRow> = applications::table
            .filter(applications::id.eq_any(chunk.iter().map(|id| db_id(*id))))
            .select(ApplicationRow::as_select())
            .load(conn)?;
        for row in rows {
            let record = to_record(row)?;
            found.insert(record.value.application.id, record);
        }
    }
    Ok(found)
}

/// The versioned update of [`save`], without its audit event.
fn update(
    conn: &mut AnyConnection,
    before: &Record<Stored>,
    after: &Stored,
    now: DateTime<Utc>,
) -> Result<Record<Stored>, StoreError> {
    let a = &after.application;
    // RETURNING gives the row as stored without reading it back.
    let row: ApplicationRow = update_versioned!(
        conn,
        applications,
        db_id(a.id),
        before.version,
        "application",
        (
            ApplicationFields::of(after),
            applications::updated_at.eq(DbTime::new(now)),
        ),
        // Every column of ApplicationRow: MultiConnection cannot return a
        // `Selectable`'s columns from an update.
        returning(
            applications::id,
            applications::round_id,
            applications::grantee_id,
            applications::amount_requested_pence,
            applications::project_title,
            applications::summary,
            applications::status,
            applications::submitted_at,
            applications::decided_at,
            applications::decision_feedback,
            applications::version,
            applications::created_at,
            applications::updated_at,
            applications::extended_until,
            applications::extension_reason,
            applications::decision_note,
            applications::mean_score_hundredths,
        ),
    )?;
    to_record(row)
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = assessments)]
struct AssessmentRow {
    id: DbUuid,
    application_id: DbUuid,
    assessor_id: DbUuid,
    conflict_declared: bool,
    declaration: Option<String>,
    score: Option<i32>,
    recommendation: Option<String>,
    comment: String,
    created_at: DbTime,
}

fn to_assessment(row: AssessmentRow) -> Result<Assessment, StoreError> {
    let outcome = if row.conflict_declared {
        AssessmentOutcome::ConflictDeclared {
            declaration: row.declaration.unwrap_or_default(),
        }
    } else {
        let score = row
            .score
            .ok_or_else(|| StoreError::Corrupt("a scored assessment has no score".into()))?;
        let score = u8::try_from(score).map_err(|e| StoreError::corrupt("score", e))?;
        AssessmentOutcome::Scored {
            score: Score::new(score).map_err(|e| StoreError::corrupt("score", e))?,
            recommendation: parse::<Recommendation>(
                "recommendation",
                row.recommendation.as_deref().unwrap_or_default(),
            )?,
            comment: row.comment,
        }
    };
    Ok(Assessment {
        id: AssessmentId::from_uuid(row.id.0),
        application_id: ApplicationId::from_uuid(row.application_id.0),
        assessor_id: UserId::from_uuid(row.assessor_id.0),
        outcome,
        recorded_at: row.created_at.0,
    })
}

/// Every assessment of an application, oldest first.
pub fn assessments(
    conn: &mut AnyConnection,
    application: ApplicationId,
) -> Result<Vec<Assessment>, StoreError> {
    let rows: Vec<AssessmentRow> = assessments::table
        .filter(assessments::application_id.eq(db_id(application)))
        .select(AssessmentRow::as_select())
        .order(assessments::id.asc())
        .load(conn)?;
    rows.into_iter().map(to_assessment).collect()
}

/// Every assessment of every application in a round, in one query.
pub fn assessments_in_round(
    conn: &mut AnyConnection,
    round: RoundId,
) -> Result<Vec<Assessment>, StoreError> {
    let in_round = applications::table
        .filter(applications::round_id.eq(db_id(round)))
        .select(applications::id);
    let rows: Vec<AssessmentRow> = assessments::table
        .filter(assessments::application_id.eq_any(in_round))
        .select(AssessmentRow::as_select())
        .order(assessments::id.asc())
        .load(conn)?;
    rows.into_iter().map(to_assessment).collect()
}

/// The round's applications in `statuses`, each as its id and applicant,
/// oldest first: what assignment and the panel work over.
pub fn applicants_in_round(
    conn: &mut AnyConnection,
    round: RoundId,
    statuses: &[ApplicationStatus],
) -> Result<Vec<(ApplicationId, GranteeId)>, StoreError> {
    let rows: Vec<(DbUuid, DbUuid)> = applications::table
        .filter(applications::round_id.eq(db_id(round)))
        .filter(applications::status.eq_any(statuses.iter().map(|s| s.as_str())))
        .order(applications::id.asc())
        .select((applications::id, applications::grantee_id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(a, g)| (ApplicationId::from_uuid(a.0), GranteeId::from_uuid(g.0)))
        .collect())
}

/// The statuses of an organisation's applications in a round, for the
/// one-application-per-organisation rule.
pub fn statuses_of(
    conn: &mut AnyConnection,
    round: RoundId,
    grantee: GranteeId,
) -> Result<Vec<ApplicationStatus>, StoreError> {
    let rows: Vec<String> = applications::table
        .filter(applications::round_id.eq(db_id(round)))
        .filter(applications::grantee_id.eq(db_id(grantee)))
        .select(applications::status)
        .load(conn)?;
    rows.iter()
        .map(|s| parse("application status", s))
        .collect()
}

/// Records an assessment. One row per assessor and application: a second is
/// a conflict (the database's unique key backs the domain rule).
pub fn add_assessment(
    conn: &mut AnyConnection,
    assessment: &Assessment,
    fund_id: grantledger_domain::ids::FundId,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (conflict, declaration, score, recommendation, comment) = match &assessment.outcome {
        AssessmentOutcome::ConflictDeclared { declaration } => {
            (true, Some(declaration.as_str()), None, None, "")
        }
        AssessmentOutcome::Scored {
            score,
            recommendation,
            comment,
        } => (
            false,
            None,
            Some(i32::from(score.value())),
            Some(recommendation.as_str()),
            comment.as_str(),
        ),
    };
    let application = db_id(assessment.application_id);
    // Hold the application's row first, so a second assessor recording at
    // the same time waits and then counts this assessment in the mean.
    diesel::update(applications::table.find(application))
        .set(applications::mean_score_hundredths.eq(applications::mean_score_hundredths))
        .execute(conn)?;
    diesel::insert_into(assessments::table)
        .values((
            assessments::id.eq(db_id(assessment.id)),
            assessments::application_id.eq(db_id(assessment.application_id)),
            assessments::assessor_id.eq(db_id(assessment.assessor_id)),
            assessments::conflict_declared.eq(conflict),
            assessments::declaration.eq(declaration),
            assessments::score.eq(score),
            assessments::recommendation.eq(recommendation),
            assessments::comment.eq(comment),
            assessments::created_at.eq(DbTime::new(now)),
        ))
        .execute(conn)?;
    let all = assessments(conn, assessment.application_id)?;
    let mean = MeanScore::of(&all).map_or(UNSCORED, |m| i32::from(m.hundredths()));
    diesel::update(applications::table.find(application))
        .set(applications::mean_score_hundredths.eq(mean))
        .execute(conn)?;
    audit::record_change(
        conn,
        actor,
        "assessment.recorded",
        "application",
        assessment.application_id,
        Some(fund_id),
        None,
        Some(assessment),
        now,
    )?;
    Ok(())
}
