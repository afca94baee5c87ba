ALTER TABLE award_variations DROP COLUMN range_override_reason;
