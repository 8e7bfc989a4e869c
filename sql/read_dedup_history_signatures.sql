-- LSH against earlier runs: every signature of the run's settings, without the text (streamed in chunks).
SELECT record_id, signature FROM dedup_history WHERE scheme = $scheme ORDER BY record_id;
