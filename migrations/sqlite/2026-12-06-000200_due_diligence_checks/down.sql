ALTER TABLE funds DROP COLUMN required_checks;
DROP TABLE due_diligence_checks;
