DROP INDEX IF EXISTS grantees_postcode;
