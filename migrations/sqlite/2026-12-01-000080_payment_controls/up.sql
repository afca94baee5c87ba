-- Payment runs per fund (optionally per round) with four-eyes approval;
-- tranches confirmed one by one (who and when) and returned by the bank.
-- SQLite cannot change a CHECK constraint, so both tables are rebuilt
-- (https://www.sqlite.org/lang_altertable.html#otheralter); the migration
-- runner turns foreign keys off around migrations and checks them after.
CREATE TABLE payment_runs_new (
    id                  BLOB PRIMARY KEY,
    status              TEXT NOT NULL CHECK (status IN ('draft', 'approved', 'confirmed', 'cancelled')),
    total_pence         INTEGER NOT NULL CHECK (total_pence >= 0),
    disbursement_count  INTEGER NOT NULL CHECK (disbursement_count >= 0),
    created_by          BLOB REFERENCES users (id),
    created_at          TEXT NOT NULL,
    confirmed_at        TEXT,
    version             INTEGER NOT NULL DEFAULT 1,
    fund_id             BLOB REFERENCES funds (id),
    round_id            BLOB REFERENCES rounds (id),
    due_by              TEXT NOT NULL,
    approved_by         BLOB REFERENCES users (id),
    approved_at         TEXT,
    CHECK ((approved_by IS NULL) = (approved_at IS NULL))
) STRICT;
-- Runs made before runs were per fund took every fund's tranches: their
-- fund is the one their tranches belong to, if any is left in them.
INSERT INTO payment_runs_new
    (id, status, total_pence, disbursement_count, created_by, created_at, confirmed_at, version, fund_id, due_by)
SELECT r.id, r.status, r.total_pence, r.disbursement_count, r.created_by, r.created_at, r.confirmed_at, r.version,
       (SELECT a.fund_id FROM disbursements d JOIN awards a ON a.id = d.award_id
        WHERE d.payment_run_id = r.id ORDER BY d.id LIMIT 1),
       COALESCE((SELECT MAX(d.due_on) FROM disbursements d WHERE d.payment_run_id = r.id), substr(r.created_at, 1, 10))
FROM payment_runs r;

CREATE TABLE disbursements_new (
    id              BLOB PRIMARY KEY,
    award_id        BLOB NOT NULL REFERENCES awards (id),
    amount_pence    INTEGER NOT NULL CHECK (amount_pence > 0),
    due_on          TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('scheduled', 'paid', 'failed', 'reversed', 'returned')),
    payment_run_id  BLOB REFERENCES payment_runs (id),
    paid_at         TEXT,
    note            TEXT,
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    settled_by      BLOB REFERENCES users (id),
    settled_at      TEXT,
    return_reason   TEXT
) STRICT;
INSERT INTO disbursements_new
    (id, award_id, amount_pence, due_on, status, payment_run_id, paid_at, note, version, created_at, updated_at)
SELECT id, award_id, amount_pence, due_on, status, payment_run_id, paid_at, note, version, created_at, updated_at
FROM disbursements;

DROP TABLE disbursements;
DROP TABLE payment_runs;
ALTER TABLE payment_runs_new RENAME TO payment_runs;
ALTER TABLE disbursements_new RENAME TO disbursements;
CREATE INDEX payment_runs_fund ON payment_runs (fund_id);
CREATE INDEX disbursements_award ON disbursements (award_id);
CREATE INDEX disbursements_due ON disbursements (status, due_on);
CREATE INDEX disbursements_run ON disbursements (payment_run_id);
CREATE INDEX disbursements_status_award ON disbursements (status, award_id);

-- The tranches that were due when a run was made but held out of it, and why.
CREATE TABLE payment_run_holds (
    payment_run_id   BLOB NOT NULL REFERENCES payment_runs (id),
    disbursement_id  BLOB NOT NULL REFERENCES disbursements (id),
    reason           TEXT NOT NULL CHECK (reason IN ('no_bank_details', 'bank_details_awaiting_verification')),
    PRIMARY KEY (payment_run_id, disbursement_id)
) STRICT;
