-- A record table stored inside the DuckDB file by an earlier version of the pipeline.
SELECT count(*) AS present FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = $table;
