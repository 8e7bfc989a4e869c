SELECT * FROM dedup_history ORDER BY record_id;
