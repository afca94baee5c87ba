-- Nothing changes on SQLite: award numbers stay rounds.next_award_sequence,
-- taken in the decision's transaction (one writer at a time holds the whole
-- database anyway). PostgreSQL's migration of the same name moves its
-- numbers to a sequence per round.
SELECT 1;
