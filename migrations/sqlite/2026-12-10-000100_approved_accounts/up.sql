-- The account each line of a payment run pays, fixed when a second
-- administrator approves the run (bank::account_to_pay in the domain):
-- the bank file is made from it every time, so a paid run's file still
-- shows the account it paid after the grantee changes bank details, and a
-- change after approval refuses the line instead of silently paying an
-- account nobody approved for this run. Empty for lines not yet approved
-- and for runs approved before this migration.
ALTER TABLE disbursements ADD COLUMN bank_details_id BLOB REFERENCES bank_details (id);
