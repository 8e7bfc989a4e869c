-- Conflict detection against earlier runs: only the history rows sharing a prompt or a response key with the batch.
SELECT record_id, source, source_position, kind, instruction, input, response, prompt_key, response_key
FROM dedup_history
WHERE scheme = $scheme
  AND (prompt_key IN (SELECT key FROM staged_prompt_keys) OR response_key IN (SELECT key FROM staged_response_keys))
ORDER BY record_id;
