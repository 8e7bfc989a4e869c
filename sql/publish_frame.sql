-- Replace a non-record table (statistics, ladder, report files) with the staged frame.
CREATE OR REPLACE TABLE main.{table} AS SELECT * FROM staged;
