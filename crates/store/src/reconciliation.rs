//! Gathering a fund's figures for reconciliation: a handful of aggregate
//! queries (GROUP BY in the database, never a loop over awards), whose
//! results [`grantledger_domain::reconciliation::reconcile`] turns into
//! checks.
//!
//! Two things need SQL that differs between the backends — turning a UUID
//! into the text of an account key, and reading a field of a JSON summary —
//! so these queries are written as text with [`Dialect`] filling in those
//! fragments. No value is put into the text: the fund's id, the instant and
//! the fingerprints' salt are bound parameters, so each statement's text is
//! the same for every fund and each connection prepares it once.
//!
//! **As of an instant.** The domain tables hold only the current state, so a
//! reconciliation as of a past instant takes its domain figures from the
//! audit trail: each fund, round, award and disbursement's latest
//! after-summary at or before the instant (the trail is append-only and
//! hash-chained). Ledger figures come from the transfers created at or
//! before it; stored account balances are current only and are not
//! compared. See docs/AUDIT.md.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::QueryableByName;
use diesel::backend::Backend;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, HasSqlType, Nullable, Text};
use diesel::sqlite::{Sqlite, SqliteConnection};
use grantledger_domain::Money;
use grantledger_domain::award::AwardStatus;
use grantledger_domain::fund::Fund;
use grantledger_domain::fund_overview::COMMITMENT_KINDS;
use grantledger_domain::ids::{AwardId, FundId, GranteeId, RoundId};
use grantledger_domain::ledger::{Account, TransferKind};
use grantledger_domain::payment_run::PaymentRunStatus;
use grantledger_domain::reconciliation::{
    AWARD_ACCOUNTS, AccountBalances, AccountMismatch, AwardAccounts, Figures, FunderFigures,
    PaymentRunFigures, Pence, Reconciliation, RoundFigures, StoredBalances, Totals, TransferGroup,
    reconcile,
};

use crate::common::{Record, db_id, parse};
use crate::connection::AnyConnection;
use crate::error::StoreError;
use crate::funds;
use crate::reused::Reused;
use crate::schema::{audit_events, ledger_accounts, round_designations, rounds};
use crate::sql_types::{DbTime, DbUuid, Instant, Uuid as SqlUuid};

/// The backend-specific fragments of the reconciliation queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Postgres,
    Sqlite,
}

impl Dialect {
    fn of(conn: &AnyConnection) -> Dialect {
        match conn {
            AnyConnection::Postgresql(_) => Dialect::Postgres,
            AnyConnection::Sqlite(_) => Dialect::Sqlite,
        }
    }

    /// The UTC calendar day of an instant column, as `YYYY-MM-DD` text.
    fn day(self, column: &str) -> String {
        match self {
            Dialect::Postgres => format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"),
            // Stored as fixed-width UTC text (`DbTime`).
            Dialect::Sqlite => format!("substr({column}, 1, 10)"),
        }
    }

    /// The lower-case hyphenated text of a UUID column.
    fn uuid_text(self, column: &str) -> String {
        match self {
            Dialect::Postgres => format!("{column}::text"),
            Dialect::Sqlite => format!(
                "lower(substr(hex({column}),1,8)||'-'||substr(hex({column}),9,4)||'-'||substr(hex({column}),13,4)||'-'||substr(hex({column}),17,4)||'-'||substr(hex({column}),21))"
            ),
        }
    }

    /// A UUID column from hyphenated text.
    fn text_uuid(self, text: &str) -> String {
        match self {
            Dialect::Postgres => format!("({text})::uuid"),
            Dialect::Sqlite => format!("unhex(replace({text},'-',''))"),
        }
    }

    /// A top-level string field of a JSON text column.
    fn json(self, column: &str, field: &str) -> String {
        match self {
            Dialect::Postgres => format!("({column}::jsonb ->> '{field}')"),
            Dialect::Sqlite => format!("json_extract({column}, '$.{field}')"),
        }
    }

    /// Pence from a money string with two decimals ("2500.00").
    fn pence(self, text: &str) -> String {
        format!("CAST(REPLACE({text}, '.', '') AS BIGINT)")
    }
}

/// Where a statement takes the fund's id, the instant it is reconciled as
/// of, and the fingerprints' salt: names [`Queries::numbered`] turns into
/// bound parameters. Nothing else varies between funds, so each statement's
/// text is the same for every fund and every reconciliation, and each
/// connection prepares it once ([`Reused`]).
const FUND: &str = ":fund";
const AS_OF: &str = ":as_of";
const SALT: &str = ":salt";

/// A value a reconciliation statement binds, by its SQL type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parameter {
    Uuid(DbUuid),
    Instant(DbTime),
    BigInt(i64),
}

/// The modulus of the balance fingerprints: the Mersenne prime 2^31 − 1, so
/// that a product of two residues fits in 62 bits and a sum of billions of
/// them in 64.
const FINGERPRINT_PRIME: i64 = 2_147_483_647;

/// The SQL functions SQLite's fingerprints call, private to this module.
mod sqlite_functions {
    use diesel::sql_types::{BigInt, Binary, Text};

    diesel::define_sql_function! {
        /// SQLite: `key_fingerprint` of an account's key and balance.
        #[allow(dead_code)] // called from SQL text only
        fn gl_key_fingerprint(salt: BigInt, key: Text, balance: BigInt) -> BigInt;
    }

    diesel::define_sql_function! {
        /// SQLite: `key_fingerprint` of an award's own account, from the
        /// award's id.
        #[allow(dead_code)] // called from SQL text only
        fn gl_award_fingerprint(salt: BigInt, id: Binary, balance: BigInt) -> BigInt;
    }
}

/// `(balance × H(key)) mod p`, with `H` SipHash over the salt and the key's
/// text: SQLite's side of [`Queries::fingerprint`].
fn key_fingerprint(salt: i64, key: &str, balance: i64) -> i64 {
    use std::hash::Hasher;
    let mut hasher = std::hash::DefaultHasher::new();
    hasher.write_i64(salt);
    hasher.write(key.as_bytes());
    let p = i128::from(FINGERPRINT_PRIME);
    let hash = i128::from(hasher.finish()) % p;
    let product = i128::from(balance).rem_euclid(p) * hash % p;
    i64::try_from(product).unwrap_or(-1)
}

