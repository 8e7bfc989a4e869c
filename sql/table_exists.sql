-- A published table or view (record tables are views over their Parquet shards).
SELECT count(*) AS present FROM information_schema.tables WHERE table_schema = 'main' AND table_name = $table;
