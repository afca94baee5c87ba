-- The transactional outbox (issue 18): a message is written in the same
-- transaction as the change it reports, so both commit or neither does;
-- a dispatcher sends it afterwards and records the outcome. Delivery is
-- at least once: see docs/MAIL.md.
CREATE TABLE outbox_messages (
    id              BLOB PRIMARY KEY,
    created_at      TEXT NOT NULL,
    to_address      TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT,
    kind            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    sent_at         TEXT,
    message_id      TEXT NOT NULL UNIQUE,
    CHECK ((status = 'sent') = (sent_at IS NOT NULL))
) STRICT;
-- What the dispatcher looks for every few seconds: due, unsent messages.
CREATE INDEX outbox_messages_due ON outbox_messages (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_messages_failed ON outbox_messages (created_at) WHERE status = 'failed';
