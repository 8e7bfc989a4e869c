INSERT INTO main.synthetic_batches SELECT * FROM staged ORDER BY record_id;
