INSERT INTO dedup_history BY NAME SELECT * FROM staged_history ORDER BY record_id;
