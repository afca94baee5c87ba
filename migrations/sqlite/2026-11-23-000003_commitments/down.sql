DROP TABLE commitment_history;
DROP TABLE commitment_departments;
DROP TABLE commitments;
