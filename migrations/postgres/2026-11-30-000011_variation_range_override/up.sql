-- An administrator's reason for varying an award outside its round's grant
-- range (issue 14, item 3); empty for variations within the range.
ALTER TABLE award_variations ADD COLUMN range_override_reason text;
