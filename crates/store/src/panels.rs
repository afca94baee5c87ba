//! Assessment panels (issue 20): a round's weighted criteria, which
//! assessors are assigned to which applications, and their score sheets.
//! Criteria and scores are kept as JSON and read back through the domain's
//! own checks ([`Criteria`], [`ScoreSheet::new`]), so a row edited outside
//! grantledger is reported as corrupt rather than trusted.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use grantledger_domain::assessment::assignment::AssignmentPair;
use grantledger_domain::assessment::criteria::{Criteria, CriterionScore, ScoreSheet};
use grantledger_domain::assessment::moderation::{
    Margin, PanelDecision, PanelRecommendation, SubmittedSheet,
};
use grantledger_domain::ids::{ApplicationId, FundId, RoundId, UserId};
use serde::Serialize;

use crate::audit;
use crate::common::{Actor, db_id, parse};
use crate::connection::AnyConnection;
use crate::error::StoreError;
use crate::schema::{assessor_assignments, panel_recommendations, round_criteria, score_sheets};
use crate::sql_types::{DbTime, DbUuid};

/// A round's criteria and the margin beyond which assessors disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoundCriteria {
    /// The round.
    pub round_id: RoundId,
    /// The weighted criteria and their scale.
    pub criteria: Criteria,
    /// The panel flags a spread of weighted scores wider than this.
    pub margin: Margin,
    /// Counts changes, for `If-Match`.
    pub version: i64,
    /// When they last changed.
    pub updated_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = round_criteria)]
struct CriteriaRow {
    round_id: DbUuid,
    definition: String,
    margin: String,
    version: i64,
    updated_at: DbTime,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

impl TryFrom<CriteriaRow> for RoundCriteria {
    type Error = StoreError;

    fn try_from(row: CriteriaRow) -> Result<Self, StoreError> {
        let criteria =
            serde_json::from_str(&row.definition).map_err(|e| corrupt("round criteria", e))?;
        let margin = serde_json::from_str(&row.margin).map_err(|e| corrupt("round margin", e))?;
        Ok(RoundCriteria {
            round_id: RoundId::from_uuid(row.round_id.0),
            criteria,
            margin,
            version: row.version,
            updated_at: row.updated_at.0,
        })
    }
}

/// The round's criteria, if an administrator has set them.
pub fn criteria(
    conn: &mut AnyConnection,
    round: RoundId,
) -> Result<Option<RoundCriteria>, StoreError> {
    round_criteria::table
        .find(db_id(round))
        .select(CriteriaRow::as_select())
        .first(conn)
        .optional()?
        .map(RoundCriteria::try_from)
        .transpose()
}

/// Sets the round's criteria over `before` (none yet, or the version read),
/// with its audit event; a writer racing on the same version gets
/// [`StoreError::StaleVersion`].
#[expect(
    clippy::too_many_arguments,
    reason = "one versioned write: what was read, the new value, where, who and when"
)]
pub fn set_criteria(
    conn: &mut AnyConnection,
    before: Option<&RoundCriteria>,
    criteria: &Criteria,
    margin: Margin,
    round: RoundId,
    fund: FundId,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<RoundCriteria, StoreError> {
    let definition = serde_json::to_string(criteria).map_err(|e| corrupt("criteria", e))?;
    let margin_text = serde_json::to_string(&margin).map_err(|e| corrupt("margin", e))?;
    let at = DbTime::new(now);
    let version = match before {
        None => {
            diesel::insert_into(round_criteria::table)
                .values((
                    round_criteria::round_id.eq(db_id(round)),
                    round_criteria::definition.eq(&definition),
                    round_criteria::margin.eq(&margin_text),
                    round_criteria::version.eq(1_i64),
                    round_criteria::updated_at.eq(at),
                ))
                .execute(conn)
                .map_err(|e| match StoreError::from(e) {
                    StoreError::Duplicate { .. } => StoreError::StaleVersion {
                        entity: "round criteria",
                        expected: 0,
                    },
                    other => other,
                })?;
            1
        }
        Some(old) => {
            let changed = diesel::update(
                round_criteria::table
                    .filter(round_criteria::round_id.eq(db_id(round)))
                    .filter(round_criteria::version.eq(old.version)),
            )
            .set((
                round_criteria::definition.eq(&definition),
                round_criteria::margin.eq(&margin_text),
                round_criteria::version.eq(old.version + 1),
                round_criteria::updated_at.eq(at),
            ))
            .execute(conn)?;
            if changed == 0 {
                return Err(StoreError::StaleVersion {
                    entity: "round criteria",
                    expected: old.version,
                });
            }
            old.version + 1
        }
    };
    let after = RoundCriteria {
        round_id: round,
        criteria: criteria.clone(),
        margin,
        version,
        updated_at: now,
    };
    audit::record_change(
        conn,
        actor,
        "round.criteria_set",
        "round",
        round,
        Some(fund),
        before,
        Some(&after),
        now,
    )?;
    Ok(after)
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = assessor_assignments)]
struct AssignmentRow {
    application_id: DbUuid,
    assessor_id: DbUuid,
}