/// Registers the fingerprint functions on a new SQLite connection
/// (PostgreSQL has `hashtextextended`); each reconciliation passes its own
/// salt as their first argument. Registered once per connection: SQLite
/// expires every statement the connection has prepared when a function is
/// registered again.
pub(crate) fn register_fingerprints(conn: &mut SqliteConnection) -> QueryResult<()> {
    sqlite_functions::gl_key_fingerprint_utils::register_impl(
        conn,
        |salt: i64, key: String, balance: i64| key_fingerprint(salt, &key, balance),
    )?;
    sqlite_functions::gl_award_fingerprint_utils::register_impl(
        conn,
        |salt: i64, id: Vec<u8>, balance: i64| {
            match uuid::Uuid::from_slice(&id) {
                Ok(id) => {
                    let key = Account::AwardPayable(AwardId::from_uuid(id)).key();
                    key_fingerprint(salt, &key, balance)
                }
                // No fingerprint agrees with a malformed id, so the exact
                // comparison runs and names the account.
                Err(_) => -1,
            }
        },
    )
}

/// Builds the query text for one fund at one instant, and binds its
/// parameters.
struct Queries {
    d: Dialect,
    fund: FundId,
    as_of: Option<DateTime<Utc>>,
    /// A fresh random seed for the fingerprint hash, so nobody can prepare
    /// balances whose fingerprints collide.
    salt: i64,
}

impl Queries {
    /// `sql` with each parameter's name ([`FUND`], [`AS_OF`], [`SALT`])
    /// replaced by a placeholder numbered in order of first use, and the
    /// parameters' values in that order: SQLite refuses to bind a number
    /// its text lacks.
    fn numbered(&self, sql: &str) -> Result<(String, Vec<Parameter>), StoreError> {
        let names = [
            (FUND, Some(Parameter::Uuid(db_id(self.fund)))),
            (
                AS_OF,
                self.as_of.map(|t| Parameter::Instant(DbTime::new(t))),
            ),
            (SALT, Some(Parameter::BigInt(self.salt))),
        ];
        let mut used: Vec<(usize, &str, Option<Parameter>)> = names
            .into_iter()
            .filter_map(|(name, value)| sql.find(name).map(|at| (at, name, value)))
            .collect();
        used.sort_by_key(|&(at, _, _)| at);
        let mut text = sql.to_owned();
        let mut values = Vec::with_capacity(used.len());
        for (n, (_, name, value)) in used.into_iter().enumerate() {
            let value = value.ok_or_else(|| {
                StoreError::corrupt("reconciliation statement", format!("{name} has no value"))
            })?;
            let placeholder = match self.d {
                Dialect::Postgres => format!("${}", n + 1),
                Dialect::Sqlite => format!("?{}", n + 1),
            };
            text = text.replace(name, &placeholder);
            values.push(value);
        }
        Ok((text, values))
    }

