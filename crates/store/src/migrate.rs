//! Embedded migrations, one set per backend, run on start.

use diesel::RunQueryDsl;
use diesel::connection::SimpleConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::connection::AnyConnection;
use crate::error::StoreError;

pub(crate) const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

#[derive(diesel::QueryableByName)]
struct ForeignKeyProblem {
    #[diesel(sql_type = diesel::sql_types::Text)]
    #[allow(dead_code)]
    table: String,
}

/// An arbitrary constant naming grantledger's migration lock on PostgreSQL.
const MIGRATION_LOCK: i64 = 0x6772_616e_746c_6467;

/// Applies every pending migration, then fills in any grantee search keys
/// not yet written (see [`crate::grantees::backfill_search_keys`]: they are
/// computed in Rust, so SQL cannot backfill them); returns how many
/// migrations ran.
///
/// On PostgreSQL several server processes may start at once; an advisory lock
/// makes them take turns, so each migration runs exactly once.
pub fn run_pending(conn: &mut AnyConnection) -> Result<usize, StoreError> {
    let ran = run_migrations(conn)?;
    crate::grantees::backfill_search_keys(conn)?;
    Ok(ran)
}

fn run_migrations(conn: &mut AnyConnection) -> Result<usize, StoreError> {
    let migration_error =
        |e: Box<dyn std::error::Error + Send + Sync>| StoreError::Migration(e.to_string());
    match conn {
        AnyConnection::Postgresql(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
            let result = c.run_pending_migrations(POSTGRES).map(|v| v.len());
            c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
            result.map_err(migration_error)
        }
        AnyConnection::Sqlite(c) => {
            // SQLite changes a table's constraints only by rebuilding it,
            // which its foreign keys forbid while they are on; the pragma is
            // ignored inside a transaction, so it is set around them all and
            // every key is checked before the database is used again.
            c.batch_execute("PRAGMA foreign_keys = OFF")?;
            let result = c
                .run_pending_migrations(SQLITE)
                .map(|v| v.len())
                .map_err(migration_error);
            let broken = diesel::sql_query("PRAGMA foreign_key_check")
                .load::<ForeignKeyProblem>(c)
                .map(|v| v.len());
            c.batch_execute("PRAGMA foreign_keys = ON")?;
            match broken? {
                0 => result,
                n => Err(StoreError::Migration(format!(
                    "{n} rows break a foreign key after the migrations"
                ))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, SqliteConnection};
    use diesel_migrations::MigrationHarness;
    use grantledger_domain::disbursement::DisbursementStatus;
    use grantledger_domain::ids::{AwardId, FundId, PaymentRunId};
    use grantledger_domain::payment_run::PaymentRunStatus;

    use super::SQLITE;
    use crate::{Database, disbursements};

    const T: &str = "2026-01-05T09:00:00.000000Z";

    fn id(n: u8) -> uuid::Uuid {
        uuid::Uuid::from_bytes([1, 0, 0, 0, 0, 0, 0x70, 0, 0x80, 0, 0, 0, 0, 0, 0, n])
    }

    fn blob(n: u8) -> String {
        format!("X'{}'", id(n).simple())
    }

    /// A payment run confirmed and one cancelled, as the schema before
    /// 2026-12-01-000080 held them.
    fn old_rows() -> String {
        let (f, r, g, a, aw) = (blob(1), blob(2), blob(3), blob(4), blob(6));
        let (paid_run, empty_run, paid, due) = (blob(7), blob(8), blob(9), blob(10));
        format!(
            "INSERT INTO funds VALUES ({f}, 'LCF', 'Local Connections Fund', 400000000, 'open', 1, '{T}', '{T}');
             INSERT INTO rounds (id, fund_id, number, name, opens_at, closes_at, allocation_pence,
                 min_grant_pence, max_grant_pence, created_at, updated_at)
                 VALUES ({r}, {f}, 1, 'Round 1', '{T}', '2026-02-16T09:00:00.000000Z', 100000000, 50000, 250000, '{T}', '{T}');
             INSERT INTO grantees (id, name, organisation_type, region, local_authority, postcode,
                 annual_income_pence, due_diligence, created_at, updated_at)
                 VALUES ({g}, 'Tuesday Lunch Club', 'community_group', 'north_east', 'Gateshead', 'NE8 1HE',
                 1200000, 'passed', '{T}', '{T}');
             INSERT INTO applications (id, round_id, grantee_id, amount_requested_pence, project_title,
                 summary, status, created_at, updated_at)
                 VALUES ({a}, {r}, {g}, 150000, 'Lunches', 'Tea and talk', 'awarded', '{T}', '{T}');
             INSERT INTO awards (id, reference, fund_id, round_id, application_id, grantee_id,
                 amount_pence, paid_pence, status, created_at, updated_at, scheduled_pence)
                 VALUES ({aw}, 'LCF-R1-000001', {f}, {r}, {a}, {g}, 150000, 100000, 'accepted', '{T}', '{T}', 150000);
             INSERT INTO payment_runs (id, status, total_pence, disbursement_count, created_at, confirmed_at)
                 VALUES ({paid_run}, 'confirmed', 100000, 1, '{T}', '{T}');
             INSERT INTO payment_runs (id, status, total_pence, disbursement_count, created_at)
                 VALUES ({empty_run}, 'cancelled', 0, 0, '{T}');
             INSERT INTO disbursements (id, award_id, amount_pence, due_on, status, payment_run_id,
                 paid_at, note, created_at, updated_at)
                 VALUES ({paid}, {aw}, 100000, '2026-03-01', 'paid', {paid_run}, '{T}', 'BACS', '{T}', '{T}');
             INSERT INTO disbursements (id, award_id, amount_pence, due_on, status, created_at, updated_at)
                 VALUES ({due}, {aw}, 50000, '2026-06-01', 'scheduled', '{T}', '{T}');"
        )
    }

    /// 2026-12-01-000080 rebuilds `payment_runs` and `disbursements` on
    /// SQLite (it cannot change a CHECK otherwise): a database holding
    /// runs and tranches upgrades with every row, amount, status and link
    /// kept, and older runs get their fund and due date from their
    /// tranches.
    #[test]
    fn the_payment_controls_migration_keeps_a_populated_sqlite_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite3");
        let url = path.to_string_lossy().into_owned();
        let mut c = SqliteConnection::establish(&url).unwrap();
        loop {
            let pending = c.pending_migrations(SQLITE).unwrap();
            let next = pending.first().unwrap();
            if next.name().to_string().starts_with("2026-12-01-000080") {
                break;
            }
            c.run_migration(next).unwrap();
        }
        c.batch_execute(&old_rows()).unwrap();
        drop(c);

        let db = Database::open(&url, &Default::default()).unwrap();
        let run = db
            .read(|c| disbursements::get_run(c, PaymentRunId::from_uuid(id(7))))
            .unwrap()
            .value;
        assert_eq!(run.status, PaymentRunStatus::Confirmed);
        assert_eq!(run.scope.fund_id, Some(FundId::from_uuid(id(1))));
        assert_eq!(run.scope.due_by.to_string(), "2026-03-01");
        assert_eq!((run.total.pence(), run.count), (100_000, 1));
        let empty = db
            .read(|c| disbursements::get_run(c, PaymentRunId::from_uuid(id(8))))
            .unwrap()
            .value;
        assert_eq!(empty.status, PaymentRunStatus::Cancelled);
        assert_eq!(empty.scope.fund_id, None);
        let tranches = db
            .read(|c| disbursements::for_award(c, AwardId::from_uuid(id(6))))
            .unwrap();
        let kept: Vec<_> = tranches
            .iter()
            .map(|t| {
                let d = &t.value.disbursement;
                (
                    d.amount.pence(),
                    d.status,
                    d.payment_run_id,
                    t.value.note.clone(),
                )
            })
            .collect();
        assert_eq!(
            kept,
            [
                (
                    100_000,
                    DisbursementStatus::Paid,
                    Some(PaymentRunId::from_uuid(id(7))),
                    Some("BACS".to_owned())
                ),
                (50_000, DisbursementStatus::Scheduled, None, None),
            ]
        );
    }
}