impl From<AssignmentRow> for AssignmentPair {
    fn from(r: AssignmentRow) -> Self {
        AssignmentPair {
            application_id: ApplicationId::from_uuid(r.application_id.0),
            assessor_id: UserId::from_uuid(r.assessor_id.0),
        }
    }
}

/// The round's assignments, by application then assessor.
pub fn assignments(
    conn: &mut AnyConnection,
    round: RoundId,
) -> Result<Vec<AssignmentPair>, StoreError> {
    let rows: Vec<AssignmentRow> = assessor_assignments::table
        .filter(assessor_assignments::round_id.eq(db_id(round)))
        .order((
            assessor_assignments::application_id,
            assessor_assignments::assessor_id,
        ))
        .select(AssignmentRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(AssignmentPair::from).collect())
}

/// The applications assigned to `assessor`, in every round.
pub fn assignments_of(
    conn: &mut AnyConnection,
    assessor: UserId,
) -> Result<Vec<AssignmentPair>, StoreError> {
    let rows: Vec<AssignmentRow> = assessor_assignments::table
        .filter(assessor_assignments::assessor_id.eq(db_id(assessor)))
        .order(assessor_assignments::application_id)
        .select(AssignmentRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(AssignmentPair::from).collect())
}

/// Records new assignments in `round`, with one audit event for them all.
pub fn assign(
    conn: &mut AnyConnection,
    round: RoundId,
    fund: FundId,
    pairs: &[AssignmentPair],
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if pairs.is_empty() {
        return Ok(());
    }
    let at = DbTime::new(now);
    let by = actor.user_id.map(db_id);
    for chunk in pairs.chunks(500) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|p| {
                (
                    assessor_assignments::application_id.eq(db_id(p.application_id)),
                    assessor_assignments::assessor_id.eq(db_id(p.assessor_id)),
                    assessor_assignments::round_id.eq(db_id(round)),
                    assessor_assignments::assigned_by.eq(by),
                    assessor_assignments::assigned_at.eq(at),
                )
            })
            .collect();
        crate::connection::insert_batch!(conn, assessor_assignments::table, &rows)?;
    }
    audit::record_change(
        conn,
        actor,
        "round.assessors_assigned",
        "round",
        round,
        Some(fund),
        None,
        Some(pairs),
        now,
    )?;
    Ok(())
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = score_sheets)]
struct SheetRow {
    application_id: DbUuid,
    assessor_id: DbUuid,
    scores: String,
}

/// The round's score sheets, each checked again against `criteria`.
pub fn sheets(
    conn: &mut AnyConnection,
    round: RoundId,
    criteria: &Criteria,
) -> Result<Vec<SubmittedSheet>, StoreError> {
    let rows: Vec<SheetRow> = score_sheets::table
        .filter(score_sheets::round_id.eq(db_id(round)))
        .order((score_sheets::application_id, score_sheets::assessor_id))
        .select(SheetRow::as_select())
        .load(conn)?;
    rows.into_iter()
        .map(|r| {
            let scores: Vec<CriterionScore> =
                serde_json::from_str(&r.scores).map_err(|e| corrupt("score sheet", e))?;
            let sheet = ScoreSheet::new(criteria, scores).map_err(|e| corrupt("score sheet", e))?;
            Ok(SubmittedSheet {
                application_id: ApplicationId::from_uuid(r.application_id.0),
                assessor_id: UserId::from_uuid(r.assessor_id.0),
                sheet,
            })
        })
        .collect()
}

/// Whether anyone has recorded a score sheet in the round.
pub fn any_sheets(conn: &mut AnyConnection, round: RoundId) -> Result<bool, StoreError> {
    let found: Option<DbUuid> = score_sheets::table
        .filter(score_sheets::round_id.eq(db_id(round)))
        .select(score_sheets::application_id)
        .first(conn)
        .optional()?;
    Ok(found.is_some())
}

