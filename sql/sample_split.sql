-- At most $size records of a split's shards, chosen by a seeded hash of their ids: the same records every run.
SELECT record_id, kind, instruction, input, response
FROM read_parquet($files)
ORDER BY hash(record_id || $salt), record_id
LIMIT $size;
