-- What quarantine holds for one table: its records and rejections, as tables (whole-table stages)
-- or views over shards (sharded stages).
SELECT table_name, table_type FROM information_schema.tables
WHERE table_schema = 'quarantine' AND table_name IN ($table, $table || '_rejections');
