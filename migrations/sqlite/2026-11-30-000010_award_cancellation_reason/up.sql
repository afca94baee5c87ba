-- Why an award was cancelled, as the administrator gave it: shown on the
-- award and in its award.cancelled audit event (issue 14, item 1).
ALTER TABLE awards ADD COLUMN cancellation_reason text;
