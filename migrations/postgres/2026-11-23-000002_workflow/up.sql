-- The grant-round workflow: what is scheduled against each award, and the
-- history of award variations.

-- Scheduled plus paid tranches (failed and reversed ones excluded). A
-- conditional update on this column keeps concurrent schedulings within the
-- award.
ALTER TABLE awards ADD COLUMN scheduled_pence bigint NOT NULL DEFAULT 0 CHECK (scheduled_pence >= 0);
ALTER TABLE awards ADD CONSTRAINT awards_scheduled_within_amount CHECK (scheduled_pence <= amount_pence);

CREATE TABLE award_variations (
    id                     uuid PRIMARY KEY,
    award_id               uuid NOT NULL REFERENCES awards (id),
    previous_amount_pence  bigint NOT NULL CHECK (previous_amount_pence >= 0),
    new_amount_pence       bigint NOT NULL CHECK (new_amount_pence >= 0),
    reason                 text NOT NULL,
    created_by             uuid,
    created_at             timestamptz NOT NULL,
    CHECK (previous_amount_pence <> new_amount_pence)
);
CREATE INDEX award_variations_award ON award_variations (award_id);

CREATE TRIGGER award_variations_append_only
    BEFORE UPDATE OR DELETE ON award_variations
    FOR EACH ROW EXECUTE FUNCTION grantledger_refuse_change();

CREATE INDEX applications_status ON applications (status);
CREATE INDEX awards_status ON awards (status);
CREATE INDEX disbursements_run ON disbursements (payment_run_id);
