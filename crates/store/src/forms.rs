//! Round application forms (every saved version) and applications' answers
//! to them. Both are JSON text: a form is parsed into the domain's
//! [`Form`] on the way out, so a stored form is valid or reported corrupt.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use grantledger_domain::form::{Answers, Form};
use grantledger_domain::ids::{ApplicationId, FundId, RoundId};

use crate::audit;
use crate::common::{Actor, db_id};
use crate::connection::AnyConnection;
use crate::error::StoreError;
use crate::schema::{application_answers, round_forms};
use crate::sql_types::{DbTime, DbUuid};

/// One saved version of a round's form.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RoundForm {
    /// The round.
    pub round_id: RoundId,
    /// 1, 2, …: each save before the round opens makes a new one.
    pub version: u32,
    /// The form.
    pub form: Form,
    /// When it was saved.
    pub saved_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = round_forms)]
struct FormRow {
    round_id: DbUuid,
    version: i32,
    definition: String,
    saved_at: DbTime,
}

impl TryFrom<FormRow> for RoundForm {
    type Error = StoreError;
    fn try_from(row: FormRow) -> Result<RoundForm, StoreError> {
        Ok(RoundForm {
            round_id: RoundId::from_uuid(row.round_id.0),
            version: u32::try_from(row.version)
                .map_err(|e| StoreError::corrupt("form version", e))?,
            form: serde_json::from_str(&row.definition)
                .map_err(|e| StoreError::corrupt("round form", e))?,
            saved_at: row.saved_at.0,
        })
    }
}

/// The round's form: its latest version, if it has one.
pub fn current(conn: &mut AnyConnection, round: RoundId) -> Result<Option<RoundForm>, StoreError> {
    round_forms::table
        .filter(round_forms::round_id.eq(db_id(round)))
        .order(round_forms::version.desc())
        .select(FormRow::as_select())
        .first(conn)
        .optional()?
        .map(RoundForm::try_from)
        .transpose()
}

/// Every version of the round's form, oldest first.
pub fn history(conn: &mut AnyConnection, round: RoundId) -> Result<Vec<RoundForm>, StoreError> {
    round_forms::table
        .filter(round_forms::round_id.eq(db_id(round)))
        .order(round_forms::version.asc())
        .select(FormRow::as_select())
        .load(conn)?
        .into_iter()
        .map(RoundForm::try_from)
        .collect()
}

/// Saves a new version of the round's form over `before` (the version the
/// writer read, or none), with its audit event. A writer racing on the same
/// version gets [`StoreError::StaleVersion`]; nothing is overwritten.
pub fn save(
    conn: &mut AnyConnection,
    before: Option<&RoundForm>,
    round: RoundId,
    fund: FundId,
    form: &Form,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<RoundForm, StoreError> {
    let latest = current(conn, round)?;
    let read = before.map(|f| f.version);
    if latest.as_ref().map(|f| f.version) != read {
        return Err(StoreError::StaleVersion {
            entity: "round form",
            expected: i64::from(read.unwrap_or(0)),
        });
    }
    let version = read.unwrap_or(0) + 1;
    let definition =
        serde_json::to_string(form).map_err(|e| StoreError::corrupt("round form", e))?;
    diesel::insert_into(round_forms::table)
        .values((
            round_forms::round_id.eq(db_id(round)),
            round_forms::version
                .eq(i32::try_from(version).map_err(|e| StoreError::corrupt("form version", e))?),
            round_forms::definition.eq(&definition),
            round_forms::saved_by.eq(actor.user_id.map(db_id)),
            round_forms::saved_at.eq(DbTime::new(now)),
        ))
        .execute(conn)
        .map_err(|e| match StoreError::from(e) {
            StoreError::Duplicate { .. } => StoreError::StaleVersion {
                entity: "round form",
                expected: i64::from(read.unwrap_or(0)),
            },
            other => other,
        })?;
    let after = RoundForm {
        round_id: round,
        version,
        form: form.clone(),
        saved_at: now,
    };
    audit::record_change(
        conn,
        actor,
        "round.form_saved",
        "round",
        round,
        Some(fund),
        before,
        Some(&after),
        now,
    )?;
    Ok(after)
}

/// An application's saved answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedAnswers {
    /// The form version they answer.
    pub form_version: u32,
    /// The answers.
    pub answers: Answers,
    /// When they were last saved.
    pub saved_at: DateTime<Utc>,
}

