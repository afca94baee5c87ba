-- The audit hash chain. Events are appended to audit_events by the
-- transactions that make each change; a sealer then appends them here one by
-- one, each link's hash covering the previous link's hash and the event's
-- canonical encoding (docs/AUDIT.md). Chain order is sealing order.
CREATE TABLE audit_chain (
    position   INTEGER PRIMARY KEY CHECK (position >= 1),
    seq        INTEGER NOT NULL UNIQUE REFERENCES audit_events (seq),
    prev_hash  TEXT NOT NULL CHECK (length(prev_hash) = 64),
    hash       TEXT NOT NULL CHECK (length(hash) = 64),
    sealed_at  TEXT NOT NULL
) STRICT;

-- Append-only, like the events it seals.
CREATE TRIGGER audit_chain_no_update BEFORE UPDATE ON audit_chain
BEGIN SELECT RAISE(ABORT, 'audit_chain is append-only: UPDATE refused'); END;
CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain
BEGIN SELECT RAISE(ABORT, 'audit_chain is append-only: DELETE refused'); END;

-- Reconciliation aggregates a fund's awards and transfers by these.
CREATE INDEX audit_events_fund ON audit_events (fund_id, entity_type, occurred_at);
CREATE INDEX disbursements_status_award ON disbursements (status, award_id);
