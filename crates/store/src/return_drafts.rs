//! Evaluation returns saved part-way in the portal: the form as it was
//! left, kept as JSON text because a draft need not be valid yet. Only a
//! submission is checked and becomes a version (`evaluation`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use grantledger_domain::ids::{AwardId, UserId};

use crate::common::db_id;
use crate::connection::AnyConnection;
use crate::error::StoreError;
use crate::schema::return_drafts;
use crate::sql_types::DbTime;

/// A saved draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// The form's fields, as JSON.
    pub form: String,
    /// When it was saved.
    pub saved_at: DateTime<Utc>,
}

/// Saves (or replaces) the draft of an award's return.
pub fn save(
    conn: &mut AnyConnection,
    award: AwardId,
    form: &str,
    by: UserId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let changed = diesel::update(return_drafts::table.find(db_id(award)))
        .set((
            return_drafts::form.eq(form),
            return_drafts::saved_by.eq(db_id(by)),
            return_drafts::saved_at.eq(DbTime::new(now)),
        ))
        .execute(conn)?;
    if changed == 0 {
        diesel::insert_into(return_drafts::table)
            .values((
                return_drafts::award_id.eq(db_id(award)),
                return_drafts::form.eq(form),
                return_drafts::saved_by.eq(db_id(by)),
                return_drafts::saved_at.eq(DbTime::new(now)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The draft of an award's return, if one is saved.
pub fn get(conn: &mut AnyConnection, award: AwardId) -> Result<Option<Draft>, StoreError> {
    let row: Option<(String, DbTime)> = return_drafts::table
        .find(db_id(award))
        .select((return_drafts::form, return_drafts::saved_at))
        .first(conn)
        .optional()?;
    Ok(row.map(|(form, saved_at)| Draft {
        form,
        saved_at: saved_at.0,
    }))
}

/// Removes the draft (the return was sent).
pub fn delete(conn: &mut AnyConnection, award: AwardId) -> Result<(), StoreError> {
    diesel::delete(return_drafts::table.find(db_id(award))).execute(conn)?;
    Ok(())
}
