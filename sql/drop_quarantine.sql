CREATE SCHEMA IF NOT EXISTS quarantine;
DROP TABLE IF EXISTS quarantine.{table};
DROP TABLE IF EXISTS quarantine.{table}_rejections;
