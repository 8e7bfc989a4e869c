-- Replace a published table with the staged frame, in record-id order so the file is stable.
CREATE OR REPLACE TABLE main.{table} AS SELECT * FROM staged ORDER BY record_id;
