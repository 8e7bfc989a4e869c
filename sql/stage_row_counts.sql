-- Rows per published table and rejections per stage: the run summary.
SELECT table_name AS name, sum(rows) AS row_count, 'table' AS what
FROM storage.shard_versions WHERE state = 'current' AND table_name <> 'rejections' GROUP BY table_name
UNION ALL
SELECT table_name AS name, estimated_size AS row_count, 'table' AS what
FROM duckdb_tables() WHERE schema_name = 'main'
UNION ALL
SELECT stage || ':' || reason AS name, count(*) AS row_count, 'rejected' AS what
FROM rejections GROUP BY stage, reason
ORDER BY what DESC, name;
