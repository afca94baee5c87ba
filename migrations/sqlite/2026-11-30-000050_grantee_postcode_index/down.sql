DROP INDEX grantees_postcode;
