-- The current versions a publish replaces: one partition, or every partition under a prefix.
UPDATE storage.shard_versions SET state = 'retired'
WHERE table_name = $table AND state = 'current'
  AND (partition_key = $partition OR ($whole AND starts_with(partition_key, $partition || '/')));
