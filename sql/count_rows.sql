SELECT count(*) AS records FROM main.{table};
