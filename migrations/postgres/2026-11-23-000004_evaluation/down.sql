DROP INDEX awards_return_due;
DROP TABLE evaluation_reviews;
DROP TABLE evaluation_return_versions;
DROP TABLE evaluation_returns;
