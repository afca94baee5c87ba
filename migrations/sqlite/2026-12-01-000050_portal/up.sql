-- Signed-in sessions of the web portal (docs/PORTAL.md). The cookie holds
-- a random 256-bit id; only its SHA-256 is kept here, so a copy of the
-- database cannot be used to sign in. Deleting a row signs that session
-- out at once; a disabled user's sessions are deleted with the change.
CREATE TABLE portal_sessions (
    id_hash       TEXT PRIMARY KEY,
    user_id       BLOB NOT NULL REFERENCES users (id),
    csrf_token    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL
) STRICT;
CREATE INDEX portal_sessions_by_user ON portal_sessions (user_id);

-- A grantee's evaluation return saved part-way in the portal, as the form
-- held it (JSON): only a submission is checked and kept as a version, so a
-- draft may be incomplete. One per award; deleted when the return is sent.
CREATE TABLE return_drafts (
    award_id   BLOB PRIMARY KEY REFERENCES awards (id),
    form       TEXT NOT NULL,
    saved_by   BLOB NOT NULL REFERENCES users (id),
    saved_at   TEXT NOT NULL
) STRICT;
