ALTER TABLE awards DROP COLUMN cancellation_reason;