    /// Binds `parameters` to `query`, in order.
    fn bind<'f, DB>(
        mut query: BoxedSqlQuery<'f, DB, SqlQuery>,
        parameters: &[Parameter],
    ) -> BoxedSqlQuery<'f, DB, SqlQuery>
    where
        DB: Backend + HasSqlType<SqlUuid> + HasSqlType<Instant> + HasSqlType<BigInt>,
        DbUuid: ToSql<SqlUuid, DB>,
        DbTime: ToSql<Instant, DB>,
        i64: ToSql<BigInt, DB>,
    {
        for &p in parameters {
            query = match p {
                Parameter::Uuid(id) => query.bind::<SqlUuid, _>(id),
                Parameter::Instant(t) => query.bind::<Instant, _>(t),
                Parameter::BigInt(n) => query.bind::<BigInt, _>(n),
            };
        }
        query
    }

    /// Runs one of these statements with its parameters bound.
    fn load<T>(&self, conn: &mut AnyConnection, sql: &str) -> Result<Vec<T>, StoreError>
    where
        T: QueryableByName<Pg> + QueryableByName<Sqlite> + 'static,
    {
        let (text, parameters) = self.numbered(sql)?;
        let rows = match conn {
            AnyConnection::Postgresql(c) => Reused(Self::bind(
                diesel::sql_query(text).into_boxed::<Pg>(),
                &parameters,
            ))
            .load(c)?,
            AnyConnection::Sqlite(c) => Reused(Self::bind(
                diesel::sql_query(text).into_boxed::<Sqlite>(),
                &parameters,
            ))
            .load(c)?,
        };
        Ok(rows)
    }

    fn live(&self) -> String {
        let live: Vec<String> = AwardStatus::ALL
            .iter()
            .filter(|s| s.is_live())
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        format!("status IN ({})", live.join(", "))
    }

    fn committed(&self) -> String {
        format!("CASE WHEN {} THEN amount ELSE paid END", self.live())
    }

    fn transfers_filter(&self) -> String {
        match self.as_of {
            Some(_) => format!("fund_id = {FUND} AND created_at <= {AS_OF}"),
            None => format!("fund_id = {FUND}"),
        }
    }

    /// The latest after-summary of each `entity_type` record of the fund at
    /// or before the instant: columns `entity_id` and `j` (the JSON text).
    fn latest(&self, entity_type: &str) -> String {
        format!(
            "SELECT entity_id, j FROM (SELECT e.entity_id, e.after AS j, \
             ROW_NUMBER() OVER (PARTITION BY e.entity_id ORDER BY e.seq DESC) AS rn \
             FROM audit_events e WHERE e.fund_id = {FUND} AND e.entity_type = '{entity_type}' \
             AND e.occurred_at <= {AS_OF}) ev WHERE rn = 1 AND j IS NOT NULL"
        )
    }

    /// CTE `a`: the fund's awards (id, round_id, grantee_id, amount, paid, status).
    fn awards(&self) -> String {
        match self.as_of {
            None => format!(
                "a AS (SELECT id, round_id, grantee_id, amount_pence AS amount, paid_pence AS paid, status \
                 FROM awards WHERE fund_id = {FUND})"
            ),
            Some(_) => {
                let d = self.d;
                format!(
                    "a AS (SELECT entity_id AS id, {} AS round_id, {} AS grantee_id, {} AS amount, {} AS paid, {} AS status FROM ({}) x)",
                    d.text_uuid(&d.json("j", "round_id")),
                    d.text_uuid(&d.json("j", "grantee_id")),
                    d.pence(&d.json("j", "amount")),
                    d.pence(&d.json("j", "paid")),
                    d.json("j", "status"),
                    self.latest("award")
                )
            }
        }
    }

    /// CTE `d`: paid disbursements (award_id, amount).
    fn paid_disbursements(&self) -> String {
        match self.as_of {
            None => "d AS (SELECT award_id, amount_pence AS amount FROM disbursements WHERE status = 'paid')".to_owned(),
            Some(_) => {
                let d = self.d;
                format!(
                    "d AS (SELECT {} AS award_id, {} AS amount FROM ({}) x WHERE {} = 'paid')",
                    d.text_uuid(&d.json("j", "award_id")),
                    d.pence(&d.json("j", "amount")),
                    self.latest("disbursement"),
                    d.json("j", "status"),
                )
            }
        }
    }

    /// Awards, committed and paid by round and grantee, with the grantee's
    /// name and region: one pass over the awards gives the totals by round,
    /// region and grantee.
    fn totals(&self) -> String {
        format!(
            "WITH {}, t AS (SELECT round_id, grantee_id, COUNT(*) AS n, SUM(c) AS c, SUM(paid) AS p, \
             SUM(e) AS e, SUM(fp) % {} AS fp FROM x GROUP BY round_id, grantee_id) \
             SELECT t.round_id AS round_id, t.grantee_id AS grantee_id, g.name AS name, g.region AS region, \
             t.n AS awards, CAST(COALESCE(t.c, 0) AS BIGINT) AS committed, CAST(COALESCE(t.p, 0) AS BIGINT) AS paid, \
             CAST(COALESCE(t.e, 0) AS BIGINT) AS expected, CAST(COALESCE(t.fp, 0) AS BIGINT) AS fingerprint \
             FROM t LEFT JOIN grantees g ON g.id = t.grantee_id",
            self.award_lines(),
            FINGERPRINT_PRIME
        )
    }

    /// CTEs `a` ([`Queries::awards`]) and `x`: each award's round, grantee,
    /// amount, liveness (`lv`), committed (`c`), paid, its account's
    /// expected balance (`e`: amount − paid while live, else 0; also 0 for
    /// a past summary missing its figures, which then disagrees with any
    /// transfers instead of failing the whole reconciliation) and that
    /// account's salted fingerprint (`fp`). One pass over the awards gives
    /// the totals and the award accounts' side of the fingerprint check.
    fn award_lines(&self) -> String {
        format!(
            "{}, ae AS (SELECT id, round_id, grantee_id, amount, paid, status, \
             COALESCE(CASE WHEN {live} THEN amount - paid ELSE 0 END, 0) AS e FROM a), \
             x AS (SELECT round_id, grantee_id, amount, paid, e, CASE WHEN {live} THEN 1 ELSE 0 END AS lv, \
             {} AS c, {} AS fp FROM ae)",
            self.awards(),
            self.committed(),
            self.award_fingerprint(),
            live = self.live(),
        )
    }

    /// Awards, committed and paid by round, region, amount and whether
    /// live: the same pass over the awards as [`Queries::totals`] without a
    /// row per grantee, which also gives the fund page its awards by size.
    /// Microgrants come in few amounts, so this stays short.
    fn totals_by_region(&self) -> String {
        format!(
            "WITH {} \
             SELECT x.round_id AS round_id, g.region AS region, CAST(x.amount AS BIGINT) AS amount, \
             CAST(x.lv AS BIGINT) AS live, COUNT(*) AS awards, \
             CAST(COALESCE(SUM(x.c), 0) AS BIGINT) AS committed, CAST(COALESCE(SUM(x.paid), 0) AS BIGINT) AS paid, \
             CAST(COALESCE(SUM(x.e), 0) AS BIGINT) AS expected, CAST(COALESCE(SUM(x.fp), 0) % {} AS BIGINT) AS fingerprint \
             FROM x LEFT JOIN grantees g ON g.id = x.grantee_id GROUP BY x.round_id, g.region, x.amount, x.lv",
            self.award_lines(),
            FINGERPRINT_PRIME
        )
    }

    fn paid_by_round(&self) -> String {
        format!(
            "WITH {}, {} SELECT a.round_id AS round_id, CAST(COALESCE(SUM(d.amount), 0) AS BIGINT) AS amount \
             FROM d JOIN a ON a.id = d.award_id GROUP BY a.round_id",
            self.awards(),
            self.paid_disbursements()
        )
    }

    /// The confirmed payment runs that carried any of the fund's tranches,
    /// each against the tranches paid through it. Starts from the runs (few)
    /// and reaches tranches by the `payment_run_id` index.
    fn payment_runs(&self) -> String {
        let confirmed = PaymentRunStatus::Confirmed;
        let paid: Vec<String> = confirmed
            .lists()
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        format!(
            "WITH r AS (SELECT pr.id, pr.total_pence, pr.disbursement_count FROM payment_runs pr              WHERE pr.status = '{}' AND EXISTS (SELECT 1 FROM disbursements x JOIN awards a ON a.id = x.award_id              WHERE x.payment_run_id = pr.id AND a.fund_id = {})),              p AS (SELECT x.payment_run_id AS id, SUM(x.amount_pence) AS paid, COUNT(*) AS n FROM disbursements x              JOIN r ON r.id = x.payment_run_id WHERE x.status IN ({}) GROUP BY x.payment_run_id)              SELECT CAST(COUNT(*) AS BIGINT) AS runs, CAST(COALESCE(SUM(r.total_pence), 0) AS BIGINT) AS recorded,              CAST(COALESCE(SUM(p.paid), 0) AS BIGINT) AS paid,              CAST(COALESCE(SUM(CASE WHEN r.total_pence = COALESCE(p.paid, 0) AND r.disbursement_count = COALESCE(p.n, 0)              THEN 0 ELSE 1 END), 0) AS BIGINT) AS mismatched              FROM r LEFT JOIN p ON p.id = r.id",
            confirmed.as_str(),
            FUND,
            paid.join(", ")
        )
    }

    /// The transfers grouped by kind and account, award accounts pooled;
    /// `by_day` also groups them by UTC day (for the fund page's chart).
    /// Each group carries the award accounts' salted fingerprint of its
    /// transfers (`f`), so the fingerprint check needs no second pass over
    /// the transfers.
    fn transfer_groups(&self, by_day: bool) -> String {
        let pool =
            |c: &str| format!("CASE WHEN {c} LIKE 'award:%' THEN '{AWARD_ACCOUNTS}' ELSE {c} END");
        let (day, group) = if by_day {
            (self.d.day("created_at"), ", 4")
        } else {
            ("CAST(NULL AS TEXT)".to_owned(), "")
        };
        let fingerprint = format!(
            "CAST(SUM(CASE WHEN credit_account LIKE 'award:%' THEN {} ELSE 0 END \
             + CASE WHEN debit_account LIKE 'award:%' THEN {} ELSE 0 END) % {} AS BIGINT)",
            self.fingerprint("credit_account", "amount_pence"),
            self.fingerprint("debit_account", "-amount_pence"),
            FINGERPRINT_PRIME
        );
        format!(
            "SELECT kind, {} AS debit, {} AS credit, {day} AS day, COUNT(*) AS n, \
             CAST(SUM(amount_pence) AS BIGINT) AS amount, {fingerprint} AS f \
             FROM ledger_transfers WHERE {} GROUP BY 1, 2, 3{group}",
            pool("debit_account"),
            pool("credit_account"),
            self.transfers_filter()
        )
    }

    /// CTE `k`: every award account with its expected (e), transfer (t)
    /// and stored (s) balance.
    fn award_accounts_cte(&self) -> String {
        let stored = match self.as_of {
            None => format!(
                " UNION ALL SELECT key, 0, 0, balance_pence FROM ledger_accounts WHERE fund_id = {} AND key LIKE 'award:%'",
                FUND
            ),
            Some(_) => String::new(),
        };
        let filter = self.transfers_filter();
        format!(
            "WITH {}, k AS (SELECT key, SUM(e) AS e, SUM(t) AS t, SUM(s) AS s FROM (\
             SELECT 'award:' || {} || ':payable' AS key, CASE WHEN {} THEN amount - paid ELSE 0 END AS e, 0 AS t, 0 AS s FROM a \
             UNION ALL SELECT credit_account, 0, amount_pence, 0 FROM ledger_transfers WHERE {filter} AND credit_account LIKE 'award:%' \
             UNION ALL SELECT debit_account, 0, -amount_pence, 0 FROM ledger_transfers WHERE {filter} AND debit_account LIKE 'award:%'\
             {stored}) u GROUP BY key)",
            self.awards(),
            self.d.uuid_text("a.id"),
            self.live()
        )
    }

    fn mismatch(&self) -> &'static str {
        match self.as_of {
            None => "(e <> t OR t <> s)",
            Some(_) => "(e <> t)",
        }
    }

    fn award_accounts(&self) -> String {
        format!(
            "{} SELECT COUNT(*) AS accounts, CAST(COALESCE(SUM(e), 0) AS BIGINT) AS expected, \
             CAST(COALESCE(SUM(t), 0) AS BIGINT) AS ledger, CAST(COALESCE(SUM(s), 0) AS BIGINT) AS stored, \
             CAST(COALESCE(SUM(CASE WHEN {} THEN 1 ELSE 0 END), 0) AS BIGINT) AS mismatched FROM k",
            self.award_accounts_cte(),
            self.mismatch()
        )
    }

    /// Each award's expected balance: amount − paid while live, else 0
    /// (also 0 for a past summary missing its figures, which then disagrees
    /// with any transfers instead of failing the whole reconciliation).
    fn expected_balances(&self) -> String {
        format!(
            "WITH {} SELECT id, CAST(COALESCE(CASE WHEN {} THEN amount - paid ELSE 0 END, 0) AS BIGINT) AS balance FROM a",
            self.awards(),
            self.live()
        )
    }

    /// Each award account's balance from the transfers: credits − debits.
    fn transfer_balances(&self) -> String {
        let filter = self.transfers_filter();
        format!(
            "SELECT account, CAST(SUM(amount) AS BIGINT) AS balance FROM (\
             SELECT credit_account AS account, amount_pence AS amount FROM ledger_transfers WHERE {filter} AND credit_account LIKE 'award:%' \
             UNION ALL SELECT debit_account, -amount_pence FROM ledger_transfers WHERE {filter} AND debit_account LIKE 'award:%'\
             ) u GROUP BY account"
        )
    }

    /// Each award account row's stored balance.
    fn stored_balances(&self) -> String {
        format!(
            "SELECT key AS account, balance_pence AS balance FROM ledger_accounts WHERE fund_id = {} AND key LIKE 'award:%'",
            FUND
        )
    }

    /// `(balance × H(key)) mod p`, with `H` a seeded 64-bit hash of the
    /// account's key: PostgreSQL's `hashtextextended`, or on SQLite
    /// [`key_fingerprint`] registered on the connection for this
    /// reconciliation's salt ([`register_fingerprints`]). Summed over
    /// accounts it fingerprints a whole set of balances.
    fn fingerprint(&self, key: &str, balance: &str) -> String {
        let p = FINGERPRINT_PRIME;
        match self.d {
            Dialect::Postgres => format!(
                "(((({balance}) % {p} + {p}) % {p}) * ((hashtextextended({key}, {SALT}) % {p} + {p}) % {p})) % {p}"
            ),
            Dialect::Sqlite => format!("gl_key_fingerprint({SALT}, {key}, {balance})"),
        }
    }

    /// [`Queries::fingerprint`] of each award's own account from the
    /// award's id (`id`) and expected balance (`e`): on SQLite the key is
    /// made in Rust from the id, since building its text in SQL cost more
    /// than the rest of the statement.
    fn award_fingerprint(&self) -> String {
        match self.d {
            Dialect::Postgres => self.fingerprint(
                &format!("'award:' || {} || ':payable'", self.d.uuid_text("id")),
                "e",
            ),
            Dialect::Sqlite => format!("gl_award_fingerprint({SALT}, id, e)"),
        }
    }

    /// The award account rows' sum and salted fingerprint, in one pass
    /// and without grouping by account (the awards' side comes with the
    /// totals, the transfers' with their groups).
    fn stored_award_fingerprint(&self) -> String {
        format!(
            "SELECT CAST(COALESCE(SUM(balance_pence), 0) AS BIGINT) AS stored, \
             CAST(COALESCE(SUM({}), 0) % {} AS BIGINT) AS fingerprint \
             FROM ledger_accounts WHERE fund_id = {} AND key LIKE 'award:%'",
            self.fingerprint("key", "balance_pence"),
            FINGERPRINT_PRIME,
            FUND
        )
    }

    fn award_mismatches(&self) -> String {
        format!(
            "{} SELECT key, CAST(e AS BIGINT) AS e, CAST(t AS BIGINT) AS t, CAST(s AS BIGINT) AS s FROM k WHERE {} ORDER BY key LIMIT {}",
            self.award_accounts_cte(),
            self.mismatch(),
            AwardAccounts::EXAMPLES
        )
    }
}

