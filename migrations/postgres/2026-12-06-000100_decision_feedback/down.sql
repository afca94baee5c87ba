ALTER TABLE applications DROP COLUMN decision_note;
ALTER TABLE applications RENAME COLUMN decision_feedback TO decision_reason;
