DROP INDEX applications_round_id;
