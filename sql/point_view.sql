-- A record table's view, re-pointed at its current shards (the SELECT over them is appended).
CREATE OR REPLACE VIEW main.{table} AS
