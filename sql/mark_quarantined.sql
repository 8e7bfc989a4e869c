-- A version that failed its checks: readable in the quarantine schema, retired when the table is next published.
UPDATE storage.shard_versions SET state = 'quarantined' WHERE table_name = $table AND version = $version;
