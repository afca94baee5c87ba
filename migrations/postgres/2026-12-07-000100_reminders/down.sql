DROP INDEX users_by_grantee;
DROP TABLE reminder_opt_outs;
DROP TABLE reminder_links;
DROP TABLE reminders_sent;
ALTER TABLE outbox_messages DROP COLUMN unsubscribe_url;
