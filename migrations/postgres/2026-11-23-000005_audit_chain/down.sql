DROP INDEX disbursements_status_award;
DROP INDEX audit_events_fund;
DROP TABLE audit_chain;
