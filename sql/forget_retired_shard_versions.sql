DELETE FROM storage.shard_versions WHERE state = 'retired';