#[derive(QueryableByName)]
struct TotalsRow {
    #[diesel(sql_type = SqlUuid)]
    round_id: DbUuid,
    #[diesel(sql_type = SqlUuid)]
    grantee_id: DbUuid,
    #[diesel(sql_type = Nullable<Text>)]
    name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    region: Option<String>,
    #[diesel(sql_type = BigInt)]
    awards: i64,
    #[diesel(sql_type = BigInt)]
    committed: i64,
    #[diesel(sql_type = BigInt)]
    paid: i64,
    #[diesel(sql_type = BigInt)]
    expected: i64,
    #[diesel(sql_type = BigInt)]
    fingerprint: i64,
}

#[derive(QueryableByName)]
struct RegionRow {
    #[diesel(sql_type = SqlUuid)]
    round_id: DbUuid,
    #[diesel(sql_type = Nullable<Text>)]
    region: Option<String>,
    /// Missing only from a past summary without its figures.
    #[diesel(sql_type = Nullable<BigInt>)]
    amount: Option<i64>,
    #[diesel(sql_type = BigInt)]
    live: i64,
    #[diesel(sql_type = BigInt)]
    awards: i64,
    #[diesel(sql_type = BigInt)]
    committed: i64,
    #[diesel(sql_type = BigInt)]
    paid: i64,
    #[diesel(sql_type = BigInt)]
    expected: i64,
    #[diesel(sql_type = BigInt)]
    fingerprint: i64,
}

