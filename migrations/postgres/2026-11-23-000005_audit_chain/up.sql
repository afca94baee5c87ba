-- The audit hash chain. Events are appended to audit_events by the
-- transactions that make each change, concurrently and without waiting on
-- each other; a sealer then appends them here one by one, in the order it
-- takes them, each link's hash covering the previous link's hash and the
-- event's canonical encoding (docs/AUDIT.md). Chain order is sealing order:
-- an event whose transaction commits late is simply sealed later.
CREATE TABLE audit_chain (
    position   bigint PRIMARY KEY CHECK (position >= 1),
    seq        bigint NOT NULL UNIQUE REFERENCES audit_events (seq),
    prev_hash  text NOT NULL CHECK (length(prev_hash) = 64),
    hash       text NOT NULL CHECK (length(hash) = 64),
    sealed_at  timestamptz NOT NULL
);

-- Append-only, like the events it seals.
CREATE TRIGGER audit_chain_append_only
    BEFORE UPDATE OR DELETE ON audit_chain
    FOR EACH ROW EXECUTE FUNCTION grantledger_refuse_change();
CREATE TRIGGER audit_chain_no_truncate
    BEFORE TRUNCATE ON audit_chain
    FOR EACH STATEMENT EXECUTE FUNCTION grantledger_refuse_change();

-- Reconciliation aggregates a fund's awards and transfers by these.
CREATE INDEX audit_events_fund ON audit_events (fund_id, entity_type, occurred_at);
CREATE INDEX disbursements_status_award ON disbursements (status, award_id);
