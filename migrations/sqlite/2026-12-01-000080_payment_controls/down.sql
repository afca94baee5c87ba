-- Not reversible on SQLite without losing approvals, returns and holds:
-- restore the backup taken before the upgrade. This statement fails on
-- purpose, naming that.
SELECT * FROM "migration 2026-12-01-000080 cannot be undone on SQLite: restore a backup";
