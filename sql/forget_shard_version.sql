DELETE FROM storage.shard_versions WHERE table_name = $table AND partition_key = $partition AND version = $version;
