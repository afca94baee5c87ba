DROP INDEX awards_fund_id;
