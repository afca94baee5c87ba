DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT id FROM rounds LOOP
        EXECUTE format('UPDATE rounds SET next_award_sequence = '
                       '(SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM %I) '
                       'WHERE id = %L',
                       'award_numbers_' || replace(r.id::text, '-', ''), r.id);
        EXECUTE format('DROP SEQUENCE %I', 'award_numbers_' || replace(r.id::text, '-', ''));
    END LOOP;
END $$;
