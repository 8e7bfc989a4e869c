-- A table published again: its quarantined shards (and its stage's quarantined rejections) go.
UPDATE storage.shard_versions SET state = 'retired'
WHERE state = 'quarantined' AND (table_name = $table OR (table_name = 'rejections' AND partition_key = $stage));