/// Sums of awards, committed and paid.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    awards: i64,
    committed: i64,
    paid: i64,
}

impl Sums {
    fn of(awards: i64, committed: i64, paid: i64) -> Sums {
        Sums {
            awards,
            committed,
            paid,
        }
    }

    fn add(&mut self, other: Sums) {
        self.awards = self.awards.saturating_add(other.awards);
        self.committed = self.committed.saturating_add(other.committed);
        self.paid = self.paid.saturating_add(other.paid);
    }
}

/// How finely a reconciliation breaks its totals down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Breakdown {
    /// By round, region and grantee: the whole report.
    Grantees,
    /// By round and region, with no totals by grantee: for the fund's
    /// page, which shows none, so the database sends a row per round,
    /// region and award amount rather than one per grantee, and the
    /// transfers come by day for its chart ([`fund_page`]). The checks are
    /// the same.
    Regions,
}

#[derive(QueryableByName)]
struct RunsRow {
    #[diesel(sql_type = BigInt)]
    runs: i64,
    #[diesel(sql_type = BigInt)]
    recorded: i64,
    #[diesel(sql_type = BigInt)]
    paid: i64,
    #[diesel(sql_type = BigInt)]
    mismatched: i64,
}

#[derive(QueryableByName)]
struct RoundPaid {
    #[diesel(sql_type = SqlUuid)]
    round_id: DbUuid,
    #[diesel(sql_type = BigInt)]
    amount: i64,
}

#[derive(QueryableByName)]
struct GroupRow {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    debit: String,
    #[diesel(sql_type = Text)]
    credit: String,
    #[diesel(sql_type = Nullable<Text>)]
    day: Option<String>,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = BigInt)]
    amount: i64,
    #[diesel(sql_type = BigInt)]
    f: i64,
}

/// The award accounts' totals, read by the account-by-account comparison
/// and by the fingerprints alike.
#[derive(QueryableByName)]
struct AccountTotals {
    #[diesel(sql_type = BigInt)]
    accounts: i64,
    #[diesel(sql_type = BigInt)]
    expected: i64,
    #[diesel(sql_type = BigInt)]
    ledger: i64,
    #[diesel(sql_type = BigInt)]
    stored: i64,
}

#[derive(QueryableByName)]
struct AccountsRow {
    #[diesel(embed)]
    totals: AccountTotals,
    #[diesel(sql_type = BigInt)]
    mismatched: i64,
}

#[derive(QueryableByName)]
struct FingerprintRow {
    #[diesel(sql_type = BigInt)]
    stored: i64,
    #[diesel(sql_type = BigInt)]
    fingerprint: i64,
}

/// The award accounts' side from the awards: how many, their expected
/// balances' sum and their salted fingerprint.
#[derive(Debug, Clone, Copy, Default)]
struct AwardSide {
    accounts: i64,
    expected: i64,
    fingerprint: i64,
}

impl AwardSide {
    fn add(&mut self, awards: i64, expected: i64, fingerprint: i64) {
        self.accounts = self.accounts.saturating_add(awards);
        self.expected = self.expected.saturating_add(expected);
        self.fingerprint = add_fingerprints(self.fingerprint, fingerprint);
    }
}

/// The sum of two fingerprints modulo [`FINGERPRINT_PRIME`], the second
/// as the database gave it (possibly negative or unreduced).
fn add_fingerprints(sum: i64, more: i64) -> i64 {
    (sum + more.rem_euclid(FINGERPRINT_PRIME)) % FINGERPRINT_PRIME
}

#[derive(QueryableByName)]
struct MismatchRow {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = BigInt)]
    e: i64,
    #[diesel(sql_type = BigInt)]
    t: i64,
    #[diesel(sql_type = BigInt)]
    s: i64,
}

/// PostgreSQL: the award accounts compared one by one in the database,
/// grouped by account, so a million-award fund's three million rows never
/// come into the service (it took 8.5 s there, about as long as reading
/// them into [`compare_award_accounts`]). It runs only when the
/// fingerprints disagree. The rule is [`AwardAccounts::compare`]'s.
fn grouped_award_accounts(
    conn: &mut AnyConnection,
    q: &Queries,
) -> Result<AwardAccounts, StoreError> {
    let now = q.as_of.is_none();
    let mut award_accounts = q
        .load::<AccountsRow>(conn, &q.award_accounts())?
        .into_iter()
        .next()
        .map(|a| AwardAccounts {
            accounts: a.totals.accounts,
            expected: a.totals.expected,
            ledger: a.totals.ledger,
            stored: now.then_some(a.totals.stored),
            mismatched: a.mismatched,
            examples: Vec::new(),
        })
        .unwrap_or_default();
    if award_accounts.mismatched > 0 {
        award_accounts.examples = q
            .load::<MismatchRow>(conn, &q.award_mismatches())?
            .into_iter()
            .map(|m| AccountMismatch {
                account: m.key,
                expected: Pence(m.e),
                ledger: Pence(m.t),
                stored: now.then_some(Pence(m.s)),
            })
            .collect();
    }
    Ok(award_accounts)
}

#[derive(QueryableByName)]
struct AwardBalance {
    #[diesel(sql_type = SqlUuid)]
    id: DbUuid,
    #[diesel(sql_type = BigInt)]
    balance: i64,
}

#[derive(QueryableByName)]
struct AccountBalance {
    #[diesel(sql_type = Text)]
    account: String,
    #[diesel(sql_type = BigInt)]
    balance: i64,
}

/// SQLite: every award account compared one by one, keyed in Rust; the
/// database only reads rows and sums transfers per account. Building each
/// award's `award:<id>:payable` key from its UUID in SQL cost SQLite about
/// 6 ms for 1,700 awards, most of the fund page's database time there. It
/// runs only when the fingerprints disagree. The rule is
/// [`AwardAccounts::compare`]'s.
fn compare_award_accounts(
    conn: &mut AnyConnection,
    q: &Queries,
) -> Result<AwardAccounts, StoreError> {
    let mut accounts: BTreeMap<String, AccountBalances> = BTreeMap::new();
    for row in q.load::<AwardBalance>(conn, &q.expected_balances())? {
        let key = Account::AwardPayable(AwardId::from_uuid(row.id.0)).key();
        let entry = accounts.entry(key).or_default();
        entry.expected = entry.expected.saturating_add(row.balance);
    }
    for row in q.load::<AccountBalance>(conn, &q.transfer_balances())? {
        let entry = accounts.entry(row.account).or_default();
        entry.ledger = entry.ledger.saturating_add(row.balance);
    }
    let now = q.as_of.is_none();
    if now {
        for row in q.load::<AccountBalance>(conn, &q.stored_balances())? {
            let entry = accounts.entry(row.account).or_default();
            entry.stored = entry.stored.saturating_add(row.balance);
        }
    }
    Ok(AwardAccounts::compare(accounts, now))
}

