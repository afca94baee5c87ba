DROP INDEX disbursements_run;
DROP INDEX awards_status;
DROP INDEX applications_status;
DROP TABLE award_variations;
ALTER TABLE awards DROP CONSTRAINT awards_scheduled_within_amount;
ALTER TABLE awards DROP COLUMN scheduled_pence;
