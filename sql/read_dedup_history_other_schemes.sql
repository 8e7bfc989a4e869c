-- History rows made under other settings than the run's (they are re-signed from their text).
SELECT * FROM dedup_history WHERE scheme IS DISTINCT FROM $scheme ORDER BY record_id;