fn totals(name: String, sums: Sums) -> Totals {
    Totals {
        name,
        grantee_id: None,
        region: None,
        awards: sums.awards,
        committed: Pence(sums.committed),
        paid: Pence(sums.paid),
        outstanding: Pence(sums.committed.saturating_sub(sums.paid)),
    }
}

fn json_money(value: &serde_json::Value, field: &str, what: &str) -> Result<i64, StoreError> {
    let text = value
        .get(field)
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| StoreError::corrupt(what, format!("no {field} in the audit summary")))?;
    Ok(Money::parse(text)
        .map_err(|e| StoreError::corrupt(what, e))?
        .pence())
}

/// The latest after-summary of each record of a kind in the fund at or
/// before `t`, parsed.
fn summaries_as_of(
    conn: &mut AnyConnection,
    fund: FundId,
    entity_type: &str,
    t: DateTime<Utc>,
) -> Result<Vec<(uuid::Uuid, serde_json::Value)>, StoreError> {
    let rows: Vec<(i64, DbUuid, Option<String>)> = audit_events::table
        .filter(audit_events::fund_id.eq(db_id(fund)))
        .filter(audit_events::entity_type.eq(entity_type))
        .filter(audit_events::occurred_at.le(DbTime::new(t)))
        .order(audit_events::seq.asc())
        .select((
            audit_events::seq,
            audit_events::entity_id,
            audit_events::after,
        ))
        .load(conn)?;
    let mut latest: Vec<(uuid::Uuid, serde_json::Value)> = Vec::new();
    for (_, id, after) in rows {
        let Some(text) = after else { continue };
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| StoreError::corrupt("audit summary", e))?;
        match latest.iter_mut().find(|(k, _)| *k == id.0) {
            Some(slot) => slot.1 = value,
            None => latest.push((id.0, value)),
        }
    }
    Ok(latest)
}

struct RoundBase {
    id: RoundId,
    number: i64,
    name: String,
    allocation: i64,
    designated_funder: Option<String>,
}

fn rounds_now(conn: &mut AnyConnection, fund: FundId) -> Result<Vec<RoundBase>, StoreError> {
    let rows: Vec<(DbUuid, i32, String, i64, Option<String>)> = rounds::table
        .left_join(round_designations::table.on(round_designations::round_id.eq(rounds::id)))
        .filter(rounds::fund_id.eq(db_id(fund)))
        .order(rounds::number.asc())
        .select((
            rounds::id,
            rounds::number,
            rounds::name,
            rounds::allocation_pence,
            round_designations::funder.nullable(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, number, name, allocation, designated_funder)| RoundBase {
                id: RoundId::from_uuid(id.0),
                number: i64::from(number),
                name,
                allocation,
                designated_funder,
            },
        )
        .collect())
}

fn rounds_as_of(
    conn: &mut AnyConnection,
    fund: FundId,
    t: DateTime<Utc>,
) -> Result<Vec<RoundBase>, StoreError> {
    // Designations are read as they are now, like the funders themselves.
    let designations: Vec<(DbUuid, String)> = round_designations::table
        .inner_join(rounds::table.on(rounds::id.eq(round_designations::round_id)))
        .filter(rounds::fund_id.eq(db_id(fund)))
        .select((round_designations::round_id, round_designations::funder))
        .load(conn)?;
    let mut out = Vec::new();
    for (id, j) in summaries_as_of(conn, fund, "round", t)? {
        out.push(RoundBase {
            designated_funder: designations
                .iter()
                .find(|(r, _)| r.0 == id)
                .map(|(_, d)| d.clone()),
            id: RoundId::from_uuid(id),
            number: j
                .get("number")
                .and_then(serde_json::Value::as_i64)
                .unwrap_or(0),
            name: j
                .get("name")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            allocation: json_money(&j, "allocation", "round summary")?,
        });
    }
    out.sort_by_key(|r| r.number);
    Ok(out)
}

/// What the fund's page draws besides the checks, read in the passes the
/// reconciliation makes anyway (see [`fund_page`]).
#[derive(Debug, Default)]
pub struct PageFigures {
    /// Each amount of the fund's live awards and how many awards have it.
    pub live_amounts: Vec<(Money, i64)>,
    /// The movements of money that commit the fund to awards or pay it to
    /// grantees, by UTC day and kind: `(day, kind, pence)`, a day and kind
    /// possibly in several rows (one per pair of accounts).
    pub movements: Vec<(NaiveDate, TransferKind, i64)>,
}

