-- Exact dedup against earlier runs: only the history rows holding one of the batch's content keys, only their keys.
SELECT content_key, record_id FROM dedup_history
WHERE scheme = $scheme AND content_key IN (SELECT key FROM staged_content_keys)
ORDER BY record_id;
