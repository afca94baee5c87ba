-- The round's queue (issue 17) sorts by amount asked for and by mean
-- assessment score, and filters by score, paging by keyset at 20,000
-- applications. The mean is kept on the application, in hundredths, by
-- the transaction that records an assessment (MeanScore::of in the
-- domain); -1 means not scored yet, so unscored applications sort after
-- every scored one on both backends without NULLS LAST.
ALTER TABLE applications
    ADD COLUMN mean_score_hundredths integer NOT NULL DEFAULT -1
    CHECK (mean_score_hundredths BETWEEN -1 AND 1000);

-- Applications assessed before this migration: the same rule as the
-- domain's (a score stops counting once its assessor declares a conflict
-- on the same application), rounded half-up.
UPDATE applications SET mean_score_hundredths = COALESCE((
    SELECT CAST(ROUND(AVG(s.score) * 100) AS integer)
    FROM assessments s
    WHERE s.application_id = applications.id
      AND s.score IS NOT NULL
      AND NOT EXISTS (
          SELECT 1 FROM assessments c
          WHERE c.application_id = s.application_id
            AND c.assessor_id = s.assessor_id
            AND c.conflict_declared)
), -1);

CREATE INDEX applications_round_amount ON applications (round_id, amount_requested_pence, id);
CREATE INDEX applications_round_score ON applications (round_id, mean_score_hundredths, id);
