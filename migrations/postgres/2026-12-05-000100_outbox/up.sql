-- The transactional outbox (issue 18): a message is written in the same
-- transaction as the change it reports, so both commit or neither does;
-- a dispatcher sends it afterwards and records the outcome. Delivery is
-- at least once: see docs/MAIL.md.
CREATE TABLE outbox_messages (
    id              uuid PRIMARY KEY,
    created_at      timestamptz NOT NULL,
    to_address      text NOT NULL,
    subject         text NOT NULL,
    text_body       text NOT NULL,
    html_body       text,
    kind            text NOT NULL,
    status          text NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL,
    last_error      text,
    sent_at         timestamptz,
    message_id      text NOT NULL UNIQUE,
    CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
-- What the dispatcher looks for every few seconds: due, unsent messages.
CREATE INDEX outbox_messages_due ON outbox_messages (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_messages_failed ON outbox_messages (created_at) WHERE status = 'failed';
