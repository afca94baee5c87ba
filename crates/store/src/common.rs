//! Shapes shared by the repositories: stored records with their version,
//! pages of a list, and who is acting.

use chrono::{DateTime, Utc};
use grantledger_domain::Money;
use grantledger_domain::ids::UserId;

use crate::error::StoreError;
use crate::sql_types::DbUuid;

/// A domain value as stored, with the bookkeeping the API needs for
/// optimistic concurrency (`version`, sent as the `ETag`) and display.
#[derive(Debug, Clone, PartialEq)]
pub struct Record<T> {
    /// The value.
    pub value: T,
    /// Incremented by every update; `If-Match` compares against it.
    pub version: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// The most items a list returns at once.
pub const MAX_PAGE_SIZE: u32 = 500;
/// Items a list returns when no limit is given.
pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// Which slice of a list to return: keyset pagination on the id, which is a
/// UUID v7 and so in creation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    limit: u32,
    after: Option<uuid::Uuid>,
}

impl PageRequest {
    /// A page of up to `limit` items (clamped to 1..=[`MAX_PAGE_SIZE`]) after
    /// the item with id `after`.
    pub fn new(limit: Option<u32>, after: Option<uuid::Uuid>) -> PageRequest {
        let limit = limit.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE);
        PageRequest { limit, after }
    }

    /// The page size.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// The cursor: the last id of the previous page.
    pub fn after(&self) -> Option<uuid::Uuid> {
        self.after
    }

    /// How many rows to fetch: one more than the page, to learn whether
    /// another page follows without a count.
    pub(crate) fn fetch(&self) -> i64 {
        i64::from(self.limit) + 1
    }

    /// Cuts the over-fetched rows to a page and computes the next cursor.
    pub(crate) fn finish<T>(&self, mut items: Vec<T>, id_of: impl Fn(&T) -> uuid::Uuid) -> Page<T> {
        let limit = self.limit as usize;
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(&id_of)
        } else {
            None
        };
        Page { items, next }
    }

    /// Turns the rows a [`page_query!`] loaded into records, then
    /// [finishes](Self::finish) the page.
    pub(crate) fn finish_with<R, T>(
        &self,
        rows: Vec<R>,
        to_record: impl FnMut(R) -> Result<T, StoreError>,
        id_of: impl Fn(&T) -> uuid::Uuid,
    ) -> Result<Page<T>, StoreError> {
        let records = rows.into_iter().map(to_record).collect::<Result<_, _>>()?;
        Ok(self.finish(records, id_of))
    }
}

/// A boxed query for one page of `$table` (a module of [`crate::schema`])
/// read as `$row`: in id order, the rows after the page's cursor, one more
/// than the page holds (see [`PageRequest::fetch`]). A list adds its
/// filters, loads it and hands the rows to [`PageRequest::finish_with`].
macro_rules! page_query {
    ($table:ident, $row:ty, $page:expr) => {{
        let page: &$crate::common::PageRequest = &$page;
        let mut query = $table::table
            .select(<$row>::as_select())
            .order($table::id.asc())
            .limit(page.fetch())
            .into_boxed();
        if let Some(after) = page.after() {
            query = query.filter($table::id.gt($crate::sql_types::DbUuid(after)));
        }
        query
    }};
}
pub(crate) use page_query;

/// The row of `$table` with primary key `$key`, read as `$row`, or
/// [`StoreError::NotFound`] naming `$entity`.
macro_rules! find_row {
    ($conn:expr, $table:ident, $row:ty, $key:expr, $entity:expr $(,)?) => {
        $table::table
            .find($key)
            .select(<$row>::as_select())
            .first::<$row>($conn)
            .optional()
            .map_err($crate::error::StoreError::from)
            .and_then(|row| row.ok_or($crate::error::StoreError::NotFound { entity: $entity }))
    };
}
pub(crate) use find_row;

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest::new(None, None)
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items, oldest first.
    pub items: Vec<T>,
    /// The cursor for the next page, if there is one.
    pub next: Option<uuid::Uuid>,
}

impl<T> Page<T> {
    /// The same page with each item turned into another; the first error
    /// stops it.
    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page {
            items: self.items.into_iter().map(f).collect::<Result<_, _>>()?,
            next: self.next,
        })
    }
}

/// Who is making a change, for the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The signed-in user, or `None` for the system itself (CLI, demo set-up).
    pub user_id: Option<UserId>,
    /// A readable name for the audit trail: an email, or "cli".
    pub label: String,
}

impl Actor {
    /// A user acting through the API.
    pub fn user(user_id: UserId, label: impl Into<String>) -> Actor {
        Actor {
            user_id: Some(user_id),
            label: label.into(),
        }
    }

    /// The system acting on an operator's command.
    pub fn system(label: impl Into<String>) -> Actor {
        Actor {
            user_id: None,
            label: label.into(),
        }
    }
}

/// Reads stored pence as money; a negative or oversized value means the row
/// was not written by grantledger.
pub(crate) fn money(what: &str, pence: i64) -> Result<Money, StoreError> {
    Money::from_pence(pence).map_err(|e| StoreError::corrupt(what, e))
}

/// Parses a stored text column into its domain type.
pub(crate) fn parse<T: std::str::FromStr>(what: &str, text: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    text.parse::<T>().map_err(|e| StoreError::corrupt(what, e))
}

/// Converts a domain id to its stored form.
pub(crate) fn db_id(id: impl Into<uuid::Uuid>) -> DbUuid {
    DbUuid(id.into())
}

/// Stores a list of enum values as comma-separated wire names.
pub(crate) fn join_names<T: std::fmt::Display>(values: &[T]) -> String {
    values
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads back a list stored by [`join_names`].
pub(crate) fn split_names<T: std::str::FromStr>(
    what: &str,
    text: &str,
) -> Result<Vec<T>, StoreError>
where
    T::Err: std::fmt::Display,
{
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| parse(what, s))
        .collect()
}

/// Updates one row of `$table` (a module of [`crate::schema`]) over the
/// version the caller read: sets `$changes` (anything `.set` takes) and
/// bumps `version`, where the row with id `$id` is still at `$version`.
/// Evaluates to `Ok(())`, or [`StoreError::StaleVersion`] naming `$entity`
/// when no row changed. With `returning $columns` it evaluates to the row
/// as stored instead.
macro_rules! update_versioned {
    ($conn:expr, $table:ident, $id:expr, $version:expr, $entity:expr, $changes:expr $(,)?) => {
        $crate::common::update_versioned!(
            $conn, $table, $id, $version, $entity, $changes,
            returning $table::version,
        )
        .map(|_: i64| ())
    };
    ($conn:expr, $table:ident, $id:expr, $version:expr, $entity:expr, $changes:expr,
     returning $columns:expr $(,)?) => {{
        use ::diesel::prelude::*;
        let version: i64 = $version;
        ::diesel::update(
            $table::table
                .filter($table::id.eq($id))
                .filter($table::version.eq(version)),
        )
        .set(($changes, $table::version.eq(version + 1)))
        .returning($columns)
        .get_result($conn)
        .optional()
        .map_err($crate::error::StoreError::from)
        .and_then(|row| {
            row.ok_or($crate::error::StoreError::StaleVersion {
                entity: $entity,
                expected: version,
            })
        })
    }};
}
pub(crate) use update_versioned;
