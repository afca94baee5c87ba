DROP TABLE user_tokens;
ALTER TABLE users DROP COLUMN credentials_version;
ALTER TABLE users DROP COLUMN owner;