/// The application's answers to `form`, if any were saved.
pub fn answers(
    conn: &mut AnyConnection,
    application: ApplicationId,
    form: &Form,
) -> Result<Option<SavedAnswers>, StoreError> {
    let row: Option<(i32, String, DbTime)> = application_answers::table
        .find(db_id(application))
        .select((
            application_answers::form_version,
            application_answers::answers,
            application_answers::saved_at,
        ))
        .first(conn)
        .optional()?;
    let Some((version, text, saved_at)) = row else {
        return Ok(None);
    };
    let raw: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&text).map_err(|e| StoreError::corrupt("application answers", e))?;
    let answers = form
        .stored_answers(&raw)
        .map_err(|e| StoreError::corrupt("application answers", e))?;
    Ok(Some(SavedAnswers {
        form_version: u32::try_from(version).map_err(|e| StoreError::corrupt("form version", e))?,
        answers,
        saved_at: saved_at.0,
    }))
}

/// The answers of several applications to the same `form`, by application
/// (those with none saved are left out): for exports.
pub fn answers_of(
    conn: &mut AnyConnection,
    applications: &[ApplicationId],
    form: &Form,
) -> Result<std::collections::HashMap<ApplicationId, Answers>, StoreError> {
    let rows: Vec<(DbUuid, String)> = application_answers::table
        .filter(application_answers::application_id.eq_any(applications.iter().map(|a| db_id(*a))))
        .select((
            application_answers::application_id,
            application_answers::answers,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, text)| {
            let raw: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text)
                .map_err(|e| StoreError::corrupt("application answers", e))?;
            let answers = form
                .stored_answers(&raw)
                .map_err(|e| StoreError::corrupt("application answers", e))?;
            Ok((ApplicationId::from_uuid(id.0), answers))
        })
        .collect()
}

/// Saves (replaces) an application's answers, with an audit event carrying
/// the answers before and after.
#[expect(
    clippy::too_many_arguments,
    reason = "one audited write: what was there, the new answers, whose, where, who and when"
)]
pub fn save_answers(
    conn: &mut AnyConnection,
    before: Option<&Answers>,
    application: ApplicationId,
    fund: FundId,
    form_version: u32,
    answers: &Answers,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let text = answers.to_json().to_string();
    let version =
        i32::try_from(form_version).map_err(|e| StoreError::corrupt("form version", e))?;
    let at = DbTime::new(now);
    let changed = diesel::update(application_answers::table.find(db_id(application)))
        .set((
            application_answers::form_version.eq(version),
            application_answers::answers.eq(&text),
            application_answers::saved_by.eq(actor.user_id.map(db_id)),
            application_answers::saved_at.eq(at),
        ))
        .execute(conn)?;
    if changed == 0 {
        diesel::insert_into(application_answers::table)
            .values((
                application_answers::application_id.eq(db_id(application)),
                application_answers::form_version.eq(version),
                application_answers::answers.eq(&text),
                application_answers::saved_by.eq(actor.user_id.map(db_id)),
                application_answers::saved_at.eq(at),
            ))
            .execute(conn)?;
    }
    audit::record_change(
        conn,
        actor,
        "application.answers_saved",
        "application",
        application,
        Some(fund),
        before.map(Answers::to_json).as_ref(),
        Some(&answers.to_json()),
        now,
    )?;
    Ok(())
}
