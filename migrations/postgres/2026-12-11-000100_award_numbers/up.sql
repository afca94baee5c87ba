-- Award numbers on PostgreSQL come from one sequence per round
-- (award_numbers_<round id as 32 hex digits>), made when the round is
-- made. A sequence hands out a number without a row lock held to commit,
-- so single decisions on one round no longer queue on the round's row:
-- references stay unique and in the order numbers were taken, and a
-- decision that fails after taking its number leaves a gap (docs/DESIGN.md,
-- "Award references"). rounds.next_award_sequence is where each sequence
-- starts and stays SQLite's counter (one writer at a time there, so
-- holding the row costs nothing and its numbers stay gap-free).
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT id, next_award_sequence FROM rounds LOOP
        EXECUTE format('CREATE SEQUENCE %I AS integer START %s',
                       'award_numbers_' || replace(r.id::text, '-', ''),
                       r.next_award_sequence);
    END LOOP;
END $$;
