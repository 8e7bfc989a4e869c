SELECT * FROM main.{table} ORDER BY record_id;
