DROP INDEX applications_round_score;
DROP INDEX applications_round_amount;
ALTER TABLE applications DROP COLUMN mean_score_hundredths;
