//! Bulk CSV imports of grantees and of award decisions, for the HTTP
//! routes and `grantledger import`. A file is checked whole; any bad row
//! refuses the whole file (422, one error per line) and nothing changes.
//! Importing the same file twice changes nothing the second time.

use chrono::Utc;
use grantledger_domain::grantee::Grantee;
use grantledger_domain::ids::RoundId;
use grantledger_domain::import::{
    GranteeRow as GranteeImportRow, ImportErrors, LineError, parse_award_decisions, parse_grantees,
};
use std::collections::HashMap;

use grantledger_store::AnyConnection;
use grantledger_store::common::{Actor, Record};
use grantledger_store::{Database, awards, grantees, rounds, write_transaction};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, FieldError};
use crate::operations::applications::{DecisionBody, Outcome, decide};
use crate::operations::notices::Notices;

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportSummary {
    /// Rows read.
    pub rows: u64,
    /// Records created (grantees registered, awards made).
    pub created: u64,
    /// Grantees whose details changed.
    pub updated: u64,
    /// Rows that were already as the file says.
    pub unchanged: u64,
}

/// The 422 for a file with bad lines: one error per line, named `line N`.
pub fn import_error(errors: ImportErrors) -> ApiError {
    let detail = match errors.0.as_slice() {
        [one] => format!("the file cannot be imported: {one}"),
        [first, rest @ ..] => format!(
            "the file cannot be imported: {first} (and {} more)",
            rest.len()
        ),
        [] => "the file cannot be imported".to_owned(),
    };
    ApiError::Unprocessable {
        detail,
        errors: errors
            .0
            .into_iter()
            .map(|e| FieldError::new(format!("line {}", e.line), e.message))
            .collect(),
    }
}

/// A store or rule failure on one row, in words for the line's error.
fn row_message(error: &ApiError) -> String {
    match error {
        ApiError::Unprocessable { errors, detail } if !errors.is_empty() => {
            let parts: Vec<String> = errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect();
            if parts.is_empty() {
                detail.clone()
            } else {
                parts.join("; ")
            }
        }
        ApiError::Internal(_) => error.problem().detail,
        other => other.to_string(),
    }
}

fn same_details(a: &Grantee, b: &Grantee) -> bool {
    a.name == b.name
        && a.org_id == b.org_id
        && a.organisation_type == b.organisation_type
        && a.region == b.region
        && a.local_authority == b.local_authority
        && a.postcode == b.postcode
        && a.annual_income == b.annual_income
}

/// Imports a grantee file in one transaction. Rows are matched to grantees
/// already held by org id, or by name and postcode: a match with the same
/// details is unchanged, one with other details is updated (its id and due
/// diligence kept), no match is registered.
#[tracing::instrument(skip_all, fields(bytes = bytes.len()))]
pub fn import_grantees(
    db: &Database,
    bytes: &[u8],
    actor: &Actor,
    progress: impl FnMut(u64),
) -> Result<ImportSummary, ApiError> {
    let rows = parse_grantees(bytes).map_err(import_error)?;
    db.write(|c| import_grantee_rows(c, &rows, actor, Utc::now(), progress))
}

/// The grantees an import matches its rows against: those held, and those
/// the file registers, found by org id or by postcode.
#[derive(Default)]
struct Register {
    entries: Vec<Entry>,
    by_org_id: HashMap<String, usize>,
    by_postcode: HashMap<String, Vec<usize>>,
}

struct Entry {
    grantee: Grantee,
    /// The record read from the database; `None` for one this file adds.
    held: Option<Record<Grantee>>,
}

impl Register {
    fn add(&mut self, grantee: Grantee, held: Option<Record<Grantee>>) {
        let at = self.entries.len();
        self.index(at, &grantee);
        self.entries.push(Entry { grantee, held });
    }

    fn index(&mut self, at: usize, grantee: &Grantee) {
        if let Some(org_id) = &grantee.org_id {
            self.by_org_id.insert(org_id.to_string(), at);
        }
        self.by_postcode
            .entry(grantee.postcode.to_string())
            .or_default()
            .push(at);
    }

    fn unindex(&mut self, at: usize) {
        let Some(Entry { grantee, .. }) = self.entries.get(at) else {
            return;
        };
        if let Some(org_id) = &grantee.org_id {
            self.by_org_id.remove(org_id.as_str());
        }
        if let Some(list) = self.by_postcode.get_mut(grantee.postcode.as_str()) {
            list.retain(|&i| i != at);
        }
    }

    /// The entry `grantee` is likely the same organisation as, by the rule
    /// of [`Grantee::likeness_to`]: the same org id first, else the same
    /// name and postcode.
    fn find(&self, grantee: &Grantee) -> Option<usize> {
        if let Some(at) = grantee
            .org_id
            .as_ref()
            .and_then(|o| self.by_org_id.get(o.as_str()))
        {
            return Some(*at);
        }
        self.by_postcode
            .get(grantee.postcode.as_str())?
            .iter()
            .copied()
            .find(|&at| {
                self.entries
                    .get(at)
                    .is_some_and(|e| grantee.likeness_to(&e.grantee).is_some())
            })
    }

    fn get(&self, at: usize) -> Option<&Entry> {
        self.entries.get(at)
    }

