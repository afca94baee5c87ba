-- Accounts people manage themselves (issue 18).
-- `owner`: the grantee user who may invite and remove colleagues of their
-- organisation (set on the first user of an organisation).
-- `credentials_version`: counts password changes, disabling and "sign out
-- everywhere"; every API token carries the count it was issued at and is
-- refused once the count moves on.
ALTER TABLE users ADD COLUMN owner INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN credentials_version INTEGER NOT NULL DEFAULT 0;
-- Single-use links (invitations, password resets): only the SHA-256 of the
-- token is kept, so a copy of the database opens no account.
CREATE TABLE user_tokens (
    id          BLOB PRIMARY KEY,
    user_id     BLOB NOT NULL REFERENCES users (id),
    purpose     TEXT NOT NULL CHECK (purpose IN ('invitation', 'password_reset')),
    token_hash  TEXT NOT NULL UNIQUE,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    created_at  TEXT NOT NULL
) STRICT;
CREATE INDEX user_tokens_by_user ON user_tokens (user_id);
