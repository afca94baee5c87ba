//! Raw SQL that diesel may prepare once per connection.
//!
//! Diesel caches no `sql_query`, since raw text usually has values written
//! into it and every variant would be kept. A statement whose text carries
//! no values (they are bound parameters) is the same text every time, so it
//! is a sound cache key: [`Reused`] says so. For the reconciliation,
//! PostgreSQL had spent about as long parsing and planning each statement
//! as running it (docs/BENCHMARKS.md, "Reconciliation statements prepared once").

use diesel::backend::Backend;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};

/// A raw statement, `sql_query(…)` with its `.bind(…)`s, whose text holds
/// no values: diesel caches it by its text and bind types.
pub(crate) struct Reused<Q>(pub(crate) Q);

impl<DB: Backend, Q: QueryFragment<DB>> QueryFragment<DB> for Reused<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &DB) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> QueryId for Reused<Q> {
    type QueryId = ();
    // Keyed by its text and bind types instead of by its type.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Reused<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, Conn> RunQueryDsl<Conn> for Reused<Q> {}
