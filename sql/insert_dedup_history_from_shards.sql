-- The history rows of the records a sharded dedup run kept: their text from the stage's new shards
-- (staged_kept_records), their keys and signature from the decision (staged_history_keys).
INSERT INTO dedup_history BY NAME
SELECT r.record_id, r.source, r.source_position, r.kind, r.instruction, r.input, r.response,
       k.content_key, k.prompt_key, k.response_key, $scheme AS scheme, k.signature
FROM staged_kept_records AS r JOIN staged_history_keys AS k ON r.record_id = k.record_id;
