-- Reminders (issue 18): an offer waiting, a return falling due or overdue,
-- a draft whose round is closing. Each is sent once per occasion (a row
-- here, its key taken in the transaction that enqueues it), carries a
-- one-click unsubscribe (RFC 8058), and is not sent to whoever opted out.
ALTER TABLE outbox_messages ADD COLUMN unsubscribe_url text;

CREATE TABLE reminders_sent (
    kind       text NOT NULL,
    subject_id uuid NOT NULL,
    occasion   text NOT NULL,
    sent_at    timestamptz NOT NULL,
    PRIMARY KEY (kind, subject_id, occasion)
);

-- A reminder's unsubscribe link: the token is in the message only; here
-- its SHA-256, the user and what the reminder was about.
CREATE TABLE reminder_links (
    token_hash text PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id),
    subject_id uuid NOT NULL,
    created_at timestamptz NOT NULL
);

-- Reminders a user does not want: about one award or application (its
-- id), or any ('all').
CREATE TABLE reminder_opt_outs (
    user_id    uuid NOT NULL REFERENCES users (id),
    scope      text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, scope)
);

-- Every notice of a grant's step and every reminder asks who the
-- organisation's users are: at each decision, submission and payment.
CREATE INDEX users_by_grantee ON users (grantee_id);
