-- Payment runs per fund (optionally per round) with four-eyes approval;
-- tranches confirmed one by one (who and when) and returned by the bank.
ALTER TABLE payment_runs DROP CONSTRAINT payment_runs_status_check;
ALTER TABLE payment_runs ADD CONSTRAINT payment_runs_status_check
    CHECK (status IN ('draft', 'approved', 'confirmed', 'cancelled'));
-- Runs made before runs were per fund took every fund's tranches: their
-- fund is the one their tranches belong to, if any is left in them.
ALTER TABLE payment_runs ADD COLUMN fund_id uuid REFERENCES funds (id);
ALTER TABLE payment_runs ADD COLUMN round_id uuid REFERENCES rounds (id);
ALTER TABLE payment_runs ADD COLUMN due_by date;
ALTER TABLE payment_runs ADD COLUMN approved_by uuid REFERENCES users (id);
ALTER TABLE payment_runs ADD COLUMN approved_at timestamptz;
UPDATE payment_runs SET
    fund_id = (SELECT a.fund_id FROM disbursements d JOIN awards a ON a.id = d.award_id
               WHERE d.payment_run_id = payment_runs.id ORDER BY d.id LIMIT 1),
    due_by = COALESCE((SELECT MAX(d.due_on) FROM disbursements d WHERE d.payment_run_id = payment_runs.id),
                      CAST(created_at AT TIME ZONE 'UTC' AS date));
ALTER TABLE payment_runs ALTER COLUMN due_by SET NOT NULL;
ALTER TABLE payment_runs ADD CONSTRAINT payment_runs_approval
    CHECK ((approved_by IS NULL) = (approved_at IS NULL));
CREATE INDEX payment_runs_fund ON payment_runs (fund_id);

ALTER TABLE disbursements DROP CONSTRAINT disbursements_status_check;
ALTER TABLE disbursements ADD CONSTRAINT disbursements_status_check
    CHECK (status IN ('scheduled', 'paid', 'failed', 'reversed', 'returned'));
ALTER TABLE disbursements ADD COLUMN settled_by uuid REFERENCES users (id);
ALTER TABLE disbursements ADD COLUMN settled_at timestamptz;
ALTER TABLE disbursements ADD COLUMN return_reason text;

-- The tranches that were due when a run was made but held out of it, and why.
CREATE TABLE payment_run_holds (
    payment_run_id   uuid NOT NULL REFERENCES payment_runs (id),
    disbursement_id  uuid NOT NULL REFERENCES disbursements (id),
    reason           text NOT NULL CHECK (reason IN ('no_bank_details', 'bank_details_awaiting_verification')),
    PRIMARY KEY (payment_run_id, disbursement_id)
);
