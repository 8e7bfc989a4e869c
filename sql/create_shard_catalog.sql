-- Which version of each record table's partitions is current (record tables are Parquet shards,
-- exposed as views); retired versions are listed until their files are deleted.
CREATE SCHEMA IF NOT EXISTS storage;
CREATE TABLE IF NOT EXISTS storage.shard_versions (
    table_name    VARCHAR NOT NULL,
    partition_key VARCHAR NOT NULL,
    version       VARCHAR NOT NULL,
    files         VARCHAR[] NOT NULL,
    rows          BIGINT NOT NULL,
    bytes         BIGINT NOT NULL,
    state         VARCHAR NOT NULL,   -- current | retired
    published_at  TIMESTAMP NOT NULL
);
