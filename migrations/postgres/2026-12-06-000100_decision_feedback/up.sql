-- A decision carries two texts: feedback the applicant reads (the old
-- reason, which applicants already saw) and a note for staff only.
ALTER TABLE applications RENAME COLUMN decision_reason TO decision_feedback;
ALTER TABLE applications ADD COLUMN decision_note TEXT;
