INSERT INTO storage.shard_versions VALUES ($table, $partition, $version, $files, $rows, $bytes, 'current', now()::TIMESTAMP);