    fn replace(&mut self, at: usize, grantee: Grantee, held: Option<Record<Grantee>>) {
        self.unindex(at);
        self.index(at, &grantee);
        if let Some(entry) = self.entries.get_mut(at) {
            *entry = Entry { grantee, held };
        }
    }
}

/// [`import_grantees`] on a connection already in a write transaction (the
/// HTTP route runs it under the caller's `Idempotency-Key`). The file is
/// matched in memory against every grantee held and new grantees are
/// inserted in batches, so 100,000 rows take seconds, not minutes, and a
/// file whose rows are all unchanged writes nothing.
#[tracing::instrument(skip_all, fields(rows = rows.len()))]
pub fn import_grantee_rows(
    c: &mut AnyConnection,
    rows: &[GranteeImportRow],
    actor: &Actor,
    now: chrono::DateTime<Utc>,
    mut progress: impl FnMut(u64),
) -> Result<ImportSummary, ApiError> {
    let mut register = Register::default();
    for record in grantees::all(c)? {
        register.add(record.value.clone(), Some(record));
    }
    let mut summary = ImportSummary::default();
    let mut errors = Vec::new();
    for row in rows {
        summary.rows += 1;
        let found = register
            .find(&row.grantee)
            .and_then(|at| register.get(at).map(|entry| (at, entry)));
        match found {
            Some((_, entry)) if same_details(&entry.grantee, &row.grantee) => {
                summary.unchanged += 1;
            }
            Some((at, entry)) => {
                let after = Grantee {
                    id: entry.grantee.id,
                    due_diligence: entry.grantee.due_diligence,
                    ..row.grantee.clone()
                };
                let saved = match &entry.held {
                    Some(held) => write_transaction(c, |c| {
                        grantees::save(c, held, &after, "grantee.imported", actor, now)
                    })
                    .map(Some),
                    // Registered earlier in this file: it is inserted as it
                    // ends up.
                    None => Ok(None),
                };
                match saved {
                    Ok(held) => {
                        register.replace(at, after, held);
                        summary.updated += 1;
                    }
                    Err(error) => errors.push(LineError {
                        line: row.line,
                        message: row_message(&ApiError::from(error)),
                    }),
                }
            }
            None => {
                register.add(row.grantee.clone(), None);
                summary.created += 1;
            }
        }
        progress(1);
    }
    if !errors.is_empty() {
        return Err(import_error(ImportErrors(errors)));
    }
    let new: Vec<Grantee> = register
        .entries
        .into_iter()
        .filter(|e| e.held.is_none())
        .map(|e| e.grantee)
        .collect();
    grantees::create_many(c, &new, actor, now)?;
    Ok(summary)
}

/// Imports award decisions for a round in one transaction: each row awards
/// its application the amount, as `POST /v1/applications/{id}/decision`
/// would (eligibility of the amount, the round's money). An application
/// already awarded that amount is unchanged; any other outcome already
/// decided is an error on its line.
#[tracing::instrument(skip_all, fields(round_id = %round, bytes = bytes.len()))]
pub fn import_awards(
    db: &Database,
    notices: &Notices,
    round: RoundId,
    bytes: &[u8],
    actor: &Actor,
    progress: impl FnMut(u64),
) -> Result<ImportSummary, ApiError> {
    db.write(|c| import_award_file(c, notices, round, bytes, actor, progress))
}

/// [`import_awards`] on a connection already in a write transaction.
#[tracing::instrument(skip_all, fields(round_id = %round, bytes = bytes.len()))]
pub fn import_award_file(
    c: &mut AnyConnection,
    notices: &Notices,
    round: RoundId,
    bytes: &[u8],
    actor: &Actor,
    mut progress: impl FnMut(u64),
) -> Result<ImportSummary, ApiError> {
    rounds::get(c, round)?;
    let rows = parse_award_decisions(bytes).map_err(import_error)?;
    let mut summary = ImportSummary::default();
    let mut errors = Vec::new();
    for row in &rows {
        summary.rows += 1;
        let outcome = write_transaction(c, |c| {
            if let Some(held) = awards::for_application(c, row.application_id)? {
                let award = &held.value.award;
                if award.round_id == round && award.amount == row.amount {
                    return Ok(false);
                }
                if award.round_id == round {
                    return Err(ApiError::conflict(format!(
                        "the application was already awarded {} ({}); vary the award instead",
                        award.amount, award.reference
                    )));
                }
            }
            let body = DecisionBody {
                outcome: Outcome::Award,
                amount: Some(row.amount),
                feedback: None,
                internal_note: Some("Imported from a spreadsheet of decisions.".to_owned()),
            };
            decide(c, notices, row.application_id, Some(round), &body, actor).map(|_| true)
        });
        match outcome {
            Ok(false) => summary.unchanged += 1,
            Ok(true) => summary.created += 1,
            Err(ApiError::NotFound { .. }) => errors.push(LineError {
                line: row.line,
                message: format!(
                    "application_id: no application {} in this round",
                    row.application_id
                ),
            }),
            Err(error) => errors.push(LineError {
                line: row.line,
                message: row_message(&error),
            }),
        }
        progress(1);
    }
    if errors.is_empty() {
        Ok(summary)
    } else {
        Err(import_error(ImportErrors(errors)))
    }
}