/// Gathers a fund's figures now (`as_of` = `None`) or as of an instant;
/// with [`Breakdown::Regions`] also the page's figures.
fn gather(
    conn: &mut AnyConnection,
    record: &Record<Fund>,
    as_of: Option<DateTime<Utc>>,
    breakdown: Breakdown,
) -> Result<(Figures, Option<PageFigures>), StoreError> {
    let fund = record.value.id;
    let d = Dialect::of(conn);
    let salt_bytes = uuid::Uuid::now_v7().into_bytes();
    let mut salt = [0_u8; 8];
    salt.copy_from_slice(salt_bytes.get(8..16).unwrap_or(&[0; 8]));
    let q = Queries {
        d,
        fund,
        as_of,
        salt: i64::from_le_bytes(salt),
    };
    let (budget, bases) = match as_of {
        None => (record.value.budget.pence(), rounds_now(conn, fund)?),
        Some(t) => {
            let summaries = summaries_as_of(conn, fund, "fund", t)?;
            let (_, j) = summaries.last().ok_or(StoreError::NotFound {
                entity: "fund at that instant",
            })?;
            (
                json_money(j, "budget", "fund summary")?,
                rounds_as_of(conn, fund, t)?,
            )
        }
    };
    let mut by_round_sums: BTreeMap<uuid::Uuid, Sums> = BTreeMap::new();
    let mut by_region_sums: BTreeMap<String, Sums> = BTreeMap::new();
    let mut by_grantee_sums: BTreeMap<uuid::Uuid, (Option<String>, Option<String>, Sums)> =
        BTreeMap::new();
    // (round, region, the grantee and their name when broken down so far, sums)
    type Line = (
        uuid::Uuid,
        Option<String>,
        Option<(uuid::Uuid, Option<String>)>,
        Sums,
    );
    let mut page_figures: Option<PageFigures> = None;
    let mut award_side = AwardSide::default();
    let lines: Vec<Line> = match breakdown {
        Breakdown::Grantees => q
            .load::<TotalsRow>(conn, &q.totals())?
            .into_iter()
            .map(|r| {
                award_side.add(r.awards, r.expected, r.fingerprint);
                let sums = Sums::of(r.awards, r.committed, r.paid);
                (r.round_id.0, r.region, Some((r.grantee_id.0, r.name)), sums)
            })
            .collect(),
        Breakdown::Regions => {
            let rows = q.load::<RegionRow>(conn, &q.totals_by_region())?;
            let mut amounts: BTreeMap<i64, i64> = BTreeMap::new();
            for r in rows.iter().filter(|r| r.live == 1) {
                if let Some(pence) = r.amount {
                    *amounts.entry(pence).or_default() += r.awards;
                }
            }
            let mut page = PageFigures::default();
            for (pence, n) in amounts {
                let amount =
                    Money::from_pence(pence).map_err(|e| StoreError::corrupt("award amount", e))?;
                page.live_amounts.push((amount, n));
            }
            page_figures = Some(page);
            rows.into_iter()
                .map(|r| {
                    award_side.add(r.awards, r.expected, r.fingerprint);
                    let sums = Sums::of(r.awards, r.committed, r.paid);
                    (r.round_id.0, r.region, None, sums)
                })
                .collect()
        }
    };
    for (round, region, grantee, sums) in lines {
        by_round_sums.entry(round).or_default().add(sums);
        let region_name = region.clone().unwrap_or_else(|| "(unknown)".to_owned());
        by_region_sums.entry(region_name).or_default().add(sums);
        if let Some((id, name)) = grantee {
            by_grantee_sums
                .entry(id)
                .or_insert_with(|| (name, region, Sums::default()))
                .2
                .add(sums);
        }
    }
    let aggregates: Vec<(uuid::Uuid, Sums)> = by_round_sums.into_iter().collect();
    let paid: Vec<RoundPaid> = q.load(conn, &q.paid_by_round())?;
    let mut rounds: Vec<RoundFigures> = bases
        .into_iter()
        .map(|b| {
            let agg = aggregates
                .iter()
                .find(|(id, _)| *id == b.id.as_uuid())
                .map(|(_, s)| s);
            RoundFigures {
                id: b.id,
                number: b.number,
                name: b.name,
                allocation: b.allocation,
                designated_funder: b.designated_funder,
                awards: agg.map_or(0, |a| a.awards),
                committed: agg.map_or(0, |a| a.committed),
                paid: agg.map_or(0, |a| a.paid),
                paid_disbursements: paid
                    .iter()
                    .find(|p| p.round_id.0 == b.id.as_uuid())
                    .map_or(0, |p| p.amount),
            }
        })
        .collect();
    // Awards (or payments) naming a round the fund does not have.
    for (id, a) in &aggregates {
        if !rounds.iter().any(|r| r.id.as_uuid() == *id) {
            rounds.push(RoundFigures {
                id: RoundId::from_uuid(*id),
                number: 0,
                name: "(unknown round)".to_owned(),
                allocation: 0,
                designated_funder: None,
                awards: a.awards,
                committed: a.committed,
                paid: a.paid,
                paid_disbursements: paid
                    .iter()
                    .find(|p| p.round_id.0 == *id)
                    .map_or(0, |p| p.amount),
            });
        }
    }
    let groups = q.load::<GroupRow>(conn, &q.transfer_groups(page_figures.is_some()))?;
    // The award accounts' balance and fingerprint from the transfers.
    let (mut award_ledger, mut award_ft) = (0_i64, 0_i64);
    let mut merged: BTreeMap<(String, String, String), (i64, i64)> = BTreeMap::new();
    for g in groups {
        if g.credit == AWARD_ACCOUNTS {
            award_ledger = award_ledger.saturating_add(g.amount);
        }
        if g.debit == AWARD_ACCOUNTS {
            award_ledger = award_ledger.saturating_sub(g.amount);
        }
        award_ft = add_fingerprints(award_ft, g.f);
        if let (Some(page), Some(day)) = (page_figures.as_mut(), g.day.as_deref()) {
            let kind = parse::<TransferKind>("transfer kind", &g.kind)?;
            if COMMITMENT_KINDS.contains(&kind) {
                let day = NaiveDate::parse_from_str(day, "%Y-%m-%d")
                    .map_err(|e| StoreError::corrupt("transfer day", e))?;
                page.movements.push((day, kind, g.amount));
            }
        }
        let slot = merged.entry((g.kind, g.debit, g.credit)).or_default();
        slot.0 = slot.0.saturating_add(g.n);
        slot.1 = slot.1.saturating_add(g.amount);
    }
    let transfers: Vec<TransferGroup> = merged
        .into_iter()
        .map(|((kind, debit, credit), (count, amount))| TransferGroup {
            kind,
            debit,
            credit,
            count,
            amount,
        })
        .collect();
    let stored = match as_of {
        Some(_) => None,
        None => {
            let accounts: Vec<(String, i64)> = ledger_accounts::table
                .filter(ledger_accounts::fund_id.eq(db_id(fund)))
                .filter(ledger_accounts::key.not_like("award:%"))
                .order(ledger_accounts::key.asc())
                .select((ledger_accounts::key, ledger_accounts::balance_pence))
                .load(conn)?;
            Some(StoredBalances { accounts })
        }
    };
    // Fingerprints first: when the awards, the transfers and the account
    // rows give the same salted fingerprint, every award account agrees
    // (but for a chance of about 1 in 2^31 per reconciliation), and the
    // costlier account-by-account comparison is skipped.
    let stored_side = match as_of {
        Some(_) => None,
        None => q
            .load::<FingerprintRow>(conn, &q.stored_award_fingerprint())?
            .into_iter()
            .next(),
    };
    let stored_agrees = match (as_of, &stored_side) {
        (Some(_), _) => true,
        (None, Some(f)) => f.fingerprint == award_ft,
        (None, None) => false,
    };
    let award_accounts = if award_side.fingerprint == award_ft && stored_agrees {
        AwardAccounts {
            accounts: award_side.accounts,
            expected: award_side.expected,
            ledger: award_ledger,
            stored: stored_side.map(|f| f.stored),
            mismatched: 0,
            examples: Vec::new(),
        }
    } else {
        match d {
            Dialect::Postgres => grouped_award_accounts(conn, &q)?,
            Dialect::Sqlite => compare_award_accounts(conn, &q)?,
        }
    };
    // Runs hold their current state only, so they are checked now only.
    let payment_runs = match as_of {
        Some(_) => None,
        None => q
            .load::<RunsRow>(conn, &q.payment_runs())?
            .into_iter()
            .next()
            .map(|r| PaymentRunFigures {
                runs: r.runs,
                recorded: r.recorded,
                paid: r.paid,
                mismatched: r.mismatched,
            }),
    };
    let by_region = by_region_sums
        .into_iter()
        .map(|(region, sums)| totals(region, sums))
        .collect();
    let mut by_grantee: Vec<Totals> = by_grantee_sums
        .into_iter()
        .map(|(id, (name, region, sums))| Totals {
            grantee_id: Some(GranteeId::from_uuid(id)),
            region,
            ..totals(name.unwrap_or_else(|| "(unknown grantee)".to_owned()), sums)
        })
        .collect();
    by_grantee.sort_by(|a, b| (&a.name, a.grantee_id).cmp(&(&b.name, b.grantee_id)));
    let figures = Figures {
        fund_id: fund,
        fund_code: record.value.code.to_string(),
        fund_name: record.value.name.to_string(),
        as_of,
        budget,
        rounds,
        transfers,
        stored,
        award_accounts,
        payment_runs,
        by_region,
        by_grantee,
        funders: record
            .value
            .funders
            .iter()
            .map(|f| FunderFigures {
                name: f.name.to_string(),
                org_id: f.org_id.as_ref().map(ToString::to_string),
                contribution: f.contribution.pence(),
            })
            .collect(),
    };
    Ok((figures, page_figures))
}

