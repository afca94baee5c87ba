-- Accounts people manage themselves (issue 18).
-- `owner`: the grantee user who may invite and remove colleagues of their
-- organisation (set on the first user of an organisation).
-- `credentials_version`: counts password changes, disabling and "sign out
-- everywhere"; every API token carries the count it was issued at and is
-- refused once the count moves on.
ALTER TABLE users ADD COLUMN owner boolean NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN credentials_version bigint NOT NULL DEFAULT 0;
-- Single-use links (invitations, password resets): only the SHA-256 of the
-- token is kept, so a copy of the database opens no account.
CREATE TABLE user_tokens (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id),
    purpose     text NOT NULL CHECK (purpose IN ('invitation', 'password_reset')),
    token_hash  text NOT NULL UNIQUE,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL
);
CREATE INDEX user_tokens_by_user ON user_tokens (user_id);
