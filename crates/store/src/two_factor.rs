//! Two-factor sign-in (issue 18): each user's authenticator secret, the
//! step of the last code accepted, a secret being enrolled, and the hashes
//! of their recovery codes. Whether a code is right is the domain's rule
//! (`grantledger_domain::two_factor`); the store makes "not twice" atomic.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use grantledger_domain::ids::UserId;
use grantledger_domain::two_factor::TotpSecret;

use crate::common::db_id;
use crate::connection::AnyConnection;
use crate::error::StoreError;
use crate::schema::{recovery_codes, two_factor};
use crate::sql_types::DbTime;

/// A user's two-factor state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TwoFactor {
    /// The confirmed secret: set, the user signs in with a code.
    pub secret: Option<TotpSecret>,
    /// A secret shown for enrolment, waiting for a code from the app.
    pub pending: Option<TotpSecret>,
    /// The step of the last code accepted.
    pub last_step: Option<i64>,
    /// When it was turned on.
    pub enabled_at: Option<DateTime<Utc>>,
    /// Recovery codes not yet used.
    pub recovery_codes_left: i64,
}

impl TwoFactor {
    /// Whether the user signs in with a code.
    #[must_use]
    pub fn enabled(&self) -> bool {
        self.secret.is_some()
    }
}

type Row = (Option<String>, Option<String>, Option<i64>, Option<DbTime>);

fn parse(text: Option<String>) -> Result<Option<TotpSecret>, StoreError> {
    text.map(|t| {
        TotpSecret::parse(&t).map_err(|e| StoreError::Corrupt(format!("two-factor secret: {e}")))
    })
    .transpose()
}

/// The two-factor state of a user (all empty when they never enrolled).
pub fn get(conn: &mut AnyConnection, user: UserId) -> Result<TwoFactor, StoreError> {
    let row: Option<Row> = two_factor::table
        .find(db_id(user))
        .select((
            two_factor::secret,
            two_factor::pending_secret,
            two_factor::last_step,
            two_factor::enabled_at,
        ))
        .first(conn)
        .optional()?;
    let Some((secret, pending, last_step, enabled_at)) = row else {
        return Ok(TwoFactor::default());
    };
    let recovery_codes_left = recovery_codes::table
        .filter(recovery_codes::user_id.eq(db_id(user)))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)?;
    Ok(TwoFactor {
        secret: parse(secret)?,
        pending: parse(pending)?,
        last_step,
        enabled_at: enabled_at.map(|t| t.0),
        recovery_codes_left,
    })
}

/// Whether the user signs in with a code: one indexed read, for every
/// sign-in (which needs neither the secret nor the recovery codes).
pub fn enabled(conn: &mut AnyConnection, user: UserId) -> Result<bool, StoreError> {
    let found: i64 = two_factor::table
        .filter(two_factor::user_id.eq(db_id(user)))
        .filter(two_factor::secret.is_not_null())
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}

/// Keeps `pending` as the secret being enrolled (replacing any earlier
/// one not confirmed); an enabled secret stays in force until confirmed.
pub fn begin(
    conn: &mut AnyConnection,
    user: UserId,
    pending: &TotpSecret,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let updated = diesel::update(two_factor::table.find(db_id(user)))
        .set((
            two_factor::pending_secret.eq(pending.base32()),
            two_factor::updated_at.eq(DbTime::new(now)),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(two_factor::table)
            .values((
                two_factor::user_id.eq(db_id(user)),
                two_factor::pending_secret.eq(pending.base32()),
                two_factor::updated_at.eq(DbTime::new(now)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Makes the pending secret the user's secret, its first code's step the
/// last used, and `recovery_hashes` their recovery codes (any earlier ones
/// end).
pub fn confirm(
    conn: &mut AnyConnection,
    user: UserId,
    secret: &TotpSecret,
    step: i64,
    recovery_hashes: &[String],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::update(two_factor::table.find(db_id(user)))
        .set((
            two_factor::secret.eq(Some(secret.base32())),
            two_factor::pending_secret.eq(None::<String>),
            two_factor::last_step.eq(Some(step)),
            two_factor::enabled_at.eq(Some(DbTime::new(now))),
            two_factor::updated_at.eq(DbTime::new(now)),
        ))
        .execute(conn)?;
    replace_recovery_codes(conn, user, recovery_hashes)
}

/// Replaces a user's recovery codes.
pub fn replace_recovery_codes(
    conn: &mut AnyConnection,
    user: UserId,
    hashes: &[String],
) -> Result<(), StoreError> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(db_id(user))))
        .execute(conn)?;
    // One statement per row: a batch insert is not portable across the
    // two backends of a `MultiConnection`.
    for hash in hashes {
        diesel::insert_into(recovery_codes::table)
            .values((
                recovery_codes::user_id.eq(db_id(user)),
                recovery_codes::code_hash.eq(hash.as_str()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Records that a code of `step` was used, unless one of that step or a
/// later one already was; returns whether it was recorded. Two sign-ins
/// racing with one code cannot both get `true`.
pub fn record_step(conn: &mut AnyConnection, user: UserId, step: i64) -> Result<bool, StoreError> {
    let updated = diesel::update(
        two_factor::table
            .find(db_id(user))
            .filter(two_factor::secret.is_not_null())
            .filter(
                two_factor::last_step
                    .is_null()
                    .or(two_factor::last_step.lt(step)),
            ),
    )
    .set(two_factor::last_step.eq(Some(step)))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Uses up the recovery code with this hash; returns whether it was there
/// and unused.
pub fn use_recovery_code(
    conn: &mut AnyConnection,
    user: UserId,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let updated = diesel::update(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(db_id(user)))
            .filter(recovery_codes::code_hash.eq(hash))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(Some(DbTime::new(now))))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Turns two-factor off for a user: secret and recovery codes go.
pub fn remove(conn: &mut AnyConnection, user: UserId) -> Result<bool, StoreError> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(db_id(user))))
        .execute(conn)?;
    Ok(diesel::delete(two_factor::table.find(db_id(user))).execute(conn)? == 1)
}

/// The users who sign in with two factors, for lists of people.
pub fn enabled_users(
    conn: &mut AnyConnection,
) -> Result<std::collections::HashSet<UserId>, StoreError> {
    let ids: Vec<crate::sql_types::DbUuid> = two_factor::table
        .filter(two_factor::secret.is_not_null())
        .select(two_factor::user_id)
        .load(conn)?;
    Ok(ids.into_iter().map(|id| UserId::from_uuid(id.0)).collect())
}
