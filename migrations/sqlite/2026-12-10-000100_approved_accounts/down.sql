ALTER TABLE disbursements DROP COLUMN bank_details_id;
