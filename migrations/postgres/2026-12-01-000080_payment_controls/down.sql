DROP TABLE payment_run_holds;
ALTER TABLE disbursements DROP COLUMN return_reason;
ALTER TABLE disbursements DROP COLUMN settled_at;
ALTER TABLE disbursements DROP COLUMN settled_by;
ALTER TABLE disbursements DROP CONSTRAINT disbursements_status_check;
ALTER TABLE disbursements ADD CONSTRAINT disbursements_status_check
    CHECK (status IN ('scheduled', 'paid', 'failed', 'reversed'));
DROP INDEX payment_runs_fund;
ALTER TABLE payment_runs DROP CONSTRAINT payment_runs_approval;
ALTER TABLE payment_runs DROP COLUMN approved_at;
ALTER TABLE payment_runs DROP COLUMN approved_by;
ALTER TABLE payment_runs DROP COLUMN due_by;
ALTER TABLE payment_runs DROP COLUMN round_id;
ALTER TABLE payment_runs DROP COLUMN fund_id;
ALTER TABLE payment_runs DROP CONSTRAINT payment_runs_status_check;
ALTER TABLE payment_runs ADD CONSTRAINT payment_runs_status_check
    CHECK (status IN ('draft', 'confirmed', 'cancelled'));
