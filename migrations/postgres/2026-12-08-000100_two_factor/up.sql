-- Two-factor sign-in (issue 18): a user's authenticator secret, the step
-- of the last code accepted (a code is never accepted twice), and a secret
-- being enrolled that is not yet confirmed by a code from the app.
CREATE TABLE two_factor (
    user_id        uuid PRIMARY KEY REFERENCES users (id),
    secret         text,
    pending_secret text,
    last_step      bigint,
    enabled_at     timestamptz,
    updated_at     timestamptz NOT NULL
);

-- Single-use recovery codes: their SHA-256 only.
CREATE TABLE recovery_codes (
    user_id   uuid NOT NULL REFERENCES users (id),
    code_hash text NOT NULL,
    used_at   timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

-- How far a portal session has got: 'code' (password right, code still
-- to give), 'enrol' (staff who must set up two-factor before anything
-- else) or 'full'.
ALTER TABLE portal_sessions ADD COLUMN stage text NOT NULL DEFAULT 'full';
