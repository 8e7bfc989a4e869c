-- The exported files as a table: which split, where, how many records, their checksum.
CREATE OR REPLACE TABLE main.exports AS SELECT * FROM staged_exports ORDER BY split;
