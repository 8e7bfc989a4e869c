INSERT INTO rejections BY NAME SELECT * FROM staged_rejections ORDER BY record_id;
