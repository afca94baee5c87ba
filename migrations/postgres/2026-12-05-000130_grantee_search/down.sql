DROP INDEX IF EXISTS grantees_local_authority_key;
DROP INDEX IF EXISTS grantees_name_key;
ALTER TABLE grantees DROP COLUMN local_authority_key;
ALTER TABLE grantees DROP COLUMN name_key;
