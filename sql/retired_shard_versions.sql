SELECT table_name, partition_key, version FROM storage.shard_versions WHERE state = 'retired' ORDER BY ALL;
