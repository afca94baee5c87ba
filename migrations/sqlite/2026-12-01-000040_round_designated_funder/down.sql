DROP TABLE round_designations;
