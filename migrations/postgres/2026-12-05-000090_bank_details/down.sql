DROP TABLE bank_details;
