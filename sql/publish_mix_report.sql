-- Achieved against target mix, one row per domain.
CREATE OR REPLACE TABLE main.mix_report AS SELECT * FROM staged_report ORDER BY domain;
