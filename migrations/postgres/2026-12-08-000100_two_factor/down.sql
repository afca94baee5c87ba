ALTER TABLE portal_sessions DROP COLUMN stage;
DROP TABLE recovery_codes;
DROP TABLE two_factor;
