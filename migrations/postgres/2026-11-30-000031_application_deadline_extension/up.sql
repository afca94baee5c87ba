-- An administrator may give one draft application a later deadline than its
-- round's, with a reason (both set together, or neither).
ALTER TABLE applications ADD COLUMN extended_until timestamptz;
ALTER TABLE applications ADD COLUMN extension_reason TEXT;
