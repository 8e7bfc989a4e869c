-- Every current shard of a table, in partition and file order: what its view reads.
SELECT unnest(files) AS file
FROM storage.shard_versions
WHERE table_name = $table AND state = 'current'
ORDER BY partition_key, file;