/// Records an assessor's score sheet, with its audit event. A second sheet
/// by the same assessor on the same application is
/// [`StoreError::Duplicate`].
pub fn record_sheet(
    conn: &mut AnyConnection,
    round: RoundId,
    fund: FundId,
    sheet: &SubmittedSheet,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let scores: Vec<&CriterionScore> = sheet.sheet.scores().collect();
    let text = serde_json::to_string(&scores).map_err(|e| corrupt("score sheet", e))?;
    diesel::insert_into(score_sheets::table)
        .values((
            score_sheets::application_id.eq(db_id(sheet.application_id)),
            score_sheets::assessor_id.eq(db_id(sheet.assessor_id)),
            score_sheets::round_id.eq(db_id(round)),
            score_sheets::scores.eq(&text),
            score_sheets::recorded_at.eq(DbTime::new(now)),
        ))
        .execute(conn)?;
    audit::record_change(
        conn,
        actor,
        "application.scored",
        "application",
        sheet.application_id,
        Some(fund),
        None,
        Some(&scores),
        now,
    )?;
    Ok(())
}

/// The applications `assessor` has recorded a score sheet on.
pub fn scored_by(
    conn: &mut AnyConnection,
    assessor: UserId,
) -> Result<Vec<ApplicationId>, StoreError> {
    let ids: Vec<DbUuid> = score_sheets::table
        .filter(score_sheets::assessor_id.eq(db_id(assessor)))
        .select(score_sheets::application_id)
        .load(conn)?;
    Ok(ids
        .into_iter()
        .map(|id| ApplicationId::from_uuid(id.0))
        .collect())
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = panel_recommendations)]
struct RecommendationRow {
    application_id: DbUuid,
    decision: String,
    note: Option<String>,
}

fn to_recommendation(r: RecommendationRow) -> Result<PanelRecommendation, StoreError> {
    let decision = parse::<PanelDecision>("panel recommendation", &r.decision)?;
    PanelRecommendation::new(
        ApplicationId::from_uuid(r.application_id.0),
        decision,
        r.note.as_deref().unwrap_or_default(),
    )
    .map_err(|e| corrupt("panel recommendation", e))
}

/// The panel's recommendations in a round, by application.
pub fn recommendations(
    conn: &mut AnyConnection,
    round: RoundId,
) -> Result<HashMap<ApplicationId, PanelRecommendation>, StoreError> {
    let rows: Vec<RecommendationRow> = panel_recommendations::table
        .filter(panel_recommendations::round_id.eq(db_id(round)))
        .select(RecommendationRow::as_select())
        .load(conn)?;
    rows.into_iter()
        .map(|r| to_recommendation(r).map(|p| (p.application_id(), p)))
        .collect()
}

/// The panel's recommendation on one application, if it has made one.
pub fn recommendation(
    conn: &mut AnyConnection,
    application: ApplicationId,
) -> Result<Option<PanelRecommendation>, StoreError> {
    panel_recommendations::table
        .find(db_id(application))
        .select(RecommendationRow::as_select())
        .first(conn)
        .optional()?
        .map(to_recommendation)
        .transpose()
}

/// Records the panel's recommendation, replacing any earlier one, with an
/// audit event holding both.
pub fn recommend(
    conn: &mut AnyConnection,
    round: RoundId,
    fund: FundId,
    recommendation: &PanelRecommendation,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let application = recommendation.application_id();
    let before = self::recommendation(conn, application)?;
    let at = DbTime::new(now);
    let by = actor.user_id.map(db_id);
    if before.is_some() {
        diesel::update(panel_recommendations::table.find(db_id(application)))
            .set((
                panel_recommendations::decision.eq(recommendation.decision().as_str()),
                panel_recommendations::note.eq(recommendation.note()),
                panel_recommendations::recorded_by.eq(by),
                panel_recommendations::recorded_at.eq(at),
            ))
            .execute(conn)?;
    } else {
        diesel::insert_into(panel_recommendations::table)
            .values((
                panel_recommendations::application_id.eq(db_id(application)),
                panel_recommendations::round_id.eq(db_id(round)),
                panel_recommendations::decision.eq(recommendation.decision().as_str()),
                panel_recommendations::note.eq(recommendation.note()),
                panel_recommendations::recorded_by.eq(by),
                panel_recommendations::recorded_at.eq(at),
            ))
            .execute(conn)?;
    }
    audit::record_change(
        conn,
        actor,
        "application.panel_recommended",
        "application",
        application,
        Some(fund),
        before.as_ref(),
        Some(recommendation),
        now,
    )?;
    Ok(())
}