/// Reconciles a fund now or as of an instant, with totals by round,
/// region and grantee. Reads run in one transaction so every figure comes
/// from the same snapshot on PostgreSQL.
pub fn reconcile_fund(
    conn: &mut AnyConnection,
    fund: FundId,
    as_of: Option<DateTime<Utc>>,
) -> Result<Reconciliation, StoreError> {
    let (figures, _) = in_snapshot(conn, |c| {
        let record = funds::get(c, fund)?;
        gather(c, &record, as_of, Breakdown::Grantees)
    })?;
    Ok(reconcile(figures))
}

/// Everything a fund's page shows, from one snapshot: the fund, its
/// reconciliation by round and region (now or as of an instant), and its
/// live awards by amount and movements by day at that instant too.
#[derive(Debug)]
pub struct FundPage {
    /// The fund as it is now (its status, name, funders).
    pub fund: Record<Fund>,
    /// The reconciliation, with totals by round and region.
    pub reconciliation: Reconciliation,
    /// The awards by amount and the movements by day.
    pub page: PageFigures,
}

/// The fund with this id or code, for its page: [`FundPage`].
pub fn fund_page(
    conn: &mut AnyConnection,
    id_or_code: &str,
    as_of: Option<DateTime<Utc>>,
) -> Result<FundPage, StoreError> {
    in_snapshot(conn, |c| {
        let fund = funds::find(c, id_or_code)?;
        let (figures, page) = gather(c, &fund, as_of, Breakdown::Regions)?;
        Ok(FundPage {
            fund,
            reconciliation: reconcile(figures),
            page: page.unwrap_or_default(),
        })
    })
}

/// Runs `f`'s reads in one transaction, so every figure comes from the same
/// snapshot on PostgreSQL.
fn in_snapshot<T>(
    conn: &mut AnyConnection,
    f: impl FnOnce(&mut AnyConnection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    match conn {
        AnyConnection::Postgresql(_) => {
            use diesel::connection::SimpleConnection;
            conn.transaction(|c| {
                // The aggregates group up to a row per award; give them room
                // to hash in memory rather than spill to disk (this
                // transaction only).
                c.batch_execute(
                    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY; \
                     SET LOCAL work_mem = '256MB'",
                )?;
                f(c)
            })
        }
        AnyConnection::Sqlite(_) => conn.transaction(f),
    }
}

#[cfg(test)]
mod tests {
    use diesel::Connection;
    use diesel::sqlite::SqliteConnection;

    use super::*;

    #[derive(QueryableByName)]
    struct Pair {
        #[diesel(sql_type = BigInt)]
        by_id: i64,
        #[diesel(sql_type = BigInt)]
        by_key: i64,
    }

    /// SQLite's two fingerprint functions agree on an award's account, by
    /// its id and by its key's text (else every SQLite reconciliation would
    /// fall back to the exact comparison), and a new salt changes them.
    #[test]
    fn an_award_account_has_one_fingerprint_by_id_or_by_key() {
        let mut sqlite = SqliteConnection::establish(":memory:").unwrap();
        register_fingerprints(&mut sqlite).unwrap();
        let mut conn = AnyConnection::Sqlite(sqlite);
        let award = AwardId::new();
        let key = Account::AwardPayable(award).key();
        let sql = format!(
            "SELECT gl_award_fingerprint({SALT}, X'{}', -12345) AS by_id, \
             gl_key_fingerprint({SALT}, '{key}', -12345) AS by_key",
            award.as_uuid().simple()
        );
        let queries = |salt| Queries {
            d: Dialect::Sqlite,
            fund: FundId::new(),
            as_of: None,
            salt,
        };
        let first = queries(7)
            .load::<Pair>(&mut conn, &sql)
            .unwrap()
            .pop()
            .unwrap();
        assert_eq!(first.by_id, first.by_key);
        assert_eq!(first.by_id, key_fingerprint(7, &key, -12345));
        assert!((0..FINGERPRINT_PRIME).contains(&first.by_id));
        let second = queries(8)
            .load::<Pair>(&mut conn, &sql)
            .unwrap()
            .pop()
            .unwrap();
        assert_eq!(second.by_id, second.by_key);
        assert_ne!(second.by_id, first.by_id, "the salt is part of the hash");
    }

    /// Parameters are numbered in order of first use, each once however
    /// often it appears, and only those used are bound.
    #[test]
    fn parameters_are_numbered_in_order_of_first_use() {
        let q = |d, as_of| Queries {
            d,
            fund: FundId::new(),
            as_of,
            salt: 1,
        };
        let sql = format!("SELECT {SALT} WHERE a = {FUND} AND b = {SALT} AND c = {FUND}");
        let (text, parameters) = q(Dialect::Sqlite, None).numbered(&sql).unwrap();
        assert_eq!(text, "SELECT ?1 WHERE a = ?2 AND b = ?1 AND c = ?2");
        assert!(matches!(
            parameters[..],
            [Parameter::BigInt(1), Parameter::Uuid(_)]
        ));
        let sql = format!("x = {FUND} AND t <= {AS_OF}");
        let (text, parameters) = q(Dialect::Postgres, Some(Utc::now()))
            .numbered(&sql)
            .unwrap();
        assert_eq!(text, "x = $1 AND t <= $2");
        assert!(matches!(
            parameters[..],
            [Parameter::Uuid(_), Parameter::Instant(_)]
        ));
        assert!(
            q(Dialect::Postgres, None).numbered(&sql).is_err(),
            "an instant named with none to bind"
        );
    }
}
