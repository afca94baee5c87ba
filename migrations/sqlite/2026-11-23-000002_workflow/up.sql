-- The grant-round workflow: what is scheduled against each award, and the
-- history of award variations. (SQLite cannot add a table CHECK by ALTER;
-- scheduled <= amount is kept by the conditional update that schedules.)

ALTER TABLE awards ADD COLUMN scheduled_pence INTEGER NOT NULL DEFAULT 0 CHECK (scheduled_pence >= 0);

CREATE TABLE award_variations (
    id                     BLOB PRIMARY KEY,
    award_id               BLOB NOT NULL REFERENCES awards (id),
    previous_amount_pence  INTEGER NOT NULL CHECK (previous_amount_pence >= 0),
    new_amount_pence       INTEGER NOT NULL CHECK (new_amount_pence >= 0),
    reason                 TEXT NOT NULL,
    created_by             BLOB,
    created_at             TEXT NOT NULL,
    CHECK (previous_amount_pence <> new_amount_pence)
) STRICT;
CREATE INDEX award_variations_award ON award_variations (award_id);

CREATE TRIGGER award_variations_no_update BEFORE UPDATE ON award_variations
BEGIN SELECT RAISE(ABORT, 'award_variations is append-only: UPDATE refused'); END;
CREATE TRIGGER award_variations_no_delete BEFORE DELETE ON award_variations
BEGIN SELECT RAISE(ABORT, 'award_variations is append-only: DELETE refused'); END;

CREATE INDEX applications_status ON applications (status);
CREATE INDEX awards_status ON awards (status);
CREATE INDEX disbursements_run ON disbursements (payment_run_id);
