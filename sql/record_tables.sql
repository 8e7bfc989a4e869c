-- The published record tables (every table with the canonical record columns), in pipeline order.
SELECT table_name
FROM duckdb_columns()
WHERE schema_name = 'main' AND column_name = 'lineage' AND table_name <> 'rejections'
GROUP BY table_name
ORDER BY table_name;
