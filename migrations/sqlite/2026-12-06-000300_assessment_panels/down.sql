DROP TABLE score_sheets;
DROP TABLE assessor_assignments;
DROP TABLE round_criteria;
