-- The text of the earlier records LSH paired with the batch.
SELECT record_id, source, source_position, kind, instruction, input, response
FROM dedup_history WHERE record_id IN (SELECT key FROM staged_record_ids)
ORDER BY record_id;
