-- Two-factor sign-in (issue 18): a user's authenticator secret, the step
-- of the last code accepted (a code is never accepted twice), and a secret
-- being enrolled that is not yet confirmed by a code from the app.
CREATE TABLE two_factor (
    user_id        BLOB PRIMARY KEY REFERENCES users (id),
    secret         TEXT,
    pending_secret TEXT,
    last_step      INTEGER,
    enabled_at     TEXT,
    updated_at     TEXT NOT NULL
) STRICT;

-- Single-use recovery codes: their SHA-256 only.
CREATE TABLE recovery_codes (
    user_id   BLOB NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL,
    used_at   TEXT,
    PRIMARY KEY (user_id, code_hash)
) STRICT;

-- How far a portal session has got: 'code' (password right, code still
-- to give), 'enrol' (staff who must set up two-factor before anything
-- else) or 'full'.
ALTER TABLE portal_sessions ADD COLUMN stage TEXT NOT NULL DEFAULT 'full';
