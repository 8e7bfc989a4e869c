-- The selected records, best first: a selection ladder's rung n is the first n.
SELECT record_id FROM main.selection WHERE selected ORDER BY rank;
