-- Data that failed its checks stays inspectable here, away from the tables downstream reads.
CREATE SCHEMA IF NOT EXISTS quarantine;
CREATE OR REPLACE TABLE quarantine.{table} AS SELECT * FROM staged ORDER BY record_id;
CREATE OR REPLACE TABLE quarantine.{table}_rejections AS SELECT * FROM staged_rejections ORDER BY record_id;
