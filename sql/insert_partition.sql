INSERT INTO main.{table} SELECT * FROM staged ORDER BY record_id;
