DELETE FROM main.{table} WHERE source = $source;
