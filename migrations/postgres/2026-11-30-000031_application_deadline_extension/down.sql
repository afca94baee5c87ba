ALTER TABLE applications DROP COLUMN extension_reason;
ALTER TABLE applications DROP COLUMN extended_until;
