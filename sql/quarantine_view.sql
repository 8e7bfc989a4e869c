-- Sharded data that failed its checks, readable here (the SELECT over its shards is appended).
CREATE SCHEMA IF NOT EXISTS quarantine;
CREATE OR REPLACE VIEW quarantine.{table} AS
