DROP TABLE main.{table};
