DROP TABLE round_settings;
DROP TABLE application_answers;
DROP TABLE round_forms;
